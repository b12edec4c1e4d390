//! `netloom diff` output is a real patch: applied with GNU patch or `git apply` to a copy of
//! the old tree it must give the new tree, byte for byte (and mode for mode where the tool
//! keeps modes). The trees are pseudo-random but fixed by a seed, so a failure reproduces.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::util;
use netloom::backend::RenderedFile;
use netloom::plan::{FileState, Plan, write_diff, write_json};

/// A tiny xorshift generator: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A file as the test describes it: contents and permission bits.
type Tree = BTreeMap<String, (Vec<u8>, u32)>;

/// The case: the old tree, what the backend renders, what it removes, and the tree that
/// applying must give.
struct Case {
    old: Tree,
    rendered: Vec<RenderedFile>,
    removed: Vec<String>,
    new: Tree,
}

fn lines(rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| format!("KEY{}=value{}\n", rng.below(50), rng.below(1000)))
        .collect()
}

fn text(lines: &[String], final_newline: bool) -> String {
    let mut s: String = lines.concat();
    if !final_newline {
        s.pop();
    }
    s
}

impl Case {
    fn new() -> Self {
        Case {
            old: Tree::new(),
            rendered: Vec::new(),
            removed: Vec::new(),
            new: Tree::new(),
        }
    }

    /// A file that exists before (if `old`) and is rendered as `new` with `mode`; the mode
    /// after is the old one narrowed the way `Plan::new` does.
    fn render(&mut self, path: &str, old: Option<(&str, u32)>, new: &str, mode: u32) {
        let after = match old {
            Some((bytes, old_mode)) => {
                self.old
                    .insert(path.into(), (bytes.as_bytes().to_vec(), old_mode));
                old_mode & (mode | 0o700)
            }
            None => mode,
        };
        self.rendered.push(RenderedFile {
            path: path.into(),
            contents: new.into(),
            mode,
        });
        self.new
            .insert(path.into(), (new.as_bytes().to_vec(), after));
    }

    fn remove(&mut self, path: &str, old: &str, mode: u32) {
        self.old
            .insert(path.into(), (old.as_bytes().to_vec(), mode));
        self.removed.push(path.into());
    }

    /// A file the plan does not touch.
    fn keep(&mut self, path: &str, bytes: &str, mode: u32) {
        let f = (bytes.as_bytes().to_vec(), mode);
        self.old.insert(path.into(), f.clone());
        self.new.insert(path.into(), f);
    }

    fn plan(&self) -> Plan {
        let mut current = BTreeMap::new();
        for path in self
            .rendered
            .iter()
            .map(|f| &f.path)
            .chain(self.removed.iter())
        {
            let state = self.old.get(path).map(|(bytes, mode)| FileState {
                bytes: bytes.clone(),
                mode: *mode,
            });
            current.insert(path.clone(), state);
        }
        Plan::new(
            "ifcfg",
            self.rendered.clone(),
            self.removed.clone(),
            current,
        )
    }
}

fn case() -> Case {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut c = Case::new();
    let base = lines(&mut rng, 12);
    let d = "etc/sysconfig/network-scripts";

    let mut middle = base.clone();
    middle[6] = "CHANGED=middle\n".into();
    c.render(
        &format!("{d}/ifcfg-middle"),
        Some((&text(&base, true), 0o644)),
        &text(&middle, true),
        0o644,
    );

    let mut start = base.clone();
    start[0] = "CHANGED=start\n".into();
    start.insert(1, "ADDED=start\n".into());
    c.render(
        &format!("{d}/ifcfg-start"),
        Some((&text(&base, true), 0o644)),
        &text(&start, true),
        0o644,
    );

    let mut end = base.clone();
    end.pop();
    end.push("CHANGED=end\n".into());
    end.push("ADDED=end\n".into());
    c.render(
        &format!("{d}/ifcfg-end"),
        Some((&text(&base, true), 0o644)),
        &text(&end, true),
        0o644,
    );

    // No final newline before; the last line changes / stays the same.
    c.render(
        &format!("{d}/route-a"),
        Some((&text(&base, false), 0o644)),
        &text(&end, true),
        0o644,
    );
    c.render(
        &format!("{d}/route-b"),
        Some((&text(&base, false), 0o644)),
        &text(&start, false),
        0o644,
    );
    // No final newline after, and only the newline goes.
    c.render(
        &format!("{d}/route-c"),
        Some((&text(&base, true), 0o644)),
        &text(&middle, false),
        0o644,
    );
    c.render(
        &format!("{d}/route-d"),
        Some((&text(&base, true), 0o644)),
        &text(&base, false),
        0o644,
    );

    // Modes: narrowed, narrowed with new contents.
    c.render(
        "etc/NetworkManager/system-connections/a.nmconnection",
        Some((&text(&base, true), 0o644)),
        &text(&base, true),
        0o600,
    );
    c.render(
        "etc/NetworkManager/system-connections/b.nmconnection",
        Some((&text(&base, true), 0o664)),
        &text(&middle, true),
        0o600,
    );

    // Created: text, executable, empty, without final newline, in a new folder, with a space.
    c.render(&format!("{d}/ifcfg-new"), None, &text(&middle, true), 0o644);
    c.render(
        "etc/NetworkManager/dispatcher.d/10-netloom",
        None,
        "#!/bin/sh\nexit 0\n",
        0o755,
    );
    c.render("etc/netloom/empty", None, "", 0o644);
    c.render("etc/netloom/no-newline", None, "one line", 0o600);
    c.render("etc/netloom/with space", None, "spaced\n", 0o644);
    c.render("etc/netloom/naïve \"quoted\"", None, "quoted\n", 0o644);

    // Deleted: text, empty, without final newline.
    c.remove(&format!("{d}/ifcfg-old"), &text(&base, true), 0o644);
    c.remove(&format!("{d}/ifcfg-empty"), "", 0o644);
    c.remove(&format!("{d}/route-old"), &text(&base, false), 0o600);
    // Asked to remove but absent: nothing happens.
    c.removed.push(format!("{d}/never-there"));

    // Untouched: rendered the same, and not rendered at all.
    c.render(
        &format!("{d}/ifcfg-same"),
        Some((&text(&base, true), 0o644)),
        &text(&base, true),
        0o644,
    );
    c.keep(&format!("{d}/ifcfg-lo"), "DEVICE=lo\n", 0o644);

    // Random edits of longer files: several hunks, near and far apart.
    for i in 0..20 {
        let n = 5 + rng.below(60);
        let old = lines(&mut rng, n);
        let mut new = old.clone();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(new.len() + 1);
            match rng.below(3) {
                0 if at < new.len() => new[at] = format!("EDIT{i}={}\n", rng.next()),
                1 if at < new.len() => {
                    new.remove(at);
                }
                _ => new.insert(at, format!("INSERT{i}={}\n", rng.next())),
            }
        }
        let (old_nl, new_nl) = (rng.below(4) != 0, rng.below(4) != 0);
        c.render(
            &format!("random/{i:02}"),
            Some((&text(&old, old_nl), 0o644)),
            &text(&new, new_nl),
            0o644,
        );
    }
    c
}

fn write_tree(dir: &Path, tree: &Tree) {
    for (path, (bytes, mode)) in tree {
        let file = dir.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, bytes).unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(*mode)).unwrap();
    }
}

fn read_tree(dir: &Path) -> Tree {
    let mut tree = Tree::new();
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
    {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap();
            let mode = entry.metadata().unwrap().permissions().mode() & 0o7777;
            let bytes = fs::read(entry.path()).unwrap();
            tree.insert(rel.to_str().unwrap().to_owned(), (bytes, mode));
        }
    }
    tree
}

fn diff_of(plan: &Plan) -> Vec<u8> {
    let mut out = Vec::new();
    write_diff(plan, &mut out, netloom::plan::Look::default()).unwrap();
    out
}

/// Whether `tool` is installed; if not, says which package has it and the test returns.
fn have(tool: &str) -> bool {
    util::runnable("the diff applies", util::tools::absent(tool))
}

fn run(cmd: &mut Command, stdin: &[u8]) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout:\n{}\nstderr:\n{}\ndiff:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(stdin),
    );
}

fn assert_same(got: &Tree, want: &Tree, with_modes: impl Fn(u32) -> u32) {
    let show = |t: &Tree| -> Vec<(String, String, u32)> {
        t.iter()
            .map(|(p, (b, m))| {
                (
                    p.clone(),
                    String::from_utf8_lossy(b).into_owned(),
                    with_modes(*m),
                )
            })
            .collect()
    };
    assert_eq!(show(got), show(want));
    // And byte for byte, beyond what the lossy view shows.
    for (path, (bytes, _)) in want {
        assert_eq!(&got[path].0, bytes, "{path}");
    }
}

#[test]
fn the_plan_is_what_the_case_says() {
    let c = case();
    let plan = c.plan();
    let mut after = c.old.clone();
    for change in &plan.changes {
        match &change.new {
            Some(s) => after.insert(change.path.clone(), (s.bytes.clone(), s.mode)),
            None => after.remove(&change.path),
        };
    }
    assert_same(&after, &c.new, |m| m);
    // One change per path that differs between the trees, and no other.
    let paths: std::collections::BTreeSet<&String> = c.old.keys().chain(c.new.keys()).collect();
    let differing: Vec<&String> = paths
        .into_iter()
        .filter(|p| c.old.get(*p) != c.new.get(*p))
        .collect();
    let planned: Vec<&String> = plan.changes.iter().map(|ch| &ch.path).collect();
    assert_eq!(planned, differing);
}

#[test]
fn patch_turns_the_old_tree_into_the_new_one() {
    if !have("patch") {
        return;
    }
    let c = case();
    let diff = diff_of(&c.plan());
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &c.old);
    run(
        util::tools::command("patch")
            .args(["-p1", "--batch", "--forward", "--no-backup-if-mismatch"])
            .current_dir(dir.path()),
        &diff,
    );
    // GNU patch sets the modes from git's mode lines exactly.
    assert_same(&read_tree(dir.path()), &c.new, |m| m);
}

#[test]
fn git_apply_turns_the_old_tree_into_the_new_one() {
    if !have("git") {
        return;
    }
    let c = case();
    let mut plan = c.plan();
    // git records only "executable or not" and, since 2.42, reads 100600 as 100644: a block
    // that only narrows permissions is "only garbage" to it and fails the whole patch. Those
    // are left out here (their old and new modes agree on the executable bit, which is all
    // that is compared below); `patch` is checked with them above.
    let before = plan.changes.len();
    plan.changes.retain(|ch| match (&ch.old, &ch.new) {
        (Some(o), Some(n)) => o.bytes != n.bytes || (o.mode ^ n.mode) & 0o111 != 0,
        _ => true,
    });
    assert_eq!(before - plan.changes.len(), 1, "one permission-only change");
    let diff = diff_of(&plan);
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &c.old);
    run(
        util::tools::command("git")
            .args(["init", "-q", "."])
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .current_dir(dir.path()),
        b"",
    );
    run(
        util::tools::command("git")
            .args(["apply", "--whitespace=nowarn", "-"])
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .current_dir(dir.path()),
        &diff,
    );
    // git only records "executable or not" (100644/100755), so that is all it can restore.
    assert_same(&read_tree(dir.path()), &c.new, |m| m & 0o100);
}

#[test]
fn json_lists_every_change_with_its_diff() {
    let c = case();
    let plan = c.plan();
    let mut out = Vec::new();
    write_json(&plan, "/mnt/sysimage", &mut out).unwrap();
    assert_eq!(out.last(), Some(&b'\n'));
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["root"], "/mnt/sysimage");
    assert_eq!(doc["backend"], "ifcfg");
    assert_eq!(doc["changed"], true);
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(changes.len(), plan.changes.len());
    let mode = |s: &Option<FileState>| match s {
        Some(s) => serde_json::Value::from(format!("{:04o}", s.mode)),
        None => serde_json::Value::Null,
    };
    let mut all = String::new();
    for (got, want) in changes.iter().zip(&plan.changes) {
        assert_eq!(got["path"], want.path.as_str());
        assert_eq!(got["action"], want.action().as_str());
        assert_eq!(got["old_mode"], mode(&want.old));
        assert_eq!(got["new_mode"], mode(&want.new));
        assert_eq!(got["binary"], false);
        all.push_str(got["diff"].as_str().unwrap());
    }
    // The blocks, put together, are the diff.
    assert_eq!(all.as_bytes(), diff_of(&plan));
    let path = "etc/NetworkManager/system-connections/a.nmconnection";
    let a = changes.iter().find(|c| c["path"] == path).unwrap();
    assert_eq!(
        (&a["action"], &a["old_mode"], &a["new_mode"]),
        (&"modify".into(), &"0644".into(), &"0600".into())
    );
    let created = changes
        .iter()
        .find(|c| c["path"] == "etc/netloom/empty")
        .unwrap();
    assert_eq!(
        (&created["action"], &created["old_mode"]),
        (&"create".into(), &serde_json::Value::Null)
    );
}
