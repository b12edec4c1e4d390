//! The ifcfg backend against netcf's RedHat cases, bash, and itself.

use std::collections::BTreeMap;
use std::path::Path;

use netloom::backend::{Backend, RenderedFile, Snapshot};
use netloom::backends::ifcfg::Ifcfg;
use netloom::model::Host;
use netloom::syntax::shell::{ShellFile, quote};

use crate::util::equivalence::ifcfg as normalize;
use crate::util::{repo, shared, xml_files};

type Keys = BTreeMap<String, String>;

fn read_host(path: &Path) -> Host {
    let text = std::fs::read_to_string(path).unwrap();
    netloom::xml::read_str(&path.display().to_string(), &text).unwrap()
}

/// netcf's expected result: an Augeas tree as XML, file name to keys.
fn netcf_tree(path: &Path) -> BTreeMap<String, Keys> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let mut out = BTreeMap::new();
    for tree in doc.descendants().filter(|n| n.has_tag_name("tree")) {
        let file = tree
            .attribute("path")
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let keys = tree
            .children()
            .filter(|n| n.has_tag_name("node"))
            .map(|n| {
                (
                    n.attribute("label").unwrap().to_owned(),
                    n.attribute("value").unwrap().to_owned(),
                )
            })
            .collect();
        out.insert(file, keys);
    }
    out
}

fn rendered_keys(files: &[RenderedFile]) -> BTreeMap<String, Keys> {
    files
        .iter()
        .map(|f| {
            let name = f.path.rsplit('/').next().unwrap().to_owned();
            let shell = ShellFile::parse(&f.contents).unwrap();
            (
                name,
                shell
                    .entries()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            )
        })
        .collect()
}

/// netcf's expectation with netloom's deliberate differences applied. Each is listed, with
/// its reason, in docs/ifcfg.md.
fn with_deliberate_differences(mut tree: BTreeMap<String, Keys>) -> BTreeMap<String, Keys> {
    for keys in tree.values_mut() {
        // 1. Every file says its TYPE (and a bond BONDING_MASTER): NetworkManager's ifcfg-rh
        //    reader needs them to type the profile.
        if !keys.contains_key("TYPE") {
            if keys.contains_key("BONDING_OPTS") {
                keys.insert("TYPE".into(), "Bond".into());
                keys.insert("BONDING_MASTER".into(), "yes".into());
            } else if keys.get("VLAN").is_some_and(|v| v == "yes") {
                keys.insert("TYPE".into(), "Vlan".into());
            } else {
                keys.insert("TYPE".into(), "Ethernet".into());
            }
        }
        // 2. A vlan's tag is always written: readers never guess it from the name.
        if keys.get("VLAN").is_some_and(|v| v == "yes") {
            let tag = keys["DEVICE"].rsplit('.').next().unwrap().to_owned();
            keys.insert("VLAN_ID".into(), tag);
        }
        // 4. STP always said (NetworkManager reads a bridge without it as off), and DELAY only
        //    with STP on: NetworkManager ignores it otherwise, and so does the kernel.
        if keys.get("TYPE").is_some_and(|t| t == "Bridge") {
            keys.entry("STP".into()).or_insert_with(|| "off".into());
            if keys.get("STP").is_some_and(|s| s == "off") {
                keys.remove("DELAY");
            }
        }
        // 3. PREFIXn instead of NETMASKn, as NetworkManager writes them.
        let masks: Vec<String> = keys
            .keys()
            .filter(|k| k.starts_with("NETMASK"))
            .cloned()
            .collect();
        for key in masks {
            let mask: std::net::Ipv4Addr = keys.remove(&key).unwrap().parse().unwrap();
            let prefix = u32::from(mask).leading_ones();
            keys.insert(key.replacen("NETMASK", "PREFIX", 1), prefix.to_string());
        }
        // 5. Every IPADDRn has its PREFIXn: the class's when the XML gives none, which is
        //    what NetworkManager assumes.
        let addresses: Vec<(String, String)> = keys
            .iter()
            .filter(|(k, _)| k.starts_with("IPADDR"))
            .map(|(k, v)| (k.replacen("IPADDR", "PREFIX", 1), v.clone()))
            .collect();
        for (prefix, address) in addresses {
            let address: std::net::Ipv4Addr = address.parse().unwrap();
            let classful = netloom::model::Ipv4Prefix::classful(address).to_string();
            keys.entry(prefix).or_insert(classful);
        }
    }
    tree
}

/// netcf's cases whose XML the ifcfg backend refuses, each for the reason docs/ifcfg.md gives:
/// a forward delay of 0 with STP on, which NetworkManager does not read.
const REFUSED: &[&str] = &["bridge-multi", "bridge-multi-all"];

fn netcf_cases() -> Option<Vec<(String, std::path::PathBuf, std::path::PathBuf)>> {
    let base = shared("conformance/netcf/tests")?;
    let cases: Vec<_> = xml_files(&base.join("redhat/schema"))
        .into_iter()
        .filter(|p| p.file_name().unwrap() != "schemas.xml")
        .map(|expected| {
            let name = expected.file_stem().unwrap().to_string_lossy().into_owned();
            let input = base.join("interface").join(format!("{name}.xml"));
            (name, input, expected)
        })
        .collect();
    assert_eq!(cases.len(), 20, "netcf ships 20 RedHat cases");
    Some(cases)
}

#[test]
fn netcf_redhat_cases_render_to_netcfs_keys_except_the_documented_differences() {
    let Some(cases) = netcf_cases() else { return };
    let mut failures = Vec::new();
    for (name, input, expected) in cases {
        let files = match Ifcfg.render(&read_host(&input), &Snapshot::default()) {
            Err(netloom::backend::BackendError::Unsupported { .. })
                if REFUSED.contains(&name.as_str()) =>
            {
                continue;
            }
            other => other.unwrap(),
        };
        let got = rendered_keys(&files);
        let want = with_deliberate_differences(netcf_tree(&expected));
        if got != want {
            failures.push(format!("{name}:\n  netloom: {got:?}\n  netcf:   {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn snapshot_of(files: impl IntoIterator<Item = (String, String)>) -> Snapshot {
    Snapshot {
        files: files.into_iter().collect(),
        ..Snapshot::default()
    }
}

#[test]
fn importing_netcfs_expected_files_gives_back_each_case() {
    let Some(cases) = netcf_cases() else { return };
    let mut failures = Vec::new();
    for (name, input, expected) in cases {
        let files = netcf_tree(&expected).into_iter().map(|(file, keys)| {
            let text: String = keys
                .iter()
                .map(|(k, v)| format!("{k}={}\n", quote(v)))
                .collect();
            (format!("etc/sysconfig/network-scripts/{file}"), text)
        });
        let mut declared = read_host(&input);
        if REFUSED.contains(&name.as_str()) {
            // netcf wrote DELAY=0 with STP=on, which NetworkManager does not read.
            for i in &mut declared.interfaces {
                if let netloom::model::InterfaceKind::Bridge(br) = &mut i.kind {
                    br.delay = None;
                }
            }
        }
        match Ifcfg.import(&snapshot_of(files), &[]) {
            Ok(host) if normalize(host.clone()) == normalize(declared) => {}
            Ok(host) => failures.push(format!("{name}: imported\n{}", netloom::xml::to_xml(&host))),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Sources FILE with bash as initscripts does and returns every variable in `keys`.
fn bash_values(file: &Path, keys: &[&str]) -> Keys {
    let script = r#"set -a; . "$1" || exit 9; shift; for k in "$@"; do printf '%s\0%s\0' "$k" "${!k}"; done"#;
    let out = crate::util::tools::command("bash")
        .args(["-c", script, "_"])
        .arg(file)
        .args(keys)
        .env_clear()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let parts: Vec<&str> = text.split('\0').collect();
    parts
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (c[0].to_owned(), c[1].to_owned()))
        .collect()
}

#[test]
fn bash_reads_every_rendered_and_merged_value_exactly_as_netloom_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut inputs: Vec<(std::path::PathBuf, Snapshot)> =
        xml_files(&repo().join("tests/data/interfaces"))
            .into_iter()
            .map(|p| (p, Snapshot::default()))
            .collect();
    for case in std::fs::read_dir(repo().join("tests/data/merge/ifcfg")).unwrap() {
        let case = case.unwrap().path();
        let root = netloom::engine::TargetRoot::open(&case.join("root")).unwrap();
        inputs.push((case.join("host.xml"), root.snapshot(Ifcfg.scan()).unwrap()));
    }
    for (input, existing) in inputs {
        // What ifcfg cannot express is pinned by its golden `.refused` case.
        let Ok(files) = Ifcfg.render(&read_host(&input), &existing) else {
            continue;
        };
        for f in files {
            let path = dir.path().join(f.path.replace('/', "_"));
            std::fs::write(&path, &f.contents).unwrap();
            if f.path.contains("/route") {
                checked += route_words_are_what_netloom_wrote(&path, &f.contents, &input);
                continue;
            }
            let shell = ShellFile::parse(&f.contents).unwrap();
            let keys: Vec<&str> = shell.entries().map(|(k, _)| k).collect();
            let ours: Keys = keys
                .iter()
                .map(|k| ((*k).to_owned(), shell.get(k).unwrap().to_owned()))
                .collect();
            assert_eq!(
                bash_values(&path, &keys),
                ours,
                "{} from {}",
                f.path,
                input.display()
            );
            checked += keys.len();
        }
    }
    assert!(checked > 150, "only {checked} values checked");
}

/// Runs each line of a route file through bash as initscripts' `ifup-routes` does (`read
/// line`, then `ip route add $line`, split and globbed, in a directory where a glob would
/// match) and checks the words are the line's own; returns how many lines were checked.
fn route_words_are_what_netloom_wrote(file: &Path, text: &str, input: &Path) -> usize {
    let cwd = tempfile::tempdir().unwrap();
    for name in ["a", "10", "dev", "x.y"] {
        std::fs::write(cwd.path().join(name), "").unwrap();
    }
    let script = r#"cd "$2" || exit 9; { cat "$1"; echo; } | while read line; do
        case "$line" in ''|'#'*) continue;; esac
        for w in $line; do printf '%s\0' "$w"; done; printf '\n\0'; done"#;
    let out = crate::util::tools::command("bash")
        .args(["-c", script, "_"])
        .arg(file)
        .arg(cwd.path())
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success(), "bash failed on {}", file.display());
    let got = String::from_utf8(out.stdout).unwrap();
    let want: String = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| {
            let words: String = l.split_whitespace().map(|w| format!("{w}\0")).collect();
            format!("{words}\n\0")
        })
        .collect();
    assert_eq!(got, want, "{} from {}", file.display(), input.display());
    text.lines().count()
}

#[test]
fn import_reads_indexed_zero_keys_netmasks_and_old_bonding_quotes() {
    let dir = "etc/sysconfig/network-scripts";
    let snap = snapshot_of([
        (
            format!("{dir}/ifcfg-bond0"),
            // netcf before 2014 wrote the options wrapped in extra single quotes.
            "DEVICE=bond0\nONBOOT=yes\nBOOTPROTO=static\nIPADDR0=10.1.0.2\nPREFIX0=16\nIPADDR1=10.2.0.2\nNETMASK1=255.255.255.128\nGATEWAY0=10.1.0.1\nBONDING_OPTS=\"'mode=1 primary=eth2 miimon=100 use_carrier=1 '\"\n".to_owned(),
        ),
        (format!("{dir}/ifcfg-eth1"), "DEVICE=eth1\nMASTER=bond0\nSLAVE=yes\n".to_owned()),
        (format!("{dir}/ifcfg-eth2"), "DEVICE=eth2\nMASTER=bond0\nSLAVE=yes\n".to_owned()),
    ]);
    let host = Ifcfg.import(&snap, &[]).unwrap();
    let want = "<interface type='bond' name='bond0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='10.1.0.2' prefix='16'/>
    <ip address='10.2.0.2' prefix='25'/>
    <route gateway='10.1.0.1'/>
  </protocol>
  <bond mode='active-backup'>
    <miimon freq='100' carrier='netif'/>
    <interface type='ethernet' name='eth2'/>
    <interface type='ethernet' name='eth1'/>
  </bond>
</interface>
";
    assert_eq!(netloom::xml::to_xml(&host), want);
}
