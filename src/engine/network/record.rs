//! What a running network's start did, kept under `run/netloom/` so that stop (in another
//! netloom process, maybe after dnsmasq died or the firewall was reloaded) undoes exactly
//! that and nothing else. Written as JSON, with no pid or time in it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::backends::firewall::BaseStep;

/// One step a start made, with what undoing it needs. Stop undoes them last first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// The bridge was created; deleting it also takes its addresses, routes and qdisc.
    Bridge {
        /// The device.
        name: String,
    },
    /// A cross-host network's VXLAN device was created on the bridge.
    Vxlan {
        /// The device.
        name: String,
    },
    /// A firewall fragment was loaded; feeding `input` to `loader` removes exactly its rules.
    Rules {
        /// The command, program first.
        loader: Vec<String>,
        /// Its standard input.
        input: String,
        /// For nft: the handle of each family's `libvirt_network` table when the rules went
        /// in. Rule handles are only unique within one table; a table deleted and made again
        /// (a flushed ruleset) hands the same numbers to other rules, which must not go.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        tables: BTreeMap<String, u64>,
    },
    /// A forwarding sysctl was raised from `old`. Writing it also sets every interface's own
    /// forwarding, so their values before are kept too. Held in the record only while the
    /// start runs: a started network's raised sysctls move to the root's forwarding mark,
    /// since another network may still need them when it stops.
    Sysctl {
        /// The key under `/proc/sys`.
        key: String,
        /// The value before.
        old: String,
        /// Each interface's forwarding key under `/proc/sys`, with its value before.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        interfaces: BTreeMap<String, String>,
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
    /// The network namespace the steps were made in (`net:[INODE]`): undoing them from
    /// another one would change the wrong network stack.
    #[serde(default)]
    pub netns: String,
    /// The firewall backend the rules went into, if the network has rules.
    pub firewall: Option<String>,
    /// The dnsmasq and firewall files start wrote, relative to the root: stop removes
    /// these, whatever the backends would name them now.
    #[serde(default)]
    pub files: Vec<String>,
    /// The steps, in the order they were made.
    pub steps: Vec<Step>,
}

/// `run/netloom/networks/NAME.starting`: what a start has made so far, rewritten after each
/// step and removed when the start ends, either way. Only a netloom killed mid-start leaves
/// it behind; `net stop` then undoes what it lists.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Intent {
    /// The steps so far.
    pub record: Record,
    /// The parts of the shared firewall setup loaded so far.
    pub base: Vec<BaseStep>,
}

/// The network namespace this process runs in, as `net:[INODE]`.
pub(super) fn current_netns() -> String {
    std::fs::read_link("/proc/self/ns/net")
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// Whether the steps of `record` were made in this network namespace: undoing them from
/// another would change the wrong network stack.
pub(super) fn same_netns(record: &Record) -> bool {
    record.netns.is_empty() || record.netns == current_netns()
}
