//! The rule list and both spellings of it, on hand-built networks. The conformance test
//! (`tests/firewall_conf.rs`) compares with libvirt's own output and the live test
//! (`tests/firewall_live.rs`) loads everything into a kernel.

use std::net::IpAddr;

use crate::backend::{NetBackend, NetContext, RenderedFile};
use crate::backends::{iptables, nftables};
use crate::model::IfaceName;
use crate::model::network::{
    BridgeDef, BridgeName, DhcpRange, Forward, ForwardMode, Nat, NetDhcp, NetIp, NetName, Network,
    Text,
};

use super::*;

fn ip(addr: &str, prefix: u8, dhcp: bool) -> NetIp {
    let address: IpAddr = addr.parse().unwrap();
    NetIp {
        family: None,
        address,
        netmask: None,
        prefix: Some(prefix),
        local_ptr: None,
        tftp_root: None,
        dhcp: dhcp.then(|| NetDhcp {
            ranges: vec![DhcpRange {
                start: address,
                end: address,
                lease: None,
            }],
            ..NetDhcp::default()
        }),
    }
}

fn network(bridge: &str, mode: Option<ForwardMode>, ips: Vec<NetIp>) -> Network {
    Network {
        name: NetName::parse("default").unwrap(),
        bridge: Some(BridgeDef {
            name: Some(BridgeName::parse(bridge).unwrap()),
            ..BridgeDef::default()
        }),
        forward: mode.map(|m| Forward {
            mode: Some(m),
            ..Forward::default()
        }),
        ips,
        ..Network::default()
    }
}

fn render(net: &Network) -> (Vec<RenderedFile>, Vec<RenderedFile>) {
    let ctx = NetContext::default();
    (
        iptables::Iptables.render(net, &ctx).unwrap(),
        nftables::Nftables.render(net, &ctx).unwrap(),
    )
}

#[test]
fn an_isolated_ipv4_network_gets_the_host_services_and_the_rejects_only() {
    let net = network("virbr0", None, vec![ip("192.168.122.1", 24, true)]);
    let (ipt, nft) = render(&net);
    assert_eq!(ipt.len(), 1, "no IPv6 file without IPv6 rules");
    assert_eq!(ipt[0].path, "var/lib/netloom/firewall/default.iptables");
    assert_eq!(ipt[0].mode, 0o644);
    let body: Vec<&str> = ipt[0]
        .contents
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(
        body,
        [
            "*filter",
            "-I LIBVIRT_INP --in-interface virbr0 --protocol tcp --destination-port 67 --jump ACCEPT",
            "-I LIBVIRT_INP --in-interface virbr0 --protocol udp --destination-port 67 --jump ACCEPT",
            "-I LIBVIRT_OUT --out-interface virbr0 --protocol tcp --destination-port 68 --jump ACCEPT",
            "-I LIBVIRT_OUT --out-interface virbr0 --protocol udp --destination-port 68 --jump ACCEPT",
            "-I LIBVIRT_INP --in-interface virbr0 --protocol tcp --destination-port 53 --jump ACCEPT",
            "-I LIBVIRT_INP --in-interface virbr0 --protocol udp --destination-port 53 --jump ACCEPT",
            "-I LIBVIRT_OUT --out-interface virbr0 --protocol tcp --destination-port 53 --jump ACCEPT",
            "-I LIBVIRT_OUT --out-interface virbr0 --protocol udp --destination-port 53 --jump ACCEPT",
            "-I LIBVIRT_FWO --in-interface virbr0 --jump REJECT",
            "-I LIBVIRT_FWI --out-interface virbr0 --jump REJECT",
            "-I LIBVIRT_FWX --in-interface virbr0 --out-interface virbr0 --jump ACCEPT",
            "COMMIT",
            "*mangle",
            "-I LIBVIRT_PRT --out-interface virbr0 --protocol udp --destination-port 68 --jump CHECKSUM --checksum-fill",
            "COMMIT",
        ]
    );
    assert_eq!(nft[0].path, "var/lib/netloom/firewall/default.nft");
    let body: Vec<&str> = nft[0]
        .contents
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(
        body,
        [
            "insert rule ip libvirt_network guest_output iif \"virbr0\" counter reject",
            "insert rule ip libvirt_network guest_input oif \"virbr0\" counter reject",
            "insert rule ip libvirt_network guest_cross iif \"virbr0\" oif \"virbr0\" counter accept",
        ]
    );
}

#[test]
fn open_and_host_device_networks_get_no_files() {
    for mode in [
        ForwardMode::Open,
        ForwardMode::Bridge,
        ForwardMode::Private,
        ForwardMode::Vepa,
        ForwardMode::Passthrough,
        ForwardMode::Hostdev,
    ] {
        let net = network("virbr0", Some(mode), vec![ip("10.0.0.1", 24, true)]);
        let (ipt, nft) = render(&net);
        assert!(ipt.is_empty() && nft.is_empty(), "{mode:?}");
        assert_eq!(nftables::tc_checksum_fix(&net).unwrap(), None);
    }
}

#[test]
fn snat_ranges_and_port_ranges_are_spelled_for_both_tools() {
    let mut net = network(
        "virbr0",
        Some(ForwardMode::Nat),
        vec![ip("10.1.2.3", 16, false)],
    );
    if let Some(f) = net.forward.as_mut() {
        f.dev = Some(IfaceName::parse("eth0").unwrap());
        f.nat = Some(Nat {
            ipv6: None,
            address: Some(("192.0.2.10".parse().unwrap(), "192.0.2.20".parse().unwrap())),
            port: Some((500, 1000)),
        });
    }
    let (ipt, nft) = render(&net);
    let ipt = &ipt[0].contents;
    assert!(ipt.contains("-I LIBVIRT_PRT --source 10.1.0.0/16 -p tcp ! --destination 10.1.0.0/16 --out-interface eth0 --jump SNAT --to-source 192.0.2.10-192.0.2.20:500-1000\n"), "{ipt}");
    assert!(ipt.contains("-I LIBVIRT_PRT --source 10.1.0.0/16 ! --destination 10.1.0.0/16 --out-interface eth0 --jump SNAT --to-source 192.0.2.10-192.0.2.20\n"), "{ipt}");
    let nft = &nft[0].contents;
    assert!(nft.contains("guest_nat meta l4proto udp ip saddr 10.1.0.0/16 ip daddr != 10.1.0.0/16 oifname \"eth0\" counter snat to 192.0.2.10-192.0.2.20:500-1000\n"), "{nft}");
    assert!(nft.contains("guest_nat ip saddr 10.1.0.0/16 ip daddr != 10.1.0.0/16 oifname \"eth0\" counter snat to 192.0.2.10-192.0.2.20\n"), "{nft}");
}

#[test]
fn what_libvirt_refuses_is_refused_with_the_network_named() {
    let mut bad_ports = network(
        "virbr0",
        Some(ForwardMode::Nat),
        vec![ip("10.0.0.1", 8, false)],
    );
    if let Some(f) = bad_ports.forward.as_mut() {
        f.nat = Some(Nat {
            port: Some((1000, 1000)),
            ..Nat::default()
        });
    }
    let mut snat_v6 = network(
        "virbr0",
        Some(ForwardMode::Nat),
        vec![ip("fd00::1", 64, false)],
    );
    if let Some(f) = snat_v6.forward.as_mut() {
        f.nat = Some(Nat {
            ipv6: Some(true),
            address: Some(("192.0.2.1".parse().unwrap(), "192.0.2.1".parse().unwrap())),
            port: None,
        });
    }
    let template = network("virbr%d", None, vec![]);
    for (net, want) in [
        (bad_ports, "invalid NAT port range 1000-1000"),
        (snat_v6, "cannot translate the IPv6"),
        (template, "need the bridge's name"),
    ] {
        let firewalls: [&dyn crate::backend::NetBackend; 2] = [
            &crate::backends::iptables::Iptables,
            &crate::backends::nftables::Nftables,
        ];
        for backend in firewalls {
            let err = backend.render(&net, &NetContext::default()).unwrap_err();
            let text = err.to_string();
            assert!(
                text.starts_with("network 'default': ") && text.contains(want),
                "{text}"
            );
        }
    }
}

/// Every value that reaches a rule is a newtype: interface names are letters, digits and
/// `_ . -`, addresses and numbers print as themselves. So each lands as exactly one word of
/// exactly one line, whatever the network is called, and nothing can open a comment,
/// a quote or a second command.
#[test]
fn no_value_can_break_out_of_its_word() {
    for bad in [
        "a b", "a\"b", "a'b", "a;b", "a\nb", "a#b", "a+", "a*", "a{b", "a\\b", "a$b",
    ] {
        assert!(IfaceName::parse(bad).is_err(), "{bad:?}");
    }
    let odd = ["1-a.b_c", "-x", "e.x-1234567890"];
    let mut net = network(
        odd[0],
        Some(ForwardMode::Route),
        vec![ip("fd00:1::1", 48, true)],
    );
    net.name = NetName::parse("n\" ; flush ruleset # '$(x)").unwrap();
    net.ips[0].tftp_root = Some(Text::parse("/x\" y").unwrap());
    if let Some(f) = net.forward.as_mut() {
        f.dev = Some(IfaceName::parse(odd[1]).unwrap());
    }
    let (ipt, nft) = render(&net);
    for file in ipt.iter().chain(&nft) {
        assert!(!file.contents.contains("ruleset"), "{}", file.contents);
        assert!(!file.path.contains('/') || file.path.starts_with(DIR));
        for line in file
            .contents
            .lines()
            .filter(|l| l.starts_with("-I ") || l.starts_with("insert "))
        {
            // Both names appear only as whole words (nft: quoted whole words).
            for word in line.split(' ') {
                let bare = word.trim_matches('"');
                assert!(
                    bare.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-:/,!=".contains(c)),
                    "{word:?} in {line:?}"
                );
                if word.starts_with('"') {
                    assert!(word.ends_with('"') && odd.contains(&bare), "{word:?}");
                }
            }
        }
    }
    assert_eq!(
        nft[0].path,
        format!("{DIR}/n&quot; ; flush ruleset # &apos;$(x).nft")
    );
}

#[test]
fn the_iptables_removal_turns_each_insertion_into_a_deletion_and_refuses_the_rest() {
    let net = network("virbr0", None, vec![ip("fd00::1", 64, false)]);
    let (ipt, _) = render(&net);
    let v6 = &ipt[0];
    assert!(v6.path.ends_with("default.ip6tables"));
    let undo = iptables::removal(&v6.contents).unwrap();
    let loaded: Vec<&str> = v6
        .contents
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    let undo: Vec<&str> = undo.lines().collect();
    assert_eq!(loaded.len(), undo.len());
    for (a, b) in loaded.iter().zip(&undo) {
        match a.strip_prefix("-I ") {
            Some(rest) => assert_eq!(*b, format!("-D {rest}")),
            None => assert_eq!(a, b),
        }
    }
    for bad in [
        "-A LIBVIRT_INP -j ACCEPT",
        "-I INPUT -j ACCEPT",
        "-I LIBVIRT_INP 1 -j ACCEPT",
        ":LIBVIRT_INP - [0:0]",
        "-F LIBVIRT_INP",
        "*raw",
    ] {
        let err = iptables::removal(&format!("*filter\n{bad}\nCOMMIT\n")).unwrap_err();
        assert_eq!(err.line, 2, "{bad}");
    }
}

#[test]
fn the_nft_removal_deletes_by_the_handles_nft_echoed() {
    // What nft 1.0.6 printed for `nft --echo --handle -f` (one insert even carries the
    // position handle in the middle).
    let echo = "insert rule ip libvirt_network guest_output iif \"virbr0\" counter packets 0 bytes 0 reject # handle 10\n\
        insert rule ip libvirt_network guest_nat handle 14 ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter packets 0 bytes 0 snat to 10.0.0.1-10.0.0.5 # handle 13\n\
        insert rule ip6 libvirt_network guest_input oif \"virbr0\" counter packets 0 bytes 0 reject # handle 7\n\
        # new generation 3 by process 21242 (nft)\n";
    assert_eq!(
        nftables::removal(echo).unwrap(),
        "delete rule ip6 libvirt_network guest_input handle 7\n\
         delete rule ip libvirt_network guest_nat handle 13\n\
         delete rule ip libvirt_network guest_output handle 10\n"
    );
    for bad in [
        "insert rule ip filter INPUT accept # handle 3",
        "insert rule ip libvirt_network forward counter jump guest_output # handle 3",
        "insert rule inet libvirt_network guest_nat return # handle 3",
        "insert rule ip libvirt_network guest_nat return # handle 3; flush ruleset",
        "insert rule ip libvirt_network guest_nat return",
        "add table ip libvirt_network",
    ] {
        assert!(nftables::removal(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_base_steps_create_chains_without_ever_declaring_them() {
    let steps = iptables::base_steps();
    assert_eq!(steps.len(), 28);
    // netloom's DNAT chain comes apart from libvirt's setup: made and hooked, per family.
    let dnat = iptables::dnat_base_steps();
    assert_eq!(dnat.len(), 4);
    assert!(dnat[1].input.contains("-I PREROUTING --jump NETLOOM_DNAT"));
    for s in &steps {
        assert!(
            !s.input.contains("\n:"),
            "a ':CHAIN' line would flush: {}",
            s.input
        );
    }
    assert!(iptables::base().contains("-N LIBVIRT_FWX\n-I FORWARD --jump LIBVIRT_FWX\n"));
    let nft = nftables::base_steps();
    assert_eq!(
        nft[1].probe,
        ["nft", "list", "table", "ip6", "libvirt_network"]
    );
    assert!(nft[1].input.starts_with("add table ip6 libvirt_network\n"));
    // netloom's DNAT chain is a step of its own, so a table libvirt made gets it too.
    let dnat = nftables::dnat_base_steps();
    assert_eq!(
        dnat[0].probe,
        [
            "nft",
            "list",
            "chain",
            "ip",
            "libvirt_network",
            "guest_dnat"
        ]
    );
    assert!(dnat[0].input.contains("hook prerouting"));
}

#[test]
fn the_tc_fix_names_the_bridge_in_each_command() {
    let net = network(
        "br-x",
        Some(ForwardMode::Nat),
        vec![ip("10.0.0.1", 24, false)],
    );
    let tc = nftables::tc_checksum_fix(&net).unwrap().unwrap();
    assert_eq!(
        tc.show_qdisc,
        ["tc", "qdisc", "show", "dev", "br-x", "handle", "1:"]
    );
    assert_eq!(tc.add_filter[2], "add");
    assert_eq!(tc.del_filter[2], "del");
    assert_eq!(tc.add_filter[3..], tc.del_filter[3..]);
}

#[test]
fn the_iptables_base_removal_takes_jumps_then_chains_one_table_at_a_time() {
    let steps = iptables::base_steps();
    // Everything loaded: one input per family and table, jumps first, newest first.
    let all = iptables::base_removal(&steps);
    let tables: Vec<(&str, &str)> = all
        .iter()
        .map(|(l, i)| (l[0].as_str(), i.lines().next().unwrap()))
        .collect();
    assert_eq!(
        tables,
        [
            ("iptables-restore", "*filter"),
            ("iptables-restore", "*nat"),
            ("iptables-restore", "*mangle"),
            ("ip6tables-restore", "*filter"),
            ("ip6tables-restore", "*nat"),
            ("ip6tables-restore", "*mangle"),
        ]
    );
    assert_eq!(
        all[0].1,
        "*filter\n-D FORWARD --jump LIBVIRT_FWX\n-D FORWARD --jump LIBVIRT_FWI\n\
         -D FORWARD --jump LIBVIRT_FWO\n-D OUTPUT --jump LIBVIRT_OUT\n\
         -D INPUT --jump LIBVIRT_INP\n-X LIBVIRT_FWX\n-X LIBVIRT_FWI\n-X LIBVIRT_FWO\n\
         -X LIBVIRT_OUT\n-X LIBVIRT_INP\nCOMMIT\n"
    );
    // Only a missing jump was loaded: only that jump comes off, the chain stays.
    let jump = steps
        .iter()
        .find(|s| s.input.contains("-I FORWARD --jump LIBVIRT_FWI"))
        .unwrap();
    assert_eq!(
        iptables::base_removal(std::slice::from_ref(jump)),
        [(
            jump.loader.clone(),
            "*filter\n-D FORWARD --jump LIBVIRT_FWI\nCOMMIT\n".to_owned()
        )]
    );
    assert!(iptables::base_removal(&[]).is_empty());
}

#[test]
fn the_nft_base_counts_as_in_use_while_any_rule_but_its_jumps_is_left() {
    let doc = |rules: &str| {
        format!(
            r#"{{"nftables": [{{"metainfo": {{"version": "1.0.6"}}}},
            {{"table": {{"family": "ip", "name": "libvirt_network", "handle": 1}}}}{rules}]}}"#
        )
    };
    let rule = |chain: &str| {
        format!(
            r#", {{"rule": {{"family": "ip", "table": "libvirt_network", "chain": "{chain}", "handle": 3, "expr": []}}}}"#
        )
    };
    let jumps = rule("forward").repeat(3);
    assert_eq!(nftables::base_in_use(&doc(&jumps)), Some(false));
    assert_eq!(nftables::base_in_use(&doc("")), Some(false));
    let guest = format!("{jumps}{}", rule("guest_output"));
    assert_eq!(nftables::base_in_use(&doc(&guest)), Some(true));
    let extra = format!("{jumps}{}", rule("forward"));
    assert_eq!(nftables::base_in_use(&doc(&extra)), Some(true));
    assert_eq!(nftables::base_in_use("not json"), None);
    assert_eq!(
        nftables::base_removal(Family::Ipv6),
        "delete table ip6 libvirt_network\n"
    );
}

/// The design's example on a nat network, with a peer of a cross-host network.
fn design() -> Network {
    crate::xml::read_network_str(
        "d.xml",
        "<network xmlns:nl='urn:netloom:xml:1'>
  <name>d</name>
  <forward mode='nat'/>
  <bridge name='virbr5'/>
  <ip address='192.168.50.1' prefix='24'>
    <dhcp>
      <range start='192.168.50.100' end='192.168.50.150'/>
      <host mac='52:54:00:00:00:01' name='foobar' ip='192.168.50.5'/>
    </dhcp>
  </ip>
  <nl:listen address='172.31.0.5'/>
  <nl:connections><nl:connection address='172.31.0.6' dhcp='none'/></nl:connections>
  <nl:forwarding>
    <nl:incoming default='deny'><nl:allow port='123' domain='foobar' destport='321'/></nl:incoming>
    <nl:outgoing default='allow'><nl:deny port='25'/></nl:outgoing>
  </nl:forwarding>
</network>",
    )
    .unwrap()
}

#[test]
fn the_policy_comes_after_libvirts_rules_so_the_kernel_puts_it_first() {
    let plan = plan(&design()).unwrap().unwrap();
    let at = |f: &dyn Fn(&Rule) -> bool| plan.rules.iter().position(|p| f(&p.rule)).unwrap();
    let allow_out = at(&|r| matches!(r, Rule::AllowOut { .. }));
    let deny = at(&|r| matches!(r, Rule::OutDeny { .. }));
    let dnat_accept = at(&|r| matches!(r, Rule::AllowDnat { .. }));
    let allow_in = at(&|r| matches!(r, Rule::AllowIn { .. }));
    assert!(deny > allow_out && dnat_accept > allow_in, "{plan:#?}");
    let ipt = iptables::Iptables
        .render(&design(), &NetContext::default())
        .unwrap();
    let v4 = &ipt
        .iter()
        .find(|f| f.path.ends_with(".iptables"))
        .unwrap()
        .contents;
    for want in [
        "-I NETLOOM_DNAT ! --in-interface virbr5 --protocol tcp --match addrtype --dst-type LOCAL \
         --destination-port 123 --jump DNAT --to-destination 192.168.50.5:321",
        "-I LIBVIRT_FWI --destination 192.168.50.5/32 --out-interface virbr5 --protocol tcp \
         --destination-port 321 --match conntrack --ctstate DNAT --jump ACCEPT",
        "-I LIBVIRT_FWO --in-interface virbr5 --protocol tcp --destination-port 25 --match \
         conntrack --ctstate NEW --jump REJECT",
        "-I LIBVIRT_INP --source 172.31.0.6/32 --destination 172.31.0.5/32 --protocol udp \
         --destination-port 4789 --jump ACCEPT",
    ] {
        assert!(v4.contains(want), "{want}\nmissing from:\n{v4}");
    }
    // What was loaded comes off again: the new chain is one removal accepts.
    assert!(iptables::removal(v4).unwrap().contains("-D NETLOOM_DNAT "));
    let nft = nftables::Nftables
        .render(&design(), &NetContext::default())
        .unwrap();
    let text = &nft[0].contents;
    for want in [
        "insert rule ip libvirt_network guest_dnat iifname != \"virbr5\" fib daddr type local \
         tcp dport 123 counter dnat to 192.168.50.5:321",
        "insert rule ip libvirt_network guest_input oif \"virbr5\" ip daddr 192.168.50.5 tcp \
         dport 321 ct status dnat counter accept",
        "insert rule ip libvirt_network guest_output iif \"virbr5\" tcp dport 25 ct state new \
         counter reject",
    ] {
        assert!(text.contains(want), "{want}\nmissing from:\n{text}");
    }
    // The host's input is left alone by nftables, as for DHCP and DNS.
    assert!(!text.contains("4789"), "{text}");
}

#[test]
fn a_disabled_policy_renders_nothing_and_a_route_network_can_deny_incoming() {
    let mut net = design();
    let with = plan(&net).unwrap().unwrap().rules.len();
    net.forwarding.as_mut().unwrap().enabled = Some(false);
    let without = plan(&net).unwrap().unwrap().rules;
    assert!(!without.iter().any(|p| matches!(
        p.rule,
        Rule::Dnat { .. } | Rule::AllowDnat { .. } | Rule::OutDeny { .. }
    )));
    assert_eq!(with, without.len() + 3);
    let mut routed = design();
    routed.forward.as_mut().unwrap().mode = Some(ForwardMode::Route);
    let established = |n: &Network| {
        plan(n).unwrap().unwrap().rules.iter().any(|p| {
            matches!(
                p.rule,
                Rule::AllowIn {
                    established: true,
                    ..
                }
            )
        })
    };
    assert!(
        established(&routed),
        "route + default='deny' lets in only replies"
    );
    routed
        .forwarding
        .as_mut()
        .unwrap()
        .incoming
        .as_mut()
        .unwrap()
        .default = None;
    assert!(
        !established(&routed),
        "route keeps letting everything in by default"
    );
}

#[test]
fn a_guest_named_by_its_dhcp_hosts_is_forwarded_to_in_each_family_it_has() {
    let net = crate::xml::read_network_str(
        "d.xml",
        "<network xmlns:nl='urn:netloom:xml:1'>
  <name>d</name>
  <forward mode='nat'/>
  <bridge name='virbr5'/>
  <ip family='ipv6' address='fd00:50::1' prefix='64'>
    <dhcp><host name='foobar' ip='fd00:50::5'/></dhcp>
  </ip>
  <ip address='192.168.50.1' prefix='24'>
    <dhcp><host mac='52:54:00:00:00:01' name='foobar' ip='192.168.50.5'/></dhcp>
  </ip>
  <nl:forwarding>
    <nl:incoming default='deny'><nl:allow port='123' domain='foobar' destport='321'/></nl:incoming>
  </nl:forwarding>
</network>",
    )
    .unwrap();
    let plan = plan(&net).unwrap().unwrap();
    let mut to: Vec<String> = (plan.rules.iter())
        .filter_map(|p| match &p.rule {
            Rule::Dnat { to, .. } => Some(to.to_string()),
            _ => None,
        })
        .collect();
    to.sort();
    assert_eq!(to, ["192.168.50.5", "fd00:50::5"], "{plan:#?}");
}

/// A route network whose policy denies what goes out but one port, with an IPv6 subnet and
/// a forward device: the rules [`design`] does not have.
fn outgoing_deny() -> Network {
    crate::xml::read_network_str(
        "o.xml",
        "<network xmlns:nl='urn:netloom:xml:1'>
  <name>o</name>
  <forward mode='route' dev='eth0'/>
  <bridge name='virbr6'/>
  <ip address='10.6.0.1' prefix='24'><dhcp><range start='10.6.0.10' end='10.6.0.20'/></dhcp></ip>
  <ip family='ipv6' address='fd00:6::1' prefix='64'/>
  <nl:forwarding>
    <nl:incoming><nl:allow port='8080' address='fd00:6::11' destport='80'/></nl:incoming>
    <nl:outgoing default='deny'><nl:allow port='25'/></nl:outgoing>
  </nl:forwarding>
</network>",
    )
    .unwrap()
}

/// The templates name the chains as text; what they write must be what the removals (which
/// know the chains as constants) accept, or a started network could not be stopped.
#[test]
fn every_rule_the_templates_write_is_one_the_removals_take_off() {
    for net in [design(), outgoing_deny()] {
        let rules = plan(&net).unwrap().unwrap().rules.len();
        for file in iptables::Iptables
            .render(&net, &NetContext::default())
            .unwrap()
        {
            let inserts = file
                .contents
                .lines()
                .filter(|l| l.starts_with("-I "))
                .count();
            let removal = iptables::removal(&file.contents).unwrap();
            assert_eq!(
                removal.lines().filter(|l| l.starts_with("-D ")).count(),
                inserts
            );
            assert!(inserts > 0, "{}", file.contents);
        }
        let nft = &nftables::Nftables
            .render(&net, &NetContext::default())
            .unwrap()[0]
            .contents;
        // What `nft --echo --handle` prints back: each rule with its handle.
        let inserted: Vec<&str> = nft
            .lines()
            .filter(|l| l.starts_with("insert rule "))
            .collect();
        let echo: String = (inserted.iter().enumerate())
            .map(|(i, l)| format!("{l} # handle {}\n", i + 10))
            .collect();
        let removal = nftables::removal(&echo).unwrap();
        assert_eq!(removal.lines().count(), inserted.len(), "{nft}");
        for (line, delete) in inserted.iter().zip(removal.lines().rev()) {
            let chain = line.split(' ').nth(4).unwrap();
            assert!(
                delete.contains(&format!(" {chain} handle ")),
                "{line} / {delete}"
            );
        }
        assert!(rules > inserted.len(), "the host's input is iptables' only");
    }
    let routed = plan(&outgoing_deny()).unwrap().unwrap().rules;
    for wanted in [
        |r: &Rule| matches!(r, Rule::OutAllow { .. }),
        |r: &Rule| matches!(r, Rule::OutDenyRest),
        |r: &Rule| {
            matches!(
                r,
                Rule::AllowIn {
                    established: false,
                    ..
                }
            )
        },
    ] {
        assert!(routed.iter().any(|p| wanted(&p.rule)), "{routed:#?}");
    }
}
