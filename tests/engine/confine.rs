//! Confinement: nothing under the root is reached through a symbolic link, there from the
//! start or swapped in while netloom runs, and nothing but a regular file is read or
//! replaced. Each case has somewhere outside the root for a followed link to lead, set up so
//! that following it would succeed, and checks that nothing there changed.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::support::{HOST_A, HOST_B, NULL_DIR, Out, Sandbox, Tree, temporaries};

/// What netloom says of a link under the root.
const NO_LINKS: &str =
    "is a symbolic link; netloom does not follow symbolic links under the target root";

/// A network on host devices: starting it writes its state under `run/netloom`, and nothing
/// live.
const HOST_NET: &str = "<network><name>host</name><forward mode='bridge'/>\
                        <bridge name='brhost'/></network>";

/// Everything in a directory outside the root: path to bytes (`None` for a directory).
fn contents(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let bytes = e
                .file_type()
                .is_file()
                .then(|| std::fs::read(e.path()).unwrap());
            (rel, bytes)
        })
        .collect()
}

/// A directory outside the root holding `below` (the rest of the path netloom would walk
/// through a link to it) and a file of its own, so that following the link would succeed,
/// and would show.
fn outside(sb: &Sandbox, below: &str) -> PathBuf {
    let out = sb.dir().join("outside");
    std::fs::create_dir_all(out.join(below)).unwrap();
    std::fs::write(out.join("canary"), "untouched\n").unwrap();
    out
}

/// Replaces the directory `rel` under the root (made if missing) by a link to `to`.
fn plant_link(sb: &Sandbox, rel: &str, to: &Path) {
    let at = sb.at(rel);
    if at.is_dir() {
        std::fs::remove_dir_all(&at).unwrap();
    }
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(to, &at).unwrap();
}

#[test]
fn a_symlink_at_any_component_of_any_path_is_refused_naming_it() {
    // (the directory that becomes a link, the path below it, the command that writes there)
    let apply: &[&str] = &["--backend", "null", "apply", "--yes", "HOST"];
    let start: &[&str] = &["net", "start", "host"];
    let ports: &[&str] = &["port", "list"];
    let cases: &[(&str, &str, &[&str])] = &[
        // The files of a backend.
        ("etc", "netloom/null", apply),
        ("etc/netloom", "null", apply),
        ("etc/netloom/null", "", apply),
        // The journal and the lock.
        ("var", "lib/netloom/journal", apply),
        ("var/lib", "netloom/journal", apply),
        ("var/lib/netloom", "journal", apply),
        ("var/lib/netloom/journal", "", apply),
        // A running network's state, and guests' ports.
        ("run", "netloom/networks", start),
        ("run/netloom", "networks", start),
        ("run/netloom/networks", "", start),
        ("run/netloom/guests", "", ports),
        ("run/netloom/ports", "", ports),
    ];
    for (link, below, args) in cases {
        let what = format!("{link} a link, {}", args.join(" "));
        let sb = Sandbox::new();
        let host = sb.input("host.xml", HOST_A);
        let net = sb.input("net.xml", HOST_NET);
        if args[0] == "net" {
            sb.run(&["net", "define", &net]).expect(0);
        }
        // The journal's own directories exist before: the lock is taken first.
        if link.starts_with("var/lib/netloom/") {
            sb.run(&["history"]).expect(0);
        }
        let out_dir = outside(&sb, below);
        let before = contents(&out_dir);
        plant_link(&sb, link, &out_dir);
        let tree = sb.tree();
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "HOST" { host.as_str() } else { a })
            .collect();
        let out = sb.run(&args);
        out.expect(2)
            .stderr_has(&format!("{}/{link} {NO_LINKS}", sb.root().display()));
        assert_eq!(
            contents(&out_dir),
            before,
            "{what}: written outside the root"
        );
        assert_eq!(sb.tree(), tree, "{what}: the root changed");
    }
}

#[test]
fn a_lock_or_a_managed_file_that_is_a_symlink_is_refused_and_its_target_kept() {
    let sb = Sandbox::new();
    let host = sb.input("host.xml", HOST_A);
    let victim = sb.dir().join("victim");
    std::fs::write(&victim, "keep\n").unwrap();
    // A managed file.
    std::fs::create_dir_all(sb.at(NULL_DIR)).unwrap();
    let eth0 = format!("{NULL_DIR}/eth0.xml");
    std::os::unix::fs::symlink(&victim, sb.at(&eth0)).unwrap();
    for verb in ["diff", "apply"] {
        let out = sb.run(&["--backend", "null", verb, &host]);
        out.expect(2)
            .stderr_has(&format!("{}/{eth0} {NO_LINKS}", sb.root().display()));
    }
    std::fs::remove_file(sb.at(&eth0)).unwrap();
    // The lock.
    std::fs::create_dir_all(sb.at("var/lib/netloom")).unwrap();
    std::os::unix::fs::symlink(&victim, sb.at("var/lib/netloom/lock")).unwrap();
    sb.run(&["--backend", "null", "apply", "--yes", &host])
        .expect(2)
        .stderr_has(&format!(
            "{}/var/lib/netloom/lock {NO_LINKS}",
            sb.root().display()
        ));
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep\n");
    assert!(!sb.at(&eth0).exists());
}

/// Runs `sb`'s netloom with `args`, failing the test if it has not returned within
/// [`crate::util::PATIENCE`]: what it must never do is wait.
fn run_bounded(sb: &Sandbox, args: &[&str]) -> Out {
    let mut child = sb
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = crate::util::poll(|| child.try_wait().unwrap());
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "netloom {} did not return: it waited on a FIFO",
            args.join(" ")
        );
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Out {
        status,
        stdout,
        stderr,
    }
}

/// Makes a FIFO at `path`.
fn mkfifo(path: &Path) {
    let mode = rustix::fs::Mode::from_raw_mode(0o644);
    rustix::fs::mknodat(rustix::fs::CWD, path, rustix::fs::FileType::Fifo, mode, 0).unwrap();
}

/// Makes something at `path` that is neither a file nor a FIFO: a character device (the
/// same as /dev/null) when this test may make one, else a socket.
fn device_like(path: &Path) -> &'static str {
    let mode = rustix::fs::Mode::from_raw_mode(0o644);
    let dev = rustix::fs::makedev(1, 3);
    let kind = rustix::fs::FileType::CharacterDevice;
    if rustix::fs::mknodat(rustix::fs::CWD, path, kind, mode, dev).is_ok() {
        return "is a character device";
    }
    let listener = std::os::unix::net::UnixListener::bind(path).unwrap();
    // The socket file stays when the listener goes.
    drop(listener);
    assert!(
        std::fs::symlink_metadata(path)
            .unwrap()
            .file_type()
            .is_socket()
    );
    "is a socket"
}

#[test]
fn a_fifo_or_a_device_where_a_file_should_be_is_refused_by_name_without_waiting() {
    let eth0 = format!("{NULL_DIR}/eth0.xml");
    let eth9 = format!("{NULL_DIR}/eth9.xml");
    // (the path, what is made there, the commands, what it is called)
    type Make = fn(&Path) -> &'static str;
    let fifo: Make = |p| {
        mkfifo(p);
        "is a FIFO"
    };
    let cases: [(&str, Make); 4] = [
        // A file the plan replaces.
        (&eth0, fifo),
        (&eth0, device_like),
        // One the scan lists but nothing renders.
        (&eth9, fifo),
        // The lock.
        ("var/lib/netloom/lock", fifo),
    ];
    for (rel, make) in cases {
        let sb = Sandbox::new();
        let host = sb.input("host.xml", HOST_A);
        std::fs::create_dir_all(sb.at(rel).parent().unwrap()).unwrap();
        let kind = make(&sb.at(rel));
        let tree = sb.tree();
        let verbs: &[&[&str]] = if rel.ends_with("lock") {
            &[&["--backend", "null", "apply", "--yes", &host]]
        } else {
            &[
                &["--backend", "null", "render", &host],
                &["--backend", "null", "diff", &host],
                &["--backend", "null", "apply", "--yes", &host],
            ]
        };
        for args in verbs {
            let out = run_bounded(&sb, args);
            out.expect(2).stderr_has(&format!(
                "{}/{rel} {kind}; netloom reads and replaces only regular files under the \
                 target root",
                sb.root().display()
            ));
            assert_eq!(sb.tree(), tree, "{rel}: {}", args.join(" "));
        }
    }
}

/// Swaps a directory under the root with a link to a directory outside it, over and over,
/// each swap atomic (`renameat2(RENAME_EXCHANGE)`), so the path is always one or the other
/// and the real directory, whatever its name at the moment, stays inside the root.
struct Flipper {
    stop: Arc<AtomicBool>,
    flips: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Flipper {
    fn start(dir: PathBuf, outside: &Path) -> Self {
        let link = dir.with_extension("flip");
        std::os::unix::fs::symlink(outside, &link).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flips = Arc::new(AtomicU64::new(0));
        let (s, f) = (stop.clone(), flips.clone());
        let exchange = move || {
            rustix::fs::renameat_with(
                rustix::fs::CWD,
                &dir,
                rustix::fs::CWD,
                &link,
                rustix::fs::RenameFlags::EXCHANGE,
            )
        };
        let thread = std::thread::spawn(move || {
            let mut n: u64 = 0;
            while !s.load(Ordering::Relaxed) || n % 2 == 1 {
                if let Err(e) = exchange() {
                    // Counted as a flip that never ends: the test sees the count stop.
                    eprintln!("the flipper stopped: {e}");
                    f.store(u64::MAX, Ordering::SeqCst);
                    break;
                }
                n += 1;
                f.store(n, Ordering::SeqCst);
                // Between a tenth of a millisecond and two: some runs see one state
                // throughout, others several.
                let wait = 100 + (n.wrapping_mul(2_654_435_761) % 1_900);
                std::thread::sleep(Duration::from_micros(wait));
            }
        });
        Flipper {
            stop,
            flips,
            thread: Some(thread),
        }
    }

    fn flips(&self) -> u64 {
        self.flips.load(Ordering::SeqCst)
    }

    /// Stops with the real directory back at its name.
    fn finish(self) {}
}

impl Drop for Flipper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How many rounds each race runs: `NETLOOM_RACE_ROUNDS`, else enough for many flips to land
/// mid-run (each round is four commands).
fn rounds() -> usize {
    std::env::var("NETLOOM_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// Applies, rollbacks and recoveries (an apply killed mid-way, then a command that finishes
/// it) while `flipped` (a directory under the root) keeps turning into a link to a directory
/// outside it and back. Nothing may ever appear outside; every command succeeds inside the
/// root, or fails naming the link, or (the killed one) dies where it was told to.
fn race(flipped: &str) {
    let sb = Sandbox::new();
    let (a, b) = (sb.input("a.xml", HOST_A), sb.input("b.xml", HOST_B));
    // Made here, so that no rollback removes it as a directory a transaction made.
    std::fs::create_dir_all(sb.at(NULL_DIR)).unwrap();
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    let outside = sb.dir().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let flipper = Flipper::start(sb.at(flipped), &outside);
    let (mut runs, mut mid_run, mut refused, mut killed) = (0, 0, 0, 0);
    for round in 0..rounds() {
        let steps: [(&[&str], Option<&str>); 4] = [
            (&["--backend", "null", "apply", "--yes", &b], None),
            (&["rollback", "--yes"], None),
            (
                &["--backend", "null", "apply", "--yes", &b],
                Some("kill@file-1"),
            ),
            (&["history"], None),
        ];
        for (args, fault) in steps {
            let before = flipper.flips();
            let out = sb.run_with(args, fault);
            runs += 1;
            if flipper.flips() != before {
                mid_run += 1;
            }
            let what = format!("round {round}: {}", args.join(" "));
            match out.code() {
                Some(0) => {}
                Some(2) if out.stderr.contains(NO_LINKS) => refused += 1,
                // Applies refused one after the other can leave nothing to undo.
                Some(2) if out.stderr.contains("there is no transaction to roll back") => {}
                None if fault.is_some() => {
                    out.expect_killed(&what);
                    killed += 1;
                }
                _ => panic!(
                    "{what}: neither done nor refused naming the link: {:?}\n{}",
                    out.status, out.stderr
                ),
            }
            let found = std::fs::read_dir(&outside).unwrap().count();
            assert_eq!(found, 0, "{what}: wrote outside the root");
        }
    }
    assert_ne!(flipper.flips(), u64::MAX, "the flipper stopped early");
    flipper.finish();
    std::fs::remove_file(sb.at(flipped).with_extension("flip")).unwrap();
    eprintln!(
        "race on {flipped}: {runs} commands, {mid_run} with a flip mid-run, {refused} refused \
         naming the link, {killed} killed on purpose"
    );
    assert!(
        mid_run > runs / 4,
        "too few flips landed mid-run: {mid_run} of {runs}"
    );
    assert!(refused > 0, "the link was never met");
    // Whatever was left half done is finished, inside the root.
    sb.run(&["history"]).expect(0);
    let tree: Tree = sb.tree();
    assert!(temporaries(&tree).is_empty(), "{:?}", temporaries(&tree));
    let files: Vec<&String> = tree
        .keys()
        .filter(|p| p.starts_with(&format!("{NULL_DIR}/")))
        .collect();
    // After A, after B, or after everything was rolled back.
    let names: Vec<String> = files
        .iter()
        .map(|p| p[NULL_DIR.len() + 1..].to_owned())
        .collect();
    assert!(
        names == ["eth0.xml", "eth1.xml"] || names == ["eth1.xml", "eth2.xml"] || names.is_empty(),
        "neither before nor after a transaction: {names:?}"
    );
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[test]
fn a_files_directory_swapped_for_a_symlink_mid_run_never_leads_outside() {
    race(NULL_DIR);
}

#[test]
fn the_journal_swapped_for_a_symlink_mid_run_never_leads_outside() {
    race("var/lib/netloom/journal");
}

/// Copies the directory tree `from` to `to` (directories and regular files).
fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn the_confirmation_timer_works_on_the_root_it_was_handed_not_on_its_path() {
    use std::os::unix::fs::MetadataExt;
    let sb = Sandbox::new();
    let (a, b) = (sb.input("a.xml", HOST_A), sb.input("b.xml", HOST_B));
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    sb.run(&[
        "--backend",
        "null",
        "apply",
        "--yes",
        "--confirm",
        "3600",
        &b,
    ])
    .expect(0);
    sb.kill_timer();
    // Past its deadline; then the root is moved away, and a copy of it takes its path.
    std::fs::write(
        sb.journal(2).join("state"),
        r#"{"state":"pending","deadline":1}"#,
    )
    .unwrap();
    let moved = sb.dir().join("moved");
    std::fs::rename(sb.root(), &moved).unwrap();
    copy_tree(&moved, sb.root());
    let meta = std::fs::metadata(&moved).unwrap();
    let id = format!("{}:{}", meta.dev(), meta.ino());
    let state = |root: &Path| {
        std::fs::read_to_string(root.join("var/lib/netloom/journal/2/state")).unwrap()
    };
    let copy = sb.root().to_path_buf();
    let pending = state(&copy);
    let timer = |stdin: Stdio| {
        let out = sb
            .command(&["__revert-timer", "2", "--root-id", &id])
            .stdin(stdin)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Not handed the root (standard input is not it): the path leads elsewhere, refused.
    let (code, stderr) = timer(Stdio::null());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} is no longer the directory transaction 2 was applied to",
            copy.display()
        )),
        "{stderr}"
    );
    assert_eq!(state(&copy), pending);
    assert_eq!(state(&moved), pending);
    // Handed the root: that one is rolled back, the directory at its old path is not.
    let handed = std::fs::File::open(&moved).unwrap();
    let (code, stderr) = timer(Stdio::from(handed));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        state(&moved),
        r#"{"state":"rolled-back","reason":"expired"}"#
    );
    assert_eq!(state(&copy), pending);
}
