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
    let mut out = BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer(&mut out, &doc).map_err(|e| Error::Output(e.into()))?;
    writeln!(out).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)
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
