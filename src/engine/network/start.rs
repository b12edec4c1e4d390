//! `net start` and `net create`: libvirt's start sequence for a network with its own
//! bridge (check the subnet is free, create the bridge, load the firewall, add addresses,
//! bring it up, add routes, enable forwarding, start dnsmasq), each step recorded, and all
//! of them undone, last first, when one fails.

use std::os::unix::fs::PermissionsExt;

use super::fw::{self, Firewall};
use super::marks::{self, Others};
use super::record::{Intent, Step, current_netns};
use super::{DEF_DIR, Paths, complete, link, not_found, read, read_network};
use crate::backend::{NetContext, RenderedFile};
use crate::backends::{DHCP, firewall};
use crate::engine::{RUNTIME, Session, TargetRoot, fault, plan_paths};
use crate::error::{Error, LiveKind, RefusedKind, UsageKind};
use crate::model::IfaceName;
use crate::model::network::{MacTableManager, NetName, Network};
use crate::xml;

/// Starts the defined network `name`, with the firewall `asked` for (else the default).
/// Returns warnings for the user (a checksum fix the kernel cannot load).
pub fn start(
    session: &Session<'_>,
    root: &TargetRoot,
    name: &NetName,
    asked: Option<Firewall>,
    command: &str,
) -> Result<Vec<String>, Error> {
    let net = match read_network(root, &Paths::of(name).def)? {
        Some(net) => net,
        None if read(root, &Paths::of(name).record)?.is_some() => {
            return Err(active(name));
        }
        None => return Err(not_found(name)),
    };
    run(session, root, net, asked, command)
}

/// Starts `net` without defining it (a transient network, gone once stopped), filling in
/// what `define` would.
pub fn create(
    session: &Session<'_>,
    root: &TargetRoot,
    mut net: Network,
    asked: Option<Firewall>,
    command: &str,
) -> Result<Vec<String>, Error> {
    if read(root, &Paths::of(&net.name).def)?.is_some() {
        return Err(Error::refused(
            RefusedKind::Exists,
            format!(
                "network '{0}' is defined in {DEF_DIR}; start it with `netloom net start {0}`",
                net.name
            ),
        ));
    }
    if read(root, &Paths::of(&net.name).record)?.is_some() {
        return Err(active(&net.name));
    }
    complete(root, &mut net)?;
    run(session, root, net, asked, command)
}

fn active(name: &NetName) -> Error {
    Error::live(
        LiveKind::Active,
        format!("network '{name}' is already active"),
    )
}

/// Fails at fault-injection point `net-POINT` (tests only; see `engine/fault.rs`).
fn fault_at(point: &str) -> Result<(), Error> {
    fault::point(format_args!("net-{point}"))
        .map_err(|e| Error::live(LiveKind::Injected, e.to_string()))
}

/// Where dnsmasq finds its files and writes its pid: absolute paths under the root,
/// checked by [`NetContext::new`].
pub(super) fn dhcp_context(root: &TargetRoot, pid: &str) -> Result<NetContext, Error> {
    let abs = |rel: &str| {
        root.path_for_programs()
            .join(rel)
            .to_str()
            .map(str::to_owned)
    };
    let refuse = |why: String| {
        Error::usage(
            UsageKind::Unsupported,
            format!(
                "the root {} cannot hold a running network, since {} is given paths inside \
             it: {why}",
                root.path_for_programs().display(),
                DHCP.name()
            ),
        )
    };
    let (Some(dir), Some(pid)) = (abs(DHCP.dir()), abs(pid)) else {
        return Err(refuse("its path is not UTF-8".into()));
    };
    NetContext::new(&dir, Some(&pid)).map_err(refuse)
}

/// Starts `net` (defined or not), with every step recorded and undone when one fails.
pub(super) fn run(
    session: &Session<'_>,
    root: &TargetRoot,
    net: Network,
    asked: Option<Firewall>,
    command: &str,
) -> Result<Vec<String>, Error> {
    let paths = Paths::of(&net.name);
    refuse_unfinished(root, &paths, &net.name)?;
    // The running networks of one root share one namespace: they share the marks of what
    // netloom changed for all of them (the firewall setup, forwarding).
    let others = Others::load(root, &net.name)?;
    refuse_other_netns(&others)?;
    let mut state = Started {
        root,
        intent: Intent::default(),
        intent_path: paths.intent.clone(),
        notices: Vec::new(),
    };
    state.intent.record.netns = current_netns();
    let mut files = vec![RenderedFile {
        path: paths.live.clone(),
        contents: xml::network_to_xml(&net),
        mode: 0o600,
    }];
    if !net.has_own_bridge() {
        // Host devices: nothing of the network's own to make, as in libvirt.
        files.push(state.record_file(&paths)?);
        let plan = plan_paths(root, RUNTIME, files, Vec::new())?;
        session.apply(&plan, command, None)?;
        return Ok(Vec::new());
    }
    let prep = prepare(root, &paths, &net, asked)?;
    state.intent.record.files = (prep.own.iter().chain(&prep.rules))
        .map(|f| f.path.clone())
        .collect();
    files.extend(prep.own.iter().chain(&prep.rules).cloned());
    state.intent.record.firewall = prep.fw.map(|f| f.name().to_owned());

    let outcome = state
        .live(&net, &prep)
        .and_then(|()| state.commit(session, &paths, &net, &prep, files, command));
    let result = match outcome {
        Ok(()) => Ok(state.notices.clone()),
        Err(cause) => {
            // dnsmasq's own files: written by it, not by a transaction.
            for own in [&paths.pid, &paths.leases] {
                let _ = root.remove(own);
            }
            Err(state.unwind(&others, &net, prep.fw, cause))
        }
    };
    state.done();
    result
}

/// Refuses a network that runs already, or whose earlier start was interrupted (its intent
/// is still there for `net stop` to undo).
fn refuse_unfinished(root: &TargetRoot, paths: &Paths, name: &NetName) -> Result<(), Error> {
    if read(root, &paths.record)?.is_some() {
        return Err(active(name));
    }
    if read(root, &paths.intent)?.is_some() {
        return Err(Error::refused(
            RefusedKind::Interrupted,
            format!(
                "an earlier start of network '{name}' was interrupted; `netloom net stop {name}` \
             undoes what it made"
            ),
        ));
    }
    Ok(())
}

/// Refuses to start beside a running network of the root made in another namespace.
fn refuse_other_netns(others: &Others) -> Result<(), Error> {
    match others.elsewhere() {
        None => Ok(()),
        Some((other, netns)) => Err(Error::refused(
            RefusedKind::Elsewhere,
            format!(
                "network '{other}' of this root runs in network namespace {netns}, and this \
             netloom runs in {}; the running networks of one root share one namespace (use \
             another --root for another namespace)",
                current_netns()
            ),
        )),
    }
}

/// What the start of a network with its own bridge needs, worked out (and checked) before
/// anything is made.
struct Prepared {
    bridge: IfaceName,
    /// Its firewall plan, worked out once for every step that needs it.
    plan: Option<firewall::Plan>,
    /// The firewall its rules go into; `None` for a network without rules.
    fw: Option<Firewall>,
    /// The firewall's fragments.
    rules: Vec<RenderedFile>,
    /// The DHCP and DNS server's files.
    own: Vec<RenderedFile>,
    /// Whether the DHCP and DNS server runs for it.
    serves: bool,
    ctx: NetContext,
}

impl Prepared {
    /// Whether its policy lets connections in, so netloom's DNAT chain joins the shared
    /// setup.
    fn dnat(&self) -> bool {
        self.plan.as_ref().is_some_and(|p| {
            p.rules
                .iter()
                .any(|r| matches!(r.rule, firewall::Rule::Dnat { .. }))
        })
    }
}

/// Checks what a start needs (a bridge name, nothing left unapplied, a firewall, dnsmasq,
/// a free subnet), then renders the firewall's fragments and the server's files, from one
/// firewall plan.
fn prepare(
    root: &TargetRoot,
    paths: &Paths,
    net: &Network,
    asked: Option<Firewall>,
) -> Result<Prepared, Error> {
    let bridge = net.bridge_name().ok_or_else(|| {
        Error::refused(
            RefusedKind::Missing,
            format!(
                "network '{}' has no bridge name; define it (which picks a free one) or give \
             <bridge name='…'/>",
                net.name
            ),
        )
    })?;
    refuse_unapplied(net)?;
    let plan = firewall::plan(net)?;
    let fw = plan.is_some().then(|| fw::choose(asked)).transpose()?;
    let serves = DHCP.serves(net);
    let ctx = dhcp_context(root, &paths.pid)?;
    if serves {
        DHCP.installed(net)?;
        searchable(root, DHCP.dir())?;
    }
    link::check_routes(net)?;
    let rules = match (fw, &plan) {
        (Some(fw), Some(plan)) => fw.fragments(net, plan)?,
        _ => Vec::new(),
    };
    let own = DHCP.render(net, &ctx)?;
    Ok(Prepared {
        bridge,
        plan,
        fw,
        rules,
        own,
        serves,
        ctx,
    })
}

/// What a start has done so far.
struct Started<'r> {
    root: &'r TargetRoot,
    intent: Intent,
    /// Where the intent is kept, relative to the root.
    intent_path: String,
    notices: Vec<String>,
}

impl Started<'_> {
    /// The live steps before dnsmasq, in libvirt's order, each recorded as it succeeds.
    fn live(&mut self, net: &Network, prep: &Prepared) -> Result<(), Error> {
        self.save()?;
        let made = link::create_bridge(net, &prep.bridge, &mut self.intent.record.steps);
        self.save()?;
        made?;
        let made = super::vxlan::create(net, &prep.bridge, &mut self.intent.record.steps);
        self.save()?;
        self.notices.extend(made?);
        fault_at("bridge")?;
        if let Some(fw) = prep.fw {
            self.firewall(fw, net, prep)?;
        }
        fault_at("firewall")?;
        link::configure(net, &prep.bridge)?;
        let made = link::enable_forwarding(net, &mut self.intent.record.steps);
        self.save()?;
        made?;
        fault_at("addresses")
    }

    /// The shared setup completed, then the network's rules loaded, each part recorded.
    fn firewall(&mut self, fw: Firewall, net: &Network, prep: &Prepared) -> Result<(), Error> {
        let made = fw.load_base(prep.dnat(), &mut self.intent.base);
        self.save()?;
        made?;
        let made = fw::load_rules(fw, &prep.rules, &mut self.intent.record.steps);
        self.save()?;
        made?;
        if let Some(plan) = &prep.plan {
            self.notices.extend(fw.after_load(net, plan));
        }
        Ok(())
    }

    /// dnsmasq recorded, the files (with the record and the root's marks) written in one
    /// transaction, then dnsmasq started on them: one that does not start takes the
    /// transaction back.
    fn commit(
        &mut self,
        session: &Session<'_>,
        paths: &Paths,
        net: &Network,
        prep: &Prepared,
        mut files: Vec<RenderedFile>,
        command: &str,
    ) -> Result<(), Error> {
        let stem = net.name.file_stem();
        let leases = format!("{}/{stem}.leases", prep.ctx.dnsmasq_dir);
        if prep.serves {
            self.intent.record.steps.push(Step::Dnsmasq {
                conf: format!("{}/{stem}.conf", prep.ctx.dnsmasq_dir),
                pid_file: prep.ctx.pid_file.clone().unwrap_or_default(),
            });
            self.save()?;
        }
        files.push(self.record_file(paths)?);
        let mut removed = Vec::new();
        marks::add_base(self.root, prep.fw, &self.intent.base)?.into_plan(&mut files, &mut removed);
        marks::add_forwarding(self.root, &self.intent.record.steps)?
            .into_plan(&mut files, &mut removed);
        let plan = plan_paths(self.root, RUNTIME, files, removed)?;
        let id = session.apply(&plan, command, None)?;
        let started = match &self.intent.record.steps.last() {
            Some(Step::Dnsmasq { conf, .. }) => DHCP
                .start(conf, &leases)
                .and_then(|()| fault_at(DHCP.name())),
            _ => Ok(()),
        };
        started.map_err(|e| match session.undo(id) {
            Ok(()) => e,
            Err(undo) => Error::live(
                LiveKind::Undo,
                format!("{e}; restoring the files failed: {undo}"),
            ),
        })
    }

    /// Writes the intent: what a netloom killed now would leave for `net stop` to undo.
    fn save(&self) -> Result<(), Error> {
        let text = crate::engine::json_text(&self.intent_path, &self.intent)?;
        self.root
            .write_scratch(&self.intent_path, text.as_bytes(), 0o600)
    }

    /// The start has ended, either way: nothing is left half made.
    fn done(&self) {
        let _ = self.root.remove(&self.intent_path);
    }

    /// The record as stop reads it: the raised sysctls go to the forwarding mark instead.
    fn record_file(&self, paths: &Paths) -> Result<RenderedFile, Error> {
        let mut record = self.intent.record.clone();
        record.steps.retain(|s| !matches!(s, Step::Sysctl { .. }));
        Ok(RenderedFile {
            path: paths.record.clone(),
            contents: crate::engine::json_text(&paths.record, &record)?,
            mode: 0o644,
        })
    }

    /// Undoes every recorded step after `cause`, and says whether that worked.
    fn unwind(&self, others: &Others, net: &Network, fw: Option<Firewall>, cause: Error) -> Error {
        // Under the lock no other network started since this one began, so nothing this
        // start raised can be needed elsewhere: what is kept is left as it is.
        let failed =
            super::stop::undo_intent(self.root, others, &net.name, fw, &self.intent).failed;
        let network = net.name.to_string();
        if failed.is_empty() {
            Error::StartUndone {
                network,
                source: Box::new(cause),
            }
        } else {
            Error::StartStuck {
                network,
                source: Box::new(cause),
                leftovers: failed.join("; "),
            }
        }
    }
}

/// Refuses what netloom cannot apply at start (see [`unapplied`]), each named.
fn refuse_unapplied(net: &Network) -> Result<(), Error> {
    let skipped = unapplied(net);
    if skipped.is_empty() {
        return Ok(());
    }
    Err(Error::refused(
        RefusedKind::Unsupported,
        format!(
            "network '{}': netloom cannot apply {} when it starts the network, and will not \
         start it without; remove {} from the definition",
            net.name,
            skipped.join(", "),
            if skipped.len() == 1 { "it" } else { "them" }
        ),
    ))
}

/// What libvirt does at start for a network with its own bridge that netloom does not, so
/// starting would quietly leave it out: refused instead, each named.
fn unapplied(net: &Network) -> Vec<&'static str> {
    let mut out = Vec::new();
    if net.bandwidth.is_some() {
        out.push("<bandwidth> (tc traffic shaping on the bridge)");
    }
    let bridge = net.bridge.as_ref();
    if bridge.is_some_and(|b| b.zone.is_some()) {
        out.push("<bridge zone> (a firewalld zone)");
    }
    if bridge.and_then(|b| b.mac_table_manager) == Some(MacTableManager::Libvirt) {
        out.push("<bridge macTableManager='libvirt'> (guest MACs programmed into the bridge)");
    }
    if net.domain.as_ref().and_then(|d| d.register) == Some(true) {
        out.push("<domain register='yes'> (registration with systemd-resolved)");
    }
    out
}

/// dnsmasq reads its hosts files after it has dropped to an unprivileged user; if that user
/// cannot enter their directory, it silently serves no fixed leases and no host names. So
/// every existing directory on the way must be searchable by others: `dir` (relative) and
/// those above it under the root, looked at through the root as everything under it is,
/// and the root's own path.
fn searchable(root: &TargetRoot, dir: &str) -> Result<(), Error> {
    let walk = root.walk();
    let mut below: Vec<&str> = vec![dir];
    while let Some((up, _)) = below.last().and_then(|d| d.rsplit_once('/')) {
        below.push(up);
    }
    let mut modes = Vec::new();
    for rel in below {
        if let Some(d) = walk.dir(rel)? {
            modes.push((root.shown(rel), d.mode()?));
        }
    }
    for d in root.path_for_programs().ancestors() {
        if let Ok(meta) = std::fs::metadata(d) {
            modes.push((d.display().to_string(), meta.permissions().mode() & 0o7777));
        }
    }
    for (shown, mode) in modes {
        if mode & 0o001 == 0 {
            return Err(Error::live(
                LiveKind::Unavailable,
                format!(
                    "{} reads its hosts files as an unprivileged user, who cannot enter {shown} \
                 (mode {mode:o}); make it searchable by others (chmod o+x)",
                    DHCP.name()
                ),
            ));
        }
    }
    Ok(())
}
