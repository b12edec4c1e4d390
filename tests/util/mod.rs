//! Helpers shared by the integration tests: paths, running the binary, text diffs.

pub mod equivalence;
pub mod fields;
pub mod nm;
pub mod routes;
/// Complexity checks shared with the unit tests.
#[path = "../../src/scaling.rs"]
pub mod scaling;
pub mod tools;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a test waits for what normally takes well under a second (a process to start or
/// end, a socket to open, a daemon or timer to act): long enough that only a real failure
/// runs out of it, never a busy machine. Tests assert what happens, never how fast: speed is
/// measured in `benches/`.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Tries `probe` every 50 ms until it gives a value, or gives `None` once [`PATIENCE`] has
/// run out (after one last try).
pub fn poll<T>(mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        let last = start.elapsed() >= PATIENCE;
        if let Some(value) = probe() {
            return Some(value);
        }
        if last {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether `cond` comes to hold within [`PATIENCE`].
pub fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    poll(|| cond().then_some(())).is_some()
}

/// What `look` sees while an `apply --confirm SECS` is still pending: the transaction's
/// deadline is SECS after its commit, which came after `since`, so a look that ended before
/// `since + SECS` saw the pending state. A busy machine may take longer; then the timer may
/// rightly have rolled the change back already, and nothing can be said of the window: the
/// test says so on standard error and asserts nothing of it (`None`). Time is a guard here,
/// never what a test asserts.
pub fn while_pending<T>(
    since: Instant,
    secs: u64,
    what: &str,
    look: impl FnOnce() -> T,
) -> Option<T> {
    let seen = look();
    if since.elapsed() < Duration::from_secs(secs) {
        return Some(seen);
    }
    eprintln!(
        "{what}: not checked: the machine took over {secs} s, so the confirmation window may \
         have closed before the look"
    );
    None
}

/// `args` for a run of netloom whose `apply` verifies the running host: `--verify-timeout`
/// is [`PATIENCE`] unless the test sets its own (or `--no-verify`), so that a busy machine,
/// slow to bring interfaces up, cannot fail a change that is right. Other verbs are left as
/// they are.
pub fn patient(args: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let own = args
        .iter()
        .any(|a| a.starts_with("--verify-timeout") || *a == "--no-verify");
    if args.first() == Some(&"apply") && !own {
        out.insert(1, format!("--verify-timeout={}", PATIENCE.as_secs()));
    }
    out
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The options of `options` (name and value) that the verb `args` names takes, then `args`:
/// for a helper that gives every command the same `--backend`, `--live-mode` and `--root`,
/// since a verb refuses an option it does not take.
pub fn taken<'a>(options: &[(&'a str, &'a str)], args: &[&'a str]) -> Vec<&'a str> {
    let mut all = options_taken(options, args);
    all.extend_from_slice(args);
    all
}

/// The options of `options` (name and value) that the verb `args` names takes.
pub fn options_taken<'a>(options: &[(&'a str, &'a str)], args: &[&str]) -> Vec<&'a str> {
    use clap::CommandFactory;
    let mut verb = netloom::cli::Cli::command();
    for arg in args {
        match verb.find_subcommand(arg) {
            Some(sub) => verb = sub.clone(),
            None => break,
        }
    }
    let takes = |name: &str| {
        (verb.get_arguments()).any(|a| a.get_long().is_some_and(|l| name == format!("--{l}")))
    };
    (options.iter())
        .filter(|(name, _)| takes(name))
        .flat_map(|(name, value)| [*name, *value])
        .collect()
}

/// What a run of the binary gave back.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `netloom ARGS` in `cwd`, feeding `stdin` if given.
pub fn netloom(args: &[&str], cwd: &Path, stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netloom"))
        .args(args)
        .current_dir(cwd)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the netloom binary starts");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out
            .status
            .code()
            .expect("netloom exits normally, not by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A unified diff from `old` to `new`, empty when they are equal.
pub fn diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

/// A folder of the reference data in `../shared`, which sits beside the repository in CI and
/// in the developers' checkouts. Missing on CI is a failure; elsewhere the test is skipped
/// with a printed reason, never passed silently.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let dir = repo().join("..").join("shared").join(rel);
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing; CI must have shared/ beside the repository",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED: {} not found (the conformance data lives in ../shared beside the repository)",
        dir.display()
    );
    None
}

/// The `*.xml` files of a folder, sorted by name.
pub fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files
}

/// Reads `text` and writes its canonical form, which must read back to the same model and
/// write the same text again. Returns the host and its canonical form, or what went wrong.
pub fn canonical(name: &str, text: &str) -> Result<(netloom::model::Host, String), String> {
    let host =
        netloom::xml::read_str(name, text).map_err(|e| format!("{name} does not read:\n{e}"))?;
    let canonical = netloom::xml::to_xml(&host);
    let again = netloom::xml::read_str("canonical", &canonical)
        .map_err(|e| format!("{name}: the canonical form does not read back:\n{e}"))?;
    if again != host {
        return Err(format!(
            "{name}: the canonical form reads back to a different model"
        ));
    }
    if netloom::xml::to_xml(&again) != canonical {
        return Err(format!(
            "{name}: writing the canonical form again changes it"
        ));
    }
    Ok((host, canonical))
}

/// Whether `tool` is installed: on `PATH`, or in the system directories a non-root `PATH`
/// lacks (`ip`, `dnsmasq` and `ifup` live in `/usr/sbin`).
pub fn have(tool: &str) -> bool {
    locate(tool).is_some()
}

/// Where `tool` is: on `PATH`, or in the system directories a non-root `PATH` lacks.
pub fn locate(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// Whether a test that needs what `missing` says is absent can run: without a reason, yes;
/// with one, it prints `SKIPPED: WHAT: REASON` and returns false, except under CI, where
/// the machine must have installed everything (`scripts/test` does), so it fails.
pub fn runnable(what: &str, missing: Option<String>) -> bool {
    match missing {
        None => true,
        Some(why) if std::env::var_os("CI").is_some() => panic!("{what}: {why}"),
        Some(why) => {
            eprintln!("SKIPPED: {what}: {why}");
            false
        }
    }
}

/// Fails, showing all of `haystack`, unless it contains `needle`: the one check most CLI
/// tests make of an output, written once.
#[track_caller]
pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "{needle:?} not in:\n{haystack}");
}

/// Fails unless `status --format json`'s `report` says the host is out of sync by exactly
/// one setting of its first interface, `drift`: the check every backend's drift test makes.
#[track_caller]
pub fn assert_drift(report: &serde_json::Value, drift: serde_json::Value) {
    assert_eq!(report["in_sync"], false, "{report}");
    assert_eq!(
        report["interfaces"][0]["drift"],
        serde_json::json!([drift]),
        "{report}"
    );
}

/// The live routes `status --format json`'s `report` shows for its first interface, which
/// must be in sync.
#[track_caller]
pub fn in_sync_routes(report: &serde_json::Value) -> Vec<&str> {
    let first = &report["interfaces"][0];
    assert_eq!(first["state"], "in-sync", "{report}");
    let routes = first["live"]["routes"].as_array();
    routes
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .collect()
}
