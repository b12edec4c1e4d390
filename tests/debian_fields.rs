//! Nothing is silently dropped by the Debian backend: a host that sets every field of the
//! model renders without refusal, and changing any one field either changes the rendered
//! files or makes the render fail with a refusal that names that interface and setting.
//! What ifupdown treats the same (status, defaults it already has) must not change the
//! files. The host and the changes are every backend's (`util::fields`): their rows say what
//! ifupdown must do, and why where it is the same.

use netloom::backends::debian::Debian;

use crate::util::fields::{self, Native};

fields::walk_test!(Native::Debian);

#[test]
fn the_base_host_renders_to_these_files() {
    // The walk above only proves differences; this pins what the differences are from.
    let files = fields::render(&Debian, &fields::host(Native::Debian)).unwrap();
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert!(names.contains(&"etc/network/interfaces.d/br0"), "{names:?}");
    let br0 = fields::file(&files, "etc/network/interfaces.d/br0");
    assert!(
        br0.ends_with(
            "iface br0 inet manual\n    mtu 9000\n    bridge-ports eth4 eth8 eth5.9 bond2\n    \
             bridge-stp on\n    bridge-fd 2\n    bridge-bridgeprio 100\n    bridge-hello 3\n    \
             bridge-maxage 12\n    bridge-ageing 30\n    pre-up ifup eth4\n    pre-up ifup eth5.9\n    \
             pre-up ifup bond2\n    post-down ifdown eth4\n    post-down ifdown eth5.9\n    \
             post-down ifdown bond2\n\n\
             iface eth4 inet manual\n    hwaddress ether 52:54:00:00:00:04\n    mtu 9000\n\n\
             iface eth5.9 inet manual\n    mtu 9000\n    vlan-raw-device eth5\n\n\
             iface bond2 inet manual\n    mtu 9000\n    bond-slaves eth6\n    bond-mode 802.3ad\n"
        ),
        "{br0}"
    );
    let eth0 = fields::file(&files, "etc/network/interfaces.d/eth0");
    assert!(
        eth0.ends_with(
            "auto eth0\n\
             iface eth0 inet static\n    address 192.0.2.10/24\n    gateway 192.0.2.1\n    \
             hwaddress ether 52:54:00:00:00:01\n    mtu 1500\n\n\
             iface eth0 inet dhcp\n\n\
             iface eth0 inet6 static\n    address 2001:db8::10/64\n    gateway 2001:db8::1\n    \
             accept_ra 1\n    autoconf 1\n\n\
             iface eth0 inet6 static\n    address 2001:db8::11/64\n    autoconf 1\n\n\
             iface eth0 inet6 dhcp\n    autoconf 1\n"
        ),
        "{eth0}"
    );
}
