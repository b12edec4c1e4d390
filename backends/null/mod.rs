//! The null backend: each top-level interface as its canonical interface XML in
//! `etc/netloom/null/NAME.xml`. It exists so the engine (plan, diff, journal, rollback,
//! confirm) can be tested, and watched, with a format that has no rules of its own; it is
//! also a plain way to keep a host's declaration under a root.

use crate::backend::{Backend, BackendError, Imported, RenderedFile, Snapshot};
use crate::error::Diagnostics;
use crate::model::{Host, IfaceName};
use crate::source::SourceFile;
use crate::xml;

/// Where the files go, relative to the root.
pub const DIR: &str = "etc/netloom/null";

/// The null backend.
#[derive(Debug)]
pub struct Null;

impl Backend for Null {
    fn name(&self) -> &'static str {
        "null"
    }

    fn listed(&self) -> bool {
        false
    }

    fn marker(&self) -> Option<&'static str> {
        Some(DIR)
    }

    fn scan(&self) -> &'static [&'static str] {
        &["etc/netloom/null/*.xml"]
    }

    fn owns(&self, path: &str, _text: Option<&str>) -> bool {
        path.strip_prefix(DIR)
            .and_then(|p| p.strip_prefix('/'))
            .and_then(|p| p.strip_suffix(".xml"))
            .is_some_and(|name| IfaceName::parse(name).is_ok())
    }

    fn render(&self, host: &Host, _existing: &Snapshot) -> Result<Vec<RenderedFile>, BackendError> {
        let mut files: Vec<RenderedFile> = host
            .interfaces
            .iter()
            .map(|i| RenderedFile {
                path: format!("{DIR}/{}.xml", i.name),
                contents: xml::to_xml(&Host {
                    interfaces: vec![i.clone()],
                }),
                mode: 0o644,
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    fn import_noted(
        &self,
        existing: &Snapshot,
        names: &[IfaceName],
    ) -> Result<Imported, BackendError> {
        // Read together, as one host: a device defined in two files is refused as it is
        // when the files are given to `validate` together.
        let files: Vec<SourceFile> = (existing.files.iter())
            .filter(|(path, _)| self.owns(path, None))
            .map(|(path, text)| SourceFile::new(path.as_str(), text.as_str()))
            .collect();
        let mut host = xml::read_host(&files).map_err(BackendError::Invalid)?;
        let mut problems = Vec::new();
        if !names.is_empty() {
            for n in names {
                if !host.interfaces.iter().any(|i| &i.name == n) {
                    problems.push(crate::error::Diagnostic::new(
                        DIR,
                        None,
                        format!("no file under {DIR} configures '{n}'"),
                    ));
                }
            }
            if !problems.is_empty() {
                return Err(BackendError::Invalid(Diagnostics(problems)));
            }
            host.interfaces.retain(|i| names.contains(&i.name));
        }
        // The model's own XML: nothing in it is left out.
        Ok(Imported {
            host,
            notes: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owns_only_interface_files_in_its_folder() {
        assert!(Null.owns("etc/netloom/null/eth0.xml", None));
        for other in [
            "etc/netloom/null/eth0.xml.bak",
            "etc/netloom/null/.xml",
            "etc/netloom/null/sub/eth0.xml",
            "etc/netloom/other/eth0.xml",
        ] {
            assert!(!Null.owns(other, None), "{other}");
        }
    }

    #[test]
    fn renders_and_imports_back() {
        let host = xml::read_str(
            "h.xml",
            "<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>",
        )
        .unwrap();
        let files = Null.render(&host, &Snapshot::default()).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "etc/netloom/null/eth0.xml");
        let snap = Snapshot {
            files: files.into_iter().map(|f| (f.path, f.contents)).collect(),
            ..Snapshot::default()
        };
        assert_eq!(Null.import(&snap, &[]).unwrap(), host);
        let missing = IfaceName::parse("eth1").unwrap();
        assert!(Null.import(&snap, &[missing]).is_err());
    }
}
