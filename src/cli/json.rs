//! `--format json`: what a verb prints for machines. Every document is one JSON object on one
//! line, flat (a list of objects at most one level down), with `"version"` so that a script
//! can tell a shape it knows; docs/json.md describes each verb's.

use std::io::{BufWriter, Write};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::plan::Plan;

/// The version every document carries: raised when a field changes meaning or goes away,
/// not when one is added.
pub(super) const VERSION: u64 = 1;

/// Prints `doc` (an object) with the version added, and a newline, to standard output.
pub(super) fn print(doc: Value) -> Result<()> {
    let mut doc = doc;
    if let Value::Object(fields) = &mut doc {
        fields.insert("version".into(), VERSION.into());
    }
    let text = serde_json::to_string(&doc).map_err(|e| Error::Output(e.into()))?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    writeln!(out, "{}", terminal_safe(&text)).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)
}

/// `json` with every character a terminal would act on or hide (bidirectional controls, line
/// and paragraph separators: what [`crate::show`] escapes in text) written as a `\uXXXX`
/// escape. JSON's own syntax is ASCII, so such a character can only stand inside a string,
/// where the escape means the same character: a script reads the same value, and a person
/// who prints the document sees the escape instead of text reordered by an interface name.
fn terminal_safe(json: &str) -> std::borrow::Cow<'_, str> {
    if !json.chars().any(crate::show::must_escape) {
        return json.into();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match crate::show::must_escape(c) {
            // serde_json escapes the ASCII controls itself; these are all in the BMP.
            true => {
                let _ =
                    std::fmt::Write::write_fmt(&mut out, format_args!("\\u{:04x}", u32::from(c)));
            }
            false => out.push(c),
        }
    }
    out.into()
}

/// A plan's files as `[{"path", "action"}]`, the shape `history` lists a transaction's in.
pub(super) fn files(plan: &Plan) -> Value {
    Value::Array(
        plan.changes
            .iter()
            .map(|c| json!({"path": c.path, "action": c.action().as_str()}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn characters_a_terminal_acts_on_are_escaped_and_mean_the_same() {
        let doc = serde_json::json!({"name": "eth\u{202e}0\u{2028}x\u{2066}", "plain": "é"});
        let text = serde_json::to_string(&doc).unwrap();
        let safe = terminal_safe(&text);
        assert!(!safe.chars().any(crate::show::must_escape), "{safe}");
        assert!(safe.contains("eth\\u202e0\\u2028x\\u2066"), "{safe}");
        assert!(safe.contains('é'), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, doc);
    }
}
