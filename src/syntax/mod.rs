//! Shared nom combinators for the native files netloom reads back: shell `KEY=value` files
//! (ifcfg), interfaces(5) stanzas (Debian) and INI keyfiles (NetworkManager). Every reader
//! here is lossless: an unmodified parse prints back byte for byte, so merging into a user's
//! file changes only what netloom manages. Also how dnsmasq reads one line of its conf, which
//! both the model (refusing a `dnsmasq:option` dnsmasq would refuse) and the dnsmasq backend
//! (quoting values) need.

pub mod dns;
pub mod dnsmasq;
pub mod ini;
pub mod interfaces;
pub mod shell;
