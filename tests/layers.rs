//! The generic layers name no backend: the CLI, the engine, the live layer and the library's
//! error reach every backend through the registry (`netloom::backends::ALL`), so adding one
//! is a folder and a registry line. A backend's name written in one of them (`"nm"`, as
//! `backend.name() != "nm"` once was) is how a special case creeps back in.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use netloom::backends;

/// The generic layers, relative to the repository.
const GENERIC: &[&str] = &[
    "src/cli",
    "src/engine",
    "src/live",
    "src/error.rs",
    "src/backend.rs",
];

/// Every `.rs` file at or below `path`.
fn sources(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            sources(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// Every line of `layers` (relative to the repository) that writes one of `names` in
/// quotes, as `file:line: text`.
fn quoted_in(layers: &[&str], names: &[String]) -> Vec<String> {
    let repo = crate::util::repo();
    let mut files = Vec::new();
    for layer in layers {
        sources(&repo.join(layer), &mut files);
    }
    assert!(!files.is_empty(), "the layers moved: {layers:?}");
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (i, line) in text.lines().enumerate() {
            for name in &quoted {
                if line.contains(name.as_str()) {
                    let at = file.strip_prefix(&repo).unwrap().display();
                    found.push(format!("{at}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn the_cli_engine_live_layer_and_error_name_no_backend() {
    let mut files = Vec::new();
    for layer in GENERIC {
        sources(&crate::util::repo().join(layer), &mut files);
    }
    assert!(files.len() > 20, "the layers moved: {files:?}");
    let names: Vec<String> = backends::ALL.iter().map(|b| b.name().to_owned()).collect();
    let found = quoted_in(GENERIC, &names);
    assert!(
        found.is_empty(),
        "a backend named outside its folder and the registry:\n{}",
        found.join("\n")
    );
}

/// Virtual networks too: the engine and the CLI reach the firewalls through
/// `backends::FIREWALLS` and the DHCP server through `backends::DHCP`, so a firewall's name
/// or the program it runs (`"nft"`, `"iptables-restore"`) written in a generic layer is a
/// tool the engine runs itself, which is the backend's to run. The DHCP server's name is
/// kept out of the engine only: the CLI's JSON has a `"dnsmasq"` field.
#[test]
fn the_generic_layers_name_no_network_backend_nor_its_tool() {
    let mut names: Vec<String> = Vec::new();
    for fw in backends::FIREWALLS {
        names.extend([fw.name().to_owned(), fw.program().to_owned()]);
    }
    assert!(names.contains(&"nft".to_owned()), "{names:?}");
    let mut found = quoted_in(GENERIC, &names);
    found.extend(quoted_in(
        &["src/engine"],
        &[backends::DHCP.name().to_owned()],
    ));
    assert!(
        found.is_empty(),
        "a network backend or its tool named outside its folder and the registry:\n{}",
        found.join("\n")
    );
}

/// A module at the granularity the layers are drawn at: a top-level file (`error`), a
/// first-level directory's file or folder (`engine/txn`, `cli/apply`), a backend's folder
/// (`backends/nm`). `src/` is left off; `backends/` is kept, as the crate mounts it there.
type Node = String;

/// One `crate::` path in the code: where it was written, the module it was written in and
/// the module it reaches.
struct Edge {
    from: Node,
    to: Node,
    at: String,
}

/// The node a source file belongs to, `None` for the crate root (`lib.rs`, `main.rs`).
fn node_of_file(repo: &Path, file: &Path) -> Option<Node> {
    let rel = file.strip_prefix(repo).ok()?;
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.first().map(String::as_str) == Some("src") {
        parts.remove(0);
    }
    if parts.last().map(String::as_str) == Some("mod") {
        parts.pop();
    }
    if parts.is_empty() || parts == ["lib"] || parts == ["main"] {
        return None;
    }
    parts.truncate(2);
    Some(parts.join("/"))
}

/// The node a path below `crate::` names, from its segments: the first, and the second when
/// it is a module (a file or folder in the first one's folder) rather than an item.
fn node_of_path(repo: &Path, segments: &[&str]) -> Option<Node> {
    let first = *segments.first()?;
    let folder = if first == "backends" {
        repo.join("backends")
    } else {
        repo.join("src").join(first)
    };
    let module =
        |name: &str| folder.join(format!("{name}.rs")).is_file() || folder.join(name).is_dir();
    match segments.get(1) {
        Some(second) if folder.is_dir() && *second != "self" && module(second) => {
            Some(format!("{first}/{second}"))
        }
        // An item the folder's `mod.rs` re-exports (`pub use txn::Session`) belongs to the
        // module that defines it: otherwise a cycle hides behind the re-export.
        Some(second) if folder.is_dir() => match reexported_from(&folder, second) {
            Some(from) => Some(format!("{first}/{from}")),
            None => Some(first.to_owned()),
        },
        _ => Some(first.to_owned()),
    }
}

/// The child module of `folder` whose item `mod.rs` re-exports as `name`
/// (`pub use txn::{Session, Transaction}`, `pub use fault::VAR as FAULT_VAR`). Each
/// `mod.rs` is read once: every path of the crate asks.
fn reexported_from(folder: &Path, name: &str) -> Option<String> {
    thread_local! {
        static READ: std::cell::RefCell<BTreeMap<std::path::PathBuf, BTreeMap<String, String>>> =
            const { std::cell::RefCell::new(BTreeMap::new()) };
    }
    READ.with(|read| {
        read.borrow_mut()
            .entry(folder.to_owned())
            .or_insert_with(|| reexports(folder))
            .get(name)
            .cloned()
    })
}

/// Every name `folder/mod.rs` re-exports from a child module, with that child.
fn reexports(folder: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(folder.join("mod.rs")) else {
        return out;
    };
    let code: String = production(&text)
        .map(|(_, l)| l)
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    for statement in code.split(';') {
        let statement = statement.trim();
        let Some(tree) = ["pub use ", "pub(crate) use "]
            .iter()
            .find_map(|p| statement.strip_prefix(p))
        else {
            continue;
        };
        let Some((child, rest)) = tree.split_once("::") else {
            continue;
        };
        let child = child.trim();
        let is_module = folder.join(format!("{child}.rs")).is_file() || folder.join(child).is_dir();
        if !is_module {
            continue;
        }
        // The names it makes visible: the last word of each `a::b as c` or `a::b`.
        for part in rest.split([',', '{', '}']) {
            if let Some(last) = part.split_whitespace().last() {
                let visible = last.rsplit("::").next().unwrap_or(last);
                out.insert(visible.to_owned(), child.to_owned());
            }
        }
    }
    out
}

/// Expands the use tree at the start of `text` below `prefix` into `out`, each path cut to
/// `limit` segments (`crate::a::{b, c::d}` gives `a::b` and `a::c`). Returns how much of
/// `text` the tree took.
fn use_tree(text: &str, prefix: Vec<String>, limit: usize, out: &mut Vec<Vec<String>>) -> usize {
    let mut at = 0;
    let mut path = prefix;
    loop {
        let tail = &text[at..];
        let skipped = tail.len() - tail.trim_start().len();
        at += skipped;
        let tail = &text[at..];
        if let Some(group) = tail.strip_prefix('{') {
            at += 1;
            let mut inner = group;
            loop {
                let took = use_tree(inner, path.clone(), limit, out);
                at += took;
                inner = &inner[took..];
                let trimmed = inner.trim_start();
                at += inner.len() - trimmed.len();
                inner = trimmed;
                if let Some(next) = inner.strip_prefix(',') {
                    at += 1;
                    inner = next;
                    continue;
                }
                if inner.starts_with('}') {
                    at += 1;
                }
                return at;
            }
        }
        let word: String = tail
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if word.is_empty() {
            if !path.is_empty() {
                out.push(path);
            }
            return at;
        }
        at += word.len();
        if path.len() < limit {
            path.push(word);
        }
        match text[at..].strip_prefix("::") {
            Some(_) => at += 2,
            None => {
                out.push(path);
                return at;
            }
        }
    }
}

/// Every edge between two different nodes written in the production code of `src/` and
/// `backends/`. Comments are not code: a doc link names a module without depending on it.
/// Tests are not either: a unit test may reach any layer to build what it checks, and its
/// helpers call the code under test (`tests.rs`, `testutil.rs`, an inline `mod tests`).
fn edges(repo: &Path) -> Vec<Edge> {
    let mut files = Vec::new();
    sources(&repo.join("src"), &mut files);
    sources(&repo.join("backends"), &mut files);
    let mut out = Vec::new();
    for file in &files {
        let Some(from) = node_of_file(repo, file) else {
            continue;
        };
        let stem = file.file_stem().unwrap_or_default();
        if stem == "tests" || stem == "testutil" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let rel = file.strip_prefix(repo).unwrap().display().to_string();
        let code: Vec<(usize, &str)> = production(&text)
            .filter(|(_, l)| !l.trim_start().starts_with("//"))
            .collect();
        // A use tree may run over several lines: read each statement from its first line on.
        for (n, (i, line)) in code.iter().enumerate() {
            if !line.contains("crate::") && !line.contains("super::") {
                continue;
            }
            let joined: String = code[n..]
                .iter()
                .take(40)
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join(" ");
            let mut paths = crate_paths_on_line(&joined, line.len());
            paths.extend(super_paths(repo, file, line, &joined));
            paths.extend(inline_super_paths(repo, file, line));
            for path in paths {
                let segments: Vec<&str> = path.iter().map(String::as_str).collect();
                let Some(to) = node_of_path(repo, &segments) else {
                    continue;
                };
                if to != from {
                    out.push(Edge {
                        from: from.clone(),
                        to,
                        at: format!("{rel}:{}: {}", i + 1, line.trim()),
                    });
                }
            }
        }
    }
    out
}

/// The numbered lines of `text` before its inline test module (`#[cfg(test)]` then
/// `mod NAME {`), which by the crate's habit ends the file.
fn production(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| {
            w[0].trim() == "#[cfg(test)]"
                && w[1].starts_with("mod ")
                && w[1].trim_end().ends_with('{')
        })
        .unwrap_or(lines.len());
    lines.into_iter().take(end).enumerate()
}

/// The paths of the `crate::` prefixes that start on the first line of `joined` (the line
/// ends at `end`; what follows is only there to finish a use tree).
fn crate_paths_on_line(joined: &str, end: usize) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = joined[from..end.min(joined.len())].find("crate::") {
        let at = from + i;
        let before = joined[..at].chars().next_back();
        from = at + "crate::".len();
        if before.is_some_and(|c| c == '$' || c.is_alphanumeric() || c == '_') {
            continue;
        }
        use_tree(&joined[from..], Vec::new(), 2, &mut out);
    }
    out
}

/// The paths, from the crate root, of a `use super::…` statement written at the top of a
/// file (an indented one is inside an inline module such as `mod tests`, whose `super` is
/// the file itself).
/// The paths of `super::` written inside code, not in a `use` (`super::store::owner(&tx)`),
/// from the module `file` is, cut to two segments below the crate.
fn inline_super_paths(repo: &Path, file: &Path, line: &str) -> Vec<Vec<String>> {
    let trimmed = line.trim_start();
    if ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
        .iter()
        .any(|p| trimmed.starts_with(p))
    {
        return Vec::new();
    }
    let rel = file.strip_prefix(repo).unwrap().with_extension("");
    let mut module: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if module.first().map(String::as_str) == Some("src") {
        module.remove(0);
    }
    if module.last().map(String::as_str) == Some("mod") {
        module.pop();
    }
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = line[from..].find("super::") {
        let at = from + i;
        from = at + "super::".len();
        let before = line[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // the second `super::` of `super::super::`, or a longer word
        }
        let mut base = module.clone();
        let mut rest = &line[at..];
        while let Some(next) = rest.strip_prefix("super::") {
            base.pop();
            rest = next;
        }
        from = line.len() - rest.len();
        let segments = rest
            .split("::")
            .map(|s| {
                let end = s
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(s.len());
                &s[..end]
            })
            .take_while(|s| !s.is_empty());
        let mut path = base;
        path.extend(segments.map(str::to_owned));
        path.truncate(2);
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

fn super_paths(repo: &Path, file: &Path, line: &str, joined: &str) -> Vec<Vec<String>> {
    let Some(tree) = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
        .iter()
        .find_map(|p| line.strip_prefix(p))
    else {
        return Vec::new();
    };
    if !tree.starts_with("super::") {
        return Vec::new();
    }
    let rel = file.strip_prefix(repo).unwrap().with_extension("");
    let mut base: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if base.first().map(String::as_str) == Some("src") {
        base.remove(0);
    }
    if base.last().map(String::as_str) == Some("mod") {
        base.pop();
    }
    let mut rest = &joined[joined.find("super::").unwrap_or(0)..];
    while let Some(next) = rest.strip_prefix("super::") {
        base.pop();
        rest = next;
    }
    let limit = base.len().max(2);
    let mut out = Vec::new();
    use_tree(rest, base, limit, &mut out);
    out.iter_mut().for_each(|p| p.truncate(2));
    out
}

/// The shortest cycle through `start` in `graph`, as the nodes in order, if there is one.
fn cycle_through(graph: &BTreeMap<Node, BTreeSet<Node>>, start: &Node) -> Option<Vec<Node>> {
    let mut came_from: BTreeMap<&Node, &Node> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flatten() {
            if next == start {
                let mut path = vec![node.clone()];
                let mut at = node;
                while at != start {
                    at = came_from[at];
                    path.push(at.clone());
                }
                path.reverse();
                return Some(path);
            }
            if !came_from.contains_key(next) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

#[test]
fn the_modules_depend_on_each_other_in_one_direction() {
    let repo = crate::util::repo();
    let edges = edges(&repo);
    assert!(
        edges.len() > 100,
        "the sources moved: {} edges",
        edges.len()
    );
    let mut graph: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
    for edge in &edges {
        graph
            .entry(edge.from.clone())
            .or_default()
            .insert(edge.to.clone());
    }
    let mut reported: BTreeSet<BTreeSet<Node>> = BTreeSet::new();
    let mut cycles = Vec::new();
    for node in graph.keys() {
        let Some(cycle) = cycle_through(&graph, node) else {
            continue;
        };
        if !reported.insert(cycle.iter().cloned().collect()) {
            continue;
        }
        let mut text = format!("{} -> {}", cycle.join(" -> "), cycle[0]);
        for (i, from) in cycle.iter().enumerate() {
            let to = &cycle[(i + 1) % cycle.len()];
            let by: BTreeSet<&str> = edges
                .iter()
                .filter(|e| &e.from == from && &e.to == to)
                .map(|e| e.at.as_str())
                .collect();
            for at in by.iter().take(3) {
                text.push_str(&format!("\n    {from} -> {to}: {at}"));
            }
        }
        cycles.push(text);
    }
    assert!(
        cycles.is_empty(),
        "modules that depend on each other ({} cycles):\n{}",
        cycles.len(),
        cycles.join("\n")
    );
}

/// The layers from the top, as docs/architecture.md draws them: a module may use only those
/// in a later row (or in its own row, where a row holds several: they may use each other as
/// long as no cycle forms, which the test above checks).
const LAYERS: &[&[&str]] = &[
    &["cli"],
    &["engine"],
    &["backend", "backends"],
    &["live"],
    &["plan", "port"],
    &["xml"],
    &["model"],
    &["syntax"],
    &["error", "source", "show", "parallel", "scaling"],
];

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let repo = crate::util::repo();
    let row = |node: &str| {
        let top = node.split('/').next().unwrap_or(node);
        LAYERS.iter().position(|r| r.contains(&top))
    };
    let mut wrong = BTreeSet::new();
    for edge in edges(&repo) {
        match (row(&edge.from), row(&edge.to)) {
            (Some(from), Some(to)) if from <= to => {}
            (Some(_), Some(_)) => {
                wrong.insert(format!("{} uses {}: {}", edge.from, edge.to, edge.at));
            }
            _ => {
                wrong.insert(format!(
                    "{} or {} is in no layer of LAYERS: {}",
                    edge.from, edge.to, edge.at
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "uses against the layers (docs/architecture.md):\n{}",
        wrong.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn use_trees_are_read_to_the_module_they_name() {
    let line =
        "use crate::engine::{self, network::{cmd, link}, TargetRoot}; let x = crate::xml::read(a);";
    let got = crate_paths_on_line(line, line.len());
    let want: Vec<Vec<&str>> = vec![
        vec!["engine", "self"],
        vec!["engine", "network"],
        vec!["engine", "network"],
        vec!["engine", "TargetRoot"],
        vec!["xml", "read"],
    ];
    assert_eq!(got, want);
    // Neither a macro's `$crate::` nor a longer word ending in `crate` starts a path.
    let line = "$crate::engine::x; mycrate::cli::y;";
    assert!(crate_paths_on_line(line, line.len()).is_empty());
    let repo = crate::util::repo();
    assert_eq!(
        node_of_path(&repo, &["engine", "network"]).unwrap(),
        "engine/network"
    );
    // A re-exported item belongs to the module that defines it.
    assert_eq!(
        node_of_path(&repo, &["engine", "TargetRoot"]).unwrap(),
        "engine/root"
    );
    assert_eq!(node_of_path(&repo, &["engine", "plan"]).unwrap(), "engine");
    assert_eq!(
        node_of_path(&repo, &["backends", "nm"]).unwrap(),
        "backends/nm"
    );
    assert_eq!(node_of_path(&repo, &["error", "Error"]).unwrap(), "error");
    // A `super::` path inside code is a dependency too, not only one in a `use`.
    let file = repo.join("src/engine/txn.rs");
    assert_eq!(
        inline_super_paths(
            &repo,
            &file,
            "    if let Some(l) = super::store::owner(tx) {"
        ),
        vec![vec!["engine".to_owned(), "store".to_owned()]]
    );
    assert!(inline_super_paths(&repo, &file, "use super::store::owner;").is_empty());
}

/// The longest a function of the production code may be, from its `fn` line to its closing
/// brace. Past this a function stops reading as a list of steps: the next engineer has to
/// hold its middle in mind to understand its end. A long match of one-line arms is no
/// exception: each arm that grows wants a function of its own anyway.
const LONGEST_FUNCTION: usize = 80;

/// The name and length of every function in `code` (numbered lines), counting from the line
/// with `fn` to the line where its braces close. Strings, characters and comments are
/// blanked first, so a brace inside them does not count.
fn functions<'a>(code: &[(usize, &'a str)]) -> Vec<(usize, &'a str, usize)> {
    let mut out = Vec::new();
    for (n, (line_no, line)) in code.iter().enumerate() {
        let Some(name) = fn_name(line) else {
            continue;
        };
        let test = n > 0 && code[n - 1].1.trim() == "#[test]";
        let mut depth = 0i32;
        let mut opened = false;
        let mut at = Within::Code;
        for (m, (_, body)) in code[n..].iter().enumerate() {
            let code_only = blank_literals(body, &mut at);
            if !opened && code_only.trim_end().ends_with(';') {
                break; // a declaration in a trait: no body
            }
            for c in code_only.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if opened && depth <= 0 {
                if !test {
                    out.push((*line_no, name, m + 1));
                }
                break;
            }
        }
    }
    out
}

/// The name of the function `line` starts, if it starts one.
fn fn_name(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace().peekable();
    while let Some(w) = words.next() {
        match w {
            "pub" | "async" | "const" | "unsafe" | "extern" => continue,
            w if w.starts_with("pub(") => continue,
            "fn" => {
                let name = words.next()?;
                let end = name
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(name.len());
                return Some(&name[..end]);
            }
            _ => return None,
        }
    }
    None
}

/// Where a line starts: in code, or inside a string literal that an earlier line opened
/// (a `"…\` continued string, or a raw string with its number of `#`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Within {
    Code,
    Str,
    Raw(usize),
}

/// `line` with what is inside string and character literals and after `//` removed; `at`
/// says where the line starts and is left where it ends, so a string spanning lines is
/// blanked on all of them.
fn blank_literals(line: &str, at: &mut Within) -> String {
    let mut out = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match *at {
            Within::Str => {
                match c {
                    '\\' => i += 1,
                    '"' => *at = Within::Code,
                    _ => {}
                }
                i += 1;
            }
            Within::Raw(hashes) => {
                let closes = c == '"'
                    && chars.len() >= i + 1 + hashes
                    && chars[i + 1..i + 1 + hashes].iter().all(|h| *h == '#');
                if closes {
                    *at = Within::Code;
                    i += hashes;
                }
                i += 1;
            }
            Within::Code => {
                let word_before = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
                if c == 'r' && !word_before {
                    let hashes = chars[i + 1..].iter().take_while(|h| **h == '#').count();
                    if chars.get(i + 1 + hashes) == Some(&'"') {
                        *at = Within::Raw(hashes);
                        i += hashes + 2;
                        continue;
                    }
                }
                match c {
                    '"' => *at = Within::Str,
                    '/' if chars.get(i + 1) == Some(&'/') => break,
                    // A character literal: '{' or '\''; a lifetime ('a) has no closing quote.
                    '\'' if chars.get(i + 1) == Some(&'\\') => i += 3,
                    '\'' if chars.get(i + 2) == Some(&'\'') => i += 2,
                    c => out.push(c),
                }
                i += 1;
            }
        }
    }
    out
}

#[test]
fn no_function_of_the_production_code_is_longer_than_a_screen() {
    let repo = crate::util::repo();
    let mut files = Vec::new();
    sources(&repo.join("src"), &mut files);
    sources(&repo.join("backends"), &mut files);
    let mut long = Vec::new();
    let mut counted = 0;
    for file in &files {
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        if stem == "tests" || stem == "testutil" || stem.ends_with("_tests") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let code: Vec<(usize, &str)> = production(&text).collect();
        for (line, name, len) in functions(&code) {
            counted += 1;
            if len > LONGEST_FUNCTION {
                let at = file.strip_prefix(&repo).unwrap().display();
                long.push(format!("{at}:{}: fn {name}: {len} lines", line + 1));
            }
        }
    }
    assert!(
        counted > 1000,
        "the reader lost the functions: {counted} found"
    );
    assert!(
        long.is_empty(),
        "{} functions are longer than {LONGEST_FUNCTION} lines; split each into named \
         steps:\n{}",
        long.len(),
        long.join("\n")
    );
}

#[test]
fn the_function_reader_measures_from_fn_to_its_closing_brace() {
    let text = "fn a() {\n    let s = \"}\";\n    let c = '{';\n}\n\n#[test]\nfn t() {\n}\n\
                pub(crate) fn b<'x>(v: &'x str) -> &'x str {\n    // }\n    v\n}\n\
                trait T {\n    fn decl(&self);\n}\n\
                fn c() {\n    let s = \"{ \\\n    }\";\n    let r = r#\"}\"# ;\n}\n";
    let code: Vec<(usize, &str)> = text.lines().enumerate().collect();
    assert_eq!(
        functions(&code),
        vec![(0, "a", 4), (8, "b", 4), (15, "c", 5)]
    );
}
