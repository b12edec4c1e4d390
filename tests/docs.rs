//! The README and the pages under docs/ as a reader of a clone meets them: no link leaves the
//! repository, and every page is in the README's index.

use std::path::{Component, Path, PathBuf};

use crate::util::repo;

/// The README and every page under docs/, relative to the repository.
fn pages() -> Vec<PathBuf> {
    let mut all = vec![PathBuf::from("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| PathBuf::from("docs").join(e.unwrap().file_name()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    all.extend(docs);
    all
}

/// The targets of a page's Markdown links (`[text](target)`), without their `#anchor`.
fn links(text: &str) -> Vec<&str> {
    text.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &text[at + 2..];
            let end = rest.find(')')?;
            Some(rest[..end].split('#').next().unwrap_or_default())
        })
        .filter(|target| !target.is_empty())
        .collect()
}

/// `page`'s link `target` as a path from the repository root, or `None` when it climbs out
/// of it.
fn inside(page: &Path, target: &str) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    for part in page
        .parent()
        .unwrap_or(Path::new(""))
        .join(target)
        .components()
    {
        match part {
            Component::ParentDir => {
                if !path.pop() {
                    return None;
                }
            }
            Component::Normal(p) => path.push(p),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(path)
}

#[test]
fn no_link_leaves_the_repository() {
    let mut outside = Vec::new();
    let mut seen = 0;
    for page in pages() {
        let text = std::fs::read_to_string(repo().join(&page)).unwrap();
        for target in links(&text) {
            seen += 1;
            if target.contains(':') || inside(&page, target).is_none() {
                outside.push(format!("{}: {target}", page.display()));
            }
        }
    }
    assert!(seen > 10, "only {seen} links found");
    assert!(
        outside.is_empty(),
        "links out of the repository: {outside:?}"
    );
}

#[test]
fn every_page_under_docs_is_in_the_readme_index() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let linked: Vec<PathBuf> = (links(&readme).into_iter())
        .filter_map(|t| inside(Path::new("README.md"), t))
        .collect();
    let missing: Vec<PathBuf> = (pages().into_iter().skip(1))
        .filter(|p| !linked.contains(p))
        .collect();
    assert!(missing.is_empty(), "not in the README's index: {missing:?}");
}
