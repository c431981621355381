//! mirador: the command line. Parses arguments, builds the engine, picks a
//! source and sinks. Everything else lives in the `mirador-engine` crate.

mod config;
#[cfg(feature = "aws")]
mod eventbridge;
mod live;
mod run;
mod update;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Rule-based network intrusion detection for mirrored cloud traffic.
///
/// Without a subcommand, mirador accepts Suricata's offline form:
/// `mirador [-c suricata.yaml] [-k none|all] [--set k=v]... -r PCAP -S RULES -l DIR`.
#[derive(Parser, Debug)]
#[command(name = "mirador", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    compat: SuricataArgs,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Replay capture files through the rules and write EVE alerts.
    Replay(ReplayArgs),
    /// Rule tools.
    #[command(subcommand)]
    Rules(RulesCmd),
    /// Capture live from interfaces: the sensor on a mirror target.
    Live(live::LiveArgs),
    /// Traffic Mirroring tools.
    #[command(subcommand)]
    Mirror(MirrorCmd),
}

#[derive(Subcommand, Debug)]
enum MirrorCmd {
    /// Report what the mirror delivers, per VNI, without rules.
    Verify(verify::VerifyArgs),
    /// Provision, inspect, change and tear down AWS Traffic Mirroring.
    #[cfg(feature = "aws")]
    #[command(flatten)]
    Aws(mirador_mirror::MirrorCmd),
    /// plan, up, status, filter, down: need a build with `--features aws`.
    #[cfg(not(feature = "aws"))]
    #[command(external_subcommand)]
    Aws(Vec<String>),
}

#[derive(Subcommand, Debug)]
enum RulesCmd {
    /// Load rules and report what loads and what is rejected, and why.
    Check(CheckArgs),
    /// Download, verify, merge and install rules (as suricata-update does).
    Update(update::UpdateArgs),
}

/// Options shared by everything that loads rules.
#[derive(Args, Debug, Clone, Default)]
pub struct RuleOpts {
    /// Rules file or directory of *.rules (repeatable). Default: the bundled rules.
    #[arg(short = 'S', long = "rules", value_name = "RULES")]
    pub rules: Vec<PathBuf>,
    /// Set a variable, e.g. HOME_NET=[10.0.0.0/8] or HTTP_PORTS=80 (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// classification.config to use (default: next to the rules, else the bundled one).
    #[arg(long, value_name = "FILE")]
    pub classification: Option<PathBuf>,
    /// Folder of dataset `state` and `save` files (default: the current one).
    #[arg(long = "data-dir", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ReplayArgs {
    #[command(flatten)]
    rules: RuleOpts,
    /// Write DIR/eve.json (as Suricata's -l).
    #[arg(short = 'l', long = "log-dir", value_name = "DIR")]
    log_dir: Option<PathBuf>,
    /// Write EVE to PATH, or to stdout with '-'.
    #[arg(long, value_name = "PATH|-")]
    eve: Option<String>,
    /// Checksum validation: none (default; mirrors and offload break checksums) or all.
    #[arg(short = 'k', value_name = "none|all", default_value = "none")]
    checksums: String,
    /// Turn off behavioural detection (beaconing, exfiltration, DNS tunnelling; gid 9000).
    #[arg(long = "no-behaviour")]
    no_behaviour: bool,
    /// Worker threads (default: all cores). The alerts do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// EVE event types to write, comma-separated: alert,flow,http,dns,tls,anomaly,stats (default: alert);
    /// anomaly.decode or anomaly.applayer name one kind of anomaly.
    #[arg(long = "eve-types", value_name = "LIST")]
    eve_types: Option<String>,
    /// Also write EVE to this sink (repeatable): -, file:PATH[?rotate=100MB], unix-stream:PATH,
    /// unix-dgram:PATH, syslog:unix:/dev/log, syslog:udp:HOST:PORT, syslog:tcp:HOST:PORT,
    /// redis://HOST:PORT/list/KEY, redis://HOST:PORT/channel/NAME, and with the `aws` feature
    /// eventbridge:[BUS][?min-severity=N] (alerts to EventBridge). File sinks reopen on SIGHUP.
    #[arg(long = "eve-sink", value_name = "SPEC")]
    eve_sinks: Vec<String>,
    /// Write the inspected (decapsulated) frames to this pcap file.
    #[arg(long, value_name = "FILE")]
    pcap_out: Option<PathBuf>,
    /// Start a new --pcap-out file when the current one reaches SIZE (e.g. 1GiB).
    #[arg(long, value_name = "SIZE", value_parser = live::parse_size)]
    pcap_out_limit: Option<u64>,
    /// Configuration file (suricata.yaml or mirador.yaml): variables, stream
    /// settings, eve-log types, `behaviour:` thresholds, `mirror-state:`.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Mirror state file from `mirador mirror up` (or a hand-written
    /// mapping): records from a known VNI carry `mirror.source_instance`.
    #[arg(long = "mirror-state", value_name = "FILE")]
    mirror_state: Option<PathBuf>,
    /// Capture files (.pcap or .pcapng), processed in order.
    #[arg(required = true, value_name = "PCAP")]
    pcaps: Vec<PathBuf>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Exit 0 even when some rules are rejected.
    #[arg(long)]
    allow_rejects: bool,
    /// Print the report as one JSON document.
    #[arg(long)]
    json: bool,
    /// Set a variable (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Rule files or directories.
    #[arg(required = true, value_name = "RULES")]
    rules: Vec<PathBuf>,
}

/// Suricata's offline command-line form.
#[derive(Args, Debug, Default)]
struct SuricataArgs {
    /// Suricata configuration file (variables and the settings mirador implements are read).
    #[arg(short = 'c', value_name = "suricata.yaml")]
    config: Option<PathBuf>,
    /// Capture file to read.
    #[arg(short = 'r', value_name = "PCAP")]
    read: Vec<PathBuf>,
    /// Rules file (exclusive: replaces the config's rule-files).
    #[arg(short = 'S', value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// Output directory for eve.json.
    #[arg(short = 'l', value_name = "DIR")]
    log_dir: Option<PathBuf>,
    /// Checksum validation: none or all.
    #[arg(short = 'k', value_name = "none|all")]
    checksums: Option<String>,
    /// Override a configuration value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Suricata run mode (accepted; mirador picks its own).
    #[arg(long)]
    runmode: Option<String>,
    /// Verbose (accepted; repeatable).
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    verbose: u8,
    /// Directory for datasets state (accepted; datasets are not implemented yet).
    #[arg(long = "data-dir", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// IPS simulation: inline stream reassembly (data inspected as it
    /// arrives); mirador drops nothing, actions are logged as Suricata logs them.
    /// Repeatable, as Suricata accepts it.
    #[arg(long, action = clap::ArgAction::Count)]
    simulate_ips: u8,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Some(Cmd::Replay(a)) => replay(a),
        Some(Cmd::Rules(RulesCmd::Check(a))) => run::rules_check(&a.rules, &a.vars, a.allow_rejects, a.json),
        Some(Cmd::Rules(RulesCmd::Update(a))) => update::run(a),
        Some(Cmd::Live(a)) => live::run(a),
        Some(Cmd::Mirror(MirrorCmd::Verify(a))) => verify::run(a),
        #[cfg(feature = "aws")]
        Some(Cmd::Mirror(MirrorCmd::Aws(c))) => mirador_mirror::run_cmd(c),
        #[cfg(not(feature = "aws"))]
        Some(Cmd::Mirror(MirrorCmd::Aws(args))) => Err(anyhow::anyhow!(
            "`mirador mirror {}` needs the AWS SDK: this build has no `aws` feature \
             (cargo install --path . --features aws)",
            args.first().map_or("", String::as_str)
        )),
        None => suricata_compat(cli.compat),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mirador: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn replay(a: ReplayArgs) -> anyhow::Result<ExitCode> {
    let config = a.config.as_deref().map(|p| config::SuricataConfig::load(p, &[])).transpose()?;
    if let Some(c) = &config {
        c.report_ignored();
    }
    run::replay(run::ReplayJob {
        behaviour: !a.no_behaviour,
        threads: a.threads,
        pcap_out: a.pcap_out,
        pcap_out_limit: a.pcap_out_limit,
        eve_sinks: a.eve_sinks,
        eve_types: a.eve_types,
        rules: a.rules,
        log_dir: a.log_dir,
        eve: a.eve,
        checksums: a.checksums,
        pcaps: a.pcaps,
        mirror_state: a.mirror_state,
        config,
        summary: true,
        ips: false,
    })
}

fn suricata_compat(a: SuricataArgs) -> anyhow::Result<ExitCode> {
    if a.read.is_empty() {
        anyhow::bail!("nothing to do: give a subcommand (see --help) or Suricata's -r PCAP form");
    }
    let mut sets = a.set.clone();
    if a.simulate_ips > 0 {
        // IPS mode: Suricata's `stream.inline: auto` becomes inline.
        sets.insert(0, "stream.inline=yes".into());
    }
    let cfg = match &a.config {
        Some(p) => Some(config::SuricataConfig::load(p, &sets)?),
        None if !sets.is_empty() => Some(config::SuricataConfig::from_sets(&sets)?),
        None => None,
    };
    // Dataset files: --data-dir, else beside the logs (Suricata's default,
    // /var/lib/suricata/data, is no place for a replay's files).
    let data_dir = a.data_dir.clone().or_else(|| a.log_dir.clone());
    let mut rules = RuleOpts { rules: a.rules.clone(), vars: Vec::new(), classification: None, data_dir };
    if let Some(c) = &cfg {
        c.report_ignored();
        rules.classification = c.classification_file();
        if rules.rules.is_empty() {
            rules.rules = c.rule_files();
        }
    }
    if rules.rules.is_empty() {
        anyhow::bail!("no rules: give -S RULES or rule-files in the configuration");
    }
    let _ = (a.runmode, a.verbose);
    run::replay(run::ReplayJob {
        behaviour: false,
        threads: None,
        pcap_out: None,
        pcap_out_limit: None,
        eve_sinks: Vec::new(),
        eve_types: None,
        rules,
        log_dir: a.log_dir.or_else(|| Some(PathBuf::from("."))),
        eve: None,
        checksums: a.checksums.unwrap_or_else(|| "none".into()),
        pcaps: a.read,
        mirror_state: None,
        config: cfg,
        summary: false,
        ips: a.simulate_ips > 0,
    })
}
