//! netcf's interface XML cases: every one reads, and its canonical form is structurally equal
//! to the input (same elements in the same order, same attributes in any order), which is
//! how netcf's own test suite compared them.

use std::collections::BTreeMap;

use roxmltree::{Document, Node};

use crate::util::{canonical, shared, xml_files};

/// Compares two elements the way netcf's `tests/tutil.c` did: names, attribute sets and the
/// sequence of child elements; text, comments and white space do not count.
fn same_structure(a: Node, b: Node, path: &str) -> Result<(), String> {
    let here = format!("{path}/{}", a.tag_name().name());
    if a.tag_name().name() != b.tag_name().name() {
        return Err(format!(
            "{here}: element <{}> became <{}>",
            a.tag_name().name(),
            b.tag_name().name()
        ));
    }
    let attrs = |n: Node| -> BTreeMap<String, String> {
        n.attributes()
            .map(|x| (x.name().to_owned(), x.value().to_owned()))
            .collect()
    };
    if attrs(a) != attrs(b) {
        return Err(format!(
            "{here}: attributes {:?} became {:?}",
            attrs(a),
            attrs(b)
        ));
    }
    let ka: Vec<Node> = a.children().filter(|c| c.is_element()).collect();
    let kb: Vec<Node> = b.children().filter(|c| c.is_element()).collect();
    if ka.len() != kb.len() {
        let names = |v: &[Node]| {
            v.iter()
                .map(|n| n.tag_name().name().to_owned())
                .collect::<Vec<_>>()
        };
        return Err(format!(
            "{here}: children {:?} became {:?}",
            names(&ka),
            names(&kb)
        ));
    }
    for (x, y) in ka.into_iter().zip(kb) {
        same_structure(x, y, &here)?;
    }
    Ok(())
}

#[test]
fn netcf_interface_inputs_read_and_round_trip_structurally() {
    let Some(dir) = shared("conformance/netcf/tests/interface") else {
        return;
    };
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for path in xml_files(&dir) {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        if file == "schemas.xml" {
            // An editor's locating-rules file, not an interface: it must be refused clearly.
            let err = netloom::xml::read_str(&file, &text)
                .unwrap_err()
                .to_string();
            assert!(err.contains("found <locatingRules>"), "{err}");
            continue;
        }
        let canonical = match canonical(&file, &text) {
            Ok((_, canonical)) => canonical,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let input = Document::parse(&text).unwrap();
        let output = Document::parse(&canonical).unwrap();
        if let Err(e) = same_structure(input.root_element(), output.root_element(), "") {
            failures.push(format!("{file}: {e}\ncanonical form:\n{canonical}"));
        }
        checked.push(file);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // netcf ships 21 interface cases; fewer means the data moved and this test went hollow.
    assert_eq!(checked.len(), 21, "{checked:?}");
}

#[test]
fn the_structural_comparison_notices_order_attributes_and_missing_elements() {
    let base = "<a x='1'><b/><c y='2'/></a>";
    let parse = |s: &'static str| Document::parse(s).unwrap();
    let same = parse("<a x='1'>\n  <b/><!-- c --><c y='2'></c></a>");
    let cases = [
        parse("<a x='1'><c y='2'/><b/></a>"),
        parse("<a x='1'><b/><c y='3'/></a>"),
        parse("<a><b/><c y='2'/></a>"),
        parse("<a x='1'><b/></a>"),
    ];
    let doc = parse(base);
    assert!(same_structure(doc.root_element(), same.root_element(), "").is_ok());
    for other in &cases {
        assert!(same_structure(doc.root_element(), other.root_element(), "").is_err());
    }
}
