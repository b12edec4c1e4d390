//! NetworkManager: profiles rendered from the model, written as keyfiles under a root
//! (installers, no daemon) or sent to a running NetworkManager over D-Bus.
//!
//! The halves share [`render::profiles`] (the model to [`Settings`]) and
//! [`import::host`] (settings back to the model). This file is the keyfile half's
//! [`Backend`]: one `etc/NetworkManager/system-connections/NAME.nmconnection` per device
//! (each top-level interface, bridge port and bond slave), mode 0600 because NetworkManager
//! ignores a keyfile others can read. The directory is shared with the user's own profiles
//! (Wi-Fi, VPN…), so netloom owns a keyfile only when its UUID is the one netloom derives
//! from the interface name it configures: nothing else there is ever removed. An existing
//! keyfile at the path netloom writes is merged into ([`Settings::merged`], as the live half
//! updates a profile): the keys netloom manages are replaced and the user's own settings,
//! such as DNS servers or a firewall zone, are kept.

pub mod import;
pub mod keyfile;
pub mod live;
pub mod render;
pub mod settings;

use std::collections::HashMap;

pub use settings::{Settings, Value};

use crate::backend::{Backend, BackendError, Imported, Refusal, Removal, RenderedFile, Snapshot};
use crate::error::{Diagnostic, Diagnostics};
use crate::model::{Bond, Host, IfaceName, InterfaceKind, PortKind};

/// Where the keyfiles live, relative to the target root.
pub const DIR: &str = "etc/NetworkManager/system-connections";

/// The suffix NetworkManager requires of a keyfile's name.
pub const SUFFIX: &str = ".nmconnection";

/// The NetworkManager keyfile backend.
pub struct Nm;

/// The keyfile of the device `name`.
pub fn path(name: &str) -> String {
    format!("{DIR}/{name}{SUFFIX}")
}

/// The setting that holds an application's own data (`[user]` in a keyfile).
pub const USER: &str = "user";

/// The `user` key that marks a profile whose UUID is the XML's as netloom's.
pub const OWNED_KEY: &str = "netloom.owned";

/// The value of [`OWNED_KEY`].
pub const OWNED_VALUE: &str = "yes";

/// Whether `s` says it is netloom's: its UUID is the one netloom derives from its interface
/// name, or (when the XML gave its own UUID) it carries netloom's mark in `user`.
pub fn marked(s: &Settings) -> bool {
    let derived = s
        .interface_name()
        .is_some_and(|name| s.uuid() == Some(render::uuid(name).as_str()));
    derived
        || matches!(
            s.0.get(USER).and_then(|u| u.get("data")),
            Some(Value::StrMap(data)) if data.get(OWNED_KEY).map(String::as_str) == Some(OWNED_VALUE)
        )
}

/// Whether a profile (a keyfile, or a live one) is one netloom made: it is [`marked`], and
/// of a kind the model holds (a Wi-Fi or team profile that carries such a UUID is still the
/// user's, as import skips it). Only those are ever removed for not being rendered; the
/// user's own profiles (Wi-Fi, VPN) share the directory and the daemon.
pub fn netlooms(s: &Settings) -> bool {
    use settings::kind;
    let modelled = matches!(
        s.kind(),
        Some(kind::ETHERNET | kind::BOND | kind::VLAN | kind::BRIDGE)
    ) && matches!(
        s.str("connection", "slave-type"),
        None | Some("bond" | "bridge")
    );
    modelled && marked(s)
}

/// Whether `path` is a keyfile NetworkManager reads (`nm_keyfile_utils_ignore_filename`, for
/// `/etc`, where it needs no `.nmconnection` suffix): directly in [`DIR`], not hidden, not a
/// backup (`~`), not a temporary of `g_file_set_contents` (`.` and six letters or digits),
/// not a certificate (`.pem`, `.der`), not one of its `.nmmeta` markers.
fn is_keyfile(path: &str) -> bool {
    let Some(name) = path.strip_prefix(DIR).and_then(|p| p.strip_prefix('/')) else {
        return false;
    };
    let ends = |suffix: &str| {
        name.len() > suffix.len()
            && name.is_char_boundary(name.len() - suffix.len())
            && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    let temporary = name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.len() == 6 && ext.bytes().all(|b| b.is_ascii_alphanumeric()));
    !name.is_empty()
        && !name.contains('/')
        && !name.starts_with('.')
        && !name.ends_with('~')
        && !temporary
        && !ends(".pem")
        && !ends(".der")
        && !name.ends_with(".nmmeta")
}

/// Every keyfile of the snapshot, read, in path order; every unreadable one is reported.
/// Each file is read on its own, so 10,000 of them are read on every core.
fn parsed(existing: &Snapshot) -> Result<Vec<(&str, &str, Settings)>, BackendError> {
    let files: Vec<(&str, &str)> = existing
        .files
        .iter()
        .filter(|(p, _)| is_keyfile(p))
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let read = crate::parallel::map(&files, 256, |(path, text)| keyfile::read(path, text));
    let mut out = Vec::with_capacity(files.len());
    // A keyfile that is not UTF-8 may hold a profile of any device: the import cannot
    // say what NetworkManager makes of it, so it stops rather than leave it out.
    let mut problems: Vec<Diagnostic> = existing
        .binary
        .iter()
        .filter(|(p, _)| is_keyfile(p))
        .map(|(_, problem)| {
            problem.clone().with_note(
                "NetworkManager reads this keyfile; netloom cannot tell which profile it holds \
                 until it is converted to UTF-8",
            )
        })
        .collect();
    for ((path, text), settings) in files.into_iter().zip(read) {
        match settings {
            Ok(s) => out.push((path, text, s)),
            Err(d) => problems.extend(d.0),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(BackendError::Invalid(Diagnostics(problems)))
    }
}

/// The devices under the root by MAC, from `sys/class/net/NAME/address`.
fn live(existing: &Snapshot) -> import::Live<'_> {
    let mut out = import::Live::new();
    for (path, text) in &existing.files {
        if let Some(dev) = path
            .strip_prefix("sys/class/net/")
            .and_then(|p| p.strip_suffix("/address"))
            && let Ok(mac) = crate::model::MacAddr::parse(text.trim())
        {
            out.entry(mac).or_default().push(dev);
        }
    }
    out
}

fn sources<'a>(files: &'a [(&'a str, &'a str, Settings)]) -> Vec<import::Source<'a>> {
    files
        .iter()
        .map(|(path, text, settings)| import::Source {
            settings,
            file: Some(import::File { path, text }),
        })
        .collect()
}

/// Every device name a top-level interface defines: its own, its ports' and its slaves'.
fn names(host: &Host) -> Vec<&IfaceName> {
    fn slaves<'h>(b: &'h Bond, out: &mut Vec<&'h IfaceName>) {
        out.extend(b.slaves.iter().map(|s| &s.name));
    }
    let mut out = Vec::new();
    for i in &host.interfaces {
        out.push(&i.name);
        match &i.kind {
            InterfaceKind::Ethernet(_) | InterfaceKind::Vlan(_) => {}
            InterfaceKind::Bond(b) => slaves(b, &mut out),
            InterfaceKind::Bridge(br) => {
                for port in &br.ports {
                    out.push(&port.name);
                    if let PortKind::Bond(b) = &port.kind {
                        slaves(b, &mut out);
                    }
                }
            }
        }
    }
    out
}

/// The keyfile of one profile: merged into the keyfile already at its path, if any.
/// Where each profile that carries the XML's own UUID already lives, by UUID, when that is
/// a keyfile other than the one named after its device (a profile the user made, whose
/// UUID `import` read): NetworkManager knows one profile by one UUID, so it is written into
/// that keyfile rather than into a second one beside it.
fn homes<'s>(
    profiles: &[Settings],
    existing: &'s Snapshot,
) -> Result<HashMap<String, &'s str>, BackendError> {
    let own: Vec<&str> = profiles
        .iter()
        .filter(|p| p.0.contains_key(USER))
        .filter_map(Settings::uuid)
        .collect();
    if own.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    for (file, _, settings) in parsed(existing)? {
        let Some(u) = settings.uuid().filter(|u| own.contains(u)) else {
            continue;
        };
        if settings.interface_name().map(path).as_deref() != Some(file) {
            out.entry(u.to_owned()).or_insert(file);
        }
    }
    Ok(out)
}

fn keyfile_for(
    profile: &Settings,
    home: Option<&str>,
    existing: &Snapshot,
) -> Result<RenderedFile, Diagnostics> {
    let path = match home {
        Some(p) => p.to_owned(),
        None => path(profile.interface_name().unwrap_or_default()),
    };
    if let Some(problem) = existing.binary.get(&path) {
        return Err(Diagnostics(vec![problem.clone().with_note(
            "netloom merges its settings into this keyfile, and cannot keep bytes it cannot \
             read; convert the file to UTF-8 or move it away",
        )]));
    }
    let merged = match existing.files.get(&path) {
        // Re-applying an unchanged configuration is the common case: a keyfile that already
        // says exactly what netloom writes holds nothing of the user's to keep.
        Some(text) if *text == keyfile::write(profile) => {
            return Ok(RenderedFile {
                contents: text.clone(),
                path,
                mode: 0o600,
            });
        }
        Some(text) => {
            let old = keyfile::read(&path, text)?;
            // A profile of another type keeps nothing: its settings would not fit.
            if old.kind() == profile.kind() {
                old.merged(profile)
            } else {
                profile.clone()
            }
        }
        None => {
            return Ok(RenderedFile {
                contents: keyfile::write(profile),
                path,
                mode: 0o600,
            });
        }
    };
    Ok(RenderedFile {
        contents: keyfile::write(&merged),
        path,
        mode: 0o600,
    })
}

impl Backend for Nm {
    fn name(&self) -> &'static str {
        "nm"
    }

    fn marker(&self) -> Option<&'static str> {
        Some("etc/NetworkManager")
    }

    fn running(&self) -> Option<crate::backend::Running> {
        Some(crate::backend::Running::Process("NetworkManager"))
    }

    fn manages_unconfigured(&self) -> bool {
        // Every device no profile or plugin file names gets NetworkManager's default
        // connection: on a root whose other backend configures nothing, it manages all.
        true
    }

    fn scan(&self) -> &'static [&'static str] {
        // Every file there: NetworkManager reads them without the `.nmconnection` suffix
        // too; `sys/class/net` names the device a profile bound to a MAC is for.
        &[
            "etc/NetworkManager/system-connections/*",
            "sys/class/net/*/address",
        ]
    }

    fn owns(&self, path: &str, text: Option<&str>) -> bool {
        is_keyfile(path)
            && text
                .and_then(|t| keyfile::read(path, t).ok())
                .is_some_and(|s| netlooms(&s))
    }

    fn live(&self) -> Option<&dyn crate::live::Live> {
        Some(&live::NmLive)
    }

    fn render(&self, host: &Host, existing: &Snapshot) -> Result<Vec<RenderedFile>, BackendError> {
        // NetworkManager ignores hidden keyfiles: such a profile would silently not exist.
        let mut refusals: Vec<Refusal> = names(host)
            .into_iter()
            .filter(|n| n.as_str().starts_with('.'))
            .map(|n| Refusal {
                interface: n.to_string(),
                setting: format!("<interface name='{n}'>"),
                why: "NetworkManager skips keyfiles whose name starts with '.' as hidden \
                      files, and the keyfile is named after the interface. Rename the device"
                    .to_owned(),
            })
            .collect();
        let profiles = match render::profiles(host) {
            Ok(p) => p,
            Err(BackendError::Unsupported { refusals: more, .. }) => {
                refusals.extend(more);
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        if !refusals.is_empty() {
            return Err(BackendError::Unsupported {
                backend: render::BACKEND,
                refusals,
            });
        }
        let homes = homes(&profiles, existing)?;
        // Each keyfile is independent of the others: 10,000 are written on every core.
        let written = crate::parallel::map(&profiles, 128, |p| {
            let home = p.uuid().and_then(|u| homes.get(u)).copied();
            keyfile_for(p, home, existing)
        });
        let mut problems: Vec<Diagnostic> = Vec::new();
        let mut out = Vec::with_capacity(written.len());
        for file in written {
            match file {
                Ok(f) => out.push(f),
                Err(d) => problems.extend(d.0),
            }
        }
        if !problems.is_empty() {
            return Err(BackendError::Invalid(Diagnostics(problems)));
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Removes the keyfiles `target`'s devices are read from (the ones [`import`] picks),
    /// and nothing else: no other profile refers to them.
    fn undefine(&self, existing: &Snapshot, target: &Host) -> Result<Removal, BackendError> {
        let files = parsed(existing)?;
        let mut problems = Vec::new();
        let live = live(existing);
        let chosen = import::chosen(&sources(&files), &live, &mut problems, &mut Vec::new());
        let path_of: HashMap<&IfaceName, &str> = chosen
            .iter()
            .filter_map(|(n, s)| Some((n, s.file?.path)))
            .collect();
        let mut removed: Vec<String> = names(target)
            .into_iter()
            .filter_map(|n| path_of.get(&n).map(|p| (*p).to_owned()))
            .collect();
        removed.sort();
        removed.dedup();
        Ok(Removal {
            files: Vec::new(),
            removed,
        })
    }

    fn import_noted(
        &self,
        existing: &Snapshot,
        names: &[IfaceName],
    ) -> Result<Imported, BackendError> {
        let files = parsed(existing)?;
        import::build(&sources(&files), names, &live(existing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyfiles_are_the_files_networkmanager_reads_in_the_directory() {
        for yes in ["eth0", "bond0.100", "-x", "a b"] {
            assert!(is_keyfile(&path(yes)), "{yes}");
        }
        for yes in ["Wired connection 1", "eth0", "office.lan"] {
            assert!(is_keyfile(&format!("{DIR}/{yes}")), "{yes}");
        }
        for no in [
            "etc/NetworkManager/system-connections/.eth0.nmconnection",
            "etc/NetworkManager/system-connections/eth0.nmconnection~",
            "etc/NetworkManager/system-connections/eth0.Ab12cd",
            "etc/NetworkManager/system-connections/ca.PEM",
            "etc/NetworkManager/system-connections/key.der",
            "etc/NetworkManager/system-connections/x.nmmeta",
            "etc/NetworkManager/system-connections/.nmconnection",
            "etc/NetworkManager/system-connections/sub/eth0.nmconnection",
            "etc/NetworkManager/NetworkManager.conf",
        ] {
            assert!(!is_keyfile(no), "{no}");
        }
    }

    // ---- what NetworkManager reads, spelled every way it reads it ----

    /// The host (as XML) and notes importing `files` (name under [`DIR`], text) gives.
    fn read(files: &[(&str, &str)]) -> (String, Vec<String>) {
        let snap = snapshot(files.iter().map(|(n, t)| {
            let path = match n.strip_prefix('/') {
                Some(p) => p.to_owned(),
                None => format!("{DIR}/{n}"),
            };
            (path, (*t).to_owned())
        }));
        let imported = Nm
            .import_noted(&snap, &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let notes = (imported.notes.iter())
            .map(|n| format!("{:?} {}", n.kind, n.at.message()))
            .collect();
        (crate::xml::to_xml(&imported.host), notes)
    }

    const BRIDGE: &str = "[connection]\nid=br0\ntype=bridge\ninterface-name=br0\n\n[ipv4]\n\
                          method=auto\n";

    #[test]
    fn ports_named_with_controller_and_port_type_stay_ports() {
        // NetworkManager 1.46's spelling; a port's controller named by interface name.
        let port = "[connection]\nid=p\ntype=ethernet\ninterface-name=eth0\ncontroller=br0\n\
                    port-type=bridge\n";
        let (got, notes) = read(&[("br0.nmconnection", BRIDGE), ("p.nmconnection", port)]);
        assert!(
            got.contains("<interface type='ethernet' name='eth0'/>"),
            "{got}"
        );
        assert!(
            got.starts_with("<interface type='bridge' name='br0'>"),
            "{got}"
        );
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn an_interface_name_in_the_types_setting_names_the_device() {
        let old = "[connection]\nid=b\ntype=bridge\n\n[bridge]\ninterface-name=br7\n";
        let (got, notes) = read(&[("b", old)]);
        assert!(got.contains("name='br7'"), "{got}");
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn a_vlan_without_interface_name_is_parent_dot_id() {
        let parent = "[connection]\nid=e\nuuid=0e0e0e0e-0000-4000-8000-000000000001\ntype=ethernet\n\
                      interface-name=enp0s31f6abcde\n";
        let vlan = "[connection]\nid=v\ntype=vlan\n\n[vlan]\n\
                    parent=0e0e0e0e-0000-4000-8000-000000000001\nid=4000\n";
        let (got, notes) = read(&[("e", parent), ("v", vlan)]);
        assert!(got.contains("name='enp0s31f6a.4000'"), "{got}");
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("Derived the device is 'enp0s31f6a.4000'"))
        );
    }

    #[test]
    fn every_address_form_networkmanager_reads_is_read() {
        let profile = "[connection]\nid=e\ntype=ethernet\ninterface-name=eth0\n\n[ipv4]\n\
                       method=manual\naddress1=192.0.2.1/24,192.0.2.254\naddress2=198.51.100.1\n\
                       address3=203.0.113.1/192.0.2.1\naddresses4=10.0.0.1;8;;\n\n[ipv6]\n\
                       method=manual\naddress1=2001:db8::1,77\naddress2=2001:db8::2\n";
        let (got, _) = read(&[("e", profile)]);
        for want in [
            "<ip address='192.0.2.1' prefix='24'/>",
            "<ip address='198.51.100.1' prefix='24'/>",
            "<ip address='203.0.113.1' prefix='24'/>",
            "<ip address='10.0.0.1' prefix='8'/>",
            "<route gateway='192.0.2.254'/>",
            "<ip address='2001:db8::1' prefix='77'/>",
            "<ip address='2001:db8::2' prefix='64'/>",
        ] {
            assert!(got.contains(want), "{want} in\n{got}");
        }
    }

    #[test]
    fn a_profile_bound_by_mac_is_named_by_the_device_that_has_it() {
        let profile = "[connection]\nid=Wired connection 1\ntype=ethernet\n\n[ethernet]\n\
                       mac-address=52:54:00:12:34:56\n";
        let (got, notes) = read(&[
            ("Wired connection 1", profile),
            ("/sys/class/net/enp1s0/address", "52:54:00:12:34:56\n"),
        ]);
        assert!(got.contains("name='enp1s0'"), "{got}");
        assert!(
            notes[0].starts_with("Derived the device is 'enp1s0'"),
            "{notes:?}"
        );
        let snap = snapshot([(format!("{DIR}/w"), profile.to_owned())]);
        let Err(BackendError::Invalid(d)) = Nm.import(&snap, &[]) else {
            panic!("offline, the device cannot be named");
        };
        assert!(
            d.0[0]
                .message()
                .contains("no device under sys/class/net has that MAC")
        );
    }

    // ---- cost: linear in the root, whatever its shape ----

    use crate::scaling::assert_linear;

    fn snapshot(files: impl IntoIterator<Item = (String, String)>) -> Snapshot {
        Snapshot {
            files: files.into_iter().collect(),
            ..Snapshot::default()
        }
    }

    fn ethernet(name: &str, ipv4: &str) -> String {
        format!(
            "[connection]\nid={name}\ntype=ethernet\ninterface-name={name}\n\n[ipv4]\n\
             method=manual\n{ipv4}\n[ipv6]\nmethod=ignore\n"
        )
    }

    #[test]
    fn importing_many_keyfiles_all_or_by_name_is_linear() {
        let root = |n: usize| {
            let files = (0..n).map(|i| {
                let name = format!("eth{i}");
                let address = format!("address1=10.{}.{}.1/24\n", i / 256 % 256, i % 256);
                (path(&name), ethernet(&name, &address))
            });
            let names: Vec<IfaceName> = (0..n)
                .map(|i| IfaceName::parse(&format!("eth{i}")).unwrap())
                .collect();
            (snapshot(files), names)
        };
        assert_linear("importing n keyfiles", 300, root, |(snap, _)| {
            assert!(Nm.import(snap, &[]).is_ok());
        });
        assert_linear(
            "importing n keyfiles by name",
            300,
            root,
            |(snap, names)| {
                assert!(Nm.import(snap, names).is_ok());
            },
        );
    }

    #[test]
    fn a_keyfile_with_many_problems_is_read_once_for_all_of_them() {
        // n addresses the model refuses: each is reported at its own line, and the file is
        // parsed for positions once, not once per problem.
        let root = |n: usize| {
            let addresses: String = (1..=n)
                .map(|i| format!("address{i}=0.0.0.0/24\n"))
                .collect();
            snapshot([(path("eth0"), ethernet("eth0", &addresses))])
        };
        assert_linear("n refused addresses in one keyfile", 300, root, |snap| {
            let Err(BackendError::Invalid(d)) = Nm.import(snap, &[]) else {
                panic!("0.0.0.0 must be refused");
            };
            let lines: std::collections::HashSet<u32> =
                d.0.iter()
                    .filter_map(|p| p.position())
                    .map(|p| p.line)
                    .collect();
            assert_eq!(lines.len(), d.0.len());
        });
    }

    #[test]
    fn a_bond_of_many_slaves_imports_in_linear_time() {
        let root = |n: usize| {
            let bond = "[connection]\nid=bond0\ntype=bond\ninterface-name=bond0\n\n[bond]\n\
                        mode=active-backup\nmiimon=100\n"
                .to_owned();
            let slaves = (0..n).map(|i| {
                let name = format!("s{i}");
                let text = format!(
                    "[connection]\nid={name}\ntype=ethernet\ninterface-name={name}\n\
                     master=bond0\nslave-type=bond\n"
                );
                (path(&name), text)
            });
            snapshot(std::iter::once((path("bond0"), bond)).chain(slaves))
        };
        assert_linear("a bond of n slaves", 300, root, |snap| {
            let host = Nm.import(snap, &[]).unwrap();
            assert_eq!(host.interfaces.len(), 1);
        });
    }

    #[test]
    fn options_are_read_as_networkmanager_reads_them() {
        // vlan.flags bits, a keyfile word for the cloned MAC, bond options NetworkManager drops
        // in the bond's mode, a bridge's STP parameters with STP off.
        let eth = "[connection]\nid=e\ntype=ethernet\ninterface-name=eth0\n\n[ethernet]\n\
                   cloned-mac-address=random\n";
        let vlan = "[connection]\nid=v\ntype=vlan\ninterface-name=eth0.7\n\n[vlan]\n\
                    parent=eth0\nid=7\nflags=10\nprotocol=802.1ad\n";
        let bond = "[connection]\nid=b\ntype=bond\ninterface-name=bond0\n\n[bond]\n\
                    mode=active-backup\nad_select=count\ntlb_dynamic_lb=0\nlp_interval=3\n";
        let slave = "[connection]\nid=s\ntype=ethernet\ninterface-name=eth1\nmaster=bond0\n\
                     slave-type=bond\n";
        let bridge = "[connection]\nid=br0\ntype=bridge\ninterface-name=br0\n\n[bridge]\n\
                      stp=false\npriority=4096\nageing-time=300\nmulticast-snooping=false\n";
        let (got, notes) = read(&[
            ("e", eth),
            ("v", vlan),
            ("b", bond),
            ("s", slave),
            ("br0", bridge),
        ]);
        for want in [
            "<nl:vlan protocol='802.1ad' reorder_hdr='no' gvrp='yes' mvrp='yes'/>",
            "<nl:bond ad_select='count'/>",
            "<bridge stp='off'>\n      <nl:bridge multicast_snooping='no'/>",
        ] {
            assert!(got.contains(want), "{want} in\n{got}");
        }
        assert!(!got.contains("cloned-mac"), "{got}");
        assert_eq!(
            notes,
            [
                "NotImported bond.lp_interval is kept in the profile but not imported",
                "NotImported bond.tlb_dynamic_lb is kept in the profile but not imported: \
                 tlb_dynamic_lb is for mode 'balance-tlb' or 'balance-alb', and this bond's is \
                 'active-backup', and NetworkManager drops it",
                "NotImported bridge.priority is kept in the profile but not imported: it is STP's, \
                 STP is off, and NetworkManager does not set it",
                "NotImported ethernet.cloned-mac-address is kept in the profile but not imported: \
                 'random' is how NetworkManager picks a MAC, and <nl:cloned-mac> holds an address",
            ]
        );
    }

    #[test]
    fn a_cloned_mac_over_dbus_is_read_once_from_either_of_its_keys() {
        use settings::kind;
        // GetSettings says an address in `cloned-mac-address` (bytes) and in
        // `assigned-mac-address` (text); a word in `assigned-mac-address` only.
        let profile = |assigned: &str, bytes: Option<Vec<u8>>| {
            let mut p = Settings::default();
            p.set("connection", "id", Value::Str("eth0".into()));
            p.set("connection", "type", Value::Str(kind::ETHERNET.into()));
            p.set("connection", "interface-name", Value::Str("eth0".into()));
            p.set(
                kind::ETHERNET,
                "assigned-mac-address",
                Value::Str(assigned.into()),
            );
            if let Some(b) = bytes {
                p.set(kind::ETHERNET, "cloned-mac-address", Value::Bytes(b));
            }
            p
        };
        let noted = |p: Settings| {
            let sources = [import::Source {
                settings: &p,
                file: None,
            }];
            let imported = import::build(&sources, &[], &import::Live::new()).unwrap();
            let notes: Vec<String> = (imported.notes.iter())
                .map(|n| n.at.message().to_owned())
                .collect();
            (crate::xml::to_xml(&imported.host), notes)
        };
        let (xml, notes) = noted(profile(
            "02:4E:4D:00:00:99",
            Some(vec![2, 0x4e, 0x4d, 0, 0, 0x99]),
        ));
        assert!(
            xml.contains("<nl:cloned-mac address='02:4e:4d:00:00:99'/>"),
            "{xml}"
        );
        assert!(notes.is_empty(), "{notes:?}");
        let (xml, notes) = noted(profile("stable", None));
        assert!(!xml.contains("cloned-mac"), "{xml}");
        assert_eq!(
            notes,
            [
                "802-3-ethernet.assigned-mac-address: ethernet.assigned-mac-address is kept in \
                 the profile but not imported: 'stable' is how NetworkManager picks a MAC, and \
                 <nl:cloned-mac> holds an address"
            ]
        );
    }
}
