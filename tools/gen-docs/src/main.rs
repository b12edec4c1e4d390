//! `netloom-gen-docs DIR`: netloom's man pages and shell completions, generated from the
//! same clap definitions the binary parses, so that they cannot drift from it.
//!
//! Writes `DIR/man/netloom.1` and one `netloom-VERB.1` per verb (`netloom-net-start.1` for
//! the `net` and `port` verbs), and `DIR/completions/{netloom.bash,_netloom,netloom.fish}`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: netloom-gen-docs DIR");
        return ExitCode::from(2);
    };
    match generate(&dir) {
        Ok(n) => {
            eprintln!(
                "netloom-gen-docs: {n} man pages and 3 completions under {}",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("netloom-gen-docs: {e}");
            ExitCode::from(2)
        }
    }
}

/// Writes everything under `dir`; returns the number of man pages.
fn generate(dir: &Path) -> std::io::Result<usize> {
    let mut cmd = netloom::cli::Cli::command();
    // The global option (--max-input-size) reaches each verb's page only once built.
    cmd.build();
    let man = dir.join("man");
    std::fs::create_dir_all(&man)?;
    let mut pages = 0;
    page(&cmd, "netloom", &man, &mut pages)?;
    let completions = dir.join("completions");
    std::fs::create_dir_all(&completions)?;
    for (shell, file) in [
        (Shell::Bash, "netloom.bash"),
        (Shell::Zsh, "_netloom"),
        (Shell::Fish, "netloom.fish"),
    ] {
        let mut out = std::fs::File::create(completions.join(file))?;
        clap_complete::generate(shell, &mut cmd, "netloom", &mut out);
    }
    Ok(pages)
}

/// The page of `cmd`, named `name`, then one per visible subcommand (`name-SUB`).
fn page(cmd: &clap::Command, name: &str, man: &Path, pages: &mut usize) -> std::io::Result<()> {
    // clap's names are static strings; a generator that runs once may leak a few.
    let static_name: &'static str = Box::leak(name.to_owned().into_boxed_str());
    let named = (cmd.clone())
        .name(static_name)
        .bin_name(name.replace('-', " "));
    let mut text = Vec::new();
    clap_mangen::Man::new(named).render(&mut text)?;
    std::fs::write(man.join(format!("{name}.1")), text)?;
    *pages += 1;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        page(sub, &format!("{name}-{}", sub.get_name()), man, pages)?;
    }
    Ok(())
}
