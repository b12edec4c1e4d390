//! Checks across definitions: each interface is defined once and each port has one master.
//!
//! These cannot be checked element by element, and they span files, so the readers only
//! record where each device is defined and this module judges them all at the end.

use std::collections::HashMap;

use roxmltree::Node;

use super::reader::Reader;
use crate::model::{IfaceName, Port};

/// Where a nested `<interface>` sits, with the index of its master's definition.
#[derive(Clone, Copy)]
pub(crate) enum Nested {
    /// A port of a bridge.
    Port(usize),
    /// A slave of a bond.
    Slave(usize),
}

/// Reads a nested `<interface>` (`interface.rs` hands it to the bond and bridge readers, so
/// that they, which the interface reader calls, do not call it back by name).
pub(crate) type ReadNested = fn(&mut Reader, Node, &mut Defs, Nested) -> Option<Port>;

/// Where a device is defined, and by which master if it is a port or slave.
struct Definition {
    /// `None` when the name was unreadable (already reported); such a definition can still
    /// be a master.
    name: Option<IfaceName>,
    file: usize,
    offset: usize,
    /// Index of the master's definition.
    master: Option<usize>,
}

/// Every device definition met while reading, in reading order (masters before their ports).
#[derive(Default)]
pub(crate) struct Defs(Vec<Definition>);

impl Defs {
    /// Records that a device is defined at `offset` of input `file`; returns its index, for
    /// its own ports or slaves to name as their master.
    pub(crate) fn add(
        &mut self,
        file: usize,
        offset: usize,
        name: Option<&IfaceName>,
        master: Option<usize>,
    ) -> usize {
        self.0.push(Definition {
            name: name.cloned(),
            file,
            offset,
            master,
        });
        self.0.len() - 1
    }

    fn name_of(&self, index: Option<usize>) -> &str {
        index
            .and_then(|i| self.0.get(i))
            .and_then(|d| d.name.as_ref())
            .map_or("?", |n| n.as_str())
    }

    /// Reports each definition of a name already defined, to the reader of the file it is
    /// in (`readers` in file order), with a note pointing at the first.
    pub(crate) fn report_conflicts(&self, readers: &mut [Reader]) {
        let mut first: HashMap<&IfaceName, usize> = HashMap::with_capacity(self.0.len());
        // A device inside a master that is itself a repeat, or unnamed, is reported through
        // its master's problem; repeating it for every port would only bury that one.
        let mut shadowed = vec![false; self.0.len()];
        for (i, def) in self.0.iter().enumerate() {
            if let Some(m) = def.master
                && (shadowed.get(m).copied().unwrap_or(true)
                    || self.0.get(m).is_none_or(|d| d.name.is_none()))
            {
                shadowed[i] = true;
                continue;
            }
            let Some(name) = &def.name else { continue };
            let Some(&j) = first.get(name) else {
                first.insert(name, i);
                continue;
            };
            shadowed[i] = true;
            let earlier = &self.0[j];
            let (message, note) = match (earlier.master, def.master) {
                (Some(a), Some(b)) if a == b => (
                    format!("'{name}' is listed twice in '{}'", self.name_of(Some(a))),
                    "first listed".to_owned(),
                ),
                (Some(a), Some(b)) => {
                    let (a, b) = (self.name_of(Some(a)), self.name_of(Some(b)));
                    (
                        format!(
                            "'{name}' is claimed by two masters, '{a}' and '{b}'; a port or slave belongs to one master"
                        ),
                        format!("first claimed by '{a}'"),
                    )
                }
                _ => (
                    format!("interface '{name}' is defined twice"),
                    "first defined".to_owned(),
                ),
            };
            let Some(at) = readers
                .get(earlier.file)
                .map(|r| r.location(earlier.offset))
            else {
                continue;
            };
            if let Some(r) = readers.get_mut(def.file) {
                r.error_noted(def.offset, message, format!("{note} at {at}"));
            }
        }
    }
}
