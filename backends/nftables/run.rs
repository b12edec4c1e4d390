//! The live half of the nftables backend: loading a network's script with `nft`, reading
//! nft's echo of it for the removal, and taking the shared tables away when nothing else
//! uses them.

use std::collections::BTreeMap;

use super::{
    Nftables, TABLE, base_in_use, base_removal, base_steps, dnat_base_steps, dnat_chain_removal,
    family_word, removal, tc_fix,
};
use crate::backend::{BackendError, RenderedFile};
use crate::backends::firewall::{BaseStep, Family, Plan};
use crate::backends::network::{FirewallBackend, Loaded, feed_removal};
use crate::error::{Error, LiveKind};
use crate::live::cmd::{self, argv};
use crate::model::network::Network;

impl FirewallBackend for Nftables {
    fn fragments(&self, net: &Network, plan: &Plan) -> Result<Vec<RenderedFile>, BackendError> {
        Nftables::files(net, plan)
    }

    fn summary(&self) -> &'static str {
        "nftables"
    }

    fn program(&self) -> &'static str {
        "nft"
    }

    fn works(&self) -> bool {
        cmd::output(&argv(&["nft", "list", "tables"]), None).is_ok_and(|o| o.ok)
    }

    fn setup_steps(&self) -> Vec<BaseStep> {
        base_steps()
    }

    fn dnat_steps(&self) -> Vec<BaseStep> {
        dnat_base_steps()
    }

    /// Loaded with `--echo --handle`: the removal deletes the very rules by handle, in the
    /// tables (by handle too) they went into.
    fn load(&self, file: &RenderedFile) -> Result<Loaded, Error> {
        let echo = cmd::run_argv(
            &argv(&["nft", "--echo", "--handle", "-f", "-"]),
            Some(&file.contents),
        )?;
        let input = removal(&echo).map_err(|e| {
            Error::live(
                LiveKind::Unreadable,
                format!("{}: cannot work out its removal: {e}", file.path),
            )
        })?;
        let mut tables = BTreeMap::new();
        for family in ["ip", "ip6"] {
            if input.contains(&format!("delete rule {family} ")) {
                let handle = table_handle(family)?.ok_or_else(|| {
                    Error::live(
                        LiveKind::Failed,
                        format!(
                            "the {family} {TABLE} table is gone right after loading {}",
                            file.path
                        ),
                    )
                })?;
                tables.insert(family.to_owned(), handle);
            }
        }
        Ok(Loaded {
            loader: argv(&["nft", "-f", "-"]),
            input,
            tables,
        })
    }

    /// Deletions by handle are only meant for the very tables the rules went into: those of
    /// a table made again since count as gone.
    fn remove(&self, loaded: &Loaded) -> Result<usize, Error> {
        let mut missing = 0;
        let mut kept = String::new();
        for line in loaded.input.lines() {
            let family = line.split(' ').nth(2).unwrap_or_default();
            match loaded.tables.get(family) {
                Some(handle) if table_handle(family)? != Some(*handle) => missing += 1,
                _ => {
                    kept.push_str(line);
                    kept.push('\n');
                }
            }
        }
        feed_removal(&loaded.loader, &kept, one_by_one, missing)
    }

    fn remove_base(&self, loaded: &[BaseStep]) -> Vec<BaseStep> {
        loaded
            .iter()
            .filter(|step| {
                // The probe is `nft list table|chain FAMILY libvirt_network [CHAIN]`.
                let family = match step.probe.get(3).map(String::as_str) {
                    Some("ip6") => Family::Ipv6,
                    _ => Family::Ipv4,
                };
                match step.probe.get(2).map(String::as_str) {
                    Some("chain") => !remove_chain(family, &step.loader),
                    _ => !remove_table(family, &step.loader),
                }
            })
            .cloned()
            .collect()
    }

    /// nftables cannot fill in the checksum of DHCP replies, so libvirt has tc do it on the
    /// bridge. A kernel without the `csum` action (or a host without `tc`) cannot; that
    /// costs only very old guests their DHCP, so it is a warning, not a failure. The
    /// bridge's deletion takes the qdisc and filter away.
    fn after_load(&self, net: &Network, plan: &Plan) -> Option<String> {
        let tried = || -> Result<(), Error> {
            let fix = tc_fix(plan);
            if cmd::run_argv(&fix.show_qdisc, None)?.trim().is_empty() {
                cmd::run_argv(&fix.add_qdisc, None)?;
            }
            cmd::run_argv(&fix.add_filter, None).map(drop)
        };
        tried().err().map(|e| {
            format!(
                "network '{}': the DHCP checksum fix is not loaded ({e}); guests that check \
                 UDP checksums of DHCP replies may ignore them",
                net.name
            )
        })
    }
}

/// A removal split into inputs of one command each: an nft line alone.
fn one_by_one(input: &str) -> Vec<String> {
    input
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `nft -j list table FAMILY libvirt_network`, `None` when that table does not exist.
fn list_table(family: &str) -> Result<Option<String>, Error> {
    let list = argv(&["nft", "-j", "list", "table", family, TABLE]);
    let out = cmd::output(&list, None)?;
    Ok(out.ok.then_some(out.stdout))
}

/// The handle of `family`'s `libvirt_network` table, `None` when it does not exist. What
/// nft prints that is not a table listing is an error: read as "no table", rules still
/// loaded would be reported as removed already and left in.
fn table_handle(family: &str) -> Result<Option<u64>, Error> {
    let Some(listing) = list_table(family)? else {
        return Ok(None);
    };
    let unreadable = |why: &str| {
        Error::live(
            LiveKind::Unreadable,
            format!("`nft -j list table {family} {TABLE}` printed {why}"),
        )
    };
    let doc: serde_json::Value = serde_json::from_str(&listing)
        .map_err(|e| unreadable(&format!("what is not JSON: {e}")))?;
    doc.get("nftables")
        .and_then(|v| v.as_array())
        .and_then(|items| {
            items
                .iter()
                .find_map(|i| i.get("table")?.get("handle")?.as_u64())
        })
        .map(Some)
        .ok_or_else(|| unreadable("no table with a handle"))
}

/// Deletes one family's setup (with `loader`) unless a rule other than its own jumps is in
/// it; whether it is gone.
fn remove_table(family: Family, loader: &[String]) -> bool {
    match list_table(family_word(family)) {
        Err(_) => false,
        // Gone already (a flushed ruleset): nothing to take away.
        Ok(None) => true,
        Ok(Some(listing)) if base_in_use(&listing) != Some(false) => false,
        Ok(Some(_)) => cmd::output(loader, Some(&base_removal(family))).is_ok_and(|o| o.ok),
    }
}

/// Deletes netloom's DNAT chain of one family (with `loader`); nft refuses
/// while a rule is in it. Whether it is gone (with its table, maybe).
fn remove_chain(family: Family, loader: &[String]) -> bool {
    match list_table(family_word(family)) {
        Err(_) => false,
        Ok(None) => true,
        Ok(Some(_)) => cmd::output(loader, Some(&dnat_chain_removal(family))).is_ok_and(|o| o.ok),
    }
}

#[cfg(test)]
mod tests {
    use super::one_by_one;

    #[test]
    fn a_removal_splits_into_single_commands() {
        assert_eq!(
            one_by_one("delete rule ip t c handle 3\ndelete rule ip t c handle 2\n"),
            [
                "delete rule ip t c handle 3\n",
                "delete rule ip t c handle 2\n"
            ]
        );
    }
}
