//! `netloom port …`: guest interfaces against running networks, as libvirt's network driver
//! connects a domain's `<interface type='network'>`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::apply::Format;
use super::input::read_all;
use super::{Ctx, RootArg, notify, with_session};
use crate::engine::port::{self as engine_port, Listing};
use crate::error::{Diagnostics, Error, Result};
use crate::model::MacAddr;
use crate::model::guest::{Guest, GuestName};
use crate::port::qemu;
use crate::show;
use crate::xml;

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
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
    /// List plugged guests with their interfaces, and each running network's usage.
    #[command(after_help = format!("{PORT_HELP}\n\nExamples:\n  netloom port list\n  \
netloom port list --format json"))]
    List {
        /// Output format.
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
            ..
        } => {
            let name = guest_name(guest)?;
            let qmp = qmp.as_deref().map(qmp_path).transpose()?;
            let doc = load_guest(file, true)?;
            let out = with_session(cli, |s, root| {
                engine_port::plug(
                    s,
                    root,
                    &doc,
                    &name,
                    *pid,
                    qmp.as_ref(),
                    &format!("port plug --guest {name}"),
                )
            })?;
            notify(&out.notes);
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(out.xml.unwrap_or_default().as_bytes())
                .map_err(Error::Output)
        }
        PortCommand::Unplug { guest, mac, .. } => {
            let name = guest_name(guest)?;
            let mac = mac
                .as_deref()
                .map(|m| MacAddr::parse(m).map_err(|e| Error::Usage(format!("--mac '{m}': {e}"))))
                .transpose()?;
            let out = with_session(cli, |s, root| {
                engine_port::unplug(s, root, &name, mac, &format!("port unplug --guest {name}"))
            })?;
            notify(&out.notes);
            Ok(())
        }
        PortCommand::List { format, .. } => {
            let listing = with_session(cli, |s, root| engine_port::list(s, root, "port list"))?;
            notify(&listing.notes);
            print_list(&listing, *format)
        }
        PortCommand::QemuArgs { file, qmp, .. } => {
            let qmp = qmp.as_deref().map(qmp_path).transpose()?;
            let doc = load_guest(file, false)?;
            let mut args = qemu::qemu_args(&doc)?;
            if let Some(q) = &qmp {
                args.args.splice(0..0, qemu::qmp_args(q));
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
    }
}

fn qmp_path(s: &str) -> Result<qemu::QmpPath> {
    qemu::QmpPath::parse(s).map_err(|e| Error::Usage(format!("--qmp '{s}': {e}")))
}

fn guest_name(s: &str) -> Result<GuestName> {
    GuestName::parse(s).map_err(|e| Error::Usage(format!("--guest '{s}': {e}")))
}

/// Reads a guest document; one `to_plug` also has its scripts checked on this host.
fn load_guest(path: &Path, to_plug: bool) -> Result<Guest> {
    let (sources, problems) = read_all(std::slice::from_ref(&path.to_path_buf()));
    if !problems.is_empty() {
        return Err(Error::Invalid(Diagnostics(problems)));
    }
    let src = sources
        .first()
        .ok_or_else(|| Error::Usage(format!("{}: nothing to read", path.display())))?;
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
            let guests: Vec<serde_json::Value> = listing
                .guests
                .iter()
                .map(|g| {
                    let ifaces: Vec<serde_json::Value> = g
                        .interfaces
                        .iter()
                        .map(|i| {
                            let (network, portgroup, port) = match &i.source {
                                crate::model::guest::GuestSource::Network {
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
                            serde_json::json!({
                                "mac": i.mac.map(|m| m.to_string()),
                                "type": i.kind.as_str(),
                                "network": network,
                                "portgroup": portgroup,
                                "port": port,
                                "connection": engine_port::connection(i),
                                "target": i.target.as_ref().map(|t| t.to_string()),
                            })
                        })
                        .collect();
                    serde_json::json!({
                        "name": g.name.as_str(),
                        "pid": g.pid,
                        "interfaces": ifaces,
                    })
                })
                .collect();
            let networks: Vec<serde_json::Value> = listing
                .networks
                .iter()
                .map(|n| {
                    let devices: Vec<serde_json::Value> = n
                        .devices
                        .iter()
                        .map(|(d, c)| serde_json::json!({"dev": d, "connections": c}))
                        .collect();
                    serde_json::json!({
                        "name": n.name.as_str(),
                        "connections": n.connections,
                        "devices": devices,
                    })
                })
                .collect();
            let doc = serde_json::json!({"guests": guests, "networks": networks});
            serde_json::to_writer(&mut out, &doc).map_err(|e| Error::Output(e.into()))?;
            writeln!(out).map_err(Error::Output)?;
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
