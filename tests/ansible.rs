//! The Ansible collection `netloom.netloom` (`ansible/ansible_collections/netloom/netloom`)
//! run by a real ansible-core against managed hosts on this machine: each host reached by
//! the local connection, with its own `--root` directory, and the netloom under test as the
//! modules' `binary`. The playbooks are the collection's own (`tests/playbooks`), and the
//! run is read as one JSON object (its `tests/callback_plugins/netloom_json.py`), so every
//! host's result is checked exactly.
//!
//! ansible-core comes from PyPI, not Debian, so it is not in `tools.rs`: `scripts/test`
//! installs it into `target/ansible-venv`, and without that venv these tests say so and
//! skip (under CI they fail).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::util;

/// The collection's directory in the repository.
fn collection() -> PathBuf {
    util::repo().join("ansible/ansible_collections/netloom/netloom")
}

/// Where `scripts/test` installs ansible-core.
fn venv_bin() -> PathBuf {
    util::repo().join("target/ansible-venv/bin")
}

/// Whether ansible-core is there to run; prints why not (and fails under CI) otherwise.
fn runnable() -> bool {
    let missing = (!venv_bin().join("ansible-playbook").is_file()).then(|| {
        format!(
            "{} is missing: scripts/test installs ansible-core from PyPI into target/ansible-venv",
            venv_bin().join("ansible-playbook").display()
        )
    });
    util::runnable("the Ansible collection", missing)
}

/// A scratch directory for one test: ansible's home, the inventory, the hosts' roots.
struct Site {
    dir: tempfile::TempDir,
}

/// What one `ansible-playbook` run gave back: its exit code and the run as JSON.
struct Play {
    code: i32,
    run: Value,
    stderr: String,
}

impl Play {
    /// Host `host`'s result of the playbook's only task.
    #[track_caller]
    fn host(&self, host: &str) -> &Value {
        let r = &self.run["plays"][0]["tasks"][0]["hosts"][host];
        assert!(r.is_object(), "no result for {host}: {}", self.run);
        r
    }

    /// Host `host`'s line of the run's recap (ok, changed, failures...).
    #[track_caller]
    fn stats(&self, host: &str) -> &Value {
        &self.run["stats"][host]
    }
}

impl Site {
    fn new() -> Site {
        Site {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `text` into the scratch directory; its path.
    fn file(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// An empty root directory for a managed host.
    fn root(&self, host: &str) -> String {
        let path = self.path(&format!("root-{host}"));
        std::fs::create_dir(&path).unwrap();
        path.display().to_string()
    }

    /// An ansible command with the collection found in the repository, ansible's own
    /// files kept in the scratch directory, and the run printed as one JSON object.
    fn ansible(&self, program: &str) -> Command {
        self.ansible_in(None, program)
    }

    /// [`Site::ansible`], inside network namespace `netns` if given.
    fn ansible_in(&self, netns: Option<&str>, program: &str) -> Command {
        let program = venv_bin().join(program);
        let mut cmd = match netns {
            None => Command::new(program),
            Some(ns) => {
                let mut cmd = util::tools::command("ip");
                cmd.args(["netns", "exec", ns]).arg(program);
                cmd
            }
        };
        let home = self.path("ansible-home");
        cmd.current_dir(self.dir.path())
            .env("ANSIBLE_CONFIG", self.path("no-ansible.cfg"))
            .env("ANSIBLE_HOME", &home)
            .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
            .env("ANSIBLE_COLLECTIONS_PATH", util::repo().join("ansible"))
            .env(
                "ANSIBLE_CALLBACK_PLUGINS",
                collection().join("tests/callback_plugins"),
            )
            .env("ANSIBLE_STDOUT_CALLBACK", "netloom_json")
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
            .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
            .env("PYTHONWARNINGS", "ignore")
            .env_remove(netloom::engine::FAULT_VAR)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs the collection's playbook `playbook` against `hosts` (name to the host's own
    /// variables), every host through the local connection with the netloom under test.
    fn play(&self, playbook: &str, hosts: &Value, args: &[&str]) -> Play {
        self.play_in(None, playbook, hosts, args)
    }

    /// [`Site::play`], inside network namespace `netns` if given. Its output goes through
    /// files, so that a daemon a module started (dnsmasq) cannot hold the run's pipes.
    fn play_in(&self, netns: Option<&str>, playbook: &str, hosts: &Value, args: &[&str]) -> Play {
        let inventory = json!({"all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": venv_bin().join("python"),
                "netloom_binary": env!("CARGO_BIN_EXE_netloom"),
            },
            "hosts": hosts,
        }});
        let inventory = self.file("inventory.json", &inventory.to_string());
        let (out, err) = (self.path("play.out"), self.path("play.err"));
        let status = self
            .ansible_in(netns, "ansible-playbook")
            .args(["-i", &inventory])
            .args(args)
            .arg(collection().join("tests/playbooks").join(playbook))
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .status()
            .unwrap();
        let stdout = std::fs::read_to_string(&out).unwrap();
        let stderr = std::fs::read_to_string(&err).unwrap();
        let run = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("ansible-playbook printed no JSON ({e}):\n{stdout}\n--- stderr\n{stderr}")
        });
        Play {
            code: status.code().expect("ansible-playbook exits normally"),
            run,
            stderr,
        }
    }
}

/// Every file and directory under `root`, with each file's contents: what a run wrote.
fn tree(root: &str) -> BTreeMap<String, Option<Vec<u8>>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            let contents = e
                .file_type()
                .is_file()
                .then(|| std::fs::read(e.path()).unwrap());
            (rel, contents)
        })
        .collect()
}

/// The transactions of `root`'s journal, as `netloom history --format json` lists them.
fn transactions(root: &str) -> Vec<Value> {
    let run = util::netloom(
        &["history", "--root", root, "--format", "json"],
        Path::new("/"),
        None,
    );
    assert_eq!(run.code, 0, "netloom history: {}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    v["transactions"].as_array().unwrap().clone()
}

/// What changed under each of `roots` since `before` (one [`tree`] each): no path when
/// nothing was written.
fn written(roots: &[&String], before: &[BTreeMap<String, Option<Vec<u8>>>]) -> Vec<String> {
    roots
        .iter()
        .zip(before)
        .flat_map(|(root, before)| {
            changed_paths(before, &tree(root))
                .into_iter()
                .map(move |p| format!("{root}/{p}"))
        })
        .collect()
}

/// The paths whose presence or contents differ between two [`tree`]s.
fn changed_paths(
    before: &BTreeMap<String, Option<Vec<u8>>>,
    after: &BTreeMap<String, Option<Vec<u8>>>,
) -> Vec<String> {
    let mut paths: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .cloned()
        .collect();
    paths.dedup();
    paths
}

/// The configuration files under `root`: netloom's own state (`var/lib/netloom`) aside.
fn config_files(root: &str) -> Vec<String> {
    tree(root)
        .into_iter()
        .filter(|(path, contents)| contents.is_some() && !path.starts_with("var/lib/netloom"))
        .map(|(path, _)| path)
        .collect()
}

/// The paths of a result's `files`, sorted.
#[track_caller]
fn paths(result: &Value) -> Vec<String> {
    let mut out: Vec<String> = result["files"]
        .as_array()
        .unwrap_or_else(|| panic!("no files in {result}"))
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

/// The diff a result carries in diff mode, every file's text joined.
fn diff_text(result: &Value) -> String {
    result["diff"]
        .as_array()
        .unwrap_or_else(|| panic!("no diff in {result}"))
        .iter()
        .map(|d| d["prepared"].as_str().unwrap().to_owned())
        .collect()
}

const LAN: &str = "<interface type='ethernet' name='eth0'>\n  <start mode='onboot'/>\n  \
                   <protocol family='ipv4'>\n    <dhcp/>\n  </protocol>\n</interface>\n";
const MGMT: &str = "<interface type='ethernet' name='eth1'>\n  <start mode='onboot'/>\n  \
                    <protocol family='ipv4'>\n    <ip address='198.51.100.7' prefix='24'/>\n  \
                    </protocol>\n</interface>\n";
/// An address of five pairs, at line 3 column 17.
const BAD: &str = "<interface type='ethernet' name='eth0'>\n  <start mode='onboot'/>\n  \
                   <mac address='52:54:00:12:34'/>\n</interface>\n";

#[test]
fn a_playbook_checks_applies_and_then_changes_nothing_on_three_hosts() {
    if !runnable() {
        return;
    }
    let site = Site::new();
    let example = util::repo().join("examples/host.xml");
    let bad = site.file("bad.xml", BAD);
    let (alpha, beta, gamma) = (site.root("alpha"), site.root("beta"), site.root("gamma"));
    let hosts = json!({
        "alpha": {"netloom_root": alpha, "netloom_backend": "ifcfg", "netloom_src": example},
        "beta": {"netloom_root": beta, "netloom_backend": "debian",
                 "netloom_src": [site.file("lan.xml", LAN), site.file("mgmt.xml", MGMT)]},
        "gamma": {"netloom_root": gamma, "netloom_backend": "ifcfg", "netloom_src": bad},
    });
    let roots = [&alpha, &beta, &gamma];
    let trees = || roots.map(|r| tree(r));
    let empty = trees();

    // Check mode (with diff mode): every change reported, nothing written anywhere.
    let check = site.play("host.yml", &hosts, &["--check", "--diff"]);
    assert_eq!(
        check.code, 2,
        "gamma fails, so the run does: {}",
        check.stderr
    );
    assert_eq!(
        written(&roots, &empty),
        [""; 0],
        "check mode wrote under a root"
    );
    for (host, device) in [("alpha", "+DEVICE=eno1"), ("beta", "+iface eth0 inet dhcp")] {
        let r = check.host(host);
        assert_eq!(r["changed"], true, "{host}: {r}");
        assert_eq!(r.get("failed"), None, "{host}: {r}");
        assert_eq!(r["transaction"], Value::Null, "{host}: {r}");
        assert!(diff_text(r).contains(device), "{host}: {device} not in {r}");
        assert_eq!(check.stats(host)["changed"], 1, "{host}: {}", check.run);
    }
    let gamma_failure = |play: &Play| {
        let r = play.host("gamma");
        assert_eq!(r["failed"], true, "gamma: {r}");
        assert_eq!(r["rc"], 2, "gamma: {r}");
        let msg = r["msg"].as_str().unwrap();
        assert!(
            msg.starts_with(&format!(
                "{bad}:3:17: invalid address '52:54:00:12:34' on <mac>: expected a MAC address"
            )),
            "gamma's message is not netloom's positioned one: {msg}"
        );
        assert_eq!(play.stats("gamma")["failures"], 1, "{}", play.run);
    };
    gamma_failure(&check);
    let would: Vec<Vec<String>> = ["alpha", "beta"].map(|h| paths(check.host(h))).into();

    // For real (with diff mode): the files appear, one transaction on each good host.
    let apply = site.play("host.yml", &hosts, &["--diff"]);
    assert_eq!(apply.code, 2, "{}", apply.stderr);
    for (i, (host, root)) in [("alpha", &alpha), ("beta", &beta)].into_iter().enumerate() {
        let r = apply.host(host);
        assert_eq!(r["changed"], true, "{host}: {r}");
        assert_eq!(r["state"], "committed", "{host}: {r}");
        assert_eq!(paths(r), would[i], "{host}: check mode named other files");
        assert_eq!(config_files(root), would[i], "{host}: other files written");
        assert!(
            r["files"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["action"] == "create"),
            "{r}"
        );
        let ids: Vec<Value> = transactions(root).iter().map(|t| t["id"].clone()).collect();
        assert_eq!(
            ids,
            [r["transaction"].clone()],
            "{host}: the transaction returned is not the journal's"
        );
        assert!(
            !diff_text(r).is_empty(),
            "{host}: diff mode returned no diff: {r}"
        );
    }
    let eth1 =
        std::fs::read_to_string(Path::new(&beta).join("etc/network/interfaces.d/eth1")).unwrap();
    assert!(
        eth1.contains("address 198.51.100.7/24"),
        "beta's second file was not applied: {eth1}"
    );
    assert_eq!(
        written(&roots[2..], &empty[2..]),
        [""; 0],
        "the bad host's root was written"
    );
    gamma_failure(&apply);
    let applied = trees();

    // Once more: nothing to do, nothing written.
    let again = site.play("host.yml", &hosts, &[]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    for host in ["alpha", "beta"] {
        let r = again.host(host);
        assert_eq!(r["changed"], false, "{host}: {r}");
        assert_eq!(r["transaction"], Value::Null, "{host}: {r}");
        assert_eq!(r["files"], json!([]), "{host}: {r}");
        assert_eq!(again.stats(host)["changed"], 0, "{host}: {}", again.run);
    }
    gamma_failure(&again);
    assert_eq!(
        written(&roots, &applied),
        [""; 0],
        "a run with nothing to do wrote"
    );
}

#[test]
fn a_confirm_leaves_the_transaction_pending_until_netloom_confirm() {
    if !runnable() {
        return;
    }
    let site = Site::new();
    let root = site.root("alpha");
    let hosts = json!({"alpha": {"netloom_root": root, "netloom_backend": "debian",
                                 "netloom_src": site.file("lan.xml", LAN), "netloom_confirm": 600}});
    let play = site.play("host.yml", &hosts, &[]);
    assert_eq!(play.code, 0, "{}", play.stderr);
    let r = play.host("alpha");
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(r["state"], "pending", "{r}");
    assert_eq!(r["confirm_within"], 600, "{r}");
    let open = &transactions(&root)[0];
    assert_eq!(
        (&open["id"], &open["state"]),
        (&r["transaction"], &json!("pending")),
        "{open}"
    );
    let confirm = util::netloom(&["confirm", "--root", &root], Path::new("/"), None);
    assert_eq!(confirm.code, 0, "{}", confirm.stderr);
    assert_eq!(transactions(&root)[0]["state"], "committed");
}

/// The documented options of `module`, as `ansible-doc --json` reads them.
fn documented(site: &Site, module: &str) -> Value {
    let out = site
        .ansible("ansible-doc")
        .args(["-t", "module", "--json", module])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ansible-doc {module}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc[module].clone()
}

#[test]
fn ansible_doc_renders_both_modules() {
    if !runnable() {
        return;
    }
    let site = Site::new();
    for (module, options, returns) in [
        (
            "netloom.netloom.host",
            &["backend", "binary", "confirm", "root", "src"][..],
            &[
                "backend",
                "confirm_within",
                "down",
                "files",
                "root",
                "state",
                "transaction",
                "up",
            ][..],
        ),
        (
            "netloom.netloom.network",
            &[
                "autostart",
                "binary",
                "firewall",
                "name",
                "root",
                "src",
                "state",
            ][..],
            &["actions", "active", "autostart", "name", "persistent"][..],
        ),
    ] {
        let doc = documented(&site, module);
        let keys = |v: &Value| {
            v.as_object()
                .unwrap_or_else(|| panic!("{module}: {doc}"))
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&doc["doc"]["options"]), options, "{module}'s options");
        assert_eq!(keys(&doc["return"]), returns, "{module}'s return values");
        assert!(
            doc["examples"].as_str().is_some_and(|e| e.contains(module)),
            "{module} has no example of itself"
        );
        assert_eq!(
            doc["doc"]["attributes"]["check_mode"]["support"], "full",
            "{module}"
        );

        // And as a person reads it.
        let out = site
            .ansible("ansible-doc")
            .args(["-t", "module", module])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success()
                && text.contains(&format!("MODULE {module}"))
                && text.contains("OPTIONS"),
            "{module} does not render:\n{text}"
        );
    }
}

const NETWORK: &str = "<network>\n  <name>lab</name>\n  <forward mode='nat'/>\n  \
                       <ip address='10.9.0.1' prefix='24'/>\n</network>\n";

const OTHER: &str =
    "<network>\n  <name>other</name>\n  <ip address='10.8.0.1' prefix='24'/>\n</network>\n";

#[test]
fn the_network_module_defines_marks_and_removes_a_network_once() {
    if !runnable() {
        return;
    }
    let site = Site::new();
    let root = site.root("alpha");
    let src = site.file("lab.xml", NETWORK);
    let hosts = |state: &str, autostart: bool| {
        json!({"alpha": {"netloom_root": root, "netloom_src": src,
                         "netloom_state": state, "netloom_autostart": autostart}})
    };
    let definition = Path::new(&root).join("etc/netloom/networks/lab.xml");
    // Another network takes virbr0 first, so lab (whose XML names no bridge, UUID or MAC)
    // gets what netloom fills in against it: check mode must see the same.
    let other = site.file("other.xml", OTHER);
    let run = util::netloom(
        &["net", "--root", &root, "define", &other],
        Path::new("/"),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Each step: the state asked, whether in check mode, and what the module must report.
    let steps: &[(&str, bool, bool, &[&str])] = &[
        ("defined", true, true, &["defined", "autostart-enabled"]),
        ("defined", true, false, &["defined", "autostart-enabled"]),
        ("defined", true, false, &[]),
        ("defined", true, true, &[]),
        ("defined", false, true, &["autostart-disabled"]),
        ("defined", false, false, &["autostart-disabled"]),
        ("defined", false, false, &[]),
        ("absent", false, true, &["undefined"]),
        ("absent", false, false, &["undefined"]),
        ("absent", false, false, &[]),
    ];
    for (n, &(state, autostart, check, actions)) in steps.iter().enumerate() {
        let before = tree(&root);
        let args: &[&str] = if check {
            &["--check", "--diff"]
        } else {
            &["--diff"]
        };
        let play = site.play("network.yml", &hosts(state, autostart), args);
        let r = play.host("alpha");
        let step = format!("step {n} ({state}, autostart {autostart}, check {check}): {r}");
        assert_eq!(play.code, 0, "{step}\n{}", play.stderr);
        assert_eq!(r["actions"], json!(actions), "{step}");
        assert_eq!(r["changed"], !actions.is_empty(), "{step}");
        assert_eq!(r["name"], "lab", "{step}");
        if check || actions.is_empty() {
            assert_eq!(
                changed_paths(&before, &tree(&root)),
                Vec::<String>::new(),
                "{step}: written"
            );
        }
        if !check {
            assert_eq!(definition.is_file(), state == "defined", "{step}");
            assert_eq!(r["autostart"], autostart, "{step}");
        }
    }
}

const LIVE_NETWORK: &str = "<network>\n  <name>anslab</name>\n  <bridge name='nlans0'/>\n  \
                            <ip address='10.78.0.1' prefix='24'>\n    <dhcp>\n      \
                            <range start='10.78.0.100' end='10.78.0.200'/>\n    </dhcp>\n  \
                            </ip>\n</network>\n";

/// The network module for real, in a network namespace of its own: started (bridge up,
/// dnsmasq running) once, then left alone, stopped, removed, leaving the namespace as it was.
#[test]
fn the_network_module_starts_stops_and_removes_a_running_network() {
    if !runnable() || !crate::net_live_util::runnable() {
        return;
    }
    let lab = crate::net_live_util::Lab::new("ans", false);
    let site = Site::new();
    let root = lab.root().display().to_string();
    let src = lab.file("anslab.xml", LIVE_NETWORK);
    let hosts = |state: &str| {
        json!({"hv": {"netloom_root": root, "netloom_src": src,
                      "netloom_state": state, "netloom_autostart": true}})
    };
    let before = lab.snapshot();
    let steps: &[(&str, bool, &[&str])] = &[
        (
            "started",
            true,
            &["defined", "started", "autostart-enabled"],
        ),
        (
            "started",
            false,
            &["defined", "started", "autostart-enabled"],
        ),
        ("started", false, &[]),
        ("stopped", true, &["stopped"]),
        ("stopped", false, &["stopped"]),
        ("stopped", false, &[]),
        ("absent", false, &["undefined"]),
    ];
    for (n, &(state, check, actions)) in steps.iter().enumerate() {
        let running = lab.snapshot();
        let files = tree(&root);
        let args: &[&str] = if check { &["--check"] } else { &[] };
        let play = site.play_in(Some(&lab.hv.0), "network.yml", &hosts(state), args);
        let r = play.host("hv");
        let step = format!("step {n} ({state}, check {check}): {r}");
        assert_eq!(play.code, 0, "{step}\n{}", play.stderr);
        assert_eq!(r["actions"], json!(actions), "{step}");
        if check || actions.is_empty() {
            lab.same(&running, &format!("in step {n}"));
            assert_eq!(
                changed_paths(&files, &tree(&root)),
                Vec::<String>::new(),
                "{step}: written"
            );
        }
        if !check && state == "started" {
            assert_eq!(r["active"], true, "{step}");
            assert_eq!(lab.listed("anslab").unwrap()["state"], "active", "{step}");
            lab.hv.ip("link show nlans0");
            lab.dnsmasq_pid("anslab");
        }
        if !check && state == "stopped" {
            assert_eq!(lab.listed("anslab").unwrap()["state"], "inactive", "{step}");
        }
    }
    assert_eq!(lab.listed("anslab"), None, "the network is still there");
    lab.same(&before, "once the network is absent");
    assert_eq!(lab.leftovers("anslab"), Vec::<String>::new());
    lab.finish();
}
