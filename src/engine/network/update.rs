//! `net update`: one entry of a network changed (see `edit.rs`), in its definition, in the
//! running network, or both, as `virsh net-update` does. The running network changes
//! without dropping a guest: its live copy and dnsmasq files are rewritten in one
//! transaction, then dnsmasq is told. On SIGHUP dnsmasq rereads its hosts files (the
//! `dhcp-hostsfile` of fixed leases and the `addn-hosts` of DNS names), so a DHCP or DNS
//! host takes effect in the running dnsmasq, whose pid stays the same. TXT and SRV records
//! are options of its conf, which it reads only at start: for those it is restarted, with
//! the same lease file, which guests do not notice beyond a second without DNS.
//!
//! A change that would alter the network's firewall rules is refused for the running
//! network (its rules are loaded once, at start): `--config` and `net restart` apply it.

use super::edit::{self, Edit};
use super::fw;
use super::record::same_netns;
use super::record::{Record, Step};
use super::{DEF_MODE, Paths, not_found, read_network, read_record, start};
use crate::backend::RenderedFile;
use crate::backends::{DHCP, FIREWALLS, firewall};
use crate::engine::{DEFINITIONS, RUNTIME, Session, TargetRoot, plan_paths};
use crate::error::{Error, LiveKind, RefusedKind};
use crate::model::network::{NetName, Network};
use crate::xml;

/// Which of a network's states `net update` changes: `--live`, `--config`, or neither
/// (`--current`: the running network if it runs, else the definition).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Affect {
    /// `--live`.
    pub live: bool,
    /// `--config`.
    pub config: bool,
}

/// What the running dnsmasq was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reload {
    /// Nothing it serves changed (a portgroup), or it does not run for this network.
    Nothing,
    /// SIGHUP: it reread its hosts files.
    Reread,
    /// Restarted, to read a changed option (TXT, SRV).
    Restarted,
}

/// What an update changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Updated {
    /// The running network.
    pub live: bool,
    /// The definition.
    pub config: bool,
    /// What dnsmasq was told.
    pub reload: Reload,
}

/// The running network's side of an update, made before anything is written.
struct LiveChange {
    files: Vec<RenderedFile>,
    conf_changed: bool,
    hosts_changed: bool,
    /// dnsmasq's conf (absolute), which identifies it, and its lease file.
    dnsmasq: Option<(String, String)>,
}

/// Makes `edit` to network `name`. Every check (the entry, the whole network after it, the
/// firewall unchanged) is made for every state asked for before anything is written; a
/// running network that cannot take the change leaves the definition as it was too.
pub fn update(
    session: &Session<'_>,
    root: &TargetRoot,
    name: &NetName,
    edit: &Edit,
    affect: Affect,
    command: &str,
) -> Result<Updated, Error> {
    let paths = Paths::of(name);
    let def = read_network(root, &paths.def)?;
    let record = read_record(root, name)?;
    if def.is_none() && record.is_none() {
        return Err(not_found(name));
    }
    let (live, config) = if affect.live || affect.config {
        (affect.live, affect.config)
    } else {
        (record.is_some(), record.is_none())
    };
    let new_def = match (config, def) {
        (false, _) => None,
        (true, Some(d)) => Some(edit::apply(d, edit)?),
        (true, None) => {
            return Err(Error::refused(
                RefusedKind::Unsupported,
                format!(
                    "network '{name}' is transient (running without a definition): only its live \
                 state can be updated (--live)"
                ),
            ));
        }
    };
    let change = match (live, &record) {
        (false, _) => None,
        (true, Some(r)) => Some(plan_live(root, name, &paths, r, edit)?),
        (true, None) => {
            return Err(Error::live(
                LiveKind::Inactive,
                format!("network '{name}' is not active; update its definition with --config"),
            ));
        }
    };
    let defined = match new_def {
        Some(net) => {
            let file = RenderedFile {
                path: paths.def.clone(),
                contents: xml::network_to_xml(&net),
                mode: DEF_MODE,
            };
            let plan = plan_paths(root, DEFINITIONS, vec![file], Vec::new())?;
            Some(session.apply(&plan, command, None)?)
        }
        None => None,
    };
    let reload = match change {
        None => Reload::Nothing,
        Some(c) => commit_live(session, root, &paths, c, command).map_err(|e| {
            match defined.map(|id| session.undo(id)) {
                Some(Err(undo)) => Error::live(
                    LiveKind::Undo,
                    format!(
                        "{}; restoring the definition failed: {}",
                        e.report(),
                        undo.report()
                    ),
                ),
                _ => e,
            }
        })?,
    };
    Ok(Updated {
        live,
        config,
        reload,
    })
}

/// The running network with `edit` made: its live copy (usage counts kept) and the dnsmasq
/// files it renders, and what changed in them. Refused when the firewall rules would change.
fn plan_live(
    root: &TargetRoot,
    name: &NetName,
    paths: &Paths,
    record: &Record,
    edit: &Edit,
) -> Result<LiveChange, Error> {
    if !same_netns(record) {
        return Err(Error::refused(
            RefusedKind::Elsewhere,
            format!(
                "network '{name}' runs in network namespace {}; update it from there",
                record.netns
            ),
        ));
    }
    let old = read_network(root, &paths.live)?.ok_or_else(|| not_found(name))?;
    let new = edit::apply(old.clone(), edit)?;
    if rules(&old, record)? != rules(&new, record)? {
        return Err(Error::refused(
            RefusedKind::Unsupported,
            format!(
                "this change alters the firewall rules of network '{name}', which a running \
             network keeps as they were loaded at start; update the definition (--config) and \
             run `netloom net restart {name}`"
            ),
        ));
    }
    let ctx = start::dhcp_context(root, &paths.pid)?;
    let (was, now) = (DHCP.render(&old, &ctx)?, DHCP.render(&new, &ctx)?);
    let differs = |ext: &str| {
        let pick = |files: &[RenderedFile]| {
            files
                .iter()
                .find(|f| f.path.ends_with(ext))
                .map(|f| f.contents.clone())
        };
        pick(&was) != pick(&now)
    };
    let conf_changed = differs(".conf");
    let hosts_changed = differs(".hostsfile") || differs(".addnhosts");
    let mut files = now;
    files.push(RenderedFile {
        path: paths.live.clone(),
        contents: xml::network_to_xml(&new),
        mode: 0o600,
    });
    let stem = name.file_stem();
    let dnsmasq = record.steps.iter().find_map(|s| match s {
        Step::Dnsmasq { conf, .. } => {
            Some((conf.clone(), format!("{}/{stem}.leases", ctx.dnsmasq_dir)))
        }
        _ => None,
    });
    Ok(LiveChange {
        files,
        conf_changed,
        hosts_changed,
        dnsmasq,
    })
}

/// The firewall fragments `net` renders for the firewall its running record names.
fn rules(net: &Network, record: &Record) -> Result<Vec<RenderedFile>, Error> {
    let Some(plan) = firewall::plan(net)? else {
        return Ok(Vec::new());
    };
    // No rules were loaded: the change must not need any either, in whichever firewall.
    let fw = fw::of(record).or(FIREWALLS.first().copied());
    Ok(match fw {
        Some(fw) => fw.fragments(net, &plan)?,
        None => Vec::new(),
    })
}

/// Writes the running network's files, then tells its dnsmasq. If dnsmasq cannot take the
/// change, the files are restored and a dnsmasq that was stopped is started again on them.
fn commit_live(
    session: &Session<'_>,
    root: &TargetRoot,
    paths: &Paths,
    change: LiveChange,
    command: &str,
) -> Result<Reload, Error> {
    let plan = plan_paths(root, RUNTIME, change.files, Vec::new())?;
    if plan.is_empty() {
        return Ok(Reload::Nothing);
    }
    let id = session.apply(&plan, command, None)?;
    let Some((conf, leases)) = change.dnsmasq else {
        return Ok(Reload::Nothing);
    };
    let pid = || {
        root.read_text(&paths.pid)
            .ok()
            .flatten()
            .and_then(|t| t.trim().parse::<u32>().ok())
    };
    let told = if change.conf_changed {
        DHCP.restart(&conf, pid(), &leases)
            .map(|()| Reload::Restarted)
    } else if change.hosts_changed {
        DHCP.reload(&conf, pid()).map(|_| Reload::Reread)
    } else {
        Ok(Reload::Nothing)
    };
    told.map_err(|e| {
        let mut why = e.report();
        if let Err(undo) = session.undo(id) {
            why.push_str(&format!("; restoring its files failed: {}", undo.report()));
        } else if change.conf_changed && DHCP.running(&conf, pid()).is_err() {
            // It was stopped for the restart: back on the files as they were.
            if let Err(again) = DHCP.start(&conf, &leases) {
                why.push_str(&format!("; starting it again failed: {}", again.report()));
            }
        }
        Error::live(
            LiveKind::Failed,
            format!("{} did not take the change: {why}", DHCP.name()),
        )
    })
}
