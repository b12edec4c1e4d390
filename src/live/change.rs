//! Which interfaces a change touches, and in which order they come up: pure, from the
//! declarations before and after (each backend's own import of its files), so that an
//! activator brings up, down or reloads exactly what changed and nothing else.

use std::collections::{BTreeSet, HashMap};

use crate::model::{Host, Interface, InterfaceKind, PortKind};

/// The top-level interfaces whose declaration differs between `before` and `after`
/// (added, removed or changed), in the order they come up: an interface after the ones it
/// stands on (a vlan after its parent). Ports and slaves are part of their master: a
/// changed port touches its bridge.
pub fn touched(before: &Host, after: &Host) -> Vec<String> {
    let old: HashMap<&str, &Interface> = before
        .interfaces
        .iter()
        .map(|i| (i.name.as_str(), i))
        .collect();
    let new: HashMap<&str, &Interface> = after
        .interfaces
        .iter()
        .map(|i| (i.name.as_str(), i))
        .collect();
    // The new order first (it is the one brought up), then what only the old one had.
    let names: Vec<&str> = (after.interfaces.iter())
        .chain(&before.interfaces)
        .map(|i| i.name.as_str())
        .filter(|n| old.get(n) != new.get(n))
        .collect::<Vec<_>>();
    let mut seen = BTreeSet::new();
    let names: Vec<&str> = names.into_iter().filter(|n| seen.insert(*n)).collect();
    let model = |n: &str| new.get(n).or_else(|| old.get(n)).copied();
    in_order(&names, model)
}

/// `names` ordered so that each comes after the interfaces among them it stands on,
/// otherwise as given. A cycle (which validation refuses) leaves the rest as given.
pub fn in_order<'h>(names: &[&str], model: impl Fn(&str) -> Option<&'h Interface>) -> Vec<String> {
    let deps: Vec<Vec<String>> = names
        .iter()
        .map(|n| model(n).map(lower).unwrap_or_default())
        .collect();
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    let mut left: Vec<usize> = (0..names.len()).collect();
    while !left.is_empty() {
        let ready = left.iter().position(|&i| {
            deps[i]
                .iter()
                .all(|d| !names.contains(&d.as_str()) || out.contains(d) || d == names[i])
        });
        let i = left.remove(ready.unwrap_or(0));
        out.push(names[i].to_owned());
    }
    out
}

/// The devices `i` stands on that are not part of it: the parents of its vlans.
pub fn lower(i: &Interface) -> Vec<String> {
    let mut out = Vec::new();
    match &i.kind {
        InterfaceKind::Vlan(v) => out.push(v.parent.to_string()),
        InterfaceKind::Bridge(br) => {
            for p in &br.ports {
                if let PortKind::Vlan(v) = &p.kind {
                    out.push(v.parent.to_string());
                }
            }
        }
        InterfaceKind::Ethernet(_) | InterfaceKind::Bond(_) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(xml: &str) -> Host {
        crate::xml::read_str("t.xml", xml).unwrap()
    }

    #[test]
    fn only_what_changed_is_touched_and_a_vlan_comes_after_its_parent() {
        let before = host(
            "<interfaces>
               <interface type='ethernet' name='eth0'><start mode='onboot'/></interface>
               <interface type='ethernet' name='eth1'><start mode='onboot'/></interface>
               <interface type='ethernet' name='eth2'><start mode='onboot'/></interface>
             </interfaces>",
        );
        let after = host(
            "<interfaces>
               <interface type='vlan' name='v5'><start mode='onboot'/>
                 <vlan tag='5'><interface name='eth1'/></vlan></interface>
               <interface type='ethernet' name='eth0'><start mode='onboot'/></interface>
               <interface type='ethernet' name='eth1'><start mode='onboot'/><mtu size='9000'/></interface>
             </interfaces>",
        );
        assert_eq!(touched(&before, &after), ["eth1", "v5", "eth2"]);
        assert_eq!(touched(&after, &after), Vec::<String>::new());
    }

    #[test]
    fn a_changed_port_touches_its_bridge() {
        let before = host(
            "<interface type='bridge' name='br0'><start mode='onboot'/>
               <bridge><interface type='ethernet' name='p0'/></bridge></interface>",
        );
        let after = host(
            "<interface type='bridge' name='br0'><start mode='onboot'/>
               <bridge><interface type='ethernet' name='p1'/></bridge></interface>",
        );
        assert_eq!(touched(&before, &after), ["br0"]);
    }
}
