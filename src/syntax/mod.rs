//! Shared nom combinators for the native files netloom reads back: shell `KEY=value` files
//! (ifcfg), interfaces(5) stanzas (Debian) and INI keyfiles (NetworkManager). Every reader
//! here is lossless: an unmodified parse prints back byte for byte, so merging into a user's
//! file changes only what netloom manages.

pub mod ini;
pub mod interfaces;
pub mod shell;
