//! Tests of `rules update` against a local HTTP server on 127.0.0.1. No
//! test touches the internet.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::archive::{self, MAX_FILE_BYTES};
use super::fetch::{self, Algo, Checksum, Origin};
use super::modify::{self, Glob, Matcher, Rewrite};
use super::rules::{self, RuleSet};
use super::testutil::{bad_rule, md5_hex, rule, targz, targz_raw, Route, Server, CLASSIFICATION};
use super::*;

const ARCHIVE: &str = "/open/emerging.rules.tar.gz";

/// A server, a temporary directory, and options pointing at both.
struct Fixture {
    server: Server,
    dir: tempfile::TempDir,
    opts: UpdateOptions,
}

impl Fixture {
    fn new() -> Fixture {
        let server = Server::start();
        let dir = tempfile::tempdir().unwrap();
        let mut opts = UpdateOptions::new(
            vec![server.url(ARCHIVE)],
            dir.path().join("var/lib/mirador/rules"),
            dir.path().join("cache"),
        );
        opts.quiet = true;
        opts.fresh_for = Duration::ZERO;
        opts.timeout = Duration::from_secs(20);
        Fixture { server, dir, opts }
    }

    /// Serves `tgz` at ARCHIVE with its .md5.
    fn serve(&self, tgz: &[u8]) {
        self.server.set(ARCHIVE, 200, tgz);
        self.server.set(&format!("{ARCHIVE}.md5"), 200, format!("{}\n", md5_hex(tgz)).as_bytes());
    }

    fn installed(&self) -> String {
        std::fs::read_to_string(self.opts.output.join(RULES_FILE)).unwrap()
    }

    fn conf(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

/// The standard test source: two rule files (one with a disabled rule),
/// classification.config, a deleted.rules that is ignored by default.
fn standard_archive() -> Vec<u8> {
    let dos = format!(
        "# Emerging Threats DOS\n{}\n{}\n#{}\n",
        rule(2000001, 1, "ET DOS one"),
        rule(2000002, 3, "ET DOS two"),
        rule(2000003, 1, "ET DOS three (disabled upstream)")
    );
    let scan = format!("{}\n{}\n", rule(2000101, 1, "ET SCAN one"), rule(2000102, 1, "ET SCAN two"));
    let deleted = format!("{}\n", rule(2000999, 1, "ET DELETED"));
    targz(&[
        ("rules/emerging-dos.rules", dos.as_bytes()),
        ("rules/emerging-scan.rules", scan.as_bytes()),
        ("rules/emerging-deleted.rules", deleted.as_bytes()),
        ("rules/classification.config", CLASSIFICATION.as_bytes()),
        ("rules/README.txt", b"not used"),
    ])
}

fn enabled_sids(text: &str) -> Vec<u32> {
    let mut set = RuleSet::default();
    set.add_file(text, "x", 0);
    set.entries.iter().filter(|e| e.enabled).filter_map(|e| e.sid).collect()
}

fn disabled_sids(text: &str) -> Vec<u32> {
    let mut set = RuleSet::default();
    set.add_file(text, "x", 0);
    set.entries.iter().filter(|e| !e.enabled).filter_map(|e| e.sid).collect()
}

#[test]
fn download_verify_unpack_install() {
    let f = Fixture::new();
    let tgz = standard_archive();
    f.serve(&tgz);
    let r = update(&f.opts).unwrap();
    assert!(r.installed);
    assert_eq!(r.sources.len(), 1);
    assert_eq!(r.sources[0].origin, Origin::Downloaded);
    assert_eq!(r.sources[0].checksum.as_deref(), Some(format!("md5 {}", md5_hex(&tgz)).as_str()));
    assert_eq!(r.sources[0].files, 2);
    assert_eq!(r.sources[0].ignored_files, vec!["rules/emerging-deleted.rules".to_string()]);
    assert_eq!((r.total, r.enabled, r.disabled), (5, 4, 1));
    assert_eq!((r.loaded, r.rejected), (4, 0));
    assert!(!r.diff.previous);
    assert_eq!(r.diff.added, 5);

    let text = f.installed();
    assert_eq!(enabled_sids(&text), vec![2000001, 2000002, 2000101, 2000102]);
    assert_eq!(disabled_sids(&text), vec![2000003]);
    assert!(text.contains(&format!("\n# {}\n", rule(2000003, 1, "ET DOS three (disabled upstream)"))));
    assert!(!text.contains("2000999"));
    assert_eq!(std::fs::read_to_string(f.opts.output.join("classification.config")).unwrap(), CLASSIFICATION);
    // The installed directory loads as `mirador rules check` loads it.
    let built = mirador_engine::detect::Ruleset::load(
        &[f.opts.output.as_path()],
        &Vars::default(),
        &Classifications::parse(CLASSIFICATION).0,
    );
    assert_eq!((built.ruleset.len(), built.errors.len()), (4, 0));
    // No leftovers beside the output.
    let parent: Vec<String> = std::fs::read_dir(f.opts.output.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert_eq!(parent, vec!["rules".to_string()]);
    // The request asked for the checksum, then the archive.
    assert_eq!(f.server.seen(&format!("{ARCHIVE}.md5")).len(), 1);
    assert_eq!(f.server.seen(ARCHIVE).len(), 1);
}

#[test]
fn second_install_swaps_and_keeps_previous() {
    let f = Fixture::new();
    f.serve(&standard_archive());
    update(&f.opts).unwrap();
    let first = f.installed();

    let v2 = targz(&[(
        "rules/emerging-dos.rules",
        format!("{}\n{}\n", rule(2000001, 2, "ET DOS one, rev 2"), rule(2000004, 1, "ET DOS four")).as_bytes(),
    )]);
    f.serve(&v2);
    let r = update(&f.opts).unwrap();
    assert!(r.diff.previous);
    assert_eq!((r.diff.added, r.diff.removed, r.diff.modified, r.diff.unchanged), (1, 4, 1, 0));
    assert_eq!(enabled_sids(&f.installed()), vec![2000001, 2000004]);
    let prev = install::prev_path(&f.opts.output);
    assert_eq!(std::fs::read_to_string(prev.join(RULES_FILE)).unwrap(), first);
    // v2 has no classification.config: none installed (the bundled one applies).
    assert!(!f.opts.output.join("classification.config").exists());
}

#[test]
fn checksum_mismatch_refuses_and_leaves_installed_rules() {
    let f = Fixture::new();
    f.serve(&standard_archive());
    update(&f.opts).unwrap();
    let before = f.installed();

    // A new archive whose published md5 is not its own (a tampered mirror,
    // a truncated upload).
    let other = targz(&[("rules/x.rules", rule(1, 1, "x").as_bytes())]);
    f.server.set(ARCHIVE, 200, &other);
    f.server.set(&format!("{ARCHIVE}.md5"), 200, md5_hex(b"something else").as_bytes());
    let err = update(&f.opts).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("checksum mismatch for source"), "{msg}");
    assert!(msg.contains(&f.server.url(ARCHIVE)), "{msg}");
    assert!(err.downcast_ref::<fetch::ChecksumMismatch>().is_some());
    assert_eq!(f.installed(), before);
    assert!(!install::prev_path(&f.opts.output).exists());
    // The cache still holds the good copy: offline rebuilds it.
    let mut off = f.opts.clone();
    off.offline = true;
    let r = update(&off).unwrap();
    assert_eq!(r.sources[0].origin, Origin::Offline);
    assert_eq!(f.installed(), before);
}

#[test]
fn sha256_checksum_file_is_used_when_there_is_no_md5() {
    let f = Fixture::new();
    let tgz = standard_archive();
    f.server.set(ARCHIVE, 200, &tgz);
    let sum = Algo::Sha256.digest(&tgz);
    f.server.set(&format!("{ARCHIVE}.sha256"), 200, format!("{sum}  emerging.rules.tar.gz\n").as_bytes());
    let r = update(&f.opts).unwrap();
    assert_eq!(r.sources[0].checksum.as_deref(), Some(format!("sha256 {sum}").as_str()));

    f.server.set(&format!("{ARCHIVE}.sha256"), 200, format!("{}\n", "0".repeat(64)).as_bytes());
    let msg = format!("{:#}", update(&f.opts).unwrap_err());
    assert!(msg.contains("checksum mismatch") && msg.contains(".sha256"), "{msg}");
}

#[test]
fn no_checksum_published_is_accepted_and_malformed_one_is_not() {
    let f = Fixture::new();
    f.server.set(ARCHIVE, 200, &standard_archive());
    let r = update(&f.opts).unwrap();
    assert_eq!(r.sources[0].checksum, None);

    // A checksum file that is not one: with a cached copy, the copy is used
    // with a warning; without, it is an error naming the source.
    f.server.set(&format!("{ARCHIVE}.md5"), 200, b"<html>oops</html>");
    let r = update(&f.opts).unwrap();
    assert_eq!(r.sources[0].origin, Origin::StaleCache);
    assert!(r.warnings[0].contains("is not a md5 checksum file"), "{:?}", r.warnings);
    std::fs::remove_dir_all(&f.opts.cache_dir).unwrap();
    let msg = format!("{:#}", update(&f.opts).unwrap_err());
    assert!(msg.contains("is not a md5 checksum file") && msg.contains(&f.server.url(ARCHIVE)), "{msg}");
}

#[test]
fn enable_disable_modify_by_sid_group_and_regex() {
    let mut f = Fixture::new();
    f.serve(&standard_archive());
    f.opts.disable_conf = Some(f.conf("disable.conf", "# disable.conf\n\n2000001\ngroup:emerging-scan.rules\n"));
    f.opts.enable_conf = Some(f.conf(
        "enable.conf",
        "# re-enable one scan rule, and the rule disabled upstream\n1:2000102 # by gid:sid\nre:dos three\n",
    ));
    f.opts.modify_conf = Some(f.conf(
        "modify.conf",
        "2000002 \"ET DOS two\" \"ET DOS two (tuned)\"\nre:ET SCAN '\\$HOME_NET 80' \"$HOME_NET [80,8080]\"\n",
    ));
    let r = update(&f.opts).unwrap();
    assert_eq!(r.disabled_by_conf, 3);
    assert_eq!(r.enabled_by_conf, 2);
    assert_eq!(r.modified_by_conf, 3);
    let text = f.installed();
    assert_eq!(enabled_sids(&text), vec![2000002, 2000003, 2000102]);
    assert_eq!(disabled_sids(&text), vec![2000001, 2000101]);
    assert!(text.contains("msg:\"ET DOS two (tuned)\""));
    assert!(text.contains("# alert tcp $EXTERNAL_NET any -> $HOME_NET [80,8080] (msg:\"ET SCAN one\""));
    assert!(text.contains("\nalert tcp $EXTERNAL_NET any -> $HOME_NET [80,8080] (msg:\"ET SCAN two\""));
    assert_eq!((r.loaded, r.rejected), (3, 0));
}

#[test]
fn bad_conf_line_is_an_error_with_its_location() {
    let mut f = Fixture::new();
    f.serve(&standard_archive());
    f.opts.disable_conf = Some(f.conf("disable.conf", "2000001\nnot a matcher\n"));
    let msg = format!("{:#}", update(&f.opts).unwrap_err());
    assert!(msg.contains("disable.conf:2: not a rule matcher"), "{msg}");
    // Nothing was fetched: configuration is checked first.
    assert_eq!(f.server.total_requests(), 0);
}

#[test]
fn offline_rebuilds_from_cache_without_network() {
    let f = Fixture::new();
    f.serve(&standard_archive());
    update(&f.opts).unwrap();
    let first = f.installed();
    let url = f.server.url(ARCHIVE);
    let opts = f.opts.clone();
    let seen_before = f.server.total_requests();
    drop(f.server); // nothing listens any more

    std::fs::remove_dir_all(&opts.output).unwrap();
    let mut off = opts.clone();
    off.offline = true;
    let r = update(&off).unwrap();
    assert_eq!(r.sources[0].origin, Origin::Offline);
    assert!(r.sources[0].checksum.is_some());
    assert_eq!(std::fs::read_to_string(opts.output.join(RULES_FILE)).unwrap(), first);
    assert!(seen_before > 0);

    // Offline without a cache names the source.
    let mut empty = off.clone();
    empty.cache_dir = opts.cache_dir.with_file_name("empty-cache");
    let msg = format!("{:#}", update(&empty).unwrap_err());
    assert!(msg.contains(&url) && msg.contains("no cached copy"), "{msg}");
}

#[test]
fn unreachable_server_falls_back_to_cache_with_a_warning() {
    let f = Fixture::new();
    f.serve(&standard_archive());
    update(&f.opts).unwrap();
    let opts = f.opts.clone();
    drop(f.server);
    let r = update(&opts).unwrap();
    assert_eq!(r.sources[0].origin, Origin::StaleCache);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
}

#[test]
fn fresh_cache_is_reused_without_a_request() {
    let mut f = Fixture::new();
    f.serve(&standard_archive());
    update(&f.opts).unwrap();
    let n = f.server.total_requests();
    f.opts.fresh_for = Duration::from_secs(3600);
    let r = update(&f.opts).unwrap();
    assert_eq!(r.sources[0].origin, Origin::Fresh);
    assert_eq!(f.server.total_requests(), n);
    // --force downloads anyway.
    f.opts.force = true;
    let r = update(&f.opts).unwrap();
    assert_eq!(r.sources[0].origin, Origin::Downloaded);
}

#[test]
fn unchanged_checksum_skips_the_download() {
    let f = Fixture::new();
    f.serve(&standard_archive());
    update(&f.opts).unwrap();
    let r = update(&f.opts).unwrap();
    assert_eq!(r.sources[0].origin, Origin::ChecksumUnchanged);
    assert_eq!(f.server.seen(ARCHIVE).len(), 1);
    assert_eq!(f.server.seen(&format!("{ARCHIVE}.md5")).len(), 2);
    assert_eq!((r.diff.added, r.diff.removed, r.diff.modified, r.diff.unchanged), (0, 0, 0, 5));
}

#[test]
fn conditional_get_uses_etag_and_304() {
    let f = Fixture::new();
    // No checksum file: the ETag decides.
    f.server.set_route(ARCHIVE, Route { status: 200, body: standard_archive(), etag: Some("\"v1\"".into()) });
    let r = update(&f.opts).unwrap();
    assert_eq!(r.sources[0].origin, Origin::Downloaded);
    let r = update(&f.opts).unwrap();
    assert_eq!(r.sources[0].origin, Origin::NotModified);
    let seen = f.server.seen(ARCHIVE);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].headers.get("if-none-match"), None);
    assert_eq!(seen[1].headers.get("if-none-match").map(String::as_str), Some("\"v1\""));
    assert_eq!(r.total, 5);
}

#[test]
fn path_traversal_in_archive_is_rejected() {
    let f = Fixture::new();
    let evil = targz_raw(&[
        (b"rules/ok.rules", rule(1, 1, "ok").as_bytes()),
        (b"../evil.rules", rule(2, 1, "evil").as_bytes()),
    ]);
    f.serve(&evil);
    let msg = format!("{:#}", update(&f.opts).unwrap_err());
    assert!(msg.contains("'../evil.rules'") && msg.contains("path traversal"), "{msg}");
    assert!(msg.contains(&f.server.url(ARCHIVE)), "{msg}");
    assert!(!f.opts.output.exists());
    assert!(!f.dir.path().join("var/lib/mirador/evil.rules").exists());

    let abs = targz_raw(&[(b"/etc/evil.rules", rule(2, 1, "evil").as_bytes())]);
    f.serve(&abs);
    let msg = format!("{:#}", update(&f.opts).unwrap_err());
    assert!(msg.contains("path traversal"), "{msg}");
}

#[test]
fn oversized_archive_entry_is_rejected_by_name() {
    let big = vec![b'#'; (MAX_FILE_BYTES + 1) as usize];
    let tgz = targz(&[("rules/huge.rules", &big)]);
    let msg = format!("{:#}", archive::unpack("http://x/y.tar.gz", &tgz).unwrap_err());
    assert!(msg.contains("MAX_FILE_BYTES") && msg.contains("rules/huge.rules"), "{msg}");
}

#[test]
fn decompression_is_capped() {
    use std::io::Read;
    let mut ok = Vec::new();
    archive::Capped::new(&[7u8; 10][..], 10).read_to_end(&mut ok).unwrap();
    assert_eq!(ok.len(), 10);
    let err = archive::Capped::new(&[7u8; 11][..], 10).read_to_end(&mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("MAX_UNPACKED_BYTES (10 bytes)"), "{err}");
}

#[test]
fn too_many_rejected_rules_refuses_install() {
    let mut f = Fixture::new();
    f.serve(&standard_archive());
    update(&f.opts).unwrap();
    let before = f.installed();

    // 3 good, 2 bad: 40% rejected.
    let text = format!(
        "{}\n{}\n{}\n{}\n{}\n",
        rule(10, 1, "a"),
        rule(11, 1, "b"),
        rule(12, 1, "c"),
        bad_rule(13),
        bad_rule(14)
    );
    f.serve(&targz(&[("rules/mixed.rules", text.as_bytes())]));
    let err = update(&f.opts).unwrap_err();
    let refused = err.downcast_ref::<Refused>().expect("a Refused error");
    assert_eq!((refused.loaded, refused.rejected), (3, 2));
    let msg = err.to_string();
    assert!(msg.contains("2 of 5 enabled rules rejected (40.0%)"), "{msg}");
    assert!(msg.contains("3 rules loaded, 2 rejected"), "{msg}");
    assert!(msg.contains("2  unknown keyword 'no_such_keyword'"), "{msg}");
    assert_eq!(f.installed(), before);

    // A higher threshold accepts it; the rejected rules stay in the file
    // (as suricata-update writes them) and are reported.
    f.opts.max_reject_percent = 50.0;
    let r = update(&f.opts).unwrap();
    assert_eq!((r.loaded, r.rejected), (3, 2));
    assert_eq!(r.reasons, vec![("unknown keyword 'no_such_keyword'".to_string(), 2)]);
}

#[test]
fn nothing_loading_refuses_install() {
    let mut f = Fixture::new();
    f.serve(&targz(&[("rules/bad.rules", bad_rule(1).as_bytes())]));
    f.opts.max_reject_percent = 100.0;
    let err = update(&f.opts).unwrap_err();
    assert!(err.to_string().contains("no rule loads"), "{err}");
    assert!(!f.opts.output.exists());

    // Everything disabled: nothing loads either.
    f.serve(&standard_archive());
    f.opts.disable_conf = Some(f.conf("disable.conf", "*\n"));
    let err = update(&f.opts).unwrap_err();
    assert!(err.to_string().contains("no rule loads"), "{err}");
}

#[test]
fn dry_run_reports_changes_and_installs_nothing() {
    let mut f = Fixture::new();
    f.serve(&standard_archive());
    f.opts.dry_run = true;
    let r = update(&f.opts).unwrap();
    assert!(!r.installed);
    assert!(!f.opts.output.exists());
    assert_eq!(r.diff.added, 5);

    f.opts.dry_run = false;
    update(&f.opts).unwrap();
    let before = f.installed();
    f.opts.dry_run = true;
    f.opts.disable_conf = Some(f.conf("disable.conf", "2000001\n"));
    let r = update(&f.opts).unwrap();
    assert_eq!((r.diff.added, r.diff.removed, r.diff.modified, r.diff.unchanged), (0, 0, 1, 4));
    assert!(r.render().contains("dry run: would install into"));
    assert_eq!(f.installed(), before);
    assert!(!install::prev_path(&f.opts.output).exists());
}

#[test]
fn several_sources_merge_plain_rules_files_and_keep_highest_rev() {
    let mut f = Fixture::new();
    f.serve(&standard_archive());
    let local = format!(
        "{}\n{}\n",
        rule(2000002, 2, "older copy of two"), // rev 2 < 3: dropped
        rule(2000001, 5, "newer copy of one")  // rev 5 > 1: wins
    );
    f.server.set("/local.rules", 200, local.as_bytes());
    // A local file source too, with classification it lacks in the archive.
    let file = f.dir.path().join("site.rules");
    std::fs::write(&file, format!("{}\n", rule(9000001, 1, "site rule"))).unwrap();
    f.opts.sources.push(f.server.url("/local.rules"));
    f.opts.sources.push(format!("file://{}", file.display()));
    let r = update(&f.opts).unwrap();
    assert_eq!(r.sources.len(), 3);
    assert_eq!(r.sources[1].files, 1);
    assert_eq!(r.sources[2].origin, Origin::Local);
    assert_eq!(r.duplicates, 2);
    let text = f.installed();
    assert_eq!(enabled_sids(&text), vec![2000002, 2000101, 2000102, 2000001, 9000001]);
    assert!(text.contains("newer copy of one") && !text.contains("older copy of two"));
    assert!(text.contains(&format!("# source: {}", f.server.url("/local.rules"))));
}

#[test]
fn flowbit_setters_disabled_upstream_are_enabled() {
    let mut set = RuleSet::default();
    set.add_file(
        "#alert tcp any any -> any any (msg:\"setter\"; flowbits:set,ET.foo; flowbits:noalert; sid:1; rev:1;)\n\
         alert tcp any any -> any any (msg:\"checker\"; flowbits:isset,ET.foo; sid:2; rev:1;)\n\
         #alert tcp any any -> any any (msg:\"unrelated\"; flowbits:set,ET.bar; sid:3; rev:1;)\n",
        "f.rules",
        0,
    );
    assert_eq!(set.resolve_flowbits(), 1);
    let en: Vec<_> = set.entries.iter().map(|e| e.enabled).collect();
    assert_eq!(en, vec![true, true, false]);
}

#[test]
fn concurrent_install_is_refused_by_the_lock() {
    let f = Fixture::new();
    f.serve(&standard_archive());
    let parent = f.opts.output.parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&parent).unwrap();
    let lock = std::fs::File::create(parent.join(".rules.lock")).unwrap();
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on our own descriptor.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    let msg = format!("{:#}", update(&f.opts).unwrap_err());
    assert!(msg.contains("another `mirador rules update`"), "{msg}");
    drop(lock);
    update(&f.opts).unwrap();
}

// ---- units ----

#[test]
fn matchers_parse_like_suricata_update() {
    let e = |text: &str, file: &str| rules::parse_entry(text.to_string(), true, file, 0);
    let r = e(&rule(2019401, 2, "ET DOS Foo"), "rules/emerging-dos.rules");
    let m = |s: &str| Matcher::parse(s).unwrap().unwrap_or_else(|| panic!("{s}"));
    assert!(m("2019401").matches(&r));
    assert!(m("1:2019401").matches(&r));
    assert!(m("1:2019401:2").matches(&r));
    assert!(!m("1:2019401:1").matches(&r));
    assert!(!m("3:2019401").matches(&r));
    assert!(m("5, 2019401").matches(&r));
    assert!(m("group:emerging-dos.rules").matches(&r));
    assert!(m("group:emerging-dos").matches(&r));
    assert!(m("group:emerging-d?s*").matches(&r));
    assert!(m("emerging-dos.rules").matches(&r));
    assert!(!m("group:emerging-scan.rules").matches(&r));
    assert!(m("filename:rules/*-dos.rules").matches(&r));
    assert!(!m("filename:emerging-dos.rules").matches(&r));
    assert!(m("re:et dos foo").matches(&r));
    assert!(!m("re:^drop").matches(&r));
    assert!(m("*").matches(&r));
    let with_meta = e(
        "alert tcp any any -> any any (msg:\"x\"; metadata:former_category DOS, signature_severity Major; sid:7;)",
        "a.rules",
    );
    assert!(m("metadata:signature_severity major").matches(&with_meta));
    assert!(!m("metadata:signature_severity minor").matches(&with_meta));
    assert!(Matcher::parse("nonsense").unwrap().is_none());
    assert!(Matcher::parse("re:(unclosed").is_err());
}

#[test]
fn modify_lines_and_replacements() {
    let rw = Rewrite::parse(r#"2019401 "content:\"(\w+)\"" "content:\"\1-x\"""#).unwrap();
    assert_eq!(rw.from.as_str(), r#"content:"(\w+)""#);
    assert_eq!(rw.to, r#"content:"${1}-x""#);
    let rw = Rewrite::parse(r#"modifysid 2019401 "foo" | "bar""#).unwrap();
    assert_eq!(rw.to, "bar");
    assert!(Rewrite::parse("2019401 \"only-two\"").is_err());
    let rw = Rewrite::parse(r#"re:two words "a" "b""#).unwrap();
    assert!(matches!(rw.matcher, Matcher::Re(ref r) if r.as_str() == "two words"));
    assert_eq!(modify::python_repl_to_rust("a$b ${2} \\g<1> \\\\"), "a$$b ${2} ${1} \\");
    assert_eq!(modify::shlex_split(r#"re:x\ y "a \"b\" \d" 'c\d'"#).unwrap(), vec!["re:x y", r#"a "b" \d"#, r"c\d"]);
    assert!(modify::shlex_split("\"open").is_err());
}

#[test]
fn globs() {
    let g = |p: &str, s: &str| Glob::new(p).unwrap().matches(s);
    assert!(g("*deleted.rules", "emerging-deleted.rules"));
    assert!(!g("*deleted.rules", "emerging-deleted.rules.bak"));
    assert!(g("emerging-[a-d]*.rules", "emerging-dos.rules"));
    assert!(!g("emerging-[!a-d]*.rules", "emerging-dos.rules"));
    assert!(g("a.b", "a.b") && !g("a.b", "axb"));
    assert!(Glob::new("[abc").is_err());
}

#[test]
fn rule_lines_and_options() {
    assert_eq!(rules::classify_line("# just a comment"), None);
    assert_eq!(rules::classify_line("#   "), None);
    assert_eq!(rules::classify_line("# alert when things happen"), None);
    let (en, t) = rules::classify_line("## alert tcp any any -> any any (sid:1;)").unwrap();
    assert!(!en);
    assert_eq!(t, "alert tcp any any -> any any (sid:1;)");
    assert_eq!(rules::classify_line("garbage line").unwrap(), (true, "garbage line".into()));
    let e = rules::parse_entry(
        r#"alert http any any -> any any (msg:"a \; sid:9"; content:"x\;y"; gid:3; sid:42; rev:7;)"#.into(),
        true,
        "f",
        0,
    );
    assert_eq!((e.gid, e.sid, e.rev), (3, Some(42), 7));
    assert_eq!(e.msg, r"a \; sid:9");
    let lines = rules::logical_lines("alert tcp any any -> any any (msg:\"a\"; \\\n sid:1;)\n# c \\\nalert x\n");
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], (1, "alert tcp any any -> any any (msg:\"a\";  sid:1;)".to_string()));
    assert_eq!(lines[2].0, 4);
}

#[test]
fn checksum_files_parse() {
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    assert_eq!(Checksum::parse(Algo::Md5, &format!("{md5}\n")).unwrap().hex, md5);
    assert_eq!(Checksum::parse(Algo::Md5, &format!("{}  x.tar.gz", md5.to_uppercase())).unwrap().hex, md5);
    assert!(Checksum::parse(Algo::Md5, "xyz").is_none());
    assert!(Checksum::parse(Algo::Sha256, md5).is_none());
    assert!(Checksum::parse(Algo::Md5, md5).unwrap().matches(b""));
    assert_eq!(fetch::checksum_url("https://h/p/a.tar.gz?k=v", Algo::Md5), "https://h/p/a.tar.gz.md5?k=v");
}

#[test]
fn proxy_from_environment() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    };
    let e = env(&[
        ("HTTPS_PROXY", "http://proxy:3128"),
        ("http_proxy", "http://p2:8080"),
        ("NO_PROXY", "internal.example,.corp"),
    ]);
    assert_eq!(fetch::proxy_setting("https://rules.example/x", &e).as_deref(), Some("http://proxy:3128"));
    assert_eq!(fetch::proxy_setting("http://rules.example/x", &e).as_deref(), Some("http://p2:8080"));
    assert_eq!(fetch::proxy_setting("https://internal.example/x", &e), None);
    assert_eq!(fetch::proxy_setting("https://a.internal.example/x", &e), None);
    assert_eq!(fetch::proxy_setting("https://x.corp:8443/x", &e), None);
    assert_eq!(fetch::proxy_setting("http://127.0.0.1:8080/x", &e), None);
    assert_eq!(fetch::proxy_setting("http://[::1]:8080/x", &e), None);
    assert_eq!(fetch::proxy_setting("http://localhost/x", &e), None);
    let all = env(&[("ALL_PROXY", "http://all:1")]);
    assert_eq!(fetch::proxy_setting("https://h/x", &all).as_deref(), Some("http://all:1"));
    assert_eq!(fetch::proxy_setting("https://h/x", &env(&[])), None);
    assert!(fetch::proxy_for("https://h/x", &e).unwrap().is_some());
}

#[test]
fn plain_and_gzipped_single_files_unpack() {
    let u = archive::unpack("https://h/x/local.rules?token=1", b"alert ip any any -> any any (sid:1;)\n").unwrap();
    assert_eq!(u.rules.len(), 1);
    assert_eq!(u.rules[0].name, "local.rules");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"alert ip any any -> any any (sid:1;)\n").unwrap();
    let u = archive::unpack("https://h/x/a.rules.gz", &gz.finish().unwrap()).unwrap();
    assert_eq!(u.rules[0].name, "a.rules");
    assert!(archive::check_path("rules/../../x").is_err());
    assert!(archive::check_path("C:/x").is_err());
    assert!(archive::check_path("./rules/a..b.rules").is_ok());
}

#[test]
fn args_resolve_defaults() {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct T {
        #[command(flatten)]
        a: UpdateArgs,
    }
    let t = T::try_parse_from(["t", "--cache-dir", "/c"]).unwrap();
    let o = t.a.into_options().unwrap();
    assert_eq!(o.sources, vec![ET_OPEN_URL.to_string()]);
    assert_eq!(o.output, Path::new(DEFAULT_OUTPUT));
    assert_eq!(o.ignore, vec!["*deleted.rules".to_string()]);
    assert_eq!(o.max_reject_percent, 10.0);
    let t =
        T::try_parse_from(["t", "--cache-dir", "/c", "--url", "http://a/b.rules", "--etopen", "--no-ignore"]).unwrap();
    let o = t.a.into_options().unwrap();
    assert_eq!(o.sources, vec!["http://a/b.rules".to_string(), ET_OPEN_URL.to_string()]);
    assert!(o.ignore.is_empty());
    assert!(T::try_parse_from(["t", "--offline", "--force"]).is_err());
    let t = T::try_parse_from(["t", "--cache-dir", "/c", "--max-reject-percent", "101"]).unwrap();
    assert!(t.a.into_options().is_err());
}
