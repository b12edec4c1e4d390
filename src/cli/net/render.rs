//! `netloom net render`: a network's dnsmasq configuration and firewall fragments, without
//! starting anything.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser};

use super::super::input;
use crate::backend::{NetBackend, NetContext, RenderedFile};
use crate::backends;
use crate::engine::{self, TargetRoot};
use crate::error::{Error, Result, UsageKind};

/// `--firewall` for every firewall backend's fragments.
const ALL: &str = "all";
/// `--firewall` for none.
const NONE: &str = "none";

/// `--firewall`'s values: `all`, each firewall backend of the registry, `none`.
fn firewall_choices() -> PossibleValuesParser {
    let mut each: Vec<_> = backends::FIREWALLS.to_vec();
    each.sort_by_key(|b| b.name());
    let each = each
        .into_iter()
        .map(|b| PossibleValue::new(b.name()).help(b.summary()));
    PossibleValuesParser::new(
        std::iter::once(PossibleValue::new(ALL).help("Every firewall backend's fragments"))
            .chain(each)
            .chain([PossibleValue::new(NONE).help("No firewall fragments")]),
    )
}

/// `net render FILE [--out DIR]`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Files (relative to DIR, or printed with a header each):\n  \
var/lib/netloom/dnsmasq/NET.conf, NET.hostsfile, NET.addnhosts\n  \
var/lib/netloom/firewall/NET.iptables, NET.ip6tables (iptables-restore --noflush input), NET.nft (nft -f input)\n\
Networks on host devices (forward mode bridge, private, vepa, passthrough, hostdev) get none; \
open networks get no firewall rules, as in libvirt.\n\n\
Examples:\n  netloom net render default.xml\n  netloom net render default.xml --out /tmp/out\n  \
netloom net render --dnsmasq-dir /var/lib/libvirt/dnsmasq --firewall none default.xml"
)]
pub struct RenderArgs {
    /// Network XML (`-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Write the files under DIR as if it were the target root, instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The directory the dnsmasq conf names for its hosts files, as seen on the target.
    #[arg(long, value_name = "PATH", default_value = "/var/lib/netloom/dnsmasq")]
    pub dnsmasq_dir: String,
    /// Which firewall's fragments to make.
    #[arg(long, value_parser = firewall_choices(), default_value = ALL)]
    pub firewall: String,
}

/// Prints or writes the files.
pub(super) fn run(args: &RenderArgs) -> Result<()> {
    let ctx = NetContext::new(&args.dnsmasq_dir, None)
        .map_err(|why| Error::usage(UsageKind::BadValue, format!("--dnsmasq-dir: {why}")))?;
    let mut net = input::load_network(&args.file)?;
    net.fill_defaults();
    let mut files: Vec<RenderedFile> = Vec::new();
    for backend in backends::NETWORK
        .iter()
        .filter(|b| wanted(**b, &args.firewall))
    {
        files.extend(backend.render(&net, &ctx)?);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    match &args.out {
        Some(dir) => engine::write_files(&TargetRoot::create(dir)?, &files),
        None => super::super::render::print_files(&files),
    }
}

/// Whether `net render --firewall FIREWALL` writes `backend`'s files: every backend that is
/// no firewall's, and the firewalls chosen.
fn wanted(backend: &dyn NetBackend, firewall: &str) -> bool {
    let name = backend.name();
    backends::firewall(name).is_none() || firewall == ALL || firewall == name
}
