//! The command line as a user meets it: outputs, exit codes, standard input, help.

use crate::util::{netloom, repo};

fn data() -> std::path::PathBuf {
    repo().join("tests/data")
}

#[test]
fn validate_prints_ok_per_file_and_exits_0() {
    let run = netloom(
        &[
            "validate",
            "interfaces/bond-8023ad.xml",
            "interfaces/vlan-named.xml",
        ],
        &data(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "interfaces/bond-8023ad.xml: ok\ninterfaces/vlan-named.xml: ok\n"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn validate_reports_bad_files_and_still_passes_good_ones() {
    let run = netloom(
        &[
            "validate",
            "interfaces/vlan-named.xml",
            "invalid/bad-mac.xml",
            "no/such.xml",
        ],
        &data(),
        None,
    );
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "interfaces/vlan-named.xml: ok\n");
    crate::util::assert_contains(&run.stderr, "no/such.xml: cannot read: ");
    crate::util::assert_contains(&run.stderr, "invalid/bad-mac.xml:3:19: invalid address");
    assert!(
        run.stderr.ends_with("3 problems in 2 files\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn files_given_together_are_one_host() {
    // Each file is fine alone; together they define eth0 twice.
    let dir = tempfile::tempdir().unwrap();
    let a = "<interface type='ethernet' name='eth0'/>\n";
    let b = "<interface type='bridge' name='br0'>\n  <bridge>\n    <interface type='ethernet' name='eth0'/>\n  </bridge>\n</interface>\n";
    std::fs::write(dir.path().join("a.xml"), a).unwrap();
    std::fs::write(dir.path().join("b.xml"), b).unwrap();
    for f in ["a.xml", "b.xml"] {
        assert_eq!(netloom(&["validate", f], dir.path(), None).code, 0);
    }
    let run = netloom(&["validate", "a.xml", "b.xml"], dir.path(), None);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "a.xml: ok\n");
    assert!(
        run.stderr
            .starts_with("b.xml:3:5: interface 'eth0' is defined twice\n"),
        "{}",
        run.stderr
    );
    crate::util::assert_contains(&run.stderr, "= note: first defined at a.xml:1:1");
}

#[test]
fn dumpxml_of_several_files_keeps_their_order_inside_interfaces() {
    let run = netloom(
        &[
            "dumpxml",
            "interfaces/vlan-named.xml",
            "interfaces/dhcp-with-gateway.xml",
        ],
        &data(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let vlan = run.stdout.find("name='vlan42'").unwrap();
    let eth = run.stdout.find("name='eth1'").unwrap();
    assert!(
        run.stdout
            .starts_with("<interfaces>\n  <interface type='vlan'")
    );
    assert!(vlan < eth);
    // The parts are exactly each file's canonical form, indented.
    let alone = netloom(&["dumpxml", "interfaces/vlan-named.xml"], &data(), None).stdout;
    let indented: String = alone.lines().map(|l| format!("  {l}\n")).collect();
    assert!(run.stdout.contains(&indented), "{}", run.stdout);
}

#[test]
fn standard_input_is_read_for_dash() {
    let xml = std::fs::read(data().join("interfaces/shared-nic.xml")).unwrap();
    let run = netloom(&["validate", "-"], &data(), Some(&xml));
    assert_eq!((run.code, run.stdout.as_str()), (0, "<stdin>: ok\n"));

    let run = netloom(&["dumpxml", "-"], &data(), Some(&xml));
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .starts_with("<interface type='bridge' name='br0'>"),
        "{}",
        run.stdout
    );

    let run = netloom(
        &["validate", "-"],
        &data(),
        Some(b"<interface type='ethernet' name='a/b'/>"),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("<stdin>:1:34: invalid name 'a/b'"),
        "{}",
        run.stderr
    );

    let run = netloom(&["validate", "-", "-"], &data(), Some(&xml));
    assert_eq!(run.code, 2);
    crate::util::assert_contains(
        &run.stderr,
        "<stdin>: standard input is given more than once",
    );
}

#[test]
fn dumpxml_prints_nothing_when_any_input_is_bad() {
    let run = netloom(
        &[
            "dumpxml",
            "interfaces/vlan-named.xml",
            "invalid/bond-no-slaves.xml",
        ],
        &data(),
        None,
    );
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    crate::util::assert_contains(&run.stderr, "bond 'bond0' has no slaves");
}

#[test]
fn every_verb_has_help_with_an_example() {
    for verb in [
        &["--help"][..],
        &["validate", "--help"],
        &["dumpxml", "--help"],
    ] {
        let run = netloom(verb, &data(), None);
        assert_eq!(run.code, 0, "{verb:?}");
        assert!(
            run.stdout.contains("Examples:\n  netloom "),
            "{verb:?}: {}",
            run.stdout
        );
    }
}

/// Every verb and subverb clap defines (hidden ones aside) shows, after its options, an
/// example that runs it: the man pages are made from the same text.
#[test]
fn every_verb_and_subverb_has_an_example_of_itself() {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, path: &str, seen: &mut usize, missing: &mut Vec<String>) {
        *seen += 1;
        let after = (cmd.get_after_long_help())
            .or_else(|| cmd.get_after_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        let after = format!("\n{after}");
        let examples = after
            .split_once("\nExample")
            .map_or("", |(_, examples)| examples);
        let runs_itself = examples
            .lines()
            .skip(1)
            .any(|l| l.starts_with("  ") && (l.contains(&format!("{path} ")) || l.ends_with(path)));
        if !runs_itself {
            missing.push(path.to_owned());
        }
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, &format!("{path} {}", sub.get_name()), seen, missing);
        }
    }
    let (mut seen, mut missing) = (0, Vec::new());
    walk(
        &netloom::cli::Cli::command(),
        "netloom",
        &mut seen,
        &mut missing,
    );
    assert!(seen > 30, "only {seen} commands walked");
    assert!(
        missing.is_empty(),
        "no example of itself in the help of: {missing:?}"
    );
}

/// Each verb takes only the options that mean something to it: another is a usage error,
/// after the verb or before it, and nothing runs. Before the verb, the options a verb takes
/// still work, as they did when they were global.
#[test]
fn a_verb_refuses_an_option_it_does_not_take() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path().to_str().unwrap();
    let host = repo().join("examples/host.xml");
    let host = host.to_str().unwrap();
    for args in [
        &["validate", "--backend", "bogus", host][..],
        &["--backend", "ifcfg", "validate", host],
        &["validate", "--root", r, host],
        &["dumpxml", "--live-mode", "never", host],
        &["history", "--root", r, "--backend", "ifcfg"],
        &["--backend", "ifcfg", "history", "--root", r],
        &["backends", "--live-mode", "never", "--root", r],
        &["render", "--live-mode", "never", "--backend", "ifcfg", host],
        &["net", "render", "--root", r, host],
        &["--root", r, "net", "render", host],
        &["port", "qemu-args", "--root", r, host],
        &["--root", r, "--root", r, "history"],
    ] {
        let run = netloom(args, &data(), None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        // clap's words: "unexpected argument '--…'", or for an option that only goes
        // with another ("validate --backend" only with --fleet), "required arguments".
        assert!(
            run.stderr.contains("argument '--") || run.stderr.contains("required arguments"),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(run.stdout, "", "{args:?}");
    }
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    for args in [
        &["--root", r, "--backend", "ifcfg", "apply", "--yes", host][..],
        &["--root", r, "history"],
        &[&format!("--root={r}"), "net", "list"],
        &["net", "--root", r, "list", "--all"],
        &["--root", r, "port", "list"],
        &[
            "--max-input-size",
            "1M",
            "--root",
            r,
            "diff",
            "--backend",
            "ifcfg",
            host,
        ],
    ] {
        let run = netloom(args, &data(), None);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
    let history = netloom(&["history", "--root", r], &data(), None);
    assert!(history.stdout.starts_with("1  "), "{}", history.stdout);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["validate"],
        &["frobnicate"],
        &["dumpxml", "--bogus", "x.xml"],
    ] {
        let run = netloom(args, &data(), None);
        assert_eq!(run.code, 2, "{args:?}");
        assert_eq!(run.stdout, "", "{args:?}");
    }
}

#[test]
fn the_shipped_example_is_a_valid_host() {
    let run = netloom(&["validate", "examples/host.xml"], &repo(), None);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "examples/host.xml: ok\n"),
        "{}",
        run.stderr
    );
}

/// Runs netloom with standard output or standard error already closed by the reader, as in
/// `netloom validate … | grep -q ok` or `2>&1 >/dev/null | head -1`.
fn run_with_closed(args: &[&str], close_stdout: bool) -> (i32, String) {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netloom"));
    cmd.args(args).current_dir(data()).stdin(Stdio::null());
    let mut child = if close_stdout {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped())
    } else {
        cmd.stdout(Stdio::null()).stderr(Stdio::piped())
    }
    .spawn()
    .unwrap();
    let mut other = String::new();
    if close_stdout {
        drop(child.stdout.take());
        use std::io::Read;
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut other)
            .unwrap();
    } else {
        drop(child.stderr.take());
    }
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), other)
}

#[test]
fn a_closed_standard_output_does_not_hide_problems() {
    let args = [
        "validate",
        "interfaces/vlan-named.xml",
        "invalid/bad-mac.xml",
    ];
    let (code, stderr) = run_with_closed(&args, true);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("invalid/bad-mac.xml:3:19"), "{stderr}");
}

#[test]
fn a_closed_standard_error_still_exits_2_without_panicking() {
    let (code, _) = run_with_closed(&["validate", "invalid/many-problems.xml"], false);
    assert_eq!(code, 2);
}

#[test]
fn the_same_file_given_twice_is_named_as_such() {
    let run = netloom(
        &[
            "validate",
            "interfaces/whole-host.xml",
            "./interfaces/whole-host.xml",
        ],
        &data(),
        None,
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("./interfaces/whole-host.xml: this file is given more than once\n"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("defined twice"), "{}", run.stderr);
}

#[test]
fn thousands_of_problems_on_one_line_are_all_reported_in_short_snippets() {
    // A minified file: every problem is on line 1, which is 380 kB long.
    let n = 5_000;
    let xml = format!(
        "<interfaces>{}</interfaces>",
        "<interface type='ethernet' name='bad/name'/><interface type='ethernet' name='e'/>"
            .repeat(n)
    );
    let run = netloom(&["validate", "-"], &data(), Some(xml.as_bytes()));
    assert_eq!(run.code, 2);
    let expected = 2 * n - 1; // every bad name, and 'e' defined again n - 1 times
    assert!(
        run.stderr
            .ends_with(&format!("{expected} problems in 1 file\n")),
        "{}",
        &run.stderr[run.stderr.len() - 200..]
    );
    let longest = run.stderr.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest < 300, "a line of {longest} characters was printed");
    // Columns keep counting along the one line.
    let last_bad = xml.rfind("bad/name").unwrap() + 1;
    assert!(
        run.stderr
            .contains(&format!("<stdin>:1:{last_bad}: invalid name")),
        "last bad name not found"
    );
}

#[test]
fn an_endless_file_or_stream_is_refused_at_the_input_size_limit() {
    let run = netloom(&["validate", "/dev/zero"], &data(), None);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "/dev/zero: larger than the input size limit of 64 MiB (raise it with --max-input-size)\n\
         1 problem in 1 file\n"
    );
    // Standard input that never ends: reading stops one byte past the limit.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_netloom"))
        .args(["--max-input-size", "1M", "validate", "-"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "<stdin>: larger than the input size limit of 1 MiB (raise it with --max-input-size)\n\
         1 problem in 1 file\n"
    );
}

#[test]
fn the_input_size_limit_is_a_number_of_bytes_exact_to_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mut xml = String::from("<interface type='ethernet' name='eth0'/>\n");
    xml.push_str(&" ".repeat(1024 - xml.len()));
    std::fs::write(dir.path().join("host.xml"), &xml).unwrap();
    for (limit, ok) in [("1K", true), ("1024", true), ("1023", false), ("1k", true)] {
        let run = netloom(
            &["validate", "--max-input-size", limit, "host.xml"],
            dir.path(),
            None,
        );
        assert_eq!(run.code == 0, ok, "{limit}: {}", run.stderr);
    }
    let run = netloom(
        &["validate", "--max-input-size", "1023", "host.xml"],
        dir.path(),
        None,
    );
    assert_eq!(
        run.stderr,
        "host.xml: larger than the input size limit of 1023 bytes (raise it with --max-input-size)\n\
         1 problem in 1 file\n"
    );
    // The same from standard input.
    let run = netloom(
        &["validate", "--max-input-size", "1023", "-"],
        dir.path(),
        Some(xml.as_bytes()),
    );
    assert!(
        run.stderr
            .starts_with("<stdin>: larger than the input size limit of 1023 bytes")
    );
}

#[test]
fn a_size_that_is_not_one_is_a_usage_error() {
    for bad in ["12X", "0", "", "M", "-1", "1.5M", "99999999999G"] {
        let flag = format!("--max-input-size={bad}");
        let run = netloom(&[&flag, "validate", "x.xml"], &data(), None);
        assert_eq!(run.code, 2, "{bad}");
        assert!(
            run.stderr.starts_with(&format!(
                "error: invalid value '{bad}' for '--max-input-size <SIZE>': "
            )),
            "{bad}: {}",
            run.stderr
        );
    }
    let run = netloom(&["validate", "--help"], &data(), None);
    crate::util::assert_contains(&run.stdout, "--max-input-size <SIZE>");
    assert!(run.stdout.contains("[default: 64M]"), "{}", run.stdout);
}

#[test]
fn a_native_file_under_the_root_past_the_limit_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let scripts = dir.path().join("etc/sysconfig/network-scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    let mut ifcfg = String::from("DEVICE=eth0\nBOOTPROTO=dhcp\n");
    ifcfg.push_str(&"# padding\n".repeat(200));
    std::fs::write(scripts.join("ifcfg-eth0"), &ifcfg).unwrap();
    let root = dir.path().to_str().unwrap();
    let list = |limit: &str| {
        netloom(
            &[
                "list",
                "--backend",
                "ifcfg",
                "--root",
                root,
                "--max-input-size",
                limit,
            ],
            &data(),
            None,
        )
    };
    let run = list("64M");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = list("1K");
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        format!(
            "netloom: error: cannot read {}/ifcfg-eth0: larger than the input size limit of 1 KiB \
             (raise it with --max-input-size)\n",
            scripts.display()
        )
    );
}

/// `validate` reads every kind of XML netloom takes, by its root element: a guest (as
/// `virsh dumpxml` prints it) and a `<networkport>` too, positioned like the rest, so a guest
/// that `validate` passes is one `port plug` reads.
#[test]
fn validate_reads_guests_and_network_ports_beside_interfaces_and_networks() {
    let dir = tempfile::tempdir().unwrap();
    let guest = repo().join("tests/data/guest/all-types.xml");
    std::fs::copy(&guest, dir.path().join("guest.xml")).unwrap();
    std::fs::write(
        dir.path().join("bad-guest.xml"),
        "<domain>\n  <name>g</name>\n  <devices>\n    <interface type='network'>\n      \
         <source network='default'/>\n      <model type='help'/>\n    </interface>\n  \
         </devices>\n</domain>\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("port.xml"),
        "<networkport>\n  <uuid>5d744f21-ba4a-4d6e-bdb2-30a35ff3207d</uuid>\n  \
         <owner>\n    <name>g</name>\n    <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n  \
         </owner>\n  <mac address='52:54:00:0a:00:01'/>\n  <plug type='network' bridge='virbr0'/>\n\
         </networkport>\n",
    )
    .unwrap();
    let host = repo().join("examples/host.xml").display().to_string();
    let ok = netloom(
        &["validate", "guest.xml", "port.xml", &host],
        dir.path(),
        None,
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(
        ok.stdout.contains("guest.xml: ok\n") && ok.stdout.contains("port.xml: ok\n"),
        "{}",
        ok.stdout
    );
    let bad = netloom(
        &["validate", "guest.xml", "bad-guest.xml"],
        dir.path(),
        None,
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr
            .starts_with("bad-guest.xml:6:20: invalid type 'help' on <model>"),
        "{}",
        bad.stderr
    );
    assert_eq!(bad.stdout, "guest.xml: ok\n");
}

#[test]
fn a_reader_that_went_away_is_not_a_failure_and_never_a_panic() {
    // Standard output is a pipe whose reading end is closed before netloom starts, so its
    // first write fails with EPIPE (`netloom render … | head -0`), every time.
    let verbs: &[&[&str]] = &[
        &["render", "--backend", "ifcfg", "examples/host.xml"],
        &["dumpxml", "examples/host.xml"],
        &["validate", "examples/host.xml"],
        &["net", "render", "examples/network.xml"],
        &["backends", "--root", "tests/data"],
    ];
    for args in verbs {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_netloom"))
            .args(*args)
            .current_dir(repo())
            .stdin(std::process::Stdio::null())
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}
