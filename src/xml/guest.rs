//! Guest interface XML (`<domain>`, `<devices>` or `<interface>`) to the model and back.
//!
//! Only a guest's network interfaces concern netloom, so of a whole `<domain>` only the
//! `<name>`, the `<uuid>` and the `<interface>` elements of `<devices>` are read; disks,
//! consoles and the rest are passed over, which lets `virsh dumpxml` output be read as it
//! is. The interfaces themselves are read as strictly as network XML (libvirt's domain
//! grammar for the types netloom plugs, nothing else), every problem positioned and
//! reported in one run. Writing gives the canonical form in the root it was read with, and
//! reads back to the same model.

mod read;
mod write;

use roxmltree::{Document, Node};

use super::netport::{finish, need, uuid_text};
use super::network::read::text_value;
use super::reader::{Reader, attribute, shorten};
use super::write::El;
use crate::error::Diagnostics;
use crate::model::guest::{Guest, GuestForm, GuestInterface, GuestName, ScriptPath};
use crate::source::SourceFile;

/// Reads a guest document: a `<domain>` (as `virsh dumpxml` prints it), its `<devices>`,
/// or one `<interface>`, so the interfaces can be plugged into their networks. Every
/// problem is reported, positioned.
pub fn read_guest(file: &SourceFile) -> Result<Guest, Diagnostics> {
    let mut r = Reader::with_dialect(file, 0, "domain XML");
    let guest = r.document().and_then(|doc| root(&mut r, &doc));
    finish(r, guest)
}

fn root(r: &mut Reader, doc: &Document) -> Option<Guest> {
    let el = r.root(doc, &["domain", "devices", "interface"])?;
    let name = el.tag_name().name();
    match name {
        "domain" => domain(r, el),
        "devices" => Some(Guest {
            form: GuestForm::Devices,
            interfaces: devices(r, el)?,
            ..Guest::default()
        }),
        _ => Some(Guest {
            form: GuestForm::Interface,
            interfaces: vec![read::interface(r, el)?],
            ..Guest::default()
        }),
    }
}

/// The element children of `el` without a namespace: what libvirt's grammar can name.
/// Anything else in a `<domain>` (an application's metadata, `qemu:commandline`) is not
/// netloom's to judge.
fn plain_children<'a, 'i>(el: Node<'a, 'i>) -> Vec<Node<'a, 'i>> {
    el.children()
        .filter(|c| c.is_element() && c.tag_name().namespace().is_none())
        .collect()
}

/// `<domain>`: its `<name>`, `<uuid>` and `<devices>`; every other child is passed over.
fn domain(r: &mut Reader, el: Node) -> Option<Guest> {
    let what = "<domain>";
    let kids = plain_children(el);
    let name =
        need(r, el, &kids, "name", what).and_then(|n| text_value(r, n, "<name>", GuestName::parse));
    let uuid = r
        .once(&kids, "uuid", what)
        .and_then(|n| text_value(r, n, "<uuid>", uuid_text));
    let interfaces = match r.once(&kids, "devices", what) {
        Some(n) => devices(r, n),
        None => Some(Vec::new()),
    };
    Some(Guest {
        form: GuestForm::Domain,
        name: Some(name?),
        uuid,
        interfaces: interfaces?,
    })
}

/// The `<interface>` children of `<devices>`, in order; other devices are passed over.
fn devices(r: &mut Reader, el: Node) -> Option<Vec<GuestInterface>> {
    r.check_attrs(el, "<devices>", &[]);
    let mut out = Vec::new();
    let mut ok = true;
    for n in plain_children(el)
        .into_iter()
        .filter(|n| n.tag_name().name() == "interface")
    {
        match read::interface(r, n) {
            Some(i) => out.push(i),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// Checks, at its position, that each `<script path>` and `<downscript path>` of a guest
/// document about to be plugged names an executable file on this host. Kept apart from
/// [`read_guest`], which also reads the records of guests plugged earlier: a script
/// removed since must not make those unreadable. Paths that do not parse are left to
/// [`read_guest`], which reports them.
pub fn check_scripts(file: &SourceFile) -> Result<(), Diagnostics> {
    let mut r = Reader::with_dialect(file, 0, "domain XML");
    let Some(doc) = r.document() else {
        return finish(r, Some(()));
    };
    let scripts = doc.descendants().filter(|n| {
        n.is_element()
            && n.tag_name().namespace().is_none()
            && matches!(n.tag_name().name(), "script" | "downscript")
            && n.parent_element()
                .is_some_and(|p| p.has_tag_name("interface"))
    });
    for n in scripts {
        let Some(a) = attribute(n, "path") else {
            continue;
        };
        if ScriptPath::parse(a.value()).is_err() {
            continue;
        }
        if let Err(why) = executable(std::path::Path::new(a.value())) {
            r.error(
                a.range_value().start,
                format!(
                    "invalid path '{}' on <{}>: expected an executable file; {why}",
                    shorten(a.value()),
                    n.tag_name().name()
                ),
            );
        }
    }
    finish(r, Some(()))
}

/// Whether `path` is a file this process may run, and if not, why.
fn executable(path: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "there is no such file".to_owned(),
        _ => format!("it cannot be read ({e})"),
    })?;
    if !meta.is_file() {
        return Err("it is not a regular file".into());
    }
    let mode = meta.permissions().mode();
    if mode & 0o111 == 0 {
        return Err(format!("it is not executable (mode {:04o})", mode & 0o7777));
    }
    Ok(())
}

/// The canonical XML of a guest document, in the form it was read in, ending in a newline.
///
/// A `<domain>` is written with only its name, UUID and interfaces (a domain without a
/// name, which only a hand-built model can have, does not read back: libvirt requires
/// one, and so does [`read_guest`]). A guest of the
/// `Interface` form that does not hold exactly one interface is written as `<devices>`,
/// the form that can hold it.
pub fn guest_to_xml(guest: &Guest) -> String {
    let devices = || El::new("devices").children(guest.interfaces.iter().map(write::interface));
    let root = match (guest.form, guest.interfaces.as_slice()) {
        (GuestForm::Domain, _) => El::new("domain")
            .children(guest.name.as_ref().map(|n| El::new("name").text(n)))
            .children(guest.uuid.map(|u| El::new("uuid").text(u)))
            .child(devices()),
        (GuestForm::Interface, [one]) => write::interface(one),
        (GuestForm::Devices | GuestForm::Interface, _) => devices(),
    };
    let mut out = String::new();
    root.write(&mut out, 0);
    out
}

#[cfg(test)]
mod tests;
