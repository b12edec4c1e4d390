//! The iptables backend: a virtual network's firewall as `iptables-restore` input, in
//! libvirt's chains (`LIBVIRT_INP`, `LIBVIRT_OUT`, `LIBVIRT_FWO`, `LIBVIRT_FWI`,
//! `LIBVIRT_FWX`, and `LIBVIRT_PRT` in nat and mangle).
//!
//! A fragment is loaded with `iptables-restore -w --noflush STEM.iptables` (and
//! `ip6tables-restore -w --noflush STEM.ip6tables`) and holds only `-I` lines: no chain
//! declaration. Under `--noflush`, a `:CHAIN - [0:0]` line for a user chain that exists
//! *flushes* it (checked with iptables 1.8.9, nf_tables variant, in a scratch namespace: the
//! other networks' rules vanished), so declaring our chains in every fragment would wipe the
//! other networks. The chains are made once by [`base_steps`], whose inputs use `-N`, which
//! fails instead of flushing when the chain exists.
//!
//! Removal is the same text with `-I` turned into `-D` ([`removal`]), computed from the
//! text that was loaded, so a network edited while running is still removed exactly.

mod run;

use crate::backend::{BackendError, NetBackend, NetContext, RenderedFile};
use crate::backends::firewall::{
    self, BaseStep, DIR, Family, MODE, NatTarget, Placed, RemovalError, Rule, argv,
};
use crate::model::IfaceName;
use crate::model::network::{Network, PortRange};
use askama::Template;
use std::net::IpAddr;

/// The iptables backend.
#[derive(Debug)]
pub struct Iptables;

impl NetBackend for Iptables {
    fn name(&self) -> &'static str {
        "iptables"
    }

    fn render(&self, net: &Network, _ctx: &NetContext) -> Result<Vec<RenderedFile>, BackendError> {
        crate::backends::network::render_firewall(self, net)
    }
}

impl Iptables {
    /// One restore input per family the plan has rules for.
    pub(crate) fn files(
        net: &Network,
        plan: &firewall::Plan,
    ) -> Result<Vec<RenderedFile>, BackendError> {
        let stem = net.name.file_stem();
        let mut files = Vec::new();
        for (family, ext) in [(Family::Ipv6, "ip6tables"), (Family::Ipv4, "iptables")] {
            if plan.has(family) {
                files.push(RenderedFile {
                    path: format!("{DIR}/{stem}.{ext}"),
                    contents: fragment(&plan.bridge, &plan.rules, family)?,
                    mode: MODE,
                });
            }
        }
        Ok(files)
    }
}

/// The tables, in the order a fragment lists them.
const TABLES: [&str; 3] = ["filter", "nat", "mangle"];

/// One family's restore input, as `templates/iptables/fragment.txt` writes it: the tables
/// that have rules, each with its rules in plan order, so the kernel ends up with
/// libvirt's order.
#[derive(Template)]
#[template(path = "iptables/fragment.txt", escape = "none")]
struct Fragment<'a> {
    /// The loader the header names.
    tool: &'static str,
    /// The network's bridge, which nearly every rule matches.
    br: &'a IfaceName,
    /// The tables with rules of this family, in [`TABLES`] order.
    tables: Vec<Table<'a>>,
}

/// One `*TABLE` ... `COMMIT` section.
struct Table<'a> {
    name: &'static str,
    rules: Vec<&'a Rule>,
}

/// The restore input inserting the rules of `family`, table by table.
fn fragment(bridge: &IfaceName, rules: &[Placed], family: Family) -> Result<String, BackendError> {
    let tool = match family {
        Family::Ipv4 => "iptables-restore",
        Family::Ipv6 => "ip6tables-restore",
    };
    let tables = (TABLES.into_iter())
        .map(|name| Table {
            name,
            rules: (rules.iter())
                .filter(|p| p.family == family && table(&p.rule) == name)
                .map(|p| &p.rule)
                .collect(),
        })
        .filter(|t| !t.rules.is_empty())
        .collect();
    Fragment {
        tool,
        br: bridge,
        tables,
    }
    .render()
    .map_err(|source| BackendError::Template {
        backend: "iptables",
        source,
    })
}

/// The table of the chain a rule goes into (the template names the chain): address
/// translation in `nat`, the DHCP checksum fix in `mangle`, everything else in `filter`.
fn table(rule: &Rule) -> &'static str {
    match rule {
        Rule::Nat { .. } | Rule::NatExempt { .. } | Rule::Dnat { .. } => "nat",
        Rule::ChecksumFill => "mangle",
        Rule::HostIn { .. }
        | Rule::HostOut { .. }
        | Rule::RejectFromGuests
        | Rule::RejectToGuests
        | Rule::Cross
        | Rule::AllowOut { .. }
        | Rule::AllowIn { .. }
        | Rule::AllowDnat { .. }
        | Rule::OutAllow { .. }
        | Rule::OutDeny { .. }
        | Rule::OutDenyRest
        | Rule::PeerIn { .. } => "filter",
    }
}

/// A port or range as iptables writes it (`25`, `2000:2010`).
fn ports(p: &PortRange) -> String {
    if p.is_range() {
        format!("{}:{}", p.first, p.last)
    } else {
        p.first.to_string()
    }
}

/// One address as a host subnet (`/32`, `/128`), as iptables-save prints it.
fn host(a: &IpAddr) -> String {
    format!("{a}/{}", if a.is_ipv6() { 128 } else { 32 })
}

/// `--to-destination`: the guest, with its ports when they differ from the host's.
fn dnat_target(to: &IpAddr, port: &PortRange, to_ports: &PortRange) -> String {
    let addr = match to {
        IpAddr::V6(a) => format!("[{a}]"),
        IpAddr::V4(a) => a.to_string(),
    };
    if to_ports == port {
        return addr;
    }
    format!("{addr}:{to_ports}")
}

/// netloom's own chain for the DNAT of a forwarding policy's incoming rules: libvirt has
/// no chain in `PREROUTING`.
pub const DNAT_CHAIN: &str = "NETLOOM_DNAT";

/// libvirt's private chains: (table, chain, builtin chain that jumps to it), in libvirt's
/// order, which leaves `FORWARD` starting with the jumps to FWX, FWI, FWO.
const CHAINS: [(&str, &str, &str); 7] = [
    ("filter", "LIBVIRT_INP", "INPUT"),
    ("filter", "LIBVIRT_OUT", "OUTPUT"),
    ("filter", "LIBVIRT_FWO", "FORWARD"),
    ("filter", "LIBVIRT_FWI", "FORWARD"),
    ("filter", "LIBVIRT_FWX", "FORWARD"),
    ("nat", "LIBVIRT_PRT", "POSTROUTING"),
    ("mangle", "LIBVIRT_PRT", "POSTROUTING"),
];

/// netloom's DNAT chain with the builtin chain that jumps to it: loaded only for a network
/// whose policy lets connections in, so a host without one keeps libvirt's exact setup.
const DNAT: (&str, &str, &str) = ("nat", DNAT_CHAIN, "PREROUTING");

fn tools(family: Family) -> (&'static str, &'static str) {
    match family {
        Family::Ipv4 => ("iptables", "iptables-restore"),
        Family::Ipv6 => ("ip6tables", "ip6tables-restore"),
    }
}

/// The whole one-time setup as one restore input, the same for `iptables-restore` and
/// `ip6tables-restore`, for a host (or namespace) where none of it exists yet: a table in which a
/// chain exists already fails as a whole (`-N`), rather than flushing it. Where that is not known, run
/// [`base_steps`] instead.
pub fn base() -> String {
    let mut out = String::new();
    for table in TABLES {
        out.push_str(&format!("*{table}\n"));
        for (_, chain, parent) in CHAINS.iter().filter(|c| c.0 == table) {
            out.push_str(&format!("-N {chain}\n-I {parent} --jump {chain}\n"));
        }
        out.push_str("COMMIT\n");
    }
    out
}

/// The one-time setup of both families as probed steps (see [`BaseStep`]): per chain, one
/// step that creates it (probe: listing the chain succeeds) and one that hooks it into its
/// builtin chain (probe: `-C` finds the jump). This is libvirt's own check, which lists the
/// tables and adds what is missing.
pub fn base_steps() -> Vec<BaseStep> {
    steps_for(&CHAINS)
}

/// The steps that add netloom's DNAT chain (see [`base_steps`]), for a network with
/// incoming rules.
pub fn dnat_base_steps() -> Vec<BaseStep> {
    steps_for(&[DNAT])
}

fn steps_for(chains: &[(&'static str, &'static str, &'static str)]) -> Vec<BaseStep> {
    let mut steps = Vec::new();
    for family in [Family::Ipv4, Family::Ipv6] {
        let (tool, restore) = tools(family);
        let loader = argv(&[restore, "-w", "--noflush"]);
        for &(table, chain, parent) in chains {
            steps.push(BaseStep {
                probe: argv(&[tool, "-w", "--table", table, "--list-rules", chain]),
                loader: loader.clone(),
                input: format!("*{table}\n-N {chain}\nCOMMIT\n"),
            });
            steps.push(BaseStep {
                probe: argv(&[
                    tool, "-w", "--table", table, "--check", parent, "--jump", chain,
                ]),
                loader: loader.clone(),
                input: format!("*{table}\n-I {parent} --jump {chain}\nCOMMIT\n"),
            });
        }
    }
    steps
}

/// What takes apart the parts of the one-time setup that `loaded` (steps of [`base_steps`]
/// whose probes failed, so netloom loaded them) added: one restore input per loader and
/// table, removing the jumps before the chains, for that step's `loader`.
///
/// Each input is one table's transaction, and `-X` refuses a chain that still holds rules,
/// so a setup another network (or libvirt) still uses fails as a whole and stays intact.
pub fn base_removal(loaded: &[BaseStep]) -> Vec<(Vec<String>, String)> {
    struct Group<'a> {
        loader: &'a [String],
        table: &'a str,
        jumps: Vec<&'a str>,
        chains: Vec<&'a str>,
    }
    let mut groups: Vec<Group<'_>> = Vec::new();
    for step in loaded {
        let mut table = None;
        for line in step.input.lines() {
            if let Some(t) = line.strip_prefix('*') {
                table = Some(t);
                continue;
            }
            let Some(t) = table else { continue };
            let at = match groups
                .iter()
                .position(|g| g.loader == step.loader.as_slice() && g.table == t)
            {
                Some(i) => i,
                None => {
                    groups.push(Group {
                        loader: &step.loader,
                        table: t,
                        jumps: Vec::new(),
                        chains: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            if let Some(chain) = line.strip_prefix("-N ") {
                groups[at].chains.push(chain);
            } else if let Some(jump) = line.strip_prefix("-I ") {
                groups[at].jumps.push(jump);
            }
        }
    }
    groups
        .into_iter()
        .map(|g| {
            let mut input = format!("*{}\n", g.table);
            for jump in g.jumps.iter().rev() {
                input.push_str(&format!("-D {jump}\n"));
            }
            for chain in g.chains.iter().rev() {
                input.push_str(&format!("-X {chain}\n"));
            }
            input.push_str("COMMIT\n");
            (g.loader.to_vec(), input)
        })
        .collect()
}

/// The restore input that removes exactly what `loaded` (a fragment this backend rendered,
/// as it was loaded) inserted: each `-I` becomes `-D` with the same rule, which deletes the
/// first identical rule of the chain. Record it when the network starts; at stop, feed it
/// to the same `*-restore -w --noflush`. It fails as a whole if one of the rules is gone
/// already, so a caller wanting best effort runs the lines one by one instead.
///
/// Anything but comments, table headers, `COMMIT` and `-I` lines into libvirt's chains is
/// refused: the text may have been edited, and deleting what netloom did not add is worse
/// than stopping.
pub fn removal(loaded: &str) -> Result<String, RemovalError> {
    let mut out = String::new();
    for (i, line) in loaded.lines().enumerate() {
        let bad = |why| RemovalError {
            line: i + 1,
            text: line.to_owned(),
            why,
        };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "COMMIT" || TABLES.iter().any(|t| line.strip_prefix('*') == Some(t)) {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let rest = line
            .strip_prefix("-I ")
            .ok_or_else(|| bad("not a rule insertion netloom writes"))?;
        let mut words = rest.split(' ');
        let chain = words.next().unwrap_or_default();
        if !CHAINS.iter().chain([&DNAT]).any(|c| c.1 == chain) {
            return Err(bad("not one of libvirt's chains"));
        }
        // `-D CHAIN 3` would delete whatever is third, not the rule that was inserted.
        if !words.next().is_some_and(|w| w.starts_with('-') || w == "!") {
            return Err(bad(
                "a rule position or a bare word where an option belongs",
            ));
        }
        out.push_str(&format!("-D {rest}\n"));
    }
    Ok(out)
}
