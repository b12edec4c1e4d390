//! Tests of the interfaces(5) reader: print-back, structure, every error, and agreement
//! with ifupdown's own `ifquery` where it is installed.
use super::*;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Checks what every successful parse must satisfy, whatever the text: the spans tile the
/// text, each span but the last ends a physical line, numbers count physical lines, and
/// stanzas point at headers and options in order.
fn check_invariants(file: &File, text: &str) {
    let mut at = 0;
    for (i, line) in file.lines.iter().enumerate() {
        assert_eq!(
            line.span.start, at,
            "line {i} does not start where the last ended"
        );
        assert!(line.span.end > line.span.start, "line {i} is empty");
        let spanned = &text[line.span.clone()];
        if line.span.end < text.len() {
            assert!(
                spanned.ends_with('\n'),
                "line {i} ends mid-line: {spanned:?}"
            );
        }
        let number = 1 + text[..line.span.start].matches('\n').count();
        assert_eq!(line.number as usize, number, "line {i}");
        assert!(spanned.starts_with(&line.indent), "line {i} indent");
        assert!(line.indent.chars().all(blank), "line {i} indent");
        at = line.span.end;
    }
    assert_eq!(at, text.len(), "the spans do not cover the text");
    assert_eq!(file.print(text), text, "print-back");
    let mut last_header = None;
    for stanza in &file.stanzas {
        assert!(last_header < Some(stanza.header));
        last_header = Some(stanza.header);
        let header = &file.lines[stanza.header].kind;
        assert!(matches!(
            header,
            LineKind::Iface { .. } | LineKind::Mapping { .. }
        ));
        let mut prev = stanza.header;
        for &o in &stanza.options {
            assert!(o > prev && o < stanza.end);
            assert!(matches!(file.lines[o].kind, LineKind::Option { .. }));
            prev = o;
        }
        assert_eq!(stanza.end, prev + 1, "end is one past the last option");
    }
    let in_stanzas: usize = file.stanzas.iter().map(|s| s.options.len()).sum();
    let options = file
        .lines
        .iter()
        .filter(|l| matches!(l.kind, LineKind::Option { .. }))
        .count();
    assert_eq!(in_stanzas, options, "every option belongs to a stanza");
}

fn parse_ok(text: &str) -> File {
    let file = parse("f", text).unwrap_or_else(|e| panic!("{text:?}:\n{e}"));
    check_invariants(&file, text);
    file
}

/// Every problem as `file:line:col: message`.
fn errors(text: &str) -> Vec<String> {
    let Err(e) = parse("f", text) else {
        panic!("{text:?} parsed");
    };
    e.0.iter()
        .map(|d| format!("{}: {}", d.location(), d.message()))
        .collect()
}

fn kinds(text: &str) -> Vec<LineKind> {
    parse_ok(text).lines.into_iter().map(|l| l.kind).collect()
}

fn w(text: &str, line: u32, col: u32) -> Word {
    Word {
        text: text.to_owned(),
        pos: Position { line, col },
    }
}

/// Option keys and values of every iface stanza, by interface name, in order.
fn iface_options(file: &File) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for stanza in &file.stanzas {
        let LineKind::Iface { name, .. } = &file.lines[stanza.header].kind else {
            continue;
        };
        let entry = out.entry(name.text.clone()).or_default();
        for &o in &stanza.options {
            if let LineKind::Option { key, value } = &file.lines[o].kind {
                let value = value.as_ref().map_or("", |v| v.text.as_str());
                entry.push((key.text.clone(), value.to_owned()));
            }
        }
    }
    out
}

/// Names in `Allow` lines of `class`, in order of first appearance.
fn allowed(file: &File, class: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in &file.lines {
        if let LineKind::Allow { class: c, names } = &line.kind
            && c == class
        {
            for n in names {
                if !out.contains(&n.text) {
                    out.push(n.text.clone());
                }
            }
        }
    }
    out
}

const DEBIAN_DEFAULT: &str = "\
# interfaces(5) file used by ifup(8) and ifdown(8)
# Include files from /etc/network/interfaces.d:
source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback
";

fn conformance_file() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance/netcf/tests/debian/fsroot/etc/network/interfaces");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "missing {}",
        path.display()
    );
    println!("SKIPPED: {} is missing", path.display());
    None
}

#[test]
fn the_netcf_file_prints_back_and_has_its_stanzas() {
    let Some(path) = conformance_file() else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let file = parse_ok(&text);
    assert_eq!(file.stanzas.len(), 8);
    let options = iface_options(&file);
    assert_eq!(
        options["br0"],
        [
            ("bridge_ports", "eth0"),
            ("bridge_maxwait", "0"),
            ("hwaddress", "ether 00:1c:c0:89:dd:01"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(options["bond0"].len(), 6);
    assert_eq!(
        allowed(&file, "auto"),
        ["lo", "br0", "bond0", "eth3", "eth4"]
    );
    assert_eq!(file.lines[6].indent, "        ");
}

#[test]
fn debian_default_file() {
    let file = parse_ok(DEBIAN_DEFAULT);
    assert_eq!(
        file.lines[2].kind,
        LineKind::Source {
            path: w("/etc/network/interfaces.d/*", 3, 8)
        }
    );
    assert_eq!(file.stanzas.len(), 1);
    assert_eq!(file.stanzas[0].header, 6);
    assert_eq!(file.stanzas[0].end, 7);
}

#[test]
fn every_shape_of_file_prints_back() {
    let cases = [
        "",
        "\n",
        "# only\n#comments\n   # here",
        "auto lo\r\niface lo inet loopback\r\n\r\n  # c\r\niface e inet manual\r\n\tmtu 9000\r\n",
        "auto lo\niface lo inet loopback",
        "iface e inet manual\n\t\tmtu\t9000 \t\n \t\n\t# tab comment\n",
        "iface e inet static\n  address 192.0.2.1\\\n/24\n  up ip link \\\n     set e up \\  \n",
        "# continued comment \\\nauto e\n#\\\n\n",
        "mapping eth* wlan0\n  script /usr/local/sbin/map-scheme\n  map HOME eth0-home\n  map \
         WORK eth0-work\n",
        "auto a b\nallow-hotplug c\nallow-auto d\nallow-x e\nsource a/b c\nsource-directory \
         interfaces.d\nsource-dir x\nno-auto-down a\nno-scripts b\nrename a=b c=d\nmapping \
         m\n script s\niface a inet manual\n mtu 1\n",
        "iface e inet manual\n  k v\\",
        "iface e inet manual\n  k v\\\n",
        "\\\n\\\n",
        "  \r\n\r\n\n \r",
        "iface é inet manual\n  description ünïcødé \\\n  ✓\n",
    ];
    for text in cases {
        parse_ok(text);
    }
}

#[test]
fn a_continued_value_is_joined_and_its_words_keep_their_lines() {
    let text =
        "iface e inet static\n  address 192.0.2.1\\\n/24\n  up ip link\\\n  set \\\n\tdev e\n";
    let file = parse_ok(text);
    let [_, address, up] = &file.lines[..] else {
        panic!("{:?}", file.lines);
    };
    assert_eq!(address.span, 20..45);
    assert_eq!(
        address.kind,
        LineKind::Option {
            key: w("address", 2, 3),
            value: Some(w("192.0.2.1/24", 2, 11)),
        }
    );
    assert_eq!(up.number, 4);
    assert_eq!(
        up.kind,
        LineKind::Option {
            key: w("up", 4, 3),
            value: Some(w("ip link  set \tdev e", 4, 6)),
        }
    );
    // Words that start on a continuation line point there.
    let text = "auto a \\\n b\\\n\tc\\\nd\n";
    assert_eq!(
        kinds(text),
        [LineKind::Allow {
            class: "auto".into(),
            names: vec![w("a", 1, 6), w("b", 2, 2), w("cd", 3, 2)],
        }]
    );
    // Columns count characters, not bytes.
    let text = "auto é \\\n  ü x\n";
    assert_eq!(
        kinds(text),
        [LineKind::Allow {
            class: "auto".into(),
            names: vec![w("é", 1, 6), w("ü", 2, 3), w("x", 2, 5)],
        }]
    );
}

#[test]
fn continuations_follow_ifupdown_not_intuition() {
    // A comment never continues: `auto e` is read.
    assert_eq!(
        kinds("# c \\\nauto e\n")[1],
        LineKind::Allow {
            class: "auto".into(),
            names: vec![w("e", 2, 6)]
        }
    );
    // Only a backslash that is the very last character continues; after blanks or a CRLF's
    // `\r` it is text, kept in the value.
    for text in [
        "iface e inet manual\n  k v\\  \n  x y\n",
        "iface e inet manual\r\n  k v\\\r\n  x y\r\n",
    ] {
        let options = &iface_options(&parse_ok(text))["e"];
        assert_eq!(options[0], ("k".to_owned(), "v\\".to_owned()), "{text:?}");
        assert_eq!(options.len(), 2);
    }
    // A continuation line is appended as written: `#` in it is text.
    let options = &iface_options(&parse_ok("iface e inet manual\n  k a\\\n# b\n"))["e"];
    assert_eq!(options[0].1, "a# b");
    // A line of only a backslash joins the next line, which may then be a keyword.
    let file = parse_ok("\\\nauto e\n");
    assert_eq!(file.lines.len(), 1);
    assert!(matches!(file.lines[0].kind, LineKind::Allow { .. }));
}

#[test]
fn stanzas_end_at_their_last_option() {
    let text = "\
iface a inet manual
  # inside
  mtu 1

  mtu2 2
# after

auto b
iface b inet manual
# nothing
iface c inet manual
";
    let file = parse_ok(text);
    assert_eq!(
        file.stanzas,
        [
            Stanza {
                header: 0,
                options: vec![2, 4],
                end: 5
            },
            Stanza {
                header: 8,
                options: vec![],
                end: 9
            },
            Stanza {
                header: 10,
                options: vec![],
                end: 11
            },
        ]
    );
    assert_eq!(file.lines[1].kind, LineKind::Comment);
    assert_eq!(file.lines[1].indent, "  ");
    assert_eq!(file.lines[3].kind, LineKind::Blank);
}

#[test]
fn keywords_and_their_words() {
    let text = "allow-hotplug eth0 eth1\nallow-auto a\nsource  dir/a b*  \nsource-directorys d\n\
                no-auto-down n\nno-scripts s\nrename a=b\nmapping p*\n  script\n  map x  y\n";
    let k = kinds(text);
    assert_eq!(
        k[0],
        LineKind::Allow {
            class: "hotplug".into(),
            names: vec![w("eth0", 1, 15), w("eth1", 1, 20)]
        }
    );
    assert_eq!(
        k[1],
        LineKind::Allow {
            class: "auto".into(),
            names: vec![w("a", 2, 12)]
        }
    );
    assert_eq!(
        k[2],
        LineKind::Source {
            path: w("dir/a b*", 3, 9)
        }
    );
    assert_eq!(
        k[3],
        LineKind::SourceDirectory {
            path: w("d", 4, 19)
        }
    );
    assert_eq!(
        k[4],
        LineKind::NoAutoDown {
            names: vec![w("n", 5, 14)]
        }
    );
    assert_eq!(
        k[5],
        LineKind::NoScripts {
            names: vec![w("s", 6, 12)]
        }
    );
    assert_eq!(
        k[6],
        LineKind::Rename {
            pairs: vec![w("a=b", 7, 8)]
        }
    );
    assert_eq!(
        k[7],
        LineKind::Mapping {
            patterns: vec![w("p*", 8, 9)]
        }
    );
    assert_eq!(
        k[8],
        LineKind::Option {
            key: w("script", 9, 3),
            value: None
        }
    );
    assert_eq!(
        k[9],
        LineKind::Option {
            key: w("map", 10, 3),
            value: Some(w("x  y", 10, 7))
        }
    );
    // `allow-` alone is no keyword, and keywords are case-sensitive.
    assert!(matches!(
        &kinds("iface e inet manual\n allow- x\n Auto y\n")[1],
        LineKind::Option { key, .. } if key.text == "allow-"
    ));
}

#[test]
fn keys_compare_as_ifupdown_hooks_see_them() {
    assert_eq!(normal_key("bridge_ports"), "bridge-ports");
    assert_eq!(normal_key("Bond-Mode"), "Bond-Mode");
    assert_eq!(normal_key("up"), "up");
}

#[test]
fn every_error_is_positioned() {
    let cases: &[(&str, &[&str])] = &[
        (
            "auto lo\n  address 1.2.3.4\n",
            &["f:2:3: option 'address' outside an iface or mapping stanza"],
        ),
        (
            "iface e inet manual\nauto e\n\tmtu 9000\n",
            &["f:3:2: option 'mtu' outside an iface or mapping stanza"],
        ),
        (
            "iface e inet\n",
            &["f:1:1: expected 'iface NAME FAMILY METHOD'"],
        ),
        (
            "iface e inet static inherits x\n",
            &["f:1:21: expected 'iface NAME FAMILY METHOD'"],
        ),
        ("source\n", &["f:1:1: expected a path after 'source'"]),
        (
            "  source-dir  \t\n",
            &["f:1:3: expected a path after 'source-dir'"],
        ),
        (
            "auto\n",
            &["f:1:1: expected at least one interface name after 'auto'"],
        ),
        (
            "allow-hotplug\n",
            &["f:1:1: expected at least one interface name after 'allow-hotplug'"],
        ),
        (
            "mapping\n",
            &["f:1:1: expected at least one interface pattern after 'mapping'"],
        ),
        (
            "rename a=b c =d\n",
            &[
                "f:1:12: expected CUR=NEW after 'rename', found 'c'",
                "f:1:14: expected CUR=NEW after 'rename', found '=d'",
            ],
        ),
        (
            "iface e inet manual\n  mtu\n",
            &["f:2:3: option 'mtu' has no value"],
        ),
        (
            "mapping e\n  script a\n  script b\n  mtu 1\n",
            &[
                "f:3:3: a second 'script' in this mapping stanza; it runs one",
                "f:4:3: option 'mtu' in a mapping stanza; expected 'script' or 'map'",
            ],
        ),
        (
            "iface e inet manual\n  \\\n  mtu 1\n",
            &[
                "f:2:3: a line starting with a lone backslash continues into blanks; expected \
               a keyword or an option name first",
            ],
        ),
        (
            "auto e\u{7}\niface e inet manual\n  k a\0b\n",
            &[
                "f:1:7: unexpected control character U+0007",
                "f:3:6: unexpected control character U+0000",
            ],
        ),
        (
            "\u{feff}auto e\nauto \u{feff}f\u{85}\n",
            &[
                "f:1:1: unexpected byte order mark (U+FEFF); save the file without it",
                "f:2:6: unexpected byte order mark (U+FEFF) inside the file",
                "f:2:8: unexpected control character U+0085",
            ],
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(&errors(text), expected, "{text:?}");
    }
}

#[test]
fn problems_are_collected_in_file_order_with_snippets() {
    // A broken iface line still opens its stanza: its options are not reported again.
    let text = "mtu 1\niface e inet\n  mtu 2\nauto\n";
    assert_eq!(
        errors(text),
        [
            "f:1:1: option 'mtu' outside an iface or mapping stanza",
            "f:2:1: expected 'iface NAME FAMILY METHOD'",
            "f:4:1: expected at least one interface name after 'auto'",
        ]
    );
    let Err(e) = parse(
        "/etc/network/interfaces",
        "iface e inet manual\nauto e\n\tmtu 9000\n",
    ) else {
        panic!("parsed");
    };
    assert_eq!(
        e.to_string(),
        "/etc/network/interfaces:3:2: option 'mtu' outside an iface or mapping stanza\n 3 | \t\
         mtu 9000\n   | \t^\n1 problem in 1 file"
    );
    // Words on a continuation line are reported on their own line.
    assert_eq!(
        errors("rename a=b \\\n  bad\n"),
        ["f:2:3: expected CUR=NEW after 'rename', found 'bad'"]
    );
}

// ---- agreement with ifupdown ----

fn write_temp(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file.flush().unwrap();
    file
}

/// Runs `ifquery` on `path` with mappings and the loopback special case off, so it reports
/// only what the file says. `None` when ifquery is not installed.
fn ifquery(path: &Path, args: &[&str]) -> Option<(bool, String)> {
    let out = Command::new("ifquery")
        .args(["--no-loopback", "--no-mappings", "-i"])
        .arg(path)
        .args(args)
        .output();
    match out {
        Ok(out) => Some((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("ifquery: {e}"),
    }
}

fn have_ifquery() -> bool {
    let found = ifquery(Path::new("/dev/null"), &["--list"]).is_some();
    if !found {
        println!("skipped: ifquery not installed");
    }
    found
}

/// Compares our parse of `text` with what ifquery reads from it: the interfaces listed for
/// `auto` and `hotplug`, and every option of every iface (whose names all differ).
fn agree_with_ifquery(text: &str) {
    let file = parse_ok(text);
    let temp = write_temp(text);
    for class in ["auto", "hotplug"] {
        let (ok, out) = ifquery(temp.path(), &["--list", "--allow", class]).unwrap();
        assert!(ok, "{text:?}");
        let listed: Vec<&str> = out.lines().collect();
        assert_eq!(listed, allowed(&file, class), "{class} in {text:?}");
    }
    for (name, options) in iface_options(&file) {
        let (ok, out) = ifquery(temp.path(), &[&name]).unwrap();
        assert!(ok, "{name} in {text:?}");
        let expected: String = options.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        assert_eq!(out, expected, "{name} in {text:?}");
    }
}

#[test]
fn tricky_files_read_as_ifquery_reads_them() {
    if !have_ifquery() {
        return;
    }
    let files = [
        "auto a b\nallow-hotplug c\nallow-auto d\nauto a\niface a inet manual\n  x 1\n\
         iface b inet manual\niface c inet manual\niface d inet manual\n",
        "# c \\\nauto e\niface e inet manual\n  k v\\  \n  j w\\\n#x\n  l  a\t b \\\nc\n",
        "auto e\r\niface e inet manual\r\n  k v\\\r\n  j w\r\n# \\\r\n",
        "  auto \\\n e\\\nf\niface ef inet manual\n\tk\t#v #w\n  \\\n\\\nj 1\n",
        "iface e inet manual\n  bridge_ports a b\n  Up x\n  k v\\",
        "auto e\n\n  #\n\t\t\niface e inet manual\n\n  # inside\n  k 1\n\n  j 2\n# after\n",
        "no-scripts e\nno-auto-down e\nauto e\nsource-directory /nonexistent-netloom\n\
         iface e inet manual\n  k é ü\n",
    ];
    for text in files {
        agree_with_ifquery(text);
    }
    // What we refuse, ifquery refuses too (these it refuses outright; the rest it warns on).
    for text in [
        "auto lo\n  address 1.2.3.4\n",
        "iface e inet\n",
        "iface e inet manual\n  mtu\n",
        "mapping e\n  script a\n  mtu 1\n",
    ] {
        assert!(parse("f", text).is_err());
        let temp = write_temp(text);
        let (ok, _) = ifquery(temp.path(), &["--list"]).unwrap();
        assert!(!ok, "ifquery accepts {text:?}");
    }
}

/// A small deterministic generator (no extra dependency): xorshift.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next(from.len())]
    }
}

/// A random valid file: every line kind, indentation, CRLF or LF, continuations cut at
/// random places, comments and blanks anywhere, sometimes no final newline.
fn random_file(rng: &mut Rng) -> String {
    let eol = if rng.next(4) == 0 { "\r\n" } else { "\n" };
    let indents = ["", " ", "  ", "\t", " \t "];
    let extras = [
        "# comment",
        "#",
        "# ends in a backslash \\",
        "",
        "   ",
        "\t",
    ];
    let mut out = String::new();
    let line = |out: &mut String, rng: &mut Rng, content: String| {
        let indent = rng.pick(&indents);
        // Cut the content at a random character boundary with a continuation; continuations
        // only work with LF endings, so the cut uses LF whatever the file's ending.
        let chars: Vec<(usize, char)> = content.char_indices().collect();
        if !content.is_empty() && rng.next(3) == 0 {
            let (cut, _) = chars[rng.next(chars.len())];
            out.push_str(&format!(
                "{indent}{}\\\n{}{eol}",
                &content[..cut],
                &content[cut..]
            ));
        } else {
            out.push_str(&format!("{indent}{content}{eol}"));
        }
        if rng.next(5) == 0 {
            let extra = rng.pick(&extras);
            out.push_str(&format!("{}{extra}{eol}", rng.pick(&indents)));
        }
    };
    let count = 1 + rng.next(5);
    for i in 0..count {
        let name = format!("e{i}");
        match rng.next(3) {
            0 => line(&mut out, rng, format!("auto {name}")),
            1 => line(&mut out, rng, format!("allow-hotplug {name}")),
            _ => {}
        }
        line(&mut out, rng, format!("iface {name} inet manual"));
        for j in 0..rng.next(4) {
            let value = rng.pick(&["1", "a b", "x\t y", "#v", "é/24", "a\\b"]);
            line(&mut out, rng, format!("opt{j}_k {value}"));
        }
    }
    if rng.next(3) == 0 {
        let trimmed = out.trim_end_matches(['\r', '\n']).len();
        out.truncate(trimmed);
    }
    out
}

#[test]
fn random_files_print_back_and_agree_with_ifquery() {
    let query = have_ifquery();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..if query { 60 } else { 500 } {
        let text = random_file(&mut rng);
        if query {
            agree_with_ifquery(&text);
        } else {
            parse_ok(&text);
        }
    }
}

/// Debian's default file and `n` static stanzas of six lines each.
fn many_interfaces(n: usize) -> String {
    let mut text = String::from(DEBIAN_DEFAULT);
    for i in 0..n {
        text.push_str(&format!(
            "\nauto eth{i}\niface eth{i} inet static\n    address 10.{}.{}.1/24\n    \
             gateway 10.{}.{}.254\n    mtu 1500\n",
            i / 256 % 256,
            i % 256,
            i / 256 % 256,
            i % 256
        ));
    }
    text
}

/// Parsing stays linear and 10,000 interfaces print back byte for byte; how fast it is,
/// `cargo bench --bench debian` says (the parse is part of its import).
#[test]
fn ten_thousand_interfaces_parse() {
    crate::scaling::assert_linear("interfaces(5) parse", 1_000, many_interfaces, |text| {
        std::hint::black_box(parse("big", text).unwrap());
    });
    let text = many_interfaces(10_000);
    let file = parse("big", &text).unwrap();
    assert_eq!(file.stanzas.len(), 10_001);
    assert_eq!(file.lines.len(), 7 + 10_000 * 6);
    assert_eq!(file.print(&text), text);
}

// ---- cost: linear in the input, whatever its shape ----

use crate::scaling::assert_linear;

#[test]
fn a_line_continued_over_many_physical_lines_reads_in_linear_time() {
    // Every word is positioned on its own physical line.
    assert_linear(
        "an auto line continued over n lines",
        1_000,
        |n| {
            format!(
                "auto{}\n",
                (0..n).map(|i| format!(" e{i} \\\n")).collect::<String>()
            )
        },
        |text| {
            let file = parse("f", text).unwrap();
            assert_eq!(file.lines.len(), 1);
        },
    );
}

#[test]
fn a_long_line_of_many_words_reads_in_linear_time() {
    // Columns count characters; a line that is not ASCII must not be recounted per word.
    assert_linear(
        "a non-ASCII auto line of n words",
        1_000,
        |n| {
            format!(
                "auto{}\n",
                (0..n).map(|i| format!(" é{i}")).collect::<String>()
            )
        },
        |text| {
            let file = parse("f", text).unwrap();
            assert_eq!(file.lines.len(), 1);
        },
    );
    assert_linear(
        "n problems on one line",
        1_000,
        |n| format!("auto é{}\n", "\u{1}x".repeat(n)),
        |text| {
            let Err(d) = parse("f", text) else {
                panic!("control characters must be refused")
            };
            assert!(d.0.iter().all(|p| p.position().is_some()));
        },
    );
}
