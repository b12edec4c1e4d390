//! The one transaction protocol with activation, through the library with an activator
//! that records what it is asked and with which files in place: the interfaces a change
//! touches are taken down with the old files and brought up with the new ones, nothing
//! else is; a failure to bring one up restores the files and brings the old configuration
//! back up, and the error says which interfaces were touched. The real activators
//! (ifupdown, NetworkManager) are tested in `debian_live.rs` and `nm_files.rs`.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use netloom::backends::null::Null;
use netloom::engine::{self, Activation, Session, TargetRoot};
use netloom::live::Activator;
use netloom::{Error, LiveKind};

/// Records every call, each interface with the address its file holds at that moment.
struct Recorder {
    root: PathBuf,
    log: RefCell<Vec<String>>,
    up: RefCell<BTreeSet<String>>,
    /// An interface whose bringing up fails.
    broken: Option<&'static str>,
}

impl Recorder {
    fn new(root: &Path, broken: Option<&'static str>) -> Self {
        Recorder {
            root: root.to_owned(),
            log: RefCell::new(Vec::new()),
            up: RefCell::new(BTreeSet::new()),
            broken,
        }
    }

    /// The address in `name`'s file now, or `none`.
    fn address(&self, name: &str) -> String {
        let file = self.root.join(format!("etc/netloom/null/{name}.xml"));
        let Ok(text) = std::fs::read_to_string(file) else {
            return "none".into();
        };
        let start = text.find("address='").map(|i| i + 9).unwrap_or(0);
        text[start..].split('\'').next().unwrap_or("?").to_owned()
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.log.borrow_mut())
    }
}

impl Activator for Recorder {
    fn via(&self) -> &'static str {
        "recorder"
    }

    fn up(&self, names: &[String]) -> netloom::Result<Vec<String>> {
        let up = self.up.borrow();
        Ok(names.iter().filter(|n| up.contains(*n)).cloned().collect())
    }

    fn down(&self, names: &[String]) -> netloom::Result<()> {
        for n in names {
            self.log
                .borrow_mut()
                .push(format!("down {n} {}", self.address(n)));
            self.up.borrow_mut().remove(n);
        }
        Ok(())
    }

    fn up_with(&self, _files: &[PathBuf], names: &[String]) -> netloom::Result<()> {
        for n in names {
            let entry = format!("up {n} {}", self.address(n));
            if self.broken == Some(n.as_str()) && self.address(n) == "198.51.100.4" {
                self.log.borrow_mut().push(format!("{entry} failed"));
                return Err(Error::live(
                    LiveKind::Failed,
                    format!("{n} did not come up"),
                ));
            }
            self.log.borrow_mut().push(entry);
            self.up.borrow_mut().insert(n.clone());
        }
        Ok(())
    }
}

fn host(br0: &str) -> netloom::model::Host {
    netloom::xml::read_str(
        "host.xml",
        &format!(
            "<interfaces>
               <interface type='bridge' name='br0'><start mode='onboot'/>
                 <protocol family='ipv4'><ip address='{br0}' prefix='24'/></protocol>
                 <bridge><interface type='ethernet' name='p0'/></bridge></interface>
               <interface type='ethernet' name='eth9'><start mode='onboot'/>
                 <protocol family='ipv4'><ip address='203.0.113.9' prefix='24'/></protocol>
               </interface>
             </interfaces>"
        ),
    )
    .unwrap()
}

fn apply(
    root: &TargetRoot,
    rec: &Recorder,
    address: &str,
) -> netloom::Result<netloom::engine::Applied> {
    let session = Session::open(root)?;
    let plan = engine::plan(root, &Null, &host(address))?;
    let live = Activation {
        backend: &Null,
        activator: rec,
        verify: None,
    };
    session.apply_live(&plan, "apply", None, Some(&live))
}

#[test]
fn only_what_changed_is_taken_down_with_the_old_files_and_brought_up_with_the_new() {
    let dir = tempfile::tempdir().unwrap();
    let root = TargetRoot::open(dir.path()).unwrap();
    let rec = Recorder::new(dir.path(), None);

    let first = apply(&root, &rec, "198.51.100.2").unwrap();
    assert_eq!(first.up, ["br0", "eth9"]);
    assert!(first.down.is_empty());
    assert_eq!(
        rec.take(),
        ["up br0 198.51.100.2", "up eth9 203.0.113.9"],
        "both are new"
    );

    let second = apply(&root, &rec, "198.51.100.3").unwrap();
    assert_eq!(
        (second.down, second.up),
        (vec!["br0".into()], vec!["br0".into()])
    );
    assert_eq!(
        rec.take(),
        ["down br0 198.51.100.2", "up br0 198.51.100.3"],
        "br0 alone changed: down with the old file, up with the new; eth9 untouched"
    );
}

#[test]
fn an_interface_that_does_not_come_up_restores_the_files_and_the_old_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let root = TargetRoot::open(dir.path()).unwrap();
    let rec = Recorder::new(dir.path(), Some("br0"));
    apply(&root, &rec, "198.51.100.3").unwrap();
    rec.take();
    let before = std::fs::read(dir.path().join("etc/netloom/null/br0.xml")).unwrap();

    let err = apply(&root, &rec, "198.51.100.4").unwrap_err();
    let text = err.report();
    assert!(
        matches!(err, Error::Reverted { .. }),
        "{text}: a live failure is reverted live"
    );
    assert!(
        text.contains("interfaces touched: br0")
            && text.contains("brought back up with the previous configuration: br0")
            && text.ends_with("br0 did not come up"),
        "{text}"
    );
    assert_eq!(
        rec.take(),
        [
            "down br0 198.51.100.3",
            "up br0 198.51.100.4 failed",
            "up br0 198.51.100.3"
        ]
    );
    assert_eq!(
        std::fs::read(dir.path().join("etc/netloom/null/br0.xml")).unwrap(),
        before,
        "the file is back"
    );
    let history = engine::history(&root).unwrap().transactions;
    assert_eq!(
        history.last().unwrap().state,
        engine::State::RolledBack {
            reason: engine::Reason::Failed
        }
    );
}

/// `--live-mode always` asks for what a root other than the running system's cannot give:
/// refused before anything is written, naming why.
#[test]
fn live_always_on_an_installers_root_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("host.xml");
    std::fs::write(
        &xml,
        "<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>",
    )
    .unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    for (backend, why) in [
        ("ifcfg", "which is not the running system's"),
        ("debian", "only a root of / is brought up"),
        ("null", "the null backend has no live half"),
    ] {
        let run = crate::util::netloom(
            &[
                "--backend",
                backend,
                "--live-mode",
                "always",
                "--root",
                root.to_str().unwrap(),
                "apply",
                "--yes",
                xml.to_str().unwrap(),
            ],
            dir.path(),
            None,
        );
        assert_eq!(run.code, 2, "{backend}: {}", run.stderr);
        assert!(run.stderr.contains(why), "{backend}: {}", run.stderr);
        assert_eq!(
            std::fs::read_dir(&root).unwrap().count(),
            0,
            "{backend}: nothing is written"
        );
    }
}
