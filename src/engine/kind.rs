//! What a transaction changed, which decides who may undo it and how: a backend's files,
//! network definitions, a running network's record, or a service's configuration.
//!
//! The journal spells a kind as one string (`meta.json`'s `backend`), the one builds before
//! this type wrote; [`TxKind::as_str`] and [`TxKind::parse`] keep that spelling byte for byte,
//! so journals written by older builds still read. A spelling no kind has is refused by name
//! when the journal is read, never taken for some other kind.

use crate::backends;

/// What a transaction changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    /// The files a backend rendered, spelled by the backend's name (`ifcfg`, `debian`).
    Files(&'static str),
    /// Network definitions (`net define`, `undefine`, `autostart`), which `rollback`
    /// restores like any other files; spelled `net`.
    Definitions,
    /// A running network's record (`net start`, `stop`, `create`), which only stopping or
    /// starting it may change; spelled `net-run`.
    Runtime,
    /// A service's configuration, written through a backend's live half, spelled by the
    /// journal name that live half gives (see [`crate::live::Live::store_journal_name`]).
    Store(&'static str),
}

/// The journal's spelling of [`TxKind::Definitions`].
const DEFINITIONS: &str = "net";

/// The journal's spelling of [`TxKind::Runtime`].
const RUNTIME: &str = "net-run";

impl TxKind {
    /// How the journal spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            TxKind::Files(name) | TxKind::Store(name) => name,
            TxKind::Definitions => DEFINITIONS,
            TxKind::Runtime => RUNTIME,
        }
    }

    /// The kind the journal spells `text`, or why there is none: not a kind this netloom
    /// writes (a backend it does not have, or a journal written by hand).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            DEFINITIONS => return Ok(TxKind::Definitions),
            RUNTIME => return Ok(TxKind::Runtime),
            _ => {}
        }
        if let Some(backend) = backends::find(text) {
            return Ok(TxKind::Files(backend.name()));
        }
        let store = backends::ALL
            .iter()
            .filter_map(|b| b.live())
            .find_map(|l| l.store_journal_name().filter(|n| *n == text));
        store.map(TxKind::Store).ok_or_else(|| {
            format!(
                "unknown transaction kind '{}': expected a backend's name, '{DEFINITIONS}', \
                 '{RUNTIME}' or a service's journal name",
                crate::show::text(text)
            )
        })
    }
}

impl std::fmt::Display for TxKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for TxKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for TxKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        TxKind::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_spelling() {
        let mut kinds = vec![TxKind::Definitions, TxKind::Runtime];
        kinds.extend(backends::ALL.iter().map(|b| TxKind::Files(b.name())));
        kinds.extend(
            backends::ALL
                .iter()
                .filter_map(|b| b.live()?.store_journal_name())
                .map(TxKind::Store),
        );
        assert!(kinds.iter().any(|k| matches!(k, TxKind::Store(_))));
        for kind in kinds {
            assert_eq!(TxKind::parse(kind.as_str()), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<TxKind>(&json).unwrap(), kind);
        }
    }

    #[test]
    fn the_spellings_older_journals_hold_read_as_before() {
        assert_eq!(TxKind::parse("net"), Ok(TxKind::Definitions));
        assert_eq!(TxKind::parse("net-run"), Ok(TxKind::Runtime));
        assert_eq!(TxKind::Definitions.as_str(), "net");
        assert_eq!(TxKind::Runtime.as_str(), "net-run");
        for backend in backends::ALL {
            assert_eq!(
                TxKind::parse(backend.name()),
                Ok(TxKind::Files(backend.name()))
            );
        }
    }

    #[test]
    fn an_unknown_kind_is_refused_by_name() {
        let err = TxKind::parse("systemd-networkd").unwrap_err();
        assert!(
            err.contains("unknown transaction kind 'systemd-networkd'"),
            "{err}"
        );
        let err = serde_json::from_str::<TxKind>("\"x\\u001b[2J\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown transaction kind 'x"),
            "{err}"
        );
        assert!(!err.to_string().contains('\u{1b}'), "{err}");
    }
}
