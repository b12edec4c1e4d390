use super::*;

fn problems(text: &str) -> Vec<String> {
    match parse("f.nmconnection", text) {
        Ok(ini) => panic!("expected problems, got {ini:?}"),
        Err(d) => {
            d.0.iter()
                .map(|d| format!("{}: {}", d.location(), d.message()))
                .collect()
        }
    }
}

#[test]
fn sections_keys_comments_and_blank_lines() {
    let text = "# NetworkManager\n[connection]\nid=eth0\n  type = ethernet\n\n; old\n[ipv4]\nmethod=auto\naddress1=192.0.2.1/24,192.0.2.254\n";
    let ini = parse("f", text).unwrap();
    assert_eq!(ini.print(text), text);
    let sections = ini.sections(text);
    let names: Vec<&str> = sections.iter().map(|s| s.name).collect();
    assert_eq!(names, ["connection", "ipv4"]);
    let keys: Vec<(&str, &str)> = sections[0]
        .entries
        .iter()
        .map(|e| (e.key, e.value))
        .collect();
    assert_eq!(keys, [("id", "eth0"), ("type", "ethernet")]);
    assert_eq!(sections[1].entries[1].value, "192.0.2.1/24,192.0.2.254");
    // Offsets point into the file.
    let e = sections[0].entries[1];
    assert_eq!(&text[e.key_at..e.key_at + 4], "type");
    assert_eq!(&text[e.value_at..e.value_at + 8], "ethernet");
}

#[test]
fn crlf_and_a_last_line_without_newline_print_back() {
    let text = "[connection]\r\nid=a b \r\n[proxy]";
    let ini = parse("f", text).unwrap();
    assert_eq!(ini.print(text), text);
    let sections = ini.sections(text);
    // Trailing blanks are the value's: GKeyFile keeps them; the CR is the line ending's.
    assert_eq!(sections[0].entries[0].value, "a b ");
    assert_eq!(sections[1].name, "proxy");
    assert!(sections[1].entries.is_empty());
}

#[test]
fn only_the_cr_of_a_crlf_ending_is_dropped_as_gkeyfile_drops_it() {
    // glib 2.74's g_key_file_load_from_file reads `a=1\r\r\n` as "1\r" and keeps the `\r`
    // of a last line without `\n`: both are control characters in a value, refused here.
    assert_eq!(
        problems("[c]\r\na=1\r\r\nb=2\r"),
        [
            "f.nmconnection:2:4: unexpected control character U+000D",
            "f.nmconnection:3:4: unexpected control character U+000D",
        ]
    );
}

#[test]
fn empty_values_and_equals_signs_in_values() {
    let text = "[a]\nk=\nurl=http://x/?a=b\n";
    let ini = parse("f", text).unwrap();
    let s = ini.sections(text);
    assert_eq!(s[0].entries[0].value, "");
    assert_eq!(s[0].entries[1].value, "http://x/?a=b");
}

#[test]
fn every_problem_is_positioned() {
    let text = "id=early\n[connection\n[]\n[a]x\nnot a pair\n=v\n[a[b]\n";
    assert_eq!(
        problems(text),
        [
            "f.nmconnection:1:1: expected a '[section]' line before the first key",
            "f.nmconnection:2:12: expected ']' to close the section name",
            "f.nmconnection:3:2: expected a section name",
            "f.nmconnection:4:4: expected the end of the line after ']'",
            "f.nmconnection:5:1: expected '[section]', 'key=value', a comment or a blank line",
            "f.nmconnection:6:1: expected a key before '='",
            "f.nmconnection:7:3: expected ']': a section name cannot hold '['",
        ]
    );
}

#[test]
fn control_characters_and_byte_order_marks_are_refused() {
    assert_eq!(
        problems("\u{feff}[connection]\nid=a\u{1}b\n"),
        [
            "f.nmconnection:1:1: unexpected byte order mark (U+FEFF); save the file without it",
            "f.nmconnection:2:5: unexpected control character U+0001",
        ]
    );
    // Tabs are blanks, and other non-ASCII text is fine.
    assert!(parse("f", "[a]\n\tk=\tvalé\n").is_ok());
}

#[test]
fn strings_unescape_and_escape_as_gkeyfile_does() {
    assert_eq!(unescape(r"\sa\tb\\c\nd\r").unwrap(), " a\tb\\c\nd\r");
    assert_eq!(unescape("plain").unwrap(), "plain");
    assert_eq!(
        unescape(r"a\qb").unwrap_err(),
        (1, r"invalid escape sequence '\q'".to_owned())
    );
    assert!(unescape("a\\").is_err());
    assert_eq!(escape(" a b\\\n", None), r"\sa b\\\n");
    assert_eq!(escape("a;b", Some(';')), r"a\;b");
    assert_eq!(escape("plain", None), "plain");
    for s in [" lead", "tab\there", "back\\slash", "semi;colon", "x "] {
        let e = escape(s, None);
        assert_eq!(unescape(&e).unwrap(), s, "{e}");
    }
}

#[test]
fn lists_split_on_unescaped_separators() {
    let got = split_list(r"a;b\;c;d;", ';').unwrap();
    assert_eq!(
        got,
        [(0, "a".into()), (2, "b;c".into()), (7, "d".into())] as [(usize, String); 3]
    );
    assert_eq!(split_list("a;b", ';').unwrap().len(), 2);
    assert!(split_list("", ';').unwrap().is_empty());
    assert_eq!(split_list(r"a;\qb;", ';').unwrap_err().0, 2);
}

// ---- cost: linear in the input, whatever its shape ----

use crate::scaling::assert_linear;

#[test]
fn many_sections_and_keys_read_in_linear_time() {
    assert_linear(
        "n sections of a key each",
        2_000,
        |n| {
            (0..n)
                .map(|i| format!("[s{i}]\nk{i}=v\\s{i}\n"))
                .collect::<String>()
        },
        |text| {
            let ini = parse("f", text).unwrap();
            assert_eq!(ini.sections(text).len() * 2, ini.lines.len());
        },
    );
    assert_linear(
        "n keys in one section",
        2_000,
        |n| {
            format!(
                "[s]\n{}",
                (0..n)
                    .map(|i| format!("k{i} = v{i}\r\n"))
                    .collect::<String>()
            )
        },
        |text| {
            let ini = parse("f", text).unwrap();
            assert_eq!(ini.items(text).count(), ini.lines.len());
        },
    );
}

#[test]
fn many_problems_on_one_line_are_positioned_in_linear_time() {
    assert_linear(
        "n control characters on one line",
        1_000,
        |n| format!("[s]\nk=é{}\n", "\u{1}x".repeat(n)),
        |text| {
            let Err(d) = parse("f", text) else {
                panic!("control characters must be refused")
            };
            assert!(d.0.iter().all(|p| p.position().is_some()));
        },
    );
}
