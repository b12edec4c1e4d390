//! The shipped example, examples/host.xml, is written by every host backend: the README's
//! first command uses it, and a user of any distribution starts from it.

use crate::util::{netloom, repo};

#[test]
fn the_shipped_example_applies_with_every_backend() {
    for backend in ["ifcfg", "debian", "nm"] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_str().unwrap();
        let args = [
            "apply",
            "--backend",
            backend,
            "--root",
            root,
            "--yes",
            "examples/host.xml",
        ];
        let run = netloom(&args, &repo(), None);
        assert_eq!(run.code, 0, "{backend}: {}", run.stderr);
        assert!(
            run.stderr.contains("transaction 1 changed"),
            "{backend}: {}",
            run.stderr
        );
        // What it wrote reads back as the same host: nothing left to change.
        let again = netloom(
            &[
                "diff",
                "--backend",
                backend,
                "--root",
                root,
                "examples/host.xml",
            ],
            &repo(),
            None,
        );
        assert_eq!(again.code, 0, "{backend}: {}{}", again.stdout, again.stderr);
    }
}
