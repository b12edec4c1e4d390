//! The apply protocol, one function for every verb that shows a change and asks before
//! making it: plan, ask (without the lock, so a question left open blocks neither other
//! commands nor the confirmation timer), lock, plan again, compare with what was shown,
//! write and journal. The command line builds the change and answers the question; it
//! only prints and asks.
//!
//! [`commit`] runs it for `apply` and `undefine`, whether the changes go to a backend's
//! files ([`FileChange`]) or to a service that keeps the configuration ([`StoreChange`]);
//! [`roll_back`] runs the same steps for `rollback`, whose plan is the journal's.

use super::activate::{Activation, Applied};
use super::root::TargetRoot;
use super::store_apply::StoreApply;
use super::txn::{Session, refuse_pending, rollback_plan};
use crate::backend::Backend;
use crate::error::{Error, RefusedKind};
use crate::live::{Store, StorePlan};
use crate::model::{Host, IfaceName};
use crate::plan::Plan;

/// A person's answer to the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Go on.
    Yes,
    /// Change nothing.
    No,
}

/// What the person is asked to agree to: the command line words the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question<'a> {
    /// Apply the plan to `place` (a root, or a service).
    Apply {
        /// What the change calls where it goes (see [`Change::place`]).
        place: &'a str,
    },
    /// Roll back transaction `id`.
    RollBack {
        /// The transaction.
        id: u64,
    },
}

/// The person at the other end of the protocol: shown the plan and asked, then told what
/// the recovery that taking the lock runs did.
pub trait Person {
    /// Shows `plan` and asks `question`; an error when nobody can answer.
    fn ask(&mut self, plan: &Plan, question: Question<'_>) -> Result<Answer, Error>;
    /// What the recovery did when the lock was taken, one sentence each.
    fn told(&mut self, notices: &[String]);
}

/// What a verb wants of the host.
#[derive(Debug, Clone, Copy)]
pub enum Wanted<'a> {
    /// Everything as this declaration says (`apply`).
    Host(&'a Host),
    /// This interface gone, with its ports and slaves (`undefine`).
    Undefine(&'a IfaceName),
}

/// One change a verb proposes: where it goes, how it is planned, and how it is written.
pub trait Change {
    /// A plan as made, with whatever writing it needs besides its diff.
    type Planned;
    /// Where the change goes, as the question and the messages name it.
    fn place(&self) -> String;
    /// What one of its changes is called ("file", "profile").
    fn noun(&self) -> &str;
    /// Makes the plan; reads only.
    fn plan(&self) -> Result<Self::Planned, Error>;
    /// The diff a person is shown of `planned`.
    fn diff(planned: &Self::Planned) -> &Plan;
    /// Writes `planned` as one journalled transaction, under `session`'s lock.
    fn write(&self, session: &Session<'_>, planned: &Self::Planned) -> Result<Applied, Error>;
}

/// What [`commit`] came to.
#[derive(Debug)]
pub enum Outcome<P> {
    /// The plan is empty: nothing was asked or written.
    Unchanged(P),
    /// The plan shown was written, as this transaction.
    Applied(P, Applied),
}

/// The apply protocol: refuses while a transaction waits for confirmation, makes the plan,
/// asks `person` (unless it is empty), takes the lock, makes the plan again and refuses if
/// it differs from the one shown, then writes it as one transaction.
pub fn commit<C: Change>(
    root: &TargetRoot,
    change: &C,
    person: &mut dyn Person,
) -> Result<Outcome<C::Planned>, Error> {
    refuse_pending(root)?;
    let shown = change.plan()?;
    if C::diff(&shown).is_empty() {
        return Ok(Outcome::Unchanged(shown));
    }
    let place = change.place();
    agree(person, C::diff(&shown), Question::Apply { place: &place })?;
    let session = lock(root, person)?;
    let again = change.plan()?;
    if C::diff(&again) != C::diff(&shown) {
        return Err(Error::refused(
            RefusedKind::Stale,
            format!(
                "{place} changed while the plan was shown; nothing was changed; run the command again"
            ),
        ));
    }
    let applied = change.write(&session, &again)?;
    Ok(Outcome::Applied(shown, applied))
}

/// The protocol for `rollback`: the plan of undoing transaction `id` (the newest live one
/// when `None`), asked, then carried out under the lock provided undoing it still means
/// what was shown ([`Session::rollback`] makes the plan again and compares). Returns the
/// transaction and the plan shown.
pub fn roll_back(
    root: &TargetRoot,
    id: Option<u64>,
    force: bool,
    person: &mut dyn Person,
) -> Result<(u64, Plan), Error> {
    let (id, shown) = rollback_plan(root, id, force)?;
    agree(person, &shown, Question::RollBack { id })?;
    let session = lock(root, person)?;
    session.rollback(id, force, &shown)?;
    Ok((id, shown))
}

/// Asks `person`; a refusal unless the answer is yes.
fn agree(person: &mut dyn Person, plan: &Plan, question: Question<'_>) -> Result<(), Error> {
    match person.ask(plan, question)? {
        Answer::Yes => Ok(()),
        Answer::No => Err(Error::refused(
            RefusedKind::Cancelled,
            "cancelled; nothing was changed",
        )),
    }
}

/// Takes the root's lock and tells `person` what the recovery it runs did.
fn lock<'r>(root: &'r TargetRoot, person: &mut dyn Person) -> Result<Session<'r>, Error> {
    let session = Session::open(root)?;
    person.told(session.notices());
    Ok(session)
}

/// A change to a backend's files under a root, brought up on the running host when
/// `activation` says how.
pub struct FileChange<'a> {
    /// The root.
    pub root: &'a TargetRoot,
    /// The backend whose files change.
    pub backend: &'static dyn Backend,
    /// What the verb wants.
    pub wanted: Wanted<'a>,
    /// The command, for `history` (`apply`, `undefine br0`).
    pub command: &'a str,
    /// Seconds to wait for `netloom confirm`; `None`: final at once.
    pub confirm: Option<u64>,
    /// How the files are brought up; `None`: written only.
    pub activation: Option<Activation<'a>>,
}

impl std::fmt::Debug for FileChange<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileChange")
            .field("root", &self.root)
            .field("backend", &self.backend.name())
            .field("wanted", &self.wanted)
            .field("command", &self.command)
            .field("confirm", &self.confirm)
            .field("activation", &self.activation)
            .finish()
    }
}

impl Change for FileChange<'_> {
    type Planned = Plan;

    fn place(&self) -> String {
        self.root.display().to_string()
    }

    fn noun(&self) -> &str {
        "file"
    }

    fn plan(&self) -> Result<Plan, Error> {
        match self.wanted {
            Wanted::Host(host) => super::plan(self.root, self.backend, host),
            Wanted::Undefine(name) => super::plan_undefine(self.root, self.backend, name),
        }
    }

    fn diff(planned: &Plan) -> &Plan {
        planned
    }

    fn write(&self, session: &Session<'_>, planned: &Plan) -> Result<Applied, Error> {
        session.apply_live(
            planned,
            self.command,
            self.confirm,
            self.activation.as_ref(),
        )
    }
}

/// A change to the configuration a service keeps (NetworkManager's profiles).
pub struct StoreChange<'a> {
    /// The connection to the service.
    pub store: &'a dyn Store,
    /// The name its transactions carry in the journal.
    pub journal: &'a str,
    /// What the verb wants.
    pub wanted: Wanted<'a>,
    /// How it is applied.
    pub how: StoreApply<'a>,
}

impl std::fmt::Debug for StoreChange<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreChange")
            .field("place", &self.store.place())
            .field("journal", &self.journal)
            .field("wanted", &self.wanted)
            .field("how", &self.how)
            .finish()
    }
}

impl Change for StoreChange<'_> {
    type Planned = StorePlan;

    fn place(&self) -> String {
        self.store.place()
    }

    fn noun(&self) -> &str {
        self.store.noun()
    }

    fn plan(&self) -> Result<StorePlan, Error> {
        match self.wanted {
            Wanted::Host(host) => self.store.plan(host),
            Wanted::Undefine(name) => self.store.plan_undefine(name),
        }
    }

    fn diff(planned: &StorePlan) -> &Plan {
        &planned.plan
    }

    fn write(&self, session: &Session<'_>, planned: &StorePlan) -> Result<Applied, Error> {
        let id = session.apply_store(self.store, self.journal, planned, self.how)?;
        Ok(Applied {
            id,
            ..Applied::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};

    use super::*;
    use crate::plan::{Change as FileEdit, FileState};

    /// A plan creating one file whose content is `text`.
    fn plan_of(text: &str) -> Plan {
        let changes = if text.is_empty() {
            Vec::new()
        } else {
            vec![FileEdit {
                path: "etc/x".into(),
                old: None,
                new: Some(FileState {
                    bytes: text.as_bytes().to_vec(),
                    mode: 0o644,
                }),
            }]
        };
        Plan {
            backend: "scripted",
            changes,
        }
    }

    /// A change whose plans are `plans`, one per call, and that records every step the
    /// protocol takes, in order.
    struct Scripted<'a> {
        plans: Vec<&'static str>,
        made: Cell<usize>,
        log: &'a RefCell<Vec<&'static str>>,
    }

    impl Change for Scripted<'_> {
        type Planned = Plan;

        fn place(&self) -> String {
            "the root".into()
        }

        fn noun(&self) -> &str {
            "file"
        }

        fn plan(&self) -> Result<Plan, Error> {
            self.log.borrow_mut().push("plan");
            let n = self.made.replace(self.made.get() + 1);
            Ok(plan_of(self.plans[n.min(self.plans.len() - 1)]))
        }

        fn diff(planned: &Plan) -> &Plan {
            planned
        }

        fn write(&self, _: &Session<'_>, _: &Plan) -> Result<Applied, Error> {
            self.log.borrow_mut().push("write");
            Ok(Applied {
                id: 7,
                ..Applied::default()
            })
        }
    }

    /// A person who answers `answer` and records being asked and told.
    struct Answering<'a> {
        answer: Answer,
        log: &'a RefCell<Vec<&'static str>>,
    }

    impl Person for Answering<'_> {
        fn ask(&mut self, plan: &Plan, question: Question<'_>) -> Result<Answer, Error> {
            assert_eq!(question, Question::Apply { place: "the root" });
            assert!(!plan.is_empty(), "an empty plan is never asked about");
            self.log.borrow_mut().push("ask");
            Ok(self.answer)
        }

        fn told(&mut self, _: &[String]) {
            self.log.borrow_mut().push("lock");
        }
    }

    /// Runs the protocol on a fresh root with a change planning `plans` and a person
    /// answering `answer`: what it came to, and the steps it took.
    fn run(
        plans: Vec<&'static str>,
        answer: Answer,
    ) -> (Result<Outcome<Plan>, Error>, Vec<&'static str>) {
        let dir = tempfile::tempdir().unwrap();
        let root = TargetRoot::open(dir.path()).unwrap();
        let log = RefCell::new(Vec::new());
        let change = Scripted {
            plans,
            made: Cell::new(0),
            log: &log,
        };
        let outcome = commit(&root, &change, &mut Answering { answer, log: &log });
        (outcome, log.into_inner())
    }

    #[test]
    fn a_plan_is_asked_about_without_the_lock_then_made_again_under_it_and_written() {
        let (outcome, log) = run(vec!["new", "new"], Answer::Yes);
        match outcome {
            Ok(Outcome::Applied(shown, applied)) => {
                assert_eq!(shown, plan_of("new"));
                assert_eq!(applied.id, 7);
            }
            other => panic!("expected the plan written, got {other:?}"),
        }
        assert_eq!(log, ["plan", "ask", "lock", "plan", "write"]);
    }

    #[test]
    fn a_plan_that_changed_while_it_was_shown_is_refused_and_nothing_is_written() {
        let (outcome, log) = run(vec!["shown", "changed meanwhile"], Answer::Yes);
        match outcome {
            Err(Error::Refused {
                kind: RefusedKind::Stale,
                message,
            }) => assert_eq!(
                message,
                "the root changed while the plan was shown; nothing was changed; run the \
                 command again"
            ),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(log, ["plan", "ask", "lock", "plan"]);
    }

    #[test]
    fn a_no_is_a_cancellation_before_the_lock_is_taken() {
        let (outcome, log) = run(vec!["new"], Answer::No);
        match outcome {
            Err(Error::Refused {
                kind: RefusedKind::Cancelled,
                message,
            }) => assert_eq!(message, "cancelled; nothing was changed"),
            other => panic!("expected a cancellation, got {other:?}"),
        }
        assert_eq!(log, ["plan", "ask"]);
    }

    #[test]
    fn an_empty_plan_is_neither_asked_about_nor_written() {
        let (outcome, log) = run(vec![""], Answer::Yes);
        match outcome {
            Ok(Outcome::Unchanged(plan)) => assert!(plan.is_empty()),
            other => panic!("expected nothing to change, got {other:?}"),
        }
        assert_eq!(log, ["plan"]);
    }
}
