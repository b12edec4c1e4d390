//! What the engine tests share: a sandbox with a target root, the binary run against it (with
//! fault injection, and surviving its death by a signal), and snapshots of the root's tree.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use serde_json::Value;

/// Two interfaces: written into an empty root, they create `etc/netloom/null/{eth0,eth1}.xml`.
pub const HOST_A: &str = "<interfaces>
  <interface type='ethernet' name='eth0'><start mode='onboot'/></interface>
  <interface type='ethernet' name='eth1'><start mode='onboot'/></interface>
</interfaces>
";

/// After [`HOST_A`]: eth0 goes (a deletion), eth1 changes, eth2 is new.
pub const HOST_B: &str = "<interfaces>
  <interface type='ethernet' name='eth1'><start mode='none'/></interface>
  <interface type='ethernet' name='eth2'><start mode='onboot'/></interface>
</interfaces>
";

/// Where the null backend writes.
pub const NULL_DIR: &str = "etc/netloom/null";

/// Where the journal and the lock live; left out of every snapshot.
pub const STATE_DIR: &str = "var/lib/netloom";

/// One thing in a root's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A directory and its permission bits.
    Dir { mode: u32 },
    /// A regular file: bytes, permission bits, owner.
    File {
        bytes: Vec<u8>,
        mode: u32,
        uid: u32,
        gid: u32,
    },
    /// A symlink and where it points.
    Link(PathBuf),
    /// Something else (a FIFO, a device, a socket), never opened: what it is.
    Special(String),
}

/// A root's tree: every path below it (relative) and what it is, except the journal and the
/// lock. The directories `var` and `var/lib` are left out too, as the lock's parents (made by
/// the first command that locks and kept); anything else in them counts.
pub type Tree = BTreeMap<String, Node>;

/// Snapshots the tree under `root`.
pub fn tree(root: &Path) -> Tree {
    let mut out = Tree::new();
    walk(root, "", &mut out);
    out
}

fn walk(dir: &Path, rel: &str, out: &mut Tree) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().into_string().unwrap();
        let rel = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if rel == STATE_DIR {
            continue;
        }
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        if meta.file_type().is_symlink() {
            out.insert(rel, Node::Link(std::fs::read_link(&path).unwrap()));
        } else if meta.is_dir() {
            walk(&path, &rel, out);
            if rel != "var" && rel != "var/lib" {
                out.insert(rel, Node::Dir { mode });
            }
        } else if !meta.is_file() {
            out.insert(rel, Node::Special(format!("{:?}", meta.file_type())));
        } else {
            let node = Node::File {
                bytes: std::fs::read(&path).unwrap(),
                mode,
                uid: meta.uid(),
                gid: meta.gid(),
            };
            out.insert(rel, node);
        }
    }
}

/// Whether a path is one of the engine's temporary files.
pub fn is_temporary(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|n| n.starts_with(".netloom-"))
}

/// The temporary files in a tree.
pub fn temporaries(t: &Tree) -> Vec<&str> {
    t.keys()
        .map(String::as_str)
        .filter(|p| is_temporary(p))
        .collect()
}

fn show(node: Option<&Node>) -> String {
    match node {
        None => "absent".into(),
        Some(Node::Dir { mode }) => format!("directory {mode:04o}"),
        Some(Node::Link(to)) => format!("symlink to {}", to.display()),
        Some(Node::Special(kind)) => kind.clone(),
        Some(Node::File {
            bytes,
            mode,
            uid,
            gid,
        }) => format!(
            "file {mode:04o} {uid}:{gid} {:?}",
            String::from_utf8_lossy(bytes)
        ),
    }
}

/// Every path where two trees differ, one line each, for assertion messages.
pub fn differences(have: &Tree, want: &Tree) -> String {
    let paths: BTreeSet<&String> = have.keys().chain(want.keys()).collect();
    let mut out = String::new();
    for p in paths {
        let (h, w) = (have.get(p), want.get(p));
        if h != w {
            out.push_str(&format!(
                "  {p}:\n    have {}\n    want {}\n",
                show(h),
                show(w)
            ));
        }
    }
    out
}

/// Asserts that a tree is exactly `want`, listing every difference if not.
#[track_caller]
pub fn assert_tree(have: &Tree, want: &Tree, what: &str) {
    let diff = differences(have, want);
    assert!(diff.is_empty(), "{what}: the tree differs:\n{diff}");
}

/// Asserts that each path of `have` (temporaries aside) is as in `old` or as in `new`: a file
/// is never half written, whatever the moment a process died.
#[track_caller]
pub fn assert_each_old_or_new(have: &Tree, old: &Tree, new: &Tree, what: &str) {
    let paths: BTreeSet<&String> = have.keys().chain(old.keys()).chain(new.keys()).collect();
    for p in paths.into_iter().filter(|p| !is_temporary(p)) {
        let h = have.get(p);
        assert!(
            h == old.get(p) || h == new.get(p),
            "{what}: {p} is {}, neither the old {} nor the new {}",
            show(h),
            show(old.get(p)),
            show(new.get(p))
        );
    }
}

/// How a run of the binary ended, and what it printed.
#[derive(Debug)]
pub struct Out {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// The exit code; `None` when a signal ended the process.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Asserts exit code `code`, showing what was printed if not.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(code),
            "status {:?}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts that the process died by SIGKILL.
    #[track_caller]
    pub fn expect_killed(&self, what: &str) -> &Self {
        assert_eq!(
            self.status.signal(),
            Some(9),
            "{what}: expected death by SIGKILL, got {:?}\nstderr:\n{}",
            self.status,
            self.stderr
        );
        self
    }

    /// Asserts that standard error contains `text`.
    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}:\n{}",
            self.stderr
        );
        self
    }
}

/// A temporary directory holding a target root (`root/`) and the inputs given to the binary
/// (beside it, so they are not part of the root's tree).
pub struct Sandbox {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Sandbox {
    /// An empty root.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        Sandbox { dir, root }
    }

    /// The sandbox's own directory (outside the root).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The target root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of `rel` under the root.
    pub fn at(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Writes an input file beside the root and returns its path.
    pub fn input(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// Writes `rel` under the root with `mode`, creating its directories.
    pub fn put(&self, rel: &str, bytes: &str, mode: u32) {
        let path = self.at(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// The root's tree now.
    pub fn tree(&self) -> Tree {
        tree(&self.root)
    }

    /// `netloom --root ROOT ARGS...` with standard input closed.
    pub fn run(&self, args: &[&str]) -> Out {
        self.run_with(args, None)
    }

    /// The same, with `NETLOOM_FAULT` set to `fault`.
    pub fn run_with(&self, args: &[&str], fault: Option<&str>) -> Out {
        let mut cmd = self.command(args);
        match fault {
            Some(f) => cmd.env(netloom::engine::FAULT_VAR, f),
            None => cmd.env_remove(netloom::engine::FAULT_VAR),
        };
        let out = cmd.output().unwrap();
        Out {
            status: out.status,
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// The command line of a run, for tests that start it their own way.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_netloom"));
        cmd.arg("--root")
            .arg(&self.root)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove(netloom::engine::FAULT_VAR)
            .env_remove("NO_COLOR")
            .stdin(Stdio::null());
        cmd
    }

    /// The transactions of `netloom history --format json`, which must succeed.
    pub fn history(&self) -> Vec<Value> {
        let out = self.run(&["history", "--format", "json"]);
        out.expect(0);
        let doc: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(doc["version"], 1, "{doc}");
        match &doc["transactions"] {
            Value::Array(list) => list.clone(),
            _ => panic!("history has no list of transactions: {doc}"),
        }
    }

    /// The state of transaction `id` as `history --format json` gives it.
    pub fn state(&self, id: u64) -> Value {
        self.history()
            .into_iter()
            .find(|t| t["id"] == id)
            .map(|t| state_of(&t))
            .unwrap_or_else(|| panic!("no transaction {id} in the history"))
    }

    /// The journal directory of transaction `id`.
    pub fn journal(&self, id: u64) -> PathBuf {
        self.at(&format!("{STATE_DIR}/journal/{id}"))
    }

    /// Whether anything of netloom's own (journal, lock) exists under the root.
    pub fn has_state_dir(&self) -> bool {
        self.at(STATE_DIR).exists()
    }

    /// The ids of the confirmation timers running for this root.
    pub fn timers(&self) -> Vec<u32> {
        let real = std::fs::canonicalize(&self.root).unwrap();
        let real = real.to_str().unwrap();
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            if args.contains(&&b"__revert-timer"[..]) && args.contains(&real.as_bytes()) {
                found.push(pid);
            }
        }
        found
    }

    /// Waits until exactly one timer runs for this root, and returns its process id. (A
    /// process shows its command line only once its `exec` is complete, which may be a
    /// moment after the `apply` that started it has exited.)
    pub fn timer(&self) -> u32 {
        let mut found = Vec::new();
        crate::util::eventually(|| {
            found = self.timers();
            found.len() == 1
        });
        assert_eq!(found.len(), 1, "timers for the root: {found:?}");
        found[0]
    }

    /// Kills this root's timer (SIGKILL) and waits until it is gone.
    pub fn kill_timer(&self) {
        let pid = self.timer();
        let status = crate::util::tools::command("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert!(
            crate::util::eventually(|| self.timers().is_empty()),
            "the timer did not die"
        );
    }
}

/// A transaction's state and, when it has one, its reason, from the flat fields of
/// `history --format json`, to compare with [`committed`] and [`rolled_back`].
pub fn state_of(t: &Value) -> Value {
    let mut state = serde_json::json!({"state": t["state"]});
    if !t["reason"].is_null() {
        state["reason"] = t["reason"].clone();
    }
    state
}

/// The state JSON of a rolled-back transaction.
pub fn rolled_back(reason: &str) -> Value {
    serde_json::json!({"state": "rolled-back", "reason": reason})
}

/// The state JSON of a committed transaction.
pub fn committed() -> Value {
    serde_json::json!({"state": "committed"})
}

/// The effective user id of the test process (the owner of a file it creates).
pub fn euid() -> u32 {
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe");
    std::fs::write(&probe, "").unwrap();
    std::fs::metadata(&probe).unwrap().uid()
}
