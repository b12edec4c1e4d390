//! How the ifcfg backend's live half asks NetworkManager on RHEL: the changed files are
//! loaded again (`LoadConnections`) and the touched interfaces' profiles deactivated before
//! the files change and activated after, inside a checkpoint; an undo rolls the checkpoint
//! back, restores the files and has them loaded again. Debian's NetworkManager has no
//! ifcfg-rh plugin, so the protocol is tested with the same calls on keyfiles: a sandboxed
//! NetworkManager (`tests/util/nm.rs`) whose keyfile directory is a scratch root's
//! `etc/NetworkManager/system-connections`, the nm backend's files, and
//! [`NmFiles`] as the activator, through the engine's one transaction.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use netloom::backends::nm::Nm;
use netloom::backends::nm::live::NmFiles;
use netloom::engine::{self, Activation, Applied, Session, TargetRoot};
use netloom::live::Activator;
use netloom::{Error, LiveKind};

use crate::util::eventually;
use crate::util::nm::Sandbox;

const KEYFILES: &str = "etc/NetworkManager/system-connections";

fn ethernet(address: &str) -> netloom::model::Host {
    netloom::xml::read_str(
        "host.xml",
        &format!(
            "<interface type='ethernet' name='eth10'><start mode='onboot'/>
               <protocol family='ipv4'><ip address='{address}' prefix='24'/></protocol>
             </interface>"
        ),
    )
    .unwrap()
}

/// `inner`, whose first bringing up fails after it did its work: a failure of what comes
/// after activation (such as verification), for the undo to deal with.
struct FailOnce<'a> {
    inner: &'a NmFiles,
    armed: Cell<bool>,
}

impl Activator for FailOnce<'_> {
    fn via(&self) -> &'static str {
        self.inner.via()
    }
    fn up(&self, names: &[String]) -> netloom::Result<Vec<String>> {
        self.inner.up(names)
    }
    fn begin(&self) -> netloom::Result<Option<String>> {
        self.inner.begin()
    }
    fn down(&self, names: &[String]) -> netloom::Result<()> {
        self.inner.down(names)
    }
    fn up_with(&self, files: &[PathBuf], names: &[String]) -> netloom::Result<()> {
        self.inner.up_with(files, names)?;
        if self.armed.replace(false) {
            return Err(Error::live(
                LiveKind::Injected,
                "injected: what follows activation failed",
            ));
        }
        Ok(())
    }
    fn extend(&self, token: &str, secs: u64) -> netloom::Result<()> {
        self.inner.extend(token, secs)
    }
    fn rollback(&self, token: &str) -> netloom::Result<()> {
        self.inner.rollback(token)
    }
    fn release(&self, token: &str) -> netloom::Result<()> {
        self.inner.release(token)
    }
}

fn apply(root: &Path, address: &str, activator: &dyn Activator) -> netloom::Result<Applied> {
    let root = TargetRoot::open(root)?;
    let session = Session::open(&root)?;
    let plan = engine::plan(&root, &Nm, &ethernet(address))?;
    let live = Activation {
        backend: &Nm,
        activator,
        verify: None,
    };
    session.apply_live(&plan, "apply", None, Some(&live))
}

#[test]
fn networkmanager_loads_the_changed_files_and_an_undo_loads_the_old_ones_back() {
    // Under /tmp with a short name: NetworkManager must see it from its own mount namespace.
    let scratch = tempfile::Builder::new()
        .prefix("nmfiles.")
        .tempdir_in("/tmp")
        .unwrap();
    let root = scratch.path();
    std::fs::create_dir_all(root.join(KEYFILES)).unwrap();
    let conf = format!("[keyfile]\npath={}\n", root.join(KEYFILES).display());
    let Some(sb) = Sandbox::start_with("nm files: LoadConnections", Some(&conf)) else {
        return;
    };
    let ways = NmFiles::new(sb.client());
    let addr = || sb.ip(&["-4", "-br", "addr", "show", "eth10"]);

    let first = apply(root, "198.51.100.10", &ways).unwrap();
    assert_eq!(first.up, ["eth10"]);
    assert!(
        eventually(|| addr().contains(" 198.51.100.10/24")),
        "{}",
        addr()
    );
    let keyfile = root.join(KEYFILES).join("eth10.nmconnection");
    let client = sb.client();
    let loaded = client
        .profiles()
        .unwrap()
        .into_iter()
        .find(|p| p.settings.interface_name() == Some("eth10"))
        .expect("NetworkManager loaded the keyfile netloom wrote");
    assert_eq!(
        client.filename(&loaded.path).unwrap(),
        keyfile.display().to_string()
    );

    let second = apply(root, "198.51.100.20", &ways).unwrap();
    assert_eq!(
        (second.down, second.up),
        (vec!["eth10".into()], vec!["eth10".into()])
    );
    assert!(
        eventually(|| {
            let now = addr();
            now.contains(" 198.51.100.20/24") && !now.contains("198.51.100.10")
        }),
        "{}",
        addr()
    );
    let applied = std::fs::read(&keyfile).unwrap();

    let failing = FailOnce {
        inner: &ways,
        armed: Cell::new(true),
    };
    let err = apply(root, "198.51.100.30", &failing).unwrap_err();
    let text = err.report();
    assert!(matches!(err, Error::Reverted { .. }), "{text}");
    assert!(
        text.contains("interfaces touched: eth10")
            && text.contains("brought back up with the previous configuration: eth10"),
        "{text}"
    );
    assert_eq!(
        std::fs::read(&keyfile).unwrap(),
        applied,
        "the keyfile is back"
    );
    assert!(
        eventually(|| {
            let now = addr();
            now.contains(" 198.51.100.20/24") && !now.contains("198.51.100.30")
        }),
        "the old address is back: {}",
        addr()
    );
    assert!(
        client.checkpoints().unwrap().is_empty(),
        "the checkpoint was used or released"
    );
}
