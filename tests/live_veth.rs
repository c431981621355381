//! End-to-end live capture on a veth pair (issue 7, acceptance 1 and 2).
//!
//! Each test makes its own network namespace and veth pair: one end stays in
//! the test's namespace, the other goes into the new one, where mirador
//! listens. tcpreplay sends a fixture into the first end; the frames arrive on
//! the second and go nowhere else (they are addressed to MAC addresses that
//! do not exist here, the namespace has no address and no route, and IPv6 is
//! off on both ends), so nothing leaves the machine. A guard removes the
//! namespace and the link even when a test fails.
//!
//! Needs root, `ip netns` and tcpreplay: without root or network namespaces
//! the tests are skipped with a message; without tcpreplay they are skipped
//! too, except under CI (`CI` set), where .ci/setup installs it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mirador"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn ip(args: &[&str]) -> bool {
    run(Command::new("ip").args(args))
}

/// A network namespace holding one end of a veth pair; removed on drop.
struct Veth {
    ns: String,
    /// End in the test's namespace (tcpreplay sends here).
    outer: String,
    /// End in `ns` (mirador listens here).
    inner: String,
}

impl Veth {
    /// Makes the namespace and the pair, or says why the test is skipped.
    fn create(tag: char) -> Result<Veth, String> {
        let uid = Command::new("id").arg("-u").output().map_err(|e| format!("id -u: {e}"))?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err("not root".into());
        }
        let pid = std::process::id() % 100_000;
        let v = Veth {
            ns: format!("mirador-test-{tag}{pid}"),
            outer: format!("mrd{tag}{pid}o"),
            inner: format!("mrd{tag}{pid}i"),
        };
        // Leftovers of an earlier run that was killed.
        ip(&["link", "del", &v.outer]);
        ip(&["netns", "del", &v.ns]);
        if !ip(&["netns", "add", &v.ns]) {
            return Err("`ip netns add` is unavailable".into());
        }
        let ok = ip(&["link", "add", &v.outer, "type", "veth", "peer", "name", &v.inner])
            && ip(&["link", "set", &v.inner, "netns", &v.ns]);
        if !ok {
            return Err("cannot create a veth pair".into());
        }
        // No IPv6 (no router solicitations or MLD reports on the wire).
        let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{}/disable_ipv6", v.outer), "1");
        run(Command::new("ip")
            .args(["netns", "exec", &v.ns, "sysctl", "-qw"])
            .arg(format!("net.ipv6.conf.{}.disable_ipv6=1", v.inner)));
        let up =
            ip(&["link", "set", &v.outer, "up"]) && ip(&["netns", "exec", &v.ns, "ip", "link", "set", &v.inner, "up"]);
        if !up {
            return Err("cannot bring the veth pair up".into());
        }
        Ok(v)
    }

    /// A command run inside the namespace.
    fn exec(&self, program: &Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns]).arg(program);
        c
    }

    /// Sends capture files into the outer end as fast as possible.
    fn replay(&self, pcaps: &[&str]) {
        let mut c = Command::new("tcpreplay");
        c.args(["-q", "-t", "-i", &self.outer]);
        for p in pcaps {
            c.arg(root().join(p));
        }
        let out = c.output().expect("tcpreplay runs");
        assert!(out.status.success(), "tcpreplay failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        // Deleting one end deletes the pair; the namespace goes last.
        ip(&["link", "del", &self.outer]);
        ip(&["netns", "del", &self.ns]);
    }
}

/// The veth pair, or `None` after printing why the test is skipped.
fn setup(tag: char, test: &str) -> Option<Veth> {
    if !run(Command::new("tcpreplay").arg("--version")) {
        assert!(std::env::var_os("CI").is_none(), "tcpreplay is missing (.ci/setup installs it)");
        eprintln!("skipping {test}: tcpreplay is not installed (apt-get install tcpreplay)");
        return None;
    }
    match Veth::create(tag) {
        Ok(v) => Some(v),
        Err(why) => {
            eprintln!("skipping {test}: {why}; it needs root and `ip netns`");
            None
        }
    }
}

/// A mirador process whose stderr lines are collected by a thread.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Vec<String>,
    stdout: std::thread::JoinHandle<String>,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("mirador starts");
        let err = child.stderr.take().expect("piped");
        let mut out = child.stdout.take().expect("piped");
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut out, &mut s);
            s
        });
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Running { child, lines, stderr: Vec::new(), stdout }
    }

    /// Waits for the line containing `ready`.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(l) => {
                    let ready = l.contains("ready");
                    self.stderr.push(l);
                    if ready {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(st)) = self.child.try_wait() {
                        panic!("mirador exited ({st}) before ready: {:?}", self.collect());
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let _ = self.child.kill();
        panic!("mirador never printed ready: {:?}", self.collect());
    }

    fn collect(&mut self) -> Vec<String> {
        while let Ok(l) = self.lines.try_recv() {
            self.stderr.push(l);
        }
        self.stderr.clone()
    }

    fn signal(&self, sig: &str) {
        assert!(run(Command::new("kill").arg(format!("-{sig}")).arg(self.child.id().to_string())));
    }

    /// Waits for the exit (killing it after `limit`); returns the status,
    /// stdout and stderr.
    fn wait(mut self, limit: Duration) -> (ExitStatus, String, Vec<String>) {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                std::thread::sleep(Duration::from_millis(50));
                let err = self.collect();
                return (st, self.stdout.join().unwrap_or_default(), err);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("mirador did not exit within {limit:?}: {:?}", self.collect());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn read_eve(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

/// An alert's identity: sid and the inner 5-tuple.
fn alert_keys(eve: &[Value]) -> Vec<(u64, String, u64, String, u64, String)> {
    let mut k: Vec<_> = eve
        .iter()
        .filter(|v| v["event_type"] == "alert")
        .map(|v| {
            (
                v["alert"]["signature_id"].as_u64().unwrap(),
                v["src_ip"].as_str().unwrap().to_string(),
                v["src_port"].as_u64().unwrap_or(0),
                v["dest_ip"].as_str().unwrap().to_string(),
                v["dest_port"].as_u64().unwrap_or(0),
                v["proto"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    k.sort();
    k
}

/// The packet bytes of a classic little- or big-endian pcap file.
fn pcap_frames(path: &Path) -> Vec<Vec<u8>> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let le = match b[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => panic!("{}: not a pcap file", path.display()),
    };
    let u32_at = |at: usize| {
        let a = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let mut at = 24;
    let mut out = Vec::new();
    while at + 16 <= b.len() {
        let len = u32_at(at + 8) as usize;
        out.push(b[at + 16..at + 16 + len].to_vec());
        at += 16 + len;
    }
    out
}

#[test]
fn live_capture_alerts_like_replay() {
    let Some(veth) = setup('l', "live_capture_alerts_like_replay") else { return };
    let dir = tempfile::tempdir().unwrap();
    let rules = root().join("rules/mirador.rules");

    // What replay says about the fixture.
    let replay_eve = dir.path().join("replay.json");
    let st = Command::new(bin())
        .args(["replay", "-S"])
        .arg(&rules)
        .arg("--eve")
        .arg(&replay_eve)
        .arg(root().join("fixtures/vxlan.pcap"))
        .status()
        .unwrap();
    assert!(st.success());
    let expected = alert_keys(&read_eve(&replay_eve));
    assert!(!expected.is_empty());

    let live_eve = dir.path().join("live.json");
    let inner = dir.path().join("inner.pcap");
    let mut cmd = veth.exec(&bin());
    cmd.args(["live", "-i", &veth.inner, "-S"])
        .arg(&rules)
        .arg("--eve")
        .arg(&live_eve)
        .args(["--stats-interval", "1", "--pcap-out"])
        .arg(&inner);
    let mut m = Running::start(cmd);
    m.wait_ready();
    veth.replay(&["fixtures/vxlan.pcap"]);
    std::thread::sleep(Duration::from_millis(1500));
    m.signal("TERM");
    let (st, _, stderr) = m.wait(Duration::from_secs(30));
    assert!(st.success(), "exit {st}: {stderr:?}");
    let last = stderr.iter().find(|l| l.contains("capture stopped")).unwrap_or_else(|| panic!("{stderr:?}"));
    assert!(last.contains("0 dropped by kernel"), "{last}");

    let eve = read_eve(&live_eve);
    assert_eq!(alert_keys(&eve), expected, "live alerts differ from replay's");
    // Periodic and final stats records, with the capture counters.
    let stats: Vec<&Value> = eve.iter().filter(|v| v["event_type"] == "stats").collect();
    assert!(!stats.is_empty(), "no stats record");
    let fin = &stats.last().unwrap()["stats"];
    assert!(fin["capture"]["kernel_packets"].as_u64().unwrap() >= 24, "{fin}");
    assert_eq!(fin["capture"]["kernel_drops"], 0);
    assert!(fin["decoder"]["pkts"].as_u64().unwrap() >= 24);

    // --pcap-out holds the inner frames: basic.pcap's, in order.
    let basic = pcap_frames(&root().join("fixtures/basic.pcap"));
    let got = pcap_frames(&inner);
    assert_eq!(got, basic, "--pcap-out frames differ from the inner frames");
}

#[test]
fn verify_listens_on_the_interface() {
    let Some(veth) = setup('v', "verify_listens_on_the_interface") else { return };
    let mut cmd = veth.exec(&bin());
    cmd.args(["mirror", "verify", "-i", &veth.inner, "--seconds", "4", "--json"]);
    let mut m = Running::start(cmd);
    m.wait_ready();
    veth.replay(&[
        "fixtures/verify/sessions.pcap",
        "fixtures/verify/fragments.pcap",
        "fixtures/verify/untunnelled.pcap",
    ]);
    let (st, out, stderr) = m.wait(Duration::from_secs(30));
    assert!(st.success(), "exit {st}: {stderr:?}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let sessions: Vec<(String, u64, u64)> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["encapsulation"].as_str().unwrap().to_string(),
                s["vni"].as_u64().unwrap(),
                s["packets"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sessions,
        [
            ("GENEVE".to_string(), 0, 2),
            ("VXLAN".to_string(), 100, 10),
            ("VXLAN".to_string(), 200, 4),
            ("VXLAN".to_string(), 300, 8),
            ("VXLAN".to_string(), 500, 3)
        ]
    );
    let frag = &v["sessions"][4];
    assert_eq!((frag["outer_fragments"].as_u64(), frag["incomplete_fragments"].as_u64()), (Some(6), Some(1)));
    assert_eq!(v["not_tunnelled"]["packets"], 6, "{}", v["not_tunnelled"]);
    assert_eq!(v["not_tunnelled"]["bad_tunnel_header"], 1);
    assert_eq!(v["capture"]["kernel_drops"], 0);
    assert!(v["capture"]["received"].as_u64().unwrap() >= 37);
}

#[test]
fn verify_exits_non_zero_when_nothing_arrives() {
    let Some(veth) = setup('n', "verify_exits_non_zero_when_nothing_arrives") else { return };
    let mut cmd = veth.exec(&bin());
    cmd.args(["mirror", "verify", "-i", &veth.inner, "--seconds", "1"]);
    let mut m = Running::start(cmd);
    m.wait_ready();
    let (st, out, stderr) = m.wait(Duration::from_secs(30));
    assert_eq!(st.code(), Some(3), "{out} {stderr:?}");
    assert!(out.contains("nothing arrived"), "{out}");
    assert!(stderr.iter().any(|l| l.contains("UDP 4789")), "{stderr:?}");
}
