//! Exact output of `write_diff` and `write_json`, checked against what git and GNU diff
//! write for the same files.

use super::*;

fn st(bytes: &[u8], mode: u32) -> Option<FileState> {
    Some(FileState {
        bytes: bytes.to_vec(),
        mode,
    })
}

fn change(path: &str, old: Option<FileState>, new: Option<FileState>) -> Change {
    Change {
        path: path.into(),
        old,
        new,
    }
}

fn render(changes: Vec<Change>, color: bool) -> String {
    render_with(
        changes,
        Look {
            color,
            escape: false,
        },
    )
}

fn render_with(changes: Vec<Change>, look: Look) -> String {
    let plan = Plan {
        backend: "test",
        changes,
    };
    let mut out = Vec::new();
    write_diff(&plan, &mut out, look).unwrap();
    String::from_utf8(out).unwrap()
}

fn plain(c: Change) -> String {
    render(vec![c], false)
}

fn numbers(n: usize) -> String {
    (1..=n).map(|i| format!("{i}\n")).collect()
}

#[test]
fn create() {
    let got = plain(change("etc/x", None, st(b"a\nb\n", 0o644)));
    assert_eq!(
        got,
        "diff --git a/etc/x b/etc/x\n\
         new file mode 100644\n\
         --- /dev/null\n\
         +++ b/etc/x\n\
         @@ -0,0 +1,2 @@\n\
         +a\n\
         +b\n"
    );
}

#[test]
fn create_one_line_has_a_short_range() {
    let got = plain(change("k", None, st(b"secret\n", 0o600)));
    assert_eq!(
        got,
        "diff --git a/k b/k\n\
         new file mode 100600\n\
         --- /dev/null\n\
         +++ b/k\n\
         @@ -0,0 +1 @@\n\
         +secret\n"
    );
}

#[test]
fn create_empty_file_is_only_the_header() {
    let got = plain(change("e", None, st(b"", 0o644)));
    assert_eq!(
        got,
        "diff --git a/e b/e\nnew file mode 100644\nindex 0000000..e69de29\n"
    );
}

#[test]
fn delete() {
    let got = plain(change("etc/x", st(b"a\nb\n", 0o644), None));
    assert_eq!(
        got,
        "diff --git a/etc/x b/etc/x\n\
         deleted file mode 100644\n\
         --- a/etc/x\n\
         +++ /dev/null\n\
         @@ -1,2 +0,0 @@\n\
         -a\n\
         -b\n"
    );
}

#[test]
fn delete_empty_file_is_only_the_header() {
    let got = plain(change("e", st(b"", 0o600), None));
    assert_eq!(
        got,
        "diff --git a/e b/e\ndeleted file mode 100600\nindex e69de29..0000000\n"
    );
}

#[test]
fn modify_in_the_middle_has_three_lines_of_context() {
    let old = numbers(10);
    let new = old.replace("5\n", "five\n");
    let got = plain(change(
        "f",
        st(old.as_bytes(), 0o644),
        st(new.as_bytes(), 0o644),
    ));
    assert_eq!(
        got,
        "diff --git a/f b/f\n\
         --- a/f\n\
         +++ b/f\n\
         @@ -2,7 +2,7 @@\n \
         2\n \
         3\n \
         4\n\
         -5\n\
         +five\n \
         6\n \
         7\n \
         8\n"
    );
}

#[test]
fn hunks_split_and_merge_like_gnu_diff() {
    let old = numbers(20);
    // Six unchanged lines between two changes: one hunk, as `diff -u` does.
    let near = old.replace("\n2\n", "\nX\n").replace("\n9\n", "\nY\n");
    let got = plain(change(
        "f",
        st(old.as_bytes(), 0o644),
        st(near.as_bytes(), 0o644),
    ));
    assert_eq!(
        got,
        "diff --git a/f b/f\n--- a/f\n+++ b/f\n\
         @@ -1,12 +1,12 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n 7\n 8\n-9\n+Y\n 10\n 11\n 12\n"
    );
    // Seven: two hunks.
    let far = old.replace("\n2\n", "\nX\n").replace("\n10\n", "\nY\n");
    let got = plain(change(
        "f",
        st(old.as_bytes(), 0o644),
        st(far.as_bytes(), 0o644),
    ));
    assert_eq!(
        got,
        "diff --git a/f b/f\n--- a/f\n+++ b/f\n\
         @@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n\
         @@ -7,7 +7,7 @@\n 7\n 8\n 9\n-10\n+Y\n 11\n 12\n 13\n"
    );
}

#[test]
fn mode_only() {
    let got = plain(change("f", st(b"x\n", 0o644), st(b"x\n", 0o600)));
    assert_eq!(
        got,
        "diff --git a/f b/f\nold mode 100644\nnew mode 100600\n"
    );
}

#[test]
fn mode_and_content() {
    let got = plain(change("f", st(b"a\nb\n", 0o644), st(b"a\nc\n", 0o755)));
    assert_eq!(
        got,
        "diff --git a/f b/f\n\
         old mode 100644\n\
         new mode 100755\n\
         --- a/f\n\
         +++ b/f\n\
         @@ -1,2 +1,2 @@\n \
         a\n\
         -b\n\
         +c\n"
    );
}

#[test]
fn special_bits_make_a_longer_mode() {
    let got = plain(change("f", st(b"x\n", 0o755), st(b"x\n", 0o4755)));
    assert_eq!(
        got,
        "diff --git a/f b/f\nold mode 100755\nnew mode 104755\n"
    );
}

#[test]
fn missing_newline_on_either_side_is_marked() {
    // The same three cases `diff -u` was run on.
    let got = plain(change("f", st(b"a\nb", 0o644), st(b"a\nc\n", 0o644)));
    assert_eq!(
        got,
        "diff --git a/f b/f\n--- a/f\n+++ b/f\n\
         @@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
    );
    let got = plain(change("f", st(b"a\nb\n", 0o644), st(b"a\nb", 0o644)));
    assert_eq!(
        got,
        "diff --git a/f b/f\n--- a/f\n+++ b/f\n\
         @@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n"
    );
    let got = plain(change("f", st(b"a\nb\nc", 0o644), st(b"A\nb\nc", 0o644)));
    assert_eq!(
        got,
        "diff --git a/f b/f\n--- a/f\n+++ b/f\n\
         @@ -1,3 +1,3 @@\n-a\n+A\n b\n c\n\\ No newline at end of file\n"
    );
}

#[test]
fn binary_on_either_side() {
    let got = plain(change("f", st(b"\xff\xfe\n", 0o644), st(b"text\n", 0o644)));
    assert_eq!(got, "diff --git a/f b/f\nBinary files a/f and b/f differ\n");
    let got = plain(change("f", None, st(b"nul\0byte\n", 0o600)));
    assert_eq!(
        got,
        "diff --git a/f b/f\nnew file mode 100600\nBinary files /dev/null and b/f differ\n"
    );
    let got = plain(change("f", st(b"\xc3", 0o644), None));
    assert_eq!(
        got,
        "diff --git a/f b/f\ndeleted file mode 100644\nBinary files a/f and /dev/null differ\n"
    );
    // Same bytes, new mode: nothing about the contents.
    let got = plain(change("f", st(b"\xff", 0o644), st(b"\xff", 0o600)));
    assert_eq!(
        got,
        "diff --git a/f b/f\nold mode 100644\nnew mode 100600\n"
    );
}

#[test]
fn colour_like_git() {
    let got = render(
        vec![change("f", st(b"a\nb\nc", 0o644), st(b"a\nB\nc", 0o600))],
        true,
    );
    assert_eq!(
        got,
        "\x1b[1mdiff --git a/f b/f\x1b[m\n\
         \x1b[1mold mode 100644\x1b[m\n\
         \x1b[1mnew mode 100600\x1b[m\n\
         \x1b[1m--- a/f\x1b[m\n\
         \x1b[1m+++ b/f\x1b[m\n\
         \x1b[36m@@ -1,3 +1,3 @@\x1b[m\n \
         a\n\
         \x1b[31m-b\x1b[m\n\
         \x1b[32m+B\x1b[m\n \
         c\n\
         \\ No newline at end of file\n"
    );
}

#[test]
fn no_escape_bytes_without_colour() {
    let changes = vec![
        change("a", None, st(b"x\ny", 0o644)),
        change("b", st(b"1\n2\n3\n", 0o644), st(b"1\n3\n4\n", 0o600)),
        change("c", st(b"\xff", 0o644), st(b"z\n", 0o644)),
        change("d", st(b"gone\n", 0o644), None),
        change("e", None, st(b"", 0o644)),
    ];
    let plain = render(changes.clone(), false);
    assert!(!plain.contains('\x1b'), "{plain:?}");
    let coloured = render(changes, true);
    assert!(coloured.contains("\x1b[32m+x\x1b[m\n"), "{coloured:?}");
    assert!(coloured.contains("\x1b[31m-gone\x1b[m\n"), "{coloured:?}");
    assert!(
        coloured.contains("\x1b[1mindex 0000000..e69de29\x1b[m\n"),
        "{coloured:?}"
    );
    // Taking the colours out gives the plain text back.
    let stripped = ["\x1b[1m", "\x1b[36m", "\x1b[31m", "\x1b[32m", "\x1b[m"]
        .iter()
        .fold(coloured, |s, esc| s.replace(esc, ""));
    assert_eq!(stripped, plain);
}

#[test]
fn changes_come_in_plan_order() {
    let got = render(
        vec![
            change("a", None, st(b"", 0o644)),
            change("b", st(b"", 0o644), None),
        ],
        false,
    );
    assert_eq!(
        got,
        "diff --git a/a b/a\nnew file mode 100644\nindex 0000000..e69de29\n\
         diff --git a/b b/b\ndeleted file mode 100644\nindex e69de29..0000000\n"
    );
}

#[test]
fn names_are_quoted_and_tabbed_like_git() {
    let got = plain(change("my file", None, st(b"x\n", 0o644)));
    assert_eq!(
        got,
        "diff --git a/my file b/my file\nnew file mode 100644\n\
         --- /dev/null\t\n+++ b/my file\t\n@@ -0,0 +1 @@\n+x\n"
    );
    let got = plain(change("é\"\\", st(b"x\n", 0o644), None));
    assert_eq!(
        got,
        "diff --git \"a/\\303\\251\\\"\\\\\" \"b/\\303\\251\\\"\\\\\"\n\
         deleted file mode 100644\n\
         --- \"a/\\303\\251\\\"\\\\\"\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    );
}

#[test]
fn json_keeps_key_order_and_the_plain_diff() {
    let plan = Plan {
        backend: "ifcfg",
        changes: vec![
            change("etc/x", st(b"a\n", 0o644), st(b"b\n", 0o600)),
            change("n", None, st(b"\xff", 0o644)),
        ],
    };
    let mut out = Vec::new();
    write_json(&plan, "/mnt/sysimage", &mut out).unwrap();
    let got = String::from_utf8(out).unwrap();
    assert_eq!(
        got,
        concat!(
            r#"{"version":1,"root":"/mnt/sysimage","backend":"ifcfg","changed":true,"changes":["#,
            r#"{"path":"etc/x","action":"modify","old_mode":"0644","new_mode":"0600","#,
            r#""binary":false,"diff":"diff --git a/etc/x b/etc/x\nold mode 100644\n"#,
            r#"new mode 100600\n--- a/etc/x\n+++ b/etc/x\n@@ -1 +1 @@\n-a\n+b\n"},"#,
            r#"{"path":"n","action":"create","old_mode":null,"new_mode":"0644","#,
            r#""binary":true,"diff":"diff --git a/n b/n\nnew file mode 100644\n"#,
            r#"Binary files /dev/null and b/n differ\n"}]}"#,
            "\n"
        )
    );
}

#[test]
fn json_of_an_empty_plan() {
    let plan = Plan {
        backend: "null",
        changes: Vec::new(),
    };
    let mut out = Vec::new();
    write_json(&plan, "/", &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"version\":1,\"root\":\"/\",\"backend\":\"null\",\"changed\":false,\"changes\":[]}\n"
    );
    let mut out = Vec::new();
    let look = Look {
        color: true,
        escape: true,
    };
    write_diff(&plan, &mut out, look).unwrap();
    assert!(out.is_empty());
}

#[test]
fn a_coloured_diff_shows_control_characters_of_a_file_escaped_and_a_plain_one_keeps_them() {
    let c = || {
        change(
            "etc/x",
            st(b"\tA=1\r\nB=2\n", 0o644),
            st(b"\tA=1\x1b[2J\r\nB=3\n", 0o644),
        )
    };
    let coloured = render(vec![c()], true);
    assert!(!coloured.contains('\r'), "{coloured:?}");
    assert!(
        coloured.contains("-\tA=1\\r\u{1b}[m") && coloured.contains("+\tA=1\\u{1b}[2J\\r\u{1b}[m"),
        "{coloured:?}"
    );
    // Every escape left is one of git's colours, never the file's.
    assert!(!coloured.contains("\u{1b}[2J"), "{coloured:?}");
    // Without colour but to a terminal (NO_COLOR, --color never), still escaped, uncoloured.
    let escaped = render_with(
        vec![c()],
        Look {
            color: false,
            escape: true,
        },
    );
    assert!(
        !escaped.contains('\u{1b}') && !escaped.contains('\r'),
        "{escaped:?}"
    );
    assert!(escaped.contains("+\tA=1\\u{1b}[2J\\r\n"), "{escaped:?}");
    // Neither: the diff is for `patch`: the file's own bytes.
    let plain = render(vec![c()], false);
    assert!(plain.contains("+\tA=1\u{1b}[2J\r\n"), "{plain:?}");
}
