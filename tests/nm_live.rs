//! `netloom apply/diff/undefine/import/rollback/confirm --backend nm` against a real
//! NetworkManager (the sandbox in `tests/util/nm.rs`): profiles are made over D-Bus inside
//! a checkpoint, come up in the sandbox's network namespace, and come back after a failure,
//! an expired `--confirm`, or a restart of the daemon that lost the checkpoint.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use netloom::backends::nm::live::Client;
use netloom::backends::nm::{Settings, Value};

use crate::util::nm::Sandbox;
use crate::util::{Run, eventually};

/// Runs netloom against the sandbox's bus, with `root` holding the journal, in the
/// sandbox's network namespace: what it verifies after activation is that kernel's.
pub(crate) fn run(sb: &Sandbox, root: &Path, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut cmd = crate::util::tools::in_netns(sb.netns(), env!("CARGO_BIN_EXE_netloom"));
    cmd.args(crate::util::options_taken(
        &[
            ("--backend", "nm"),
            ("--live-mode", "always"),
            ("--root", root.to_str().unwrap()),
        ],
        args,
    ))
    .args(crate::util::patient(args))
    .envs(sb.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    .env_remove(netloom::engine::FAULT_VAR)
    .envs(extra.iter().copied())
    .stdin(Stdio::null());
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// [`run`] from the root network namespace, without verification (which would read that
/// namespace's kernel): for an `apply --confirm` whose timer must outlive a restart of the
/// sandbox, which refuses to stop while a process it did not start runs in its namespace.
fn run_outside(sb: &Sandbox, root: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_netloom"))
        .args(crate::util::options_taken(
            &[
                ("--backend", "nm"),
                ("--live-mode", "always"),
                ("--root", root.to_str().unwrap()),
            ],
            args,
        ))
        .args(args)
        .arg("--no-verify")
        .envs(sb.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env_remove(netloom::engine::FAULT_VAR)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Writes `xml` to `dir/name` and returns the path as a string.
fn xml(dir: &Path, name: &str, xml: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, xml).unwrap();
    p.display().to_string()
}

fn ethernet(name: &str, v4: &str, v6: &str) -> String {
    format!(
        "<interface type='ethernet' name='{name}'>\n  <start mode='onboot'/>\n  \
         <protocol family='ipv4'><ip address='{v4}' prefix='24'/></protocol>\n  \
         <protocol family='ipv6'><ip address='{v6}' prefix='64'/></protocol>\n</interface>\n"
    )
}

fn client(sb: &Sandbox) -> Client {
    Client::connect_to(sb.address()).unwrap()
}

/// The live profile of interface `name`, its settings without deprecated keys.
fn profile(sb: &Sandbox, name: &str) -> Option<Settings> {
    client(sb)
        .profiles()
        .unwrap()
        .into_iter()
        .find(|p| p.settings.interface_name() == Some(name))
        .map(|p| p.settings.sendable())
}

fn address_of(s: &Settings, family: &str) -> Option<String> {
    match s.get(family, "address-data")? {
        Value::Dicts(list) => match list.first()?.get("address")? {
            Value::Str(a) => Some(a.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// Waits (up to [`crate::util::PATIENCE`]) for `ip OBJECT show DEV` in the sandbox to
/// contain `text`; `when` says at which step, for the failure message.
fn shows(sb: &Sandbox, when: &str, object: &str, dev: &str, text: &str) {
    let now = || sb.ip(&[object, "show", dev]);
    assert!(
        eventually(|| now().contains(text)),
        "{when}: no {text}: {}",
        now()
    );
}

fn ok(what: &str, r: &Run) {
    assert_eq!(r.code, 0, "{what}: {}\n{}", r.stdout, r.stderr);
}

#[test]
fn an_ethernet_with_static_dual_stack_comes_up_and_reapplying_changes_nothing() {
    let Some(sb) = Sandbox::start("nm live: ethernet") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let f = xml(
        tmp.path(),
        "host.xml",
        &ethernet("eth10", "198.51.100.10", "2001:db8:10::10"),
    );
    let diff = run(&sb, tmp.path(), &["diff", &f], &[]);
    assert_eq!(diff.code, 1, "{}{}", diff.stdout, diff.stderr);
    crate::util::assert_contains(&diff.stdout, "+++ b/nm/eth10.nmconnection");
    crate::util::assert_contains(&diff.stdout, "+address1=198.51.100.10/24");

    ok("apply", &run(&sb, tmp.path(), &["apply", "--yes", &f], &[]));
    let addrs = sb.ip(&["addr", "show", "eth10"]);
    assert!(addrs.contains("inet 198.51.100.10/24"), "{addrs}");
    assert!(addrs.contains("inet6 2001:db8:10::10/64"), "{addrs}");
    let p = profile(&sb, "eth10").unwrap();
    assert_eq!(
        p.uuid(),
        Some(netloom::backends::nm::render::uuid("eth10").as_str())
    );
    assert!(
        client(&sb).checkpoints().unwrap().is_empty(),
        "the checkpoint is destroyed"
    );

    let again = run(&sb, tmp.path(), &["apply", "--yes", &f], &[]);
    ok("apply again", &again);
    crate::util::assert_contains(&again.stderr, "nothing to change");
    let diff = run(&sb, tmp.path(), &["diff", &f], &[]);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    assert_eq!(profile(&sb, "eth10"), Some(p), "no write at all");
    let history = run(&sb, tmp.path(), &["history"], &[]);
    assert_eq!(
        history.stdout.matches("committed").count(),
        1,
        "{}",
        history.stdout
    );

    // Drift: a hand edit of a managed key is what `diff` in CI reports.
    let c = client(&sb);
    let live = c
        .profiles()
        .unwrap()
        .into_iter()
        .find(|p| p.settings.interface_name() == Some("eth10"))
        .unwrap();
    let mut edited = live.settings.sendable();
    edited.set("ipv4", "gateway", Value::Str("198.51.100.1".into()));
    c.update(&live.path, &edited).unwrap();
    let diff = run(&sb, tmp.path(), &["diff", &f], &[]);
    assert_eq!(diff.code, 1, "{}{}", diff.stdout, diff.stderr);
    crate::util::assert_contains(&diff.stdout, "-address1=198.51.100.10/24,198.51.100.1");
}

#[test]
fn a_bridge_with_a_port_comes_up_and_undefine_removes_both() {
    let Some(sb) = Sandbox::start("nm live: bridge") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let f = xml(
        tmp.path(),
        "br.xml",
        "<interface type='bridge' name='br0'>\n  <start mode='onboot'/>\n  \
         <protocol family='ipv4'><ip address='203.0.113.5' prefix='24'/></protocol>\n  \
         <bridge stp='off'>\n    <interface type='ethernet' name='eth11'/>\n  </bridge>\n\
         </interface>\n",
    );
    ok("apply", &run(&sb, tmp.path(), &["apply", "--yes", &f], &[]));
    shows(&sb, "apply", "addr", "br0", "inet 203.0.113.5/24");
    shows(&sb, "apply", "link", "eth11", "master br0");
    let port = profile(&sb, "eth11").unwrap();
    let br = profile(&sb, "br0").unwrap();
    assert_eq!(port.master(), br.uuid());

    // Only the bridge changes; re-activating it detaches its port, which must come back.
    let text = std::fs::read_to_string(&f)
        .unwrap()
        .replace("203.0.113.5", "203.0.113.6");
    let f2 = xml(tmp.path(), "br2.xml", &text);
    let r = run(&sb, tmp.path(), &["apply", "--yes", &f2], &[]);
    ok("apply br2", &r);
    assert!(r.stderr.contains("changed 1 profile"), "{}", r.stderr);
    shows(&sb, "apply br2", "addr", "br0", "inet 203.0.113.6/24");
    // Time for NetworkManager to detach it, then the wait for it to come back.
    std::thread::sleep(Duration::from_secs(3));
    let state = || sb.ip(&["link", "show", "eth11"]);
    assert!(
        eventually(|| state().contains("master br0")),
        "the port is attached again: {}",
        state()
    );
    ok(
        "apply br0 back",
        &run(&sb, tmp.path(), &["apply", "--yes", &f], &[]),
    );

    let imported = run(&sb, tmp.path(), &["import"], &[]);
    ok("import", &imported);
    assert!(
        imported
            .stdout
            .contains("<interface type='bridge' name='br0'>"),
        "{}",
        imported.stdout
    );
    crate::util::assert_contains(&imported.stdout, "name='eth11'");

    ok(
        "undefine",
        &run(&sb, tmp.path(), &["undefine", "--yes", "br0"], &[]),
    );
    assert_eq!(profile(&sb, "br0"), None);
    assert_eq!(profile(&sb, "eth11"), None);
    ok(
        "rollback",
        &run(&sb, tmp.path(), &["rollback", "--yes"], &[]),
    );
    assert_eq!(
        profile(&sb, "eth11").and_then(|p| p.master().map(str::to_owned)),
        br.uuid().map(str::to_owned)
    );
}

#[test]
fn a_bond_with_two_ports_and_a_vlan_on_it_are_profiles_even_where_they_cannot_come_up() {
    let Some(sb) = Sandbox::start("nm live: bond and vlan") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let f = xml(
        tmp.path(),
        "bond.xml",
        "<interfaces>\n<interface type='bond' name='bond0'>\n  <start mode='onboot'/>\n  \
         <protocol family='ipv4'><ip address='198.51.100.20' prefix='24'/></protocol>\n  \
         <bond mode='active-backup'>\n    <miimon freq='100'/>\n    \
         <interface type='ethernet' name='eth12'/>\n    <interface type='ethernet' name='eth13'/>\n  \
         </bond>\n</interface>\n\
         <interface type='vlan' name='bond0.42'>\n  <start mode='onboot'/>\n  \
         <protocol family='ipv4'><ip address='203.0.113.42' prefix='24'/></protocol>\n  \
         <vlan tag='42'><interface name='bond0'/></vlan>\n</interface>\n</interfaces>\n",
    );
    let can_activate = sb.have("BOND") && sb.have("VLAN");
    let mut args = vec!["apply", "--yes"];
    if !can_activate {
        eprintln!(
            "SKIPPED: nm live: bond and vlan activation: this kernel has no bonding or 802.1Q; the profiles are made with --no-activate"
        );
        args.push("--no-activate");
    }
    args.push(&f);
    ok("apply", &run(&sb, tmp.path(), &args, &[]));
    let bond = profile(&sb, "bond0").unwrap();
    let Some(Value::StrMap(opts)) = bond.get("bond", "options") else {
        panic!("{bond:?}")
    };
    assert_eq!(opts.get("mode").map(String::as_str), Some("active-backup"));
    assert_eq!(opts.get("miimon").map(String::as_str), Some("100"));
    for port in ["eth12", "eth13"] {
        let p = profile(&sb, port).unwrap();
        assert_eq!(p.master(), bond.uuid(), "{port}");
        assert_eq!(p.str("connection", "slave-type"), Some("bond"));
    }
    let vlan = profile(&sb, "bond0.42").unwrap();
    assert_eq!(vlan.str("vlan", "parent"), Some("bond0"));
    assert_eq!(vlan.get("vlan", "id"), Some(&Value::U32(42)));
    let again = run(&sb, tmp.path(), &args, &[]);
    ok("apply again", &again);
    crate::util::assert_contains(&again.stderr, "nothing to change");
    let imported = run(&sb, tmp.path(), &["import", "bond0"], &[]);
    ok("import", &imported);
    crate::util::assert_contains(&imported.stdout, "<bond mode='active-backup'>");
}

/// Applies version 1 of eth10 and returns the file of version 2.
fn two_versions(sb: &Sandbox, dir: &Path) -> String {
    let v1 = xml(
        dir,
        "v1.xml",
        &ethernet("eth10", "198.51.100.10", "2001:db8:10::10"),
    );
    ok("apply v1", &run(sb, dir, &["apply", "--yes", &v1], &[]));
    xml(
        dir,
        "v2.xml",
        &ethernet("eth10", "198.51.100.20", "2001:db8:10::20"),
    )
}

fn v4(sb: &Sandbox) -> Option<String> {
    address_of(&profile(sb, "eth10")?, "ipv4")
}

#[test]
fn a_change_that_fails_half_way_is_rolled_back() {
    let Some(sb) = Sandbox::start("nm live: failure") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let v2 = two_versions(&sb, tmp.path());
    let br = xml(
        tmp.path(),
        "more.xml",
        "<interface type='ethernet' name='eth11'><start mode='none'/></interface>",
    );
    for point in ["profile-0", "commit"] {
        let r = run(
            &sb,
            tmp.path(),
            &["apply", "--yes", &v2, &br],
            &[(netloom::engine::FAULT_VAR, &format!("fail@{point}"))],
        );
        assert_eq!(r.code, 2, "{point}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("was undone"), "{point}: {}", r.stderr);
        assert_eq!(v4(&sb).as_deref(), Some("198.51.100.10"), "{point}");
        assert_eq!(
            profile(&sb, "eth11"),
            None,
            "{point}: the new profile is gone"
        );
        shows(&sb, point, "addr", "eth10", "198.51.100.10/24");
        assert!(client(&sb).checkpoints().unwrap().is_empty(), "{point}");
    }
    let history = run(&sb, tmp.path(), &["history"], &[]);
    assert_eq!(
        history.stdout.matches("rolled back (apply failed)").count(),
        2,
        "{}",
        history.stdout
    );

    // Killed after the first profile changed: the checkpoint is still there, and the next
    // command (here `history`) puts everything back before it does anything else.
    let r = run(
        &sb,
        tmp.path(),
        &["apply", "--yes", &v2, &br],
        &[(netloom::engine::FAULT_VAR, "kill@profile-0")],
    );
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert_eq!(v4(&sb).as_deref(), Some("198.51.100.20"), "killed half-way");
    let history = run(&sb, tmp.path(), &["history"], &[]);
    ok("history", &history);
    crate::util::assert_contains(&history.stderr, "restored the previous state");
    crate::util::assert_contains(&history.stdout, "rolled back (interrupted)");
    assert_eq!(v4(&sb).as_deref(), Some("198.51.100.10"));
    assert!(client(&sb).checkpoints().unwrap().is_empty());
}

#[test]
fn an_unconfirmed_change_is_rolled_back_and_a_confirmed_one_stays() {
    let Some(sb) = Sandbox::start("nm live: confirm") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let v2 = two_versions(&sb, tmp.path());
    let since = std::time::Instant::now();
    ok(
        "apply --confirm",
        &run(
            &sb,
            tmp.path(),
            &["apply", "--yes", "--confirm", "2", &v2],
            &[],
        ),
    );
    let pending = crate::util::while_pending(since, 2, "nm pending state", || {
        (v4(&sb), client(&sb).checkpoints().unwrap().len())
    });
    if let Some((address, checkpoints)) = pending {
        assert_eq!(address.as_deref(), Some("198.51.100.20"));
        assert_eq!(checkpoints, 1, "kept while pending");
    }
    assert!(
        eventually(|| v4(&sb).as_deref() == Some("198.51.100.10")),
        "{:?}",
        v4(&sb)
    );
    shows(&sb, "expired", "addr", "eth10", "198.51.100.10/24");
    let confirm = run(&sb, tmp.path(), &["confirm"], &[]);
    assert_eq!(confirm.code, 2, "{}", confirm.stderr);
    crate::util::assert_contains(&confirm.stderr, "not confirmed in time");

    ok(
        "apply --confirm 60",
        &run(
            &sb,
            tmp.path(),
            &["apply", "--yes", "--confirm", "60", &v2],
            &[],
        ),
    );
    // Rolling back an older transaction now would be undone by the pending checkpoint.
    let r = run(&sb, tmp.path(), &["rollback", "--yes", "1"], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    crate::util::assert_contains(&r.stderr, "waiting for confirmation");
    ok("confirm", &run(&sb, tmp.path(), &["confirm"], &[]));
    assert!(client(&sb).checkpoints().unwrap().is_empty());
    assert_eq!(v4(&sb).as_deref(), Some("198.51.100.20"));
    // The timer sees the confirmation at its next look and exits; the sandbox refuses to
    // stop while a process it did not start is in its namespace.
    assert!(
        eventually(|| !timer_runs(tmp.path())),
        "the confirmed transaction's timer is still running"
    );
}

/// Whether a confirmation timer runs for the root `root`.
fn timer_runs(root: &Path) -> bool {
    let root = std::fs::canonicalize(root).unwrap();
    let root = root.as_os_str().as_encoded_bytes();
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            return false;
        };
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        args.contains(&&b"__revert-timer"[..]) && args.contains(&root)
    })
}

#[test]
fn the_journal_restores_profiles_after_networkmanager_restarted_and_lost_its_checkpoint() {
    let Some(mut sb) = Sandbox::start("nm live: restart") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let v2 = two_versions(&sb, tmp.path());

    // An expired --confirm, with the checkpoint gone: the timer restores from the journal.
    let since = std::time::Instant::now();
    ok(
        "apply --confirm",
        &run_outside(&sb, tmp.path(), &["apply", "--yes", "--confirm", "3", &v2]),
    );
    sb.restart();
    assert!(
        client(&sb).checkpoints().unwrap().is_empty(),
        "a restart forgets checkpoints"
    );
    if let Some(address) = crate::util::while_pending(since, 3, "after the restart", || v4(&sb)) {
        assert_eq!(address.as_deref(), Some("198.51.100.20"));
    }
    assert!(
        eventually(|| v4(&sb).as_deref() == Some("198.51.100.10")),
        "{:?}",
        v4(&sb)
    );

    // A committed change rolled back on request after a restart.
    ok(
        "apply v2",
        &run(&sb, tmp.path(), &["apply", "--yes", &v2], &[]),
    );
    sb.restart();
    assert_eq!(v4(&sb).as_deref(), Some("198.51.100.20"));
    ok(
        "rollback",
        &run(&sb, tmp.path(), &["rollback", "--yes"], &[]),
    );
    assert_eq!(v4(&sb).as_deref(), Some("198.51.100.10"));
}

#[test]
fn networkmanager_loads_the_keyfiles_netloom_writes_with_the_settings_meant() {
    use netloom::backend::{Backend, Snapshot};
    let Some(sb) = Sandbox::start("nm live: keyfiles loaded") else {
        return;
    };
    let c = client(&sb);
    let mut checked = 0;
    for input in crate::util::xml_files(&crate::util::repo().join("tests/data/interfaces")) {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let host =
            netloom::xml::read_str(&name, &std::fs::read_to_string(&input).unwrap()).unwrap();
        let Ok(files) = netloom::backends::nm::Nm.render(&host, &Snapshot::default()) else {
            continue; // refused: golden/nm/NAME.refused says why
        };
        let want = netloom::backends::nm::render::profiles(&host).unwrap();
        for f in &files {
            let leaf = Path::new(&f.path).file_name().unwrap();
            let dest = sb.keyfile_dir().join(leaf);
            std::fs::write(&dest, &f.contents).unwrap();
            let mut perms = std::fs::metadata(&dest).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
            std::fs::set_permissions(&dest, perms).unwrap();
        }
        c.reload().unwrap();
        let live = c.profiles().unwrap();
        for w in &want {
            let got = live
                .iter()
                .find(|p| p.settings.uuid() == w.uuid())
                .unwrap_or_else(|| panic!("{name}: NetworkManager did not load {:?}", w.id()));
            assert_eq!(
                got.settings.comparable(),
                w.comparable(),
                "{name}: {:?}",
                w.id()
            );
        }
        // The strongest check: the live plan of the same XML is empty.
        let plan = netloom::backends::nm::live::plan(&c, &host).unwrap();
        assert!(plan.is_empty(), "{name}: {:?}", plan.plan);
        for f in &files {
            std::fs::remove_file(
                sb.keyfile_dir()
                    .join(Path::new(&f.path).file_name().unwrap()),
            )
            .unwrap();
        }
        c.reload().unwrap();
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} cases rendered");
}

/// nmcli's terse reading of a family's routes (`nmcli -g ipv4.routes`): each
/// `DEST/PREFIX [GATEWAY] [METRIC] [ATTRIBUTE=VALUE…]`, attributes by name, joined by `, `,
/// colons escaped.
fn nmcli_routes<A: netloom::model::RouteFamily>(routes: &[netloom::model::Route<A>]) -> String {
    let one = |r: &netloom::model::Route<A>| {
        let mut words = vec![r.destination.to_string()];
        words.extend(r.gateway.map(|g| g.to_string()));
        words.extend(r.metric.map(|m| m.to_string()));
        words.extend(r.source.map(|s| format!("src={s}")));
        words.extend(r.table.map(|t| format!("table={t}")));
        words.join(" ")
    };
    let all: Vec<String> = routes.iter().map(one).collect();
    all.join(", ").replace(':', "\\:")
}

#[test]
fn routes_and_dns_are_read_by_networkmanager_as_declared_and_come_up_in_the_kernel() {
    use netloom::backend::{Backend, Snapshot};
    let Some(sb) = Sandbox::start("nm live: routes and DNS") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(crate::util::repo().join("tests/data/interfaces/routes-dns.xml"))
            .unwrap()
            .replace("name='eth0'", "name='eth10'");
    let f = xml(tmp.path(), "host.xml", &text);
    let host = netloom::xml::read_str("routes.xml", &text).unwrap();
    ok("apply", &run(&sb, tmp.path(), &["apply", "--yes", &f], &[]));

    // NetworkManager saved the profile sent over D-Bus as exactly the keyfile netloom writes.
    let rendered = netloom::backends::nm::Nm
        .render(&host, &Snapshot::default())
        .unwrap();
    let saved = std::fs::read_to_string(sb.keyfile_dir().join("eth10.nmconnection")).unwrap();
    assert_eq!(saved, rendered[0].contents);

    // nmcli reads the routes, servers and domains declared, in order.
    let i = &host.interfaces[0];
    let (v4, v6) = (i.ipv4.as_ref().unwrap(), i.ipv6.as_ref().unwrap());
    let list = |items: Vec<String>| items.join(",").replace(':', "\\:");
    let want = [
        nmcli_routes(&v4.routes),
        list(v4.dns.iter().map(|d| d.to_string()).collect()),
        list(v4.search.iter().map(|d| d.to_string()).collect()),
        nmcli_routes(&v6.routes),
        list(v6.dns.iter().map(|d| d.to_string()).collect()),
    ]
    .join("\n")
        + "\n";
    let out = crate::util::tools::command("nmcli")
        .args([
            "-g",
            "ipv4.routes,ipv4.dns,ipv4.dns-search,ipv6.routes,ipv6.dns",
            "connection",
            "show",
            "eth10",
        ])
        .envs(sb.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(out.status.success(), "nmcli: {out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);

    // The kernel has every route, in its table, through the declared gateway.
    let absent = crate::util::poll(|| {
        let absent = crate::util::routes::check(sb.netns(), &v4.routes, &v6.routes);
        absent.is_empty().then_some(()).ok_or(absent).ok()
    });
    assert!(
        absent.is_some(),
        "not in the kernel: {:?}",
        crate::util::routes::check(sb.netns(), &v4.routes, &v6.routes)
    );

    // And the live profile reads back as the declaration; a second apply has nothing to do.
    let back = run(&sb, tmp.path(), &["import", "eth10"], &[]);
    ok("import", &back);
    assert_eq!(back.stdout, netloom::xml::to_xml(&host));
    let diff = run(&sb, tmp.path(), &["diff", &f], &[]);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
}

#[test]
fn a_live_profile_is_matched_once_even_when_renamed_by_hand() {
    let Some(sb) = Sandbox::start("nm live: one match per profile") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let one = "<interface type='ethernet' name='eth13'><start mode='none'/></interface>";
    let a = xml(tmp.path(), "a.xml", one);
    ok(
        "apply a",
        &run(&sb, tmp.path(), &["apply", "--yes", &a], &[]),
    );
    // The user points netloom's eth13 profile at eth12.
    let c = client(&sb);
    let p = c
        .profiles()
        .unwrap()
        .into_iter()
        .find(|p| p.settings.id() == Some("eth13"))
        .unwrap();
    let mut moved = p.settings.sendable();
    moved.set("connection", "interface-name", Value::Str("eth12".into()));
    c.update(&p.path, &moved).unwrap();
    let both = format!(
        "<interfaces><interface type='ethernet' name='eth12'><start mode='none'/></interface>{one}</interfaces>"
    );
    let b = xml(tmp.path(), "b.xml", &both);
    ok(
        "apply b",
        &run(&sb, tmp.path(), &["apply", "--yes", &b], &[]),
    );
    let diff = run(&sb, tmp.path(), &["diff", &b], &[]);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    assert!(profile(&sb, "eth12").is_some() && profile(&sb, "eth13").is_some());
}

#[test]
fn a_users_profile_is_kept_by_its_uuid_and_another_uuid_is_refused() {
    let Some(sb) = Sandbox::start("nm live: interface uuid") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let c = client(&sb);
    // The user's own profile for eth14, as nmcli makes one: its UUID is not netloom's.
    let theirs = "0e5c1b7a-2d3f-4a6b-8c9d-1f2e3d4c5b6a";
    let mut user = Settings::default();
    for (key, value) in [
        ("id", "Wired connection 1"),
        ("uuid", theirs),
        ("type", "802-3-ethernet"),
        ("interface-name", "eth14"),
    ] {
        user.set("connection", key, Value::Str(value.into()));
    }
    user.set("connection", "autoconnect", Value::Bool(false));
    user.set("ipv4", "method", Value::Str("disabled".into()));
    c.add(&user).unwrap();
    let with = |u: &str| {
        format!(
            "<interface type='ethernet' name='eth14'><uuid>{u}</uuid><start mode='none'/>\
             <protocol family='ipv4'><ip address='198.51.100.14' prefix='24'/></protocol></interface>"
        )
    };

    // Another UUID for the same device is refused: a profile's UUID cannot change.
    let other = xml(
        tmp.path(),
        "other.xml",
        &with("9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"),
    );
    let refused = run(&sb, tmp.path(), &["apply", "--yes", &other], &[]);
    assert_eq!(refused.code, 2, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains(theirs)
            && refused
                .stderr
                .contains("which the XML gives <uuid>9a8b7c6d")
            && refused.stderr.contains("cannot change"),
        "{}",
        refused.stderr
    );
    assert_eq!(profile(&sb, "eth14").unwrap().uuid(), Some(theirs));
    assert_eq!(address_of(&profile(&sb, "eth14").unwrap(), "ipv4"), None);

    // Its own UUID updates that very profile, marks it netloom's, and changes nothing twice.
    let same = xml(tmp.path(), "same.xml", &with(theirs));
    ok(
        "apply same",
        &run(&sb, tmp.path(), &["apply", "--yes", &same], &[]),
    );
    let profiles = c.profiles().unwrap();
    let mine: Vec<_> = profiles
        .iter()
        .filter(|p| p.settings.interface_name() == Some("eth14"))
        .collect();
    assert_eq!(mine.len(), 1, "one profile for eth14");
    assert_eq!(mine[0].settings.uuid(), Some(theirs));
    assert_eq!(
        address_of(&mine[0].settings, "ipv4").as_deref(),
        Some("198.51.100.14")
    );
    assert!(netloom::backends::nm::netlooms(&mine[0].settings));
    let diff = run(&sb, tmp.path(), &["diff", &same], &[]);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    let imported = run(&sb, tmp.path(), &["import", "eth14"], &[]);
    assert!(
        imported.stdout.contains(&format!("<uuid>{theirs}</uuid>")),
        "{}{}",
        imported.stdout,
        imported.stderr
    );

    // Marked, it is netloom's: an XML without it removes it.
    let none = xml(
        tmp.path(),
        "none.xml",
        "<interface type='ethernet' name='eth15'><start mode='none'/></interface>",
    );
    ok(
        "apply none",
        &run(&sb, tmp.path(), &["apply", "--yes", &none], &[]),
    );
    assert!(profile(&sb, "eth14").is_none());
}

#[test]
fn importing_from_networkmanager_notes_what_the_model_cannot_hold_and_strict_refuses_it() {
    let Some(sb) = Sandbox::start("nm live: import notes") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut user = Settings::default();
    for (key, value) in [
        ("id", "Office"),
        ("type", "802-3-ethernet"),
        ("interface-name", "eth16"),
        ("zone", "work"),
    ] {
        user.set("connection", key, Value::Str(value.into()));
    }
    user.set("connection", "autoconnect", Value::Bool(false));
    user.set("ipv4", "method", Value::Str("disabled".into()));
    client(&sb).add(&user).unwrap();

    let noted = run(&sb, tmp.path(), &["import", "eth16"], &[]);
    assert_eq!(noted.code, 0, "{}{}", noted.stdout, noted.stderr);
    assert!(noted.stdout.contains("name='eth16'"), "{}", noted.stdout);
    assert!(
        noted.stderr.contains("NetworkManager profile 'Office'")
            && noted.stderr.contains("connection.zone"),
        "the zone is kept by NetworkManager but not in the XML, and says so: {}",
        noted.stderr
    );
    let strict = run(&sb, tmp.path(), &["import", "--strict", "eth16"], &[]);
    assert_eq!(strict.code, 2, "{}{}", strict.stdout, strict.stderr);
    assert!(strict.stdout.is_empty(), "{}", strict.stdout);
}
