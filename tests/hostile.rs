//! Hostile text through the real binary: values from ifcfg files, keyfiles, XML, file names
//! and arguments that hold carriage returns, escape sequences, line feeds and bidirectional
//! overrides reach standard output and standard error escaped (`\r`, `\u{1b}`, `\u{202e}`),
//! never raw, so a file cannot rewrite what the terminal shows.

use std::path::Path;

use crate::util::{Run, netloom};

/// The characters of Unicode's bidirectional marks, embeddings, overrides and isolates.
const BIDI: [char; 12] = [
    '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

/// Fails when either stream holds a character a terminal must not receive raw: any control
/// character but the line feeds that end netloom's own lines, or a bidirectional control.
fn assert_clean(run: &Run) {
    assert_text_clean("stdout", &run.stdout);
    assert_text_clean("stderr", &run.stderr);
}

fn assert_text_clean(what: &str, text: &str) {
    let raw = text
        .char_indices()
        .find(|&(_, c)| (c.is_control() && c != '\n') || BIDI.contains(&c));
    if let Some((at, c)) = raw {
        panic!("raw {c:?} at byte {at} of {what}:\n{text:?}");
    }
}

/// The one line of `text` that holds `needle`, which must be there: a value's line feed
/// shown raw would split it over two lines.
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line holds {needle:?}:\n{text}"))
}

/// Runs `netloom --root ROOT ARGS` in the root.
fn nl(root: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--root", root.to_str().unwrap()];
    all.extend_from_slice(args);
    netloom(&all, root, None)
}

fn scripts(root: &Path) -> std::path::PathBuf {
    let dir = root.join("etc/sysconfig/network-scripts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn an_ifcfg_value_with_a_carriage_return_and_an_escape_sequence_is_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        scripts(dir.path()).join("ifcfg-eth0"),
        "DEVICE=\"eth0\r\x1b[2J\"\nBOOTPROTO=none\n",
    )
    .unwrap();
    for verb in ["list", "import"] {
        let run = nl(dir.path(), &["--backend", "ifcfg", verb]);
        assert_eq!(run.code, 2, "{verb}: {}", run.stderr);
        assert_clean(&run);
        line_with(
            &run.stderr,
            "ifcfg-eth0:1:8: invalid DEVICE 'eth0\\r\\u{1b}[2J'",
        );
    }
}

#[test]
fn a_bad_ifcfg_value_with_line_breaks_stays_on_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        scripts(dir.path()).join("ifcfg-eth0"),
        "DEVICE=eth0\nIPADDR=\"1.2.3.4\rX\nY\"\nPREFIX=24\n",
    )
    .unwrap();
    let run = nl(dir.path(), &["--backend", "ifcfg", "import"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_clean(&run);
    let line = line_with(&run.stderr, "invalid IPADDR '1.2.3.4\\rX\\nY'");
    assert!(line.contains("expected"), "{line}");
    // The layout alone: message, source line, caret, summary.
    assert_eq!(run.stderr.lines().count(), 4, "{}", run.stderr);
}

#[test]
fn a_file_name_found_under_the_root_is_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        scripts(dir.path()).join("ifcfg-e\x1b]0;pwned\x07"),
        "DEVICE=eth0\nIPADDR=1.2.3.400\n",
    )
    .unwrap();
    let run = nl(dir.path(), &["--backend", "ifcfg", "list"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_clean(&run);
    line_with(
        &run.stderr,
        "ifcfg-e\\u{1b}]0;pwned\\u{7}:2:8: invalid IPADDR",
    );
}

#[test]
fn keyfile_escapes_that_decode_to_line_breaks_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let keyfiles = dir.path().join("etc/NetworkManager/system-connections");
    std::fs::create_dir_all(&keyfiles).unwrap();
    let file = keyfiles.join("a.nmconnection");
    std::fs::write(
        &file,
        "[connection]\nid=a\\rb\ntype=ethernet\ninterface-name=eth\\r\\n\\t0\n",
    )
    .unwrap();
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o600);
    std::fs::set_permissions(&file, mode).unwrap();
    let run = nl(
        dir.path(),
        &["--backend", "nm", "--live-mode", "never", "list"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_clean(&run);
    line_with(
        &run.stderr,
        "a.nmconnection:4:16: invalid interface-name 'eth\\r\\n\\t0'",
    );
}

#[test]
fn a_guest_name_with_a_carriage_return_is_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["port", "plug", "vm.xml", "--guest", "g\rX"][..],
        &["port", "unplug", "--guest", "\x1b[2Jg\rX"],
    ] {
        let run = nl(dir.path(), args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_clean(&run);
        line_with(&run.stderr, "netloom: error: --guest '");
        assert!(run.stderr.contains("g\\rX'"), "{}", run.stderr);
    }
}

#[test]
fn file_names_given_on_the_command_line_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let good = "ok\x1b[2J\r.xml";
    let bad = "bad\r\x1b[31m\u{202e}.xml";
    std::fs::write(
        dir.path().join(good),
        "<interface type='ethernet' name='eth0'/>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(bad),
        "<interface type='ethernet' name='eth1'><mtu size='x'/></interface>",
    )
    .unwrap();
    let run = netloom(&["validate", good, bad, "gone\n.xml"], dir.path(), None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_clean(&run);
    assert_eq!(run.stdout, "ok\\u{1b}[2J\\r.xml: ok\n");
    line_with(&run.stderr, "bad\\r\\u{1b}[31m\\u{202e}.xml:1:");
    line_with(&run.stderr, "gone\\n.xml: cannot read: ");
    assert!(
        run.stderr.ends_with("2 problems in 2 files\n"),
        "{}",
        run.stderr
    );

    // The same names in a `net define`, its message and the history that records it.
    let net = "net\r\x1b[2J.xml";
    std::fs::write(
        dir.path().join(net),
        "<network><name>n1</name><forward mode='bridge'/><bridge name='br9'/></network>",
    )
    .unwrap();
    let run = nl(dir.path(), &["net", "define", net]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_clean(&run);
    assert_eq!(run.stdout, "Network n1 defined from net\\r\\u{1b}[2J.xml\n");
    let run = nl(dir.path(), &["history"]);
    assert_clean(&run);
    line_with(&run.stdout, "net define net\\r\\u{1b}[2J.xml");
}

#[test]
fn a_bidirectional_override_in_a_network_name_is_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\u{202e}lmx.exe";
    let shown = "evil\\u{202e}lmx.exe";
    std::fs::write(
        dir.path().join("n.xml"),
        format!(
            "<network><name>{name}</name><forward mode='bridge'/><bridge name='br9'/></network>"
        ),
    )
    .unwrap();
    let run = nl(dir.path(), &["net", "define", "n.xml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_clean(&run);
    assert_eq!(run.stdout, format!("Network {shown} defined from n.xml\n"));

    let run = nl(dir.path(), &["net", "list", "--all"]);
    assert_clean(&run);
    let row = line_with(&run.stdout, shown);
    assert!(row.contains("inactive") && row.contains("br9"), "{row}");

    let run = nl(dir.path(), &["history"]);
    assert_clean(&run);
    line_with(&run.stdout, &format!("etc/netloom/networks/{shown}.xml"));

    let run = nl(dir.path(), &["net", "start", name]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_clean(&run);
    assert_eq!(run.stdout, format!("Network {shown} started\n"));

    // A running network is a row of `port list`'s table, as wide as it is shown.
    let run = nl(dir.path(), &["port", "list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_clean(&run);
    let row = line_with(&run.stdout, shown);
    let head = line_with(&run.stdout, "Network");
    let count = row[shown.len()..].find('0').map(|at| shown.len() + at);
    assert_eq!(count, head.find("Connections"), "{}", run.stdout);

    for (args, out) in [
        (["net", "stop", name], format!("Network {shown} stopped\n")),
        (
            ["net", "undefine", name],
            format!("Network {shown} has been undefined\n"),
        ),
    ] {
        let run = nl(dir.path(), &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_clean(&run);
        assert_eq!(run.stdout, out);
    }
    let run = nl(dir.path(), &["net", "dumpxml", name]);
    assert_eq!(run.code, 2);
    assert_clean(&run);
    line_with(&run.stderr, &format!("no network named '{shown}'"));
}

#[test]
fn file_headers_of_render_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("n.xml"),
        "<network><name>a\u{202e}b</name><bridge name='virbr9'/>\
         <ip address='10.9.0.1' prefix='24'/></network>",
    )
    .unwrap();
    let run = netloom(
        &["net", "render", "--firewall", "none", "n.xml"],
        dir.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_text_clean("stderr", &run.stderr);
    // The headers are shown; the bodies are the files' bytes, as they would be written.
    let headers: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("==> "))
        .collect();
    assert_eq!(headers.len(), 3, "{}", run.stdout);
    for header in headers {
        assert_text_clean("a header", header);
    }
    line_with(
        &run.stdout,
        "==> var/lib/netloom/dnsmasq/a\\u{202e}b.conf <==",
    );
    line_with(&run.stdout, "virsh net-edit a\u{202e}b");
}

#[test]
fn a_bidirectional_override_in_an_xml_source_line_does_not_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let line = "<interface type='ethernet' name='e\u{202e}th0'/>";
    std::fs::write(dir.path().join("i.xml"), line).unwrap();
    let run = netloom(&["validate", "i.xml"], dir.path(), None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_clean(&run);
    // The source line keeps one column per character, so the caret still points where the
    // position says.
    let lines: Vec<&str> = run.stderr.lines().collect();
    let (source, caret) = (lines[1], lines[2]);
    assert!(source.contains("e\u{fffd}th0"), "{source}");
    let col: usize = lines[0]
        .strip_prefix("i.xml:1:")
        .and_then(|rest| rest.split(':').next())
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{}", lines[0]));
    let at = caret.chars().position(|c| c == '^').unwrap();
    let shown = |c: char| if c == '\u{202e}' { '\u{fffd}' } else { c };
    assert_eq!(
        source.chars().nth(at),
        line.chars().nth(col - 1).map(shown),
        "{source}\n{caret}"
    );
}

#[test]
fn arguments_clap_refuses_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["no\x1b[2J\r"], "'no\\u{1b}[2J\\r'"),
        (vec!["validate", "--x\x1b[2J\r"], "'--x\\u{1b}[2J\\r'"),
        (vec!["apply", "--confirm", "1\r\n", "f"], "'1\\r\\n'"),
        (vec!["net", "list", "--format", "j\u{202e}"], "'j\\u{202e}'"),
    ] {
        let run = netloom(&args, dir.path(), None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_clean(&run);
        line_with(&run.stderr, needle);
    }
}

#[test]
fn xml_output_writes_what_a_terminal_would_act_on_as_character_references() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("n.xml"),
        "<network><name>a\u{202e}b</name><bridge name='virbr9'/>\
         <ip address='10.9.0.1' prefix='24'/></network>",
    )
    .unwrap();
    let run = netloom(&["dumpxml", "n.xml"], dir.path(), None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_clean(&run);
    line_with(&run.stdout, "<name>a&#x202E;b</name>");
    // The same XML means the same network: read back, it names the same network.
    std::fs::write(dir.path().join("again.xml"), &run.stdout).unwrap();
    let again = netloom(&["dumpxml", "again.xml"], dir.path(), None);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, run.stdout);
}
