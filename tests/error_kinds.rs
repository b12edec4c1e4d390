//! A caller acts on why netloom refused by the error's kind, not its text: these check the
//! kinds the engine gives for the refusals a script or the Ansible module meets (a busy
//! root, nothing to confirm, no such transaction, a plan that changed while it was shown, a
//! network that does not exist). The text of each is the golden's business.

use netloom::backends::null::Null;
use netloom::engine::{self, Session, TargetRoot};
use netloom::{Error, LiveKind, RefusedKind};

fn host(address: &str) -> netloom::model::Host {
    netloom::xml::read_str(
        "host.xml",
        &format!(
            "<interfaces><interface type='ethernet' name='eth0'><start mode='onboot'/>
               <protocol family='ipv4'><ip address='{address}' prefix='24'/></protocol>
             </interface></interfaces>"
        ),
    )
    .unwrap()
}

#[track_caller]
fn refused(kind: RefusedKind, r: Result<impl std::fmt::Debug, Error>) {
    match r {
        Err(Error::Refused { kind: k, .. }) if k == kind => {}
        other => panic!("expected a refusal of kind {kind:?}, got {other:?}"),
    }
}

#[test]
fn the_engine_says_why_it_refuses_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let root = TargetRoot::open(dir.path()).unwrap();
    let session = Session::open(&root).unwrap();

    refused(RefusedKind::NothingPending, session.confirm());
    let plan = engine::plan(&root, &Null, &host("192.0.2.1")).unwrap();
    refused(
        RefusedKind::NoTransaction,
        session.rollback(7, false, &plan),
    );

    // A rollback whose shown plan is not what rolling back would do now is stale: the
    // files changed while the plan was shown (here: it was never the rollback's plan).
    let id = session.apply(&plan, "apply", None).unwrap();
    refused(RefusedKind::Stale, session.rollback(id, false, &plan));
    refused(RefusedKind::NothingPending, session.confirm());
}

#[test]
fn a_busy_root_names_who_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = TargetRoot::open(dir.path()).unwrap();
    let _held = Session::open(&root).unwrap();
    match Session::open(&root) {
        Err(Error::Busy { holder, root, .. }) => {
            assert_eq!(holder, Some(std::process::id().to_string()));
            assert_eq!(root, dir.path().display().to_string());
        }
        other => panic!("expected a busy root, got {:?}", other.err()),
    }
}

#[test]
fn a_network_that_does_not_exist_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let root = TargetRoot::open(dir.path()).unwrap();
    let name = netloom::model::network::NetName::parse("nosuch").unwrap();
    match engine::network::info(&root, &name) {
        Err(Error::Live {
            kind: LiveKind::Missing,
            ..
        }) => {}
        other => panic!("expected a missing network, got {other:?}"),
    }
}
