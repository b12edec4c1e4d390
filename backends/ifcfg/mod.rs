//! RHEL/Fedora `ifcfg-*` files, as read by initscripts' network-scripts and by
//! NetworkManager's ifcfg-rh plugin.
//!
//! netcf's RedHat mapping is the reference (`../shared/notes/netcf.md` §3.1), with its losses
//! fixed: a gateway given with DHCP is kept, a vlan's tag is always written (`VLAN_ID`), and
//! files are merged key by key instead of wiped. The README lists every deliberate
//! difference.

mod import;
pub mod live;
mod parse;
mod render;

use crate::backend::{Backend, BackendError, ObjectKind, RenderedFile, Snapshot};
use crate::model::{Host, IfaceName};

/// Where the files live, relative to the target root.
pub const DIR: &str = "etc/sysconfig/network-scripts";

/// The ifcfg backend.
pub struct Ifcfg;

impl Backend for Ifcfg {
    fn name(&self) -> &'static str {
        "ifcfg"
    }

    fn accepts(&self, kind: ObjectKind) -> bool {
        kind == ObjectKind::Interfaces
    }

    fn marker(&self) -> Option<&'static str> {
        Some(DIR)
    }

    fn scan(&self) -> &'static [&'static str] {
        &[
            "etc/sysconfig/network-scripts/ifcfg-*",
            "sys/class/net/*/address",
        ]
    }

    fn owns(&self, path: &str, _text: Option<&str>) -> bool {
        path.strip_prefix(DIR)
            .and_then(|p| p.strip_prefix("/ifcfg-"))
            // The loopback's file belongs to the distribution: a declaration that does not
            // mention `lo` must not delete it.
            .is_some_and(|name| !name.is_empty() && name != "lo" && !parse::is_ignored(name))
    }

    fn live(&self) -> Option<&dyn crate::live::Live> {
        Some(&live::IfcfgLive)
    }

    fn render(&self, host: &Host, existing: &Snapshot) -> Result<Vec<RenderedFile>, BackendError> {
        render::render(host, existing)
    }

    fn import(&self, existing: &Snapshot, names: &[IfaceName]) -> Result<Host, BackendError> {
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
            "etc/sysconfig/network-scripts/route-eth0",
            "etc/sysconfig/network-scripts-old/ifcfg-eth0",
            "sys/class/net/eth0/address",
        ] {
            assert!(!Ifcfg.owns(other, None), "{other}");
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
