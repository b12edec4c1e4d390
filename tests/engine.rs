//! The engine through the real binary, on temporary roots only: plans and diffs, journalled
//! applies, history and rollback, death by SIGKILL and injected failures at every step,
//! the lock, confirm-or-revert, undefine. Every check compares the whole tree under the root
//! (bytes, modes, owners, directories, leftovers) with the exact old or new state.

mod boot;
mod confine;
mod confirm;
mod diff;
mod faults;
mod hardening;
mod json;
mod reporting;
mod rollback;
mod support;
mod unreadable;
