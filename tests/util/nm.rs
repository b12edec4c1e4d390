//! A real NetworkManager for a test: `../shared/scripts/nm-sandbox` runs one on a private
//! D-Bus, in network namespaces of its own with veth NICs (see
//! `../shared/notes/nm-sandbox.md`). Each test starts its own: checkpoints cover every
//! device, so two tests sharing one daemon would trip over each other's.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use netloom::backends::nm::live::Client;

use crate::util;

/// The sandbox script, beside the repository.
pub fn script() -> PathBuf {
    util::repo().join("../shared/scripts/nm-sandbox")
}

/// Whether this process runs as root (the owner of `/proc/self` is the effective uid).
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Why a sandbox cannot start here, if it cannot.
fn missing() -> Option<String> {
    if !is_root() {
        return Some("needs root (NetworkManager runs in network namespaces of its own)".into());
    }
    let script = script();
    if !script.is_file() {
        return Some(format!("{} not found", script.display()));
    }
    // What the sandbox script runs (it would install what is missing itself, but tests
    // install nothing behind scripts/test's back).
    util::tools::first_absent(&[
        "NetworkManager",
        "nmcli",
        "dbus-daemon",
        "dbus-send",
        "ip",
        "unshare",
        "setsid",
        "flock",
        "mount",
        "realpath",
        "sha256sum",
    ])
}

/// Runs `nm-sandbox VERB DIR`, with `extra` as `NM_SANDBOX_EXTRA_CONF` if given.
fn sandbox_cmd(verb: &str, dir: &Path) -> std::io::Result<std::process::Output> {
    sandbox_cmd_with(verb, dir, None)
}

fn sandbox_cmd_with(
    verb: &str,
    dir: &Path,
    extra: Option<&Path>,
) -> std::io::Result<std::process::Output> {
    let mut cmd = Command::new(script());
    cmd.arg(verb).arg(dir);
    if let Some(conf) = extra {
        cmd.env("NM_SANDBOX_EXTRA_CONF", conf);
    }
    cmd.output()
}

/// A running sandbox; dropping it stops NetworkManager and removes its folder.
pub struct Sandbox {
    /// What `nm-sandbox start` exported, in its order.
    pub env: Vec<(String, String)>,
    dir: Option<tempfile::TempDir>,
}

impl Sandbox {
    /// Starts a sandbox for the test `what`, or prints why it cannot and returns None (a
    /// failure under CI, see [`util::runnable`]).
    pub fn start(what: &str) -> Option<Sandbox> {
        Sandbox::start_with(what, None)
    }

    /// [`Sandbox::start`], with `conf` added to NetworkManager's configuration
    /// (`conf.d/90-extra.conf`, which overrides the sandbox's own).
    pub fn start_with(what: &str, conf: Option<&str>) -> Option<Sandbox> {
        if !util::runnable(what, missing()) {
            return None;
        }
        // The script takes [A-Za-z0-9._/-] and at most 98 characters (a unix socket path).
        // The prefix is this harness's own: another session on the machine once swept
        // `/tmp/nm-client.*` while sandboxes in them ran (see `rescue`).
        let dir = tempfile::Builder::new()
            .prefix("nmlive-sb.")
            .tempdir_in("/tmp")
            .expect("a folder under /tmp");
        let path = dir.path().to_str().expect("a UTF-8 path").to_owned();
        assert!(
            path.len() <= 98
                && path
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c)),
            "{path} is not a path nm-sandbox takes"
        );
        let extra = conf.map(|text| {
            let file = tempfile::NamedTempFile::new().expect("a temporary file");
            std::fs::write(file.path(), text).expect("the extra configuration is written");
            file
        });
        let out = sandbox_cmd_with("start", Path::new(&path), extra.as_ref().map(|f| f.path()))
            .expect("nm-sandbox runs");
        if !out.status.success() {
            // It cleans up after a failed start itself; stop anyway, it is idempotent. Keep
            // the folder unless that worked: `stop` needs the pid records in it.
            let stop = sandbox_cmd("stop", Path::new(&path));
            if !stop.is_ok_and(|o| o.status.success()) {
                let _ = dir.keep();
            }
            panic!(
                "{what}: nm-sandbox start {path} failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let env = parse_exports(&String::from_utf8_lossy(&out.stdout));
        Some(Sandbox {
            env,
            dir: Some(dir),
        })
    }

    /// Stops NetworkManager and starts it again on the same folder, as a reboot would: the
    /// keyfiles stay, checkpoints and active connections are gone. Waits for its startup.
    pub fn restart(&mut self) {
        let dir = self.dir().to_owned();
        for verb in ["stop", "start"] {
            let out = sandbox_cmd(verb, &dir).expect("nm-sandbox runs");
            assert!(
                out.status.success(),
                "nm-sandbox {verb} {}: {}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            if verb == "start" {
                self.env = parse_exports(&String::from_utf8_lossy(&out.stdout));
            }
        }
    }

    /// The folder the sandbox lives in (logs: `NetworkManager.log`).
    pub fn dir(&self) -> &Path {
        self.dir
            .as_ref()
            .map_or(Path::new("/nonexistent"), |d| d.path())
    }

    /// The value of an exported variable; a missing one is a bug in the script or here.
    pub fn var(&self, name: &str) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("nm-sandbox did not export {name}: {:?}", self.env))
    }

    /// The private bus, `unix:path=DIR/bus.sock`.
    pub fn address(&self) -> &str {
        self.var("DBUS_SYSTEM_BUS_ADDRESS")
    }

    /// The network namespace NetworkManager runs in.
    pub fn netns(&self) -> &str {
        self.var("NM_SANDBOX_NETNS")
    }

    /// The network namespace holding the other ends of the NICs.
    pub fn peer_netns(&self) -> &str {
        self.var("NM_SANDBOX_PEER_NETNS")
    }

    /// The NICs NetworkManager manages (`eth10`…`eth13`).
    pub fn ifaces(&self) -> Vec<String> {
        self.var("NM_SANDBOX_IFACES")
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    /// Where NetworkManager writes keyfiles (`DIR/nm-etc/system-connections`).
    pub fn keyfile_dir(&self) -> PathBuf {
        PathBuf::from(self.var("NM_SANDBOX_KEYFILE_DIR"))
    }

    /// Whether the kernel has `feature` (`BOND`, `VLAN`, `BRIDGE`, `DUMMY`, `MACVLAN`).
    pub fn have(&self, feature: &str) -> bool {
        self.var(&format!("NM_SANDBOX_HAVE_{}", feature.to_ascii_uppercase())) == "1"
    }

    /// Whether the kernel has `feature`; if not, prints `SKIPPED: WHAT: …`. Not a failure
    /// under CI: a missing kernel feature is the machine's, not the test setup's.
    pub fn needs(&self, feature: &str, what: &str) -> bool {
        let have = self.have(feature);
        if !have {
            eprintln!(
                "SKIPPED: {what}: this kernel has no {} (NM_SANDBOX_HAVE_{}=0)",
                feature.to_ascii_lowercase(),
                feature.to_ascii_uppercase()
            );
        }
        have
    }

    /// A client of this sandbox's NetworkManager.
    pub fn client(&self) -> Client {
        Client::connect_to(self.address())
            .unwrap_or_else(|e| panic!("cannot reach the sandbox's NetworkManager: {e}"))
    }

    /// `ip -n NETNS ARGS`, which must succeed; its stdout.
    #[track_caller]
    pub fn ip(&self, args: &[&str]) -> String {
        let out = util::tools::command("ip")
            .arg("-n")
            .arg(self.netns())
            .args(args)
            .output()
            .expect("ip runs");
        assert!(
            out.status.success(),
            "ip -n {} {args:?} failed: {}",
            self.netns(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let Some(dir) = self.dir.take() else { return };
        let out = sandbox_cmd("stop", dir.path());
        let stopped = out.as_ref().is_ok_and(|o| o.status.success());
        if !stopped {
            let why = match &out {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            let why = if dir.path().join("NetworkManager.pid").exists() {
                // Keep the folder: `stop` needs its pid records to try again.
                format!("{why}; kept {}", dir.keep().display())
            } else {
                format!("{why}; {}", self.rescue())
            };
            eprintln!("nm-sandbox stop failed: {why}");
            if !std::thread::panicking() {
                panic!("nm-sandbox stop failed: {why}");
            }
        } else if std::thread::panicking() {
            eprintln!(
                "the test failed; NetworkManager's log and keyfiles are kept in {}",
                dir.keep().display()
            );
        }
    }
}

impl Sandbox {
    /// When something else deleted the folder while the sandbox ran, `stop` has no pid
    /// records left and refuses. Ends the two daemons this sandbox started, by the pids it
    /// exported and only while they are still those daemons, then deletes its netns.
    fn rescue(&self) -> String {
        let dir = self.var("NM_SANDBOX_DIR").to_owned();
        let nm = self.var("NM_SANDBOX_NM_PID").to_owned();
        let bus = self.var("NM_SANDBOX_DBUS_PID").to_owned();
        let exe = |pid: &str| std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        let cmdline = |pid: &str| std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let identify = util::tools::command("ip")
            .args(["netns", "identify", &nm])
            .output();
        let in_netns =
            identify.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == self.netns());
        let mut done = Vec::new();
        if exe(&nm).ends_with("NetworkManager") && in_netns {
            let _ = util::tools::command("kill").arg(&nm).status();
            done.push(format!("ended NetworkManager {nm}"));
        }
        let ours = String::from_utf8_lossy(&cmdline(&bus)).contains(&format!("{dir}/dbus.conf"));
        if exe(&bus).ends_with("dbus-daemon") && ours {
            let _ = util::tools::command("kill").arg(&bus).status();
            done.push(format!("ended dbus-daemon {bus}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        for ns in [self.netns(), self.peer_netns()] {
            let _ = util::tools::command("ip")
                .args(["netns", "del", ns])
                .status();
        }
        format!(
            "{dir} was deleted while the sandbox ran; {} and deleted its netns",
            done.join(", ")
        )
    }
}

/// The variables of `nm-sandbox start`'s stdout: lines `export NAME='VALUE'` (what the
/// script prints: single quotes, in which nothing is special) or `export NAME=VALUE` with
/// no shell syntax in VALUE. Anything else fails loudly rather than being misread.
pub fn parse_exports(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let rest = line
                .strip_prefix("export ")
                .unwrap_or_else(|| panic!("not an export line: {line:?}"));
            let (name, raw) = rest
                .split_once('=')
                .unwrap_or_else(|| panic!("no '=' in {line:?}"));
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "bad variable name in {line:?}"
            );
            (name.to_owned(), unquote(raw, line))
        })
        .collect()
}

/// A shell word made of single-quoted parts (`'a'\''b'` is `a'b`) and plain characters.
fn unquote(raw: &str, line: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(c) => out.push(c),
                    None => panic!("unterminated quote in {line:?}"),
                }
            },
            '\\' => out.push(
                chars
                    .next()
                    .unwrap_or_else(|| panic!("trailing backslash in {line:?}")),
            ),
            c if c.is_ascii_alphanumeric() || "._/:,=+@%-".contains(c) => out.push(c),
            c => panic!("{c:?} needs shell evaluation in {line:?}; nm-sandbox changed its output"),
        }
    }
    out
}

#[test]
fn nm_sandbox_exports_are_read_as_the_shell_would() {
    let env = parse_exports(
        "export DBUS_SYSTEM_BUS_ADDRESS='unix:path=/tmp/nmsb.x/bus.sock'\n\
         export NM_SANDBOX_IFACES='eth10 eth11'\n\
         export PLAIN=1\n\
         export Q='it'\\''s'\n",
    );
    assert_eq!(
        env,
        [
            ("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/tmp/nmsb.x/bus.sock"),
            ("NM_SANDBOX_IFACES", "eth10 eth11"),
            ("PLAIN", "1"),
            ("Q", "it's"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
}

#[test]
#[should_panic(expected = "needs shell evaluation")]
fn nm_sandbox_export_with_shell_syntax_is_refused() {
    parse_exports("export X=\"$HOME\"\n");
}
