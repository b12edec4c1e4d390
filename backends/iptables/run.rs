//! The live half of the iptables backend: loading a network's fragments with
//! `iptables-restore` and `ip6tables-restore --noflush`, and taking the shared chains away
//! when nothing else uses them.

use std::collections::BTreeMap;

use super::{Iptables, base_removal, base_steps, dnat_base_steps, removal};
use crate::backend::{BackendError, RenderedFile};
use crate::backends::firewall::{BaseStep, Plan};
use crate::backends::network::{FirewallBackend, Loaded, feed_removal};
use crate::error::{Error, LiveKind};
use crate::live::cmd::{self, argv};
use crate::model::network::Network;

impl FirewallBackend for Iptables {
    fn fragments(&self, net: &Network, plan: &Plan) -> Result<Vec<RenderedFile>, BackendError> {
        Iptables::files(net, plan)
    }

    fn summary(&self) -> &'static str {
        "iptables and ip6tables (`*-restore --noflush`)"
    }

    fn program(&self) -> &'static str {
        "iptables-restore"
    }

    fn works(&self) -> bool {
        cmd::exists("iptables-restore")
    }

    fn setup_steps(&self) -> Vec<BaseStep> {
        base_steps()
    }

    fn dnat_steps(&self) -> Vec<BaseStep> {
        dnat_base_steps()
    }

    /// The removal is worked out first: a fragment that cannot be removed is never loaded.
    fn load(&self, file: &RenderedFile) -> Result<Loaded, Error> {
        let tool = if file.path.ends_with(".ip6tables") {
            "ip6tables-restore"
        } else {
            "iptables-restore"
        };
        let loader = argv(&[tool, "-w", "--noflush"]);
        let input = removal(&file.contents).map_err(|e| {
            Error::live(
                LiveKind::Unreadable,
                format!("{}: cannot work out its removal: {e}", file.path),
            )
        })?;
        cmd::run_argv(&loader, Some(&file.contents))?;
        Ok(Loaded {
            loader,
            input,
            tables: BTreeMap::new(),
        })
    }

    fn remove(&self, loaded: &Loaded) -> Result<usize, Error> {
        feed_removal(&loaded.loader, &loaded.input, one_by_one, 0)
    }

    fn remove_base(&self, loaded: &[BaseStep]) -> Vec<BaseStep> {
        let first = |text: &str| text.lines().next().unwrap_or_default().to_owned();
        let mut failed = Vec::new();
        for (loader, input) in base_removal(loaded) {
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

/// A removal split into inputs of one command each: an iptables line inside its table's
/// header and `COMMIT`.
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
    }
}
