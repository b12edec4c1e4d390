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
    assert_dnsmasq_accepts(&conf);
}

/// The real dnsmasq checks the conf (`dnsmasq --test`), where it is installed.
fn assert_dnsmasq_accepts(conf: &Path) {
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

/// A `--dnsmasq-dir` long enough to push a hosts file's line past dnsmasq's 1024 bytes (for
/// the longest name written the longest way) is refused before anything is made; the longest
/// one accepted keeps that line whole.
#[test]
fn a_dnsmasq_dir_too_long_for_a_dnsmasq_line_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    // The longest network name written the longest way: a comma makes the value quoted,
    // and each of the 244 backslashes is then doubled.
    let name = ",".to_owned() + &"\\".repeat(244);
    let xml = lab(
        &name,
        "",
        "<dhcp><range start='192.168.9.2' end='192.168.9.9'/></dhcp>",
        "",
    );
    std::fs::write(dir.path().join("n.xml"), xml).unwrap();
    let render = |dnsmasq_dir: &str, out: &str| {
        netloom(
            &[
                "net",
                "render",
                "n.xml",
                "--dnsmasq-dir",
                dnsmasq_dir,
                "--out",
                out,
            ],
            dir.path(),
            None,
        )
    };
    let too_long = "/".to_owned() + &"d".repeat(507);
    let r = render(&too_long, "refused");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--dnsmasq-dir") && r.stderr.contains("line could be 1025 bytes"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("refused").exists());
    let longest = "/".to_owned() + &"d".repeat(506);
    let r = render(&longest, "out");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let confs = listing(&dir.path().join("out"));
    let conf = confs.iter().find(|p| p.ends_with(".conf")).unwrap();
    let text = std::fs::read_to_string(dir.path().join("out").join(conf)).unwrap();
    let hosts = text
        .lines()
        .find(|l| l.starts_with("dhcp-hostsfile="))
        .unwrap();
    assert_eq!(hosts.len(), 1024, "{hosts}");
}

/// `net render NAME.xml --out DIR` in a scratch directory: the run, and whether anything
/// (even an empty directory) was made under DIR.
fn render_out(xml: &str) -> (util::Run, Vec<String>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("n.xml"), xml).unwrap();
    let out = dir.path().join("out");
    let r = netloom(
        &["net", "render", "n.xml", "--out", out.to_str().unwrap()],
        dir.path(),
        None,
    );
    let made = if out.exists() {
        listing(&out)
    } else {
        Vec::new()
    };
    (r, made, dir)
}

/// The network of the examples with `name` and `extra` inside its `<ip>`.
fn lab(name: &str, dns: &str, ip: &str, tail: &str) -> String {
    format!(
        "<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>\n\
         <name>{name}</name>\n<forward mode='nat'/>\n<bridge name='virbr9'/>\n{dns}\n\
         <ip address='192.168.9.1' prefix='24'>\n{ip}\n</ip>\n{tail}\n</network>\n"
    )
}

#[test]
fn a_name_too_long_for_its_files_is_refused_where_it_is_written_and_nothing_is_made() {
    // The case of the report: 255 bytes passed validate, then failed at the first file.
    let (r, made, dir) = render_out(&lab(&"a".repeat(255), "", "", ""));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("n.xml:2:7: invalid <name>"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("1 to 245 bytes"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(!dir.path().join("out").exists(), "made {made:?}");
    // 41 apostrophes are 41 bytes, but 246 as a file name (&apos;).
    let (r, _, dir) = render_out(&lab(&"'".repeat(41), "", "", ""));
    assert_eq!(r.code, 2, "{}", r.stderr);
    crate::util::assert_contains(&r.stderr, "this one is 246 bytes as a file name");
    assert!(!dir.path().join("out").exists());
    // The longest name there is renders every file, the longest of them 255 bytes.
    let longest = "'".repeat(40) + "lab12";
    let (r, made, _dir) = render_out(&lab(&longest, "", "", ""));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(made.len(), 5, "{made:?}");
    let widest = made
        .iter()
        .map(|p| p.rsplit('/').next().unwrap().len())
        .max();
    assert_eq!(widest, Some(255), "{made:?}");
}

#[test]
fn a_value_that_would_spill_over_a_dnsmasq_line_is_refused_where_it_is_written() {
    let smuggle = "x".repeat(757 - "dhcp-script=/tmp/x".len() + 1) + "dhcp-script=/tmp/x";
    let xml = lab(
        "lab",
        &format!("<dns><txt name='t' value='{smuggle}'/></dns>"),
        &format!(
            "<tftp root='/{}'/>\n<dhcp><bootp file='{}'/></dhcp>",
            "r".repeat(757),
            "\"".repeat(379)
        ),
        &format!(
            "<dnsmasq:options><dnsmasq:option value='txt-record=u,{}'/></dnsmasq:options>",
            "o".repeat(1024 - 13 + 1)
        ),
    );
    let (r, made, _dir) = render_out(&xml);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(made.is_empty(), "{made:?}");
    let problems: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("n.xml:"))
        .collect();
    let want = [
        ("n.xml:5:27: invalid value", "at most 757 bytes"),
        ("n.xml:7:13: invalid root", "this one is 758"),
        ("n.xml:8:20: invalid file", "('\"' and '\\' count twice)"),
        ("n.xml:10:41: invalid value", "of at most 1024 bytes"),
    ];
    assert_eq!(problems.len(), want.len(), "{}", r.stderr);
    for (line, (start, part)) in problems.iter().zip(want) {
        assert!(
            line.starts_with(start) && line.contains(part),
            "{line}\nwanted {start}…{part}"
        );
    }
}

#[test]
fn the_longest_values_accepted_keep_every_dnsmasq_line_whole() {
    let name = ["a", "b", "c"].map(|l| l.repeat(63)).join(".") + "." + &"d".repeat(61);
    assert_eq!(name.len(), 253);
    // Each value is 757 bytes as written: quotes and backslashes are escaped.
    let txt = "\"".repeat(378) + "x";
    let file = "\"".to_owned() + &"\\".repeat(377) + "f";
    let option = format!("txt-record=z,{}", "y".repeat(1024 - 13));
    let xml = lab(
        "lab",
        &format!("<dns><txt name='{name}' value='{txt}'/></dns>"),
        &format!(
            "<tftp root='/{}'/>\n<dhcp><range start='192.168.9.2' end='192.168.9.9'/>\
             <bootp file='{file}' server='{name}'/></dhcp>",
            "r".repeat(756)
        ),
        &format!("<dnsmasq:options><dnsmasq:option value='{option}'/></dnsmasq:options>"),
    );
    let (r, made, dir) = render_out(&xml);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        made.contains(&"var/lib/netloom/dnsmasq/lab.conf".to_owned()),
        "{made:?}"
    );
    let conf = dir.path().join("out/var/lib/netloom/dnsmasq/lab.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let widest = text.lines().map(str::len).max().unwrap();
    assert_eq!(
        widest, 1024,
        "the widest line is exactly what dnsmasq reads"
    );
    for start in [
        "txt-record=aaa",
        "tftp-root=/rrr",
        "dhcp-boot=\"\\\"",
        "txt-record=z,yyy",
    ] {
        let line = text.lines().find(|l| l.starts_with(start));
        assert!(line.is_some_and(|l| l.len() >= 767), "{start}…:\n{text}");
    }
    assert_dnsmasq_accepts(&conf);
}
