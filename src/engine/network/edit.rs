//! The change `net update` makes to a network, as `virsh net-update` makes it (libvirt's
//! `virNetworkDefUpdateSection`): pure, on the model. An entry added must not clash with one
//! there (the same MAC, name or address for a DHCP host, the same address for a DNS host,
//! the same name for a TXT record or a portgroup); one deleted or modified must be found;
//! either is refused naming the entry. DNS records cannot be modified, only added and deleted.

use std::net::IpAddr;

use crate::error::{Error, RefusedKind, UsageKind};
use crate::model::network::{
    DhcpHost, Dns, DnsHost, DnsName, NetIp, Network, PortGroup, SrvProtocol, SrvRecord, Text,
};
use crate::source::SourceFile;
use crate::xml::section::{Entry, Key, Section, read_entry, read_key};
use crate::xml::{self, NetworkChecks};

/// What `net update` does with the entry (virsh's commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Put it first.
    AddFirst,
    /// Put it last (`add`).
    AddLast,
    /// Remove the entry it finds.
    Delete,
    /// Put it in the place of the entry it finds.
    Modify,
}

/// One `net update`: the command, the section, the entry's XML, and for `ip-dhcp-host` which
/// `<ip>` (by its index among all of them; by default the one with DHCP).
#[derive(Debug)]
pub struct Edit {
    /// The command.
    pub command: Command,
    /// The section.
    pub section: Section,
    /// The entry.
    pub xml: SourceFile,
    /// `--parent-index`.
    pub parent: Option<usize>,
}

/// `net` with `edit` made, checked as a whole as `net define` checks a network.
pub fn apply(mut net: Network, edit: &Edit) -> Result<Network, Error> {
    let name = net.name.clone();
    match (edit.section, edit.command) {
        (Section::IpDhcpHost, _) => {
            let index = parent(&net, edit.parent)?;
            dhcp_host(&mut net, index, edit)?;
        }
        (section @ (Section::DnsHost | Section::DnsTxt | Section::DnsSrv), Command::Modify) => {
            return Err(Error::refused(
                RefusedKind::Unsupported,
                format!(
                    "{} records cannot be modified, only added or deleted; delete the record of \
                 network '{name}' and add the new one",
                    match section {
                        Section::DnsHost => "DNS host",
                        Section::DnsTxt => "DNS TXT",
                        _ => "DNS SRV",
                    }
                ),
            ));
        }
        (Section::DnsHost | Section::DnsTxt | Section::DnsSrv, _) => dns(&mut net, edit)?,
        (Section::Portgroup, _) => portgroup(&mut net, edit)?,
    }
    checked(net)
}

/// The network read back from its canonical XML with every check of `net define`: an edit
/// that leaves it invalid (DNS records in a network whose DNS is off, DHCP on a second
/// `<ip>` of one family) is refused like a definition would be.
fn checked(net: Network) -> Result<Network, Error> {
    let text = xml::network_to_xml(&net);
    let shown = format!("network '{}' as updated", net.name);
    xml::read_network_with(&SourceFile::new(shown, text), NetworkChecks::Define)
        .map_err(Error::Invalid)?;
    Ok(net)
}

/// The `<ip>` a DHCP host goes into: the one `--parent-index` names, else the first with
/// DHCP ranges or hosts, else the first IPv4 one, else the first.
fn parent(net: &Network, asked: Option<usize>) -> Result<usize, Error> {
    if let Some(i) = asked {
        return if i < net.ips.len() {
            Ok(i)
        } else {
            Err(Error::refused(
                RefusedKind::Missing,
                format!(
                    "network '{}' has no <ip> at index {i} (it has {})",
                    net.name,
                    net.ips.len()
                ),
            ))
        };
    }
    let found = (net.ips.iter().position(NetIp::has_dhcp))
        .or_else(|| net.ips.iter().position(|ip| !ip.is_ipv6()))
        .or_else(|| (!net.ips.is_empty()).then_some(0));
    found.ok_or_else(|| {
        Error::refused(
            RefusedKind::Missing,
            format!(
                "network '{}' has no <ip> for a DHCP host to go into",
                net.name
            ),
        )
    })
}

/// Inserts `item` first or last.
fn insert<T>(list: &mut Vec<T>, item: T, command: Command) {
    if command == Command::AddFirst {
        list.insert(0, item);
    } else {
        list.push(item);
    }
}

/// How a DHCP host is named in a message: `<host mac='…' name='…' ip='…'/>`.
fn shown_host(h: &DhcpHost) -> String {
    let mut out = String::from("<host");
    if let Some(m) = h.mac {
        out.push_str(&format!(" mac='{m}'"));
    }
    if let Some(id) = &h.id {
        out.push_str(&format!(" id='{id}'"));
    }
    if let Some(n) = &h.name {
        out.push_str(&format!(" name='{n}'"));
    }
    if let Some(ip) = h.ip {
        out.push_str(&format!(" ip='{ip}'"));
    }
    out.push_str("/>");
    out
}

/// Whether two DHCP hosts share what a client is matched by or given.
fn clashes(a: &DhcpHost, b: &DhcpHost) -> bool {
    let same = |x: Option<String>, y: Option<String>| x.is_some() && x == y;
    same(a.mac.map(|m| m.to_string()), b.mac.map(|m| m.to_string()))
        || same(
            a.id.as_ref().map(ToString::to_string),
            b.id.as_ref().map(ToString::to_string),
        )
        || same(
            a.name.as_ref().map(ToString::to_string),
            b.name.as_ref().map(ToString::to_string),
        )
        || (a.ip.is_some() && a.ip == b.ip)
}

/// Whether `h` has every attribute `key` gives.
fn matches(key: &DhcpHost, h: &DhcpHost) -> bool {
    key.mac.is_none_or(|m| h.mac == Some(m))
        && key.id.as_ref().is_none_or(|i| h.id.as_ref() == Some(i))
        && key.name.as_ref().is_none_or(|n| h.name.as_ref() == Some(n))
        && key.ip.is_none_or(|a| h.ip == Some(a))
}

fn dhcp_host(net: &mut Network, index: usize, edit: &Edit) -> Result<(), Error> {
    let name = net.name.clone();
    let ip = net.ips.get(index).cloned();
    let hosts = &mut net
        .ips
        .get_mut(index)
        .map(|ip| &mut ip.dhcp.get_or_insert_with(Default::default).hosts)
        .ok_or_else(|| {
            Error::refused(
                RefusedKind::Missing,
                format!("network '{name}' has no <ip> at index {index}"),
            )
        })?;
    if edit.command == Command::Delete {
        let Key::DhcpHost(key) =
            read_key(&edit.xml, Section::IpDhcpHost, ip.as_ref()).map_err(Error::Invalid)?
        else {
            return Err(wrong_entry(edit));
        };
        let at = hosts.iter().position(|h| matches(&key, h)).ok_or_else(|| {
            Error::refused(
                RefusedKind::Missing,
                format!(
                    "network '{name}' has no DHCP host matching {}",
                    shown_host(&key)
                ),
            )
        })?;
        hosts.remove(at);
        return Ok(());
    }
    let Entry::DhcpHost(host) =
        read_entry(&edit.xml, Section::IpDhcpHost, ip.as_ref()).map_err(Error::Invalid)?
    else {
        return Err(wrong_entry(edit));
    };
    match edit.command {
        Command::Modify => {
            let at = hosts
                .iter()
                .position(|h| clashes(&host, h))
                .ok_or_else(|| {
                    Error::refused(RefusedKind::Missing, format!(
                        "network '{name}' has no DHCP host with the MAC, id, name or address of {} \
                     to modify; add it instead",
                        shown_host(&host)
                    ))
                })?;
            hosts[at] = host;
        }
        _ => {
            if let Some(old) = hosts.iter().find(|h| clashes(&host, h)) {
                return Err(Error::refused(
                    RefusedKind::Exists,
                    format!(
                        "network '{name}' has a DHCP host {} already, which shares the MAC, id, name \
                     or address of {}; modify or delete it instead",
                        shown_host(old),
                        shown_host(&host)
                    ),
                ));
            }
            insert(hosts, host, edit.command);
        }
    }
    Ok(())
}

/// An entry of a section read as another section's: cannot happen, since the reader is
/// told the section.
fn wrong_entry(edit: &Edit) -> Error {
    Error::usage(
        UsageKind::WrongXml,
        format!("the XML is not a {} entry", edit.section.as_str()),
    )
}

fn dns(net: &mut Network, edit: &Edit) -> Result<(), Error> {
    let name = net.name.clone();
    let dns = net.dns.get_or_insert_with(Dns::default);
    if edit.command == Command::Delete {
        let key = read_key(&edit.xml, edit.section, None).map_err(Error::Invalid)?;
        return delete_dns(dns, &key, &name.to_string());
    }
    let entry = read_entry(&edit.xml, edit.section, None).map_err(Error::Invalid)?;
    match entry {
        Entry::DnsHost(host) => {
            if dns.hosts.iter().any(|h| h.ip == host.ip) {
                return Err(Error::refused(
                    RefusedKind::Exists,
                    format!(
                        "network '{name}' has a DNS host with address {} already; add the names to \
                     it by deleting it and adding it with all of them",
                        host.ip
                    ),
                ));
            }
            insert(&mut dns.hosts, host, edit.command);
        }
        Entry::Txt(txt) => {
            if dns.txt.iter().any(|t| t.name == txt.name) {
                return Err(Error::refused(
                    RefusedKind::Exists,
                    format!(
                        "network '{name}' has a DNS TXT record named '{}' already",
                        txt.name
                    ),
                ));
            }
            insert(&mut dns.txt, txt, edit.command);
        }
        Entry::Srv(srv) => {
            let key = srv_key(&srv);
            if dns.srv.iter().any(|s| srv_matches(&key, s)) {
                return Err(Error::refused(
                    RefusedKind::Exists,
                    format!(
                        "network '{name}' has a DNS SRV record for {} already",
                        shown_srv(&srv)
                    ),
                ));
            }
            insert(&mut dns.srv, srv, edit.command);
        }
        Entry::DhcpHost(_) | Entry::Portgroup(_) => return Err(wrong_entry(edit)),
    }
    Ok(())
}

/// The fields of an SRV record that find it.
type SrvKey = (
    Option<DnsName>,
    Option<SrvProtocol>,
    Option<DnsName>,
    Option<DnsName>,
);

fn srv_key(s: &SrvRecord) -> SrvKey {
    (
        Some(s.service.clone()),
        Some(s.protocol),
        s.domain.clone(),
        s.target.clone(),
    )
}

/// Whether `s` has every field `key` gives.
fn srv_matches(key: &SrvKey, s: &SrvRecord) -> bool {
    key.0.as_ref().is_none_or(|v| *v == s.service)
        && key.1.is_none_or(|v| v == s.protocol)
        && key.2.as_ref().is_none_or(|v| s.domain.as_ref() == Some(v))
        && key.3.as_ref().is_none_or(|v| s.target.as_ref() == Some(v))
}

fn shown_srv(s: &SrvRecord) -> String {
    let mut out = format!("_{}._{}", s.service, s.protocol.as_str());
    if let Some(d) = &s.domain {
        out.push_str(&format!(".{d}"));
    }
    if let Some(t) = &s.target {
        out.push_str(&format!(" (target {t})"));
    }
    out
}

fn delete_dns(dns: &mut Dns, key: &Key, net: &str) -> Result<(), Error> {
    match key {
        Key::DnsHost { ip, hostnames } => {
            let found: Vec<usize> = (dns.hosts.iter().enumerate())
                .filter(|(_, h)| dns_host_matches(*ip, hostnames, h))
                .map(|(i, _)| i)
                .collect();
            let what = || {
                let mut parts: Vec<String> = ip.iter().map(|a| format!("address {a}")).collect();
                parts.extend(hostnames.iter().map(|n| format!("name '{n}'")));
                parts.join(" or ")
            };
            let at = one(
                &found,
                || format!("network '{net}' has no DNS host with {}", what()),
                || {
                    format!(
                        "{} DNS hosts of network '{net}' have {}; name one by its address",
                        found.len(),
                        what()
                    )
                },
            )?;
            dns.hosts.remove(at);
        }
        Key::Txt { name } => {
            let at = dns
                .txt
                .iter()
                .position(|t| t.name == *name)
                .ok_or_else(|| {
                    Error::refused(
                        RefusedKind::Missing,
                        format!("network '{net}' has no DNS TXT record named '{name}'"),
                    )
                })?;
            dns.txt.remove(at);
        }
        Key::Srv {
            service,
            protocol,
            domain,
            target,
        } => {
            let key: SrvKey = (service.clone(), *protocol, domain.clone(), target.clone());
            let found: Vec<usize> = (dns.srv.iter().enumerate())
                .filter(|(_, s)| srv_matches(&key, s))
                .map(|(i, _)| i)
                .collect();
            let at = one(
                &found,
                || format!("network '{net}' has no DNS SRV record matching all the fields given"),
                || {
                    format!(
                        "{} DNS SRV records of network '{net}' match the fields given; give more of them",
                        found.len()
                    )
                },
            )?;
            dns.srv.remove(at);
        }
        Key::DhcpHost(_) | Key::Portgroup { .. } => {
            return Err(Error::usage(
                UsageKind::WrongXml,
                "the XML is not a DNS record",
            ));
        }
    }
    Ok(())
}

fn dns_host_matches(ip: Option<IpAddr>, names: &[DnsName], h: &DnsHost) -> bool {
    ip.is_some_and(|a| a == h.ip) || names.iter().any(|n| h.hostnames.contains(n))
}

/// The one index in `found`, or the error for none or for several.
fn one(
    found: &[usize],
    none: impl FnOnce() -> String,
    several: impl FnOnce() -> String,
) -> Result<usize, Error> {
    match found {
        [i] => Ok(*i),
        [] => Err(Error::refused(RefusedKind::Missing, none())),
        _ => Err(Error::refused(RefusedKind::Ambiguous, several())),
    }
}

fn portgroup(net: &mut Network, edit: &Edit) -> Result<(), Error> {
    let name = net.name.clone();
    let wanted: Text = if edit.command == Command::Delete {
        match read_key(&edit.xml, Section::Portgroup, None).map_err(Error::Invalid)? {
            Key::Portgroup { name } => name,
            _ => return Err(wrong_entry(edit)),
        }
    } else {
        match read_entry(&edit.xml, Section::Portgroup, None).map_err(Error::Invalid)? {
            Entry::Portgroup(pg) => return put_portgroup(net, pg, edit.command),
            _ => return Err(wrong_entry(edit)),
        }
    };
    let at = (net.portgroups.iter().position(|p| p.name == wanted)).ok_or_else(|| {
        Error::refused(
            RefusedKind::Missing,
            format!("network '{name}' has no portgroup named '{wanted}'"),
        )
    })?;
    net.portgroups.remove(at);
    Ok(())
}

fn put_portgroup(net: &mut Network, pg: PortGroup, command: Command) -> Result<(), Error> {
    let name = net.name.clone();
    let found = net.portgroups.iter().position(|p| p.name == pg.name);
    if pg.default == Some(true)
        && let Some(other) = net
            .portgroups
            .iter()
            .find(|p| p.default == Some(true) && p.name != pg.name)
    {
        return Err(Error::refused(
            RefusedKind::Exists,
            format!(
                "portgroup '{}' of network '{name}' is the default already; only one may be",
                other.name
            ),
        ));
    }
    match (command, found) {
        (Command::Modify, Some(at)) => net.portgroups[at] = pg,
        (Command::Modify, None) => {
            return Err(Error::refused(
                RefusedKind::Missing,
                format!(
                    "network '{name}' has no portgroup named '{}' to modify; add it instead",
                    pg.name
                ),
            ));
        }
        (_, Some(_)) => {
            return Err(Error::refused(
                RefusedKind::Exists,
                format!(
                    "network '{name}' has a portgroup named '{}' already; modify it instead",
                    pg.name
                ),
            ));
        }
        (_, None) => insert(&mut net.portgroups, pg, command),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = "<network><name>n</name><forward/><bridge name='nlb0'/>\
        <ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.100' end='10.0.0.199'/>\
        <host mac='52:54:00:00:00:01' name='a' ip='10.0.0.5'/></dhcp></ip>\
        <ip family='ipv6' address='fd00::1' prefix='64'/>\
        <portgroup name='p' default='yes'/></network>";

    fn net() -> Network {
        xml::read_network_str("n.xml", NET).unwrap()
    }

    fn edit(command: Command, section: Section, xml: &str) -> Edit {
        Edit {
            command,
            section,
            xml: SourceFile::new("<XML>", xml),
            parent: None,
        }
    }

    fn run(command: Command, section: Section, xml: &str) -> Result<Network, Error> {
        apply(net(), &edit(command, section, xml))
    }

    /// The message of a refusal of kind `want`; anything else fails the test.
    #[track_caller]
    fn refused(want: RefusedKind, r: Result<Network, Error>) -> String {
        match r {
            Err(Error::Refused { kind, message }) if kind == want => message,
            other => panic!("wanted a refusal, got {other:?}"),
        }
    }

    fn hosts(n: &Network) -> Vec<String> {
        let d = n.ips[0].dhcp.as_ref().unwrap();
        d.hosts.iter().map(shown_host).collect()
    }

    #[test]
    fn dhcp_hosts_are_added_first_or_last_modified_in_place_and_deleted_by_what_is_given() {
        let host = "<host mac='52:54:00:00:00:02' name='b' ip='10.0.0.6'/>";
        let last = run(Command::AddLast, Section::IpDhcpHost, host).unwrap();
        assert_eq!(hosts(&last)[1], host);
        let first = run(Command::AddFirst, Section::IpDhcpHost, host).unwrap();
        assert_eq!(hosts(&first)[0], host);
        // Modify finds the host by any of mac, name, ip.
        let m = run(
            Command::Modify,
            Section::IpDhcpHost,
            "<host mac='52:54:00:00:00:09' name='a' ip='10.0.0.9'/>",
        )
        .unwrap();
        assert_eq!(
            hosts(&m),
            ["<host mac='52:54:00:00:00:09' name='a' ip='10.0.0.9'/>"]
        );
        // Delete needs every attribute given to match.
        let gone = run(Command::Delete, Section::IpDhcpHost, "<host name='a'/>").unwrap();
        assert!(hosts(&gone).is_empty());
        let msg = refused(
            RefusedKind::Missing,
            run(
                Command::Delete,
                Section::IpDhcpHost,
                "<host name='a' ip='10.0.0.6'/>",
            ),
        );
        assert_eq!(
            msg,
            "network 'n' has no DHCP host matching <host name='a' ip='10.0.0.6'/>"
        );
        for clash in [
            "<host mac='52:54:00:00:00:01' name='c' ip='10.0.0.7'/>",
            "<host mac='52:54:00:00:00:03' name='a' ip='10.0.0.7'/>",
            "<host mac='52:54:00:00:00:03' name='c' ip='10.0.0.5'/>",
        ] {
            let msg = refused(
                RefusedKind::Exists,
                run(Command::AddLast, Section::IpDhcpHost, clash),
            );
            assert!(
                msg.starts_with(
                    "network 'n' has a DHCP host <host mac='52:54:00:00:00:01' name='a' \
                     ip='10.0.0.5'/> already"
                ),
                "{msg}"
            );
        }
        let msg = refused(
            RefusedKind::Missing,
            run(
                Command::Modify,
                Section::IpDhcpHost,
                "<host mac='52:54:00:00:00:03' name='c' ip='10.0.0.7'/>",
            ),
        );
        assert!(msg.contains("no DHCP host with the MAC"), "{msg}");
    }

    #[test]
    fn parent_index_picks_the_ip_and_its_family_rules() {
        let mut e = edit(
            Command::AddLast,
            Section::IpDhcpHost,
            "<host id='0:3:0:1:0:16:3e:11:22:33' ip='fd00::5'/>",
        );
        e.parent = Some(1);
        let n = apply(net(), &e).unwrap();
        assert_eq!(n.ips[1].dhcp.as_ref().unwrap().hosts.len(), 1);
        e.parent = Some(2);
        assert_eq!(
            refused(RefusedKind::Missing, apply(net(), &e)),
            "network 'n' has no <ip> at index 2 (it has 2)"
        );
        // The default is the <ip> with DHCP, whose family refuses an id.
        e.parent = None;
        match apply(net(), &e) {
            Err(Error::Invalid(d)) => {
                assert!(
                    d.to_string().contains("<XML>:1:1: an IPv4 <dhcp><host>"),
                    "{d}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dns_records_are_added_and_deleted_never_modified() {
        let n = run(
            Command::AddLast,
            Section::DnsHost,
            "<host ip='10.0.0.50'><hostname>www</hostname></host>",
        )
        .unwrap();
        let e = |c, s, x| edit(c, s, x);
        let again = apply(
            n.clone(),
            &e(
                Command::AddLast,
                Section::DnsHost,
                "<host ip='10.0.0.50'><hostname>other</hostname></host>",
            ),
        );
        assert!(
            refused(RefusedKind::Exists, again)
                .contains("has a DNS host with address 10.0.0.50 already")
        );
        // A second address with the same name is legitimate.
        let two = apply(
            n.clone(),
            &e(
                Command::AddLast,
                Section::DnsHost,
                "<host ip='10.0.0.51'><hostname>www</hostname></host>",
            ),
        )
        .unwrap();
        let by_name = apply(
            two.clone(),
            &e(
                Command::Delete,
                Section::DnsHost,
                "<host><hostname>www</hostname></host>",
            ),
        );
        assert!(
            refused(RefusedKind::Ambiguous, by_name)
                .starts_with("2 DNS hosts of network 'n' have name 'www'")
        );
        let by_ip = apply(
            two,
            &e(Command::Delete, Section::DnsHost, "<host ip='10.0.0.51'/>"),
        )
        .unwrap();
        assert_eq!(by_ip.dns.as_ref().unwrap().hosts.len(), 1);
        assert!(
            refused(
                RefusedKind::Unsupported,
                apply(
                    n,
                    &e(
                        Command::Modify,
                        Section::DnsHost,
                        "<host ip='10.0.0.50'><hostname>www</hostname></host>"
                    )
                )
            )
            .starts_with("DNS host records cannot be modified")
        );

        let t = run(
            Command::AddLast,
            Section::DnsTxt,
            "<txt name='t' value='v'/>",
        )
        .unwrap();
        let dup = apply(
            t.clone(),
            &e(
                Command::AddLast,
                Section::DnsTxt,
                "<txt name='t' value='w'/>",
            ),
        );
        assert_eq!(
            refused(RefusedKind::Exists, dup),
            "network 'n' has a DNS TXT record named 't' already"
        );
        let gone = apply(t, &e(Command::Delete, Section::DnsTxt, "<txt name='t'/>")).unwrap();
        assert!(gone.dns.unwrap().txt.is_empty());

        let srv = "<srv service='http' protocol='tcp' target='www' port='80'/>";
        let s = run(Command::AddLast, Section::DnsSrv, srv).unwrap();
        assert!(
            refused(
                RefusedKind::Exists,
                apply(s.clone(), &e(Command::AddLast, Section::DnsSrv, srv))
            )
            .contains("has a DNS SRV record for _http._tcp (target www) already")
        );
        let none = apply(
            s.clone(),
            &e(Command::Delete, Section::DnsSrv, "<srv service='ftp'/>"),
        );
        assert!(refused(RefusedKind::Missing, none).contains("no DNS SRV record matching"));
        let gone = apply(
            s,
            &e(Command::Delete, Section::DnsSrv, "<srv protocol='tcp'/>"),
        )
        .unwrap();
        assert!(gone.dns.unwrap().srv.is_empty());
    }

    #[test]
    fn portgroups_by_name_with_one_default() {
        let q = run(
            Command::AddLast,
            Section::Portgroup,
            "<portgroup name='q'/>",
        )
        .unwrap();
        assert_eq!(q.portgroups.len(), 2);
        assert_eq!(
            refused(
                RefusedKind::Exists,
                run(
                    Command::AddLast,
                    Section::Portgroup,
                    "<portgroup name='p'/>"
                )
            ),
            "network 'n' has a portgroup named 'p' already; modify it instead"
        );
        assert_eq!(
            refused(
                RefusedKind::Exists,
                run(
                    Command::AddLast,
                    Section::Portgroup,
                    "<portgroup name='q' default='yes'/>"
                )
            ),
            "portgroup 'p' of network 'n' is the default already; only one may be"
        );
        let m = run(Command::Modify, Section::Portgroup, "<portgroup name='p'/>").unwrap();
        assert_eq!(m.portgroups[0].default, None);
        assert!(
            refused(
                RefusedKind::Missing,
                run(Command::Delete, Section::Portgroup, "<portgroup name='z'/>")
            )
            .contains("no portgroup named 'z'")
        );
    }

    #[test]
    fn a_change_that_leaves_the_network_invalid_is_refused_as_define_would() {
        let off = NET.replace("<forward/>", "<forward/><dns enable='no'/>");
        let n = xml::read_network_str("n.xml", &off).unwrap();
        let r = apply(
            n,
            &edit(
                Command::AddLast,
                Section::DnsHost,
                "<host ip='10.0.0.50'><hostname>www</hostname></host>",
            ),
        );
        match r {
            Err(Error::Invalid(d)) => {
                let text = d.to_string();
                assert!(text.contains("network 'n' as updated:"), "{text}");
                assert!(text.contains("<dns enable='no'> cannot have"), "{text}");
            }
            other => panic!("{other:?}"),
        }
    }
}
