//! ifcfg files as netloom sees them: parsed losslessly with [`crate::syntax::shell`], named by
//! their `DEVICE`, and found by netcf's lookup rules.

use super::DIR;
use crate::backend::{BackendError, Snapshot};
use crate::error::{Diagnostic, Diagnostics};
use crate::model::{IfaceName, MacAddr};
use crate::source::SourceFile;
use crate::syntax::shell::ShellFile;

/// One existing `ifcfg-*` file.
#[derive(Debug)]
pub(super) struct IfcfgFile {
    /// Path relative to the root.
    pub(super) path: String,
    /// The device it configures: `DEVICE`, else the file name's suffix. `None` when that is
    /// not a valid interface name.
    pub(super) device: Option<IfaceName>,
    /// The parsed text.
    pub(super) shell: ShellFile,
    /// The text, for positioning problems found later.
    pub(super) source: SourceFile,
}

impl IfcfgFile {
    /// The decoded value of a key.
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.shell.get(key)
    }

    /// A problem with the value of `key` (or with the file, if the key is absent).
    pub(super) fn problem(&self, key: &str, message: impl Into<String>) -> Diagnostic {
        let offset = self.shell.offset(key).unwrap_or(0);
        self.source.diagnostic(offset, message)
    }
}

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

/// Parses every ifcfg file of the snapshot, reporting every unreadable one.
pub(super) fn files(existing: &Snapshot) -> Result<Vec<IfcfgFile>, BackendError> {
    let prefix = format!("{DIR}/ifcfg-");
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (path, text) in &existing.files {
        let Some(suffix) = path.strip_prefix(&prefix) else {
            continue;
        };
        if suffix.is_empty() || is_ignored(suffix) {
            continue;
        }
        let source = SourceFile::new(path.clone(), text.clone());
        let shell = match ShellFile::parse(text) {
            Ok(shell) => shell,
            Err(e) => {
                problems.push(source.diagnostic(e.offset, e.message));
                continue;
            }
        };
        let device = match shell.get("DEVICE") {
            Some(d) => match IfaceName::parse(d) {
                Ok(n) => Some(n),
                Err(e) => {
                    let offset = shell.offset("DEVICE").unwrap_or(0);
                    problems.push(source.diagnostic(offset, format!("invalid DEVICE '{d}': {e}")));
                    None
                }
            },
            None => IfaceName::parse(suffix).ok(),
        };
        out.push(IfcfgFile {
            path: path.clone(),
            device,
            shell,
            source,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(BackendError::Invalid(Diagnostics(problems)))
    }
}

/// The MAC a live system reports for a device, from `sys/class/net/NAME/address` under the
/// root.
fn live_mac(existing: &Snapshot, name: &IfaceName) -> Option<MacAddr> {
    let text = existing.get(&format!("sys/class/net/{name}/address"))?;
    MacAddr::parse(text.trim()).ok()
}

/// The file that configures `name`, by netcf's (and initscripts' `need_config`) rules:
/// `ifcfg-NAME`; else the file whose `HWADDR` is the device's live MAC; else a file whose
/// `DEVICE` is `NAME`.
pub(super) fn lookup<'a>(
    files: &'a [IfcfgFile],
    name: &IfaceName,
    existing: &Snapshot,
) -> Option<&'a IfcfgFile> {
    let by_file = format!("{DIR}/ifcfg-{name}");
    if let Some(f) = files.iter().find(|f| f.path == by_file) {
        return Some(f);
    }
    if let Some(mac) = live_mac(existing, name) {
        let by_mac = files
            .iter()
            .find(|f| f.get("HWADDR").and_then(|h| MacAddr::parse(h.trim()).ok()) == Some(mac));
        if by_mac.is_some() {
            return by_mac;
        }
    }
    files.iter().find(|f| f.device.as_ref() == Some(name))
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
