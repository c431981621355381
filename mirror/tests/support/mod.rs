//! Test support: a moto server with mirador's traffic-mirror extension
//! (`tests/moto_ext/`), an EC2 client for it, and helpers to run
//! `mirador mirror` commands in process.
//!
//! One server per test binary, started on first use on 127.0.0.1 with a port
//! the server picks itself (no race for a "free" port). Tests take a lock on
//! it and reset it (`POST /moto-api/reset`), so they run one at a time
//! against a clean account. The server reads its stdin and exits at EOF, so
//! it dies with the test process.
//!
//! Python: `MIRADOR_MOTO_PYTHON` (e.g. a venv's `bin/python`), else the venv
//! `.ci/setup` makes (`~/.cache/mirador/moto-venv`), else
//! `python3`. When moto cannot be imported the e2e tests are skipped with a
//! message, unless `MIRADOR_REQUIRE_MOTO=1`, which makes that a failure (CI).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::types::InstanceType;
use aws_sdk_ec2::Client;
use clap::Parser;
use mirador_mirror::ec2::Ec2;
use mirador_mirror::MirrorArgs;

/// A running moto server.
pub struct Moto {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    port: u16,
    _child: Child,
    _stdin: ChildStdin,
}

static SERVER: OnceLock<Option<Mutex<Moto>>> = OnceLock::new();

/// `MIRADOR_MOTO_PYTHON`, else the venv `.ci/setup` makes, else `python3`.
fn python() -> String {
    if let Ok(p) = std::env::var("MIRADOR_MOTO_PYTHON") {
        return p;
    }
    let venv = std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/mirador/moto-venv/bin/python"));
    match venv {
        Some(p) if p.exists() => p.display().to_string(),
        _ => "python3".into(),
    }
}

fn ext_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("moto_ext")
}

fn start() -> Result<Moto, String> {
    let py = python();
    let probe = Command::new(&py)
        .args(["-c", "import moto, flask, werkzeug; print(moto.__version__)"])
        .output()
        .map_err(|e| format!("cannot run {py}: {e}"))?;
    if !probe.status.success() {
        return Err(format!(
            "{py} cannot import moto[server] ({}); install it with: pip install 'moto[server]==5.2.5'",
            String::from_utf8_lossy(&probe.stderr).lines().last().unwrap_or("")
        ));
    }
    let mut child = Command::new(&py)
        .arg(ext_dir().join("server.py"))
        .args(["--host", "127.0.0.1", "--port", "0"])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start moto: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
    let port: u16 = line
        .strip_prefix("PORT ")
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(|| format!("moto server did not report its port: {line:?}"))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    eprintln!("moto {} with mirador's extension on 127.0.0.1:{port}", String::from_utf8_lossy(&probe.stdout).trim());
    Ok(Moto { endpoint: format!("http://127.0.0.1:{port}"), port, _child: child, _stdin: stdin })
}

/// Exclusive use of the shared server for one test. Each `#[tokio::test]`
/// has its own runtime, so holding this across `.await` only serialises
/// tests, which is the point.
pub struct Locked(MutexGuard<'static, Moto>);

impl std::ops::Deref for Locked {
    type Target = Moto;
    fn deref(&self) -> &Moto {
        &self.0
    }
}

/// The shared server, reset and locked for this test; `None` (skip) when
/// moto is not installed and `MIRADOR_REQUIRE_MOTO` is not set.
pub fn moto() -> Option<Locked> {
    let server = SERVER.get_or_init(|| match start() {
        Ok(m) => Some(Mutex::new(m)),
        Err(e) => {
            if std::env::var("MIRADOR_REQUIRE_MOTO").is_ok_and(|v| v == "1") {
                panic!("MIRADOR_REQUIRE_MOTO=1 but {e}");
            }
            // Written to the stderr handle directly: libtest captures eprintln!.
            let _ = writeln!(std::io::stderr(), "SKIPPED: moto end-to-end tests need moto[server]: {e}");
            None
        }
    });
    let guard = server.as_ref()?.lock().unwrap_or_else(|e| e.into_inner());
    guard.http("POST", "/moto-api/reset");
    Some(Locked(guard))
}

impl Moto {
    /// A plain HTTP/1.1 request to the server; returns the body.
    pub fn http(&self, method: &str, path: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to moto");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default()
    }

    /// EC2 actions served since the last reset or [`Self::clear_log`].
    pub fn actions(&self) -> Vec<String> {
        serde_json::from_str(&self.http("GET", "/mirador-ext/requests")).expect("request log JSON")
    }

    /// Clears the request log.
    pub fn clear_log(&self) {
        self.http("DELETE", "/mirador-ext/requests");
    }

    /// Actions that change something (Create/Modify/Delete/Run...).
    pub fn mutations(&self) -> Vec<String> {
        self.actions().into_iter().filter(|a| !a.starts_with("Describe")).collect()
    }

    /// What each EventBridge PutEvents call since the last reset carried:
    /// (entries, total entry size as AWS computes it).
    pub fn put_event_calls(&self) -> Vec<(i64, i64)> {
        let v: Vec<serde_json::Value> =
            serde_json::from_str(&self.http("GET", "/mirador-ext/put-events")).expect("put-events log JSON");
        v.iter().map(|c| (c["entries"].as_i64().unwrap(), c["bytes"].as_i64().unwrap())).collect()
    }

    /// An SQS client for the server: static credentials, no retries.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        let conf = aws_sdk_sqs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "static"))
            .endpoint_url(&self.endpoint)
            .retry_config(aws_sdk_sqs::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_sqs::Client::from_conf(conf)
    }

    /// An EventBridge client for the server: static credentials, no retries.
    pub fn events(&self) -> aws_sdk_eventbridge::Client {
        let conf = aws_sdk_eventbridge::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "static"))
            .endpoint_url(&self.endpoint)
            .retry_config(aws_sdk_eventbridge::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_eventbridge::Client::from_conf(conf)
    }

    /// An EC2 client for the server: static credentials, no retries.
    pub fn client(&self) -> Client {
        let conf = aws_sdk_ec2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "static"))
            .endpoint_url(&self.endpoint)
            .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
            .build();
        Client::from_conf(conf)
    }

    /// Launches instances; returns (instance id, primary ENI id) pairs.
    pub async fn launch(&self, n: i32, instance_type: &str) -> Vec<(String, String)> {
        let r = self
            .client()
            .run_instances()
            .image_id("ami-12c6146b")
            .instance_type(InstanceType::from(instance_type))
            .min_count(n)
            .max_count(n)
            .send()
            .await
            .expect("RunInstances");
        r.instances()
            .iter()
            .map(|i| {
                (
                    i.instance_id().unwrap().to_string(),
                    i.network_interfaces()[0].network_interface_id().unwrap().to_string(),
                )
            })
            .collect()
    }
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    m: MirrorArgs,
}

/// Output and exit code of one command.
pub struct Ran {
    /// What it printed on stdout.
    pub out: String,
    /// Its exit code.
    pub code: ExitCode,
}

/// Runs `mirador mirror ARGS…` in process against the server.
pub async fn mirror(m: &Moto, args: &[&str]) -> anyhow::Result<Ran> {
    let mut v = vec!["mirror"];
    v.extend_from_slice(args);
    let cli = Cli::try_parse_from(v).map_err(|e| anyhow::anyhow!("{e}"))?;
    let ec2 = Ec2::new(m.client());
    let mut out = Vec::new();
    let code = mirador_mirror::commands::execute(&cli.m.cmd, &ec2, &mut out).await?;
    let out = String::from_utf8(out).unwrap();
    eprintln!("$ mirador mirror {}\n{out}", args.join(" "));
    Ok(Ran { out, code })
}
