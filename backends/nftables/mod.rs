//! The nftables backend: a virtual network's firewall as `nft -f` input, in the tables
//! `ip libvirt_network` and `ip6 libvirt_network` that libvirt (10.4 and later) uses, never
//! in a table shared with the user.
//!
//! A fragment holds only `insert rule` lines, so loading it adds to the chains and touches
//! nothing else; the tables and chains are made once by [`base_steps`]. nft deletes rules
//! only by handle, so the removal is worked out from what `nft --echo --handle -f STEM.nft`
//! prints when the fragment is loaded ([`removal`]), exactly as libvirt records it.
//!
//! The bridge is matched with `iif`/`oif` (an interface index, resolved when the rule is
//! loaded, so the bridge must exist by then) and the forward device with
//! `iifname`/`oifname` (a name, which may come and go). The DHCP checksum fix that iptables
//! does in its mangle table is a tc filter here ([`tc_checksum_fix`]).

mod run;

use crate::backend::{BackendError, NetBackend, NetContext, RenderedFile};
use crate::backends::firewall::{
    self, BaseStep, DIR, Family, MODE, NatTarget, Plan, RemovalError, Rule, argv,
};
use crate::model::IfaceName;
use crate::model::network::{Network, PortRange};
use askama::Template;
use std::net::IpAddr;

/// The nftables backend.
#[derive(Debug)]
pub struct Nftables;

/// The table both families use.
pub const TABLE: &str = "libvirt_network";

/// The chains a network's rules go into.
const CHAINS: [&str; 5] = [
    "guest_output",
    "guest_input",
    "guest_cross",
    "guest_nat",
    DNAT_CHAIN,
];

/// netloom's chain for the DNAT of a forwarding policy's incoming rules, a prerouting hook
/// beside libvirt's chains (libvirt has none there).
pub const DNAT_CHAIN: &str = "guest_dnat";

impl NetBackend for Nftables {
    fn name(&self) -> &'static str {
        "nftables"
    }

    fn render(&self, net: &Network, _ctx: &NetContext) -> Result<Vec<RenderedFile>, BackendError> {
        crate::backends::network::render_firewall(self, net)
    }
}

impl Nftables {
    /// The one `nft -f` input of the plan.
    pub(crate) fn files(net: &Network, plan: &Plan) -> Result<Vec<RenderedFile>, BackendError> {
        Ok(vec![RenderedFile {
            path: format!("{DIR}/{}.nft", net.name.file_stem()),
            contents: fragment(plan)?,
            mode: MODE,
        }])
    }
}

/// A network's `nft -f` input, as `templates/nftables/fragment.txt` writes it: every rule
/// of the plan with its family, in plan order, which the template spells or leaves out.
#[derive(Template)]
#[template(path = "nftables/fragment.txt", escape = "none")]
struct Fragment<'a> {
    /// The network's bridge as an nft string, which nearly every rule matches.
    br: String,
    /// nft's name of each rule's family, and the rule.
    rules: Vec<(&'static str, &'a Rule)>,
}

/// The fragment of `plan`.
fn fragment(plan: &Plan) -> Result<String, BackendError> {
    Fragment {
        br: quoted(&plan.bridge),
        rules: (plan.rules.iter())
            .map(|p| (family_word(p.family), &p.rule))
            .collect(),
    }
    .render()
    .map_err(|source| BackendError::Template {
        backend: "nftables",
        source,
    })
}

/// nft's name of an address family, as in `table ip …`.
pub fn family_word(family: Family) -> &'static str {
    match family {
        Family::Ipv4 => "ip",
        Family::Ipv6 => "ip6",
    }
}

/// An interface name as an nft string. Names hold only letters, digits and `_ . -`, so the
/// quotes cannot be closed early; they are needed because a name may start with a digit or
/// be a keyword, which nft would otherwise take for a number or syntax.
fn quoted(name: &IfaceName) -> String {
    format!("\"{}\"", name.as_str())
}

/// `dnat to`: the guest, with its ports when they differ from the host's.
fn dnat_target(to: &IpAddr, port: &PortRange, to_ports: &PortRange) -> String {
    match to {
        IpAddr::V6(a) if to_ports != port => format!("[{a}]:{to_ports}"),
        a if to_ports != port => format!("{a}:{to_ports}"),
        a => a.to_string(),
    }
}

/// The whole one-time setup of `family`, as libvirt makes it: the table, a forward chain
/// jumping to the three filter chains, and the NAT chain. `add` leaves an existing table
/// or chain alone, but the jumps would be doubled, so load it only when
/// `nft list table FAMILY libvirt_network` fails (which is what [`base_steps`] says).
pub fn base(family: Family) -> String {
    let f = family_word(family);
    let mut out = format!(
        "add table {f} {TABLE}\n\
         add chain {f} {TABLE} forward {{ type filter hook forward priority 0; policy accept; }}\n"
    );
    for chain in ["guest_output", "guest_input", "guest_cross"] {
        out.push_str(&format!(
            "add chain {f} {TABLE} {chain}\ninsert rule {f} {TABLE} forward counter jump {chain}\n"
        ));
    }
    out.push_str(&format!(
        "add chain {f} {TABLE} guest_nat {{ type nat hook postrouting priority 100; policy accept; }}\n"
    ));
    out
}

/// The one-time setup as probed steps (see [`BaseStep`]), one per family: libvirt's check,
/// which takes an existing table as complete.
pub fn base_steps() -> Vec<BaseStep> {
    [Family::Ipv4, Family::Ipv6]
        .into_iter()
        .map(|family| BaseStep {
            probe: argv(&["nft", "list", "table", family_word(family), TABLE]),
            loader: argv(&["nft", "-f", "-"]),
            input: base(family),
        })
        .collect()
}

/// The steps that add netloom's DNAT chain to the tables of [`base_steps`], for a network
/// with incoming rules: a chain of their own, so a table libvirt made gets it too, and the
/// chain alone is what comes off again.
pub fn dnat_base_steps() -> Vec<BaseStep> {
    [Family::Ipv4, Family::Ipv6]
        .into_iter()
        .map(|family| BaseStep {
            probe: argv(&[
                "nft",
                "list",
                "chain",
                family_word(family),
                TABLE,
                DNAT_CHAIN,
            ]),
            loader: argv(&["nft", "-f", "-"]),
            input: dnat_chain(family),
        })
        .collect()
}

/// netloom's DNAT chain of `family`, at the priority of destination NAT.
pub fn dnat_chain(family: Family) -> String {
    format!(
        "add chain {} {TABLE} {DNAT_CHAIN} {{ type nat hook prerouting priority -100; policy accept; }}\n",
        family_word(family)
    )
}

/// The nft input that takes netloom's DNAT chain of `family` away; nft refuses it while a
/// rule is in the chain.
pub fn dnat_chain_removal(family: Family) -> String {
    format!(
        "delete chain {} {TABLE} {DNAT_CHAIN}\n",
        family_word(family)
    )
}

/// The nft input that takes apart the one-time setup of `family` ([`base`]), for a caller
/// that loaded it and has checked with [`base_in_use`] that no rule is left in it.
pub fn base_removal(family: Family) -> String {
    format!("delete table {} {TABLE}\n", family_word(family))
}

/// Whether the setup listed by `nft -j list table FAMILY libvirt_network` holds anything
/// but its own jumps: a rule of some network (netloom's or libvirt's) in one of the guest
/// chains, or a rule of someone else's in `forward`. `None` when the listing cannot be read,
/// which a caller takes as "in use": removing too little beats removing someone's rules.
pub fn base_in_use(json: &str) -> Option<bool> {
    let doc: serde_json::Value = serde_json::from_str(json).ok()?;
    let items = doc.get("nftables")?.as_array()?;
    let mut forward = 0;
    for rule in items.iter().filter_map(|i| i.get("rule")) {
        match rule.get("chain")?.as_str()? {
            "forward" => forward += 1,
            _ => return Some(true),
        }
    }
    Some(forward > 3)
}

/// The tc commands (program first) that make the bridge fill in the UDP checksum of DHCP
/// replies, which nftables cannot do. They are not nft syntax, so they are data for the
/// lifecycle code: run `show_qdisc`; if it prints nothing, run `add_qdisc` (a qdisc already
/// there may be someone else's and is left alone); then `add_filter`. At stop, run
/// `del_filter` (deleting the bridge removes both anyway). The qdisc is never removed, as
/// libvirt does not remove it either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcFix {
    /// Lists the root qdisc with handle `1:`.
    pub show_qdisc: Vec<String>,
    /// Adds it.
    pub add_qdisc: Vec<String>,
    /// Adds the checksum filter.
    pub add_filter: Vec<String>,
    /// Removes that filter again.
    pub del_filter: Vec<String>,
}

/// The checksum fix for `net`'s bridge, which libvirt applies to every network that gets
/// firewall rules (DHCP or not); `None` for a network without rules.
pub fn tc_checksum_fix(net: &Network) -> Result<Option<TcFix>, BackendError> {
    Ok(firewall::plan(net)?.map(|plan| tc_fix(&plan)))
}

/// The checksum fix for the bridge of `plan`.
pub(crate) fn tc_fix(plan: &Plan) -> TcFix {
    let br = plan.bridge.as_str();
    let filter = |verb| {
        argv(&[
            "tc", "filter", verb, "dev", br, "prio", "2", "protocol", "ip", "parent", "1:", "u32",
            "match", "ip", "dport", "68", "ffff", "action", "csum", "ip", "and", "udp",
        ])
    };
    TcFix {
        show_qdisc: argv(&["tc", "qdisc", "show", "dev", br, "handle", "1:"]),
        add_qdisc: argv(&[
            "tc", "qdisc", "add", "dev", br, "root", "handle", "1:", "htb", "default", "2",
        ]),
        add_filter: filter("add"),
        del_filter: filter("del"),
    }
}

/// The nft input that deletes exactly the rules a fragment added, from what
/// `nft --echo --handle -f STEM.nft` printed when it was loaded: one
/// `delete rule FAMILY libvirt_network CHAIN handle N` per rule, the last added first.
/// Record it when the network starts and load it with `nft -f` at stop.
///
/// Only netloom's own shapes are accepted (a rule in one of the four chains of the
/// `libvirt_network` tables, ending in `# handle N`); nft's `# new generation` notes are
/// skipped. Anything else is refused rather than turned into a deletion.
pub fn removal(echo: &str) -> Result<String, RemovalError> {
    let mut deletes = Vec::new();
    for (i, line) in echo.lines().enumerate() {
        let bad = |why| RemovalError {
            line: i + 1,
            text: line.to_owned(),
            why,
        };
        let line_t = line.trim();
        if line_t.is_empty() || line_t.starts_with('#') {
            continue;
        }
        let (rule, handle) = line_t
            .rsplit_once(" # handle ")
            .ok_or_else(|| bad("no '# handle N' at the end"))?;
        let handle: u64 = handle
            .parse()
            .map_err(|_| bad("the handle is not a number"))?;
        let words: Vec<&str> = rule.split_whitespace().collect();
        let (fam, chain) = match words.as_slice() {
            [
                "insert" | "add",
                "rule",
                fam @ ("ip" | "ip6"),
                TABLE,
                chain,
                ..,
            ] if CHAINS.contains(chain) => (*fam, *chain),
            _ => return Err(bad("not a rule of a libvirt_network chain")),
        };
        deletes.push(format!(
            "delete rule {fam} {TABLE} {chain} handle {handle}\n"
        ));
    }
    deletes.reverse();
    Ok(deletes.concat())
}
