//! The field walk both backends' "nothing is silently dropped" tests run: a host that sets
//! every field, changed one place at a time; each change must change the rendered files or
//! be refused by name, and each equivalent spelling must change nothing.

use netloom::backend::{Backend, BackendError, Snapshot};

/// What a one-place change must do.
pub enum Expect {
    /// Render, to different files.
    Changes,
    /// Fail with a refusal for this interface and exactly this setting.
    Refused(&'static str, &'static str),
}

/// The files `backend` renders for `xml` on an empty root, as (path, contents).
pub fn render(backend: &dyn Backend, xml: &str) -> Result<Vec<(String, String)>, BackendError> {
    let host = netloom::xml::read_str("walk.xml", xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    Ok(backend
        .render(&host, &Snapshot::default())?
        .into_iter()
        .map(|f| (f.path, f.contents))
        .collect())
}

/// `base` with `from` (which must occur exactly once) replaced by `to`.
pub fn variant(base: &str, what: &str, from: &str, to: &str) -> String {
    assert_eq!(
        base.matches(from).count(),
        1,
        "{what}: '{from}' must occur once in BASE"
    );
    let variant = base.replacen(from, to, 1);
    assert_ne!(variant, base, "{what}: the change changes nothing");
    variant
}

/// Walks `fields` (what, text in `base`, replacement, outcome) and `not_settings` (changes
/// that must leave the files as they are) with `backend`; returns every failure.
pub fn walk<'a>(
    backend: &dyn Backend,
    base: &str,
    fields: impl IntoIterator<Item = (&'a str, &'a str, &'a str, &'a Expect)>,
    not_settings: &[(&str, &str, &str)],
) -> Vec<String> {
    let name = backend.name();
    let files = render(backend, base).unwrap_or_else(|e| panic!("BASE must render: {e}"));
    let mut failures = Vec::new();
    for (what, from, to, expect) in fields {
        match (expect, render(backend, &variant(base, what, from, to))) {
            (Expect::Changes, Ok(got)) if got != files => {}
            (Expect::Changes, Ok(_)) => failures.push(format!(
                "changing the {what} did not change the {name} files"
            )),
            (Expect::Changes, Err(e)) => {
                failures.push(format!("changing the {what} was refused: {e}"))
            }
            (Expect::Refused(iface, setting), Err(BackendError::Unsupported { refusals, .. })) => {
                if !refusals
                    .iter()
                    .any(|r| r.interface == *iface && r.setting == *setting)
                {
                    failures.push(format!(
                        "changing the {what}: no refusal of {iface}: {setting} in {refusals:?}"
                    ));
                }
            }
            (Expect::Refused(..), other) => failures.push(format!(
                "changing the {what} must be refused, got {:?}",
                other.map(|_| "files")
            )),
        }
    }
    for (what, from, to) in not_settings {
        match render(backend, &variant(base, what, from, to)) {
            Ok(got) if got == files => {}
            Ok(_) => failures.push(format!("{what} changed the files")),
            Err(e) => failures.push(format!("{what} was refused: {e}")),
        }
    }
    failures
}
