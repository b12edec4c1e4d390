//! Inside a chroot (an installer's `%post` or `in-target` step), `/` is the system being
//! installed, not the one running, and a bus that reaches a NetworkManager reaches the
//! installer's own: netloom must write files there and bring nothing up, whatever it can
//! reach. The chroot is real: a scratch root with the host's `/usr` bound in, entered with
//! `chroot` from a shell that is PID 1 of a PID namespace of its own (so `/proc/1/root` is
//! readable, and is not the chroot's `/`), in a network namespace this test creates.

use std::path::Path;
use std::process::Output;

use crate::debian_live::{Netns, missing, run, show, veth};
use crate::util;
use crate::util::nm::Sandbox;

/// A root to chroot into: `/usr` (with the merged `/bin`, `/sbin`, `/lib`) from the host,
/// the rest its own, and ifupdown's bridge hook, so that only the chroot stops ifup.
fn chroot_root() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("nlchroot.")
        .tempdir_in("/tmp")
        .unwrap();
    let r = dir.path();
    for d in [
        "usr",
        "proc",
        "tmp",
        "var/lib",
        "run/network",
        "etc/network/if-pre-up.d",
        "etc/network/if-up.d",
        "etc/network/if-down.d",
        "etc/network/if-post-down.d",
    ] {
        std::fs::create_dir_all(r.join(d)).unwrap();
    }
    for link in ["bin", "sbin", "lib", "lib64"] {
        std::os::unix::fs::symlink(format!("usr/{link}"), r.join(link)).unwrap();
    }
    for d in ["if-pre-up.d", "if-down.d", "if-post-down.d"] {
        std::os::unix::fs::symlink(
            "/lib/bridge-utils/ifupdown.sh",
            r.join("etc/network").join(d).join("bridge"),
        )
        .unwrap();
    }
    std::fs::write(r.join("netloom"), b"").unwrap();
    std::fs::write(
        r.join("host.xml"),
        "<interface type='bridge' name='br0'><start mode='onboot'/>
           <protocol family='ipv4'><ip address='198.51.100.2' prefix='24'/></protocol>
           <bridge stp='off' delay='0'><interface type='ethernet' name='p0'/></bridge>
         </interface>",
    )
    .unwrap();
    std::fs::write(
        r.join("eth10.xml"),
        "<interface type='ethernet' name='eth10'><start mode='onboot'/>
           <protocol family='ipv4'><ip address='198.51.100.10' prefix='24'/></protocol>
         </interface>",
    )
    .unwrap();
    dir
}

/// Runs `/netloom ARGS` chrooted into `root`, in `ns`, with `env` set; `/tmp` of the host
/// is bound in when `tmp` (where a sandbox's bus socket is).
fn chrooted(root: &Path, ns: &str, tmp: bool, env: &[(String, String)], args: &[&str]) -> Output {
    let mut script = String::from(
        "mount --rbind /usr \"$0/usr\" && mount -t proc proc \"$0/proc\" && \
         mount --bind \"$1\" \"$0/netloom\" && ",
    );
    if tmp {
        script.push_str("mount --rbind /tmp \"$0/tmp\" && ");
    }
    // Not `exec`: the shell stays PID 1, whose root is the host's.
    script.push_str("shift; chroot \"$0\" /netloom \"$@\"");
    for tool in ["unshare", "sh", "mount", "chroot"] {
        util::tools::require(tool);
    }
    let mut cmd = util::tools::in_netns(ns, "unshare");
    cmd.args(["-m", "-p", "-f", "--mount-proc", "sh", "-c", &script])
        .arg(root)
        .arg(env!("CARGO_BIN_EXE_netloom"))
        .args(args)
        .env_remove(netloom::engine::FAULT_VAR)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn inside_a_chroot_files_are_written_and_nothing_is_brought_up_even_with_a_bus_at_hand() {
    if !util::runnable("chroot", missing()) {
        return;
    }
    let ns = Netns::new("ch", 2);
    let (inner, peer) = (&ns.0[0], &ns.0[1]);
    veth(inner, peer, "p0", "q0");
    let root = chroot_root();
    let r = root.path();

    let debian = ["--backend", "debian", "apply", "--yes", "/host.xml"];
    let out = chrooted(r, inner, false, &[], &debian);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains("netloom runs inside a chroot: nothing is brought up or down"),
        "{}",
        show(&out)
    );
    let file = std::fs::read_to_string(r.join("etc/network/interfaces.d/br0")).unwrap();
    assert!(file.contains("198.51.100.2/24"), "{file}");
    let link = run("ip", &["-n", inner, "link", "show", "br0"]);
    assert!(
        !link.status.success(),
        "ifup ran in the chroot: {}",
        show(&link)
    );

    let forced = [
        "--backend",
        "debian",
        "--live-mode",
        "always",
        "apply",
        "--yes",
        "/host.xml",
    ];
    let out = chrooted(r, inner, false, &[], &forced);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(stderr(&out).contains("inside a chroot"), "{}", show(&out));

    // A NetworkManager whose bus the chroot reaches (as an installer's can): keyfiles are
    // written under the chroot's /, and the daemon is never asked.
    let Some(sb) = Sandbox::start("chroot: NetworkManager at hand") else {
        return;
    };
    let nm = ["--backend", "nm", "apply", "--yes", "/eth10.xml"];
    let out = chrooted(r, inner, true, &sb.env, &nm);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains("netloom runs inside a chroot: NetworkManager is not asked"),
        "{}",
        show(&out)
    );
    let keyfile = r.join("etc/NetworkManager/system-connections/eth10.nmconnection");
    assert!(keyfile.is_file(), "{}", show(&out));
    let profiles = sb.client().profiles().unwrap();
    assert!(
        !profiles
            .iter()
            .any(|p| p.settings.interface_name() == Some("eth10")),
        "the installer's NetworkManager got a profile"
    );
    let forced = [
        "--backend",
        "nm",
        "--live-mode",
        "always",
        "apply",
        "--yes",
        "/eth10.xml",
    ];
    let out = chrooted(r, inner, true, &sb.env, &forced);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(sb.client().checkpoints().unwrap().is_empty());
}
