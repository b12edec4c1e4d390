//! The model to ifcfg keys, and keys to files: a new file from the template, or the managed
//! keys merged into the user's existing file with every other byte kept.

use std::collections::HashSet;

use askama::Template;

use super::DIR;
use super::parse;
use super::routes;
use crate::backend::{BackendError, Refusal, RenderedFile, Snapshot};
use crate::error::Diagnostics;
use crate::model::{
    Bond, BondMode, BondOptions, Bridge, BridgeOptions, DomainName, Ethernet, Host, IfaceName,
    Interface, InterfaceKind, Ipv4, Ipv4Prefix, Ipv4Route, Ipv6, Ipv6Prefix, Ipv6Route, MacAddr,
    Mtu, PortKind, Route, RouteFamily, StartMode, Vlan,
};
use crate::syntax::shell::{ShellFile, quote};

/// One ifcfg file's worth of keys, in the order a new file lists them. Values are plain;
/// quoting happens when they are written.
#[derive(Debug)]
pub(super) struct Profile {
    pub(super) name: IfaceName,
    pub(super) keys: Vec<(String, String)>,
    /// Keys netloom manages in this file only, because of what it is (`MACADDR` of a NIC
    /// that is not a bond slave, `BRIDGING_OPTS` of a bridge): removed when `keys` lack them.
    owned: Vec<&'static str>,
    /// The static routes of `route-NAME` and `route6-NAME` (a top-level interface's only).
    routes4: Vec<Ipv4Route>,
    routes6: Vec<Ipv6Route>,
}

impl Profile {
    fn new(name: &IfaceName, type_name: &str) -> Self {
        let mut p = Self {
            name: name.clone(),
            keys: Vec::new(),
            owned: Vec::new(),
            routes4: Vec::new(),
            routes6: Vec::new(),
        };
        p.set("DEVICE", name.as_str());
        p.set("TYPE", type_name);
        p
    }

    fn set(&mut self, key: &str, value: impl ToString) {
        self.keys.push((key.to_owned(), value.to_string()));
    }
}

/// What ports and slaves inherit from their top-level interface.
#[derive(Clone, Copy)]
struct Inherited {
    start: Option<StartMode>,
    mtu: Option<Mtu>,
}

/// Every profile for a host: one per interface, bridge port and bond slave, masters first.
pub(super) fn profiles(host: &Host) -> Vec<Profile> {
    let mut out = Vec::new();
    for i in &host.interfaces {
        interface(i, &mut out);
    }
    out
}

fn interface(i: &Interface, out: &mut Vec<Profile>) {
    let inherited = Inherited {
        start: i.start,
        mtu: i.mtu,
    };
    let mut p = match &i.kind {
        InterfaceKind::Ethernet(e) => ethernet(&i.name, e, inherited),
        InterfaceKind::Bond(_) => bond_head(&i.name, inherited),
        InterfaceKind::Vlan(v) => vlan(&i.name, v, inherited),
        InterfaceKind::Bridge(_) => common(Profile::new(&i.name, "Bridge"), inherited),
    };
    // NetworkManager's profile UUID; without one it derives its own from the file's path.
    if let Some(uuid) = i.uuid {
        p.set("UUID", uuid);
    }
    if let Some(v4) = &i.ipv4 {
        ipv4(&mut p, v4);
    }
    if let Some(v6) = &i.ipv6 {
        // NetworkManager numbers the IPv6 servers on from the IPv4 ones.
        let offset = i.ipv4.as_ref().map_or(0, |v4| v4.dns.len());
        ipv6(&mut p, v6, offset);
    }
    match &i.kind {
        InterfaceKind::Ethernet(_) | InterfaceKind::Vlan(_) => out.push(p),
        InterfaceKind::Bond(b) => bond_tail(p, &i.name, b, inherited, out),
        InterfaceKind::Bridge(br) => bridge(p, &i.name, br, inherited, out),
    }
}

/// Start mode and MTU, which every file of an interface carries (netcf copies them into
/// ports and slaves too: a port whose MTU differs from its bridge's breaks the bridge).
fn common(mut p: Profile, inherited: Inherited) -> Profile {
    match inherited.start {
        Some(StartMode::OnBoot) => p.set("ONBOOT", "yes"),
        Some(StartMode::None) => p.set("ONBOOT", "no"),
        Some(StartMode::Hotplug) => {
            p.set("ONBOOT", "no");
            p.set("HOTPLUG", "yes");
        }
        None => {}
    }
    if let Some(mtu) = inherited.mtu {
        p.set("MTU", mtu);
    }
    p
}

fn ethernet(name: &IfaceName, e: &Ethernet, inherited: Inherited) -> Profile {
    let mut p = Profile::new(name, "Ethernet");
    if let Some(mac) = e.mac {
        p.set("HWADDR", mac);
    }
    if let Some(mac) = e.cloned_mac {
        p.set("MACADDR", mac);
    }
    p.owned.push("MACADDR");
    common(p, inherited)
}

fn vlan(name: &IfaceName, v: &Vlan, inherited: Inherited) -> Profile {
    let mut p = Profile::new(name, "Vlan");
    p.set("VLAN", "yes");
    // Always explicit: a reader must never have to guess the tag from the name.
    p.set("VLAN_ID", v.tag);
    // PHYSDEV unless NetworkManager reads the parent from the name: the part before its
    // first dot, when that does not start with `vlan`.
    let from_name = name
        .as_str()
        .split_once('.')
        .map(|(parent, _)| parent)
        .filter(|p| !p.starts_with("vlan"));
    if from_name != Some(v.parent.as_str()) {
        p.set("PHYSDEV", &v.parent);
    }
    // As NetworkManager's writer spells the options; what it assumes is left unsaid.
    let o = v.options;
    if let Some(protocol) = o.protocol {
        p.set("VLAN_PROTOCOL", protocol);
    }
    if o.reorder_hdr == Some(false) {
        // REORDER_HDR for initscripts, which does not read VLAN_FLAGS' NO_REORDER_HDR.
        p.set("REORDER_HDR", "no");
    }
    if let Some(gvrp) = o.gvrp {
        p.set("GVRP", yes_no(gvrp));
    }
    let flags: Vec<&str> = [
        (o.loose_binding == Some(true), "LOOSE_BINDING"),
        (o.reorder_hdr == Some(false), "NO_REORDER_HDR"),
    ]
    .into_iter()
    .filter_map(|(on, flag)| on.then_some(flag))
    .collect();
    if !flags.is_empty() {
        p.set("VLAN_FLAGS", flags.join(","));
    }
    if let Some(mvrp) = o.mvrp {
        p.set("MVRP", yes_no(mvrp));
    }
    common(p, inherited)
}

fn bond_head(name: &IfaceName, inherited: Inherited) -> Profile {
    let mut p = Profile::new(name, "Bond");
    p.set("BONDING_MASTER", "yes");
    common(p, inherited)
}

/// `BONDING_OPTS` and the slaves' files, after the bond's addressing.
fn bond_tail(
    mut p: Profile,
    name: &IfaceName,
    b: &Bond,
    inherited: Inherited,
    out: &mut Vec<Profile>,
) {
    p.set("BONDING_OPTS", bonding_opts(b));
    out.push(p);
    for s in &b.slaves {
        let mut sp = ethernet(&s.name, &s.ethernet, inherited);
        // A slave's MACADDR is the user's: the model has none (the driver sets slaves' MACs).
        sp.owned.clear();
        sp.set("MASTER", name);
        sp.set("SLAVE", "yes");
        out.push(sp);
    }
}

/// The bonding driver's options as `BONDING_OPTS` holds them: `name=value`, space-separated.
pub(super) fn bonding_opts(b: &Bond) -> String {
    let opts: Vec<String> = b
        .driver_options()
        .into_iter()
        .map(|(opt, value)| format!("{}={value}", opt.driver_name()))
        .collect();
    opts.join(" ")
}

fn bridge(
    mut p: Profile,
    name: &IfaceName,
    br: &Bridge,
    inherited: Inherited,
    out: &mut Vec<Profile>,
) {
    // Said either way: NetworkManager reads a file without STP as off.
    let stp = br.stp == Some(true);
    p.set("STP", if stp { "on" } else { "off" });
    // NetworkManager reads DELAY only with STP on (and the kernel uses it only then);
    // `refusals` turns away a delay it would not read.
    // With STP on, said either way: 15 seconds (the kernel's) unless the XML gives one.
    if stp {
        match br.delay {
            Some(delay) => p.set("DELAY", delay),
            None => p.set("DELAY", "15"),
        }
    }
    // Always set, empty when the bridge has none of netloom's options: merging it keeps the
    // user's other options and drops netloom's old ones (see `merge_bridging_opts`).
    p.set("BRIDGING_OPTS", bridging_opts(br));
    p.owned.push("BRIDGING_OPTS");
    out.push(p);
    for port in &br.ports {
        let mut pp = match &port.kind {
            PortKind::Ethernet(e) => ethernet(&port.name, e, inherited),
            PortKind::Vlan(v) => vlan(&port.name, v, inherited),
            PortKind::Bond(_) => bond_head(&port.name, inherited),
        };
        pp.set("BRIDGE", name);
        match &port.kind {
            PortKind::Bond(b) => bond_tail(pp, &port.name, b, inherited, out),
            PortKind::Ethernet(_) | PortKind::Vlan(_) => out.push(pp),
        }
    }
}

/// The bridge's options as `BRIDGING_OPTS` holds them, in NetworkManager's writer's order;
/// the STP ones only with STP on (`refusals` turns them away otherwise).
fn bridging_opts(br: &Bridge) -> String {
    let o = br.options;
    let mut opts = Vec::new();
    if let Some(v) = o.priority {
        opts.push(format!("priority={v}"));
    }
    if let Some(v) = o.hello_time {
        opts.push(format!("hello_time={v}"));
    }
    if let Some(v) = o.max_age {
        opts.push(format!("max_age={v}"));
    }
    if let Some(v) = o.ageing_time {
        opts.push(format!("ageing_time={v}"));
    }
    if let Some(v) = o.multicast_snooping {
        opts.push(format!("multicast_snooping={}", u8::from(v)));
    }
    opts.join(" ")
}

/// `IPADDR`, `IPADDR1`…: the first address has no index, as NetworkManager writes it.
fn indexed(key: &str, i: usize) -> String {
    if i == 0 {
        key.to_owned()
    } else {
        format!("{key}{i}")
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// IPv4 as NetworkManager reads it back: nothing for an empty protocol (without an address
/// or DHCP its method is `disabled` whatever `BOOTPROTO` says), and every address with its
/// prefix (the class's when the XML gives none, which NetworkManager would assume).
fn ipv4(p: &mut Profile, v4: &Ipv4) {
    if v4.dhcp.is_none() && v4.addresses.is_empty() {
        return;
    }
    p.set("BOOTPROTO", if v4.dhcp.is_some() { "dhcp" } else { "none" });
    if let Some(peerdns) = v4.dhcp.and_then(|d| d.peerdns) {
        p.set("PEERDNS", yes_no(peerdns));
    }
    for (i, a) in v4.addresses.iter().enumerate() {
        p.set(&indexed("IPADDR", i), a.address);
        let prefix = a.prefix.unwrap_or_else(|| Ipv4Prefix::classful(a.address));
        p.set(&indexed("PREFIX", i), prefix);
    }
    // Beside a static address only: render refuses one without (see `refusals`).
    if let Some(gw) = v4.gateway {
        p.set("GATEWAY", gw);
    }
    for (i, server) in v4.dns.iter().enumerate() {
        p.set(&format!("DNS{}", i + 1), server);
    }
    if !v4.search.is_empty() {
        p.set("DOMAIN", join(&v4.search));
    }
    p.routes4 = v4.routes.clone();
}

/// Search domains as `DOMAIN` and `IPV6_DOMAIN` hold them: separated by spaces.
fn join(domains: &[DomainName]) -> String {
    let names: Vec<&str> = domains.iter().map(DomainName::as_str).collect();
    names.join(" ")
}

fn ipv6(p: &mut Profile, v6: &Ipv6, dns_offset: usize) {
    p.set("IPV6INIT", "yes");
    p.set("IPV6_AUTOCONF", yes_no(v6.autoconf));
    p.set("DHCPV6C", yes_no(v6.dhcp.is_some()));
    if let Some(peerdns) = v6.dhcp.and_then(|d| d.peerdns) {
        p.set("IPV6_PEERDNS", yes_no(peerdns));
    }
    // NetworkManager's /64 for an address without a prefix, said.
    let mut addrs = (v6.addresses.iter())
        .map(|a| format!("{}/{}", a.address, a.prefix.unwrap_or(Ipv6Prefix::DEFAULT)));
    if let Some(first) = addrs.next() {
        p.set("IPV6ADDR", first);
    }
    let rest: Vec<String> = addrs.collect();
    if !rest.is_empty() {
        p.set("IPV6ADDR_SECONDARIES", rest.join(" "));
    }
    if let Some(gw) = v6.gateway {
        p.set("IPV6_DEFAULTGW", gw);
    }
    for (i, server) in v6.dns.iter().enumerate() {
        p.set(&format!("DNS{}", dns_offset + i + 1), server);
    }
    if !v6.search.is_empty() {
        p.set("IPV6_DOMAIN", join(&v6.search));
    }
    p.routes6 = v6.routes.clone();
}

#[derive(Template)]
#[template(path = "ifcfg/ifcfg.txt", escape = "none")]
struct NewFile<'a> {
    keys: &'a [(String, String)],
}

/// The files for a host, each merged into the existing file that configures the same device
/// (found by netcf's lookup rules), or new.
pub(super) fn render(host: &Host, existing: &Snapshot) -> Result<Vec<RenderedFile>, BackendError> {
    let refusals = refusals(host);
    if !refusals.is_empty() {
        return Err(BackendError::Unsupported {
            backend: "ifcfg",
            refusals,
        });
    }
    let files = parse::Files::read(existing)?;
    // Each file is independent of the others: 10,000 merges run on every core.
    let rendered = crate::parallel::map(&profiles(host), 64, |profile| render_one(profile, &files));
    let mut out: Vec<RenderedFile> = Vec::new();
    let mut problems = Vec::new();
    for r in rendered {
        match r {
            Ok(some) => out.extend(some),
            Err(BackendError::Invalid(d)) => problems.extend(d.0),
            Err(other) => return Err(other),
        }
    }
    if !problems.is_empty() {
        return Err(BackendError::Invalid(Diagnostics(problems)));
    }
    out.extend(kept_route_files(&files, &out));
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The route files no profile rendered that stay as they are: those of a file netloom does
/// not own (a device of a kind it skips, the loopback, a backup) and those with no ifcfg
/// file at all. Every route file is the backend's ([`super::Ifcfg::owns`]), so the ones of a
/// device that leaves the declaration, which are not here, are removed with its ifcfg file.
fn kept_route_files(files: &parse::Files<'_>, rendered: &[RenderedFile]) -> Vec<RenderedFile> {
    let done: HashSet<&str> = rendered.iter().map(|f| f.path.as_str()).collect();
    let mut out = Vec::new();
    for (&path, &text) in &files.route_files {
        if done.contains(path) {
            continue;
        }
        let owner = parse::route_file_name(path).and_then(|(_, name)| files.named(name));
        let owned = owner.is_some_and(|f| {
            matches!(
                f.class,
                parse::Class::Device(_) | parse::Class::Invalid { .. }
            )
        });
        if !owned {
            out.push(RenderedFile {
                path: path.to_owned(),
                contents: text.to_owned(),
                mode: 0o644,
            });
        }
    }
    out
}

/// Why a gateway needs a static address: NetworkManager reads `GATEWAY` and
/// `IPV6_DEFAULTGW` only beside one.
const GATEWAY_WHY: &str = "NetworkManager's ifcfg-rh reader reads a gateway only beside a \
    static address of its family (with DHCP the default route comes from the server), so the \
    file would say a gateway NetworkManager never uses. Add a static <ip> to the protocol, or \
    drop the <route>";

/// Why a forward delay must be whole seconds from 2 to 30 with STP on.
const DELAY_WHY: &str = "NetworkManager's ifcfg-rh reader takes DELAY in whole seconds from 2 \
    to 30 (with STP on) and ignores any other value, using 15; round the delay to one of those, \
    or turn STP off, where the kernel does not delay ports";

/// Why the STP options need STP on.
const STP_ONLY_WHY: &str = "NetworkManager's ifcfg-rh reader ignores priority, hello_time and \
    max_age in BRIDGING_OPTS when STP is off (they are STP's parameters). Turn STP on with \
    <bridge stp='on'>, or drop the attribute";

/// Every setting of `host` that ifcfg files cannot express as NetworkManager reads them.
fn refusals(host: &Host) -> Vec<Refusal> {
    let mut out = Vec::new();
    for i in &host.interfaces {
        if let InterfaceKind::Bridge(br) = &i.kind
            && br.stp == Some(true)
            && let Some(delay) = br.delay
            && !(delay.seconds().fract() == 0.0 && (2.0..=30.0).contains(&delay.seconds()))
        {
            out.push(Refusal {
                interface: i.name.to_string(),
                setting: format!("<bridge stp='on' delay='{delay}'>"),
                why: DELAY_WHY.to_owned(),
            });
        }
        if let InterfaceKind::Bridge(br) = &i.kind
            && br.stp != Some(true)
        {
            let o = br.options;
            let stp_only = [
                ("priority", o.priority.map(|v| v.to_string())),
                ("hello_time", o.hello_time.map(|v| v.to_string())),
                ("max_age", o.max_age.map(|v| v.to_string())),
            ];
            for (name, value) in stp_only {
                if let Some(value) = value {
                    out.push(Refusal {
                        interface: i.name.to_string(),
                        setting: format!("<nl:bridge {name}='{value}'/> with STP off"),
                        why: STP_ONLY_WHY.to_owned(),
                    });
                }
            }
        }
        let v4 = i.ipv4.as_ref().filter(|v| v.addresses.is_empty());
        let v6 = i.ipv6.as_ref().filter(|v| v.addresses.is_empty());
        let gateways = [
            v4.and_then(|v| v.gateway.map(|g| g.to_string())),
            v6.and_then(|v| v.gateway.map(|g| g.to_string())),
        ];
        for gw in gateways.into_iter().flatten() {
            out.push(Refusal {
                interface: i.name.to_string(),
                setting: format!("<route gateway='{gw}'> with no static address"),
                why: GATEWAY_WHY.to_owned(),
            });
        }
    }
    out
}

/// One profile's files: its ifcfg file, merged into the existing file for its device or new,
/// and its route files beside it.
fn render_one(
    profile: &Profile,
    files: &parse::Files<'_>,
) -> Result<Vec<RenderedFile>, BackendError> {
    let ifcfg = render_ifcfg(profile, files)?;
    let name = ifcfg
        .path
        .rsplit_once("/ifcfg-")
        .map_or(profile.name.as_str(), |(_, n)| n)
        .to_owned();
    let mut out = vec![ifcfg];
    if let Some(rule) = files.rules.get(name.as_str()) {
        if profile.routes4.is_empty() && profile.routes6.is_empty() {
            return Ok(out);
        }
        let message = format!(
            "netloom would write static routes for '{}', and NetworkManager reads no route-{name} \
             or route6-{name} while this rule file exists (it leaves policy routing to a \
             dispatcher script); move the rules away, or drop the <nl:route> elements",
            profile.name
        );
        let d = crate::error::Diagnostic::new(*rule, None, message);
        return Err(BackendError::Invalid(Diagnostics(vec![d])));
    }
    let device = profile.name.as_str();
    out.extend(route_file(
        files,
        "route-",
        &name,
        &profile.routes4,
        device,
    )?);
    out.extend(route_file(
        files,
        "route6-",
        &name,
        &profile.routes6,
        device,
    )?);
    Ok(out)
}

/// The route file `TAG+NAME` holding `routes`, merged into the existing one; `None` when
/// there would be nothing in it (an existing one is then removed).
fn route_file<A: RouteFamily>(
    files: &parse::Files<'_>,
    tag: &str,
    name: &str,
    routes: &[Route<A>],
    device: &str,
) -> Result<Option<RenderedFile>, BackendError> {
    let existing = files.route_file(tag, name);
    let path = existing.map_or_else(|| format!("{DIR}/{tag}{name}"), |(p, _)| p.to_owned());
    match routes::merge(existing.map(|(_, t)| t), routes, device) {
        Ok(contents) => Ok(contents.map(|contents| RenderedFile {
            path,
            contents,
            mode: 0o644,
        })),
        Err((at, message)) => {
            let text = existing.map_or("", |(_, t)| t);
            let source = crate::source::SourceFile::new(path, text);
            let d = source.diagnostic_in_input(at, message);
            Err(BackendError::Invalid(Diagnostics(vec![d])))
        }
    }
}

/// A profile's ifcfg file: merged into the existing file for its device, or new.
fn render_ifcfg(profile: &Profile, files: &parse::Files<'_>) -> Result<RenderedFile, BackendError> {
    {
        let target = files.lookup(&profile.name);
        if target.is_none()
            && let Some(other) = files.named(profile.name.as_str())
            && let parse::Class::Skipped { key, why } | parse::Class::Invalid { key, why } =
                &other.class
        {
            let message = format!(
                "netloom would write '{}' here, and this file is {why}; netloom leaves it \
                 alone, so move it away (or rename the device) to declare '{}'",
                profile.name, profile.name
            );
            return Err(BackendError::Invalid(Diagnostics(vec![
                other.problem(key, message),
            ])));
        }
        let contents = match target {
            Some(file) => merge(&file.shell, profile),
            None => {
                let keys: Vec<(String, String)> = profile
                    .keys
                    .iter()
                    .filter(|(k, v)| !(k == "BRIDGING_OPTS" && v.is_empty()))
                    .map(|(k, v)| (k.clone(), quote(v)))
                    .collect();
                NewFile { keys: &keys }
                    .render()
                    .map_err(|source| BackendError::Template {
                        backend: "ifcfg",
                        source,
                    })?
            }
        };
        let path = target.map_or_else(
            || format!("{DIR}/ifcfg-{}", profile.name),
            |f| f.path.to_owned(),
        );
        Ok(RenderedFile {
            path,
            contents,
            mode: 0o644,
        })
    }
}

/// The existing file with netloom's keys set to the profile's values and every other managed
/// key removed; comments, blank lines and the user's own keys stay where they are.
fn merge(existing: &ShellFile, profile: &Profile) -> String {
    // What each managed key must read, in the user's spelling where that means the same.
    let mut wanted: Vec<(&str, String)> = Vec::with_capacity(profile.keys.len());
    for (key, value) in &profile.keys {
        let old = existing.get(key);
        // The same MAC in the user's spelling (upper case, say) stays as written.
        let same_mac = |old: &str| MacAddr::parse(old.trim()).ok() == MacAddr::parse(value).ok();
        if key == "HWADDR" && old.is_some_and(same_mac) {
            continue;
        }
        let value = match old {
            Some(old) if key == "BONDING_OPTS" => merge_bond_opts(value, old),
            _ if key == "BRIDGING_OPTS" => {
                let stp = profile.keys.iter().any(|(k, v)| k == "STP" && v == "on");
                merge_bridging_opts(value, old.unwrap_or_default(), stp)
            }
            _ => value.clone(),
        };
        // An empty BRIDGING_OPTS is no key at all.
        if key == "BRIDGING_OPTS" && value.is_empty() {
            continue;
        }
        wanted.push((key, value));
    }
    // A profile of 1,000 addresses merged into a file of 1,000 lines must stay linear: its
    // keys are hashed then. The usual profile of a dozen keys is scanned, which is cheaper.
    let hashed: HashSet<&str> = match profile.keys.len() > 64 {
        true => profile.keys.iter().map(|(k, _)| k.as_str()).collect(),
        false => HashSet::new(),
    };
    let ours = |key: &str| match hashed.is_empty() {
        true => profile.keys.iter().any(|(k, _)| k == key),
        false => hashed.contains(key),
    };
    // Keys managed in this file only (a port's BRIDGING_OPTS holds its port options, a bond
    // slave's MACADDR is the user's).
    // A MACADDR that is a word for how NetworkManager picks a MAC is the user's too.
    let word = |k: &str| k == "MACADDR" && existing.get(k).is_some_and(parse::is_mac_word);
    let owned_stale =
        |k: &str| profile.owned.contains(&k) && !wanted.iter().any(|(w, _)| *w == k) && !word(k);
    let stale: Vec<&str> = existing
        .entries()
        .map(|(k, _)| k)
        .filter(|k| (parse::is_managed(k) && !ours(k)) || owned_stale(k))
        .collect();
    // Re-applying an unchanged configuration is the common case: then the file is its own
    // answer, byte for byte, without a copy being edited.
    let said_once = |key: &str| existing.count(key) == 1;
    if stale.is_empty()
        && wanted
            .iter()
            .all(|(k, v)| existing.get(k) == Some(v.as_str()) && said_once(k))
    {
        return existing.to_string();
    }
    let mut file = existing.clone();
    file.remove_all(stale);
    file.set_all(wanted.iter().map(|(k, v)| (*k, v.as_str())));
    file.to_string()
}

/// netloom's bridge options followed by the user's other ones, in their order: those the
/// model has no place for, and those NetworkManager ignores here (which the import noted as
/// kept), unless netloom sets them.
fn merge_bridging_opts(ours: &str, old: &str, stp: bool) -> String {
    let set: Vec<String> = parse::bond_opts(ours).into_iter().map(|(k, _)| k).collect();
    let kept = parse::bond_opts(old)
        .into_iter()
        .filter(|(k, v)| {
            let read = parse::bridging_opt(&mut BridgeOptions::default(), k, v, stp);
            !set.contains(k) && !matches!(read, Ok(true))
        })
        .map(|(k, v)| if v.is_empty() { k } else { format!("{k}={v}") });
    std::iter::once(ours.to_owned())
        .filter(|o| !o.is_empty())
        .chain(kept)
        .collect::<Vec<_>>()
        .join(" ")
}

/// netloom's bonding options followed by the user's other ones, in their order: those the
/// model has no place for, and those it has but not in this bond's mode (which the import
/// noted as kept).
fn merge_bond_opts(ours: &str, old: &str) -> String {
    let mode = parse::bond_opts(ours)
        .into_iter()
        .find(|(k, _)| k == "mode")
        .and_then(|(_, v)| BondMode::parse_driver(&v).ok());
    let kept = parse::bond_opts(old)
        .into_iter()
        .filter(|(k, v)| {
            // But never lacp_rate fast outside 802.3ad: NetworkManager refuses that profile.
            let refused = k == "lacp_rate" && !matches!(v.as_str(), "slow" | "0");
            !parse::is_managed_bond_option(k)
                || (BondOptions::mode_problem(k, mode).is_some() && !refused)
        })
        .map(|(k, v)| if v.is_empty() { k } else { format!("{k}={v}") });
    std::iter::once(ours.to_owned())
        .filter(|o| !o.is_empty())
        .chain(kept)
        .collect::<Vec<_>>()
        .join(" ")
}
