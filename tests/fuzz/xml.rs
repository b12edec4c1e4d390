//! The XML readers (interface, network, guest and network port XML) on arbitrary bytes, on
//! arbitrary text and on documents made from the grammar of the real ones: none panics,
//! every problem is positioned inside the input, and whatever reads writes a canonical
//! form that reads back to the same thing and writes the same text again.

use netloom::SourceFile;
use netloom::backend::NetContext;
use netloom::model::network::Network;
use netloom::xml::{self, NetworkChecks};
use proptest::prelude::*;

use super::grammar::XML;
use super::{Choices, config, misplaced, positioned};

/// Every XML reader on one input, its name and text as the reader saw them; returns every
/// failure of the properties above.
pub fn read_all(file: &SourceFile) -> Vec<String> {
    let input = [(file.name(), file.text())];
    let mut failures = Vec::new();
    let mut check = |what: &str, diags: Option<&netloom::Diagnostics>| {
        if let Some(d) = diags {
            for m in misplaced(d, &input) {
                failures.push(format!("{what}: {m}"));
            }
        }
    };
    let host = xml::read_host(std::slice::from_ref(file));
    check("interface XML", host.as_ref().err());
    let net = xml::read_network(file);
    check("network XML", net.as_ref().err());
    let parsed = xml::read_network_with(file, NetworkChecks::Parse);
    check("network XML, parse checks", parsed.as_ref().err());
    let guest = xml::read_guest(file);
    check("guest XML", guest.as_ref().err());
    let port = xml::read_netport(file);
    check("network port XML", port.as_ref().err());
    let _ = xml::is_network_document(file.text());

    if let Ok(host) = host
        && let Err(e) = crate::util::canonical(file.name(), &xml::to_xml(&host))
    {
        failures.push(e);
    }
    for (what, checks, net) in [
        ("network", NetworkChecks::Define, net),
        ("network (parse checks)", NetworkChecks::Parse, parsed),
    ] {
        if let Ok(net) = net {
            failures.extend(network_canonical(what, &net, checks));
        }
    }
    if let Ok(guest) = guest {
        failures.extend(canonical("guest", &guest, xml::guest_to_xml, |t| {
            xml::read_guest(&SourceFile::new("again.xml", t))
        }));
    }
    if let Ok(port) = port {
        failures.extend(canonical("network port", &port, xml::netport_to_xml, |t| {
            xml::read_netport(&SourceFile::new("again.xml", t))
        }));
    }
    failures
}

/// The canonical form of a network is libvirt's, which writes out what a network means
/// and not always how it was said (a lone `<forward dev>` as a pool of one, the defaults of
/// a NAT network), so it need not read back to the same model; it must read back to a
/// network that writes the same text and gives the same dnsmasq and firewall files.
fn network_canonical(what: &str, net: &Network, checks: NetworkChecks) -> Vec<String> {
    let text = xml::network_to_xml(net);
    let again = match xml::read_network_with(&SourceFile::new("again.xml", text.clone()), checks) {
        Ok(n) => n,
        Err(e) => {
            return vec![format!(
                "{what}: the canonical form does not read back:\n{e}\n{text}"
            )];
        }
    };
    let mut out = Vec::new();
    if xml::network_to_xml(&again) != text {
        out.push(format!(
            "{what}: writing the canonical form again changes it:\n{text}"
        ));
    }
    let ctx = NetContext::default();
    for backend in netloom::backends::NETWORK {
        let render = |n: &Network| backend.render(n, &ctx).map_err(|e| e.to_string());
        if render(net) != render(&again) {
            out.push(format!(
                "{what}: the canonical form renders other {} files:\n{text}",
                backend.name()
            ));
        }
    }
    out
}

/// `value` written, read back and written again: the same value, the same text.
fn canonical<T: PartialEq + std::fmt::Debug>(
    what: &str,
    value: &T,
    write: fn(&T) -> String,
    read: impl Fn(&str) -> Result<T, netloom::Diagnostics>,
) -> Option<String> {
    let text = write(value);
    match read(&text) {
        Err(e) => Some(format!(
            "{what}: the canonical form does not read back:\n{e}\n{text}"
        )),
        Ok(again) if again != *value => Some(format!(
            "{what}: the canonical form reads back to another value:\n{text}\n{value:?}\n{again:?}"
        )),
        Ok(again) if write(&again) != text => Some(format!(
            "{what}: writing the canonical form again changes it:\n{text}"
        )),
        Ok(_) => None,
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn fuzz_xml_readers_take_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        match SourceFile::from_bytes("bytes.xml", bytes.clone()) {
            Ok(file) => {
                let failures = read_all(&file);
                prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
            }
            Err(d) => {
                let lossy = String::from_utf8_lossy(&bytes);
                let failures = misplaced(&netloom::Diagnostics(vec![*d]), &[("bytes.xml", positioned(&lossy))]);
                prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
            }
        }
    }

    #[test]
    fn fuzz_xml_readers_take_any_text(text in any::<String>()) {
        let failures = read_all(&SourceFile::new("text.xml", text));
        prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn fuzz_xml_readers_take_documents_of_the_real_grammar(
        data in proptest::collection::vec(any::<u32>(), 0..400),
    ) {
        let mut c = Choices::new(&data);
        let text = XML.document(&mut c);
        let failures = read_all(&SourceFile::new("grammar.xml", text.clone()));
        prop_assert!(failures.is_empty(), "{}\n--- input ---\n{text}", failures.join("\n"));
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Files given together are one host: a problem found across them (an interface
    /// defined in both) points into the file it is in.
    #[test]
    fn fuzz_interface_xml_across_files_points_into_the_right_one(
        data in proptest::collection::vec(any::<u32>(), 0..400),
    ) {
        let mut c = Choices::new(&data);
        let texts = [XML.document(&mut c), XML.document(&mut c)];
        let files = [
            SourceFile::new("one.xml", texts[0].clone()),
            SourceFile::new("two.xml", texts[1].clone()),
        ];
        if let Err(d) = xml::read_host(&files) {
            let failures = misplaced(&d, &[("one.xml", &texts[0]), ("two.xml", &texts[1])]);
            prop_assert!(
                failures.is_empty(),
                "{}\n--- one.xml ---\n{}\n--- two.xml ---\n{}",
                failures.join("\n"), texts[0], texts[1]
            );
        }
    }
}

/// The grammar goes deep: among its documents some read cleanly with each reader, so the
/// properties above reach the model and the writers, not only the first refusal.
#[test]
fn fuzz_the_xml_grammar_makes_documents_every_reader_accepts() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let mut runner =
        TestRunner::new_with_rng(config(0), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = proptest::collection::vec(any::<u32>(), 0..400);
    let mut accepted = [0; 4];
    for _ in 0..2000 {
        let data = strategy.new_tree(&mut runner).unwrap().current();
        let file = SourceFile::new("g.xml", XML.document(&mut Choices::new(&data)));
        accepted[0] += usize::from(xml::read_host(std::slice::from_ref(&file)).is_ok());
        accepted[1] += usize::from(xml::read_network(&file).is_ok());
        accepted[2] += usize::from(xml::read_guest(&file).is_ok());
        accepted[3] += usize::from(xml::read_netport(&file).is_ok());
    }
    assert!(
        accepted.iter().all(|&n| n >= 10),
        "documents accepted (interface, network, guest, port XML) of 2000: {accepted:?}"
    );
}

/// The whole-file problems are real and are the only unpositioned ones `validate` prints:
/// a file that cannot be read, a file or standard input given twice.
#[test]
fn fuzz_whole_file_problems_are_the_listed_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("one.xml"),
        "<interface type='ethernet' name='eth0'/>",
    )
    .unwrap();
    let args = ["validate", "missing.xml", "one.xml", "one.xml", "-", "-"];
    let run = crate::util::netloom(&args, dir.path(), Some(b"<interface".as_slice()));
    assert_eq!(run.code, 2, "{}", run.stderr);
    let problems: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| {
            ["missing.xml:", "one.xml:", "<stdin>:"]
                .iter()
                .any(|n| l.starts_with(n))
        })
        .collect();
    // `FILE: message` rather than `FILE:LINE:COL: message`.
    let whole: Vec<&str> = problems
        .iter()
        .filter_map(|l| {
            let (location, message) = l.split_once(": ")?;
            let mut parts = location.rsplitn(3, ':');
            let numbers = parts.by_ref().take(2).all(|p| p.parse::<u32>().is_ok());
            (!numbers || parts.next().is_none()).then_some(message)
        })
        .collect();
    assert_eq!(whole.len(), 3, "{}", run.stderr);
    for (message, listed) in whole.iter().zip(super::WHOLE_FILE) {
        assert!(message.starts_with(listed), "{message:?} is not {listed:?}");
    }
    assert_eq!(
        problems.len(),
        4,
        "the stdin problem is positioned:\n{}",
        run.stderr
    );
}
