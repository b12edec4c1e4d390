//! `netloom status [NAME...]`: the running host next to the root's declaration.

use std::io::{BufWriter, Write};

use super::args::Format;
use super::live::Reach;
use super::{Ctx, Status, choose, open_root};
use crate::error::{Error, Result, UsageKind};
use crate::live::status::{Report, report};
use crate::model::IfaceName;
use crate::show::Shown;

/// Show each declared interface's live state next to its declaration.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The declaration is what the backend's configuration says (the files under \
the root, or NetworkManager's profiles when it runs); the live state is the kernel's, in the \
network namespace netloom runs in. Compared: that each link exists and is up when it starts at \
boot, its type, MTU, static addresses, a bridge's ports, a bond's slaves and mode, a vlan's id \
and parent, the default gateway and static routes (a route without a declared metric has any); \
a route through the interface that nothing declares and the kernel, DHCP or router \
advertisements did not add is drift too. DNS servers are shown as declared, not checked. \
Links that are up but declared nowhere are listed too; they are not drift.\n\n\
Exit codes: 0 every declared interface is as declared, 1 one has drifted or is absent, 2 an \
error.\n\nExamples:\n  netloom status\n  netloom status br0 --format json"
)]
pub struct Args {
    /// Top-level interfaces to show (all declared ones when none are given).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// A table, or JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// `--root`, `--backend`, `--live-mode`.
    #[command(flatten)]
    pub host: super::HostArgs,
}

pub(super) fn run(args: &Args, cli: &Ctx) -> Result<Status> {
    let names = args
        .names
        .iter()
        .map(|n| {
            IfaceName::parse(n).map_err(|e| {
                Error::usage(
                    UsageKind::BadValue,
                    format!("invalid interface name '{n}': {e}"),
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let root = open_root(cli)?;
    let backend = choose(cli, &cli.root)?;
    let host = match super::live::reach(cli, &root, backend)? {
        Reach::Store { store, .. } => store.import(&names)?.host,
        Reach::Files => backend.import(&root.snapshot(backend.scan())?, &names)?,
    };
    let kernel = crate::live::kernel::read()?;
    let report = report(&host, &kernel, names.is_empty());
    match args.format {
        Format::Json => {
            let doc = serde_json::to_value(&report).map_err(|e| Error::Output(e.into()))?;
            super::json::print(doc)?;
        }
        Format::Text => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            text(&report, &mut out)
                .and_then(|()| out.flush())
                .map_err(Error::Output)?;
        }
    }
    Ok(if report.in_sync {
        Status::Success
    } else {
        Status::Changes
    })
}

/// One line per interface, then one per drifted field, then the undeclared links.
fn text(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    for e in &report.interfaces {
        let live = match &e.live {
            Some(l) => {
                let mut parts = vec![
                    l.kind.clone(),
                    if l.up { "up" } else { "down" }.to_owned(),
                    format!("mtu {}", l.mtu),
                ];
                parts.extend(l.addresses.iter().cloned());
                if !l.members.is_empty() {
                    parts.push(format!("members {}", l.members.join(" ")));
                }
                parts.join(", ")
            }
            None => "no such link".to_owned(),
        };
        writeln!(out, "{}  {}  ({})", Shown(&e.name), e.state, Shown(&live))?;
        for route in e.live.iter().flat_map(|l| &l.routes) {
            writeln!(out, "    route {}", Shown(route))?;
        }
        if !e.declared.dns.is_empty() {
            let dns = e.declared.dns.join(" ");
            writeln!(out, "    dns {} (declared, not checked)", Shown(&dns))?;
        }
        for d in &e.drift {
            let key = d.key.as_ref().map(|k| format!(" {}", Shown(k)));
            writeln!(
                out,
                "    {}{}: declared {}, live {}",
                d.field,
                key.unwrap_or_default(),
                Shown(&d.declared),
                Shown(&d.live)
            )?;
        }
    }
    if !report.undeclared.is_empty() {
        let names: Vec<String> = report
            .undeclared
            .iter()
            .map(|n| Shown(n).to_string())
            .collect();
        writeln!(out, "up, not declared: {}", names.join(", "))?;
    }
    Ok(())
}
