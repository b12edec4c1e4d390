//! Which files ifupdown reads, and in what order: the main file, and every file its
//! `source` and `source-directory` lines pull in, in place, recursively.
//!
//! Paths are resolved the way ifupdown 0.8 does it: an absolute path is under the root (the
//! files are read from a target root, not from this machine), a relative one is relative to
//! the directory of the file holding the line. `source` takes shell wildcards (`*`, `?`,
//! `[...]`; matches sorted, a leading dot matched only by a dot); `source-directory` reads
//! the files directly in a directory whose names match `^[a-zA-Z0-9_-]+$`, sorted. netloom
//! only reads what its scan covers (`/etc/network` and one level below), so a source line
//! that points elsewhere, or uses shell expansion beyond wildcards, is an error at the
//! line: netloom cannot promise "one definition per interface" across files it cannot see.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use crate::backend::BackendError;
use crate::error::{Diagnostic, Diagnostics};
use crate::source::SourceFile;
use crate::syntax::interfaces::{self, File, LineKind, Word};

use super::MAIN;

/// The files of a root that are not UTF-8, each with its positioned problem.
pub(super) type Unreadable = BTreeMap<String, Diagnostic>;

/// Deeper nesting than this is refused: ifupdown has no limit, but no real tree needs it.
const MAX_DEPTH: usize = 64;

/// Files read, repeats included: files that source each other many times over grow
/// exponentially, and netloom refuses them instead of spinning.
const MAX_VISITS: usize = 100_000;

/// Lines read, repeats included, beyond four times the lines the root holds: a big file
/// sourced by 50,000 lines would otherwise be read 50,000 times (input n, work n²). A tree
/// that reads each file once or twice stays far below.
const EXTRA_LINES: usize = 1_000_000;

/// One file ifupdown reads.
#[derive(Debug)]
pub(super) struct Source {
    /// Relative to the root.
    pub(super) path: String,
    /// Its parse.
    pub(super) file: File,
}

/// Every file read, and the order of their lines as ifupdown meets them.
#[derive(Debug, Default)]
pub(super) struct Graph {
    /// Each file once, in the order it is first read.
    pub(super) files: Vec<Source>,
    /// `(file, line)` indices of every line in reading order; a sourced file's lines come
    /// where its `source` line is.
    pub(super) order: Vec<(usize, usize)>,
    /// Every path read, those left unparsed included.
    read: HashMap<String, usize>,
}

impl Graph {
    /// Whether ifupdown reads the file at `path`.
    pub(super) fn reads(&self, path: &str) -> bool {
        self.read.contains_key(path)
    }
}

/// Reads the include graph of `files` (relative path to text), starting at the main file.
/// A missing main file gives an empty graph.
pub(super) fn read(
    files: &BTreeMap<String, String>,
    binary: &Unreadable,
) -> Result<Graph, BackendError> {
    read_except(files, binary, &|_| false)
}

/// [`read`], but files for which `known` holds are only noted as read, not parsed: netloom's
/// own freshly rendered files, which source nothing, need no second look.
pub(super) fn read_except(
    files: &BTreeMap<String, String>,
    binary: &Unreadable,
    known: &dyn Fn(&str) -> bool,
) -> Result<Graph, BackendError> {
    let held: usize = files
        .values()
        .map(|t| t.bytes().filter(|&b| b == b'\n').count() + 1)
        .sum();
    let mut walk = Walk {
        visits: 0,
        lines: 0,
        max_lines: EXTRA_LINES.saturating_add(held.saturating_mul(4)),
        sources: HashMap::new(),
        resolved: HashMap::new(),
        known,
        binary,
        files,
        graph: Graph::default(),
        stack: Vec::new(),
        problems: Vec::new(),
    };
    if files.contains_key(MAIN) || binary.contains_key(MAIN) {
        walk.visit(MAIN);
    }
    if walk.problems.is_empty() {
        Ok(walk.graph)
    } else {
        Err(BackendError::Invalid(Diagnostics(walk.problems)))
    }
}

struct Walk<'a> {
    /// Files visited so far, repeats included.
    visits: usize,
    /// Lines read so far, repeats included, and the most that may be.
    lines: usize,
    max_lines: usize,
    /// Each file with a problem at a `source` line, positioned once for all of them.
    sources: HashMap<String, SourceFile>,
    /// What each `(file, path, source-directory?)` of a source line resolved to.
    resolved: HashMap<(String, String, bool), Result<Vec<String>, String>>,
    known: &'a dyn Fn(&str) -> bool,
    binary: &'a Unreadable,
    files: &'a BTreeMap<String, String>,
    graph: Graph,
    stack: Vec<String>,
    problems: Vec<Diagnostic>,
}

impl Walk<'_> {
    fn visit(&mut self, path: &str) {
        if let Some(problem) = self.binary.get(path) {
            self.problems.push(problem.clone().with_note(
                "ifupdown reads this file; netloom cannot promise to keep bytes it cannot read, \
                 so it leaves the whole root alone until the file is converted to UTF-8",
            ));
            return;
        }
        let Some(text) = self.files.get(path) else {
            return;
        };
        self.visits += 1;
        if (self.known)(path) {
            self.graph.read.insert(path.to_owned(), usize::MAX);
            return;
        }
        let index = match self.graph.read.get(path) {
            Some(&i) => i,
            None => match interfaces::parse(path, text) {
                Ok(file) => {
                    self.graph.files.push(Source {
                        path: path.to_owned(),
                        file,
                    });
                    let i = self.graph.files.len() - 1;
                    self.graph.read.insert(path.to_owned(), i);
                    i
                }
                Err(Diagnostics(d)) => {
                    self.problems.extend(d);
                    return;
                }
            },
        };
        self.stack.push(path.to_owned());
        let count = self.graph.files[index].file.lines.len();
        self.lines = self.lines.saturating_add(count);
        for line in 0..count {
            let source = match &self.graph.files[index].file.lines[line].kind {
                LineKind::Blank | LineKind::Comment => None,
                LineKind::Source { path: word } => Some((word.clone(), false)),
                LineKind::SourceDirectory { path: word } => Some((word.clone(), true)),
                _ => {
                    self.graph.order.push((index, line));
                    None
                }
            };
            if let Some((word, directory)) = source {
                self.include(path, text, &word, directory);
            }
        }
        self.stack.pop();
    }

    /// A problem at `word` of the `source` line in `from`.
    fn report(&mut self, from: &str, text: &str, word: &Word, message: String) {
        let source =
            (self.sources.entry(from.to_owned())).or_insert_with(|| SourceFile::new(from, text));
        self.problems.push(source.diagnostic_at(word.pos, message));
    }

    fn include(&mut self, from: &str, text: &str, word: &Word, directory: bool) {
        let key = (from.to_owned(), word.text.clone(), directory);
        let resolved = match self.resolved.get(&key) {
            Some(r) => r.clone(),
            None => {
                let r = resolve(from, &word.text, directory, self.files, self.binary);
                self.resolved.insert(key, r.clone());
                r
            }
        };
        let targets = match resolved {
            Ok(t) => t,
            Err(why) => {
                self.report(from, text, word, why);
                return;
            }
        };
        for target in targets {
            if self.stack.contains(&target) {
                self.report(
                    from,
                    text,
                    word,
                    format!("/{target} is sourced from within itself; ifupdown would loop"),
                );
                continue;
            }
            if self.stack.len() >= MAX_DEPTH {
                self.report(from, text, word, format!(
                    "sources nest more than {MAX_DEPTH} deep here; netloom does not follow them further"
                ));
                return;
            }
            if self.visits >= MAX_VISITS {
                self.report(
                    from,
                    text,
                    word,
                    format!(
                        "the files source each other so often that ifupdown would read more than \
                     {MAX_VISITS} files; netloom stops here"
                    ),
                );
                return;
            }
            if self.lines >= self.max_lines {
                self.report(
                    from,
                    text,
                    word,
                    format!(
                        "the files are sourced so often that ifupdown would read more than {} \
                     lines, four times what they hold and a million more; netloom stops here",
                        self.max_lines
                    ),
                );
                return;
            }
            self.visit(&target);
        }
    }
}

/// The root-relative files a `source` (or `source-directory`) path names, sorted, among
/// `files`.
fn resolve(
    from: &str,
    pattern: &str,
    directory: bool,
    files: &BTreeMap<String, String>,
    binary: &Unreadable,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for word in pattern.split_ascii_whitespace() {
        if let Some(c) = word.chars().find(|c| {
            matches!(
                c,
                '$' | '`'
                    | '~'
                    | '{'
                    | '}'
                    | '('
                    | ')'
                    | ';'
                    | '|'
                    | '&'
                    | '<'
                    | '>'
                    | '"'
                    | '\''
                    | '\\'
            )
        }) {
            return Err(format!(
                "netloom follows plain paths and the wildcards *, ? and [...] only, not {c:?}; \
                 write the path out"
            ));
        }
        let joined = match word.strip_prefix('/') {
            Some(abs) => abs.to_owned(),
            None => match from.rsplit_once('/') {
                Some((dir, _)) => format!("{dir}/{word}"),
                None => word.to_owned(),
            },
        };
        let parts = normalise(&joined).ok_or_else(|| format!("'{word}' leaves the root"))?;
        if !scanned(&parts, directory) {
            return Err(format!(
                "netloom reads /etc/network/interfaces, /etc/network/interfaces.* and the files \
                 in /etc/network/interfaces.d only, and '{word}' may be elsewhere; move what it \
                 holds there"
            ));
        }
        // Only paths that start with the pattern's literal part can match: a range of the
        // sorted maps, so that 10,000 `source` lines of plain paths are not each matched
        // against 10,000 files.
        let literal = literal_prefix(&parts, directory);
        let candidates = files
            .range::<str, _>((Bound::Included(literal.as_str()), Bound::Unbounded))
            .map(|(p, _)| p)
            .take_while(|p| p.starts_with(&literal))
            .chain(
                binary
                    .range::<str, _>((Bound::Included(literal.as_str()), Bound::Unbounded))
                    .map(|(p, _)| p)
                    .take_while(|p| p.starts_with(&literal)),
            );
        let mut found: Vec<String> = candidates
            .filter(|path| {
                let have: Vec<&str> = path.split('/').collect();
                if directory {
                    have.len() == parts.len() + 1
                        && have.iter().zip(&parts).all(|(h, p)| glob(p, h))
                        && have.last().is_some_and(|n| run_parts_name(n))
                } else {
                    have.len() == parts.len() && have.iter().zip(&parts).all(|(h, p)| glob(p, h))
                }
            })
            .cloned()
            .collect();
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// The part of a path every match of `parts` starts with: the components before the first
/// one holding a wildcard, and that one's text up to its first wildcard (a `source-directory`
/// matches names inside the directory, so its path ends in `/`).
fn literal_prefix(parts: &[&str], directory: bool) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        match part.find(['*', '?', '[']) {
            Some(at) => {
                out.push_str(&part[..at]);
                return out;
            }
            None => out.push_str(part),
        }
    }
    if directory {
        out.push('/');
    }
    out
}

/// Whether every file `parts` can match is one the backend's scan reads: a pattern that
/// could reach further would make netloom blind to definitions ifupdown sees.
fn scanned(parts: &[&str], directory: bool) -> bool {
    match (directory, parts) {
        (true, ["etc", "network", "interfaces.d"]) => true,
        (false, ["etc", "network", "interfaces.d", _]) => true,
        (false, ["etc", "network", name]) => {
            *name == "interfaces"
                || name
                    .strip_prefix("interfaces.")
                    .is_some_and(|rest| !rest.is_empty() && *name != "interfaces.d")
        }
        _ => false,
    }
}

/// `a/./b/../c` as components, or `None` when `..` climbs above the root.
fn normalise(path: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts)
}

/// run-parts' rule for names in a `source-directory`.
fn run_parts_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether `name` matches the shell pattern `pattern` (one path component): `*`, `?` and
/// bracket expressions with ranges and `!`/`^` negation; a leading dot must be matched
/// literally, as glob(3) does.
pub(super) fn glob(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    matches(pattern.as_bytes(), name.as_bytes())
}

fn matches(p: &[u8], n: &[u8]) -> bool {
    // Iterative matcher with backtracking to the last `*`: linear in practice.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                b'[' => {
                    if let Some((hit, len)) = bracket(&p[pi..], n[ni]) {
                        if hit {
                            pi += len;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == b'[' {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Matches one byte against the bracket expression at the start of `p`: whether it matched
/// and the expression's length, or `None` when `p` holds no closed bracket expression.
fn bracket(p: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            hit |= (p[i]..=p[i + 2]).contains(&c);
            i += 3;
        } else {
            hit |= p[i] == c;
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_follows_the_shell() {
        for (p, n) in [
            ("*", "eth0"),
            ("eth?", "eth0"),
            ("e*0", "eth0"),
            ("[a-f]th[0-9]", "eth0"),
            ("[!x]th0", "eth0"),
            ("*.*", "eth0.42"),
            (".*", ".hidden"),
            ("a[]]b", "a]b"),
        ] {
            assert!(glob(p, n), "{p} should match {n}");
        }
        for (p, n) in [
            ("*", ".hidden"),
            ("eth?", "eth10"),
            ("[!e]th0", "eth0"),
            ("*.*", "eth0"),
            ("e*1", "eth0"),
        ] {
            assert!(!glob(p, n), "{p} should not match {n}");
        }
    }

    fn files(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect()
    }

    fn names(g: &Graph) -> Vec<String> {
        g.order
            .iter()
            .filter_map(|&(f, l)| match &g.files[f].file.lines[l].kind {
                LineKind::Iface { name, .. } => Some(name.text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn sourced_files_are_read_in_place_in_order() {
        let fs = files(&[
            (
                MAIN,
                "iface a inet manual\nsource interfaces.d/*\nsource /etc/network/interfaces.[l]ocal\nsource-directory /etc/network/interfaces.d\niface z inet manual\n",
            ),
            ("etc/network/interfaces.d/b", "iface b inet manual\n"),
            ("etc/network/interfaces.d/c.x", "iface c inet manual\n"),
            ("etc/network/interfaces.d/.hidden", "iface h inet manual\n"),
            ("etc/network/interfaces.local", "iface d inet manual\n"),
        ]);
        let g = read(&fs, &Unreadable::new()).unwrap();
        // source-directory skips c.x (a dot) and .hidden; the glob skips .hidden only.
        assert_eq!(names(&g), ["a", "b", "c", "d", "b", "z"]);
        assert!(g.reads("etc/network/interfaces.d/c.x"));
        assert!(!g.reads("etc/network/interfaces.d/.hidden"));
    }

    #[test]
    fn unreadable_or_looping_sources_are_positioned_errors() {
        for (text, want) in [
            (
                "source /etc/other/x\n",
                "etc/network/interfaces:1:8: netloom reads /etc/network/interfaces, /etc/network/interfaces.*",
            ),
            (
                "source $HOME/x\n",
                "etc/network/interfaces:1:8: netloom follows plain paths",
            ),
            (
                "source ../../../../x\n",
                "etc/network/interfaces:1:8: '../../../../x' leaves the root",
            ),
            (
                "source interfaces\n",
                "etc/network/interfaces:1:8: /etc/network/interfaces is sourced from within itself",
            ),
        ] {
            let err = read(&files(&[(MAIN, text)]), &Unreadable::new())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn a_missing_main_file_reads_nothing() {
        let only = files(&[("etc/network/interfaces.d/a", "iface a inet manual\n")]);
        let g = read(&only, &Unreadable::new()).unwrap();
        assert!(g.files.is_empty());
    }
}
