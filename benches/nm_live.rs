//! The live NetworkManager client at scale, against a real NetworkManager in its own sandbox
//! (`../shared/scripts/nm-sandbox`): add 500 ethernet profiles (for interfaces that do not
//! exist, not autoconnecting, stored as keyfiles), read all of them back with `profiles()`,
//! update each with `merged` settings, delete each. Three rounds; per-profile times are
//! reported (no guard: they depend on NetworkManager and the disk, not on netloom alone).
//! Needs root; without it, prints why and exits 0. Run with
//! `cargo bench --bench nm_live`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use netloom::backends::nm::live::Client;
use netloom::backends::nm::settings::{Settings, Value, kind};

const PROFILES: usize = 500;
const ROUNDS: usize = 3;

/// The sandbox; dropping it stops NetworkManager and removes its folder.
struct Sandbox {
    script: PathBuf,
    dir: Option<tempfile::TempDir>,
    address: String,
}

impl Sandbox {
    fn start() -> Sandbox {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/scripts/nm-sandbox");
        assert!(script.is_file(), "{} not found", script.display());
        let dir = tempfile::Builder::new()
            .prefix("nm-bench.")
            .tempdir_in("/tmp")
            .unwrap();
        let out = Command::new(&script)
            .arg("start")
            .arg(dir.path())
            .output()
            .unwrap();
        let mut sandbox = Sandbox {
            script,
            dir: Some(dir),
            address: String::new(),
        };
        assert!(
            out.status.success(),
            "nm-sandbox start failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // `export DBUS_SYSTEM_BUS_ADDRESS='unix:path=DIR/bus.sock'`; DIR has no quotes.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("export DBUS_SYSTEM_BUS_ADDRESS="))
            .expect("nm-sandbox exports the bus address");
        sandbox.address = line.trim_matches('\'').to_owned();
        sandbox
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let Some(dir) = self.dir.take() else { return };
        let stopped = Command::new(&self.script)
            .arg("stop")
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        if !stopped {
            eprintln!("nm-sandbox stop failed; kept {}", dir.keep().display());
        }
    }
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

/// Profile `i`: an ethernet profile for `nlb<i>` with a static IPv4 address.
fn profile(i: usize, last_octet: usize) -> Settings {
    let name = format!("nlb{i:03}");
    let mut p = Settings::default();
    p.set("connection", "id", s(&name));
    p.set("connection", "type", s(kind::ETHERNET));
    p.set("connection", "interface-name", s(&name));
    p.set("connection", "autoconnect", Value::Bool(false));
    p.set(kind::ETHERNET, "mtu", Value::U32(1500));
    p.set("ipv4", "method", s("manual"));
    let address = format!("10.{}.{}.{last_octet}", i / 256, i % 256);
    let data = BTreeMap::from([
        ("address".to_owned(), s(&address)),
        ("prefix".to_owned(), Value::U32(24)),
    ]);
    p.set("ipv4", "address-data", Value::Dicts(vec![data]));
    p.set("ipv6", "method", s("disabled"));
    p
}

fn per_profile(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0 / PROFILES as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The same scale through netloom's own apply: the host as interface XML, planned against
/// the live profiles, applied in one checkpoint and one journalled transaction (no
/// activation: the interfaces do not exist), planned again (nothing to change), changed,
/// and removed.
fn through_netloom(address: &str, phases: &mut BTreeMap<&'static str, Vec<f64>>) {
    use netloom::backends::nm::live::{JOURNAL, NmStore};
    use netloom::engine::{Session, StoreApply, TargetRoot};
    use netloom::live::Store;
    let store = NmStore::new(Client::connect_to(address).unwrap());
    let host = |octet: usize| {
        let mut xml = String::from("<interfaces>\n");
        for i in 0..PROFILES {
            xml.push_str(&format!(
                "<interface type='ethernet' name='nla{i:03}'><start mode='none'/>\
                 <protocol family='ipv4'><ip address='10.{}.{}.{octet}' prefix='24'/></protocol>\
                 </interface>\n",
                i / 256,
                i % 256
            ));
        }
        xml.push_str("</interfaces>\n");
        netloom::xml::read_str("bench.xml", &xml).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let root = TargetRoot::open(dir.path()).unwrap();
    for round in 1..=ROUNDS {
        let session = Session::open(&root).unwrap();
        let mut step = |what: &'static str, host: &netloom::model::Host, changes: usize| {
            let t = Instant::now();
            let plan = store.plan(host).unwrap();
            assert_eq!(plan.plan.changes.len(), changes, "{what}");
            if !plan.is_empty() {
                let how = StoreApply {
                    command: what,
                    confirm: None,
                    activate: false,
                    verify: None,
                };
                session.apply_store(&store, JOURNAL, &plan, how).unwrap();
            }
            let d = t.elapsed();
            phases.entry(what).or_default().push(per_profile(d));
            per_profile(d)
        };
        let add = step("netloom apply: add", &host(1), PROFILES);
        let noop = step("netloom apply: nothing to change", &host(1), 0);
        let update = step("netloom apply: update", &host(2), PROFILES);
        let delete = step(
            "netloom apply: delete",
            &netloom::model::Host::default(),
            PROFILES,
        );
        println!(
            "round {round}, netloom apply: add {add:.3}  no-op {noop:.3}  update {update:.3}  delete {delete:.3}"
        );
    }
}

fn main() {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !root {
        println!(
            "nm_live: SKIPPED: needs root (NetworkManager runs in network namespaces of its own)"
        );
        return;
    }
    let sandbox = Sandbox::start();
    let c = Client::connect_to(&sandbox.address).unwrap();
    println!(
        "NetworkManager {} in a sandbox; {PROFILES} profiles, {ROUNDS} rounds; ms per profile",
        c.version().unwrap()
    );
    let mut phases: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for round in 1..=ROUNDS {
        let t = Instant::now();
        let paths: Vec<String> = (0..PROFILES)
            .map(|i| c.add(&profile(i, 1)).unwrap())
            .collect();
        let add = t.elapsed();

        let t = Instant::now();
        let live = c.profiles().unwrap();
        let list = t.elapsed();
        assert_eq!(live.len(), PROFILES + 1, "the profiles and lo");

        let by_path: BTreeMap<&str, &Settings> = live
            .iter()
            .map(|p| (p.path.as_str(), &p.settings))
            .collect();
        let t = Instant::now();
        for (i, path) in paths.iter().enumerate() {
            let merged = by_path[path.as_str()].merged(&profile(i, 2));
            c.update(path, &merged).unwrap();
        }
        let update = t.elapsed();

        let t = Instant::now();
        for path in &paths {
            c.delete(path).unwrap();
        }
        let delete = t.elapsed();
        assert_eq!(c.profiles().unwrap().len(), 1, "only lo is left");

        println!(
            "round {round}: add {:.3}  profiles() {:.3}  update {:.3}  delete {:.3}",
            per_profile(add),
            per_profile(list),
            per_profile(update),
            per_profile(delete)
        );
        for (phase, d) in [
            ("add (AddConnection2)", add),
            ("profiles() (ListConnections + GetSettings)", list),
            ("update (Update2 with merged)", update),
            ("delete (Delete)", delete),
        ] {
            phases.entry(phase).or_default().push(per_profile(d));
        }
    }
    through_netloom(&sandbox.address, &mut phases);
    for (phase, times) in phases {
        println!(
            "{phase:<45} median {:.3} ms per profile ({:.0} ms for {PROFILES})",
            median(times.clone()),
            median(times) * PROFILES as f64
        );
    }
    drop(sandbox);
}
