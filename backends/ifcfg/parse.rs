//! ifcfg files as netloom sees them: parsed losslessly with [`crate::syntax::shell`], named by
//! their `DEVICE`, and found by netcf's lookup rules.

use std::collections::HashMap;

use super::DIR;
use crate::backend::{BackendError, Snapshot};
use crate::error::{Diagnostic, Diagnostics};
use crate::model::{
    AgeingTime, BridgeOptions, HelloTime, IfaceName, MacAddr, MaxAge, ValueError, Vlan, VlanTag,
};
use crate::source::SourceFile;
use crate::syntax::shell::{ShellError, ShellFile};

/// What kind of device a file describes, judged as NetworkManager's ifcfg-rh reader judges
/// it (`connection_from_file_full`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Ethernet,
    Bond,
    Vlan,
    Bridge,
}

/// What netloom makes of one file, decided from the file alone (the aliases, which depend
/// on their base file existing, are found by [`Files::read`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Class {
    /// A device of a kind the model holds: read, and owned.
    Device(Kind),
    /// `ifcfg-DEV:N` of an existing `ifcfg-DEV`: its address is one more of that device's.
    Alias,
    /// The loopback, which belongs to the distribution: neither read nor owned, without a
    /// word (every RHEL root has one).
    Loopback,
    /// A device the model does not hold, or one NetworkManager leaves alone: not read, never
    /// owned, and said in a note at `key`.
    Skipped { key: &'static str, why: String },
    /// A file NetworkManager refuses: an error at `key` when it is read.
    Invalid { key: &'static str, why: String },
}

/// `DEVICE` prefixes (the name without its trailing digits) whose device NetworkManager
/// leaves to an initscripts `ifup-PREFIX` script when the file has no `TYPE`: the scripts
/// initscripts and its companions install (`ifup-ppp`, `ifup-isdn`, `ifup-sit`…).
const IFUP_SCRIPTS: &[&str] = &[
    "ppp", "ippp", "isdn", "plip", "plusb", "sit", "tunnel", "bnep", "ib", "ctc", "ovs",
];

/// A boolean as NetworkManager's `svParseBoolean` reads it: `yes`, `true`, `t`, `y`, `1`
/// and their opposites, in any case; `None` for anything else.
pub(super) fn nm_bool(value: &str) -> Option<bool> {
    let is = |words: &[&str]| words.iter().any(|w| value.eq_ignore_ascii_case(w));
    if is(&["yes", "true", "t", "y", "1"]) {
        Some(true)
    } else if is(&["no", "false", "f", "n", "0"]) {
        Some(false)
    } else {
        None
    }
}

/// The value of `key` as NetworkManager's `svGetValueStr` reads it: an empty value is unset.
fn value<'s>(shell: &'s ShellFile, key: &str) -> Option<&'s str> {
    shell.get(key).filter(|v| !v.is_empty())
}

/// The kind of the file `ifcfg-NAME`, NetworkManager's way: `BOOTPROTO=ibft`,
/// `DEVICETYPE`, `TEAM_CONFIG`, `TYPE`, and without `TYPE` the name of the device; then the
/// port roles, where a bridge port or bond slave is one whatever else it says, and a team
/// port is skipped.
pub(super) fn classify(name: &str, shell: &ShellFile) -> Class {
    let get = |key| value(shell, key);
    let device = get("DEVICE");
    if device == Some("lo") || (device.is_none() && name == "lo") {
        return Class::Loopback;
    }
    let skip = |key, why: String| Class::Skipped { key, why };
    if get("BOOTPROTO").is_some_and(|b| b.eq_ignore_ascii_case("ibft")) {
        let why = "BOOTPROTO=ibft: NetworkManager takes iBFT configuration from the firmware \
                   and ignores this file"
            .to_owned();
        return skip("BOOTPROTO", why);
    }
    let team = |key| skip(key, "a team, which interface XML does not hold".to_owned());
    let team_port = |key| {
        skip(
            key,
            "a port of a team, which interface XML does not hold".to_owned(),
        )
    };
    match get("DEVICETYPE") {
        Some(t) if t.eq_ignore_ascii_case("Team") => return team("DEVICETYPE"),
        Some(t) if t.eq_ignore_ascii_case("TeamPort") => return team_port("DEVICETYPE"),
        _ => {}
    }
    if get("TEAM_CONFIG").is_some() {
        return team("TEAM_CONFIG");
    }
    let kind = match get("TYPE") {
        Some(t) => match by_type(t) {
            Ok(kind) => kind,
            Err(why) => return skip("TYPE", why),
        },
        None => match untyped(device, shell) {
            Ok(kind) => kind,
            Err(class) => return class,
        },
    };
    let kind = match kind {
        Kind::Ethernet if get("BONDING_OPTS").is_some() => Kind::Bond,
        other => other,
    };
    if get("BONDING_MASTER").and_then(nm_bool) == Some(true) && kind != Kind::Bond {
        let why = "BONDING_MASTER=yes is only allowed in a bond's file (TYPE=Bond); \
                   NetworkManager refuses this file"
            .to_owned();
        return Class::Invalid {
            key: "BONDING_MASTER",
            why,
        };
    }
    if matches!(kind, Kind::Bond | Kind::Bridge) && device.is_none() {
        let why = "a bond or bridge needs DEVICE; NetworkManager refuses this file".to_owned();
        return Class::Invalid { key: "TYPE", why };
    }
    let controlled = ["BRIDGE_UUID", "BRIDGE", "MASTER_UUID", "MASTER"]
        .iter()
        .any(|k| get(k).is_some());
    if !controlled {
        for key in ["TEAM_MASTER_UUID", "TEAM_MASTER"] {
            if get(key).is_some() {
                return team_port(key);
            }
        }
        for (key, what) in [
            ("OVS_PORT_UUID", "an Open vSwitch port"),
            ("OVS_PORT", "an Open vSwitch port"),
            ("VRF_UUID", "a VRF"),
            ("VRF", "a VRF"),
        ] {
            if get(key).is_some() {
                return skip(
                    key,
                    format!("a port of {what}, which interface XML does not hold"),
                );
            }
        }
    }
    Class::Device(kind)
}

/// The kind a `TYPE` names, or why the device is skipped.
fn by_type(t: &str) -> Result<Kind, String> {
    let is = |name: &str| t.eq_ignore_ascii_case(name);
    if is("Ethernet") || t == "CTC" {
        Ok(Kind::Ethernet)
    } else if is("Bond") {
        Ok(Kind::Bond)
    } else if is("Vlan") {
        Ok(Kind::Vlan)
    } else if is("Bridge") {
        Ok(Kind::Bridge)
    } else if is("Wireless") {
        Err("a Wi-Fi interface (TYPE=Wireless), which interface XML does not hold".to_owned())
    } else if is("InfiniBand") {
        Err("an InfiniBand interface, which interface XML does not hold".to_owned())
    } else if is("Team") {
        Err("a team, which interface XML does not hold".to_owned())
    } else {
        Err(format!(
            "TYPE={t} is a kind NetworkManager does not read, so it leaves the device alone"
        ))
    }
}

/// The kind of a file without `TYPE`, from its other keys and its device's name, or the
/// class that says why it is not read.
fn untyped(device: Option<&str>, shell: &ShellFile) -> Result<Kind, Class> {
    let get = |key| value(shell, key);
    if get("IPV6TUNNELIPV4").is_some() {
        let why = "a 6in4 tunnel (IPV6TUNNELIPV4), which interface XML does not hold".to_owned();
        return Err(Class::Skipped {
            key: "IPV6TUNNELIPV4",
            why,
        });
    }
    let Some(device) = device else {
        let why = "this file has neither TYPE nor DEVICE; NetworkManager refuses it".to_owned();
        return Err(Class::Invalid { key: "", why });
    };
    if get("BONDING_MASTER").and_then(nm_bool) == Some(true) {
        return Ok(Kind::Bond);
    }
    if get("VLAN").and_then(nm_bool) == Some(true) {
        return Ok(Kind::Vlan);
    }
    let prefix = device.trim_end_matches(|c: char| c.is_ascii_digit());
    if prefix == "wireless" {
        let why = "a Wi-Fi interface (DEVICE=wireless…), which interface XML does not hold";
        return Err(Class::Skipped {
            key: "DEVICE",
            why: why.to_owned(),
        });
    }
    if prefix != "eth" && IFUP_SCRIPTS.contains(&prefix) {
        let why = format!(
            "a {prefix} device without TYPE: NetworkManager leaves it to initscripts' \
             ifup-{prefix}, and interface XML does not hold it"
        );
        return Err(Class::Skipped { key: "DEVICE", why });
    }
    Ok(Kind::Ethernet)
}

/// One existing `ifcfg-*` file, borrowing its text from the snapshot.
#[derive(Debug)]
pub(super) struct IfcfgFile<'a> {
    /// Path relative to the root.
    pub(super) path: &'a str,
    /// The NAME of `ifcfg-NAME`.
    pub(super) name: &'a str,
    /// The device it configures (see [`Files::device`]); `None` for a file of no device.
    pub(super) device: Option<IfaceName>,
    /// Where the device's name comes from when the file has no `DEVICE`, for a note: a
    /// vlan's `PHYSDEV.VLAN_ID`, or the device whose MAC is the `HWADDR` it is bound to.
    pub(super) named: Option<NameSource>,
    /// What netloom makes of it.
    pub(super) class: Class,
    /// The parsed text.
    pub(super) shell: ShellFile,
    /// The text as read, to position problems found later.
    text: &'a str,
}

impl IfcfgFile<'_> {
    /// The value of a key as NetworkManager reads it: decoded, and an empty value is unset.
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        value(&self.shell, key)
    }

    /// The file as a source of positioned problems.
    pub(super) fn source(&self) -> SourceFile {
        SourceFile::new(self.path, self.text)
    }

    /// A problem with the value of `key` (or with the file, if the key is absent), for the
    /// checks made once per file before an import starts; the importer's own problems share
    /// one source per file instead (`Importer::report`).
    pub(super) fn problem(&self, key: &str, message: impl Into<String>) -> Diagnostic {
        let offset = self.shell.offset(key).unwrap_or(0);
        self.source().diagnostic_in_input(offset, message)
    }
}

/// Why an ifcfg file that is not UTF-8 stops an import or a plan.
const UNREADABLE: &str = "initscripts and NetworkManager read this file; netloom cannot keep \
                          bytes it cannot read, so it leaves the root alone until the file is \
                          converted to UTF-8";

/// Why a carriage return in a value stops an import or a plan: the file's two readers
/// disagree on it, so no reading of it is the host's.
const BARE_CR: &str = "carriage return in a value (a CRLF line ending?): bash keeps it in the \
                       value and NetworkManager drops it, so the two read this file differently; \
                       expected LF line endings (dos2unix converts the file)";

/// File name suffixes both readers skip, or NetworkManager skips (`ifcfg-eth0.bak` is a
/// backup, `.rej` a rejected patch, `.augnew` Augeas' temporary), compared in any case.
const IGNORED_SUFFIXES: &[&str] = &[
    "~", ".bak", ".orig", ".rpmnew", ".rej", ".augnew", ".augtmp",
];

/// Suffixes initscripts skips and NetworkManager does not: such a file is a profile of its
/// own to NetworkManager, so netloom reads neither and says so.
const BACKUP_SUFFIXES: &[&str] = &[".old", ".rpmorig", ".rpmsave"];

fn has_suffix(name: &str, suffixes: &[&str]) -> bool {
    suffixes.iter().any(|s| {
        name.len() > s.len()
            && name.is_char_boundary(name.len() - s.len())
            && name[name.len() - s.len()..].eq_ignore_ascii_case(s)
    })
}

/// Whether `ifcfg-NAME` is a file netloom neither reads nor owns: a backup either reader
/// skips, or an rpm temporary (`;` and eight hex digits), which NetworkManager skips.
pub(super) fn is_ignored(name: &str) -> bool {
    let rpm_temp = name
        .rsplit_once(';')
        .is_some_and(|(_, hex)| hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    rpm_temp || has_suffix(name, IGNORED_SUFFIXES) || has_suffix(name, BACKUP_SUFFIXES)
}

/// Whether `ifcfg-NAME` is a backup initscripts skips and NetworkManager reads.
fn is_backup_nm_reads(name: &str) -> bool {
    has_suffix(name, BACKUP_SUFFIXES)
}

/// One file read on its own (`etc/sysconfig/network`), or the problem that stops it.
fn read_one<'a>(
    path: &'a str,
    name: &'a str,
    text: &'a str,
) -> Result<IfcfgFile<'a>, Box<Diagnostic>> {
    let source = || SourceFile::new(path, text);
    let shell = ShellFile::parse(text)
        .map_err(|e| Box::new(source().diagnostic_in_input(e.offset, e.message)))?;
    if let Some(at) = shell.bare_cr() {
        return Err(Box::new(source().diagnostic_in_input(at, BARE_CR)));
    }
    Ok(IfcfgFile {
        path,
        name,
        device: None,
        named: None,
        class: classify(name, &shell),
        shell,
        text,
    })
}

/// Keys netloom owns: set from the model, removed when the model no longer asks for them.
/// `HWADDR` is not among them: it binds a file to a NIC, so netloom writes it when the XML
/// gives a MAC and otherwise leaves the user's alone. `NETWORK` and `BROADCAST` are derived
/// from the address, so a stale one is removed.
const MANAGED: &[&str] = &[
    "DEVICE",
    "TYPE",
    "BONDING_MASTER",
    "VLAN",
    "VLAN_ID",
    "PHYSDEV",
    "ONBOOT",
    "HOTPLUG",
    "MTU",
    "BOOTPROTO",
    "PEERDNS",
    "NETWORK",
    "BROADCAST",
    "IPV6INIT",
    "IPV6_AUTOCONF",
    "DHCPV6C",
    "IPV6_PEERDNS",
    "IPV6ADDR",
    "IPV6ADDR_SECONDARIES",
    "IPV6_DEFAULTGW",
    "DOMAIN",
    "IPV6_DOMAIN",
    "SEARCH",
    "BONDING_OPTS",
    "MASTER",
    "SLAVE",
    "BRIDGE",
    "STP",
    "DELAY",
    "VLAN_PROTOCOL",
    "VLAN_FLAGS",
    "REORDER_HDR",
    "GVRP",
    "MVRP",
];

/// Whether a `MACADDR` is one of NetworkManager's words for how to pick a MAC rather than
/// an address.
pub(super) fn is_mac_word(value: &str) -> bool {
    matches!(value.trim(), "preserve" | "permanent" | "random" | "stable")
}

/// Reads option `key` = `value` of a bridge's `BRIDGING_OPTS` into `o` as NetworkManager
/// reads it: `Ok(false)` for an option the model has no place for, an error for one
/// NetworkManager ignores (an STP option with STP off, a value out of range).
pub(super) fn bridging_opt(
    o: &mut BridgeOptions,
    key: &str,
    value: &str,
    stp: bool,
) -> Result<bool, ValueError> {
    match key {
        "priority" | "hello_time" | "max_age" if !stp => {
            return Err(ValueError("it is STP's, and STP is off".to_owned()));
        }
        "priority" => o.priority = Some(BridgeOptions::parse_priority(value)?),
        "hello_time" => o.hello_time = Some(HelloTime::parse(value)?),
        "max_age" => o.max_age = Some(MaxAge::parse(value)?),
        "ageing_time" => o.ageing_time = Some(AgeingTime::parse(value)?),
        "multicast_snooping" => {
            o.multicast_snooping = Some(match value {
                "0" => false,
                "1" => true,
                _ => return Err(ValueError("expected 0 or 1".into())),
            });
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Indexed families (`IPADDR`, `IPADDR0`, `IPADDR12`…), all managed.
const INDEXED: &[&str] = &["IPADDR", "PREFIX", "NETMASK", "GATEWAY", "DNS"];

/// Whether netloom manages `key`.
pub(super) fn is_managed(key: &str) -> bool {
    MANAGED.contains(&key) || INDEXED.iter().any(|base| index_of(key, base).is_some())
}

/// `Some(None)` for `BASE`, `Some(Some(n))` for `BASEn`, `None` otherwise.
pub(super) fn index_of(key: &str, base: &str) -> Option<Option<u32>> {
    let rest = key.strip_prefix(base)?;
    if rest.is_empty() {
        return Some(None);
    }
    if rest.len() > 3 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok().map(Some)
}

/// `BONDING_OPTS` as `(key, value)` pairs. Older netcf wrote the value wrapped in extra single
/// quotes (`"'mode=… '"`); both styles read the same.
pub(super) fn bond_opts(value: &str) -> Vec<(String, String)> {
    value
        .trim()
        .trim_matches('\'')
        .split_whitespace()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (kv.to_owned(), String::new()),
        })
        .collect()
}

/// Whether netloom manages the bonding option `key` in `BONDING_OPTS`: every option a bond
/// can set, and `num_unsol_na`, the driver's other name of `num_grat_arp`.
pub(super) fn is_managed_bond_option(key: &str) -> bool {
    crate::model::BondOption::from_driver_name(key).is_some() || key == "num_unsol_na"
}

/// The ifcfg files of a root, indexed for netcf's lookup rules so that finding the file of
/// each of 10,000 devices stays linear.
#[derive(Debug, Default)]
pub(super) struct Files<'a> {
    /// The readable files, in path order.
    pub(super) list: Vec<IfcfgFile<'a>>,
    /// Backups initscripts skips and NetworkManager reads (`ifcfg-eth0.rpmsave`), by path.
    pub(super) backups: Vec<&'a str>,
    /// By the NAME of `ifcfg-NAME`, the devices and the loopback.
    by_file_name: HashMap<&'a str, usize>,
    /// By the NAME of `ifcfg-NAME`, every file, whatever it is.
    by_any_name: HashMap<&'a str, usize>,
    /// The first device file (in path order) naming each device, and each `HWADDR`.
    by_device: HashMap<IfaceName, usize>,
    by_hwaddr: HashMap<MacAddr, usize>,
    /// The aliases of each file, by the NAME of its `ifcfg-NAME`, in path order.
    pub(super) aliases: HashMap<&'a str, Vec<usize>>,
    /// Live MACs from `sys/class/net/NAME/address` under the root.
    pub(super) live: HashMap<&'a str, MacAddr>,
    /// `etc/sysconfig/network`, which NetworkManager reads beside every file.
    pub(super) network: Option<IfcfgFile<'a>>,
    /// Every `route-NAME` and `route6-NAME` file, by path.
    pub(super) route_files: HashMap<&'a str, &'a str>,
    /// The NAMEs that have a `rule-NAME` or `rule6-NAME` file: NetworkManager reads no
    /// route file of theirs (policy routing is left to a dispatcher script).
    pub(super) rules: HashMap<&'a str, &'a str>,
}

/// The NAME of a `route-NAME` or `route6-NAME` path, with its tag (`route-`, `route6-`).
pub(super) fn route_file_name(path: &str) -> Option<(&'static str, &str)> {
    let rest = path.strip_prefix(DIR)?.strip_prefix('/')?;
    ["route-", "route6-"]
        .into_iter()
        .find_map(|tag| Some((tag, rest.strip_prefix(tag)?)))
        .filter(|(_, name)| !name.is_empty() && !name.contains('/'))
}

/// Where a device's name comes from when a file has no `DEVICE`: the key that says it, and
/// a note's text.
pub(super) type NameSource = (&'static str, String);

/// Why a device's name could not be read: a bad value at a key (an error), or no name to
/// be had (the file is refused when it is read).
pub(super) enum Named {
    Bad(&'static str, String),
    Unknown(&'static str, String),
}

/// Where the host-wide settings are.
pub(super) const NETWORK: &str = "etc/sysconfig/network";

/// The files initscripts would read that are not UTF-8: a file that is not may configure any
/// device (by DEVICE or HWADDR), and its bytes could not be kept in a merge, so every one
/// stops the run.
fn unreadable(existing: &Snapshot, prefix: &str) -> Vec<Diagnostic> {
    let mut problems: Vec<Diagnostic> = (existing.binary.iter())
        .filter(|(path, _)| {
            let ifcfg = path
                .strip_prefix(prefix)
                .is_some_and(|suffix| !suffix.is_empty() && !is_ignored(suffix));
            ifcfg || route_file_name(path).is_some()
        })
        .map(|(_, problem)| problem.clone().with_note(UNREADABLE))
        .collect();
    if let Some(problem) = existing.binary.get(NETWORK) {
        problems.push(problem.clone().with_note(UNREADABLE));
    }
    problems
}

impl<'a> Files<'a> {
    /// Parses every ifcfg file of the snapshot, reporting every unreadable one. Parsing is
    /// pure and per file, so a root of 10,000 files is parsed on every core.
    pub(super) fn read(existing: &'a Snapshot) -> Result<Self, BackendError> {
        let prefix = format!("{DIR}/ifcfg-");
        let mut files = Files::default();
        let candidates = files.sort_paths(existing, &prefix);
        let parsed = crate::parallel::map(&candidates, 512, |(_, _, text)| ShellFile::parse(text));
        let mut problems = unreadable(existing, &prefix);
        files.read_network(existing, &mut problems);
        let mut live: HashMap<MacAddr, Vec<&'a str>> = HashMap::new();
        for (dev, mac) in &files.live {
            live.entry(*mac).or_default().push(dev);
        }
        for (candidate, shell) in candidates.into_iter().zip(parsed) {
            files.add(candidate, shell, &live, &mut problems);
        }
        files.settle_aliases();
        if problems.is_empty() {
            Ok(files)
        } else {
            Err(BackendError::Invalid(Diagnostics(problems)))
        }
    }

    /// Sorts the snapshot's paths: devices' MACs, route and rule files and backups are kept
    /// where they go; the ifcfg files to parse (path, `NAME` of `ifcfg-NAME`, text) are
    /// returned.
    fn sort_paths(
        &mut self,
        existing: &'a Snapshot,
        prefix: &str,
    ) -> Vec<(&'a str, &'a str, &'a str)> {
        let mut candidates = Vec::new();
        for (path, text) in &existing.files {
            if let Some(dev) = path
                .strip_prefix("sys/class/net/")
                .and_then(|p| p.strip_suffix("/address"))
            {
                if let Ok(mac) = MacAddr::parse(text.trim()) {
                    self.live.insert(dev, mac);
                }
                continue;
            }
            if route_file_name(path).is_some() {
                self.route_files.insert(path, text);
                continue;
            }
            if let Some(name) = path.strip_prefix(DIR).and_then(|p| {
                p.strip_prefix("/rule-")
                    .or_else(|| p.strip_prefix("/rule6-"))
            }) {
                self.rules.insert(name, path);
                continue;
            }
            if let Some(suffix) = path.strip_prefix(prefix)
                && !suffix.is_empty()
            {
                if is_backup_nm_reads(suffix) {
                    self.backups.push(path);
                } else if !is_ignored(suffix) {
                    candidates.push((path.as_str(), suffix, text.as_str()));
                }
            }
        }
        candidates
    }

    /// The host-wide settings of `etc/sysconfig/network`, read as a file of no device.
    fn read_network(&mut self, existing: &'a Snapshot, problems: &mut Vec<Diagnostic>) {
        if let Some(text) = existing.files.get(NETWORK) {
            match read_one(NETWORK, "", text) {
                Ok(mut network) => {
                    network.class = Class::Loopback;
                    network.device = None;
                    self.network = Some(network);
                }
                Err(problem) => problems.push(*problem),
            }
        }
    }

    /// One parsed ifcfg file, classified, with the device it configures, and indexed by
    /// its names, device and `HWADDR`; or the problem that stops it being read.
    fn add(
        &mut self,
        (path, suffix, text): (&'a str, &'a str, &'a str),
        shell: Result<ShellFile, ShellError>,
        live: &HashMap<MacAddr, Vec<&str>>,
        problems: &mut Vec<Diagnostic>,
    ) {
        let source = || SourceFile::new(path, text);
        let shell = match shell {
            Ok(shell) => shell,
            Err(e) => {
                problems.push(source().diagnostic_in_input(e.offset, e.message));
                return;
            }
        };
        let class = if suffix.contains(':') {
            // An alias, if its base file exists; settled once every file is read.
            Class::Alias
        } else {
            classify(suffix, &shell)
        };
        let read = matches!(class, Class::Device(_) | Class::Alias);
        if let (true, Some(at)) = (read, shell.bare_cr()) {
            problems.push(source().diagnostic_in_input(at, BARE_CR));
            return;
        }
        let (class, device, named) = match class {
            Class::Device(kind) => match self.device(kind, suffix, &shell, live) {
                Ok((device, named)) => (Class::Device(kind), Some(device), named),
                Err(Named::Bad(key, message)) => {
                    let offset = shell.offset(key).unwrap_or(0);
                    problems.push(source().diagnostic_in_input(offset, message));
                    (Class::Device(kind), None, None)
                }
                Err(Named::Unknown(key, why)) => (Class::Invalid { key, why }, None, None),
            },
            other => (other, None, None),
        };
        self.index(suffix, &class, device.as_ref(), &shell);
        self.list.push(IfcfgFile {
            path,
            name: suffix,
            device,
            named,
            class,
            shell,
            text,
        });
    }

    /// Indexes the file about to be added by its name; a device's file also by its device
    /// and `HWADDR` (the first file wins, as NetworkManager reads them in name order).
    fn index(
        &mut self,
        suffix: &'a str,
        class: &Class,
        device: Option<&IfaceName>,
        shell: &ShellFile,
    ) {
        let index = self.list.len();
        self.by_any_name.insert(suffix, index);
        if matches!(class, Class::Device(_) | Class::Loopback) {
            self.by_file_name.insert(suffix, index);
        }
        if let Class::Device(_) = class {
            if let Some(d) = device {
                self.by_device.entry(d.clone()).or_insert(index);
            }
            if let Some(mac) = value(shell, "HWADDR").and_then(|h| MacAddr::parse(h.trim()).ok()) {
                self.by_hwaddr.entry(mac).or_insert(index);
            }
        }
    }

    /// The device a file of `kind` configures, as NetworkManager binds the profile: `DEVICE`;
    /// without it, a vlan's `PHYSDEV.VLAN_ID` (NetworkManager's name for a vlan profile that
    /// names no device), else the device whose MAC is the `HWADDR` the profile is bound to,
    /// found under the root (`sys/class/net/NAME/address`). initscripts would take the file
    /// name instead, which can be another device than the one NetworkManager picks, so a
    /// profile bound to a MAC no device there has (or bound to nothing) is refused.
    fn device(
        &self,
        kind: Kind,
        suffix: &str,
        shell: &ShellFile,
        live: &HashMap<MacAddr, Vec<&str>>,
    ) -> Result<(IfaceName, Option<NameSource>), Named> {
        if let Some(d) = value(shell, "DEVICE") {
            return IfaceName::parse(d)
                .map(|n| (n, None))
                .map_err(|e| Named::Bad("DEVICE", format!("invalid DEVICE '{d}': {e}")));
        }
        if kind == Kind::Vlan
            && let (Some(parent), Some(id)) = (value(shell, "PHYSDEV"), value(shell, "VLAN_ID"))
            && let (Ok(parent), Ok(tag)) = (IfaceName::parse(parent), VlanTag::parse(id))
        {
            let name = Vlan::networkmanager_name(&parent, tag);
            let why = format!(
                "the device is '{name}', the name NetworkManager gives a vlan without DEVICE \
                 (PHYSDEV.VLAN_ID)"
            );
            return Ok((name, Some(("VLAN_ID", why))));
        }
        let Some(hwaddr) = value(shell, "HWADDR") else {
            let why = format!(
                "this file names no device (no DEVICE, no HWADDR): NetworkManager would use it \
                 for any device of its kind, initscripts for '{suffix}'; add DEVICE="
            );
            return Err(Named::Unknown("", why));
        };
        let mac = MacAddr::parse(hwaddr.trim())
            .map_err(|e| Named::Bad("HWADDR", format!("invalid HWADDR '{hwaddr}': {e}")))?;
        match live.get(&mac).map(Vec::as_slice) {
            Some([one]) => {
                let name = IfaceName::parse(one).map_err(|e| {
                    Named::Unknown(
                        "HWADDR",
                        format!("the device of HWADDR {mac} is '{one}': {e}"),
                    )
                })?;
                let why = format!(
                    "the device is '{name}', whose MAC (sys/class/net/{name}/address) is the \
                     HWADDR this profile is bound to; the file names no DEVICE"
                );
                Ok((name, Some(("HWADDR", why))))
            }
            Some(many) => Err(Named::Unknown(
                "HWADDR",
                format!(
                    "this profile is bound to HWADDR {mac} and names no DEVICE, and several \
                     devices have that MAC under sys/class/net ({}); add DEVICE=",
                    many.join(", ")
                ),
            )),
            None => Err(Named::Unknown(
                "HWADDR",
                format!(
                    "this profile is bound to HWADDR {mac} and names no DEVICE, and no device \
                     under sys/class/net has that MAC, so netloom cannot tell the device's name \
                     (import on the machine itself, or add DEVICE=)"
                ),
            )),
        }
    }

    /// Makes each `ifcfg-BASE:N` an alias of `ifcfg-BASE` when that file is one netloom
    /// reads, and says why it is not read otherwise, as NetworkManager does: an alias of a
    /// device it leaves alone goes with it, and one without a base file is a profile of its
    /// own, of a device named with a colon, which no kernel device can be.
    fn settle_aliases(&mut self) {
        let bases: HashMap<&'a str, bool> = self
            .list
            .iter()
            .filter(|f| !f.name.contains(':'))
            .map(|f| (f.name, matches!(f.class, Class::Device(_))))
            .collect();
        for (index, file) in self.list.iter_mut().enumerate() {
            let Some((base, _)) = file.name.split_once(':') else {
                continue;
            };
            file.class = match bases.get(base) {
                Some(true) => {
                    self.aliases.entry(base).or_default().push(index);
                    Class::Alias
                }
                Some(false) => Class::Skipped {
                    key: "DEVICE",
                    why: format!("an alias of ifcfg-{base}, which netloom does not read"),
                },
                None => Class::Skipped {
                    key: "DEVICE",
                    why: format!(
                        "an alias without its ifcfg-{base}: NetworkManager reads it as a \
                         profile of its own, for a device named with a colon, which no device is"
                    ),
                },
            };
        }
    }

    /// The `route-NAME` (`tag` `route-`) or `route6-NAME` file of the ifcfg file
    /// `ifcfg-NAME`, as a path and its text.
    pub(super) fn route_file(&self, tag: &str, name: &str) -> Option<(&'a str, &'a str)> {
        let path = format!("{DIR}/{tag}{name}");
        self.route_files
            .get_key_value(path.as_str())
            .map(|(p, t)| (*p, *t))
    }

    /// The file `ifcfg-NAME`, whatever it configures.
    pub(super) fn named(&self, name: &str) -> Option<&IfcfgFile<'a>> {
        self.list.get(*self.by_any_name.get(name)?)
    }

    /// The file that configures `name`, by netcf's (and initscripts' `need_config`) rules:
    /// `ifcfg-NAME`; else the file whose `HWADDR` is the device's live MAC
    /// (`sys/class/net/NAME/address` under the root); else a file whose `DEVICE` is `NAME`.
    pub(super) fn lookup(&self, name: &IfaceName) -> Option<&IfcfgFile<'a>> {
        let index = self
            .by_file_name
            .get(name.as_str())
            .or_else(|| {
                self.live
                    .get(name.as_str())
                    .and_then(|mac| self.by_hwaddr.get(mac))
            })
            .or_else(|| self.by_device.get(name))?;
        self.list.get(*index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_keys_are_recognised() {
        assert_eq!(index_of("IPADDR", "IPADDR"), Some(None));
        assert_eq!(index_of("IPADDR0", "IPADDR"), Some(Some(0)));
        assert_eq!(index_of("IPADDR12", "IPADDR"), Some(Some(12)));
        assert_eq!(index_of("IPADDRX", "IPADDR"), None);
        assert_eq!(index_of("IPADDR1234", "IPADDR"), None);
        assert!(is_managed("NETMASK3") && is_managed("GATEWAY0") && is_managed("BONDING_OPTS"));
        assert!(!is_managed("NM_CONTROLLED") && !is_managed("ZONE") && !is_managed("HWADDR"));
    }

    #[test]
    fn backups_are_ignored() {
        for name in ["eth0~", "eth0.bak", "eth0.rpmsave", "eth0.orig"] {
            assert!(is_ignored(name), "{name}");
        }
        assert!(!is_ignored("eth0.42"));
    }
}
