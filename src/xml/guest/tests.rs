//! The guest reader's own cases; whole documents are in `tests/port_xml.rs`.

use super::*;
use crate::model::guest::GuestType;

fn read(text: &str) -> Result<Guest, String> {
    read_guest(&SourceFile::new("g.xml", text)).map_err(|e| e.to_string())
}

/// The `file:line:col: message` lines of a refusal.
fn refusals(text: &str) -> Vec<String> {
    read(text)
        .expect_err("must be refused")
        .lines()
        .filter(|l| l.starts_with("g.xml:"))
        .map(str::to_owned)
        .collect()
}

fn assert_refused(text: &str, want: &[&str]) {
    let got = refusals(text);
    assert_eq!(got.len(), want.len(), "{text}\n{got:#?}");
    for (line, want) in got.iter().zip(want) {
        assert!(line.starts_with(want), "{line}\nwanted {want}");
    }
}

#[test]
fn a_source_of_another_kind_is_named_with_what_the_type_expects() {
    assert_refused(
        "<interface type='bridge'>\n  <source network='default'/>\n</interface>",
        &[
            "g.xml:2:11: <source network> is for <interface type='network'>; <interface type='bridge'> expects <source bridge>",
        ],
    );
    assert_refused(
        "<interface type='direct'>\n  <source bridge='br0' mode='vepa'/>\n</interface>",
        &[
            "g.xml:2:11: <source bridge> is for <interface type='bridge'>; <interface type='direct'> expects <source dev> (mode optional)",
        ],
    );
    assert_refused(
        "<interface type='client'>\n  <source dev='eth0'/>\n</interface>",
        &[
            "g.xml:2:11: <source dev> is for <interface type='direct'>; <interface type='client'> expects <source address port>",
        ],
    );
    assert_refused(
        "<interface type='network'>\n  <source address='10.0.0.1' port='1' color='red'/>\n</interface>",
        &[
            "g.xml:2:11: <source address> is for <interface type='server'>, 'client' or 'mcast'; <interface type='network'> expects <source network> (portgroup and portid optional)",
            "g.xml:2:30: <source port> is for",
            "g.xml:2:39: unknown attribute 'color' on <source> of <interface type='network'>",
        ],
    );
    assert_refused(
        "<interface type='user'>\n  <source network='default'/>\n</interface>",
        &["g.xml:2:3: <interface type='user'> takes no <source>"],
    );
}

#[test]
fn actual_is_only_for_network_interfaces_and_is_checked_by_its_type() {
    assert_refused(
        "<interface type='bridge'>\n  <source bridge='br0'/>\n  <actual type='bridge'>\n    <source bridge='br0'/>\n  </actual>\n</interface>",
        &["g.xml:3:3: <actual> is only for <interface type='network'>, not type 'bridge'"],
    );
    let net = |actual: &str| {
        format!("<interface type='network'>\n  <source network='n'/>\n{actual}</interface>\n")
    };
    assert_refused(
        &net("  <actual type='bridge' managed='yes'>\n    <driver name='vfio'/>\n  </actual>\n"),
        &[
            "g.xml:3:3: <actual type='bridge'> needs a <source>",
            "g.xml:3:25: unknown attribute 'managed' on <actual type='bridge'>",
            "g.xml:4:5: unknown element <driver> in <actual type='bridge'>",
        ],
    );
    assert_refused(
        &net(
            "  <actual type='hostdev' managed='maybe'>\n    <driver name='pci-stub'/>\n    <source>\n      <address type='usb' slot='0x20'/>\n    </source>\n  </actual>\n",
        ),
        &[
            "g.xml:3:35: invalid managed 'maybe' on <actual type='hostdev'>",
            "g.xml:4:19: invalid name 'pci-stub' on <driver>: expected 'kvm', 'vfio' or 'xen'",
            "g.xml:6:22: invalid type 'usb' on <actual><source><address>: expected 'pci'",
            "g.xml:6:33: invalid slot '0x20' on <actual><source><address>",
        ],
    );
    assert_refused(
        &net(
            "  <actual type='direct'>\n    <source dev='eth0'/>\n    <virtualport/>\n  </actual>\n  <actual type='tap'/>\n",
        ),
        &[
            "g.xml:5:5: <virtualport> is missing the required attribute 'type'",
            "g.xml:7:3: <actual> appears more than once in <interface>",
        ],
    );
}

#[test]
fn settings_are_read_as_libvirt_keeps_them() {
    let text = "<interface type='network'>\n  <source network='n'/>\n  <bandwidth/>\n  <vlan trunk='no'>\n    <tag id='5'/>\n  </vlan>\n  <port/>\n</interface>\n";
    let guest = read(text).unwrap();
    let i = &guest.interfaces[0];
    assert_eq!((i.bandwidth, i.port), (None, None));
    assert_eq!(i.vlan.as_ref().unwrap().trunk, None);
    let out = guest_to_xml(&guest);
    assert_eq!(
        out,
        "<interface type='network'>\n  <source network='n'/>\n  <vlan>\n    <tag id='5'/>\n  </vlan>\n</interface>\n"
    );
    assert_eq!(read(&out).unwrap(), guest);

    let trunk = "<interface type='user'>\n  <vlan>\n    <tag id='1'/>\n    <tag id='2'/>\n  </vlan>\n</interface>\n";
    let guest = read(trunk).unwrap();
    assert_eq!(guest.interfaces[0].vlan.as_ref().unwrap().trunk, Some(true));
    assert_eq!(read(&guest_to_xml(&guest)).unwrap(), guest);
}

#[test]
fn a_guest_is_written_in_the_form_it_was_read() {
    let one = read("<interface type='user'/>").unwrap();
    assert_eq!(one.form, GuestForm::Interface);
    assert_eq!(guest_to_xml(&one), "<interface type='user'/>\n");
    let mut two = one.clone();
    two.interfaces.push(GuestInterface::new(
        GuestType::Ethernet,
        crate::model::guest::GuestSource::Nothing,
    ));
    let out = guest_to_xml(&two);
    assert_eq!(
        out,
        "<devices>\n  <interface type='user'/>\n  <interface type='ethernet'/>\n</devices>\n"
    );
    assert_eq!(read(&out).unwrap().interfaces, two.interfaces);
    let empty = read("<devices/>").unwrap();
    assert_eq!(
        (empty.form, empty.interfaces.len()),
        (GuestForm::Devices, 0)
    );
    assert_eq!(guest_to_xml(&empty), "<devices/>\n");
    let bare = read("<domain><name>x</name></domain>").unwrap();
    assert_eq!(
        guest_to_xml(&bare),
        "<domain>\n  <name>x</name>\n  <devices/>\n</domain>\n"
    );
}

#[test]
fn roots_names_and_malformed_documents_are_refused() {
    assert_refused(
        "<domain xmlns='urn:x'><name>x</name></domain>",
        &["g.xml:1:1: element <domain> is in namespace 'urn:x'"],
    );
    assert_refused(
        "<domain>\n  <uuid>not-a-uuid</uuid>\n  <devices/>\n  <devices/>\n</domain>",
        &[
            "g.xml:1:1: <domain> needs a <name>",
            "g.xml:2:9: invalid <uuid> 'not-a-uuid'",
            "g.xml:4:3: <devices> appears more than once in <domain>",
        ],
    );
    assert_refused("<interface type='user'>", &["g.xml:1:24: malformed XML"]);
}

#[test]
fn scripts_are_for_ethernet_nics_with_absolute_paths() {
    let g = read(
        "<interface type='ethernet'><target dev='vnet5'/>\
         <script path='/etc/qemu-ifup'/><downscript path='/etc/qemu-ifdown'/></interface>",
    )
    .unwrap();
    let i = &g.interfaces[0];
    assert_eq!(
        i.script.as_ref().map(|p| p.as_str()),
        Some("/etc/qemu-ifup")
    );
    assert_eq!(
        i.downscript.as_ref().map(|p| p.as_str()),
        Some("/etc/qemu-ifdown")
    );
    // Written before <target>, as libvirt orders them, and read back the same.
    let xml = guest_to_xml(&g);
    assert!(
        xml.contains(
            "<script path='/etc/qemu-ifup'/>\n  <downscript path='/etc/qemu-ifdown'/>\n  <target dev='vnet5'/>"
        ),
        "{xml}"
    );
    assert_eq!(read(&xml).unwrap(), g);
    assert_refused(
        "<interface type='ethernet'>\n  <script path='qemu-ifup'/>\n</interface>",
        &["g.xml:2:17: invalid path 'qemu-ifup' on <script>: expected an absolute path"],
    );
    assert_refused(
        "<interface type='bridge'><source bridge='br0'/>\n  <downscript path='/bin/true'/>\n</interface>",
        &["g.xml:2:3: <downscript> is only for <interface type='ethernet'>, not type 'bridge'"],
    );
    assert_refused(
        "<interface type='ethernet'>\n  <script path='/x' mode='1'/>\n</interface>",
        &["g.xml:2:"],
    );
}

#[test]
fn a_script_to_plug_must_be_an_executable_file_here() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::write(&plain, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    let text = format!(
        "<devices>\n<interface type='ethernet'><script path='{}'/></interface>\n\
         <interface type='ethernet'><downscript path='{}'/></interface>\n\
         <interface type='ethernet'><script path='/bin/true'/></interface>\n\
         <interface type='ethernet'><script path='/nonexistent/ifup'/></interface>\n</devices>",
        plain.display(),
        dir.path().display()
    );
    let file = SourceFile::new("g.xml", text.as_str());
    assert!(read_guest(&file).is_ok());
    let err = check_scripts(&file).unwrap_err().to_string();
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("g.xml:")).collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines[0].starts_with("g.xml:2:42: invalid path"), "{err}");
    assert!(
        lines[0].ends_with("expected an executable file; it is not executable (mode 0644)"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("g.xml:3:46: ") && lines[1].ends_with("it is not a regular file"),
        "{err}"
    );
    assert!(
        lines[2].starts_with("g.xml:5:42: ") && lines[2].ends_with("there is no such file"),
        "{err}"
    );
}
