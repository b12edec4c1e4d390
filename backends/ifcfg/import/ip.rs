//! Addressing, as NetworkManager's ifcfg-rh reader reads it (`make_ip4_setting`,
//! `read_aliases`, `make_ip6_setting`): `BOOTPROTO`, the numbered `IPADDRn` with their
//! `PREFIXn`/`NETMASKn` and `GATEWAYn`, the alias files, `DEFROUTE`, and the host-wide
//! `etc/sysconfig/network` (`GATEWAY`, `GATEWAYDEV`, `IPV6INIT`, `IPV6_DEFAULTGW`,
//! `IPV6_DEFAULTDEV`); then `IPV6INIT`, `IPV6_AUTOCONF` (on unless said off or
//! `IPV6FORWARDING=yes`), `DHCPV6C`, `IPV6ADDR` and `IPV6ADDR_SECONDARIES` (a missing prefix is
//! /64) and `IPV6_DEFAULTGW`.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Importer;
use crate::backend::NoteKind;
use crate::backends::ifcfg::parse::{self, IfcfgFile};
use crate::model::{
    Dhcp, DomainName, Ipv4, Ipv4Address, Ipv4Prefix, Ipv6, Ipv6Address, Ipv6Prefix, RouteFamily,
    parse_host_ipv4, parse_host_ipv6,
};
use crate::syntax::dns::{self, Server};

/// `IPADDR`, `IPADDR0`, `IPADDR1`…: `None` is the key without a number.
fn numbered(base: &str, n: Option<u32>) -> String {
    n.map_or_else(|| base.to_owned(), |n| format!("{base}{n}"))
}

/// A gateway as read: the file and key it is in, and its text.
struct Gateway<'a, 's> {
    file: &'a IfcfgFile<'s>,
    key: String,
    value: &'a str,
}

/// The value of a host-wide key of `etc/sysconfig/network`.
fn network<'a>(im: &Importer<'a, '_>, key: &str) -> Option<&'a str> {
    im.all.network.as_ref().and_then(|n| n.get(key))
}

impl<'a, 's> Importer<'a, 's> {
    /// `<protocol family='ipv4'>`, or `None` when NetworkManager's method is `disabled`.
    pub(super) fn ipv4(&mut self, f: &'a IfcfgFile<'s>) -> Option<Ipv4> {
        let bootproto = self.get(f, "BOOTPROTO");
        let dhcp = match bootproto.map(str::to_ascii_lowercase).as_deref() {
            None | Some("none" | "static") => false,
            Some("dhcp" | "bootp") => true,
            Some("autoip") => {
                let why = "BOOTPROTO=autoip: IPv4 link-local addressing (169.254.0.0/16), \
                           which interface XML cannot express";
                return self.refuse(f, "BOOTPROTO", why.to_owned());
            }
            Some("shared") => {
                let why = "BOOTPROTO=shared: NetworkManager shares this connection with the \
                           devices behind it (NAT and a DHCP server), which interface XML cannot \
                           express; a libvirt network does that";
                return self.refuse(f, "BOOTPROTO", why.to_owned());
            }
            Some(_) => {
                let raw = bootproto.unwrap_or_default();
                let why = format!(
                    "unknown BOOTPROTO '{raw}': NetworkManager refuses this file; expected \
                     none, static, dhcp or bootp"
                );
                return self.refuse(f, "BOOTPROTO", why);
            }
        };
        let peerdns = if dhcp {
            self.boolean(f, "PEERDNS")
        } else {
            None
        };
        let mut addresses = Vec::new();
        let mut gateway: Option<Gateway<'a, 's>> = None;
        self.addresses(f, &mut addresses, &mut gateway);
        let defroute = self.boolean(f, "DEFROUTE");
        self.aliases(f, &mut addresses, &mut gateway, defroute.is_none());
        // The host-wide gateway, for a device with addresses and none of its own.
        if gateway.is_none()
            && !addresses.is_empty()
            && let Some(file) = self.all.network.as_ref()
            && let Some(value) = file.get("GATEWAY")
        {
            gateway = Some(Gateway {
                file,
                key: "GATEWAY".to_owned(),
                value,
            });
        }
        self.unread_gateways(f, gateway.as_ref());
        let gateway = gateway.and_then(|g| self.default_gateway(f, g, defroute));
        if dhcp {
            self.no_default_route(f, defroute, "GATEWAYDEV", "DEFROUTE", "DHCP");
        }
        (dhcp || !addresses.is_empty()).then_some(Ipv4 {
            dhcp: dhcp.then_some(Dhcp { peerdns }),
            addresses,
            gateway,
            routes: Vec::new(),
            dns: Vec::new(),
            search: Vec::new(),
        })
    }

    /// The gateway read, unless NetworkManager adds no default route through it:
    /// `DEFROUTE=no`, or `GATEWAYDEV` in `etc/sysconfig/network` naming another device.
    fn default_gateway(
        &mut self,
        f: &'a IfcfgFile<'s>,
        g: Gateway<'a, 's>,
        defroute: Option<bool>,
    ) -> Option<Ipv4Addr> {
        let gatewaydev = network(self, "GATEWAYDEV").zip(f.get("DEVICE"));
        let why = match gatewaydev {
            Some((dev, me)) if dev != me => Some(format!(
                "GATEWAYDEV={dev} in etc/sysconfig/network makes that device the only one with a \
                 default route"
            )),
            Some(_) => None,
            None if defroute == Some(false) => {
                Some("DEFROUTE=no: NetworkManager adds no default route through it".to_owned())
            }
            None => None,
        };
        if let Some(why) = why {
            if g.file.path == f.path {
                let message = format!("the gateway {} is not a default route: {why}", g.value);
                self.ignore(f, &g.key, message);
            }
            return None;
        }
        match parse_host_ipv4(g.value) {
            Ok(address) => Some(address),
            Err(e) => {
                let message = format!("invalid {} '{}': {e}", g.key, g.value);
                self.report(g.file, &g.key, message);
                None
            }
        }
    }

    /// A note when NetworkManager takes no default route from DHCP or router advertisements
    /// for this device (its `never-default`): `DEFROUTE=no` (or `IPV6_DEFROUTE=no`), or a
    /// host-wide default device (`GATEWAYDEV`, `IPV6_DEFAULTDEV`) that is another. Interface
    /// XML cannot say it.
    fn no_default_route(
        &mut self,
        f: &'a IfcfgFile<'s>,
        defroute: Option<bool>,
        host_key: &str,
        own_key: &str,
        source: &str,
    ) {
        // IPV6_DEFAULTGW=ADDR%DEV names the device before IPV6_DEFAULTDEV does.
        let from_gateway = (host_key == "IPV6_DEFAULTDEV")
            .then(|| network(self, "IPV6_DEFAULTGW"))
            .flatten()
            .and_then(|g| g.split_once('%').map(|(_, d)| ("IPV6_DEFAULTGW", d)));
        let host_dev = from_gateway.or_else(|| network(self, host_key).map(|d| (host_key, d)));
        match (host_dev, f.get("DEVICE")) {
            (Some((host_key, dev)), Some(me)) if dev != me => {
                if let Some(file) = self.all.network.as_ref() {
                    let message = format!(
                        "{host_key} is not imported for {me}: it makes {dev} the only device \
                         with a default route, so NetworkManager takes none from {source} on \
                         {me}, which interface XML cannot say"
                    );
                    self.note(file, NoteKind::NotImported, host_key, message);
                }
            }
            (Some(_), Some(_)) => {}
            _ if defroute == Some(false) => {
                let why = format!(
                    "NetworkManager then takes no default route from {source}, which interface \
                     XML cannot say"
                );
                self.ignore(f, own_key, why);
            }
            _ => {}
        }
    }

    /// Notes for the `GATEWAYn` keys of `f` NetworkManager does not read: beside no
    /// `IPADDRn` (a DHCP gateway comes from the server), or after the first gateway found.
    fn unread_gateways(&mut self, f: &'a IfcfgFile<'s>, read: Option<&Gateway<'a, 's>>) {
        let keys: Vec<&str> = (f.shell.entries())
            .map(|(k, _)| k)
            .filter(|k| parse::index_of(k, "GATEWAY").is_some() && f.get(k).is_some())
            .collect();
        for key in keys {
            if self.was_read(f, key) {
                continue;
            }
            let why = match read {
                Some(g) if g.file.path == f.path => format!(
                    "NetworkManager takes the first gateway beside an address, {}",
                    g.key
                ),
                _ => "NetworkManager reads a GATEWAYn only beside its IPADDRn (with DHCP, the \
                      gateway comes from the server)"
                    .to_owned(),
            };
            self.ignore(f, key, why);
        }
    }

    /// `IPADDR`, `IPADDR0`, `IPADDR1`, then `IPADDR2`, `IPADDR3`… up to the first missing
    /// one, each with its prefix, and the first `GATEWAYn` beside one of them.
    fn addresses(
        &mut self,
        f: &'a IfcfgFile<'s>,
        out: &mut Vec<Ipv4Address>,
        gateway: &mut Option<Gateway<'a, 's>>,
    ) {
        let mut n: Option<u32> = None;
        loop {
            let key = numbered("IPADDR", n);
            if f.get(&key).is_some() {
                if let Some(address) = self.value(f, &key, parse_host_ipv4) {
                    let prefix = self.prefix(f, n, address, None);
                    self.push_address(f, &key, out, address, prefix);
                }
                let key = numbered("GATEWAY", n);
                if gateway.is_none()
                    && let Some(value) = self.get(f, &key)
                {
                    *gateway = Some(Gateway {
                        file: f,
                        key,
                        value,
                    });
                }
            } else if n.is_some_and(|n| n > 1) {
                break;
            }
            n = Some(n.map_or(0, |n| n + 1));
        }
        // Numbered addresses past the gap NetworkManager stops at.
        for (key, _) in f.shell.entries() {
            if parse::index_of(key, "IPADDR").is_some()
                && f.get(key).is_some()
                && !self.was_read(f, key)
            {
                let why = format!(
                    "NetworkManager stops at the first missing IPADDRn from IPADDR2 on, so it \
                     never reads {key}"
                );
                self.ignore(f, key, why);
            }
        }
    }

    /// `PREFIXn`, else `NETMASKn`, else `base` (an alias's device's), else the class's.
    fn prefix(
        &mut self,
        f: &'a IfcfgFile<'s>,
        n: Option<u32>,
        address: Ipv4Addr,
        base: Option<Ipv4Prefix>,
    ) -> Ipv4Prefix {
        let prefix = numbered("PREFIX", n);
        let netmask = numbered("NETMASK", n);
        let read = if f.get(&prefix).is_some() {
            let read = self.value(f, &prefix, Ipv4Prefix::parse);
            // A NETMASKn beside it says the same, or is not read.
            if let Some(mask) = f.get(&netmask) {
                if read.is_some() && Ipv4Prefix::from_netmask(mask.trim()).ok() == read {
                    self.get(f, &netmask);
                } else {
                    let why = format!("NetworkManager reads {prefix} first");
                    self.ignore(f, &netmask, why);
                }
            }
            read
        } else if f.get(&netmask).is_some() {
            self.value(f, &netmask, Ipv4Prefix::from_netmask)
        } else {
            None
        };
        read.or(base)
            .unwrap_or_else(|| Ipv4Prefix::classful(address))
    }

    fn push_address(
        &mut self,
        f: &'a IfcfgFile<'s>,
        key: &str,
        out: &mut Vec<Ipv4Address>,
        address: Ipv4Addr,
        prefix: Ipv4Prefix,
    ) {
        if out.iter().any(|a| a.address == address) {
            let why = format!("the address {address} is given before; NetworkManager keeps one");
            self.ignore(f, key, why);
            return;
        }
        out.push(Ipv4Address {
            address,
            prefix: Some(prefix),
        });
    }

    /// The addresses of the device's alias files (`ifcfg-eth0:1`), in name order, as
    /// `read_aliases` reads them: an alias whose `DEVICE` is not its file's name is ignored,
    /// an address without a prefix takes the device's first one's, and the first alias
    /// gateway counts when the device has no gateway and no `DEFROUTE` of its own.
    fn aliases(
        &mut self,
        f: &'a IfcfgFile<'s>,
        out: &mut Vec<Ipv4Address>,
        gateway: &mut Option<Gateway<'a, 's>>,
        mut defroute_open: bool,
    ) {
        let all = self.all;
        let Some(indices) = all.aliases.get(f.name) else {
            return;
        };
        for &index in indices {
            let Some(alias) = all.list.get(index) else {
                continue;
            };
            self.visited.push(alias);
            let label = alias.name.split_once(':').map_or("", |(_, l)| l);
            if label.is_empty()
                || !label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                let why = "NetworkManager ignores an alias file whose name after ':' is not \
                           letters, digits and '_'";
                self.ignore(alias, "IPADDR", why.to_owned());
                continue;
            }
            match self.get(alias, "DEVICE") {
                Some(d) if d == alias.name => {}
                Some(d) => {
                    let why = format!(
                        "the alias file's DEVICE '{d}' is not its name '{}', so NetworkManager \
                         ignores it",
                        alias.name
                    );
                    self.ignore(alias, "IPADDR", why);
                    continue;
                }
                None => {
                    let why = "the alias file has no DEVICE, so NetworkManager ignores it";
                    self.ignore(alias, "IPADDR", why.to_owned());
                    continue;
                }
            }
            let base = out.first().copied();
            let address = match alias.get("IPADDR") {
                Some(_) => self.value(alias, "IPADDR", parse_host_ipv4),
                None => base.map(|b| b.address),
            };
            let Some(address) = address else { continue };
            let prefix = self.prefix(alias, None, address, base.and_then(|b| b.prefix));
            self.push_address(alias, "IPADDR", out, address, prefix);
            if defroute_open {
                if gateway.is_none()
                    && let Some(value) = self.get(alias, "GATEWAY")
                {
                    *gateway = Some(Gateway {
                        file: alias,
                        key: "GATEWAY".to_owned(),
                        value,
                    });
                    defroute_open = false;
                }
                if self.boolean(alias, "DEFROUTE").is_some() {
                    defroute_open = false;
                }
            }
        }
    }

    /// `<protocol family='ipv6'>`, or `None` when NetworkManager's method is `ignore` or
    /// `disabled`.
    pub(super) fn ipv6(&mut self, f: &'a IfcfgFile<'s>) -> Option<Ipv6> {
        if self.boolean(f, "IPV6_DISABLED") == Some(true) {
            return None;
        }
        let init = match self.boolean(f, "IPV6INIT") {
            Some(init) => init,
            None => network(self, "IPV6INIT").and_then(parse::nm_bool) == Some(true),
        };
        if !init {
            return None;
        }
        let forwarding = self.boolean(f, "IPV6FORWARDING") == Some(true);
        if self.get(f, "IPV6_AUTOCONF") == Some("shared") {
            let why = "IPV6_AUTOCONF=shared: NetworkManager shares this connection over IPv6, \
                       which interface XML cannot express";
            return self.refuse(f, "IPV6_AUTOCONF", why.to_owned());
        }
        let autoconf = self.boolean(f, "IPV6_AUTOCONF").unwrap_or(!forwarding);
        let dhcp = self.boolean(f, "DHCPV6C") == Some(true);
        let peerdns = self.boolean(f, "IPV6_PEERDNS");
        let mut addresses = Vec::new();
        for key in ["IPV6ADDR", "IPV6ADDR_SECONDARIES"] {
            let Some(list) = self.get(f, key) else {
                continue;
            };
            // Older netcf wrapped the list in extra single quotes.
            for text in list.trim().trim_matches('\'').split_whitespace() {
                match v6_address(text) {
                    Ok(a)
                        if addresses
                            .iter()
                            .any(|b: &Ipv6Address| b.address == a.address) =>
                    {
                        let why = format!("the address {} is given before", a.address);
                        self.ignore(f, key, why);
                    }
                    Ok(a) => addresses.push(a),
                    Err(e) => self.report(f, key, format!("invalid {key} '{text}': {e}")),
                }
            }
        }
        let gateway = self.v6_gateway(f, !addresses.is_empty());
        if autoconf || dhcp {
            let defroute = self.boolean(f, "IPV6_DEFROUTE");
            let source = if autoconf {
                "router advertisements"
            } else {
                "DHCPv6"
            };
            self.no_default_route(f, defroute, "IPV6_DEFAULTDEV", "IPV6_DEFROUTE", source);
        }
        Some(Ipv6 {
            autoconf,
            // `<dhcp>` with autoconf says DHCPv6 is asked for too, or carries `peerdns`.
            dhcp: (dhcp || (autoconf && peerdns.is_some())).then_some(Dhcp { peerdns }),
            addresses,
            gateway,
            routes: Vec::new(),
            dns: Vec::new(),
            search: Vec::new(),
        })
    }

    /// `IPV6_DEFAULTGW` (a `%DEV` suffix dropped), else the host-wide one, read only beside
    /// an address, as NetworkManager reads it; not a default route with
    /// `IPV6_DEFROUTE=no` or when the host-wide default device is another.
    fn v6_gateway(&mut self, f: &'a IfcfgFile<'s>, addressed: bool) -> Option<Ipv6Addr> {
        let own = f.get("IPV6_DEFAULTGW");
        if !addressed {
            if own.is_some() {
                let why = "NetworkManager reads IPV6_DEFAULTGW only beside an IPv6 address";
                self.ignore(f, "IPV6_DEFAULTGW", why.to_owned());
            }
            return None;
        }
        let text = match own {
            Some(_) => self.get(f, "IPV6_DEFAULTGW")?,
            None => network(self, "IPV6_DEFAULTGW")?,
        };
        let gw = text.split('%').next().unwrap_or(text);
        let parsed = match parse_host_ipv6(gw) {
            Ok(g) => g,
            Err(e) => {
                self.report(
                    f,
                    "IPV6_DEFAULTGW",
                    format!("invalid IPV6_DEFAULTGW '{text}': {e}"),
                );
                return None;
            }
        };
        let host_dev = network(self, "IPV6_DEFAULTGW")
            .and_then(|g| g.split_once('%').map(|(_, d)| d))
            .or_else(|| network(self, "IPV6_DEFAULTDEV"));
        let me = f.get("DEVICE");
        let defroute = self.boolean(f, "IPV6_DEFROUTE");
        let elsewhere = matches!((host_dev, me), (Some(dev), Some(me)) if dev != me);
        if elsewhere || (host_dev.is_none() && defroute == Some(false)) {
            let why = if elsewhere {
                "the host-wide default device in etc/sysconfig/network is another"
            } else {
                "IPV6_DEFROUTE=no: NetworkManager adds no default route through it"
            };
            if own.is_some() {
                self.ignore(
                    f,
                    "IPV6_DEFAULTGW",
                    format!("the gateway is not a default route: {why}"),
                );
            }
            return None;
        }
        Some(parsed)
    }
}

/// Why a key netloom manages that NetworkManager does not read goes in a merge.
const MERGED_AWAY: &str = "netloom writes it from the declaration, so a merge removes it";

impl<'a, 's> Importer<'a, 's> {
    /// The DNS servers and search domains, as NetworkManager reads them into each family it
    /// reads: `DNS1`, `DNS2`… up to the first missing one, each into its address's family
    /// (a value that is no address makes it refuse the profile); `DOMAIN` (else the old
    /// `SEARCH`) into IPv4, `IPV6_DOMAIN` into IPv6, and `DOMAIN` into IPv6 as well when
    /// IPv4 has no search domain (`check_dns_search_domains`). Domains are separated by
    /// spaces.
    pub(super) fn resolver(
        &mut self,
        f: &'a IfcfgFile<'s>,
        v4: &mut Option<Ipv4>,
        v6: &mut Option<Ipv6>,
    ) {
        self.dns_servers(f, v4, v6);
        self.servers_past_the_gap(f);
        self.search_domains(f, v4, v6);
    }

    /// `DNS1`, `DNS2`… up to the first missing one, each into its address's family when that
    /// family is on; what the model cannot hold is noted as merged away.
    fn dns_servers(&mut self, f: &'a IfcfgFile<'s>, v4: &mut Option<Ipv4>, v6: &mut Option<Ipv6>) {
        let (mut seen4, mut seen6) = (HashSet::new(), HashSet::new());
        let mut n = 1u32;
        while let Some(raw) = f.get(&format!("DNS{n}")) {
            let key = format!("DNS{n}");
            n += 1;
            let off = |family: &str| {
                format!(
                    "{family} is off, and NetworkManager reads no {family} server then; {MERGED_AWAY}"
                )
            };
            let other = |how: &str| {
                format!("the model holds plain servers, and this is {how}; {MERGED_AWAY}")
            };
            match dns::server(raw.trim()) {
                Err(why) if v4.is_some() || v6.is_some() => self.report(
                    f,
                    &key,
                    format!(
                        "invalid {key}: {why}; expected an IPv4 or IPv6 address, and \
                         NetworkManager refuses this profile"
                    ),
                ),
                Err(_) => {}
                Ok(Server::Plain(IpAddr::V4(a))) => match v4.as_mut() {
                    Some(v) => self.server(f, &key, a, &mut v.dns, &mut seen4),
                    None => self.ignore(f, &key, off("IPv4")),
                },
                Ok(Server::Plain(IpAddr::V6(a))) => match v6.as_mut() {
                    Some(v) => self.server(f, &key, a, &mut v.dns, &mut seen6),
                    None => self.ignore(f, &key, off("IPv6")),
                },
                Ok(Server::Other(ip, how)) => {
                    let family = if ip.is_ipv4() { "IPv4" } else { "IPv6" };
                    let on = if ip.is_ipv4() {
                        v4.is_some()
                    } else {
                        v6.is_some()
                    };
                    let why = if on { other(&how) } else { off(family) };
                    self.ignore(f, &key, why);
                }
            }
        }
    }

    /// Servers past the gap NetworkManager stops at, noted as merged away.
    fn servers_past_the_gap(&mut self, f: &'a IfcfgFile<'s>) {
        let past: Vec<String> = (f.shell.entries())
            .map(|(k, _)| k)
            .filter(|k| matches!(parse::index_of(k, "DNS"), Some(Some(_))) && f.get(k).is_some())
            .filter(|k| !self.was_read(f, k))
            .map(str::to_owned)
            .collect();
        for key in past {
            let why = format!("NetworkManager stops at the first missing DNSn; {MERGED_AWAY}");
            self.ignore(f, &key, why);
        }
    }

    /// `DOMAIN` (else `SEARCH`) into IPv4, `IPV6_DOMAIN` into IPv6, and `DOMAIN` into IPv6
    /// too when IPv4 has no search domain; a key of a family that is off is noted.
    fn search_domains(
        &mut self,
        f: &'a IfcfgFile<'s>,
        v4: &mut Option<Ipv4>,
        v6: &mut Option<Ipv6>,
    ) {
        let words =
            |raw: &'a str| -> Vec<&'a str> { raw.split(' ').filter(|w| !w.is_empty()).collect() };
        // NetworkManager's IPv4 search list: DOMAIN, else SEARCH.
        let mut v4_has_search = false;
        if let Some(v) = v4.as_mut() {
            for key in ["DOMAIN", "SEARCH"] {
                let Some(raw) = f.get(key) else { continue };
                if v4_has_search {
                    let why = format!("NetworkManager reads DOMAIN first; {MERGED_AWAY}");
                    self.ignore(f, key, why);
                    continue;
                }
                self.get(f, key);
                let items = words(raw);
                v4_has_search = !items.is_empty();
                self.domains(f, key, &items, &mut v.search);
            }
        }
        if let Some(v) = v6.as_mut() {
            if let Some(raw) = self.get(f, "IPV6_DOMAIN") {
                self.domains(f, "IPV6_DOMAIN", &words(raw), &mut v.search);
            }
            if !v4_has_search && let Some(raw) = self.get(f, "DOMAIN") {
                self.domains(f, "DOMAIN", &words(raw), &mut v.search);
            }
        }
        for (key, family) in [
            ("DOMAIN", "IPv4"),
            ("SEARCH", "IPv4"),
            ("IPV6_DOMAIN", "IPv6"),
        ] {
            if f.get(key).is_some() && !self.was_read(f, key) {
                let why = format!(
                    "{family} is off, and NetworkManager reads no {family} search domain then; \
                     {MERGED_AWAY}"
                );
                self.ignore(f, key, why);
            }
        }
    }

    /// One server of `key` for a family's list: a unicast address, once.
    fn server<A: RouteFamily>(
        &mut self,
        f: &'a IfcfgFile<'s>,
        key: &str,
        server: A,
        out: &mut Vec<A>,
        seen: &mut HashSet<A>,
    ) {
        self.get(f, key);
        if A::parse_host(&server.to_string()).is_err() {
            let why = format!("{server} is not a unicast address; {MERGED_AWAY}");
            self.ignore(f, key, why);
        } else if !seen.insert(server) {
            let why = format!("the server {server} is given before; {MERGED_AWAY}");
            self.ignore(f, key, why);
        } else {
            out.push(server);
        }
    }

    /// The search domains of `key`, each a domain name once (DNS ignores case), into `out`;
    /// a note for each other word, which a merge drops.
    fn domains(
        &mut self,
        f: &'a IfcfgFile<'s>,
        key: &str,
        items: &[&str],
        out: &mut Vec<DomainName>,
    ) {
        let mut seen: HashSet<String> = out.iter().map(DomainName::folded).collect();
        for item in items {
            let why = match DomainName::parse(item) {
                Ok(d) if !seen.insert(d.folded()) => format!("'{item}' is given before"),
                Ok(d) => {
                    out.push(d);
                    continue;
                }
                Err(e) => format!("'{item}' is not a domain name netloom writes: {e}"),
            };
            let message = format!("{key} entry {why}, so it is not imported, and a merge drops it");
            self.note(f, NoteKind::NotImported, key, message);
        }
    }
}

/// `A/P`, or `A` with NetworkManager's default prefix, /64.
fn v6_address(text: &str) -> Result<Ipv6Address, crate::model::ValueError> {
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let address = parse_host_ipv6(addr)?;
    let prefix = match prefix {
        Some(p) => Ipv6Prefix::parse(p)?,
        None => Ipv6Prefix::DEFAULT,
    };
    Ok(Ipv6Address {
        address,
        prefix: Some(prefix),
    })
}
