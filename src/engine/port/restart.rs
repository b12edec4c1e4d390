//! A network's guest ports across `net restart`: which ports it holds (so a restart that
//! could not take them back is refused before anything stops), and, once it runs again,
//! its usage counts rebuilt and every port's host device put back as `port plug` left it:
//! a tap on the new bridge, a macvtap made again where it is gone.

use std::collections::BTreeSet;

use super::host::{HostChanges, Wanted};
use super::state::Stored;
use super::{commit, reconcile, recount_note, tidy};
use crate::engine::{Session, TargetRoot};
use crate::error::Error;
use crate::model::Uuid;
use crate::model::guest::GuestSource;
use crate::model::network::{NetName, NetworkPort};

/// The ports plugged into running network `net`, once ended guests are forgotten (as every
/// port command does first). Reads only.
pub(crate) fn ports_on(root: &TargetRoot, net: &NetName) -> Result<Vec<NetworkPort>, Error> {
    let stored = Stored::load(root)?;
    let t = reconcile(&stored);
    Ok(t.ports.get(net).cloned().unwrap_or_default())
}

/// After `net`'s host side was made again: writes its live copy with the counts of the
/// ports it kept (in one transaction with whatever reconciling changed), then puts each of
/// those ports' devices back. Returns what to tell the user: a guest released because it
/// ended, a device that could not be put back (which fails nothing: the others are).
pub(crate) fn reattach(
    session: &Session<'_>,
    root: &TargetRoot,
    net: &NetName,
    command: &str,
) -> Result<Vec<String>, Error> {
    let stored = Stored::load(root)?;
    let mut t = reconcile(&stored);
    commit(session, root, &stored, &mut t, command)?;
    let held: BTreeSet<Uuid> = t
        .ports
        .get(net)
        .map(|ps| ps.iter().map(|p| p.uuid).collect())
        .unwrap_or_default();
    // The counts were rebuilt because the network's live copy was written afresh: that is
    // the restart working, not news.
    let expected = recount_note(net, held.len());
    let mut notes: Vec<String> = std::mem::take(&mut t.notes)
        .into_iter()
        .filter(|n| *n != expected)
        .collect();
    notes.extend(tidy(&t));
    for (name, g) in &t.guests {
        let made: BTreeSet<String> = g.record.made.iter().cloned().collect();
        for iface in &g.guest.interfaces {
            let GuestSource::Network {
                portid: Some(id), ..
            } = &iface.source
            else {
                continue;
            };
            if !held.contains(id) {
                continue;
            }
            let mut changes = HostChanges::default();
            if let Err(e) = changes.ensure(&Wanted::of(iface), iface.mac, &made) {
                let mut left = changes.undo();
                left.insert(0, e.to_string());
                notes.push(format!(
                    "guest '{name}': port {id} on network '{net}' could not be put back: {}",
                    left.join("; ")
                ));
            }
        }
    }
    Ok(notes)
}
