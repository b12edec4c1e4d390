//! MAC addresses for guest interfaces that were written without one.

use std::collections::BTreeSet;

use crate::model::MacAddr;
use crate::model::guest::GuestName;

/// How many rehashes are tried before walking the range; only a nearly full `52:54:00`
/// range (millions of MACs taken) gets that far.
const PROBES: u32 = 1024;

/// A MAC for interface `index` of `guest`, in libvirt's `52:54:00` range, not in `taken`.
/// libvirt draws the last three bytes at random; netloom hashes the guest's name and the
/// interface's position, so the same guest file always gives the same MAC (and so the same
/// DHCP lease and the same interface name in the guest) while different guests get
/// unrelated ones. A collision with a MAC in use is resolved by rehashing with a counter,
/// which is deterministic too.
pub fn new_mac(guest: &GuestName, index: usize, taken: &BTreeSet<MacAddr>) -> MacAddr {
    let first = hashed(guest, index, 0);
    if !taken.contains(&first) {
        return first;
    }
    for round in 1..PROBES {
        let mac = hashed(guest, index, round);
        if !taken.contains(&mac) {
            return mac;
        }
    }
    // The range is nearly full: take the next free address after the first pick.
    let [_, _, _, a, b, c] = first.octets();
    let start = u32::from_be_bytes([0, a, b, c]);
    for step in 1..=0x00ff_ffff_u32 {
        let [_, a, b, c] = (start.wrapping_add(step) & 0x00ff_ffff).to_be_bytes();
        let mac = MacAddr::from_octets([0x52, 0x54, 0x00, a, b, c]);
        if !taken.contains(&mac) {
            return mac;
        }
    }
    // Every one of the 2^24 addresses is taken; nothing better exists.
    first
}

/// The `round`th candidate for the interface.
fn hashed(guest: &GuestName, index: usize, round: u32) -> MacAddr {
    let mut h = sha1_smol::Sha1::new();
    h.update(b"netloom guest mac\0");
    h.update(guest.as_str().as_bytes());
    h.update(b"\0");
    h.update(&(index as u64).to_le_bytes());
    h.update(&round.to_le_bytes());
    let d = h.digest().bytes();
    MacAddr::from_octets([0x52, 0x54, 0x00, d[0], d[1], d[2]])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(s: &str) -> GuestName {
        GuestName::parse(s).unwrap()
    }

    #[test]
    fn macs_are_in_libvirts_range_and_deterministic() {
        let none = BTreeSet::new();
        let a = new_mac(&guest("web1"), 0, &none);
        assert_eq!(a.octets()[..3], [0x52, 0x54, 0x00]);
        assert!(a.to_string().starts_with("52:54:00:"), "{a}");
        assert_eq!(new_mac(&guest("web1"), 0, &none), a);
        assert_eq!(a, hashed(&guest("web1"), 0, 0));
        // Another interface or another guest gets another address.
        assert_ne!(new_mac(&guest("web1"), 1, &none), a);
        assert_ne!(new_mac(&guest("web2"), 0, &none), a);
    }

    #[test]
    fn taken_macs_are_avoided_by_rehashing() {
        let g = guest("db");
        let first = new_mac(&g, 2, &BTreeSet::new());
        let taken: BTreeSet<MacAddr> = [first].into();
        let second = new_mac(&g, 2, &taken);
        assert_ne!(second, first);
        assert_eq!(second, hashed(&g, 2, 1));
        assert_eq!(second.octets()[..3], [0x52, 0x54, 0x00]);
        assert_eq!(new_mac(&g, 2, &taken), second);
        // Every probe taken: the walk takes the address after the first pick.
        let all_probes: BTreeSet<MacAddr> = (0..PROBES).map(|r| hashed(&g, 2, r)).collect();
        let walked = new_mac(&g, 2, &all_probes);
        assert!(!all_probes.contains(&walked));
        let [_, _, _, a, b, c] = first.octets();
        let next = (u32::from_be_bytes([0, a, b, c]) + 1) & 0x00ff_ffff;
        let [_, a, b, c] = next.to_be_bytes();
        let want = MacAddr::from_octets([0x52, 0x54, 0x00, a, b, c]);
        if !all_probes.contains(&want) {
            assert_eq!(walked, want);
        }
    }
}
