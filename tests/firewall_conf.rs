//! Conformance of the firewall backends with libvirt 11.3.0's `networkxml2firewalldata`:
//! for each case and backend, libvirt's expected command list and netloom's rendered files
//! are both translated into one normal form, compared chain by chain, in order.
//!
//! The normal form: for each (family, table, chain), the rule specifications in the order
//! they end up in the kernel. libvirt *inserts* every rule at the head of its chain, and so
//! does netloom's output (`-I`, `insert rule`), so both command lists are reversed per
//! chain. Option spellings are normalised (`--in-interface` is `-i`, `--jump` is `-j`, …)
//! and nft's string quotes dropped. The tc commands of the nftables backend are a list of
//! argument vectors, compared as they are.

use std::collections::BTreeMap;
use std::path::Path;

use netloom::backend::{NetBackend, NetContext};
use netloom::backends::{iptables, nftables};
use netloom::model::network::Network;

use crate::util;

/// libvirt's cases (`forward-dev` is run twice upstream, with the same result; once here).
pub const CASES: [&str; 11] = [
    "nat-default",
    "nat-tftp",
    "nat-many-ips",
    "nat-no-dhcp",
    "nat-ipv6",
    "nat-ipv6-masquerade",
    "route-default",
    "forward-dev",
    "isolated",
    "nat-port-range",
    "nat-port-range-ipv6",
];

/// (family, table, chain).
pub type Key = (String, String, String);

/// Rules per chain in kernel order, and the tc commands in command order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Normal {
    pub chains: BTreeMap<Key, Vec<String>>,
    pub tc: Vec<Vec<String>>,
}

impl Normal {
    fn push(&mut self, family: &str, table: &str, chain: &str, spec: String) {
        self.chains
            .entry((family.into(), table.into(), chain.into()))
            .or_default()
            .push(spec);
    }

    /// Turns command order into kernel order: every rule was inserted at the head.
    fn inserted(mut self) -> Self {
        for rules in self.chains.values_mut() {
            rules.reverse();
        }
        self
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for ((f, t, c), rules) in &self.chains {
            out.push_str(&format!("[{f} {t} {c}]\n"));
            for r in rules {
                out.push_str(&format!("  {r}\n"));
            }
        }
        for tc in &self.tc {
            out.push_str(&format!("tc: {}\n", tc.join(" ")));
        }
        out
    }
}

/// libvirt's expected text as argument vectors: commands end at a newline unless it
/// follows a backslash, words are shell-quoted (`'!'`, `'{ … }'`, `'\''`).
pub fn commands(text: &str) -> Vec<Vec<String>> {
    let joined = text.replace("\\\n", "");
    joined
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(shell_words)
        .collect()
}

fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '\\' => {
                let w = cur.get_or_insert_with(String::new);
                w.extend(chars.next());
            }
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(cur);
    words
}

/// One iptables option list with long spellings folded into short ones.
fn ipt_spec<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    words
        .into_iter()
        .map(|w| match w {
            "--in-interface" => "-i",
            "--out-interface" => "-o",
            "--protocol" => "-p",
            "--source" => "-s",
            "--destination" => "-d",
            "--jump" => "-j",
            "--match" => "-m",
            "--destination-port" => "--dport",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn nft_spec<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    words
        .into_iter()
        .map(|w| w.trim_matches('"'))
        .collect::<Vec<_>>()
        .join(" ")
}

fn nft_family(word: &str) -> &'static str {
    match word {
        "ip" => "ipv4",
        "ip6" => "ipv6",
        other => panic!("unexpected nft family {other:?}"),
    }
}

/// The normal form of libvirt's expected file (after the base setup prefix is stripped).
pub fn expected(text: &str) -> Result<Normal, String> {
    let mut n = Normal::default();
    for cmd in commands(text) {
        let words: Vec<&str> = cmd.iter().map(String::as_str).collect();
        match words.as_slice() {
            [
                prog @ ("iptables" | "ip6tables"),
                "-w",
                "--table",
                table,
                "--insert",
                chain,
                spec @ ..,
            ] => {
                let family = if *prog == "iptables" { "ipv4" } else { "ipv6" };
                n.push(family, table, chain, ipt_spec(spec.iter().copied()));
            }
            ["nft", "-ae", "insert", "rule", fam, table, chain, spec @ ..] => {
                n.push(
                    nft_family(fam),
                    table,
                    chain,
                    nft_spec(spec.iter().copied()),
                );
            }
            ["tc", ..] => n.tc.push(cmd.clone()),
            _ => return Err(format!("unexpected command {cmd:?}")),
        }
    }
    Ok(n.inserted())
}

/// The normal form of an iptables-restore fragment netloom rendered.
pub fn from_restore(family: &str, text: &str, n: &mut Normal) -> Result<(), String> {
    let mut table = None;
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        if let Some(t) = line.strip_prefix('*') {
            table = Some(t.to_owned());
        } else if line == "COMMIT" {
            table = None;
        } else {
            let mut words = line.split(' ');
            let (Some("-I"), Some(chain), Some(t)) = (words.next(), words.next(), &table) else {
                return Err(format!("unexpected line {line:?}"));
            };
            n.push(family, t, chain, ipt_spec(words));
        }
    }
    Ok(())
}

/// The normal form of an nft fragment netloom rendered.
pub fn from_nft(text: &str, n: &mut Normal) -> Result<(), String> {
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let words: Vec<&str> = line.split(' ').collect();
        let ["insert", "rule", fam, table, chain, spec @ ..] = words.as_slice() else {
            return Err(format!("unexpected line {line:?}"));
        };
        n.push(
            nft_family(fam),
            table,
            chain,
            nft_spec(spec.iter().copied()),
        );
    }
    Ok(())
}

/// The normal form of what `backend` renders for `net`, with the tc fix for nftables.
pub fn rendered(backend: &str, net: &Network) -> Result<Normal, String> {
    let ctx = NetContext::default();
    let mut n = Normal::default();
    match backend {
        "iptables" => {
            for f in iptables::Iptables
                .render(net, &ctx)
                .map_err(|e| e.to_string())?
            {
                let family = if f.path.ends_with(".ip6tables") {
                    "ipv6"
                } else {
                    "ipv4"
                };
                from_restore(family, &f.contents, &mut n)?;
            }
        }
        _ => {
            for f in nftables::Nftables
                .render(net, &ctx)
                .map_err(|e| e.to_string())?
            {
                from_nft(&f.contents, &mut n)?;
            }
            if let Some(tc) = nftables::tc_checksum_fix(net).map_err(|e| e.to_string())? {
                n.tc = vec![tc.show_qdisc, tc.add_qdisc, tc.add_filter];
            }
        }
    }
    Ok(n.inserted())
}

/// A case's expected file with libvirt's one-time base setup removed from its start, as
/// libvirt's own test does.
pub fn expected_text(dir: &Path, case: &str, backend: &str) -> String {
    let read =
        |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let text = read(&dir.join(format!("{case}-linux.{backend}")));
    let base = read(&dir.join(format!("base.{backend}")));
    match text.strip_prefix(&base) {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

/// A case's network.
pub fn network(dir: &Path, case: &str) -> Network {
    let path = dir.join(format!("{case}.xml"));
    let text = std::fs::read_to_string(&path).unwrap();
    netloom::xml::read_network_str(&path.display().to_string(), &text)
        .unwrap_or_else(|e| panic!("{case}.xml does not read:\n{e}"))
}

#[test]
fn both_backends_give_libvirts_rules_in_libvirts_order() {
    let Some(dir) = util::shared("conformance/libvirt/tests/networkxml2firewalldata") else {
        return;
    };
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in CASES {
        let net = network(&dir, case);
        for backend in ["iptables", "nftables"] {
            let want = expected(&expected_text(&dir, case, backend))
                .unwrap_or_else(|e| panic!("{case}-linux.{backend}: {e}"));
            assert!(
                !want.chains.is_empty(),
                "{case}.{backend}: nothing expected?"
            );
            let got = rendered(backend, &net).unwrap_or_else(|e| panic!("{case}: {e}"));
            compared += 1;
            if got != want {
                failures.push(format!(
                    "{case} ({backend}):\n{}",
                    util::diff(&want.text(), &got.text(), "libvirt", "netloom")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(compared, 22, "11 cases, 2 backends");
}

#[test]
fn the_normal_form_reads_libvirts_quoting_and_continuations() {
    let text = "iptables \\\n-w \\\n--table nat \\\n--insert LIBVIRT_PRT \\\n--source 10.0.0.0/8 '!' \\\n--destination 10.0.0.0/8 \\\n--jump MASQUERADE\n\
                iptables \\\n-w \\\n--table nat \\\n--insert LIBVIRT_PRT \\\n--source 10.0.0.0/8 \\\n--jump RETURN\n\
                nft \\\n-ae insert \\\nrule \\\nip \\\nlibvirt_network \\\nguest_nat \\\nip \\\ndaddr \\\n'!=' \\\n'it'\\''s'\n";
    let n = expected(text).unwrap();
    let key = |f: &str, t: &str, c: &str| (f.to_owned(), t.to_owned(), c.to_owned());
    assert_eq!(
        n.chains[&key("ipv4", "nat", "LIBVIRT_PRT")],
        [
            "-s 10.0.0.0/8 -j RETURN",
            "-s 10.0.0.0/8 ! -d 10.0.0.0/8 -j MASQUERADE"
        ]
    );
    assert_eq!(
        n.chains[&key("ipv4", "libvirt_network", "guest_nat")],
        ["ip daddr != it's"]
    );
}
