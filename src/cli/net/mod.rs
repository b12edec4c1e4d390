//! `netloom net …`: virtual networks, `virsh net-*` style. Definitions and runtime state
//! live under `--root`; starting and stopping act on the network namespace netloom runs in.

mod render;

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Subcommand, ValueEnum};

use super::args::Format;
use super::{Ctx, RootArg, complain, input, json, notify, open_root, say, with_session};
use crate::backends;
use crate::engine::network::{self, Firewall, NetInfo, edit};
use crate::error::{Diagnostics, Error, LiveKind, Result, UsageKind};
use crate::model::network::NetName;
use crate::model::{MacAddr, Uuid};
use crate::show::{self, Shown};
use crate::source::SourceFile;
use crate::xml::section::Section;
use serde_json::json;

use render::RenderArgs;

const LIFECYCLE_HELP: &str = "Definitions: ROOT/etc/netloom/networks/NAME.xml (autostart mark NAME.autostart).\n\
Runtime: ROOT/run/netloom/networks/NAME.xml (the running definition), NAME.json (what start did, \
for stop), NAME.pid (dnsmasq); dnsmasq files under ROOT/var/lib/netloom/dnsmasq, firewall \
fragments under ROOT/var/lib/netloom/firewall. Every file is written in a journalled transaction \
(`netloom history`).\n\
Bridges, rules and dnsmasq are made in the network namespace netloom runs in \
(`ip netns exec NS netloom …`).";

/// The `net` verbs.
#[derive(Debug, Subcommand)]
pub enum NetCommand {
    /// Define a network (or replace its definition) from network XML.
    #[command(after_help = format!("{LIFECYCLE_HELP}\n\nExamples:\n  netloom net define default.xml\n  \
virsh net-dumpxml default | netloom net define -"))]
    Define {
        /// Network XML (`-` for standard input).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// A sentence, or one JSON object (docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Remove a network's definition; a running network goes on running, as a transient one.
    #[command(after_help = "Examples:\n  netloom net undefine default\n  \
netloom net undefine default --format json")]
    Undefine {
        /// The network, by name or UUID.
        name: String,
        /// A sentence, or one JSON object (docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// List networks: name, state, autostart, persistence and bridge.
    #[command(after_help = "Examples:\n  netloom net list\n  netloom net list --all --format json")]
    List {
        /// Also inactive networks (without it, only running ones, as `virsh net-list`).
        #[arg(long)]
        all: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Print a network's XML: the running one's when it runs.
    #[command(after_help = "Examples:\n  netloom net dumpxml default\n  \
netloom net dumpxml --inactive default > default.xml")]
    Dumpxml {
        /// The network, by name or UUID.
        name: String,
        /// The definition, even while a changed one runs.
        #[arg(long)]
        inactive: bool,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Mark a defined network to be started by `net start --autostart` (at boot).
    #[command(after_help = "Examples:\n  netloom net autostart default\n  \
netloom net autostart --disable default")]
    Autostart {
        /// The network, by name or UUID.
        name: String,
        /// Remove the mark instead.
        #[arg(long)]
        disable: bool,
        /// A sentence, or one JSON object (docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Start a defined network: bridge, addresses, firewall rules, dnsmasq.
    #[command(
        after_help = "A network with a bridge of its own (isolated, nat, route, open) gets its bridge \
with MAC, MTU and STP, its firewall rules, addresses, routes, forwarding and dnsmasq; a failed \
start undoes every step it made. A network on host devices (bridge, private, vepa, passthrough, \
hostdev) is only marked active.\n\nExamples:\n  netloom net start default\n  \
netloom net start --firewall iptables default\n  netloom net start --autostart"
    )]
    Start {
        /// The network, by name or UUID (not with --autostart).
        #[arg(required_unless_present = "autostart", conflicts_with = "autostart")]
        name: Option<String>,
        /// Start every inactive network marked for autostart.
        #[arg(long)]
        autostart: bool,
        /// Where the rules go; default nftables where `nft` works, else iptables.
        #[arg(long, value_parser = firewall_names())]
        firewall: Option<String>,
        /// A sentence, or one JSON object (docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Start a network from XML without defining it (gone once stopped).
    #[command(after_help = "Examples:\n  netloom net create test.xml\n  \
netloom net create --firewall nftables --format json test.xml")]
    Create {
        /// Network XML (`-` for standard input).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Where the rules go; default nftables where `nft` works, else iptables.
        #[arg(long, value_parser = firewall_names())]
        firewall: Option<String>,
        /// A sentence, or one JSON object (docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Stop a network: remove exactly what its start made.
    #[command(
        visible_alias = "destroy",
        after_help = "Examples:\n  netloom net stop default\n  netloom net destroy default\n  \
netloom net stop --force default"
    )]
    Stop {
        /// The network, by name or UUID.
        name: String,
        /// Forget a network started in another network namespace (one deleted since): stop
        /// its dnsmasq and leave the rest to that namespace.
        #[arg(long)]
        force: bool,
        /// A sentence, or one JSON object (docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Stop and start a running network's bridge, rules and dnsmasq, keeping its guests plugged.
    #[command(
        after_help = "The network starts again from its definition (a transient one from what runs), with the firewall it had. Its guest ports stay plugged: usage counts are kept, taps go back on the new bridge and missing macvtaps are made again, so a guest sees at most a link flap and keeps its address, since dnsmasq starts again from the same lease file. A definition that no longer fits a plugged port (another bridge name, a device gone from the pool) is refused before anything stops.\n\nExamples:\n  netloom net restart default"
    )]
    Restart {
        /// The network, by name or UUID.
        name: String,
        /// A sentence, or one JSON object (docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Add, delete or modify one entry of a network, running or defined, as `virsh net-update`.
    #[command(after_help = UPDATE_HELP)]
    Update(UpdateArgs),
    /// List the DHCP leases dnsmasq gave out on a network, from its lease file.
    #[command(
        name = "dhcp-leases",
        after_help = "Columns: expiry time (UTC; `never` for an infinite lease), MAC address, \
protocol, IP address with the prefix of its <ip>, host name and client id (IPv4) or DUID \
(IPv6), as the client sent them (shown escaped). IPv6 leases carry no MAC in dnsmasq's lease \
file, so --mac lists IPv4 leases only.\n\nExamples:\n  netloom net dhcp-leases default\n  \
netloom net dhcp-leases default --mac 52:54:00:00:00:05 --format json"
    )]
    DhcpLeases {
        /// The network, by name or UUID.
        name: String,
        /// Only the leases of this MAC.
        #[arg(long, value_name = "MAC")]
        mac: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Show a network's name, UUID, state, persistence, autostart and bridge.
    #[command(
        after_help = "Examples:\n  netloom net info default\n  netloom net info default --format json"
    )]
    Info {
        /// The network, by name or UUID.
        name: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Show or write a network's dnsmasq configuration and firewall fragments.
    Render(RenderArgs),
}

/// `net update`'s arguments.
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// The network, by name or UUID.
    name: String,
    /// What to do with the entry.
    #[arg(value_enum)]
    command: UpdateCommand,
    /// Which part of the network the entry is in.
    #[arg(value_enum)]
    section: SectionArg,
    /// The entry's XML: the text itself (starting with `<`), a file, or `-` for standard
    /// input.
    xml: String,
    /// For ip-dhcp-host: the `<ip>` (counting from 0 among all of them); by default the
    /// one with DHCP.
    #[arg(long, value_name = "INDEX")]
    parent_index: Option<usize>,
    /// Change the running network.
    #[arg(long)]
    live: bool,
    /// Change the definition.
    #[arg(long)]
    config: bool,
    /// The running network if it runs, else the definition (the default).
    #[arg(long, conflicts_with_all = ["live", "config"])]
    current: bool,
    /// A sentence, or one JSON object (docs/json.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The root.
    #[command(flatten)]
    root: RootArg,
}

const UPDATE_HELP: &str = "Entries: ip-dhcp-host <host mac|id name ip/>, dns-host <host \
ip><hostname>…</hostname></host>, dns-txt <txt name value/>, dns-srv <srv service protocol …/>, \
portgroup <portgroup name …>. add refuses an entry that clashes with one there (a DHCP host with \
the same MAC, id, name or address; a DNS host with the same address; a TXT record or portgroup \
of the same name); delete and modify refuse one they do not find. A DHCP host is modified in \
the place of the one with its MAC, id, name or address; DNS records are only added and \
deleted. To delete, the XML needs only what finds the entry.\n\nThe running network changes \
without dropping its guests: DHCP and DNS hosts reach dnsmasq by SIGHUP (it rereads its hosts \
files, same pid); TXT and SRV records by a restart of dnsmasq alone (same leases). A change that \
alters the firewall rules of a running network is refused: use --config and `net restart`.\n\n\
Examples:\n  netloom net update default add ip-dhcp-host \\\n    \"<host mac='52:54:00:00:00:06' \
name='vm2' ip='192.168.122.6'/>\" --live --config\n  netloom net update default delete dns-host \
\"<host ip='192.168.122.50'/>\" --live --config";

/// `net update`'s commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UpdateCommand {
    /// Add the entry last (as add-last).
    Add,
    /// Add the entry first.
    AddFirst,
    /// Add the entry last.
    AddLast,
    /// Remove the entry the XML finds.
    Delete,
    /// Put the entry in the place of the one it matches.
    Modify,
}

/// `net update`'s sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SectionArg {
    /// A fixed DHCP lease: `<host mac='…' name='…' ip='…'/>`.
    IpDhcpHost,
    /// A DNS name: `<host ip='…'><hostname>…</hostname></host>`.
    DnsHost,
    /// A DNS TXT record: `<txt name='…' value='…'/>`.
    DnsTxt,
    /// A DNS SRV record: `<srv service='…' protocol='tcp|udp' …/>`.
    DnsSrv,
    /// A portgroup: `<portgroup name='…'>…</portgroup>`.
    Portgroup,
}

impl From<SectionArg> for Section {
    fn from(s: SectionArg) -> Self {
        match s {
            SectionArg::IpDhcpHost => Section::IpDhcpHost,
            SectionArg::DnsHost => Section::DnsHost,
            SectionArg::DnsTxt => Section::DnsTxt,
            SectionArg::DnsSrv => Section::DnsSrv,
            SectionArg::Portgroup => Section::Portgroup,
        }
    }
}

impl From<UpdateCommand> for edit::Command {
    fn from(c: UpdateCommand) -> Self {
        match c {
            UpdateCommand::Add | UpdateCommand::AddLast => edit::Command::AddLast,
            UpdateCommand::AddFirst => edit::Command::AddFirst,
            UpdateCommand::Delete => edit::Command::Delete,
            UpdateCommand::Modify => edit::Command::Modify,
        }
    }
}

/// `--firewall`'s values: the registry's firewall backends (by name, each with its
/// summary), so a new backend is offered without a line here.
fn firewall_names() -> PossibleValuesParser {
    let mut all: Vec<_> = backends::FIREWALLS.to_vec();
    all.sort_by_key(|b| b.name());
    PossibleValuesParser::new(
        all.into_iter()
            .map(|b| PossibleValue::new(b.name()).help(b.summary())),
    )
}

/// The firewall `--firewall` names (its parser admits only the registry's names).
fn chosen(firewall: Option<&str>) -> Option<Firewall> {
    firewall.and_then(backends::firewall)
}

impl NetCommand {
    /// The verb's `--root`: every one but `render`, which reads only its file.
    pub(super) fn root(&self) -> Option<&RootArg> {
        match self {
            NetCommand::Render(_) => None,
            NetCommand::Define { root, .. }
            | NetCommand::Undefine { root, .. }
            | NetCommand::List { root, .. }
            | NetCommand::Dumpxml { root, .. }
            | NetCommand::Autostart { root, .. }
            | NetCommand::Start { root, .. }
            | NetCommand::Create { root, .. }
            | NetCommand::Stop { root, .. }
            | NetCommand::Restart { root, .. }
            | NetCommand::Update(UpdateArgs { root, .. })
            | NetCommand::DhcpLeases { root, .. }
            | NetCommand::Info { root, .. } => Some(root),
        }
    }
}

/// Runs one `net` verb.
pub(super) fn run(command: &NetCommand, cli: &Ctx) -> Result<()> {
    match command {
        NetCommand::Render(args) => render::run(args),
        NetCommand::List { all, format, .. } => list(cli, *all, *format),
        NetCommand::Dumpxml { name, inactive, .. } => {
            let root = open_root(cli)?;
            let text = network::dumpxml(&root, &resolve(cli, name)?, *inactive)?;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).map_err(Error::Output)
        }
        NetCommand::Define { file, format, .. } => define(cli, file, *format),
        NetCommand::Undefine { name, format, .. } => undefine(cli, name, *format),
        NetCommand::Autostart {
            name,
            disable,
            format,
            ..
        } => autostart(cli, name, *disable, *format),
        NetCommand::Start {
            name,
            autostart,
            firewall,
            format,
            ..
        } => {
            let fw = chosen(firewall.as_deref());
            match name {
                Some(n) if !autostart => start(cli, n, fw, *format),
                _ => start_all(cli, fw, *format),
            }
        }
        NetCommand::Create {
            file,
            firewall,
            format,
            ..
        } => create(cli, file, chosen(firewall.as_deref()), *format),
        NetCommand::Restart { name, format, .. } => restart(cli, name, *format),
        NetCommand::Update(args) => update(cli, args),
        NetCommand::DhcpLeases {
            name, mac, format, ..
        } => {
            let mac = mac
                .as_deref()
                .map(|m| {
                    MacAddr::parse(m)
                        .map_err(|e| Error::usage(UsageKind::BadValue, format!("--mac '{m}': {e}")))
                })
                .transpose()?;
            let root = open_root(cli)?;
            let name = resolve(cli, name)?;
            let found = network::leases::leases(&root, &name, mac)?;
            notify(&found.skipped);
            dhcp_leases(&name, &found.leases, *format)
        }
        NetCommand::Info { name, format, .. } => {
            let root = open_root(cli)?;
            info(&network::info(&root, &resolve(cli, name)?)?, *format)
        }
        NetCommand::Stop {
            name,
            force,
            format,
            ..
        } => stop(cli, name, *force, *format),
    }
}

/// `net define FILE`.
fn define(cli: &Ctx, file: &std::path::Path, format: Format) -> Result<()> {
    let net = input::load_network(file)?;
    let name = net.name.clone();
    let (_, changed) = with_session(cli, |s, root| {
        network::define(s, root, net, &format!("net define {}", file.display()))
    })?;
    let text = format!("Network {name} defined from {}", file.display());
    tell(
        format,
        &text,
        json!({"network": name.as_str(), "action": "defined", "changed": changed}),
    )
}

/// `net undefine NAME`.
fn undefine(cli: &Ctx, name: &str, format: Format) -> Result<()> {
    let name = resolve(cli, name)?;
    with_session(cli, |s, root| {
        network::undefine(s, root, &name, &format!("net undefine {name}"))
    })?;
    let text = format!("Network {name} has been undefined");
    tell(
        format,
        &text,
        json!({"network": name.as_str(), "action": "undefined"}),
    )
}

/// `net autostart [--disable] NAME`.
fn autostart(cli: &Ctx, name: &str, disable: bool, format: Format) -> Result<()> {
    let name = resolve(cli, name)?;
    let verb = if disable { "--disable " } else { "" };
    with_session(cli, |s, root| {
        let cmd = format!("net autostart {verb}{name}");
        network::set_autostart(s, root, &name, !disable, &cmd)
    })?;
    let state = if disable { "unmarked" } else { "marked" };
    let text = format!("Network {name} {state} as autostarted");
    let action = if disable {
        "autostart-disabled"
    } else {
        "autostart-enabled"
    };
    tell(
        format,
        &text,
        json!({"network": name.as_str(), "action": action}),
    )
}

/// `net start NAME`.
fn start(cli: &Ctx, name: &str, fw: Option<Firewall>, format: Format) -> Result<()> {
    let name = resolve(cli, name)?;
    let warnings = with_session(cli, |s, root| {
        network::start(s, root, &name, fw, &format!("net start {name}"))
    })?;
    notify(&warnings);
    let text = format!("Network {name} started");
    tell(
        format,
        &text,
        json!({"network": name.as_str(), "action": "started"}),
    )
}

/// `net start --autostart`: each network told as it starts, or one JSON object at the end.
fn start_all(cli: &Ctx, fw: Option<Firewall>, format: Format) -> Result<()> {
    let started = start_autostart(cli, fw, format == Format::Text)?;
    let names: Vec<&str> = started.iter().map(NetName::as_str).collect();
    match format {
        Format::Text => Ok(()),
        Format::Json => json::print(json!({"networks": names, "action": "started"})),
    }
}

/// `net create FILE`.
fn create(cli: &Ctx, file: &std::path::Path, fw: Option<Firewall>, format: Format) -> Result<()> {
    let net = input::load_network(file)?;
    let name = net.name.clone();
    let warnings = with_session(cli, |s, root| {
        network::create(s, root, net, fw, &format!("net create {}", file.display()))
    })?;
    notify(&warnings);
    let text = format!("Network {name} created from {}", file.display());
    tell(
        format,
        &text,
        json!({"network": name.as_str(), "action": "created"}),
    )
}

/// `net restart NAME`.
fn restart(cli: &Ctx, name: &str, format: Format) -> Result<()> {
    let name = resolve(cli, name)?;
    let notes = with_session(cli, |s, root| {
        network::restart(s, root, &name, &format!("net restart {name}"))
    })?;
    notify(&notes);
    let text = format!("Network {name} restarted");
    tell(
        format,
        &text,
        json!({"network": name.as_str(), "action": "restarted"}),
    )
}

/// `net update NAME COMMAND SECTION XML`.
fn update(cli: &Ctx, args: &UpdateArgs) -> Result<()> {
    let UpdateArgs {
        name,
        command,
        section,
        xml,
        parent_index,
        live,
        config,
        current: _,
        format,
        ..
    } = args;
    let name = resolve(cli, name)?;
    let edit = edit::Edit {
        command: (*command).into(),
        section: (*section).into(),
        xml: entry_xml(xml)?,
        parent: *parent_index,
    };
    let affect = network::Affect {
        live: *live,
        config: *config,
    };
    let verb = command.to_possible_value().map(|v| v.get_name().to_owned());
    let cmd = format!(
        "net update {name} {} {}",
        verb.unwrap_or_default(),
        Section::from(*section).as_str()
    );
    let done = with_session(cli, |s, root| {
        network::update(s, root, &name, &edit, affect, &cmd)
    })?;
    updated(&name, done, *format)
}

/// What `net update` tells: dnsmasq restarted, and which states changed.
fn updated(name: &NetName, done: network::Updated, format: Format) -> Result<()> {
    if done.reload == network::Reload::Restarted {
        say(&format!(
            "network '{name}': dnsmasq was restarted to read the change (it reads TXT and \
             SRV records only at start); its leases are kept"
        ));
    }
    let what = match (done.live, done.config) {
        (true, true) => "live state and persistent config",
        (true, false) => "live state",
        _ => "persistent config",
    };
    let text = format!("Updated network {name} {what}");
    let doc = json!({
        "network": name.as_str(),
        "action": "updated",
        "live": done.live,
        "config": done.config,
        "dnsmasq": match done.reload {
            network::Reload::Restarted => "restarted",
            _ => "kept",
        },
    });
    tell(format, &text, doc)
}

/// `net stop [--force] NAME`.
fn stop(cli: &Ctx, name: &str, force: bool, format: Format) -> Result<()> {
    let name = resolve(cli, name)?;
    let warnings = with_session(cli, |s, root| {
        network::stop(s, root, &name, force, &format!("net stop {name}"))
    })?;
    notify(&warnings);
    let text = format!("Network {name} stopped");
    tell(
        format,
        &text,
        json!({"network": name.as_str(), "action": "stopped"}),
    )
}

/// Starts every inactive network marked for autostart (`net start --autostart`, and `boot`).
/// One network that fails to start does not keep the others down (as libvirt's autostart);
/// the command still fails at the end, naming them.
/// Returns the networks started; each is told on standard output as it starts when `tell_each`.
pub(super) fn start_autostart(
    cli: &Ctx,
    fw: Option<Firewall>,
    tell_each: bool,
) -> Result<Vec<NetName>> {
    let mut failed = Vec::new();
    let mut started_names = Vec::new();
    for name in autostart_names(cli)? {
        let started = with_session(cli, |s, root| {
            network::start(s, root, &name, fw, &format!("net start {name}"))
        });
        match started {
            Ok(warnings) => {
                notify(&warnings);
                if tell_each {
                    say_out(&format!("Network {name} started"))?;
                }
                started_names.push(name);
            }
            Err(e) => {
                complain(&e);
                failed.push(name.to_string());
            }
        }
    }
    if failed.is_empty() {
        Ok(started_names)
    } else {
        Err(Error::live(
            LiveKind::Failed,
            format!(
                "{} of the autostart networks did not start: {}",
                failed.len(),
                failed.join(", ")
            ),
        ))
    }
}

/// What a verb did: one line on standard output, or under `--format json` one object.
fn tell(format: Format, line: &str, doc: serde_json::Value) -> Result<()> {
    match format {
        Format::Text => say_out(line),
        Format::Json => json::print(doc),
    }
}

/// One line on standard output, shown escaped as [`say`] does (a network's name may hold a
/// bidirectional override, a file's name anything).
fn say_out(line: &str) -> Result<()> {
    writeln!(std::io::stdout().lock(), "{}", Shown(line)).map_err(Error::Output)
}

/// `net update`'s XML argument: the entry itself when it starts with `<` (as virsh takes it),
/// else a file or `-`, read as every input is.
fn entry_xml(arg: &str) -> Result<SourceFile> {
    if arg.trim_start().starts_with('<') {
        return Ok(SourceFile::new("<XML>", arg));
    }
    let (mut sources, problems) = input::read_all(&[PathBuf::from(arg)]);
    match sources.pop() {
        Some(src) if problems.is_empty() => Ok(src),
        _ => Err(Error::Invalid(Diagnostics(problems))),
    }
}

/// The network a verb names: by UUID when the argument is one that a network of the root has
/// (as virsh looks a UUID up first), else by name.
fn resolve(cli: &Ctx, arg: &str) -> Result<NetName> {
    if let Ok(uuid) = Uuid::parse(arg.trim()) {
        let root = open_root(cli)?;
        if let Some(name) = network::by_uuid(&root, uuid)? {
            return Ok(name);
        }
    }
    parse_name(arg)
}

fn parse_name(name: &str) -> Result<NetName> {
    NetName::parse(name).map_err(|e| {
        Error::usage(
            UsageKind::BadValue,
            format!("'{name}' is not a network name: {e}"),
        )
    })
}

/// The inactive networks marked for autostart, for `net start --autostart`.
fn autostart_names(cli: &Ctx) -> Result<Vec<NetName>> {
    let root = open_root(cli)?;
    let names: Vec<NetName> = network::list(&root)?
        .into_iter()
        .filter(|n| n.autostart && !n.active)
        .map(|n| n.name)
        .collect();
    if names.is_empty() {
        say("no inactive network is marked for autostart");
    }
    Ok(names)
}

fn list(cli: &Ctx, all: bool, format: Format) -> Result<()> {
    let root = open_root(cli)?;
    let nets: Vec<NetInfo> = network::list(&root)?
        .into_iter()
        .filter(|n| all || n.active)
        .collect();
    let mut out = BufWriter::new(std::io::stdout().lock());
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = nets
                .iter()
                .map(|n| {
                    let mut v = json!({
                        "name": n.name.as_str(),
                        "state": if n.active { "active" } else { "inactive" },
                        "autostart": n.autostart,
                        "persistent": n.persistent,
                        "bridge": n.bridge,
                        "firewall": n.firewall,
                    });
                    if let Some(x) = &n.vxlan {
                        let peers: Vec<serde_json::Value> = (x.peers.iter())
                            .map(|(a, p)| json!({"address": a.to_string(), "port": p}))
                            .collect();
                        v["vxlan"] = json!(x.device);
                        v["vni"] = json!(x.vni);
                        v["vxlan_port"] = json!(x.port);
                        v["peers"] = json!(peers);
                    }
                    v
                })
                .collect();
            drop(out);
            return json::print(json!({"networks": list}));
        }
        Format::Text => {
            let yes = |b: bool| if b { "yes" } else { "no" };
            let rows: Vec<Vec<String>> = nets
                .iter()
                .map(|n| {
                    vec![
                        show::text(n.name.as_str()).into_owned(),
                        (if n.active { "active" } else { "inactive" }).into(),
                        yes(n.autostart).into(),
                        yes(n.persistent).into(),
                        bridge_column(n),
                    ]
                })
                .collect();
            let head = ["Name", "State", "Autostart", "Persistent", "Bridge"];
            table(&mut out, &head, &rows)?;
        }
    }
    out.flush().map_err(Error::Output)
}

/// A table as `virsh` prints one: a header, a rule, then the rows, columns padded to their
/// widest cell. The cells are shown already (escaped by the caller).
fn table(out: &mut impl Write, head: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |row: &[String]| {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!(" {}", cells.join("   ").trim_end())
    };
    let head: Vec<String> = head.iter().map(|h| (*h).to_owned()).collect();
    writeln!(out, "{}", line(&head)).map_err(Error::Output)?;
    let total = widths.iter().sum::<usize>() + 3 * widths.len().saturating_sub(1) + 1;
    writeln!(out, "{}", "-".repeat(total)).map_err(Error::Output)?;
    for row in rows {
        writeln!(out, "{}", line(row)).map_err(Error::Output)?;
    }
    Ok(())
}

/// `net dhcp-leases`: a table, or JSON with every field as read.
fn dhcp_leases(net: &NetName, leases: &[network::leases::Lease], format: Format) -> Result<()> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = leases
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "expiry": l.expiry,
                        "expiry_time": l.expiry.map(crate::engine::utc),
                        "mac": l.mac,
                        "iaid": l.iaid,
                        "protocol": l.protocol(),
                        "address": l.address.to_string(),
                        "prefix": l.prefix,
                        "hostname": l.hostname,
                        "client_id": l.client_id,
                    })
                })
                .collect();
            drop(out);
            return json::print(json!({"network": net.as_str(), "leases": list}));
        }
        Format::Text => {
            let shown = |v: &Option<String>| {
                v.as_deref()
                    .map_or_else(|| "-".to_owned(), |t| show::text(t).into_owned())
            };
            let rows: Vec<Vec<String>> = leases
                .iter()
                .map(|l| {
                    vec![
                        l.expiry.map_or_else(|| "never".into(), crate::engine::utc),
                        shown(&l.mac),
                        l.protocol().into(),
                        match l.prefix {
                            Some(p) => format!("{}/{p}", l.address),
                            None => l.address.to_string(),
                        },
                        shown(&l.hostname),
                        shown(&l.client_id),
                    ]
                })
                .collect();
            let head = [
                "Expiry Time",
                "MAC address",
                "Protocol",
                "IP address",
                "Hostname",
                "Client ID or DUID",
            ];
            table(&mut out, &head, &rows)?;
        }
    }
    out.flush().map_err(Error::Output)
}

/// The bridge, and a cross-host network's VXLAN device on it with its peers.
fn bridge_column(n: &NetInfo) -> String {
    let bridge = n
        .bridge
        .as_deref()
        .map_or_else(|| "-".into(), |b| show::text(b).into_owned());
    match &n.vxlan {
        Some(x) => {
            let peers: Vec<String> = (x.peers.iter())
                .map(|(a, p)| std::net::SocketAddr::new(*a, *p).to_string())
                .collect();
            format!("{bridge} + {} to {}", x.device, peers.join(" "))
        }
        None => bridge,
    }
}

/// `net info`: `Key:` lines as `virsh net-info` prints them, or JSON.
fn info(n: &NetInfo, format: Format) -> Result<()> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    let yes = |b: bool| if b { "yes" } else { "no" };
    match format {
        Format::Json => {
            let v = serde_json::json!({
                "name": n.name.as_str(),
                "uuid": n.uuid.to_string(),
                "active": n.active,
                "persistent": n.persistent,
                "autostart": n.autostart,
                "bridge": n.bridge,
            });
            drop(out);
            return json::print(v);
        }
        Format::Text => {
            let lines = [
                ("Name:", show::text(n.name.as_str()).into_owned()),
                ("UUID:", n.uuid.to_string()),
                ("Active:", yes(n.active).into()),
                ("Persistent:", yes(n.persistent).into()),
                ("Autostart:", yes(n.autostart).into()),
                (
                    "Bridge:",
                    n.bridge
                        .as_deref()
                        .map_or_else(|| "-".into(), |b| show::text(b).into_owned()),
                ),
            ];
            for (key, value) in lines {
                writeln!(out, "{key:<16}{value}").map_err(Error::Output)?;
            }
        }
    }
    out.flush().map_err(Error::Output)
}
