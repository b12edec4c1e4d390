//! The firewall of a running network, through the registry's backends: which one a start
//! uses, and the engine's side of loading and removing a network's rules (recording each
//! fragment as it goes in, warning of rules gone already). What each tool is, and how its
//! rules come off, is the backend's ([`FirewallBackend`]).

use super::record::{Record, Step};
use crate::backend::RenderedFile;
use crate::backends::network::{FirewallBackend, Loaded};
use crate::backends::{self, FIREWALLS};
use crate::error::{Error, LiveKind};

/// The firewall a running network's rules go into: one of [`FIREWALLS`].
pub type Firewall = &'static dyn FirewallBackend;

/// The backend a record names (`None` for a network without rules, or a name this netloom
/// does not have).
pub(super) fn of(record: &Record) -> Option<Firewall> {
    record.firewall.as_deref().and_then(backends::firewall)
}

/// The one asked for, else the first of the registry whose tool works here.
pub(super) fn choose(asked: Option<Firewall>) -> Result<Firewall, Error> {
    if let Some(f) = asked {
        return Ok(f);
    }
    if let Some(f) = FIREWALLS.iter().copied().find(|f| f.works()) {
        return Ok(f);
    }
    let programs: Vec<&str> = FIREWALLS.iter().map(|f| f.program()).collect();
    let names: Vec<&str> = FIREWALLS.iter().map(|f| f.name()).collect();
    Err(Error::live(
        LiveKind::Unavailable,
        format!(
            "neither {} works here; install {}",
            programs.join(" nor "),
            names.join(" or ")
        ),
    ))
}

/// Loads the network's rendered fragments (`files`, this backend's) and records how each
/// comes off again, as it goes in.
pub(super) fn load_rules(
    fw: Firewall,
    files: &[RenderedFile],
    steps: &mut Vec<Step>,
) -> Result<(), Error> {
    for file in files {
        let Loaded {
            loader,
            input,
            tables,
        } = fw.load(file)?;
        steps.push(Step::Rules {
            loader,
            input,
            tables,
        });
    }
    Ok(())
}

/// Takes away one loaded fragment with the backend that loaded it; what was gone already
/// is returned as a warning. A record naming a firewall this netloom does not know (one
/// written by another version) is removed as it was recorded, its removal fed whole to
/// its loader, so a network can always be stopped.
pub(super) fn remove_rules(fw: Option<Firewall>, loaded: Loaded) -> Result<Option<String>, Error> {
    let Some(fw) = fw else {
        let whole = crate::live::cmd::output(&loaded.loader, Some(&loaded.input))?.ok;
        return Ok(Some(format!(
            "the rules `{}` removes were loaded by a firewall this netloom does not know; \
             they were removed as recorded{}",
            crate::live::cmd::shown(&loaded.loader),
            if whole {
                ""
            } else {
                ", but not all of them came off"
            }
        )));
    };
    let missing = fw.remove(&loaded)?;
    Ok((missing > 0).then(|| {
        format!(
            "{missing} firewall rule{} had been removed already",
            if missing == 1 { "" } else { "s" }
        )
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Loaded, remove_rules};
    use crate::live::cmd::argv;

    #[test]
    fn rules_of_a_firewall_this_netloom_does_not_know_come_off_as_recorded() {
        let loaded = |loader: &str| Loaded {
            loader: argv(&[loader, "-f", "-"]),
            input: "delete rule x\n".into(),
            tables: BTreeMap::new(),
        };
        let said = remove_rules(None, loaded("true")).unwrap().unwrap();
        assert!(said.contains("`true -f -`"), "{said}");
        assert!(!said.contains("not all"), "{said}");
        let said = remove_rules(None, loaded("false")).unwrap().unwrap();
        assert!(said.ends_with("but not all of them came off"), "{said}");
    }
}
