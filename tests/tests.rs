//! The one integration test binary (ripgrep's habit: one link step, shared helpers).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;
mod debian_activate;
mod debian_cli;
mod debian_fields;
mod debian_ifquery;
mod debian_live;
mod debian_netcf;
mod dnsmasq_conf;
mod engine;
mod firewall_conf;
mod firewall_live;
mod fuzz;
mod golden;
mod hostile;
mod ifcfg;
mod ifcfg_cli;
mod ifcfg_fields;
mod live_chroot;
mod live_protocol;
mod net_cli;
mod net_live;
mod net_live_guest;
mod net_live_util;
mod net_store;
mod netcf;
mod netxml;
mod nm_client;
mod nm_fields;
mod nm_files;
mod nm_keyfile;
mod nm_live;
mod nm_status;
mod plan_diff;
mod port_changes;
mod port_live;
mod port_qemu;
mod port_restart;
mod port_util;
mod port_xml;
mod round_trip;
mod util;
