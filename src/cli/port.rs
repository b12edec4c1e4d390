//! `netloom port …`: guest interfaces against running networks, as libvirt's network driver
//! connects a domain's `<interface type='network'>`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::args::Format;
use super::input::read_all;
use super::{Ctx, RootArg, json, notify, with_session};
use crate::engine::port::{self as engine_port, Listing};
use crate::error::{Diagnostics, Error, Result, UsageKind};
use crate::model::MacAddr;
use crate::model::guest::{Guest, GuestInterface, GuestName, GuestSource};
use crate::model::network::Plug;
use crate::port::qemu;
use crate::show;
use crate::source::SourceFile;
use crate::xml;
use serde_json::{Value, json};

const PORT_HELP: &str = "State: ROOT/run/netloom/ports/NET/UUID.xml (one <networkport> per port, \
libvirt's format), ROOT/run/netloom/guests/NAME.json (each guest's interfaces as plugged), and \
the usage counts in each running network's ROOT/run/netloom/networks/NET.xml (`net dumpxml`). \
Every command first forgets guests whose --pid has ended (or whose record is from an earlier \
boot) and recounts usage from the ports that remain.\n\
Taps and macvtaps are made in the network namespace netloom runs in.";

/// The `port` verbs.
#[derive(Debug, Subcommand)]
pub enum PortCommand {
    /// Connect a guest's interfaces and print them with what each resolved to (<actual>).
    #[command(
        after_help = format!("{PORT_HELP}\n\nExamples:\n  netloom port plug vm1.xml --guest vm1\n  \
sh -c 'netloom port plug vm1.xml --guest vm1 --pid $$ > vm1.status.xml && exec qemu-system-x86_64 \
$(netloom port qemu-args vm1.status.xml)'")
    )]
    Plug {
        /// Guest XML: a libvirt <domain>, a <devices> or one <interface> (`-` for stdin).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The guest's name: the owner of its ports.
        #[arg(long, value_name = "NAME")]
        guest: String,
        /// The process the guest runs in: when it ends, the next netloom command releases
        /// the guest's ports.
        #[arg(long, value_name = "PID")]
        pid: Option<u32>,
        /// The guest's QMP monitor socket (absolute path), kept with the guest: later plugs
        /// and unplugs set its NICs' links over it (`port qemu-args --qmp` starts it).
        #[arg(long, value_name = "PATH")]
        qmp: Option<String>,
        /// The guest's XML with what each interface resolved to, or one JSON object: its
        /// interfaces, one object each (docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Release a guest's ports (the guest ended), or unplug one interface (--mac), whose
    /// NIC stays with no backend and its link down.
    #[command(after_help = format!("{PORT_HELP}\n\nExamples:\n  netloom port unplug --guest vm1\n  \
netloom port unplug --guest vm1 --mac 52:54:00:00:00:05"))]
    Unplug {
        /// The guest.
        #[arg(long, value_name = "NAME")]
        guest: String,
        /// Only the interface with this MAC.
        #[arg(long, value_name = "MAC")]
        mac: Option<String>,
        /// Nothing, or one JSON object: the guest and what was unplugged (docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// List plugged guests with their interfaces, and each running network's usage.
    #[command(after_help = format!("{PORT_HELP}\n\nExamples:\n  netloom port list\n  \
netloom port list --format json"))]
    List {
        /// Two tables, or one JSON object: guests, interfaces, networks and pool devices, each
        /// a list of flat objects (docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// Print QEMU's -netdev/-device arguments for a plugged guest's XML, one per line.
    #[command(
        after_help = "The XML is what `port plug` printed. NICs whose link must start down \
(type none, <link state='down'/>) cannot be told so on QEMU's command line: they are named on \
standard error with the QMP command to send before the guest runs (start QEMU with -S). A \
type-none NIC with a <target dev> boots on its own tap, so a later `port plug` can connect it; \
with --qmp, QEMU gets the monitor over which later plugs and unplugs set its NICs' links.\n\n\
Example:\n  mapfile -t args < <(netloom port qemu-args vm1.status.xml)"
    )]
    QemuArgs {
        /// Guest XML with its interfaces plugged (`-` for stdin).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Also the -chardev/-mon arguments of a QMP monitor at this socket (absolute
        /// path), the one `port plug --qmp` names.
        #[arg(long, value_name = "PATH")]
        qmp: Option<String>,
        /// One argument a line, or one JSON object: the arguments as option and value, and
        /// the NICs whose link must start down (docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

impl PortCommand {
    /// The verb's `--root`: every one but `qemu-args`, which reads only its file.
    pub(super) fn root(&self) -> Option<&RootArg> {
        match self {
            PortCommand::QemuArgs { .. } => None,
            PortCommand::Plug { root, .. }
            | PortCommand::Unplug { root, .. }
            | PortCommand::List { root, .. } => Some(root),
        }
    }
}

/// Runs one `port` verb.
pub(super) fn run(command: &PortCommand, cli: &Ctx) -> Result<()> {
    match command {
        PortCommand::Plug {
            file,
            guest,
            pid,
            qmp,
            format,
            ..
        } => plug(cli, file, guest, *pid, qmp.as_deref(), *format),
        PortCommand::Unplug {
            guest, mac, format, ..
        } => unplug(cli, guest, mac.as_deref(), *format),
        PortCommand::List { format, .. } => {
            let listing = with_session(cli, |s, root| engine_port::list(s, root, "port list"))?;
            notify(&listing.notes);
            print_list(&listing, *format)
        }
        PortCommand::QemuArgs {
            file, qmp, format, ..
        } => qemu_args(file, qmp.as_deref(), *format),
    }
}

/// `port plug`: the guest's interfaces connected, and its XML printed with what each
/// resolved to.
fn plug(
    cli: &Ctx,
    file: &Path,
    guest: &str,
    pid: Option<u32>,
    qmp: Option<&str>,
    format: Format,
) -> Result<()> {
    let name = guest_name(guest)?;
    let qmp = qmp.map(qmp_path).transpose()?;
    let doc = load_guest(file, true)?;
    let out = with_session(cli, |s, root| {
        engine_port::plug(
            s,
            root,
            &doc,
            &name,
            pid,
            qmp.as_ref(),
            &format!("port plug --guest {name}"),
        )
    })?;
    notify(&out.notes);
    if format == Format::Json {
        return print_plugged(&name, out.xml.as_deref());
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.xml.unwrap_or_default().as_bytes())
        .map_err(Error::Output)
}

/// `port unplug`: a guest's ports released, or the one interface with `mac` unplugged.
fn unplug(cli: &Ctx, guest: &str, mac: Option<&str>, format: Format) -> Result<()> {
    let name = guest_name(guest)?;
    let mac = mac
        .map(|m| {
            MacAddr::parse(m)
                .map_err(|e| Error::usage(UsageKind::BadValue, format!("--mac '{m}': {e}")))
        })
        .transpose()?;
    let out = with_session(cli, |s, root| {
        engine_port::unplug(s, root, &name, mac, &format!("port unplug --guest {name}"))
    })?;
    notify(&out.notes);
    match format {
        Format::Text => Ok(()),
        Format::Json => json::print(serde_json::json!({
            "guest": name.as_str(),
            "mac": mac.map(|m| m.to_string()),
            "action": if mac.is_some() { "unplugged" } else { "released" },
        })),
    }
}

/// `port qemu-args`: QEMU's arguments for a plugged guest's XML, and on standard error the
/// NICs whose link must start down.
fn qemu_args(file: &Path, qmp: Option<&str>, format: Format) -> Result<()> {
    let qmp = qmp.map(qmp_path).transpose()?;
    let doc = load_guest(file, false)?;
    let mut args = qemu::qemu_args(&doc)?;
    if let Some(q) = &qmp {
        args.args.splice(0..0, qemu::qmp_args(q));
    }
    if format == Format::Json {
        return print_qemu_args(&args);
    }
    if let Some(note) = qemu::link_down_note(&args) {
        // Its lines are netloom's layout; each is shown like any other note.
        let mut err = std::io::stderr().lock();
        for line in note.lines() {
            let _ = writeln!(err, "{}", show::Shown(line));
        }
    }
    let mut out = std::io::stdout().lock();
    out.write_all(qemu::to_text(&args).as_bytes())
        .map_err(Error::Output)
}

fn qmp_path(s: &str) -> Result<qemu::QmpPath> {
    qemu::QmpPath::parse(s)
        .map_err(|e| Error::usage(UsageKind::BadValue, format!("--qmp '{s}': {e}")))
}

fn guest_name(s: &str) -> Result<GuestName> {
    GuestName::parse(s)
        .map_err(|e| Error::usage(UsageKind::BadValue, format!("--guest '{s}': {e}")))
}

/// Reads a guest document; one `to_plug` also has its scripts checked on this host.
fn load_guest(path: &Path, to_plug: bool) -> Result<Guest> {
    let (sources, problems) = read_all(std::slice::from_ref(&path.to_path_buf()));
    if !problems.is_empty() {
        return Err(Error::Invalid(Diagnostics(problems)));
    }
    let src = sources.first().ok_or_else(|| {
        Error::usage(
            UsageKind::Missing,
            format!("{}: nothing to read", path.display()),
        )
    })?;
    let guest = xml::read_guest(src).map_err(Error::Invalid)?;
    if to_plug {
        xml::check_scripts(src).map_err(Error::Invalid)?;
    }
    Ok(guest)
}

fn print_list(listing: &Listing, format: Format) -> Result<()> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    match format {
        Format::Json => {
            drop(out);
            return print_list_json(listing);
        }
        Format::Text => {
            let mut rows = vec![
                [
                    "Guest",
                    "MAC",
                    "Type",
                    "Source",
                    "Connection",
                    "Target",
                    "Port",
                ]
                .map(String::from),
            ];
            for g in &listing.guests {
                for i in &g.interfaces {
                    let (source, port) = match &i.source {
                        crate::model::guest::GuestSource::Network {
                            network,
                            portgroup,
                            portid,
                        } => (
                            match portgroup {
                                Some(p) => format!("{network}/{p}"),
                                None => network.to_string(),
                            },
                            portid.map_or("-".into(), |u| u.to_string()),
                        ),
                        _ => ("-".into(), "-".into()),
                    };
                    rows.push([
                        g.name.to_string(),
                        i.mac.map_or("-".into(), |m| m.to_string()),
                        i.kind.as_str().into(),
                        source,
                        engine_port::connection(i),
                        i.target.as_ref().map_or("-".into(), |t| t.to_string()),
                        port,
                    ]);
                }
            }
            table(&mut out, &rows)?;
            writeln!(out).map_err(Error::Output)?;
            let mut rows = vec![["Network", "Connections", "Devices"].map(String::from)];
            for n in &listing.networks {
                let devices: Vec<String> =
                    n.devices.iter().map(|(d, c)| format!("{d}={c}")).collect();
                rows.push([
                    n.name.to_string(),
                    n.connections.to_string(),
                    if devices.is_empty() {
                        "-".into()
                    } else {
                        devices.join(" ")
                    },
                ]);
            }
            table(&mut out, &rows)?;
        }
    }
    out.flush().map_err(Error::Output)
}

/// `port list --format json`: guests, their interfaces, networks and their pool devices, each
/// a list of flat objects that name what they belong to.
fn print_list_json(listing: &Listing) -> Result<()> {
    let guests: Vec<Value> = (listing.guests.iter())
        .map(|g| json!({"name": g.name.as_str(), "pid": g.pid}))
        .collect();
    let interfaces: Vec<Value> = (listing.guests.iter())
        .flat_map(|g| g.interfaces.iter().map(|i| interface(&g.name, i)))
        .collect();
    let networks: Vec<Value> = (listing.networks.iter())
        .map(|n| json!({"name": n.name.as_str(), "connections": n.connections}))
        .collect();
    let devices: Vec<Value> = (listing.networks.iter())
        .flat_map(|n| {
            (n.devices.iter()).map(|(dev, connections)| {
                json!({"network": n.name.as_str(), "dev": dev, "connections": connections})
            })
        })
        .collect();
    json::print(json!({
        "guests": guests,
        "interfaces": interfaces,
        "networks": networks,
        "devices": devices,
    }))
}

/// `port plug --format json`: the guest's interfaces as plugged, read back from the status
/// XML the text output prints, so that both say the same.
fn print_plugged(name: &GuestName, xml: Option<&str>) -> Result<()> {
    let plugged = xml
        .map(|x| xml::read_guest(&SourceFile::new("plugged guest", x)).map_err(Error::Invalid))
        .transpose()?;
    let interfaces: Vec<Value> = (plugged.iter())
        .flat_map(|g| g.interfaces.iter().map(|i| interface(name, i)))
        .collect();
    json::print(json!({
        "guest": name.as_str(),
        "action": "plugged",
        "interfaces": interfaces,
    }))
}

/// `port qemu-args --format json`: each option with its value, and each NIC whose link must
/// be set down (over QMP, before the guest runs) with the command that does it.
fn print_qemu_args(args: &qemu::QemuArgs) -> Result<()> {
    let pairs: Vec<Value> = (args.args.chunks(2))
        .map(|pair| json!({"option": pair[0], "value": pair.get(1)}))
        .collect();
    let down: Vec<Value> = (args.link_down.iter())
        .zip(qemu::qmp_link_down(args))
        .map(|(nic, qmp)| json!({"nic": nic, "qmp": qmp}))
        .collect();
    json::print(json!({"args": pairs, "link_down": down}))
}

/// One guest interface as a flat object: what the guest declared and what it is connected
/// to, one field per part (`connection` is the kind; `bridge`, `dev` and `mode`, `pci`, or
/// `socket_address` and `socket_port` say where), `null` for what does not apply.
fn interface(guest: &GuestName, i: &GuestInterface) -> Value {
    let (network, portgroup, port) = match &i.source {
        GuestSource::Network {
            network,
            portgroup,
            portid,
        } => (
            Some(network.to_string()),
            portgroup.as_ref().map(|p| p.as_str().to_owned()),
            portid.map(|u| u.to_string()),
        ),
        _ => (None, None, None),
    };
    let mut doc = json!({
        "guest": guest.as_str(),
        "mac": i.mac.map(|m| m.to_string()),
        "type": i.kind.as_str(),
        "network": network,
        "portgroup": portgroup,
        "port": port,
        "target": i.target.as_ref().map(ToString::to_string),
        "link_up": i.link_up.unwrap_or(true),
        "connection": Value::Null,
        "bridge": Value::Null,
        "dev": Value::Null,
        "mode": Value::Null,
        "pci": Value::Null,
        "socket_address": Value::Null,
        "socket_port": Value::Null,
    });
    let (kind, fields) = connection(i);
    if let Value::Object(all) = &mut doc {
        all.insert("connection".into(), kind.into());
        all.extend(fields.into_iter().map(|(k, v)| (k.to_owned(), v)));
    }
    doc
}

/// What an interface is connected to: the kind (`null` for nothing yet, a network interface
/// not plugged) and the fields that say where.
fn connection(i: &GuestInterface) -> (Option<&'static str>, Vec<(&'static str, Value)>) {
    if let Some(actual) = &i.actual {
        return match &actual.plug {
            Plug::Bridge { bridge, .. } => {
                (Some("bridge"), vec![("bridge", json!(bridge.to_string()))])
            }
            Plug::Direct { dev, mode } => (
                Some("direct"),
                vec![
                    ("dev", json!(dev.to_string())),
                    ("mode", json!(mode.as_str())),
                ],
            ),
            Plug::HostdevPci { address, .. } => (
                Some("hostdev"),
                vec![("pci", json!(engine_port::pci(address)))],
            ),
        };
    }
    match &i.source {
        GuestSource::Bridge { bridge } => {
            (Some("bridge"), vec![("bridge", json!(bridge.to_string()))])
        }
        GuestSource::Direct { dev, mode } => (
            Some("direct"),
            vec![
                ("dev", json!(dev.to_string())),
                ("mode", json!(mode.map_or("vepa", |m| m.as_str()))),
            ],
        ),
        GuestSource::Socket { address, port } => (
            Some("socket"),
            vec![
                ("socket_address", json!(address.map(|a| a.to_string()))),
                ("socket_port", json!(port)),
            ],
        ),
        GuestSource::Network { .. } | GuestSource::Nothing => (None, Vec::new()),
    }
}

/// Rows in left-aligned columns, the first one a heading. Every cell is shown escaped, and
/// the columns are as wide as what is shown.
fn table<const N: usize>(out: &mut impl Write, rows: &[[String; N]]) -> Result<()> {
    let rows: Vec<[std::borrow::Cow<'_, str>; N]> = rows
        .iter()
        .map(|row| std::array::from_fn(|i| show::text(&row[i])))
        .collect();
    let mut widths = [0usize; N];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end()).map_err(Error::Output)?;
    }
    Ok(())
}
