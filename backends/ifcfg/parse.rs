//! ifcfg files as netloom sees them: parsed losslessly with [`crate::syntax::shell`], named by
//! their `DEVICE`, and found by netcf's lookup rules.

use std::collections::HashMap;

use super::DIR;
use crate::backend::{BackendError, Snapshot};
use crate::error::{Diagnostic, Diagnostics};
use crate::model::{IfaceName, MacAddr};
use crate::source::SourceFile;
use crate::syntax::shell::ShellFile;

/// One existing `ifcfg-*` file, borrowing its text from the snapshot.
#[derive(Debug)]
pub(super) struct IfcfgFile<'a> {
    /// Path relative to the root.
    pub(super) path: &'a str,
    /// The device it configures: `DEVICE`, else the file name's suffix. `None` when that is
    /// not a valid interface name.
    pub(super) device: Option<IfaceName>,
    /// The parsed text.
    pub(super) shell: ShellFile,
    /// The text as read, to position problems found later.
    text: &'a str,
}

impl IfcfgFile<'_> {
    /// The decoded value of a key.
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.shell.get(key)
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

/// File name suffixes initscripts skips (`ifcfg-eth0.bak` is a backup, not a device).
const IGNORED_SUFFIXES: &[&str] = &[
    "~", ".bak", ".old", ".orig", ".rpmnew", ".rpmorig", ".rpmsave",
];

/// Whether `ifcfg-NAME` is a file initscripts and NetworkManager skip.
pub(super) fn is_ignored(name: &str) -> bool {
    IGNORED_SUFFIXES.iter().any(|s| name.ends_with(s))
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
    "BONDING_OPTS",
    "MASTER",
    "SLAVE",
    "BRIDGE",
    "STP",
    "DELAY",
];

/// Indexed families (`IPADDR`, `IPADDR0`, `IPADDR12`…), all managed.
const INDEXED: &[&str] = &["IPADDR", "PREFIX", "NETMASK", "GATEWAY"];

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

/// Bonding options netloom sets from the model; any other option in an existing
/// `BONDING_OPTS` (`lacp_rate`, `xmit_hash_policy`…) is the user's and is kept.
pub(super) const MANAGED_BOND_OPTIONS: &[&str] = &[
    "mode",
    "primary",
    "miimon",
    "downdelay",
    "updelay",
    "use_carrier",
    "arp_interval",
    "arp_ip_target",
    "arp_validate",
];

/// The ifcfg files of a root, indexed for netcf's lookup rules so that finding the file of
/// each of 10,000 devices stays linear.
#[derive(Debug, Default)]
pub(super) struct Files<'a> {
    /// The readable files, in path order.
    pub(super) list: Vec<IfcfgFile<'a>>,
    /// By the NAME of `ifcfg-NAME`.
    by_file_name: HashMap<&'a str, usize>,
    /// The first file (in path order) naming each device, and each `HWADDR`.
    by_device: HashMap<IfaceName, usize>,
    by_hwaddr: HashMap<MacAddr, usize>,
    /// Live MACs from `sys/class/net/NAME/address` under the root.
    live: HashMap<&'a str, MacAddr>,
}

impl<'a> Files<'a> {
    /// Parses every ifcfg file of the snapshot, reporting every unreadable one. Parsing is
    /// pure and per file, so a root of 10,000 files is parsed on every core.
    pub(super) fn read(existing: &'a Snapshot) -> Result<Self, BackendError> {
        let prefix = format!("{DIR}/ifcfg-");
        let mut files = Files::default();
        let mut candidates: Vec<(&'a str, &'a str, &'a str)> = Vec::new();
        for (path, text) in &existing.files {
            if let Some(dev) = path
                .strip_prefix("sys/class/net/")
                .and_then(|p| p.strip_suffix("/address"))
            {
                if let Ok(mac) = MacAddr::parse(text.trim()) {
                    files.live.insert(dev, mac);
                }
                continue;
            }
            if let Some(suffix) = path.strip_prefix(&prefix)
                && !suffix.is_empty()
                && !is_ignored(suffix)
            {
                candidates.push((path, suffix, text));
            }
        }
        let parsed = crate::parallel::map(&candidates, 512, |(_, _, text)| ShellFile::parse(text));
        // A file that is not UTF-8 may configure any device (by DEVICE or HWADDR), and its
        // bytes could not be kept in a merge: every one initscripts would read stops the run.
        let mut problems: Vec<Diagnostic> = existing
            .binary
            .iter()
            .filter(|(path, _)| {
                path.strip_prefix(&prefix)
                    .is_some_and(|suffix| !suffix.is_empty() && !is_ignored(suffix))
            })
            .map(|(_, problem)| problem.clone().with_note(UNREADABLE))
            .collect();
        for ((path, suffix, text), shell) in candidates.into_iter().zip(parsed) {
            let source = || SourceFile::new(path, text);
            let shell = match shell {
                Ok(shell) => shell,
                Err(e) => {
                    problems.push(source().diagnostic_in_input(e.offset, e.message));
                    continue;
                }
            };
            if let Some(at) = shell.bare_cr() {
                problems.push(source().diagnostic_in_input(at, BARE_CR));
                continue;
            }
            let device = match shell.get("DEVICE") {
                Some(d) => match IfaceName::parse(d) {
                    Ok(n) => Some(n),
                    Err(e) => {
                        let offset = shell.offset("DEVICE").unwrap_or(0);
                        problems.push(
                            source()
                                .diagnostic_in_input(offset, format!("invalid DEVICE '{d}': {e}")),
                        );
                        None
                    }
                },
                None => IfaceName::parse(suffix).ok(),
            };
            let index = files.list.len();
            files.by_file_name.insert(suffix, index);
            if let Some(d) = &device {
                files.by_device.entry(d.clone()).or_insert(index);
            }
            if let Some(mac) = shell
                .get("HWADDR")
                .and_then(|h| MacAddr::parse(h.trim()).ok())
            {
                files.by_hwaddr.entry(mac).or_insert(index);
            }
            files.list.push(IfcfgFile {
                path,
                device,
                shell,
                text,
            });
        }
        if problems.is_empty() {
            Ok(files)
        } else {
            Err(BackendError::Invalid(Diagnostics(problems)))
        }
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
