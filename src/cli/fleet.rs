//! `render`, `diff` and `validate` with `--fleet DIR`: every host of a fleet repository in
//! one run, the CI check of a repository that keeps many hosts' declarations.
//!
//! `DIR/HOST/` is one host: every `*.xml` in it is its declaration (as the files given to the
//! verb together), an optional `backend` file names its backend, and its current files are
//! `DIR/HOST/root/` or, with `--roots DIR2`, `DIR2/HOST/`. A host without either is compared
//! against an empty root, and its result says so. Hosts are read in parallel, each through
//! the steps the verb takes for one host; the results are printed in host-name order, then
//! every problem of every host, each with its `file:line:col`.
//!
//! Fleet mode writes nothing under a root: a root left mid-transaction is refused (the
//! per-host verb finishes it) rather than recovered. A repository is input, so the walk
//! follows no symbolic link: a linked host directory, root or file is refused, and names
//! starting with a dot (`.git`) are skipped.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use walkdir::{DirEntry, WalkDir};

use super::apply::DiffArgs;
use super::args::{Color, FleetArgs, Format};
use super::{Ctx, Status, choose_named, import, input, render, say};
use crate::backend::{Backend, BackendError, RenderedFile, Snapshot};
use crate::engine::{self, TargetRoot};
use crate::error::{Diagnostic, Diagnostics, Error, RefusedKind, Result, UsageKind};
use crate::model::Host;
use crate::plan::{self, Plan};
use crate::show::Shown;

/// The file in a host's directory that names its backend.
const BACKEND_FILE: &str = "backend";

/// The directory in a host's directory that holds its current files.
const ROOT_DIR: &str = "root";

/// Hosts one thread takes at least: a host costs about a millisecond, a thread more.
const MIN_CHUNK: usize = 4;

/// What a run does with each host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    /// Read the declaration and render it against an empty root: every problem an input can
    /// have, without reading a root's files.
    Validate,
    /// The files the backend makes, merged into what the host's root has.
    Render,
    /// The plan against the host's root.
    Diff,
}

/// What every host of one run shares.
struct Context {
    verb: Verb,
    /// `--backend`: the backend of a host without a `backend` file.
    backend: Option<String>,
    /// `--roots`.
    roots: Option<PathBuf>,
    /// `--max-input-size`, for reading a root.
    max_input: u64,
}

/// One host directory as the walk found it.
#[derive(Debug)]
struct HostDir {
    /// The directory's name (lossy when not UTF-8, which is one of its problems).
    name: String,
    /// The directory.
    dir: PathBuf,
    /// Its `*.xml` files, sorted by name.
    xml: Vec<PathBuf>,
    /// Its `backend` file, if it has one.
    backend: Option<PathBuf>,
    /// Whether it has a `root` directory.
    own_root: bool,
    /// What is wrong with its layout.
    problems: Vec<Diagnostic>,
}

/// What one host came to.
#[derive(Debug)]
struct Outcome {
    /// The host directory's name.
    name: String,
    /// The backend, once known.
    backend: Option<&'static str>,
    /// The root compared against, `None` for an empty root.
    root: Option<String>,
    /// The verb's result, or every problem of the host.
    result: std::result::Result<Done, Vec<Diagnostic>>,
    /// What the root holds that the declaration does not say (`diff`), each file named
    /// under the root.
    notes: Vec<Diagnostic>,
}

/// What the verb made of a valid host.
#[derive(Debug)]
enum Done {
    /// `validate`: nothing more to say.
    Valid,
    /// `render`: the files.
    Files(Vec<RenderedFile>),
    /// `diff`: the plan.
    Plan(Plan),
}

/// `validate --fleet DIR`.
pub(super) fn validate(args: &super::validate::Args, cli: &Ctx) -> Result<Status> {
    // `validate` takes `--backend` only with `--fleet`, so it is not in the verb's context.
    let cli = &Ctx {
        backend: args.backend.clone(),
        ..cli.clone()
    };
    let (hosts, stray) = run(&args.fleet, &args.files, cli, Verb::Validate)?;
    match args.format {
        Format::Text => print_text(&hosts, Color::Never),
        Format::Json => print_json(&hosts, &stray, &args.fleet, Verb::Validate),
    }?;
    finish(hosts, stray, Verb::Validate)
}

/// `render --fleet DIR [--out DIR3]`: each host's files printed under `HOST/PATH` headers,
/// or written under `DIR3/HOST/`; with any host invalid, nothing is written.
pub(super) fn render(args: &render::Args, cli: &Ctx) -> Result<Status> {
    if let Some(out) = &args.out {
        refuse_out_inside(out, &args.fleet)?;
    }
    let (hosts, stray) = run(&args.fleet, &args.files, cli, Verb::Render)?;
    match &args.out {
        Some(out) if stray.is_empty() && hosts.iter().all(|h| h.result.is_ok()) => {
            write_out(out, &hosts)?;
        }
        Some(_) => {}
        None => print_text(&hosts, Color::Never)?,
    }
    finish(hosts, stray, Verb::Render)
}

/// `diff --fleet DIR [--roots DIR2]`: exit 1 when any host would change, 2 when any is
/// invalid.
pub(super) fn diff(args: &DiffArgs, cli: &Ctx) -> Result<Status> {
    let (hosts, stray) = run(&args.fleet, &args.files, cli, Verb::Diff)?;
    match args.format {
        Format::Text => print_text(&hosts, args.color),
        Format::Json => print_json(&hosts, &stray, &args.fleet, Verb::Diff),
    }?;
    finish(hosts, stray, Verb::Diff)
}

/// Every host's outcome in name order, and what the walk could not read that belongs to
/// no host.
fn run(
    args: &FleetArgs,
    files: &[PathBuf],
    cli: &Ctx,
    verb: Verb,
) -> Result<(Vec<Outcome>, Vec<Diagnostic>)> {
    let Some(fleet) = &args.fleet else {
        return Err(Error::usage(UsageKind::Missing, "expected --fleet DIR"));
    };
    if !files.is_empty() {
        return Err(Error::usage(
            UsageKind::Conflict,
            "--fleet reads every host's files from DIR/HOST; give no FILE with it",
        ));
    }
    if cli.live != super::live::LiveMode::Auto {
        return Err(Error::usage(
            UsageKind::Conflict,
            "--live-mode is about one running host; --fleet compares files only",
        ));
    }
    if let Some(name) = &cli.backend {
        // Checked here, not per host: a host with a `backend` file never asks for it.
        choose_named(Some(name), Path::new("/"))?;
    }
    if cli.root != Path::new("/") {
        return Err(Error::usage(
            UsageKind::Conflict,
            "--root names one host's root; with --fleet, each host's is HOST/root or \
             --roots DIR/HOST",
        ));
    }
    let ctx = Context {
        verb,
        backend: cli.backend.clone(),
        roots: args.roots.clone(),
        max_input: cli.max_input_size,
    };
    if let Some(roots) = &args.roots
        && !roots.is_dir()
    {
        return Err(Error::usage(
            UsageKind::BadValue,
            format!(
                "--roots {}: expected a directory holding a directory per host",
                roots.display()
            ),
        ));
    }
    let (dirs, stray) = walk(fleet)?;
    if let Some(roots) = &args.roots {
        unclaimed(roots, &dirs);
    }
    let hosts = crate::parallel::map(&dirs, MIN_CHUNK, |dir| check(dir, &ctx));
    Ok((hosts, stray))
}

/// Says which directories of `--roots` no host of the fleet has (a host removed from the
/// repository, a misspelt name): nothing compares them, and a silent skip would hide it.
fn unclaimed(roots: &Path, hosts: &[HostDir]) {
    let Ok(entries) = std::fs::read_dir(roots) else {
        return;
    };
    let known: std::collections::HashSet<&std::ffi::OsStr> =
        hosts.iter().filter_map(|h| h.dir.file_name()).collect();
    let mut names: Vec<std::ffi::OsString> = entries
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .filter(|n| !n.to_string_lossy().starts_with('.') && !known.contains(n.as_os_str()))
        .collect();
    names.sort();
    for name in names {
        say(&format!(
            "{}: no host of this name in the fleet; not compared",
            roots.join(name).display()
        ));
    }
}

/// The host directories of the fleet, sorted by name, and what the walk could not read
/// that belongs to no host.
fn walk(fleet: &Path) -> Result<(Vec<HostDir>, Vec<Diagnostic>)> {
    let usage = |why: &str| {
        Error::usage(
            UsageKind::BadValue,
            format!("--fleet {}: {why}", fleet.display()),
        )
    };
    match std::fs::metadata(fleet) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(usage("expected a directory of host directories")),
        Err(e) => return Err(usage(&format!("cannot read: {e}"))),
    }
    let mut hosts: Vec<HostDir> = Vec::new();
    let mut stray = Vec::new();
    let entries = WalkDir::new(fleet)
        .min_depth(1)
        .max_depth(2)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.'));
    for entry in entries {
        match entry {
            Ok(e) if e.depth() == 1 => hosts.extend(host_dir(&e)),
            Ok(e) => match hosts.last_mut() {
                Some(host) if e.path().parent() == Some(host.dir.as_path()) => host.add(&e),
                _ => {}
            },
            Err(e) => {
                let path = e.path().unwrap_or(fleet).to_path_buf();
                let why = e
                    .io_error()
                    .map_or_else(|| e.to_string(), ToString::to_string);
                let d = Diagnostic::new(
                    path.display().to_string(),
                    None,
                    format!("cannot read: {why}"),
                );
                let owner = hosts.iter_mut().rev().find(|h| path.starts_with(&h.dir));
                match owner {
                    Some(host) => host.problems.push(d),
                    None => stray.push(d),
                }
            }
        }
    }
    if hosts.is_empty() && stray.is_empty() {
        return Err(usage(
            "holds no host directory; expected DIR/HOST/*.xml, one directory per host",
        ));
    }
    Ok((hosts, stray))
}

/// The host a top-level entry is, if it is one: a directory, or a link refused as one.
/// Plain files (a README) are not hosts.
fn host_dir(entry: &DirEntry) -> Option<HostDir> {
    let kind = entry.file_type();
    if !kind.is_dir() && !kind.is_symlink() {
        return None;
    }
    let path = entry.path();
    let mut host = HostDir {
        name: entry.file_name().to_string_lossy().into_owned(),
        dir: path.to_path_buf(),
        xml: Vec::new(),
        backend: None,
        own_root: false,
        problems: Vec::new(),
    };
    if entry.file_name().to_str().is_none() {
        host.problem(
            path,
            "a host directory's name must be UTF-8, to be named in output",
        );
    }
    if kind.is_symlink() {
        host.problem(
            path,
            "is a symbolic link; fleet mode follows no link in the repository, so make it a \
             directory",
        );
    }
    Some(host)
}

impl HostDir {
    /// A problem with `path` in this host's layout.
    fn problem(&mut self, path: &Path, message: &str) {
        (self.problems).push(Diagnostic::new(path.display().to_string(), None, message));
    }

    /// Takes note of one entry of the host's directory: an XML file, the backend file or
    /// the root. Anything else is not the host's (a README).
    fn add(&mut self, entry: &DirEntry) {
        let path = entry.path();
        let kind = entry.file_type();
        let name = entry.file_name();
        let link = "is a symbolic link; fleet mode follows no link in the repository, so make \
                    it a copy";
        let wanted = name == BACKEND_FILE
            || name == ROOT_DIR
            || Path::new(name).extension().is_some_and(|x| x == "xml");
        if !wanted {
            return;
        }
        if kind.is_symlink() {
            return self.problem(path, link);
        }
        if name == ROOT_DIR {
            if kind.is_dir() {
                self.own_root = true;
            } else {
                self.problem(
                    path,
                    "expected a directory holding the host's current files",
                );
            }
        } else if !kind.is_file() {
            self.problem(path, "expected a file");
        } else if name == BACKEND_FILE {
            self.backend = Some(path.to_path_buf());
        } else {
            self.xml.push(path.to_path_buf());
        }
    }
}

/// One host through the verb's steps, every problem of it collected: its layout, its
/// `backend` file and its XML are all read before giving up.
fn check(dir: &HostDir, ctx: &Context) -> Outcome {
    let mut problems = dir.problems.clone();
    // A link or an unreadable directory has no files to speak of: that problem says it.
    if dir.xml.is_empty() && dir.problems.is_empty() {
        problems.push(Diagnostic::new(
            dir.dir.display().to_string(),
            None,
            "holds no *.xml file; expected the host's interface XML",
        ));
    }
    let named = named_backend(dir, &mut problems);
    let (sources, read) = input::read_all(&dir.xml);
    let host = match input::host_of(&sources, read) {
        _ if dir.xml.is_empty() => None,
        Ok(host) => Some(host),
        Err(e) => {
            problems.extend(diagnostics(e, &dir.dir));
            None
        }
    };
    let root = root_of(dir, ctx).unwrap_or_else(|d| {
        problems.push(*d);
        None
    });
    let mut outcome = Outcome {
        name: dir.name.clone(),
        backend: None,
        root: root.as_ref().map(|r| r.display().to_string()),
        result: Err(Vec::new()),
        notes: Vec::new(),
    };
    outcome.result = match host {
        Some(host) if problems.is_empty() => {
            let name = named.or(ctx.backend.as_deref());
            steps(ctx, &host, name, root.as_deref(), &mut outcome)
                .map_err(|e| diagnostics(e, &dir.dir))
        }
        _ => Err(problems),
    };
    outcome
}

/// What the verb makes of a valid host: the backend chosen, the root opened (reading only),
/// then the files rendered or the plan made.
fn steps(
    ctx: &Context,
    host: &Host,
    name: Option<&str>,
    root: Option<&Path>,
    outcome: &mut Outcome,
) -> Result<Done> {
    let backend = match (name, root) {
        (None, None) => {
            return Err(Error::usage(
                UsageKind::NoBackend,
                format!(
                    "no `{BACKEND_FILE}` file, no --backend and no root to tell the backend \
                 from; write the backend's name into the host's `{BACKEND_FILE}` file"
                ),
            ));
        }
        (_, Some(root)) => choose_named(name, root)?,
        (Some(name), None) => choose_named(Some(name), Path::new(""))?,
    };
    outcome.backend = Some(backend.name());
    let root = root.map(|r| open_untouched(r, ctx.max_input)).transpose()?;
    match ctx.verb {
        Verb::Validate => {
            backend.render(host, &Snapshot::default())?;
            Ok(Done::Valid)
        }
        Verb::Render => {
            let existing = render::existing(root.as_ref(), backend)?;
            Ok(Done::Files(backend.render(host, &existing)?))
        }
        Verb::Diff => plan(host, backend, root.as_ref(), outcome).map(Done::Plan),
    }
}

/// The plan against the root, with its notes, or against an empty root: every file created.
fn plan(
    host: &Host,
    backend: &'static dyn Backend,
    root: Option<&TargetRoot>,
    outcome: &mut Outcome,
) -> Result<Plan> {
    let Some(root) = root else {
        let files = backend.render(host, &Snapshot::default())?;
        return Ok(Plan::new(
            backend.name(),
            files,
            Vec::new(),
            BTreeMap::new(),
        ));
    };
    outcome.notes = import::root_notes(root, backend, &[])
        .into_iter()
        .map(|n| {
            let file = format!("{}/{}", root.display(), n.at.file());
            Diagnostic::new(file, n.at.position(), n.at.message())
        })
        .collect();
    engine::plan(root, backend, host)
}

/// A host's root opened for reading only. Unlike the verbs on one root, nothing is
/// recovered: a transaction a killed netloom left there is refused, since the plan made
/// beside it would not be what applying does.
fn open_untouched(path: &Path, max_input: u64) -> Result<TargetRoot> {
    let root = TargetRoot::open(path)?.with_read_limit(max_input);
    if engine::needs_recovery(&root)? {
        return Err(Error::refused(
            RefusedKind::Unfinished,
            format!(
                "{} holds a transaction a killed netloom left unfinished, and fleet mode writes \
             nothing; run `netloom diff --root {}` once to finish it",
                path.display(),
                path.display()
            ),
        ));
    }
    Ok(root)
}

/// The backend the host's `backend` file names (one word), or `None` without the file;
/// anything else in it is a positioned problem.
fn named_backend(dir: &HostDir, problems: &mut Vec<Diagnostic>) -> Option<&'static str> {
    let path = dir.backend.as_ref()?;
    let (sources, read) = input::read_all(std::slice::from_ref(path));
    problems.extend(read);
    let src = sources.first()?;
    let text = src.text();
    let words: Vec<(usize, &str)> = text
        .split_ascii_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    let names = || {
        (crate::backends::ALL.iter())
            .map(|b| b.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match words.as_slice() {
        [] => problems.push(src.diagnostic(
            0,
            format!(
                "expected the name of the host's backend (one of: {})",
                names()
            ),
        )),
        [(at, word)] => match crate::backends::find(word) {
            Some(b) => return Some(b.name()),
            None => problems.push(src.diagnostic(
                *at,
                format!("unknown backend '{word}'; expected one of: {}", names()),
            )),
        },
        [_, (at, _), ..] => problems.push(src.diagnostic(
            *at,
            "expected one word, the backend's name, and nothing after it",
        )),
    }
    None
}

/// The host's root directory: its own `root`, or `--roots`' entry of its name; `None` when
/// it has neither. Both at once, or an entry that is not a directory, is a problem.
fn root_of(dir: &HostDir, ctx: &Context) -> std::result::Result<Option<PathBuf>, Box<Diagnostic>> {
    let own = dir.own_root.then(|| dir.dir.join(ROOT_DIR));
    let problem =
        |path: &Path, why: String| Box::new(Diagnostic::new(path.display().to_string(), None, why));
    let given = match &ctx.roots {
        None => None,
        Some(roots) => {
            let path = roots.join(dir.dir.file_name().unwrap_or_default());
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => Some(path),
                Ok(m) if m.is_symlink() => {
                    return Err(problem(
                        &path,
                        "is a symbolic link; fleet mode follows no link, so make it a directory"
                            .into(),
                    ));
                }
                Ok(_) => {
                    return Err(problem(
                        &path,
                        "expected a directory holding the host's current files".into(),
                    ));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(problem(&path, format!("cannot read: {e}"))),
            }
        }
    };
    match (own, given) {
        (Some(own), Some(given)) => Err(problem(
            &own,
            format!(
                "the host has two roots, this and {}; keep one",
                given.display()
            ),
        )),
        (own, given) => Ok(own.or(given)),
    }
}

/// An error of one host as positioned problems: its own when it has them, else one
/// problem naming the host's directory.
fn diagnostics(err: Error, dir: &Path) -> Vec<Diagnostic> {
    let whole = |message: String| Diagnostic::new(dir.display().to_string(), None, message);
    match err {
        Error::Invalid(found) | Error::Backend(BackendError::Invalid(found)) => found.0,
        Error::Backend(BackendError::Unsupported { backend, refusals }) => refusals
            .iter()
            .map(|r| whole(format!("the {backend} backend cannot express {r}")))
            .collect(),
        other => vec![whole(other.report())],
    }
}

/// Each host's result for people: a `==> HOST (BACKEND): … <==` line, then its diff or
/// files; its problems come after every host's results, on standard error.
fn print_text(hosts: &[Outcome], color: Color) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut first = true;
    for host in hosts {
        let name = Shown(&host.name);
        let backend = host.backend.map(|b| format!(" ({b})")).unwrap_or_default();
        let empty = if host.root.is_none() {
            " against an empty root (the host has no root)"
        } else {
            ""
        };
        let written = match &host.result {
            Err(found) => writeln!(
                out,
                "==> {name}{backend}: invalid, {} <==",
                count(found.len(), "problem")
            ),
            Ok(Done::Valid) => writeln!(out, "==> {name}{backend}: ok <=="),
            Ok(Done::Files(files)) => {
                let prefix = format!("{}/", host.name);
                let done = render::write_headed(&mut out, files, &prefix, first);
                first = false;
                done
            }
            Ok(Done::Plan(plan)) if plan.is_empty() => {
                writeln!(out, "==> {name}{backend}: nothing to change{empty} <==")
            }
            Ok(Done::Plan(plan)) => writeln!(
                out,
                "==> {name}{backend}: {} would change{empty} <==",
                count(plan.changes.len(), "file")
            )
            .and_then(|()| plan::write_diff(plan, &mut out, color.look())),
        };
        written.map_err(Error::Output)?;
    }
    out.flush().map_err(Error::Output)?;
    drop(out);
    for host in hosts.iter().filter(|h| !h.notes.is_empty()) {
        say(&format!(
            "{}: what its root holds that its declaration does not say:",
            host.name
        ));
        for note in &host.notes {
            say(&format!("{}: note: {}", note.location(), note.message()));
        }
    }
    Ok(())
}

/// `N things`, or `1 thing`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Every host's result as one flat JSON object (docs/json.md): a row per host, the
/// changed and the invalid hosts' names, and every file change, problem and note, each
/// naming its host.
fn print_json(hosts: &[Outcome], stray: &[Diagnostic], args: &FleetArgs, verb: Verb) -> Result<()> {
    super::json::print(json_doc(hosts, stray, args, verb)?)
}

/// The document [`print_json`] prints, without its version.
fn json_doc(
    hosts: &[Outcome],
    stray: &[Diagnostic],
    args: &FleetArgs,
    verb: Verb,
) -> Result<Value> {
    let mut rows = Vec::with_capacity(hosts.len());
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    for host in hosts {
        let (valid, changed) = match &host.result {
            Ok(Done::Plan(plan)) => {
                for mut change in plan::change_values(plan).map_err(Error::Output)? {
                    if let Value::Object(fields) = &mut change {
                        fields.insert("host".into(), host.name.clone().into());
                    }
                    changes.push(change);
                }
                (true, Some(!plan.is_empty()))
            }
            Ok(_) => (true, None),
            Err(found) => {
                errors.extend(found.iter().map(|d| problem(Some(&host.name), d)));
                (false, None)
            }
        };
        notes.extend(host.notes.iter().map(|d| problem(Some(&host.name), d)));
        rows.push(json!({
            "host": host.name,
            "backend": host.backend,
            "root": host.root,
            "valid": valid,
            "changed": changed,
        }));
    }
    errors.extend(stray.iter().map(|d| problem(None, d)));
    let names = |keep: &dyn Fn(&Outcome) -> bool| -> Vec<&str> {
        hosts
            .iter()
            .filter(|h| keep(h))
            .map(|h| h.name.as_str())
            .collect()
    };
    let mut doc = Map::new();
    doc.insert("fleet".into(), path_value(args.fleet.as_deref()));
    doc.insert("roots".into(), path_value(args.roots.as_deref()));
    doc.insert("hosts".into(), rows.into());
    doc.insert("invalid_hosts".into(), json!(names(&|h| h.result.is_err())));
    if verb == Verb::Diff {
        let changed = names(&|h| matches!(&h.result, Ok(Done::Plan(p)) if !p.is_empty()));
        doc.insert("changed_hosts".into(), json!(changed));
        doc.insert("changes".into(), changes.into());
        doc.insert("notes".into(), notes.into());
    }
    doc.insert("errors".into(), errors.into());
    Ok(Value::Object(doc))
}

/// A path as a JSON string, or `null`.
fn path_value(path: Option<&Path>) -> Value {
    path.map_or(Value::Null, |p| p.display().to_string().into())
}

/// One problem as a flat JSON object naming its host (`null` for what belongs to none).
fn problem(host: Option<&str>, d: &Diagnostic) -> Value {
    let pos = d.position();
    json!({
        "host": host,
        "file": d.file(),
        "line": pos.map(|p| p.line),
        "column": pos.map(|p| p.col),
        "message": d.message(),
    })
}

/// Writes each host's rendered files under `out/HOST/`, as `render --out` writes one host's.
fn write_out(out: &Path, hosts: &[Outcome]) -> Result<()> {
    for host in hosts {
        if let Ok(Done::Files(files)) = &host.result {
            let root = TargetRoot::create(&out.join(&host.name))?;
            engine::write_files(&root, files)?;
        }
    }
    Ok(())
}

/// Refuses an `--out` inside the fleet or the roots: fleet mode writes under no root, and
/// writing into the repository it reads would change what the next run reads.
fn refuse_out_inside(out: &Path, args: &FleetArgs) -> Result<()> {
    // The nearest ancestor that exists, resolved, with the rest of the path after it: a
    // `--out` whose parents do not exist yet is still judged by where it would be made.
    let real = |p: &Path| -> Option<PathBuf> {
        let p = std::path::absolute(p).ok()?;
        let mut rest = Vec::new();
        let mut at = p.as_path();
        loop {
            if let Ok(found) = std::fs::canonicalize(at) {
                return Some(rest.iter().rev().fold(found, |acc, part| acc.join(part)));
            }
            rest.push(at.file_name()?.to_owned());
            at = at.parent()?;
        }
    };
    let Some(target) = real(out) else {
        return Ok(());
    };
    for (given, what) in [(&args.fleet, "--fleet"), (&args.roots, "--roots")] {
        let inside = given
            .as_deref()
            .and_then(real)
            .is_some_and(|dir| target.starts_with(&dir) || dir.starts_with(&target));
        if inside {
            return Err(Error::usage(
                UsageKind::Conflict,
                format!(
                    "--out {} is inside the {what} directory (or holds it); fleet mode writes \
                 nothing there, so choose a directory outside it",
                    out.display()
                ),
            ));
        }
    }
    Ok(())
}

/// The exit: 2 with every problem when any host is invalid, else 1 when `diff` found a
/// host that would change; a one-line summary on standard error first.
fn finish(hosts: Vec<Outcome>, stray: Vec<Diagnostic>, verb: Verb) -> Result<Status> {
    let invalid = hosts.iter().filter(|h| h.result.is_err()).count();
    let changed = hosts
        .iter()
        .filter(|h| matches!(&h.result, Ok(Done::Plan(p)) if !p.is_empty()))
        .count();
    let valid = hosts.len() - invalid;
    let summary = match verb {
        Verb::Diff => format!(
            "{}: {changed} would change, {} unchanged, {invalid} invalid",
            count(hosts.len(), "host"),
            valid - changed
        ),
        Verb::Validate | Verb::Render => format!(
            "{}: {valid} valid, {invalid} invalid",
            count(hosts.len(), "host")
        ),
    };
    say(&summary);
    let mut problems: Vec<Diagnostic> = (hosts.into_iter())
        .filter_map(|h| h.result.err())
        .flatten()
        .collect();
    problems.extend(stray);
    if !problems.is_empty() {
        return Err(Error::Invalid(Diagnostics(problems)));
    }
    Ok(if changed > 0 {
        Status::Changes
    } else {
        Status::Success
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// Host `i`: two interfaces, the second's address ending in `last`.
    fn xml(i: usize, last: u8) -> String {
        format!(
            "<interfaces>\n<interface type='ethernet' name='eth0'><start mode='onboot'/>\
             <protocol family='ipv4'><dhcp/></protocol></interface>\n\
             <interface type='ethernet' name='eth1'><start mode='onboot'/>\
             <protocol family='ipv4'><ip address='10.{}.{}.{last}' prefix='24'/></protocol>\
             </interface>\n</interfaces>\n",
            i / 250,
            i % 250
        )
    }

    /// A fleet of `n` hosts of one backend, each with a root holding what it rendered before its
    /// address changed (so every host has a one-file plan).
    fn fleet(n: usize) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        // The first backend of the registry, whichever it is: the test holds for any.
        let backend = crate::backends::ALL[0];
        for i in 0..n {
            let dir = tmp.path().join(format!("hosts/h{i:05}"));
            std::fs::create_dir_all(dir.join(ROOT_DIR)).unwrap();
            std::fs::write(dir.join(BACKEND_FILE), backend.name()).unwrap();
            let before = crate::xml::read_str("h.xml", &xml(i, 1)).unwrap();
            let files = backend.render(&before, &Snapshot::default()).unwrap();
            let root = TargetRoot::open(&dir.join(ROOT_DIR)).unwrap();
            engine::write_files(&root, &files).unwrap();
            std::fs::write(dir.join("host.xml"), xml(i, 2)).unwrap();
        }
        tmp
    }

    #[test]
    fn a_fleets_cost_grows_linearly_with_its_hosts() {
        let ctx = Context {
            verb: Verb::Diff,
            backend: None,
            roots: None,
            max_input: crate::source::DEFAULT_MAX_INPUT,
        };
        // On this thread, which is what is measured: the walk, every host's plan, the JSON.
        crate::scaling::assert_linear("diff --fleet", 20, fleet, |tmp| {
            let hosts_dir = tmp.path().join("hosts");
            let (dirs, stray) = walk(&hosts_dir).unwrap();
            let hosts: Vec<Outcome> = dirs.iter().map(|d| check(d, &ctx)).collect();
            let args = FleetArgs {
                fleet: Some(hosts_dir),
                roots: None,
            };
            let doc = json_doc(&hosts, &stray, &args, Verb::Diff).unwrap();
            assert_eq!(doc["changed_hosts"].as_array().unwrap().len(), dirs.len());
            assert_eq!(
                doc["changes"].as_array().unwrap().len(),
                dirs.len(),
                "{doc}"
            );
        });
    }
}
