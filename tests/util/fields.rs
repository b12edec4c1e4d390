//! The field walk both backends' "nothing is silently dropped" tests run: a host that sets
//! every field, changed one place at a time; each change must change the rendered files or
//! be refused by name, and each equivalent spelling must change nothing.

use netloom::backend::{Backend, BackendError, Snapshot};

/// What a one-place change must do.
pub enum Expect {
    /// Render, to different files.
    Changes,
    /// Fail with a refusal for this interface and exactly this setting.
    Refused(&'static str, &'static str),
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

/// Walks `fields` (what, text in `base`, replacement, outcome) and `not_settings` (changes
/// that must leave the files as they are) with `backend`; returns every failure.
///
/// Every walk also covers netloom's routes, DNS servers and search domains, one set of rows
/// for every backend ([`ROUTES_AND_DNS`]): they are added to `base`'s `eth0`, whose
/// protocols every backend's BASE gives the same default routes.
pub fn walk<'a>(
    backend: &dyn Backend,
    base: &str,
    fields: impl IntoIterator<Item = (&'a str, &'a str, &'a str, &'a Expect)>,
    not_settings: &[(&str, &str, &str)],
) -> Vec<String> {
    let name = backend.name();
    let base = &with_routes_and_dns(base);
    let files = render(backend, base).unwrap_or_else(|e| panic!("BASE must render: {e}"));
    let mut failures = Vec::new();
    let ours = ROUTES_AND_DNS
        .iter()
        .map(|(w, f, t)| (*w, *f, *t, &Expect::Changes));
    for (what, from, to, expect) in fields.into_iter().chain(ours) {
        match (expect, render(backend, &variant(base, what, from, to))) {
            (Expect::Changes, Ok(got)) if got != files => {}
            (Expect::Changes, Ok(_)) => failures.push(format!(
                "changing the {what} did not change the {name} files"
            )),
            (Expect::Changes, Err(e)) => {
                failures.push(format!("changing the {what} was refused: {e}"))
            }
            (Expect::Refused(iface, setting), Err(BackendError::Unsupported { refusals, .. })) => {
                if !refusals
                    .iter()
                    .any(|r| r.interface == *iface && r.setting == *setting)
                {
                    failures.push(format!(
                        "changing the {what}: no refusal of {iface}: {setting} in {refusals:?}"
                    ));
                }
            }
            (Expect::Refused(..), other) => failures.push(format!(
                "changing the {what} must be refused, got {:?}",
                other.map(|_| "files")
            )),
        }
    }
    for (what, from, to) in not_settings {
        match render(backend, &variant(base, what, from, to)) {
            Ok(got) if got == files => {}
            Ok(_) => failures.push(format!("{what} changed the files")),
            Err(e) => failures.push(format!("{what} was refused: {e}")),
        }
    }
    failures
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
