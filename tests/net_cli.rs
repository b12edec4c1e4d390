//! `netloom net render`: the files of a network, printed or written under a root, checked by
//! the real dnsmasq; bad input writes nothing.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::{self, netloom};

fn example() -> String {
    util::repo()
        .join("examples/network.xml")
        .display()
        .to_string()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().display().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn render_prints_every_file_of_the_example_under_a_header() {
    let r = netloom(&["net", "render", &example()], &util::repo(), None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for header in [
        "==> var/lib/netloom/dnsmasq/default.addnhosts <==",
        "==> var/lib/netloom/dnsmasq/default.conf <==",
        "==> var/lib/netloom/dnsmasq/default.hostsfile <==",
        "==> var/lib/netloom/firewall/default.iptables <==",
        "==> var/lib/netloom/firewall/default.ip6tables <==",
        "==> var/lib/netloom/firewall/default.nft <==",
    ] {
        assert!(r.stdout.contains(header), "{header} missing:\n{}", r.stdout);
    }
    for line in [
        "\ninterface=virbr0\n",
        "\ndhcp-hostsfile=/var/lib/netloom/dnsmasq/default.hostsfile\n",
        "\ndhcp-range=192.168.122.100,192.168.122.254,255.255.255.0,1h\n",
        "\n52:54:00:6b:3c:58,192.168.122.10,build1\n",
        "\n192.168.122.1\tgateway\t\n",
    ] {
        assert!(r.stdout.contains(line), "{line:?} missing:\n{}", r.stdout);
    }
}

#[test]
fn render_out_writes_the_files_with_their_modes_and_dnsmasq_accepts_the_conf() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let r = netloom(
        &[
            "net",
            "render",
            &example(),
            "--out",
            &out,
            "--firewall",
            "iptables",
        ],
        &util::repo(),
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        listing(dir.path()),
        [
            "var/lib/netloom/dnsmasq/default.addnhosts",
            "var/lib/netloom/dnsmasq/default.conf",
            "var/lib/netloom/dnsmasq/default.hostsfile",
            "var/lib/netloom/firewall/default.ip6tables",
            "var/lib/netloom/firewall/default.iptables",
        ]
    );
    let conf = dir.path().join("var/lib/netloom/dnsmasq/default.conf");
    let mode = std::fs::metadata(&conf).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the conf is private, as libvirt writes it");
    if !have_dnsmasq() {
        return;
    }
    let test = util::tools::command("dnsmasq")
        .arg("--test")
        .arg(format!("--conf-file={}", conf.display()))
        .output()
        .unwrap();
    assert!(
        test.status.success(),
        "dnsmasq --test refused the conf: {}",
        String::from_utf8_lossy(&test.stderr)
    );
}

fn have_dnsmasq() -> bool {
    util::runnable(
        "dnsmasq --test of the rendered conf",
        util::tools::absent("dnsmasq"),
    )
}

#[test]
fn firewall_none_renders_only_dnsmasq_and_nftables_only_the_nft_script() {
    let dir = tempfile::tempdir().unwrap();
    let r = netloom(
        &["net", "render", &example(), "--firewall", "none"],
        dir.path(),
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !r.stdout.contains("var/lib/netloom/firewall/"),
        "{}",
        r.stdout
    );
    let r = netloom(
        &["net", "render", &example(), "--firewall", "nftables"],
        dir.path(),
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("default.nft <=="), "{}", r.stdout);
    assert!(!r.stdout.contains("iptables <=="), "{}", r.stdout);
}

#[test]
fn a_smuggled_line_break_is_refused_at_its_position_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example())
        .unwrap()
        .replace("name='build1'", "name='build1&#10;dhcp-script=/tmp/x'");
    let file = dir.path().join("bad.xml");
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    let r = netloom(
        &["net", "render", "bad.xml", "--out", out.to_str().unwrap()],
        dir.path(),
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("bad.xml:24:"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(!out.exists(), "nothing may be written for bad input");
}

#[test]
fn a_relative_dnsmasq_dir_is_a_usage_error() {
    let r = netloom(
        &["net", "render", &example(), "--dnsmasq-dir", "var/lib"],
        &util::repo(),
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--dnsmasq-dir"), "{}", r.stderr);
}
