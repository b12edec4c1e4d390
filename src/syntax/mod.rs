//! Shared nom combinators for the native files netloom reads back: shell `KEY=value` files
//! (ifcfg), and later interfaces(5) stanzas and keyfile INI. Every reader here is lossless:
//! an unmodified parse prints back byte for byte, so merging into a user's file changes only
//! what netloom manages.

pub mod interfaces;
pub mod shell;
