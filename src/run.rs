//! The jobs behind the commands: replay and rules check.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use mirador_engine::analytics::AnalyticsConfig;
use mirador_engine::detect::{Built, Ruleset};
use mirador_engine::flow::ExceptionPolicy;
use mirador_engine::output::enrich::{Enriched, MirrorMap};
use mirador_engine::output::fastlog::FastLog;
use mirador_engine::output::records::EveTypes;
use mirador_engine::output::sinks::{self, Fanout, Spec};
use mirador_engine::output::Sink;
use mirador_engine::parallel;
use mirador_engine::pipeline::{EngineConfig, Stats};
use mirador_engine::rules::ast::Buffer;
use mirador_engine::rules::{Classifications, LoadReport, RuleError, Vars};

use crate::config::SuricataConfig;
use crate::RuleOpts;

/// The bundled ruleset, compiled into the binary so `mirador replay` works
/// from any directory.
const BUNDLED_RULES: &str = include_str!("../rules/mirador.rules");
/// The bundled classification table.
const BUNDLED_CLASSIFICATION: &str = include_str!("../rules/classification.config");

pub struct ReplayJob {
    /// Run behavioural analytics.
    pub behaviour: bool,
    /// Extra EVE sinks (`--eve-sink SPEC`).
    pub eve_sinks: Vec<String>,
    /// Write the inspected (decapsulated) frames here (`--pcap-out`).
    pub pcap_out: Option<PathBuf>,
    /// Start a new `--pcap-out` file at this size (`--pcap-out-limit`).
    pub pcap_out_limit: Option<u64>,
    /// Worker threads (None: all cores).
    pub threads: Option<usize>,
    /// EVE event types (`--eve-types`), None for the default.
    pub eve_types: Option<String>,
    pub rules: RuleOpts,
    pub log_dir: Option<PathBuf>,
    pub eve: Option<String>,
    pub checksums: String,
    pub pcaps: Vec<PathBuf>,
    pub config: Option<SuricataConfig>,
    /// Mirror state file for enrichment (`--mirror-state`, else the
    /// config's `mirror-state:`).
    pub mirror_state: Option<PathBuf>,
    /// Print the human summary on stderr.
    pub summary: bool,
    /// Suricata's IPS engine mode (`--simulate-ips`): some defaults of the
    /// exception policies depend on it, and drop rules' alerts and verdicts
    /// say what an inline engine would have done. mirador drops nothing
    /// either way.
    pub ips: bool,
}

fn parse_var(s: &str) -> Result<(&str, &str)> {
    s.split_once('=').map(|(k, v)| (k.trim(), v.trim())).with_context(|| format!("--var expects NAME=VALUE, got '{s}'"))
}

fn build_vars(cli: &[String], cfg: Option<&SuricataConfig>) -> Result<Vars> {
    let mut vars = Vars::default();
    if let Some(c) = cfg {
        for (is_port, k, v) in c.vars() {
            if is_port {
                vars.set_port(&k, &v);
            } else {
                vars.set_addr(&k, &v);
            }
        }
    }
    for s in cli {
        let (k, v) = parse_var(s)?;
        vars.set(k, v);
    }
    Ok(vars)
}

fn load_classifications(explicit: Option<&Path>, rules: &[PathBuf]) -> Result<Classifications> {
    let candidate = explicit.map(Path::to_path_buf).or_else(|| {
        rules.iter().find_map(|r| {
            let dir = if r.is_dir() { r.clone() } else { r.parent()?.to_path_buf() };
            let p = dir.join("classification.config");
            p.exists().then_some(p)
        })
    });
    let text = match &candidate {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        None => BUNDLED_CLASSIFICATION.to_string(),
    };
    let (c, bad) = Classifications::parse(&text);
    for (line, t) in bad {
        eprintln!("mirador: classification line {line} ignored: {t}");
    }
    Ok(c)
}

pub(crate) fn load_rules(opts: &RuleOpts, cfg: Option<&SuricataConfig>) -> Result<Built> {
    let vars = build_vars(&opts.vars, cfg)?;
    let classes = load_classifications(opts.classification.as_deref(), &opts.rules)?;
    let mut report = LoadReport::default();
    if let Some(names) = cfg.and_then(SuricataConfig::action_order) {
        report.action_order =
            mirador_engine::rules::ast::ActionOrder::parse(&names).map_err(|e| anyhow::anyhow!("action-order: {e}"))?;
    }
    if opts.rules.is_empty() {
        report.add_text(BUNDLED_RULES, Some(Path::new("<bundled>/mirador.rules")));
    }
    for p in &opts.rules {
        report.add_path(p);
    }
    let mut built =
        Ruleset::from_report_in(report, &vars, &classes, opts.data_dir.as_deref().unwrap_or(Path::new(".")));
    if let Some(path) = cfg.and_then(|c| c.get_path("threshold-file")) {
        apply_threshold_file(&mut built.ruleset, &path, &vars);
    }
    Ok(built)
}

/// Reads Suricata's `threshold-file` and attaches its lines to the rules.
/// Like Suricata, a missing file or a bad line is reported and skipped:
/// the rules still load.
fn apply_threshold_file(rules: &mut Ruleset, path: &Path, vars: &mirador_engine::rules::netset::Vars) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("mirador: threshold file {}: {e}; no thresholds applied", path.display());
            return;
        }
    };
    let (lines, errors) = mirador_engine::detect::threshold_file::parse_with(&text, vars);
    for e in errors {
        eprintln!("mirador: threshold file {}: {e}; skipped", path.display());
    }
    rules.apply_threshold_file(&lines);
}

pub(crate) fn print_rejections(errors: &[RuleError], limit: usize) {
    for e in errors.iter().take(limit) {
        eprintln!("mirador: rule rejected: {e}");
    }
    if errors.len() > limit {
        eprintln!("mirador: ... and {} more rejected rules (see `mirador rules check`)", errors.len() - limit);
    }
}

/// The EVE sinks of a run: `--eve PATH|-`, else `-l DIR` (DIR/eve.json),
/// plus every `--eve-sink`; stdout when none is given. File sinks reopen on
/// SIGHUP (logrotate's postrotate).
pub(crate) fn open_sinks(eve: Option<&str>, log_dir: Option<&Path>, extra: &[String]) -> Result<Fanout> {
    let mut fan = Fanout::new();
    match (eve, log_dir) {
        (Some("-"), _) => fan.push_queued(sinks::open_spec(&Spec::stdout())?),
        (Some(e), _) => fan.push_queued(sinks::open_spec(&Spec::file(e))?),
        (None, Some(dir)) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            fan.push_queued(sinks::open_spec(&Spec::file(dir.join("eve.json")))?);
            // Suricata's fast.log beside it.
            let fast = dir.join("fast.log");
            let log = FastLog::open(&fast).with_context(|| format!("opening {}", fast.display()))?;
            fan.push("fast.log", Box::new(log));
        }
        (None, None) => {}
    }
    for spec in extra {
        if spec == "eventbridge" || spec.starts_with("eventbridge:") {
            fan.push(spec.clone(), open_eventbridge(spec)?);
            continue;
        }
        fan.add_spec(spec)?;
    }
    if fan.is_empty() {
        fan.push_queued(sinks::open_spec(&Spec::stdout())?);
    }
    for flag in fan.reopen_flags() {
        signal_hook::flag::register(signal_hook::consts::SIGHUP, flag).context("installing the SIGHUP handler")?;
    }
    Ok(fan)
}

pub fn replay(job: ReplayJob) -> Result<ExitCode> {
    let built = load_rules(&job.rules, job.config.as_ref())?;
    if let Some((p, e)) = built.file_errors.first() {
        anyhow::bail!("cannot read rules {}: {e}", p.display());
    }
    match job.checksums.as_str() {
        "none" | "all" | "auto" => {}
        other => anyhow::bail!("-k takes none or all, not '{other}'"),
    }
    print_rejections(&built.errors, 20);
    let ruleset = built.ruleset;
    let mut sink = open_sinks(job.eve.as_deref(), job.log_dir.as_deref(), &job.eve_sinks)?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).context("installing signal handlers")?;
    }
    let mut cfg = engine_config(job.config.as_ref(), job.ips)?;
    cfg.eve_types = match (&job.eve_types, &job.config) {
        (Some(list), _) => parse_eve_types(list)?,
        (None, Some(c)) => match c.eve_types() {
            Some(names) => {
                let mut t = EveTypes::parse("").0;
                let skipped: Vec<String> = names.into_iter().filter(|n| !t.enable(n)).collect();
                if !skipped.is_empty() {
                    eprintln!("mirador: eve-log types not implemented, ignored: {}", skipped.join(", "));
                }
                t
            }
            None => EveTypes::all(),
        },
        // Suricata's form without -c: its default configuration logs every
        // event type.
        (None, None) if !job.summary => EveTypes::all(),
        (None, None) => EveTypes::default(),
    };
    cfg.eve_types.community_id = job.config.as_ref().and_then(|c| c.community_id());
    cfg.eve_types.ethernet = job.config.as_ref().is_some_and(|c| c.eve_ethernet());
    cfg.tls_log.ja3 = ja3_enabled(
        job.config.as_ref().and_then(|c| c.get_str("app-layer.protocols.tls.ja3-fingerprints")).as_deref(),
        [Buffer::Ja3Hash, Buffer::Ja3String, Buffer::Ja3sHash, Buffer::Ja3sString]
            .into_iter()
            .any(|b| ruleset.uses_buffer(b)),
    );
    if let Some(p) = &job.pcap_out {
        crate::live::pcap_out_files(&job.pcaps, p, job.pcap_out_limit, &stop, job.summary)?;
    }
    if job.behaviour {
        cfg.behaviour = behaviour_config(job.config.as_ref())?;
    }
    let mirror = mirror_map(job.mirror_state.as_deref(), job.config.as_ref())?;
    let mut threads = job.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads > 1 && ruleset.writes_datasets() {
        // Which flow adds an item first would depend on the workers'
        // timing: one worker keeps the alerts reproducible.
        eprintln!("mirador: rules add to or remove from datasets: inspecting with one thread");
        threads = 1;
    }
    // `flow.memcap` bounds all workers' flow tables together.
    if let Some(m) = job.config.as_ref().and_then(|c| c.get_size("flow.memcap")) {
        let per_worker = m / mirador_engine::flow::FLOW_COST_BYTES / threads as u64;
        cfg.max_flows = usize::try_from(per_worker).unwrap_or(usize::MAX).max(MIN_FLOWS_PER_WORKER);
    }
    let mut enriched = Enriched::new(&mut sink, mirror);
    let started = std::time::Instant::now();
    let stats = parallel::replay_files(&ruleset, &cfg, threads, &job.pcaps, &mut enriched, &stop);
    if let Err(errors) = ruleset.save_datasets() {
        for e in errors {
            eprintln!("mirador: {e}");
        }
    }
    if cfg.eve_types.stats {
        let rec = stats.eve_record(started.elapsed().as_secs());
        if let Err(e) = enriched.write_record(&rec) {
            eprintln!("mirador: writing the stats record: {e}");
        }
    }
    // A destination that is down does not fail the run: say what it lost.
    if let Err(e) = sink.flush() {
        eprintln!("mirador: {e}");
    }
    for (name, st) in sink.per_sink_stats() {
        if let Some(st) = st.filter(|st| st.dropped > 0 || st.queued > 0 || st.errors > 0) {
            eprintln!(
                "mirador: eve sink '{name}': {} written, {} dropped, {} not delivered, {} reconnects, {} errors",
                st.written, st.dropped, st.queued, st.reconnects, st.errors
            );
        }
    }
    let stats = &stats;
    for e in &stats.source_errors {
        eprintln!("mirador: {e}");
    }
    let to_stdout = job.eve.as_deref() == Some("-")
        || job.eve_sinks.iter().any(|s| s == "-" || s.starts_with("stdout"))
        || (job.eve.is_none() && job.log_dir.is_none() && job.eve_sinks.is_empty());
    if job.summary && (to_stdout || std::io::IsTerminal::is_terminal(&std::io::stderr())) {
        print_summary(stats, ruleset.len(), built.errors.len());
    }
    let all_failed = !stats.source_errors.is_empty() && stats.packets == 0;
    Ok(if all_failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// A flow table holds at least this many flows whatever `flow.memcap`
/// says: fewer would evict live connections of an ordinary host.
const MIN_FLOWS_PER_WORKER: usize = 1024;

/// The engine settings a configuration file gives (stream, packet-alert-max,
/// defrag, exception policies); the defaults without one. `ips`: Suricata's
/// IPS mode.
pub(crate) fn engine_config(config: Option<&SuricataConfig>, ips: bool) -> Result<EngineConfig> {
    let mut cfg = EngineConfig::default();
    cfg.alert.ips = ips;
    if let Some(c) = config {
        if let Some(m) = c.get_bool("stream.midstream") {
            cfg.midstream = m;
        }
        // host-os-policy: {policy: [networks]}.
        if let Some(m) = c.section_value("host-os-policy").and_then(|v| v.as_mapping()) {
            for (k, v) in m {
                let Some(policy) = k.as_str().and_then(mirador_engine::flow::stream::OverlapPolicy::from_name) else {
                    continue;
                };
                for net in v.as_sequence().into_iter().flatten().filter_map(|n| n.as_str()) {
                    cfg.host_os.add(net, policy);
                }
            }
        }
        if let Some(m) = c.get_bool("stream.async-oneside") {
            cfg.async_oneside = m;
        }
        cfg.alert = c.alert_options();
        cfg.alert.ips = ips;
        cfg.file_store = c.file_store_enabled();
        cfg.http_log = c.http_log();
        // libhtp's default server config (per-server configs are not read).
        let htp = "app-layer.protocols.http.libhtp.default-config";
        if let Some(n) = c.get_size(&format!("{htp}.request-body-limit")) {
            cfg.parsers.http_request_body_limit = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = c.get_size(&format!("{htp}.response-body-limit")) {
            cfg.parsers.http_response_body_limit = usize::try_from(n).unwrap_or(usize::MAX);
        }
        let unknown = c.tls_log(&mut cfg.tls_log);
        if !unknown.is_empty() {
            eprintln!("mirador: tls custom fields not known, ignored: {}", unknown.join(", "));
        }
        // `auto` means inline in IPS mode, which `--simulate-ips` sets.
        if let Some(i) = c.get_str("stream.inline") {
            cfg.stream.inline = matches!(i.as_str(), "yes" | "true" | "1");
        }
        if let Some(d) = c.get_size("stream.reassembly.depth") {
            cfg.stream.depth = d;
        }
        if let Some(p) = c.get_str("stream.reassembly.urgent.policy") {
            cfg.stream.urgent_oob = p == "oob";
        }
        if let Some(m) = c.get_size("stream.reassembly.memcap") {
            cfg.stream_memcap = m;
        }
        if let Some(g) = c.get_str("detect.guess-applayer-tx") {
            cfg.guess_applayer_tx = matches!(g.as_str(), "yes" | "true" | "1" | "on");
        }
        // As Suricata: 0 or more than 255 keeps the default (15).
        if let Some(m) = c.get_size("packet-alert-max").filter(|m| (1..=255).contains(m)) {
            cfg.packet_alert_max = m as usize;
        }
        if let Some(m) = c.get_size("defrag.memcap") {
            cfg.defrag.memcap = usize::try_from(m).unwrap_or(usize::MAX);
        }
        if let Some(t) = c.get_size("defrag.timeout") {
            cfg.defrag.timeout_secs = u32::try_from(t).unwrap_or(u32::MAX);
        }
        if let Some(n) = c.get_size("defrag.trackers") {
            cfg.defrag.max_trains = usize::try_from(n).unwrap_or(usize::MAX);
        }
        // mirador's own key (Suricata takes the policy from host-os-policy).
        if let Some(p) = c.get_str("defrag.policy") {
            cfg.defrag.policy = p.parse().map_err(|e| anyhow::anyhow!("defrag.policy: {e}"))?;
        }
    }
    let (policy, warnings) = midstream_policy(config, cfg.midstream, ips);
    for w in warnings {
        eprintln!("mirador: {w}");
    }
    cfg.midstream_policy = policy;
    Ok(cfg)
}

/// An exception policy setting: `Ok(None)` for `auto`, `Err` with a warning
/// for a value that is none.
fn policy_value(key: &str, value: &str) -> std::result::Result<Option<ExceptionPolicy>, String> {
    match value {
        "auto" => Ok(None),
        v => ExceptionPolicy::from_name(v).map(Some).ok_or_else(|| {
            format!(
                "{key}: '{v}' is not an exception policy (drop-flow, pass-flow, bypass, reject, \
                 drop-packet, pass-packet, ignore or auto): ignored"
            )
        }),
    }
}

/// What `auto` stands for: in IPS mode a flow that cannot be picked up is
/// dropped (fail closed); otherwise nothing is done.
fn auto_policy(midstream: bool, ips: bool) -> ExceptionPolicy {
    if ips && !midstream {
        ExceptionPolicy::DropFlow
    } else {
        ExceptionPolicy::Ignore
    }
}

/// `stream.midstream-policy` as Suricata 7 settles it, with the warnings it
/// gives: the setting itself, else the `exception-policy` master switch,
/// else `auto`. Suricata warns about values that make little sense (a
/// policy other than ignore or pass-flow with `stream.midstream` on, a
/// per-packet one for a whole flow) but applies them, and so does mirador.
/// The master switch's dropping values mean nothing in IDS mode and are
/// ignored there; `reject` drops the flow in IPS mode.
fn midstream_policy(config: Option<&SuricataConfig>, midstream: bool, ips: bool) -> (ExceptionPolicy, Vec<String>) {
    let mut warnings = Vec::new();
    let mut read = |key: &str| {
        let v = config.and_then(|c| c.get_str(key))?;
        Some(policy_value(key, v.trim()).unwrap_or_else(|w| {
            warnings.push(w);
            Some(ExceptionPolicy::Ignore)
        }))
    };
    let own = read("stream.midstream-policy");
    let master = read("exception-policy");
    let policy = match (own, master) {
        (Some(own), _) => {
            let p = own.unwrap_or_else(|| auto_policy(midstream, ips));
            if midstream && own.is_some() && !matches!(p, ExceptionPolicy::Ignore | ExceptionPolicy::PassFlow) {
                warnings.push(format!(
                    "stream.midstream-policy: '{}' is not valid with stream.midstream on (pass-flow or ignore are)",
                    p.name()
                ));
            }
            if matches!(p, ExceptionPolicy::PassPacket | ExceptionPolicy::DropPacket) {
                warnings.push(format!("stream.midstream-policy: '{}' acts on packets, not on flows", p.name()));
            }
            if !ips && p == ExceptionPolicy::DropFlow {
                warnings.push("stream.midstream-policy: 'drop-flow' is not valid in IDS mode".into());
            }
            p
        }
        (None, Some(Some(p)))
            if !ips
                && matches!(p, ExceptionPolicy::DropFlow | ExceptionPolicy::DropPacket | ExceptionPolicy::Reject) =>
        {
            warnings.push(format!("exception-policy: '{}' is not valid in IDS mode: ignored", p.name()));
            ExceptionPolicy::Ignore
        }
        (None, Some(Some(p))) => p,
        (None, Some(None) | None) => auto_policy(midstream, ips),
    };
    let policy = if ips && policy == ExceptionPolicy::Reject { ExceptionPolicy::DropFlow } else { policy };
    (policy, warnings)
}

/// JA3 as Suricata computes it: `ja3-fingerprints: yes|no`, else (`auto`
/// or no setting) when a rule uses a JA3 keyword.
fn ja3_enabled(setting: Option<&str>, rules_use_ja3: bool) -> bool {
    match setting {
        Some("yes" | "true" | "on") => true,
        Some("no" | "false" | "off") => false,
        _ => rules_use_ja3,
    }
}

/// `--eve-types LIST`; an unknown name is an error.
pub(crate) fn parse_eve_types(list: &str) -> Result<EveTypes> {
    let (t, unknown) = EveTypes::parse(list);
    if !unknown.is_empty() {
        anyhow::bail!("--eve-types: unknown or unsupported types: {}", unknown.join(", "));
    }
    Ok(t)
}

/// The EventBridge sink (alerts to AWS for automatic response).
#[cfg(feature = "aws")]
fn open_eventbridge(spec: &str) -> Result<Box<dyn Sink>> {
    crate::eventbridge::open(spec)
}

#[cfg(not(feature = "aws"))]
fn open_eventbridge(spec: &str) -> Result<Box<dyn Sink>> {
    anyhow::bail!("eve sink '{spec}' needs a build with the `aws` feature (cargo install --path . --features aws)")
}

/// The behavioural stage's settings: the config's `behaviour:` section
/// over the defaults; None when it says `enabled: no`.
pub(crate) fn behaviour_config(config: Option<&SuricataConfig>) -> Result<Option<AnalyticsConfig>> {
    let c = match config {
        Some(c) => c.section::<AnalyticsConfig>("behaviour")?.unwrap_or_default(),
        None => AnalyticsConfig::default(),
    };
    Ok(c.enabled.then_some(c))
}

/// The mirror sessions for enrichment: `--mirror-state`, else the config's
/// `mirror-state:`.
/// An empty map (no enrichment) when neither is given.
pub(crate) fn mirror_map(explicit: Option<&Path>, config: Option<&SuricataConfig>) -> Result<MirrorMap> {
    let path = explicit.map(Path::to_path_buf).or_else(|| config.and_then(|c| c.get_path("mirror-state")));
    let Some(path) = path else { return Ok(MirrorMap::default()) };
    let map = MirrorMap::load(&path).with_context(|| format!("mirror state {}", path.display()))?;
    if map.is_empty() {
        eprintln!("mirador: mirror state {} lists no session: nothing to enrich", path.display());
    }
    Ok(map)
}

fn print_summary(s: &Stats, loaded: usize, rejected: usize) {
    let errors: u64 = s.decode_errors.values().sum();
    eprintln!(
        "mirador: {} packets ({} bytes), {} IP, {} tunnelled, {} truncated, {} decode errors; {} flows; {} rules loaded, {} rejected; {} alerts",
        s.packets, s.bytes, s.ip_packets, s.tunnelled, s.truncated, errors, s.flows, loaded, rejected, s.alerts
    );
    for (name, n) in &s.decode_errors {
        eprintln!("  decode error {name}: {n}");
    }
    let d = &s.defrag;
    if d.fragments > 0 {
        eprintln!(
            "  defrag: {} fragments, {} reassembled, {} timeouts, {} evictions, {} overlaps, {} too large, {} invalid",
            d.fragments, d.reassembled, d.timeouts, d.evictions, d.overlaps, d.too_large, d.invalid
        );
    }
    for ((gid, sid), (n, msg)) in &s.by_sig {
        eprintln!("  {n:>6}  [{gid}:{sid}] {msg}");
    }
}

pub fn rules_check(paths: &[PathBuf], vars: &[String], allow_rejects: bool, json: bool) -> Result<ExitCode> {
    let opts = RuleOpts { rules: paths.to_vec(), vars: vars.to_vec(), classification: None, data_dir: None };
    let t0 = std::time::Instant::now();
    let built = load_rules(&opts, None)?;
    let elapsed = t0.elapsed();
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for e in &built.errors {
        *by_reason.entry(e.category()).or_default() += 1;
    }
    let mut reasons: Vec<(String, usize)> = by_reason.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let loaded = built.ruleset.len();
    let rejected = built.errors.len();
    if json {
        let doc = serde_json::json!({
            "loaded": loaded,
            "rejected": rejected,
            "files_unreadable": built.file_errors.iter().map(|(p, e)| serde_json::json!({"file": p, "error": e})).collect::<Vec<_>>(),
            "pcre": {"regex": built.ruleset.stats.pcre_rust, "pcre2": built.ruleset.stats.pcre_pcre2},
            "load_seconds": elapsed.as_secs_f64(),
            "prefilters": built.ruleset.prefilter_sizes().iter().map(|(b, n, bytes)| serde_json::json!({
                "buffer": b, "patterns": n, "bytes": bytes,
            })).collect::<Vec<_>>(),
            "reasons": reasons.iter().map(|(r, n)| serde_json::json!({"reason": r, "count": n})).collect::<Vec<_>>(),
            "rejections": built.errors.iter().map(|e| serde_json::json!({
                "file": e.file, "line": e.line, "column": e.column, "sid": e.sid, "reason": e.reason(),
            })).collect::<Vec<_>>(),
        });
        println!("{doc}");
    } else {
        println!("{loaded} rules loaded, {rejected} rejected");
        println!(
            "pcre: {} by the regex crate, {} by PCRE2; loaded in {:.2} s",
            built.ruleset.stats.pcre_rust,
            built.ruleset.stats.pcre_pcre2,
            elapsed.as_secs_f64()
        );
        for (p, e) in &built.file_errors {
            println!("unreadable: {}: {e}", p.display());
        }
        if !reasons.is_empty() {
            println!("\nrejected, by reason:");
            for (r, n) in &reasons {
                println!("{n:>7}  {r}");
            }
            println!("\nrejected rules:");
            for e in &built.errors {
                println!("{e}");
            }
        }
    }
    let failed = (rejected > 0 && !allow_rejects) || !built.file_errors.is_empty();
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--simulate-ips` reaches the alert options (drop alerts say
    /// `blocked`), with or without a configuration file.
    #[test]
    fn ips_mode_reaches_alert_options() {
        assert!(engine_config(None, true).unwrap().alert.ips);
        assert!(!engine_config(None, false).unwrap().alert.ips);
        let c = SuricataConfig::from_sets(&["stream.midstream=true".into()]).unwrap();
        assert!(engine_config(Some(&c), true).unwrap().alert.ips);
    }

    #[test]
    fn ja3_follows_the_setting_else_the_rules() {
        assert!(ja3_enabled(Some("yes"), false));
        assert!(!ja3_enabled(Some("no"), true));
        assert!(ja3_enabled(Some("auto"), true) && !ja3_enabled(Some("auto"), false));
        assert!(ja3_enabled(None, true) && !ja3_enabled(None, false));
    }

    #[test]
    fn behaviour_settings_come_from_the_config() {
        assert_eq!(behaviour_config(None).unwrap(), Some(AnalyticsConfig::default()));
        let off = SuricataConfig::from_sets(&["behaviour.enabled=no".into()]).unwrap();
        assert_eq!(behaviour_config(Some(&off)).unwrap(), None);
        let tuned =
            SuricataConfig::from_sets(&["behaviour.memcap=1mb".into(), "behaviour.beacon.min-count=5".into()]).unwrap();
        let c = behaviour_config(Some(&tuned)).unwrap().unwrap();
        assert_eq!(c.memcap, 1 << 20);
        assert_eq!(c.beacon.min_count, 5);
        assert_eq!(c.exfil, AnalyticsConfig::default().exfil, "untouched sections keep their defaults");
        let bad = SuricataConfig::from_sets(&["behaviour.no-such-key=1".into()]).unwrap();
        let e = behaviour_config(Some(&bad)).unwrap_err();
        assert!(format!("{e:#}").contains("behaviour"), "{e:#}");
    }

    #[test]
    fn defrag_settings_from_the_config() {
        let c = SuricataConfig::from_sets(&[
            "defrag.memcap=1mb".into(),
            "defrag.timeout=30".into(),
            "defrag.trackers=100".into(),
            "defrag.policy=linux".into(),
        ])
        .unwrap();
        let e = engine_config(Some(&c), false).unwrap();
        assert_eq!(e.defrag.memcap, 1 << 20);
        assert_eq!(e.defrag.timeout_secs, 30);
        assert_eq!(e.defrag.max_trains, 100);
        assert_eq!(e.defrag.policy.name(), "linux");
        let bad = SuricataConfig::from_sets(&["defrag.policy=beos".into()]).unwrap();
        assert!(format!("{:#}", engine_config(Some(&bad), false).unwrap_err()).contains("defrag.policy"));
        assert_eq!(engine_config(None, false).unwrap().defrag, EngineConfig::default().defrag);
    }

    #[test]
    fn midstream_policy_from_the_setting_the_master_switch_and_the_mode() {
        use ExceptionPolicy::*;
        let c =
            |sets: &[&str]| SuricataConfig::from_sets(&sets.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        let p = |sets: &[&str], midstream: bool, ips: bool| midstream_policy(Some(&c(sets)), midstream, ips);
        // auto (or nothing): IDS ignores; IPS drops unless midstream is on.
        assert_eq!(midstream_policy(None, false, false), (Ignore, vec![]));
        assert_eq!(midstream_policy(None, false, true).0, DropFlow);
        assert_eq!(midstream_policy(None, true, true).0, Ignore);
        assert_eq!(p(&["exception-policy=auto"], false, true).0, DropFlow);
        assert_eq!(p(&["stream.midstream-policy=auto"], false, false).0, Ignore);
        // The master switch, also with midstream on.
        assert_eq!(p(&["exception-policy=bypass"], true, false), (Bypass, vec![]));
        assert_eq!(p(&["exception-policy=pass-flow"], false, true).0, PassFlow);
        // Its dropping values mean nothing in IDS mode.
        let (pol, w) = p(&["exception-policy=drop-flow"], false, false);
        assert_eq!((pol, w.len()), (Ignore, 1), "{w:?}");
        assert_eq!(p(&["exception-policy=reject"], false, true).0, DropFlow, "reject drops the flow in IPS mode");
        // The setting wins over the master switch.
        assert_eq!(p(&["exception-policy=bypass", "stream.midstream-policy=ignore"], true, false), (Ignore, vec![]));
        assert_eq!(p(&["exception-policy=ignore", "stream.midstream-policy=pass-flow"], false, false).0, PassFlow);
        assert_eq!(p(&["stream.midstream-policy=reject"], false, false).0, Reject);
        // Doubtful combinations are applied with a warning, as Suricata does.
        let (pol, w) = p(&["stream.midstream-policy=bypass"], true, false);
        assert_eq!((pol, w.len()), (Bypass, 1), "{w:?}");
        let (pol, w) = p(&["stream.midstream-policy=drop-flow"], false, false);
        assert_eq!((pol, w.len()), (DropFlow, 1), "{w:?}");
        let (pol, w) = p(&["stream.midstream-policy=nonsense"], false, false);
        assert_eq!((pol, w.len()), (Ignore, 1), "{w:?}");
        assert!(w[0].contains("nonsense"), "{w:?}");
        assert_eq!(
            engine_config(Some(&c(&["stream.midstream-policy=pass-flow"])), false).unwrap().midstream_policy,
            PassFlow
        );
    }

    #[test]
    fn mirror_state_path_from_the_config() {
        assert!(mirror_map(None, None).unwrap().is_empty());
        let c = SuricataConfig::from_sets(&["mirror-state=/nonexistent/mirror.json".into()]).unwrap();
        let e = mirror_map(None, Some(&c)).unwrap_err();
        assert!(format!("{e:#}").contains("/nonexistent/mirror.json"), "{e:#}");
    }
}
