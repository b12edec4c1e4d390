//! Checks across definitions: each interface is defined once and each port has one master.
//!
//! These cannot be checked element by element, and they span files, so the readers only
//! record where each device is defined and this module judges them all at the end.

use std::collections::HashMap;

use roxmltree::Node;

use super::reader::Reader;
use crate::model::{IfaceName, Port, Uuid};

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

/// Every device definition met while reading, in reading order (masters before their ports),
/// and every interface's `<uuid>`.
#[derive(Default)]
pub(crate) struct Defs {
    devices: Vec<Definition>,
    /// Each `<uuid>` with the input file and offset it was read at.
    uuids: Vec<(Uuid, usize, usize)>,
}

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
        self.devices.push(Definition {
            name: name.cloned(),
            file,
            offset,
            master,
        });
        self.devices.len() - 1
    }

    fn name_of(&self, index: Option<usize>) -> &str {
        index
            .and_then(|i| self.devices.get(i))
            .and_then(|d| d.name.as_ref())
            .map_or("?", |n| n.as_str())
    }

    /// Records an interface's `<uuid>`, read at `offset` of input `file`.
    pub(crate) fn add_uuid(&mut self, file: usize, offset: usize, uuid: Uuid) {
        self.uuids.push((uuid, file, offset));
    }

    /// Reports each `<uuid>` another interface already has: a UUID names one profile, and
    /// two would write two profiles NetworkManager tells apart by nothing else.
    fn report_uuids(&self, readers: &mut [Reader]) {
        let mut first: HashMap<Uuid, (usize, usize)> = HashMap::with_capacity(self.uuids.len());
        for &(uuid, file, offset) in &self.uuids {
            let Some(&(f, o)) = first.get(&uuid) else {
                first.insert(uuid, (file, offset));
                continue;
            };
            let Some(at) = readers.get(f).map(|r| r.location(o)) else {
                continue;
            };
            if let Some(r) = readers.get_mut(file) {
                r.error_noted(
                    offset,
                    format!("<uuid>{uuid}</uuid> is given to two interfaces; a UUID names one"),
                    format!("first given at {at}"),
                );
            }
        }
    }

    /// Reports each definition of a name already defined, to the reader of the file it is
    /// in (`readers` in file order), with a note pointing at the first; and each `<uuid>`
    /// given twice.
    pub(crate) fn report_conflicts(&self, readers: &mut [Reader]) {
        self.report_uuids(readers);
        let mut first: HashMap<&IfaceName, usize> = HashMap::with_capacity(self.devices.len());
        // A device inside a master that is itself a repeat, or unnamed, is reported through
        // its master's problem; repeating it for every port would only bury that one.
        let mut shadowed = vec![false; self.devices.len()];
        for (i, def) in self.devices.iter().enumerate() {
            if let Some(m) = def.master
                && (shadowed.get(m).copied().unwrap_or(true)
                    || self.devices.get(m).is_none_or(|d| d.name.is_none()))
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
            let earlier = &self.devices[j];
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
