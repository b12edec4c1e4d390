//! RHEL/Fedora `ifcfg-*` files, as read by initscripts' network-scripts and by
//! NetworkManager's ifcfg-rh plugin.
//!
//! netcf's RedHat mapping is the reference, with its losses fixed: a gateway given with DHCP
//! is kept, a vlan's tag is always written (`VLAN_ID`), and files are merged key by key
//! instead of wiped. docs/ifcfg.md lists every deliberate difference.

mod import;
pub mod live;
mod parse;
mod render;
mod routes;

use crate::backend::{Backend, BackendError, Imported, RenderedFile, Snapshot};
use crate::model::{Host, IfaceName};

/// Where the files live, relative to the target root.
pub const DIR: &str = "etc/sysconfig/network-scripts";

/// The ifcfg backend.
pub struct Ifcfg;

impl Backend for Ifcfg {
    fn name(&self) -> &'static str {
        "ifcfg"
    }

    fn marker(&self) -> Option<&'static str> {
        Some(DIR)
    }

    fn scan(&self) -> &'static [&'static str] {
        &[
            "etc/sysconfig/network-scripts/ifcfg-*",
            "etc/sysconfig/network-scripts/route-*",
            "etc/sysconfig/network-scripts/route6-*",
            "etc/sysconfig/network-scripts/rule-*",
            "etc/sysconfig/network-scripts/rule6-*",
            "etc/sysconfig/network",
            "sys/class/net/*/address",
        ]
    }

    /// The ifcfg files of devices the model holds, and their aliases: not the loopback's,
    /// which belongs to the distribution, nor a backup, nor a file of a kind netloom skips
    /// (Wi-Fi, a team and its ports…), so a declaration that does not mention such a device
    /// never deletes its file.
    fn owns(&self, path: &str, text: Option<&str>) -> bool {
        // Every route file: render gives back those that stay (see `kept_route_files`).
        if parse::route_file_name(path).is_some() {
            return true;
        }
        let Some(name) = path
            .strip_prefix(DIR)
            .and_then(|p| p.strip_prefix("/ifcfg-"))
        else {
            return false;
        };
        if name.is_empty() || name == "lo" || parse::is_ignored(name) {
            return false;
        }
        // An alias goes with its device; a file that does not parse is kept as the device's
        // (a plan refuses it anyway).
        let Some(shell) = text.and_then(|t| crate::syntax::shell::ShellFile::parse(t).ok()) else {
            return true;
        };
        name.contains(':')
            || matches!(
                parse::classify(name, &shell),
                parse::Class::Device(_) | parse::Class::Invalid { .. }
            )
    }

    fn live(&self) -> Option<&dyn crate::live::Live> {
        Some(&live::IfcfgLive)
    }

    fn render(&self, host: &Host, existing: &Snapshot) -> Result<Vec<RenderedFile>, BackendError> {
        render::render(host, existing)
    }

    fn import_noted(
        &self,
        existing: &Snapshot,
        names: &[IfaceName],
    ) -> Result<Imported, BackendError> {
        import::import(existing, names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owns_ifcfg_files_but_not_backups_or_neighbours() {
        assert!(Ifcfg.owns("etc/sysconfig/network-scripts/ifcfg-eth0", None));
        assert!(Ifcfg.owns("etc/sysconfig/network-scripts/ifcfg-by-device", None));
        for other in [
            "etc/sysconfig/network-scripts/ifcfg-eth0.bak",
            "etc/sysconfig/network-scripts/ifcfg-lo",
            "etc/sysconfig/network-scripts/ifcfg-",
            "etc/sysconfig/network-scripts-old/ifcfg-eth0",
            "sys/class/net/eth0/address",
        ] {
            assert!(!Ifcfg.owns(other, None), "{other}");
        }
    }

    #[test]
    fn owns_no_file_of_a_kind_netloom_skips() {
        let path = |n: &str| format!("{DIR}/ifcfg-{n}");
        for (name, text) in [
            ("wlan0", "TYPE=Wireless\nDEVICE=wlan0\n"),
            ("ib0", "TYPE=InfiniBand\nDEVICE=ib0\n"),
            ("team0", "DEVICE=team0\nDEVICETYPE=Team\n"),
            ("team1", "DEVICE=team1\nTEAM_CONFIG='{}'\n"),
            ("eth9", "TYPE=Ethernet\nDEVICE=eth9\nTEAM_MASTER=team0\n"),
            ("ppp0", "DEVICE=ppp0\nONBOOT=yes\n"),
            ("sit1", "DEVICE=sit1\nIPV6TUNNELIPV4=192.0.2.1\n"),
            ("x", "DEVICE=x\nTYPE=IPoAC\n"),
            ("eth1", "DEVICE=eth1\nBOOTPROTO=ibft\n"),
        ] {
            assert!(!Ifcfg.owns(&path(name), Some(text)), "{name}");
        }
        for (name, text) in [
            ("eth0", "DEVICE=eth0\n"),
            ("eth0:1", "DEVICE=eth0:1\nIPADDR=192.0.2.2\n"),
            ("bond0", "DEVICE=bond0\nBONDING_OPTS='mode=1'\n"),
            ("br0", "DEVICE=br0\nTYPE=bridge\n"),
            ("em1", "DEVICE=em1\nTYPE=CTC\n"),
            ("eth2", "DEVICE=eth2\nNM_CONTROLLED=no\n"),
            ("eth3", "DEVICE=eth3\nTEAM_MASTER=team0\nMASTER=bond0\n"),
        ] {
            assert!(Ifcfg.owns(&path(name), Some(text)), "{name}");
        }
        for backup in [
            "eth0.old",
            "eth0.rpmsave",
            "eth0.REJ",
            "eth0;0a1b2c3d",
            "eth0.augnew",
        ] {
            assert!(
                !Ifcfg.owns(&path(backup), Some("DEVICE=eth0\n")),
                "{backup}"
            );
        }
    }

    #[test]
    fn a_skipped_file_is_noted_never_imported_and_never_merged_into() {
        let files = [
            (
                format!("{DIR}/ifcfg-wlan0"),
                "TYPE=Wireless\nDEVICE=wlan0\n".to_owned(),
            ),
            (
                format!("{DIR}/ifcfg-eth0.rpmsave"),
                "DEVICE=eth0\n".to_owned(),
            ),
        ];
        let snap = snapshot(files);
        let imported = Ifcfg.import_noted(&snap, &[]).unwrap();
        assert!(imported.host.interfaces.is_empty());
        let notes: Vec<String> = (imported.notes.iter())
            .map(|n| format!("{:?} {}", n.kind, n.at.location()))
            .collect();
        assert_eq!(
            notes,
            [
                format!("Skipped {DIR}/ifcfg-eth0.rpmsave"),
                format!("Skipped {DIR}/ifcfg-wlan0:1:6"),
            ]
        );
        let host = crate::xml::read_str(
            "h.xml",
            "<interface type='ethernet' name='wlan0'><start mode='onboot'/></interface>",
        )
        .unwrap();
        let Err(BackendError::Invalid(d)) = Ifcfg.render(&host, &snap) else {
            panic!("merging an ethernet into a Wi-Fi file must be refused");
        };
        assert_eq!(d.0[0].location(), format!("{DIR}/ifcfg-wlan0:1:6"));
    }

    #[test]
    fn route_files_go_with_their_device_and_others_stay_as_they_are() {
        let files = [
            ("ifcfg-eth0", "DEVICE=eth0\nIPADDR=192.0.2.1\nPREFIX=24\n"),
            ("route-eth0", "10.0.0.0/8 via 192.0.2.254\n"),
            ("ifcfg-wlan0", "TYPE=Wireless\nDEVICE=wlan0\n"),
            ("route-wlan0", "10.1.0.0/16 via 192.168.1.1\n"),
            ("route6-gone", "2001:db8::/32 via fe80::1\n"),
        ];
        let snap = snapshot(files.map(|(n, t)| (format!("{DIR}/{n}"), t.to_owned())));
        let host = crate::xml::read_str(
            "h.xml",
            "<interface type='ethernet' name='eth1'><start mode='onboot'/></interface>",
        )
        .unwrap();
        let rendered = Ifcfg.render(&host, &snap).unwrap();
        let paths: Vec<&str> = rendered.iter().map(|f| f.path.as_str()).collect();
        // eth0 leaves the declaration: its files are not rendered, and both are owned, so a
        // plan removes them; the Wi-Fi device's and the orphan route files stay, unchanged.
        assert_eq!(
            paths,
            [
                format!("{DIR}/ifcfg-eth1"),
                format!("{DIR}/route-wlan0"),
                format!("{DIR}/route6-gone"),
            ]
        );
        assert_eq!(rendered[1].contents, files[3].1);
        for name in ["route-eth0", "route6-gone", "route-wlan0"] {
            assert!(Ifcfg.owns(&format!("{DIR}/{name}"), None), "{name}");
        }
        assert!(!Ifcfg.owns(&format!("{DIR}/rule-eth0"), None));
    }

    // ---- cost: linear in the root, whatever its shape ----

    use crate::scaling::assert_linear;

    fn snapshot(files: impl IntoIterator<Item = (String, String)>) -> Snapshot {
        Snapshot {
            files: files.into_iter().collect(),
            ..Snapshot::default()
        }
    }

    fn path(name: &str) -> String {
        format!("{DIR}/ifcfg-{name}")
    }

    #[test]
    fn importing_many_files_all_or_by_name_is_linear() {
        let root = |n: usize| {
            let files = (0..n).map(|i| {
                let text = format!(
                    "DEVICE=eth{i}\nONBOOT=yes\nIPADDR=10.{}.{}.1\nPREFIX=24\n",
                    i / 256 % 256,
                    i % 256
                );
                (path(&format!("eth{i}")), text)
            });
            let names: Vec<IfaceName> = (0..n)
                .map(|i| IfaceName::parse(&format!("eth{i}")).unwrap())
                .collect();
            (snapshot(files), names)
        };
        assert_linear("importing n files", 500, root, |(snap, _)| {
            assert!(Ifcfg.import(snap, &[]).is_ok());
        });
        assert_linear("importing n files by name", 500, root, |(snap, names)| {
            assert!(Ifcfg.import(snap, names).is_ok());
        });
    }

    #[test]
    fn a_file_with_many_problems_is_positioned_in_linear_time() {
        // n/10 bad addresses (IPADDR0 to IPADDR999 at most) among n comment lines: every
        // problem is positioned, and the file is indexed once for all of them.
        let root = |n: usize| {
            let mut text = String::from("DEVICE=eth0\n");
            for i in 0..n {
                text.push_str("# a comment line\n");
                if i % 10 == 0 {
                    text.push_str(&format!("IPADDR{}=10.0.0.300\n", i / 10));
                }
            }
            snapshot([(path("eth0"), text)])
        };
        assert_linear("n/10 problems in an n-line file", 500, root, |snap| {
            let Err(BackendError::Invalid(d)) = Ifcfg.import(snap, &[]) else {
                panic!("the bad addresses must be refused");
            };
            assert!(d.0.iter().all(|p| p.position().is_some()));
        });
    }

    #[test]
    fn merging_many_keys_into_a_long_file_is_linear() {
        // n/10 addresses (IPADDR0 to IPADDR999 at most) into a file of n stale keys and
        // comments.
        let input = |n: usize| {
            let addresses: String = (0..n / 10)
                .map(|i| {
                    format!(
                        "<ip address='10.0.{}.{}' prefix='24'/>",
                        i / 250,
                        i % 250 + 1
                    )
                })
                .collect();
            let xml = format!(
                "<interface type='ethernet' name='eth0'><protocol family='ipv4'>{addresses}\
                 </protocol></interface>"
            );
            let host = crate::xml::read_str("h.xml", &xml).unwrap();
            let mut text = String::from("DEVICE=eth0\n");
            for i in 0..n {
                text.push_str(&format!("# mine {i}\nGATEWAY{}=10.9.9.9\n", i % 1000));
            }
            (host, snapshot([(path("eth0"), text)]))
        };
        assert_linear("merging into an n-line file", 500, input, |(host, snap)| {
            let files = Ifcfg.render(host, snap).unwrap();
            assert!(!files[0].contents.contains("GATEWAY"));
        });
    }
}
