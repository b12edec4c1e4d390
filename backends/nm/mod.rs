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

use crate::backend::{Backend, BackendError, ObjectKind, Refusal, Removal, RenderedFile, Snapshot};
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

/// Whether a profile (a keyfile, or a live one) is one netloom made: its UUID is the one
/// netloom derives from its interface name. Only those are ever removed for not being
/// rendered; the user's own profiles (Wi-Fi, VPN) share the directory and the daemon.
pub fn netlooms(s: &Settings) -> bool {
    let derived = s.interface_name().map(render::uuid);
    derived.is_some() && s.uuid() == derived.as_deref()
}

/// Whether `path` is a keyfile NetworkManager reads: directly in [`DIR`], named `*.nmconnection`,
/// not hidden (NetworkManager skips names starting with `.`).
fn is_keyfile(path: &str) -> bool {
    path.strip_prefix(DIR)
        .and_then(|p| p.strip_prefix('/'))
        .and_then(|p| p.strip_suffix(SUFFIX))
        .is_some_and(|stem| !stem.is_empty() && !stem.contains('/') && !stem.starts_with('.'))
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
fn keyfile_for(profile: &Settings, existing: &Snapshot) -> Result<RenderedFile, Diagnostics> {
    let path = path(profile.interface_name().unwrap_or_default());
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
        None => profile.clone(),
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

    fn accepts(&self, kind: ObjectKind) -> bool {
        kind == ObjectKind::Interfaces
    }

    fn marker(&self) -> Option<&'static str> {
        Some("etc/NetworkManager")
    }

    fn scan(&self) -> &'static [&'static str] {
        &["etc/NetworkManager/system-connections/*.nmconnection"]
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
        // Each keyfile is independent of the others: 10,000 are written on every core.
        let written = crate::parallel::map(&profiles, 128, |p| keyfile_for(p, existing));
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
        let chosen = import::chosen(&sources(&files), &mut problems);
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

    fn import(&self, existing: &Snapshot, names: &[IfaceName]) -> Result<Host, BackendError> {
        let files = parsed(existing)?;
        import::build(&sources(&files), names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyfiles_are_visible_nmconnection_files_in_the_directory() {
        for yes in ["eth0", "bond0.100", "-x", "a b"] {
            assert!(is_keyfile(&path(yes)), "{yes}");
        }
        for no in [
            "etc/NetworkManager/system-connections/.eth0.nmconnection",
            "etc/NetworkManager/system-connections/eth0.nmconnection~",
            "etc/NetworkManager/system-connections/eth0",
            "etc/NetworkManager/system-connections/.nmconnection",
            "etc/NetworkManager/system-connections/sub/eth0.nmconnection",
            "etc/NetworkManager/NetworkManager.conf",
        ] {
            assert!(!is_keyfile(no), "{no}");
        }
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
}
