//! Loading a network's firewall rules, and the shared setup they go into, with the tool of
//! the chosen backend; and taking them away again.

use crate::error::LiveKind;
use std::collections::BTreeMap;

use super::cmd::{self, argv};
use super::record::Step;
use crate::backend::RenderedFile;
use crate::backends::firewall::{BaseStep, Family};
use crate::backends::{iptables, nftables};
use crate::error::Error;
use crate::model::network::Network;

/// The firewall a running network's rules go into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firewall {
    /// iptables and ip6tables, through `*-restore --noflush`.
    Iptables,
    /// nftables, through `nft -f`.
    Nftables,
}

impl Firewall {
    /// The backend's name, also that of its rendered files' backend.
    pub fn as_str(self) -> &'static str {
        match self {
            Firewall::Iptables => "iptables",
            Firewall::Nftables => "nftables",
        }
    }

    /// The backend a record names.
    pub(super) fn parse(name: &str) -> Option<Firewall> {
        [Firewall::Iptables, Firewall::Nftables]
            .into_iter()
            .find(|f| f.as_str() == name)
    }

    /// The one asked for, else nftables where `nft` works, else iptables.
    pub(super) fn choose(asked: Option<Firewall>) -> Result<Firewall, Error> {
        if let Some(f) = asked {
            return Ok(f);
        }
        if cmd::output(&argv(&["nft", "list", "tables"]), None).is_ok_and(|o| o.ok) {
            return Ok(Firewall::Nftables);
        }
        if cmd::exists("iptables-restore") {
            return Ok(Firewall::Iptables);
        }
        Err(Error::live(
            LiveKind::Unavailable,
            "neither nft nor iptables-restore works here; install nftables or iptables",
        ))
    }

    /// The one-time setup's steps, with netloom's DNAT chain when `dnat`.
    fn base_steps(self, dnat: bool) -> Vec<BaseStep> {
        let (mut steps, extra) = match self {
            Firewall::Iptables => (iptables::base_steps(), iptables::dnat_base_steps()),
            Firewall::Nftables => (nftables::base_steps(), nftables::dnat_base_steps()),
        };
        if dnat {
            steps.extend(extra);
        }
        steps
    }
}

/// Completes the shared setup (with netloom's DNAT chain when `dnat`: a network whose
/// policy lets connections in): each step whose probe fails is loaded and added to `loaded`
/// (also when a later step fails, so the caller can take it away again).
pub(super) fn load_base(fw: Firewall, dnat: bool, loaded: &mut Vec<BaseStep>) -> Result<(), Error> {
    for step in fw.base_steps(dnat) {
        if cmd::output(&step.probe, None)?.ok {
            continue;
        }
        cmd::run(&step.loader, Some(&step.input))?;
        loaded.push(step);
    }
    Ok(())
}

/// Loads the network's rendered fragments (`files`, this backend's) and records how each
/// comes off again.
pub(super) fn load_rules(
    fw: Firewall,
    files: &[RenderedFile],
    steps: &mut Vec<Step>,
) -> Result<(), Error> {
    for file in files {
        let bad = |e: crate::backends::firewall::RemovalError| {
            Error::live(
                LiveKind::Unreadable,
                format!("{}: cannot work out its removal: {e}", file.path),
            )
        };
        match fw {
            Firewall::Nftables => {
                let echo = cmd::run(
                    &argv(&["nft", "--echo", "--handle", "-f", "-"]),
                    Some(&file.contents),
                )?;
                let input = nftables::removal(&echo).map_err(bad)?;
                let mut tables = BTreeMap::new();
                for family in ["ip", "ip6"] {
                    if input.contains(&format!("delete rule {family} ")) {
                        let handle = table_handle(family).ok_or_else(|| {
                            Error::live(
                                LiveKind::Failed,
                                format!(
                                    "the {family} {} table is gone right after loading {}",
                                    nftables::TABLE,
                                    file.path
                                ),
                            )
                        })?;
                        tables.insert(family.to_owned(), handle);
                    }
                }
                steps.push(Step::Rules {
                    loader: argv(&["nft", "-f", "-"]),
                    input,
                    tables,
                });
            }
            Firewall::Iptables => {
                let tool = if file.path.ends_with(".ip6tables") {
                    "ip6tables-restore"
                } else {
                    "iptables-restore"
                };
                let loader = argv(&[tool, "-w", "--noflush"]);
                // Worked out first: a fragment that cannot be removed is never loaded.
                let input = iptables::removal(&file.contents).map_err(bad)?;
                cmd::run(&loader, Some(&file.contents))?;
                steps.push(Step::Rules {
                    loader,
                    input,
                    tables: BTreeMap::new(),
                });
            }
        }
    }
    Ok(())
}

/// nftables cannot fill in the checksum of DHCP replies, so libvirt has tc do it on the
/// bridge. A kernel without the `csum` action (or a host without `tc`) cannot; that costs
/// only very old guests their DHCP, so it is a warning, not a failure. The bridge's deletion
/// takes the qdisc and filter away.
pub(super) fn checksum_fix(net: &Network) -> Option<String> {
    let tried = || -> Result<(), Error> {
        let Some(fix) = nftables::tc_checksum_fix(net)? else {
            return Ok(());
        };
        if cmd::run(&fix.show_qdisc, None)?.trim().is_empty() {
            cmd::run(&fix.add_qdisc, None)?;
        }
        cmd::run(&fix.add_filter, None).map(drop)
    };
    tried().err().map(|e| {
        format!(
            "network '{}': the DHCP checksum fix is not loaded ({e}); guests that check UDP \
             checksums of DHCP replies may ignore them",
            net.name
        )
    })
}

/// Takes away the parts of the shared setup in `loaded` that nothing uses any more, and
/// returns those that stay (still used by someone's rules, or not removable).
pub(super) fn remove_base(fw: Firewall, loaded: &[BaseStep]) -> Vec<BaseStep> {
    match fw {
        Firewall::Nftables => loaded
            .iter()
            .filter(|step| {
                // The probe is `nft list table|chain FAMILY libvirt_network [CHAIN]`.
                let family = match step.probe.get(3).map(String::as_str) {
                    Some("ip6") => Family::Ipv6,
                    _ => Family::Ipv4,
                };
                match step.probe.get(2).map(String::as_str) {
                    Some("chain") => !remove_nft_chain(family, &step.loader),
                    _ => !remove_nft_base(family, &step.loader),
                }
            })
            .cloned()
            .collect(),
        Firewall::Iptables => {
            let first = |text: &str| text.lines().next().unwrap_or_default().to_owned();
            let mut failed = Vec::new();
            for (loader, input) in iptables::base_removal(loaded) {
                let done = cmd::output(&loader, Some(&input)).is_ok_and(|o| o.ok)
                    || without_missing(&loader, &input).is_some_and(|rest| {
                        // Everything gone already, or what is left comes off.
                        !rest.lines().any(|l| l.starts_with('-'))
                            || cmd::output(&loader, Some(&rest)).is_ok_and(|o| o.ok)
                    });
                if !done {
                    failed.push((loader, first(&input)));
                }
            }
            loaded
                .iter()
                .filter(|s| {
                    failed
                        .iter()
                        .any(|(l, t)| *l == s.loader && *t == first(&s.input))
                })
                .cloned()
                .collect()
        }
    }
}

/// A base removal without what a firewall reload took away already (a jump `-C` does not
/// find, a chain `--list-rules` does not know), which would otherwise fail the table's whole
/// transaction; `None` when nothing is missing.
fn without_missing(loader: &[String], input: &str) -> Option<String> {
    let tool = loader.first()?.strip_suffix("-restore")?;
    let table = input.lines().next()?.strip_prefix('*')?;
    let exists = |args: &[&str]| {
        let mut probe = argv(&[tool, "-w", "--table", table]);
        probe.extend(args.iter().map(|a| (*a).to_owned()));
        cmd::output(&probe, None).is_ok_and(|o| o.ok)
    };
    let mut out = String::new();
    let mut dropped = false;
    for line in input.lines() {
        let present = if let Some(jump) = line.strip_prefix("-D ") {
            let mut args = vec!["--check"];
            args.extend(jump.split(' '));
            exists(&args)
        } else if let Some(chain) = line.strip_prefix("-X ") {
            exists(&["--list-rules", chain])
        } else {
            true
        };
        if present {
            out.push_str(line);
            out.push('\n');
        } else {
            dropped = true;
        }
    }
    dropped.then_some(out)
}

/// `nft -j list table FAMILY libvirt_network`, `None` when that table does not exist.
fn list_table(family: &str) -> Result<Option<String>, Error> {
    let list = argv(&["nft", "-j", "list", "table", family, nftables::TABLE]);
    let out = cmd::output(&list, None)?;
    Ok(out.ok.then_some(out.stdout))
}

/// The handle of `family`'s `libvirt_network` table, `None` when it does not exist.
fn table_handle(family: &str) -> Option<u64> {
    let listing = list_table(family).ok()??;
    let doc: serde_json::Value = serde_json::from_str(&listing).ok()?;
    doc.get("nftables")?
        .as_array()?
        .iter()
        .find_map(|i| i.get("table")?.get("handle")?.as_u64())
}

/// Deletes one family's nft setup (with `loader`) unless a rule other than its own jumps
/// is in it; whether it is gone.
fn remove_nft_base(family: Family, loader: &[String]) -> bool {
    match list_table(nftables::family_word(family)) {
        Err(_) => false,
        // Gone already (a flushed ruleset): nothing to take away.
        Ok(None) => true,
        Ok(Some(listing)) if nftables::base_in_use(&listing) != Some(false) => false,
        Ok(Some(_)) => {
            cmd::output(loader, Some(&nftables::base_removal(family))).is_ok_and(|o| o.ok)
        }
    }
}

/// Deletes netloom's DNAT chain of one family (with `loader`); nft refuses while a rule is
/// in it. Whether it is gone (with its table, maybe).
fn remove_nft_chain(family: Family, loader: &[String]) -> bool {
    match list_table(nftables::family_word(family)) {
        Err(_) => false,
        Ok(None) => true,
        Ok(Some(_)) => {
            cmd::output(loader, Some(&nftables::dnat_chain_removal(family))).is_ok_and(|o| o.ok)
        }
    }
}

/// Feeds a removal to its loader. When that fails as a whole (a rule is gone already: the
/// firewall was reloaded, or someone deleted it), each command is fed alone, so what is
/// left still comes off; what cannot is returned as a warning.
pub(super) fn remove_rules(
    loader: &[String],
    input: &str,
    tables: &BTreeMap<String, u64>,
) -> Result<Option<String>, Error> {
    // Deletions by handle are only meant for the very tables the rules went into.
    let mut missing = 0;
    let mut kept = String::new();
    for line in input.lines() {
        let family = line.split(' ').nth(2).unwrap_or_default();
        match tables.get(family) {
            Some(handle) if table_handle(family) != Some(*handle) => missing += 1,
            _ => {
                kept.push_str(line);
                kept.push('\n');
            }
        }
    }
    let input = kept.as_str();
    if input.trim().is_empty() || cmd::output(loader, Some(input))?.ok {
        return Ok(removed_already(missing));
    }
    for single in one_by_one(input) {
        if !cmd::output(loader, Some(&single))?.ok {
            missing += 1;
        }
    }
    Ok(removed_already(missing))
}

fn removed_already(missing: usize) -> Option<String> {
    (missing > 0).then(|| {
        format!(
            "{missing} firewall rule{} had been removed already",
            if missing == 1 { "" } else { "s" }
        )
    })
}

/// A removal split into inputs of one command each: an nft line alone, or an iptables
/// line inside its table's header and `COMMIT`.
fn one_by_one(input: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut header = "";
    for line in input.lines() {
        if line.starts_with('*') {
            header = line;
        } else if line == "COMMIT" || line.is_empty() {
        } else if header.is_empty() {
            out.push(format!("{line}\n"));
        } else {
            out.push(format!("{header}\n{line}\nCOMMIT\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::one_by_one;

    #[test]
    fn a_removal_splits_into_single_commands_that_keep_their_table() {
        assert_eq!(
            one_by_one("*filter\n-D A x\n-D B y\nCOMMIT\n*nat\n-D C z\nCOMMIT\n"),
            [
                "*filter\n-D A x\nCOMMIT\n",
                "*filter\n-D B y\nCOMMIT\n",
                "*nat\n-D C z\nCOMMIT\n"
            ]
        );
        assert_eq!(
            one_by_one("delete rule ip t c handle 3\ndelete rule ip t c handle 2\n"),
            [
                "delete rule ip t c handle 3\n",
                "delete rule ip t c handle 2\n"
            ]
        );
    }
}
