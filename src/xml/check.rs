//! Checks across definitions: each interface is defined once and each port has one master.
//!
//! These cannot be checked element by element, and they span files, so the readers only
//! record where each device is defined and this module judges them all at the end.

use std::collections::HashMap;

use crate::error::Diagnostic;
use crate::model::IfaceName;
use crate::source::SourceFile;

/// Where a device is defined, and by which master if it is a port or slave.
struct Definition {
    name: IfaceName,
    file: usize,
    offset: usize,
    master: Option<IfaceName>,
}

/// Every device definition met while reading, in reading order.
#[derive(Default)]
pub(crate) struct Defs(Vec<Definition>);

impl Defs {
    /// Records that `name` is defined at `offset` of input `file`.
    pub(crate) fn add(
        &mut self,
        file: usize,
        offset: usize,
        name: &IfaceName,
        master: Option<&IfaceName>,
    ) {
        self.0.push(Definition {
            name: name.clone(),
            file,
            offset,
            master: master.cloned(),
        });
    }

    /// One diagnostic for each definition of a name already defined, with a note pointing
    /// at the first, tagged with the index of the file it is in.
    pub(crate) fn conflicts(&self, files: &[SourceFile]) -> Vec<(usize, Diagnostic)> {
        let mut first: HashMap<&IfaceName, &Definition> = HashMap::with_capacity(self.0.len());
        let mut out = Vec::new();
        for def in &self.0 {
            let Some(earlier) = first.get(&def.name).copied() else {
                first.insert(&def.name, def);
                continue;
            };
            let (Some(src), Some(earlier_src)) = (files.get(def.file), files.get(earlier.file))
            else {
                continue;
            };
            let name = &def.name;
            let (message, note) = match (&earlier.master, &def.master) {
                (Some(a), Some(b)) if a == b => (
                    format!("'{name}' is listed twice in '{a}'"),
                    "first listed".to_owned(),
                ),
                (Some(a), Some(b)) => (
                    format!(
                        "'{name}' is claimed by two masters, '{a}' and '{b}'; a port or slave belongs to one master"
                    ),
                    format!("first claimed by '{a}'"),
                ),
                _ => (
                    format!("interface '{name}' is defined twice"),
                    "first defined".to_owned(),
                ),
            };
            let p = earlier_src.position(earlier.offset);
            let at = format!("{}:{}:{}", earlier_src.name(), p.line, p.col);
            out.push((
                def.file,
                src.diagnostic(def.offset, message)
                    .with_note(format!("{note} at {at}")),
            ));
        }
        out
    }
}
