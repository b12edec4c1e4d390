//! The guests' side of the `net_live` lab: plugging a guest into a network's bridge, its
//! DHCP client, and a TCP connection to the world whose source address W reports.

use std::fs::{self, File};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::net_live_util::{Lab, Ns, Out, run, wait_for};
use crate::util;

impl Lab {
    /// A veth from HV (`vgN`, enslaved to `bridge`) to guest `g` (`gNe` with `mac`).
    pub fn plug(&self, g: &Ns, n: u8, mac: &str, bridge: &str) {
        let (v, e) = (format!("vg{n}"), format!("g{n}e"));
        self.hv.ip(&format!(
            "link add {v} type veth peer name {e} netns {}",
            g.0
        ));
        g.ip(&format!("link set {e} address {mac}"));
        self.hv.ip(&format!("link set {v} master {bridge} up"));
        g.ip(&format!("link set {e} up"));
    }

    /// Kills the guests' DHCP clients and deletes their veths.
    pub fn unplug(&self) {
        for g in [&self.g1, &self.g2] {
            g.kill_all();
            assert_eq!(g.pids(), Vec::<u32>::new(), "{} still has processes", g.0);
        }
        for v in ["vg1", "vg2"] {
            if run(&["ip", "-n", &self.hv.0, "link", "show", v], None).ok() {
                self.hv.ip(&format!("link del {v}"));
            }
        }
    }

    /// Runs dhclient (one-shot, own script, files in the scratch dir) on each `(guest,
    /// device)` at the same time; each must get a lease.
    #[track_caller]
    pub fn dhcp(&self, guests: &[(&Ns, &str)]) {
        let start = Instant::now();
        let d = self.dir.path();
        let mut children = Vec::new();
        for (g, dev) in guests {
            let path = |x: &str| d.join(format!("dhclient-{dev}.{x}")).display().to_string();
            let child = util::tools::in_netns(&g.0, "dhclient")
                .args(["-4", "-1", "-q", "-cf"])
                .arg(d.join("dhclient.conf"))
                .arg("-sf")
                .arg(d.join("dhclient-script"))
                .args(["-pf", &path("pid"), "-lf", &path("leases"), dev])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            children.push(child);
        }
        for ((g, dev), mut child) in guests.iter().zip(children) {
            let status = wait_for(&mut child, util::PATIENCE);
            assert!(
                status.is_some_and(|s| s.success()),
                "[{}] dhclient on {dev} in {} got no lease ({status:?}); guest: {}",
                self.tag,
                g.0,
                g.ip("addr")
            );
        }
        eprintln!(
            "[{}] DHCP for {} guest(s): {} ms",
            self.tag,
            guests.len(),
            start.elapsed().as_millis()
        );
    }

    /// A TCP connection from `g` to a `nc -l` in W on `port`: the client's result and what
    /// the listener printed (its `-v` line and the payload).
    pub fn tcp(&self, g: &Ns, port: u16) -> (Out, String) {
        let p = port.to_string();
        let log = self.dir.path().join(format!("nc.{port}"));
        let f = File::create(&log).unwrap();
        let mut listener = util::tools::in_netns(&self.w.0, "nc")
            .args(["-l", "-v", "-n"])
            .args(["10.99.0.2", &p])
            .stdin(Stdio::null())
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .unwrap();
        let bound = format!("10.99.0.2:{port} ");
        assert!(
            util::eventually(|| self.w.sh("ss -lnt").contains(&bound)),
            "nc -l never listened"
        );
        let start = Instant::now();
        let client = g.exec(
            &["nc", "-v", "-n", "-w", "2", "-N", "10.99.0.2", &p],
            Some("hello from the guest\n"),
        );
        let took = start.elapsed();
        // After a connection the listener ends with its input; after none, it never would
        // (and what it printed so far is all there is to see).
        let limit = if client.ok() {
            util::PATIENCE
        } else {
            Duration::from_millis(200)
        };
        let _ = wait_for(&mut listener, limit);
        let seen = fs::read_to_string(&log).unwrap();
        eprintln!(
            "[{}] TCP to W: exit {} in {} ms; W saw {seen:?}",
            self.tag,
            client.code,
            took.as_millis()
        );
        (client, seen)
    }
}
