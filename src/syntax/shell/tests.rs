//! Tests of the shell reader, most of them checked against bash itself.
use super::*;

#[test]
fn offsets_point_at_the_last_value_of_a_key() {
    let text = "# c\nA=1\n  export B='x'\nA=\"2\"\n";
    let f = ShellFile::parse(text).unwrap();
    assert_eq!(&text[f.offset("B").unwrap()..][..3], "'x'");
    assert_eq!(&text[f.offset("A").unwrap()..][..3], "\"2\"");
    assert_eq!(f.offset("C"), None);
}
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What bash assigns to `key` after `set -a; . path`. PATH points nowhere, so a quoting
/// bug cannot run a real command (`$(reboot)`).
fn bash_get(path: &Path, key: &str) -> String {
    let script = r#"set -a; . "$1"; printf %s "${!2}""#;
    let out = Command::new("/bin/bash")
        .env_clear()
        .env("PATH", "/nonexistent-netloom")
        .args(["-c", script, "_"])
        .arg(path)
        .arg(key)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "bash: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

fn write_temp(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file.flush().unwrap();
    file
}

fn parse(text: &str) -> ShellFile {
    let file = ShellFile::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
    assert_eq!(file.to_string(), text, "round trip");
    file
}

fn error(text: &str) -> (usize, String) {
    let e = ShellFile::parse(text).expect_err(text);
    (e.offset, e.message)
}

fn conformance_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance/netcf/tests/redhat/fsroot/etc/sysconfig/network-scripts");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "missing {}",
        dir.display()
    );
    println!("SKIPPED: {} is missing", dir.display());
    None
}

#[test]
fn netcf_ifcfg_files_round_trip_and_agree_with_bash() {
    let Some(dir) = conformance_dir() else { return };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !file_name.starts_with("ifcfg-") {
            continue;
        }
        let file = parse(&std::fs::read_to_string(&path).unwrap());
        assert!(file.entries().count() > 0, "{file_name}");
        for (key, value) in file.entries() {
            assert_eq!(
                bash_get(&path, key),
                file.get(key).unwrap(),
                "{file_name} {key}"
            );
            assert!(!value.contains(['"', '\'']), "{file_name} {key}={value}");
        }
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} ifcfg files");
    let read = |name: &str| parse(&std::fs::read_to_string(dir.join(name)).unwrap());
    let (br0, bond0) = (read("ifcfg-br0"), read("ifcfg-bond0"));
    assert_eq!(br0.get("DEVICE"), Some("br0"));
    assert_eq!(br0.get("ONBOOT"), Some("yes"));
    assert_eq!(br0.get("DELAY"), Some("0"));
    assert_eq!(br0.get("NONE"), None);
    let bonding = Some("mode=active-backup primary=eth2");
    assert_eq!(bond0.get("BONDING_OPTS"), bonding);
}

#[test]
fn adversarial_file_round_trips_and_agrees_with_bash() {
    let text = "#!/bin/bash\n# comment\n\n  \t\nA=1\nexport B='two words'\n  C=x'y'\"z\"\\ w   # c\n\
                D=\nE='multi\nline'\nF=\"q\\\"\\\\\\$\\`\\x\"\nA=2\nG=a\\\\b \t\nexport H\n\
                if true; then :; fi\n: \"$HOME\" \\\n  X=1\nI=#no\\ comment\nJ=é~*{a,b}\n\
                K=a\\\nb\nL=\"\"''\nM=a#b  \nN=x:y~\nexport=1\nLAST='no newline'";
    let file = parse(text);
    let expected = [
        ("A", "1"),
        ("B", "two words"),
        ("C", "xyz w"),
        ("D", ""),
        ("E", "multi\nline"),
        ("F", "q\"\\$`\\x"),
        ("A", "2"),
        ("G", "a\\b"),
        ("I", "#no comment"),
        ("J", "é~*{a,b}"),
        ("K", "ab"),
        ("L", ""),
        ("M", "a#b"),
        ("N", "x:y~"),
        ("export", "1"),
        ("LAST", "no newline"),
    ];
    assert_eq!(file.entries().collect::<Vec<_>>(), expected);
    assert_eq!(file.get("A"), Some("2"));
    assert_eq!(file.get("H"), None);
    assert_eq!(file.get("X"), None, "continued command, not an assignment");
    let temp = write_temp(text);
    for (key, _) in expected {
        assert_eq!(bash_get(temp.path(), key), file.get(key).unwrap(), "{key}");
    }
}

#[test]
fn carriage_returns_are_read_as_bash_reads_them() {
    // Only `\n` ends a line: the CR of a CRLF ending is part of the value, a comment or a
    // quoted string, as bash has it.
    let text = "# c\r\nA=yes\r\nB='x' # note\r\nC='a\r\nb'\r\nD=\\\r\nE=a\rb\r\nF=last\r";
    let file = parse(text);
    let expected = [
        ("A", "yes\r"),
        ("B", "x"),
        ("C", "a\r\nb\r"),
        ("D", "\r"),
        ("E", "a\rb\r"),
        ("F", "last\r"),
    ];
    assert_eq!(file.entries().collect::<Vec<_>>(), expected);
    let temp = write_temp(text);
    for (key, value) in expected {
        assert_eq!(bash_get(temp.path(), key), value, "{key}");
    }
    // The first unquoted one is the CR after `yes`; quoted and escaped ones are not.
    assert_eq!(file.bare_cr(), Some("# c\r\nA=yes".len()));
    assert_eq!(parse("B='x\r'\nD=\\\r\nC=\"\r\" # \r\n").bare_cr(), None);
}

#[test]
fn a_carriage_return_after_a_blank_is_a_command_and_refused() {
    let err = ShellFile::parse("A=1 \r\n").unwrap_err();
    assert_eq!(err.offset, 4);
    assert!(
        err.message.starts_with("carriage return after a blank"),
        "{err}"
    );
}

#[test]
fn edits_never_write_a_carriage_return() {
    let text = "# c\r\nA=yes\r\nB='x' # note\r\nC=keep\r\nF=last\r";
    let mut edited = parse(text);
    edited.set("A", "yes");
    edited.set("B", "y z");
    edited.set("NEW", "1");
    // A rewritten value loses its CR with the rest of the old value; appended lines end in
    // `\n`; the user's other bytes, CRs included, stay.
    let want = "# c\r\nA=yes\nB='y z' # note\r\nC=keep\r\nF=last\r\nNEW=1\n";
    assert_eq!(edited.to_string(), want);
    assert_eq!(parse(want).get("F"), Some("last\r"));
    assert_eq!(parse(want).get("C"), Some("keep\r"));
}

#[test]
fn empty_and_whitespace_only_files() {
    assert_eq!(parse("").entries().count(), 0);
    assert_eq!(parse("\n\n   ").entries().count(), 0);
    assert_eq!(parse("A=").get("A"), Some(""));
    assert_eq!(
        parse("A=\\").get("A"),
        Some("\\"),
        "a final backslash is literal"
    );
}

#[test]
fn refuses_what_it_cannot_decode_with_offsets() {
    #[rustfmt::skip]
    let cases: &[(&str, usize, &str)] = &[
        ("A='abc", 2, "unterminated single-quoted value; expected a closing \"'\""),
        ("X=1\nA=\"abc\n", 6, "unterminated double-quoted value; expected a closing '\"'"),
        ("A=\"a\\\"", 2, "unterminated double-quoted"),
        ("A=$(reboot)", 2, "unquoted '$'"),
        ("A=a$b", 3, "unquoted '$'"),
        ("A=`id`", 2, "unquoted '`'"),
        ("A=\"a$b\"", 4, "unescaped '$' inside double quotes"),
        ("A=\"a`id`\"", 4, "unescaped '`' inside double quotes"),
        ("# x\n  B=a;b", 9, "unquoted ';' in value is a shell metacharacter"),
        ("A=a&", 3, "unquoted '&'"),
        ("A=a|b", 3, "unquoted '|'"),
        ("A=<x", 2, "unquoted '<'"),
        ("A=(a b)", 2, "unquoted '('"),
        ("A=a b", 4, "unquoted blank in value followed by more text"),
        ("A='a' 'b'", 6, "unquoted blank"),
        ("A=1 ; B=2", 4, "unquoted blank"),
        ("A=~/x", 2, "unquoted '~'"),
        ("A=a:b:~", 6, "unquoted '~'"),
        ("A=a:\\\n~", 6, "unquoted '~'"),
        ("A+=1", 1, "append assignment"),
        ("A[0]=1", 1, "array assignment"),
        ("A[i]+=1", 1, "array assignment"),
        ("export A=$x", 9, "unquoted '$'"),
    ];
    for &(text, offset, message) in cases {
        let (at, got) = error(text);
        assert_eq!(at, offset, "{text:?}: {got}");
        assert!(got.starts_with(message), "{text:?}: {got}");
        assert_eq!(got, got.to_lowercase(), "{got}");
    }
    let e = ShellFile::parse("A='x").unwrap_err();
    assert_eq!(e.to_string(), e.message);
    // Quoted or escaped, the same characters are fine.
    let file = parse("A='$(x)`;&|<>~'\nB=\\$x\\;\\~\nC=\"\\$\\`\"\nD=a~:b");
    let values: Vec<_> = file.entries().map(|(_, v)| v).collect();
    assert_eq!(values, ["$(x)`;&|<>~", "$x;~", "$`", "a~:b"]);
}

#[test]
fn other_lines_are_kept_not_refused() {
    let text = "export X\nif [ -f /x ]; then\n  . /x\nfi\necho $HOME `id`\nunset Y\nA[x]\n";
    assert_eq!(parse(text).entries().count(), 0);
}

#[test]
fn set_rewrites_in_place_and_keeps_every_other_byte() {
    let text = "# head\nA=1\n  export B=\"old\"   # keep me\nC='x'\nB=dup\nONBOOT='yes'\nD=z";
    let mut file = parse(text);
    file.set("ONBOOT", "yes");
    assert_eq!(file.to_string(), text, "same value: untouched");
    file.set("A", "two words");
    file.set("C", "it's");
    assert_eq!(
        file.to_string(),
        "# head\nA='two words'\n  export B=\"old\"   # keep me\nC='it'\\''s'\nB=dup\nONBOOT='yes'\nD=z"
    );
    file.set("B", "new");
    let deduped = "# head\nA='two words'\nC='it'\\''s'\nB=new\nONBOOT='yes'\nD=z";
    assert_eq!(file.to_string(), deduped);
    file.set("E", "");
    assert_eq!(file.to_string(), format!("{deduped}\nE=''\n"));
    let mut again = parse(text);
    again.set("B", "dup");
    let text_without_first_b = "# head\nA=1\nC='x'\nB=dup\nONBOOT='yes'\nD=z";
    assert_eq!(
        again.to_string(),
        text_without_first_b,
        "first B removed, last untouched"
    );
    let mut comment = parse("  B=1 # c\n");
    comment.set("B", "2");
    assert_eq!(comment.to_string(), "  B=2 # c\n");
    let mut invalid = parse("A=1\n");
    invalid.set("NOT VALID", "x");
    invalid.set("1A", "x");
    assert_eq!(invalid.to_string(), "A=1\n");
}

#[test]
fn set_appends_after_a_missing_final_newline_without_changing_the_last_line() {
    for (text, expected) in [
        ("", "K=v\n"),
        ("A=1\n", "A=1\nK=v\n"),
        ("A=1", "A=1\nK=v\n"),
        ("# c", "# c\nK=v\n"),
        ("A=x\\", "A='x\\'\nK=v\n"),
        ("A=x\r", "A=x\r\nK=v\n"),
        ("A=1 # c\\", "A=1 # c\\\nK=v\n"),
    ] {
        let mut file = parse(text);
        let before: Vec<(String, String)> =
            file.entries().map(|(k, v)| (k.into(), v.into())).collect();
        file.set("K", "v");
        assert_eq!(file.to_string(), expected, "{text:?}");
        let after = parse(expected);
        let mut entries = after.entries().map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert!(
            before.iter().all(|e| entries.next().as_ref() == Some(e)),
            "{text:?}"
        );
    }
}

#[test]
fn remove_drops_every_assignment_line() {
    let mut file = parse("A=1\n# A=c\nB='x\ny'\nA=2 # c\nexport A=3");
    file.remove("A");
    assert_eq!(file.to_string(), "# A=c\nB='x\ny'\n");
    file.remove("B");
    file.remove("ABSENT");
    assert_eq!(file.to_string(), "# A=c\n");
}

#[test]
fn quote_is_bare_only_when_plain() {
    for plain in ["yes", "10.0.0.1/24", "a_b-c.d:e,f+g=h@i%j", "--", "="] {
        assert_eq!(quote(plain), plain);
    }
    assert_eq!(quote(""), "''");
    assert_eq!(quote("a b"), "'a b'");
    assert_eq!(quote("it's"), "'it'\\''s'");
    assert_eq!(quote("a\0b"), "'ab'", "NUL dropped");
    assert!(is_key("_A1") && is_key("a") && !is_key("") && !is_key("1A") && !is_key("A-B"));
}

#[test]
fn bash_reads_back_what_set_writes() {
    #[rustfmt::skip]
    let values = [
        "", "a b", "it's", "'", "''", "\"quoted\"", "$(reboot)", "`id`", "a\\b", "a\\\\",
        "trailing\\", "line\nbreak", "\n", "end\n", "tab\there", "*", "~", "~/x", "a:~",
        "#comment", "a #b", "a;b", "é", "--", "=", "a=b", " leading", "trailing ", "$HOME",
        "${X}", "!x", "a\r", "\r\n", "{a,b}", "[x]", "\\'\"", "x\u{1F600}",
    ];
    for value in values {
        for start in ["", "# c\nKEY=old # keep\nOTHER=1", "KEY=a\nKEY='b'\n"] {
            let mut file = ShellFile::parse(start).unwrap();
            file.set("KEY", value);
            let text = file.to_string();
            let temp = write_temp(&text);
            assert_eq!(bash_get(temp.path(), "KEY"), value, "bash on {text:?}");
            assert_eq!(parse(&text).get("KEY"), Some(value), "reader on {text:?}");
            assert_eq!(
                parse(&text).get("OTHER"),
                ShellFile::parse(start).unwrap().get("OTHER")
            );
        }
    }
}

#[test]
fn decoding_matches_bash_on_hand_written_values() {
    let cases = [
        ("A=a\\ b", "a b"),
        ("A='x'\"y\"z", "xyz"),
        ("A=\"a\\\"b\"", "a\"b"),
        ("A=\"a\\\\b\"", "a\\b"),
        ("A=x\\\\y", "x\\y"),
        ("A=\"line\\\ncont\"", "linecont"),
        ("A=\"a\\qb\\\\\"", "a\\qb\\"),
        ("A='a\\'", "a\\"),
        ("A=\\'x\\\"", "'x\""),
        ("A=a\\\nb", "ab"),
        ("A=x\\", "x\\"),
        ("A=\"multi\nline\"", "multi\nline"),
        ("A=\"'\"'\"'", "'\""),
        ("A=a#b # c", "a#b"),
        ("A=\\~:a~", "~:a~"),
        ("A=a:\\~", "a:~"),
        ("A=\"a:\"~", "a:~"),
        ("  export A=1\t", "1"),
        ("A=1\nA=", ""),
    ];
    for (text, expected) in cases {
        let temp = write_temp(text);
        assert_eq!(bash_get(temp.path(), "A"), expected, "bash on {text:?}");
        assert_eq!(parse(text).get("A"), Some(expected), "reader on {text:?}");
    }
}

/// Pseudo-random values over the characters that matter: whatever the reader accepts as
/// one assignment, bash must read the same way.
#[test]
fn accepts_only_what_bash_reads_the_same_way() {
    let alphabet: Vec<char> = "ab :~#\\'\"$`;\n\r\t=é&(|".chars().collect();
    let mut seed = 0x5eed_u64;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    let mut accepted = 0;
    for _ in 0..600 {
        let mut text = String::from("A=");
        for _ in 0..next(9) {
            text.push(alphabet[next(alphabet.len())]);
        }
        let Ok(file) = ShellFile::parse(&text) else {
            continue;
        };
        // Other lines are bash's business.
        if file.lines.len() != 1 {
            continue;
        }
        accepted += 1;
        let temp = write_temp(&text);
        assert_eq!(
            bash_get(temp.path(), "A"),
            file.get("A").unwrap(),
            "{text:?}"
        );
    }
    assert!(accepted > 100, "only {accepted} accepted");
}

// ---- cost: linear in the input, whatever its shape ----

use crate::scaling::assert_linear;

#[test]
fn many_keys_parse_and_look_up_in_linear_time() {
    let make = |n: usize| {
        (0..n)
            .map(|i| format!("K{i}='v {i}' # c\n"))
            .collect::<String>()
    };
    assert_linear("parsing n assignments", 2_000, make, |text| {
        let file = ShellFile::parse(text).unwrap();
        std::hint::black_box(file.get("K0"));
    });
    // The importer looks up every indexed key of a file (IPADDR0 … IPADDRn).
    let parsed = |n: usize| ShellFile::parse(&make(n)).unwrap();
    assert_linear("looking up n keys", 2_000, parsed, |file| {
        let n = file.entries().count();
        for i in 0..n {
            let key = format!("K{i}");
            std::hint::black_box((file.get(&key), file.offset(&key)));
        }
    });
}

#[test]
fn long_continued_and_quoted_values_parse_in_linear_time() {
    assert_linear(
        "a value continued over n lines",
        2_000,
        |n| format!("A=x{}y\nB=1\n", "\\\nab".repeat(n)),
        |text| {
            std::hint::black_box(ShellFile::parse(text).unwrap());
        },
    );
    assert_linear(
        "a double-quoted value of n lines",
        2_000,
        |n| format!("A=\"{}\"\n", "a \\$ b\n".repeat(n)),
        |text| {
            std::hint::black_box(ShellFile::parse(text).unwrap());
        },
    );
    assert_linear(
        "a command continued over n lines",
        2_000,
        |n| format!("echo {}end\n", "x \\\n".repeat(n)),
        |text| {
            std::hint::black_box(ShellFile::parse(text).unwrap());
        },
    );
}

#[test]
fn editing_many_keys_costs_linear_time() {
    let text = |n: usize| (0..n).map(|i| format!("K{i}=old\n")).collect::<String>();
    let file = |n: usize| (ShellFile::parse(&text(n)).unwrap(), n);
    assert_linear("setting and removing n keys", 1_000, file, |(file, n)| {
        let mut file = file.clone();
        let set: Vec<(String, String)> = (0..*n)
            .map(|i| (format!("K{}", i * 2), format!("new{i}")))
            .collect();
        file.set_all(set.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let gone: Vec<String> = (0..*n).step_by(3).map(|i| format!("K{i}")).collect();
        file.remove_all(gone.iter().map(String::as_str));
        std::hint::black_box(file.to_string());
    });
}
