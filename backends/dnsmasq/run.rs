//! The live half of the dnsmasq backend: starting and stopping a network's dnsmasq. The
//! process is known by its pid file and checked by its command line before it is signalled,
//! so a pid the kernel reused for something else after dnsmasq died is never killed.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{DIR, Dnsmasq, serves};
use crate::backends::network::DhcpServer;
use crate::error::{Error, LiveKind};
use crate::live::cmd::{self, argv};
use crate::model::network::Network;

impl DhcpServer for Dnsmasq {
    fn serves(&self, net: &Network) -> bool {
        serves(net)
    }

    fn dir(&self) -> &'static str {
        DIR
    }

    fn installed(&self, net: &Network) -> Result<(), Error> {
        if cmd::exists("dnsmasq") {
            return Ok(());
        }
        Err(Error::live(
            LiveKind::Unavailable,
            format!(
                "network '{}' needs dnsmasq for DHCP and DNS, and it is not installed \
             (Debian: dnsmasq-base)",
                net.name
            ),
        ))
    }

    fn start(&self, conf: &str, leases: &str) -> Result<(), Error> {
        start(conf, leases)
    }

    fn stop(&self, conf: &str, recorded: Option<u32>) -> Result<(), Error> {
        stop(conf, recorded)
    }

    fn reload(&self, conf: &str, recorded: Option<u32>) -> Result<u32, Error> {
        reload(conf, recorded)
    }

    fn restart(&self, conf: &str, recorded: Option<u32>, leases: &str) -> Result<(), Error> {
        restart(conf, recorded, leases)
    }

    fn running(&self, conf: &str, recorded: Option<u32>) -> Result<u32, Error> {
        running(conf, recorded)
    }
}

/// Starts dnsmasq with `conf` and the lease file `leases`. It returns once dnsmasq has bound
/// its sockets and daemonized, having written its pid file; a dnsmasq that refuses to start
/// (a missing TFTP root, a port in use) fails with its own message.
fn start(conf: &str, leases: &str) -> Result<(), Error> {
    let conf_arg = format!("--conf-file={conf}");
    let leases_arg = format!("--dhcp-leasefile={leases}");
    cmd::run_argv(&argv(&["dnsmasq", &conf_arg, &leases_arg]), None).map(drop)
}

/// Stops the dnsmasq of `conf`: the one whose pid its pid file held (`recorded`) or, when
/// that file is gone, the one `/proc` shows with that conf. SIGTERM, then SIGKILL if it has not gone
/// within three seconds. One that is not running (it died, or never started) is fine.
fn stop(conf: &str, recorded: Option<u32>) -> Result<(), Error> {
    let recorded = recorded.filter(|pid| is_ours(*pid, conf));
    let Some(pid) = recorded.or_else(|| find(conf)) else {
        return Ok(());
    };
    for (sig, wait) in [("TERM", 3), ("KILL", 2)] {
        signal(sig, pid)?;
        let deadline = Instant::now() + Duration::from_secs(wait);
        while Instant::now() < deadline {
            if gone(pid) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Err(Error::live(
        LiveKind::Failed,
        format!("dnsmasq (pid {pid}) did not end after SIGKILL"),
    ))
}

/// Tells the dnsmasq of `conf` (pid `recorded`, checked as [`stop`] checks it) to read its
/// hosts files again: on SIGHUP dnsmasq rereads `dhcp-hostsfile` and `addn-hosts` (and
/// clears its cache), but not its other options, which need [`restart`].
fn reload(conf: &str, recorded: Option<u32>) -> Result<u32, Error> {
    let pid = running(conf, recorded)?;
    signal("HUP", pid)?;
    Ok(pid)
}

/// Stops the dnsmasq of `conf` and starts it again with the same lease file, so it reads
/// every option anew and keeps every lease.
fn restart(conf: &str, recorded: Option<u32>, leases: &str) -> Result<(), Error> {
    stop(conf, Some(running(conf, recorded)?))?;
    start(conf, leases)
}

/// The pid of the running dnsmasq of `conf`, or an error saying it is not running.
fn running(conf: &str, recorded: Option<u32>) -> Result<u32, Error> {
    recorded
        .filter(|pid| is_ours(*pid, conf))
        .or_else(|| find(conf))
        .ok_or_else(|| {
            Error::live(
                LiveKind::Failed,
                format!(
                    "the dnsmasq of {conf} is not running (it died?); `netloom net restart` starts \
                 it again"
                ),
            )
        })
}

/// The live dnsmasq started with `conf`, looked for among every process.
fn find(conf: &str) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| is_ours(*pid, conf))
}

/// Whether `pid` is a live dnsmasq started with `conf`.
fn is_ours(pid: u32, conf: &str) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let want = format!("--conf-file={conf}");
    let mut args = cmdline.split(|b| *b == 0);
    let program_ok = args
        .next()
        .and_then(|p| Path::new(std::str::from_utf8(p).ok()?).file_name())
        .is_some_and(|n| n == "dnsmasq");
    program_ok && args.any(|a| a == want.as_bytes()) && !gone(pid)
}

/// Whether `pid` has ended: no such process, or a zombie its parent has not reaped yet (a
/// daemon's parent is init, which may take a while).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command name, which is in parentheses and may hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state == "Z" || state == "X"),
    }
}

fn signal(name: &str, pid: u32) -> Result<(), Error> {
    let out = cmd::output(
        &argv(&["kill", &format!("-{name}"), &pid.to_string()]),
        None,
    )?;
    if out.ok || gone(pid) {
        Ok(())
    } else {
        Err(cmd::failed(
            &argv(&["kill", &format!("-{name}"), &pid.to_string()]),
            &out,
        ))
    }
}
