//! `port::qemu` against a real QEMU: a guest with one interface of each type QEMU can run
//! from arguments alone gets its arguments, a `qemu-system-x86_64` started with them (CPUs
//! stopped, in a network namespace this test creates, never the machine's own) accepts
//! them, and its monitor shows each NIC with its id, model, MAC and own backend, in
//! document order. The link-down NICs are set down over QMP as libvirt does; `info network`
//! does not print link state (QEMU 10), so the test lets the firmware assign the NICs'
//! registers and reads the link bit the guest's driver would read. The IPv4 client connects
//! to the server of the same QEMU; the IPv6 one to an `nc` listening before QEMU starts.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use netloom::model::guest::{Actual, Guest, GuestInterface, GuestSource, GuestType, NicModel};
use netloom::model::network::{NetName, Plug, PlugType};
use netloom::model::{IfaceName, MacAddr};
use netloom::port::qemu::{QemuArgs, qemu_args, qmp_link_down};
use serde_json::{Value, json};

use crate::net_live_util::{Ns, run};
use crate::util;

const QEMU: &str = "qemu-system-x86_64";

/// Why this machine cannot run QEMU in a namespace, if it cannot.
fn missing() -> Option<String> {
    if run(&["id", "-u"], None).stdout.trim() != "0" {
        return Some("needs root for network namespaces and taps".into());
    }
    if let Some(why) = util::tools::first_absent(&[QEMU, "ip", "ss", "nc"]) {
        return Some(why);
    }
    if !run(&["nc", "-h"], None).stderr.contains("OpenBSD") {
        return Some("nc is not netcat-openbsd".into());
    }
    if !Path::new("/dev/net/tun").exists() {
        return Some("/dev/net/tun is missing: QEMU cannot create taps".into());
    }
    None
}

/// A process this test started (QEMU, nc); killed by its pid and reaped on drop, also when
/// an assertion fails.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A QMP connection: one JSON object per line each way; events are skipped.
struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    /// Connects to `path` once QEMU listens there, reads the greeting and leaves the
    /// capabilities negotiation mode.
    fn connect(path: &Path, qemu: &mut Proc, stderr: &Path) -> Qmp {
        let stream = util::poll(|| {
            if let Ok(s) = UnixStream::connect(path) {
                return Some(s);
            }
            if let Some(status) = qemu.0.try_wait().unwrap() {
                panic!(
                    "{QEMU} exited ({status}) before its QMP socket opened:\n{}",
                    fs::read_to_string(stderr).unwrap_or_default()
                );
            }
            None
        })
        .unwrap_or_else(|| panic!("no QMP socket at {}", path.display()));
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut qmp = Qmp {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        };
        let greeting = qmp.line();
        assert!(greeting.get("QMP").is_some(), "greeting: {greeting}");
        qmp.ok(&json!({"execute": "qmp_capabilities"}).to_string());
        qmp
    }

    fn line(&mut self) -> Value {
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).unwrap();
            assert!(n > 0, "QEMU closed the QMP connection");
            let v: Value = serde_json::from_str(&line).unwrap();
            if v.get("event").is_none() {
                return v;
            }
        }
    }

    /// Sends one command as written, returns the answer (`return` or `error`).
    fn send(&mut self, command: &str) -> Value {
        writeln!(self.writer, "{command}").unwrap();
        self.line()
    }

    /// Sends a command that must succeed; its `return`.
    #[track_caller]
    fn ok(&mut self, command: &str) -> Value {
        let answer = self.send(command);
        match answer.get("return") {
            Some(r) => r.clone(),
            None => panic!("{command} failed: {answer}"),
        }
    }

    /// An HMP command through QMP; its text.
    #[track_caller]
    fn hmp(&mut self, line: &str) -> String {
        let cmd = json!({"execute": "human-monitor-command", "arguments": {"command-line": line}});
        self.ok(&cmd.to_string()).as_str().unwrap().to_owned()
    }
}

fn mac(n: u8) -> MacAddr {
    MacAddr::parse(&format!("52:54:00:ab:00:{n:02x}")).unwrap()
}

fn nic(kind: GuestType, source: GuestSource, n: u8, model: Option<&str>) -> GuestInterface {
    let mut i = GuestInterface::new(kind, source);
    i.mac = Some(mac(n));
    i.model = model.map(|m| NicModel::parse(m).unwrap());
    if matches!(
        kind,
        GuestType::Network | GuestType::Bridge | GuestType::Ethernet
    ) {
        i.target = Some(IfaceName::parse(&format!("vnet{n}")).unwrap());
    }
    i
}

fn socket(address: Option<&str>, port: u16) -> GuestSource {
    GuestSource::Socket {
        address: address.map(|a| a.parse().unwrap()),
        port,
    }
}

/// One interface of each type, plus an IPv6 server/client pair. Index: what the NIC is.
fn the_guest() -> Guest {
    let br0 = IfaceName::parse("br0").unwrap();
    let mut network = nic(
        GuestType::Network,
        GuestSource::Network {
            network: NetName::parse("default").unwrap(),
            portgroup: None,
            portid: None,
        },
        0,
        Some("virtio"),
    );
    network.actual = Some(Actual {
        plug: Plug::Bridge {
            kind: PlugType::Network,
            bridge: br0.clone(),
            mac_table_manager: None,
        },
        virtualport: None,
        vlan: None,
        bandwidth: None,
        port: None,
        trust_guest_rx_filters: None,
    });
    let bridge = GuestSource::Bridge { bridge: br0 };
    let mut user = nic(GuestType::User, GuestSource::Nothing, 3, Some("e1000"));
    user.link_up = Some(false);
    let interfaces = vec![
        network,
        nic(GuestType::Bridge, bridge, 1, Some("e1000")),
        nic(
            GuestType::Ethernet,
            GuestSource::Nothing,
            2,
            Some("rtl8139"),
        ),
        user,
        nic(GuestType::Server, socket(None, 5555), 4, Some("e1000e")),
        nic(
            GuestType::Client,
            socket(Some("127.0.0.1"), 5555),
            5,
            Some("virtio"),
        ),
        nic(
            GuestType::Mcast,
            socket(Some("230.0.0.1"), 5556),
            6,
            Some("virtio"),
        ),
        nic(GuestType::Unplugged, GuestSource::Nothing, 7, None),
        nic(
            GuestType::Server,
            socket(Some("::1"), 5557),
            8,
            Some("virtio"),
        ),
        nic(
            GuestType::Client,
            socket(Some("::1"), 5558),
            9,
            Some("virtio"),
        ),
    ];
    Guest {
        interfaces,
        ..Guest::default()
    }
}

/// `info network` as (NIC line, backend line if any), in the order QEMU lists them.
fn nics(info: &str) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for line in info.lines().filter(|l| !l.trim().is_empty()) {
        match line.strip_prefix(" \\ ") {
            Some(peer) => {
                let last = out.last_mut().expect("a backend line follows its NIC");
                assert!(last.1.is_none(), "two backends under {}", last.0);
                last.1 = Some(peer.to_owned());
            }
            None => out.push((line.to_owned(), None)),
        }
    }
    out
}

/// The guest-physical address of `bar` of the device with id `id` in `info pci`, once the
/// firmware has assigned it.
fn bar(info_pci: &str, id: &str, bar: &str) -> Option<u64> {
    let mut current: Vec<&str> = Vec::new();
    for line in info_pci.lines() {
        if line.trim_start().starts_with("Bus ") {
            current.clear();
        }
        current.push(line);
        if line.trim() == format!("id \"{id}\"") {
            let found = current.iter().find_map(|l| {
                l.trim()
                    .strip_prefix(&format!("{bar}: 32 bit memory at 0x"))
            })?;
            let hex = found.split_whitespace().next()?;
            return u64::from_str_radix(hex, 16).ok();
        }
    }
    None
}

/// The value `xp /1FMT ADDR` reads (`00000000febe0064: 0x782d`).
fn xp(qmp: &mut Qmp, fmt: &str, addr: u64) -> u64 {
    let text = qmp.hmp(&format!("xp /1{fmt} {addr:#x}"));
    let hex = text
        .split(": 0x")
        .nth(1)
        .unwrap_or_else(|| panic!("xp gave {text:?}"));
    u64::from_str_radix(hex.trim(), 16).unwrap()
}

#[test]
fn qemu_runs_the_arguments_of_every_interface_type() {
    if !util::runnable("QEMU port test", missing()) {
        return;
    }
    let guest = the_guest();
    let out: QemuArgs = qemu_args(&guest).unwrap();
    assert_eq!(out.link_down, ["net3", "net7"]);

    let ns = Ns::new("qemu", "q");
    ns.ip("link add br0 type bridge");
    ns.ip("link set br0 up");
    ns.ip("route add 224.0.0.0/4 dev lo");

    // The IPv6 client's server, listening before QEMU starts; killed with the namespace.
    let nc = util::tools::in_netns(&ns.0, "nc")
        .args(["-6", "-d", "-l", "::1", "5558"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _nc = Proc(nc);
    assert!(
        util::eventually(|| !ns.sh("ss -Hltn sport = :5558").trim().is_empty()),
        "nc does not listen"
    );

    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("qmp.sock");
    let stderr = dir.path().join("qemu.err");
    let child = util::tools::in_netns(&ns.0, QEMU)
        .args(["-M", "pc", "-nodefaults", "-display", "none", "-S", "-qmp"])
        .arg(format!("unix:{},server=on,wait=off", sock.display()))
        .args(&out.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut qemu = Proc(child);
    let mut qmp = Qmp::connect(&sock, &mut qemu, &stderr);

    // What libvirt does before the CPUs run; a name QEMU does not know is an error, so a
    // successful set_link did find the NIC.
    for cmd in qmp_link_down(&out) {
        qmp.ok(&cmd);
    }
    let unknown = qmp.send(r#"{"execute":"set_link","arguments":{"name":"net99","up":false}}"#);
    assert_eq!(unknown["error"]["class"], "DeviceNotFound", "{unknown}");

    // The IPv4 client connects to the server on the same QEMU, which listens before it
    // (the socket backend listens and connects while QEMU starts, in argument order). The
    // stream backend listens and connects in the background, in no set order, so the IPv6
    // client connects to nc instead; wait until everything has.
    let mut info = String::new();
    let connected = util::eventually(|| {
        info = qmp.hmp("info network");
        let peers = nics(&info);
        let peer = |n: usize| peers.get(n).and_then(|p| p.1.as_deref()).unwrap_or("");
        peer(4).contains("socket: connection from 127.0.0.1:")
            && peer(8) == "hostnet8: index=0,type=stream,listening"
            && peer(9) == "hostnet9: index=0,type=stream,tcp:::1:5558"
    });
    assert!(connected, "the socket clients did not connect:\n{info}");
    eprintln!("info network:\n{info}");

    let tap = |n: usize| format!("index=0,type=tap,ifname=vnet{n},script=no,downscript=no");
    let expected: Vec<(&str, Option<String>)> = vec![
        ("virtio-net-pci", Some(tap(0))),
        ("e1000", Some(tap(1))),
        ("rtl8139", Some(tap(2))),
        (
            "e1000",
            Some("index=0,type=user,net=10.0.2.0,restrict=off".into()),
        ),
        (
            "e1000e",
            Some("index=0,type=socket,socket: connection from 127.0.0.1:".into()),
        ),
        (
            "virtio-net-pci",
            Some("index=0,type=socket,socket: connect to 127.0.0.1:5555".into()),
        ),
        (
            "virtio-net-pci",
            Some("index=0,type=socket,socket: mcast=230.0.0.1:5556".into()),
        ),
        ("rtl8139", None),
        (
            "virtio-net-pci",
            Some("index=0,type=stream,listening".into()),
        ),
        (
            "virtio-net-pci",
            Some("index=0,type=stream,tcp:::1:5558".into()),
        ),
    ];
    let got = nics(&info);
    assert_eq!(got.len(), expected.len(), "{info}");
    for (n, ((line, peer), (model, want))) in got.iter().zip(&expected).enumerate() {
        let m = mac(u8::try_from(n).unwrap());
        assert_eq!(
            line,
            &format!("net{n}: index=0,type=nic,model={model},macaddr={m}"),
            "{info}"
        );
        match (peer, want) {
            (None, None) => {}
            (Some(peer), Some(want)) => assert!(
                peer.starts_with(&format!("hostnet{n}: {want}")),
                "NIC net{n}: backend {peer:?}, expected hostnet{n}: {want}...\n{info}"
            ),
            _ => panic!("NIC net{n}: backend {peer:?}, expected {want:?}\n{info}"),
        }
    }

    // QEMU created the taps itself, in the namespace; they take a bridge as a plug would.
    for n in 0..3 {
        ns.ip(&format!("link show vnet{n}"));
    }
    ns.ip("link set vnet0 master br0");
    ns.ip("link set vnet1 master br0");
    let ports = ns.ip("-o link show master br0");
    assert!(
        ports.contains("vnet0") && ports.contains("vnet1"),
        "{ports}"
    );

    // The link state as the guest sees it: let the firmware assign the BARs, then read the
    // NICs' link bits (e1000 STATUS.LU at 0x8; rtl8139 BMSR link at 0x64), up and down
    // models side by side so the bit is shown to move.
    qmp.ok(r#"{"execute":"cont"}"#);
    let mut pci = String::new();
    let bars: BTreeMap<&str, u64> = util::poll(|| {
        pci = qmp.hmp("info pci");
        [
            ("net1", "BAR0"),
            ("net3", "BAR0"),
            ("net2", "BAR1"),
            ("net7", "BAR1"),
        ]
        .into_iter()
        .map(|(id, b)| bar(&pci, id, b).map(|a| (id, a)))
        .collect()
    })
    .unwrap_or_else(|| panic!("the firmware did not assign the NICs' BARs:\n{pci}"));
    qmp.ok(r#"{"execute":"stop"}"#);
    let e1000 = |qmp: &mut Qmp, id: &str| xp(qmp, "wx", bars[id] + 0x8);
    let rtl8139 = |qmp: &mut Qmp, id: &str| xp(qmp, "hx", bars[id] + 0x64);
    let status = [
        ("net1", e1000(&mut qmp, "net1") & 0x2 != 0),
        ("net2", rtl8139(&mut qmp, "net2") & 0x4 != 0),
        ("net3", e1000(&mut qmp, "net3") & 0x2 != 0),
        ("net7", rtl8139(&mut qmp, "net7") & 0x4 != 0),
    ];
    eprintln!("link up, as the guest reads it: {status:?}");
    assert_eq!(
        status,
        [
            ("net1", true),
            ("net2", true),
            ("net3", false),
            ("net7", false)
        ],
        "{pci}"
    );

    let _ = writeln!(qmp.writer, r#"{{"execute":"quit"}}"#);
    let status =
        util::poll(|| qemu.0.try_wait().unwrap()).unwrap_or_else(|| panic!("QEMU did not quit"));
    assert!(status.success(), "QEMU quit with {status}");
    let err = fs::read_to_string(&stderr).unwrap();
    eprintln!("{QEMU} stderr:\n{err}");
    let no_peer: Vec<&str> = err.lines().filter(|l| l.contains("has no peer")).collect();
    assert_eq!(
        no_peer,
        ["qemu-system-x86_64: warning: nic net7 has no peer"],
        "{err}"
    );
    drop(qemu);
    drop(ns);
}

/// The NICs `qemu-system-x86_64 -device help` lists under "Network devices".
fn qemu_nic_names() -> Vec<String> {
    let out = util::tools::command(QEMU)
        .args(["-device", "help"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.split("\n\n")
        .find(|block| block.starts_with("Network devices:"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.strip_prefix("name \"")?
                .split('"')
                .next()
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn every_nic_qemu_has_is_a_model_and_help_is_none() {
    let missing = (!util::have(QEMU)).then(|| format!("{QEMU} is not installed"));
    if !util::runnable("QEMU's device names", missing) {
        return;
    }
    let names = qemu_nic_names();
    assert!(names.len() >= 10, "{names:?}");
    for name in ["virtio-net-pci", "e1000", "rtl8139", "ne2k_pci"] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
    for name in &names {
        let model = NicModel::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut guest = Guest::default();
        guest.interfaces.push(nic(
            GuestType::User,
            GuestSource::Nothing,
            1,
            Some(model.as_str()),
        ));
        let args = qemu_args(&guest).unwrap();
        assert!(
            args.args[3].starts_with(&format!("{name},netdev=hostnet0,")),
            "{args:?}"
        );
    }
    // What QEMU takes as a request for its device list instead of a device.
    for help in ["help", "?"] {
        assert!(NicModel::parse(help).is_err(), "{help}");
    }
}

/// The frames the bridge sent out of `dev` (towards QEMU), counted by an nftables rule in
/// the bridge family's output hook (this kernel has no tc matchall or gact).
fn sent_to(lab: &crate::net_live_util::Lab, dev: &str) -> u64 {
    let text = lab.hv.sh("nft list chain bridge nltest out");
    text.lines()
        .find(|l| l.contains(&format!("oifname \"{dev}\"")))
        .and_then(|l| l.split("counter packets ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no counter in {text}"))
}

/// Runtime plug as the design asks, against a real QEMU in the lab's HV namespace: a NIC
/// that boots with no connection (type none, on its own tap) reports its link down, is
/// plugged into a running network and reports up, gets traffic from the bridge, and is
/// unplugged and reports down, netloom telling QEMU over the QMP monitor `--qmp` named.
/// The link is read as the guest's driver reads it, rtl8139's BMSR link bit: in QEMU 10.0
/// neither `query-rx-filter` (virtio-net only, no link field) nor `info network` reports a
/// NIC's link state.
#[test]
fn a_running_qemu_sees_its_nic_unplugged_and_plugged() {
    use crate::net_live_util::{Lab, runnable};
    use crate::port_util::{network, plug};
    if !runnable() || !util::runnable("QEMU runtime plug test", missing()) {
        return;
    }
    let lab = Lab::new("qmp", false);
    network(
        &lab,
        "lan",
        "  <bridge name='nlbr7' stp='off'/>\n  <ip address='10.57.0.1' netmask='255.255.255.0'/>",
    );
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("vm.qmp");
    let sock = sock.to_str().unwrap();
    let mac = "52:54:00:57:00:01";
    let none = format!(
        "    <interface type='none'><mac address='{mac}'/><target dev='vnet7'/></interface>"
    );
    let r = plug(&lab, "vm", &none, &["--qmp", sock]);
    assert!(r.ok(), "{r}");
    let status = lab.file("vm.status.xml", &r.stdout);
    let q = lab.netloom(&["port", "qemu-args", &status, "--qmp", sock]);
    assert!(q.ok(), "{q}");
    let args: Vec<&str> = q.stdout.lines().collect();
    assert_eq!(
        args,
        [
            "-chardev",
            &format!("socket,id=netloom-qmp,path={sock},server=on,wait=off"),
            "-mon",
            "chardev=netloom-qmp,mode=control",
            "-netdev",
            "tap,id=hostnet0,ifname=vnet7,script=no,downscript=no",
            "-device",
            &format!("rtl8139,netdev=hostnet0,id=net0,mac={mac}"),
        ]
    );
    // The commands the note says to send before the guest runs.
    let link_down: Vec<&str> = q
        .stderr
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('{'))
        .collect();
    assert_eq!(link_down, [qemu_set_link("net0", false)], "{q}");

    // The test's own monitor, beside netloom's.
    let own = dir.path().join("test.qmp");
    let stderr = dir.path().join("qemu.err");
    let child = util::tools::in_netns(&lab.hv.0, QEMU)
        .args(["-M", "pc", "-nodefaults", "-display", "none", "-S", "-qmp"])
        .arg(format!("unix:{},server=on,wait=off", own.display()))
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut qemu = Proc(child);
    let mut qmp = Qmp::connect(&own, &mut qemu, &stderr);
    for cmd in &link_down {
        qmp.ok(cmd);
    }
    qmp.ok(r#"{"execute":"cont"}"#);
    let mut pci = String::new();
    let bar1 = util::poll(|| {
        pci = qmp.hmp("info pci");
        bar(&pci, "net0", "BAR1")
    })
    .unwrap_or_else(|| panic!("the firmware did not assign net0's BAR1:\n{pci}"));
    let link = |qmp: &mut Qmp| xp(qmp, "hx", bar1 + 0x64) & 0x4 != 0;
    assert!(!link(&mut qmp), "the NIC boots with its link down");
    let tap = lab.hv.ip("-d link show vnet7");
    assert!(
        tap.contains("tun type tap") && !tap.contains("master"),
        "{tap}"
    );
    let rules = "table bridge nltest {\n  chain out {\n    type filter hook output priority 0;\n    \
                 oifname \"vnet7\" counter\n  }\n}\n";
    let r = lab.hv.exec(&["nft", "-f", "-"], Some(rules));
    assert!(r.ok(), "{r}");
    lab.hv.exec(
        &["ping", "-c", "2", "-W", "1", "-I", "nlbr7", "10.57.0.99"],
        None,
    );
    assert_eq!(sent_to(&lab, "vnet7"), 0, "an unplugged tap gets nothing");

    // Plugged while QEMU runs: the tap joins the bridge and the guest sees carrier.
    let net = format!(
        "    <interface type='network'><mac address='{mac}'/><source network='lan'/>\
         <target dev='vnet7'/></interface>"
    );
    let r = plug(&lab, "vm", &net, &[]);
    assert!(r.ok() && !r.stderr.contains("QMP"), "{r}");
    assert!(
        util::eventually(|| link(&mut qmp)),
        "the guest does not see its link up"
    );
    let tap = lab.hv.ip("link show vnet7");
    assert!(tap.contains("master nlbr7") && tap.contains(",UP"), "{tap}");
    let reached = util::eventually(|| {
        lab.hv.exec(
            &["ping", "-c", "1", "-W", "1", "-I", "nlbr7", "10.57.0.99"],
            None,
        );
        sent_to(&lab, "vnet7") > 0
    });
    assert!(reached, "no traffic from the bridge reached the tap");

    // Unplugged: QEMU is told first, the tap leaves the bridge, the NIC stays.
    let r = lab.netloom(&["port", "unplug", "--guest", "vm", "--mac", mac]);
    assert!(r.ok() && !r.stderr.contains("QMP"), "{r}");
    assert!(!link(&mut qmp), "the guest still sees its link up");
    let tap = lab.hv.ip("link show vnet7");
    assert!(!tap.contains("master") && !tap.contains(",UP"), "{tap}");
    let info = qmp.hmp("info network");
    assert!(
        info.contains(&format!(
            "net0: index=0,type=nic,model=rtl8139,macaddr={mac}"
        )),
        "{info}"
    );

    // And plugged again.
    let r = plug(&lab, "vm", &net, &[]);
    assert!(r.ok(), "{r}");
    assert!(
        util::eventually(|| link(&mut qmp)),
        "the link did not come back"
    );

    // A monitor that is gone is said, and the unplug is still done.
    let _ = writeln!(qmp.writer, r#"{{"execute":"quit"}}"#);
    let status =
        util::poll(|| qemu.0.try_wait().unwrap()).unwrap_or_else(|| panic!("QEMU did not quit"));
    assert!(status.success(), "QEMU quit with {status}");
    let r = lab.netloom(&["port", "unplug", "--guest", "vm", "--mac", mac]);
    assert!(
        r.ok()
            && r.stderr
                .contains(&format!("QMP monitor {sock}: cannot connect")),
        "{r}"
    );
    drop(qemu);
    lab.finish();
}

fn qemu_set_link(id: &str, up: bool) -> String {
    netloom::port::qemu::set_link(id, up)
}
