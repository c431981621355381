//! End-to-end: `mirador rules update` against a local HTTP server on
//! 127.0.0.1 (no test touches the internet), then `mirador rules check` and
//! `mirador replay` on what it installed.

#[path = "../src/update/testutil.rs"]
mod testutil;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use testutil::{bad_rule, md5_hex, rule, targz, Server, CLASSIFICATION};

const ARCHIVE: &str = "/open/emerging.rules.tar.gz";

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mirador"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn archive() -> Vec<u8> {
    let dos = format!(
        "{}\n{}\n# {}\n",
        rule(2000001, 1, "ET DOS one"),
        rule(2000002, 1, "ET DOS two"),
        rule(2000003, 1, "ET DOS three")
    );
    let scan = format!("{}\n", rule(2000101, 1, "ET SCAN one"));
    targz(&[
        ("rules/emerging-dos.rules", dos.as_bytes()),
        ("rules/emerging-scan.rules", scan.as_bytes()),
        ("rules/classification.config", CLASSIFICATION.as_bytes()),
    ])
}

fn serve(s: &Server, path: &str, body: &[u8]) {
    s.set(path, 200, body);
    s.set(&format!("{path}.md5"), 200, md5_hex(body).as_bytes());
}

/// Runs `mirador rules update ARGS -o OUT --cache-dir CACHE` with HOME and
/// XDG_CACHE_HOME inside `dir`.
fn update(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(["rules", "update"])
        .args(args)
        .arg("-o")
        .arg(dir.join("rules"))
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .env("HOME", dir)
        .env("XDG_CACHE_HOME", dir.join("xdg"))
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn update_installs_rules_that_check_loads() {
    let s = Server::start();
    serve(&s, ARCHIVE, &archive());
    let dir = tempfile::tempdir().unwrap();
    let out = update(dir.path(), &["--url", &s.url(ARCHIVE)]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("3 rules loaded, 0 rejected"), "{stdout}");
    assert!(stdout.contains(&format!("md5 {}", md5_hex(&archive()))), "{stdout}");
    assert!(stdout.contains("installed into"), "{stdout}");
    let installed = std::fs::read_to_string(dir.path().join("rules/mirador.rules")).unwrap();
    assert!(installed.contains(&format!("\n# {}\n", rule(2000003, 1, "ET DOS three"))));

    let check = Command::new(bin()).args(["rules", "check"]).arg(dir.path().join("rules")).output().unwrap();
    assert!(check.status.success(), "{}", text(&check.stdout));
    assert!(text(&check.stdout).starts_with("3 rules loaded, 0 rejected"));
}

#[test]
fn offline_dry_run_needs_no_server() {
    let dir = tempfile::tempdir().unwrap();
    let url = {
        let s = Server::start();
        serve(&s, ARCHIVE, &archive());
        let out = update(dir.path(), &["--url", &s.url(ARCHIVE), "-q"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "");
        s.url(ARCHIVE)
    }; // server stopped
    let disable = dir.path().join("disable.conf");
    std::fs::write(&disable, "group:emerging-scan.rules\n").unwrap();
    let out =
        update(dir.path(), &["--url", &url, "--offline", "--dry-run", "--disable-conf", disable.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("offline, cached copy"), "{stdout}");
    assert!(
        stdout.contains("dry run: would install into") && stdout.contains("0 added, 0 removed, 1 changed, 3 unchanged"),
        "{stdout}"
    );
    let installed = std::fs::read_to_string(dir.path().join("rules/mirador.rules")).unwrap();
    assert!(installed.contains(&format!("\n{}\n", rule(2000101, 1, "ET SCAN one"))));
}

#[test]
fn checksum_mismatch_exits_1_and_keeps_the_installed_rules() {
    let s = Server::start();
    serve(&s, ARCHIVE, &archive());
    let dir = tempfile::tempdir().unwrap();
    assert!(update(dir.path(), &["--url", &s.url(ARCHIVE)]).status.success());
    let before = std::fs::read(dir.path().join("rules/mirador.rules")).unwrap();

    s.set(ARCHIVE, 200, &targz(&[("rules/x.rules", rule(1, 1, "x").as_bytes())]));
    s.set(&format!("{ARCHIVE}.md5"), 200, md5_hex(b"not this").as_bytes());
    // Within --fresh-for (15 minutes by default) the cached copy is reused
    // without asking the server.
    let out = update(dir.path(), &["--url", &s.url(ARCHIVE)]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("recently fetched, cached copy"), "{}", text(&out.stdout));
    let out = update(dir.path(), &["--url", &s.url(ARCHIVE), "--fresh-for", "0"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("checksum mismatch for source {}", s.url(ARCHIVE))), "{stderr}");
    assert_eq!(std::fs::read(dir.path().join("rules/mirador.rules")).unwrap(), before);
}

#[test]
fn too_many_rejections_exit_1_with_the_reasons() {
    let s = Server::start();
    let body = format!("{}\n{}\n", rule(1, 1, "ok"), bad_rule(2));
    s.set("/custom.rules", 200, body.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let out = update(dir.path(), &["--url", &s.url("/custom.rules")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refusing to install: 1 of 2 enabled rules rejected (50.0%)"), "{stderr}");
    assert!(stderr.contains("1 rules loaded, 1 rejected"), "{stderr}");
    assert!(stderr.contains("unknown keyword 'no_such_keyword'"), "{stderr}");
    assert!(!dir.path().join("rules").exists());

    let out = update(dir.path(), &["--url", &s.url("/custom.rules"), "--max-reject-percent", "50"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// The bundled ruleset served as a plain .rules source, installed, then used
/// by `replay`: same alerts as the bundled rules give.
#[test]
fn installed_rules_drive_replay_like_the_bundled_ones() {
    let bundled = std::fs::read(root().join("rules/mirador.rules")).unwrap();
    let s = Server::start();
    serve(&s, "/mirador.rules", &bundled);
    let dir = tempfile::tempdir().unwrap();
    let out = update(dir.path(), &["--url", &s.url("/mirador.rules")]);
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));

    let eve = |rules: &Path, log: &Path| {
        let st = Command::new(bin())
            .arg("replay")
            .arg("-S")
            .arg(rules)
            .arg("-l")
            .arg(log)
            .arg(root().join("fixtures/basic.pcap"))
            .status()
            .unwrap();
        assert!(st.success());
        let mut sids: Vec<String> = std::fs::read_to_string(log.join("eve.json"))
            .unwrap()
            .lines()
            .filter(|l| l.contains("\"event_type\":\"alert\""))
            .map(|l| {
                let i = l.find("\"signature_id\":").unwrap();
                l[i..].split([',', '}']).next().unwrap().to_string()
            })
            .collect();
        sids.sort();
        sids
    };
    let ours = eve(&dir.path().join("rules"), &dir.path().join("log1"));
    let theirs = eve(&root().join("rules/mirador.rules"), &dir.path().join("log2"));
    assert!(!ours.is_empty());
    assert_eq!(ours, theirs);
}
