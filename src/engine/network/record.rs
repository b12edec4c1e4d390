//! What a running network's start did, kept under `run/netloom/` so that stop (in another
//! netloom process, maybe after dnsmasq died or the firewall was reloaded) undoes exactly
//! that and nothing else. Written as JSON, with no pid or time in it, so the same start
//! always records the same bytes.

use serde::{Deserialize, Serialize};

/// One step a start made, with what undoing it needs. Stop undoes them last first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// The bridge was created; deleting it also takes its addresses, routes and qdisc.
    Bridge {
        /// The device.
        name: String,
    },
    /// A firewall fragment was loaded; feeding `input` to `loader` removes exactly its rules.
    Rules {
        /// The command, program first.
        loader: Vec<String>,
        /// Its standard input.
        input: String,
    },
    /// A sysctl was raised from `old` (forwarding, which nat and route networks need). Kept
    /// in the record only while the start runs: a started network's raised sysctls move to
    /// the root's forwarding mark, since another network may still need them when it stops.
    Sysctl {
        /// The key under `/proc/sys`.
        key: String,
        /// The value before.
        old: String,
    },
    /// dnsmasq was started with `conf`; it writes its pid to `pid_file`.
    Dnsmasq {
        /// The absolute path of the conf, which identifies the process.
        conf: String,
        /// The absolute path of the pid file.
        pid_file: String,
    },
}

/// `run/netloom/networks/NAME.json`: a network is active while this exists.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Record {
    /// The firewall backend the rules went into, if the network has rules.
    pub firewall: Option<String>,
    /// The steps, in the order they were made.
    pub steps: Vec<Step>,
}
