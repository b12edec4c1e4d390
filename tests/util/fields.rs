//! The field walk every host backend's "nothing is silently dropped" test runs: a host that
//! sets every field, changed one place at a time; each change must change the rendered files
//! or be refused by name, and each equivalent spelling must change nothing.
//!
//! One test body, run per backend ([`walk_test!`], in the style of ripgrep's `rgtest!`), and
//! one fixture: every backend's host is the shared one plus what that backend adds
//! ([`host`]), and every change is one row with each backend's outcome ([`FIELDS`]). The
//! routes and DNS every backend writes alike ([`ROUTES_AND_DNS`]) are walked for each.

mod host;
mod rows;

use netloom::backend::{Backend, BackendError, Refusal, Snapshot};
use netloom::backends::{debian::Debian, ifcfg::Ifcfg, nm::Nm};

pub use host::host;
pub use rows::FIELDS;

/// A host backend the walk runs for; its value is the column of its outcomes in [`FIELDS`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Native {
    Ifcfg = 0,
    Debian = 1,
    Nm = 2,
}

impl Native {
    /// The backend that renders this host.
    pub fn backend(self) -> &'static dyn Backend {
        match self {
            Native::Ifcfg => &Ifcfg,
            Native::Debian => &Debian,
            Native::Nm => &Nm,
        }
    }
}

/// What a one-place change must do under one backend.
pub enum Expect {
    /// Render, to different files.
    Changes,
    /// Fail with a refusal for this interface and exactly this setting.
    Refused(&'static str, &'static str),
    /// Render the same files: not a setting to this backend, or a spelling it reads alike.
    Same,
    /// Not walked for this backend: its host lacks the text, or another row changes the
    /// same field in its host's spelling.
    Skip,
}

/// The files `backend` renders for `xml` on an empty root, as (path, contents).
pub fn render(backend: &dyn Backend, xml: &str) -> Result<Vec<(String, String)>, BackendError> {
    let host = netloom::xml::read_str("walk.xml", xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    Ok(backend
        .render(&host, &Snapshot::default())?
        .into_iter()
        .map(|f| (f.path, f.contents))
        .collect())
}

/// The test that walks a backend's fields (see [`walk`]), named in the backend's module so a
/// failure says which backend. Every failure is listed before the test fails.
macro_rules! walk_test {
    ($native:expr) => {
        #[test]
        fn every_model_field_is_written_or_refused_and_only_equivalents_are_not() {
            let failures = $crate::util::fields::walk($native);
            assert!(failures.is_empty(), "{}", failures.join("\n"));
        }
    };
}
pub(crate) use walk_test;

/// The file at `path` among `files`, which must hold it.
pub fn file<'a>(files: &'a [(String, String)], path: &str) -> &'a str {
    let found = files.iter().find(|(p, _)| p == path);
    &found.unwrap_or_else(|| panic!("no {path}")).1
}

/// Asserts that `backend` renders the same files for two spellings of `base`: `from` (which
/// must occur once) replaced by `a`, and by `b`.
pub fn same_files(backend: &dyn Backend, base: &str, from: &str, a: &str, b: &str) {
    let render = |to: &str| render(backend, &variant(base, to, from, to)).unwrap();
    assert_eq!(render(a), render(b), "{a} and {b} rendered differently");
}

/// `base` with `from` (which must occur exactly once) replaced by `to`.
pub fn variant(base: &str, what: &str, from: &str, to: &str) -> String {
    assert_eq!(
        base.matches(from).count(),
        1,
        "{what}: '{from}' must occur once in BASE"
    );
    let variant = base.replacen(from, to, 1);
    assert_ne!(variant, base, "{what}: the change changes nothing");
    variant
}

/// Walks every change [`FIELDS`] gives `native` an outcome for, and the rows every backend
/// shares, over `native`'s [`host`]; returns every failure.
///
/// The shared rows: netloom's routes, DNS servers and search domains ([`ROUTES_AND_DNS`]),
/// which are added to the host's `eth0`, whose protocols every backend's host gives the same
/// default routes.
pub fn walk(native: Native) -> Vec<String> {
    let backend = native.backend();
    let base = &with_routes_and_dns(&host(native));
    let files = render(backend, base).unwrap_or_else(|e| panic!("BASE must render: {e}"));
    let column = native as usize;
    let ours = (FIELDS.iter()).map(|(w, f, t, outcomes)| (*w, *f, *t, &outcomes[column]));
    let shared = (ROUTES_AND_DNS.iter()).map(|(w, f, t)| (*w, *f, *t, &Expect::Changes));
    (ours.chain(shared))
        .filter(|(_, _, _, expect)| !matches!(expect, Expect::Skip))
        .filter_map(|(what, from, to, expect)| {
            let got = render(backend, &variant(base, what, from, to));
            failure(backend.name(), what, expect, got, &files)
        })
        .collect()
}

/// What is wrong when changing the `what` gave `got` where `expect` was due, if anything;
/// `files` are what the unchanged host renders to.
fn failure(
    name: &str,
    what: &str,
    expect: &Expect,
    got: Result<Vec<(String, String)>, BackendError>,
    files: &[(String, String)],
) -> Option<String> {
    match (expect, got) {
        (Expect::Changes, Ok(got)) if got != files => None,
        (Expect::Changes, Ok(_)) => Some(format!(
            "changing the {what} did not change the {name} files"
        )),
        (Expect::Changes, Err(e)) => Some(format!("changing the {what} was refused: {e}")),
        (Expect::Refused(iface, setting), Err(BackendError::Unsupported { refusals, .. })) => {
            let named = |r: &Refusal| r.interface == *iface && r.setting == *setting;
            (!refusals.iter().any(named)).then(|| {
                format!("changing the {what}: no refusal of {iface}: {setting} in {refusals:?}")
            })
        }
        (Expect::Refused(..), other) => Some(format!(
            "changing the {what} must be refused, got {:?}",
            other.map(|_| "files")
        )),
        (Expect::Same, Ok(got)) if got == files => None,
        (Expect::Same, Ok(_)) => Some(format!("{what} changed the files")),
        (Expect::Same, Err(e)) => Some(format!("{what} was refused: {e}")),
        (Expect::Skip, _) => None,
    }
}

/// eth0's routes and DNS, after its IPv4 default route: a route with every attribute, an
/// on-link one, two servers and two domains.
const V4: &str = "
      <nl:route destination='10.10.0.0' prefix='16' gateway='192.0.2.250' source='192.0.2.9' metric='100' table='200'/>
      <nl:route destination='10.20.0.0' prefix='23'/>
      <nl:dns server='192.0.2.53'/>
      <nl:dns server='192.0.2.54'/>
      <nl:search domain='example.test'/>
      <nl:search domain='corp.example'/>";

/// eth0's IPv6 routes and DNS, after its IPv6 default route.
const V6: &str = "
      <nl:route destination='2001:db8:10::' prefix='48' gateway='2001:db8::fffe' source='2001:db8::99' metric='300' table='400'/>
      <nl:route destination='2001:db8:20::' prefix='56'/>
      <nl:dns server='2001:db8::53'/>
      <nl:search domain='six.example'/>";

/// `base` with [`V4`] and [`V6`] after eth0's default routes.
pub fn with_routes_and_dns(base: &str) -> String {
    let v4 = "<route gateway='192.0.2.1'/>";
    let v6 = "<route gateway='2001:db8::1'/>";
    assert_eq!(base.matches(v4).count(), 1, "BASE needs eth0's {v4} once");
    assert_eq!(base.matches(v6).count(), 1, "BASE needs eth0's {v6} once");
    base.replacen(v4, &format!("{v4}{V4}"), 1)
        .replacen(v6, &format!("{v6}{V6}"), 1)
}

/// Each of netloom's route and DNS fields, changed one at a time: every backend writes
/// them all, so each must change its files. Order counts: routes are added in order (and
/// a gateway may need an on-link route before it), resolvers ask servers and try domains
/// in order.
pub const ROUTES_AND_DNS: &[(&str, &str, &str)] = &[
    (
        "route destination",
        "destination='10.10.0.0'",
        "destination='10.11.0.0'",
    ),
    (
        "route prefix",
        "10.10.0.0' prefix='16'",
        "10.10.0.0' prefix='15'",
    ),
    (
        "route gateway",
        "gateway='192.0.2.250'",
        "gateway='192.0.2.251'",
    ),
    ("route source", "source='192.0.2.9'", "source='192.0.2.8'"),
    ("route metric", "metric='100'", "metric='101'"),
    ("route table", "table='200'", "table='201'"),
    ("route in the main table", " table='200'", ""),
    (
        "on-link route prefix",
        "10.20.0.0' prefix='23'",
        "10.20.0.0' prefix='22'",
    ),
    (
        "route order",
        "<nl:route destination='10.10.0.0' prefix='16' gateway='192.0.2.250' source='192.0.2.9' \
         metric='100' table='200'/>\n      <nl:route destination='10.20.0.0' prefix='23'/>",
        "<nl:route destination='10.20.0.0' prefix='23'/>\n      <nl:route \
         destination='10.10.0.0' prefix='16' gateway='192.0.2.250' source='192.0.2.9' \
         metric='100' table='200'/>",
    ),
    ("dns server", "server='192.0.2.53'", "server='192.0.2.55'"),
    (
        "dns order",
        "<nl:dns server='192.0.2.53'/>\n      <nl:dns server='192.0.2.54'/>",
        "<nl:dns server='192.0.2.54'/>\n      <nl:dns server='192.0.2.53'/>",
    ),
    (
        "search domain",
        "domain='example.test'",
        "domain='example.org'",
    ),
    (
        "search order",
        "<nl:search domain='example.test'/>\n      <nl:search domain='corp.example'/>",
        "<nl:search domain='corp.example'/>\n      <nl:search domain='example.test'/>",
    ),
    (
        "ipv6 route destination",
        "destination='2001:db8:10::'",
        "destination='2001:db8:11::'",
    ),
    (
        "ipv6 route gateway",
        "gateway='2001:db8::fffe'",
        "gateway='fe80::1'",
    ),
    (
        "ipv6 route source",
        "source='2001:db8::99'",
        "source='2001:db8::98'",
    ),
    ("ipv6 route metric", "metric='300'", "metric='301'"),
    ("ipv6 route table", "table='400'", "table='401'"),
    (
        "ipv6 on-link route prefix",
        "2001:db8:20::' prefix='56'",
        "2001:db8:20::' prefix='57'",
    ),
    (
        "ipv6 dns server",
        "server='2001:db8::53'",
        "server='2001:db8::54'",
    ),
    (
        "ipv6 search domain",
        "domain='six.example'",
        "domain='six.example.org'",
    ),
];
