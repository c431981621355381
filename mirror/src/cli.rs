//! Command-line arguments of `mirador mirror` (clap derive).

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `mirador mirror`: provision, inspect, change and tear down AWS Traffic
/// Mirroring for a sensor.
///
/// Two ways to wire it into a CLI: as a whole (`Mirror(MirrorArgs)` in the
/// top-level command enum, then [`crate::run`]), or its subcommands flattened
/// into an existing `mirror` enum (`#[command(flatten)] Aws(MirrorCmd)`, then
/// [`crate::run_cmd`]). Each subcommand carries its own [`AwsOpts`].
#[derive(Args, Debug, Clone)]
pub struct MirrorArgs {
    /// What to do.
    #[command(subcommand)]
    pub cmd: MirrorCmd,
}

/// Where and as whom to call AWS. Credentials come from the standard chain
/// (environment, profile, SSO, process, instance role).
#[derive(Args, Debug, Clone, Default)]
pub struct AwsOpts {
    /// AWS region (default: AWS_REGION or the profile's region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Named profile from ~/.aws/config (default: AWS_PROFILE or "default").
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// EC2 endpoint URL (default: AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EC2, else AWS's).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// The `mirror` subcommands.
#[derive(Subcommand, Debug, Clone)]
pub enum MirrorCmd {
    /// Print what `up` would create, modify, keep or delete; change nothing.
    Plan(Box<PlanArgs>),
    /// Create or update the mirror setup (idempotent: a second run changes nothing).
    Up(Box<UpArgs>),
    /// Show what exists for a setup, and drift against its state file.
    Status(Box<StatusArgs>),
    /// Change what a running setup mirrors (add or remove a rule, or apply a preset).
    Filter(Box<FilterArgs>),
    /// Delete the setup's sessions, target and filter (only resources tagged with its name).
    Down(Box<DownArgs>),
}

impl MirrorCmd {
    /// The AWS options given to the subcommand.
    pub fn aws(&self) -> &AwsOpts {
        match self {
            MirrorCmd::Plan(a) => &a.setup.aws,
            MirrorCmd::Up(a) => &a.setup.aws,
            MirrorCmd::Status(a) => &a.aws,
            MirrorCmd::Filter(a) => &a.aws,
            MirrorCmd::Down(a) => &a.aws,
        }
    }
}

/// What describes a setup (shared by `plan` and `up`).
#[derive(Args, Debug, Clone)]
pub struct SetupArgs {
    /// Setup name: the value of the `mirador:name` tag on everything created.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Sources to mirror: instance ids (primary ENI) or ENI ids, comma-separated.
    #[arg(long, value_name = "i-…|eni-…[,…]", required = true)]
    pub source: Vec<String>,
    /// Mirror target: an instance (its primary ENI), an ENI, an NLB ARN, or a GWLB endpoint (vpce-…).
    #[arg(long, value_name = "i-…|eni-…|arn:…:loadbalancer/net/…|vpce-…")]
    pub target: String,
    /// Filter: a preset (all, tcp, web, dns, no-ssm) or a TOML/JSON rules file.
    /// Omitted: a new filter gets `all`; an existing filter's rules are kept.
    #[arg(long, value_name = "PRESET|FILE")]
    pub filter: Option<String>,
    /// VXLAN network identifier for the sessions (default: AWS picks one per session).
    #[arg(long, value_name = "N")]
    pub vni: Option<u32>,
    /// Bytes of each packet to mirror, or `full` (default: whole packets).
    #[arg(long, value_name = "N|full")]
    pub packet_length: Option<String>,
    /// Session number on each source ENI (default: lowest free).
    #[arg(long, value_name = "N")]
    pub session_number: Option<u16>,
    /// Also mirror traffic to and from the Amazon-provided DNS resolver.
    #[arg(long, conflicts_with = "no_amazon_dns")]
    pub amazon_dns: bool,
    /// Stop mirroring Amazon DNS traffic.
    #[arg(long)]
    pub no_amazon_dns: bool,
    /// Mirror every ENI of each source instance, not only the primary one.
    #[arg(long)]
    pub all_enis: bool,
    /// State file (default: ./mirador-mirror-NAME.json).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// AWS connection options.
    #[command(flatten)]
    pub aws: AwsOpts,
}

/// `mirror plan`.
#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    /// The setup.
    #[command(flatten)]
    pub setup: SetupArgs,
    /// Also write the equivalent Terraform configuration into DIR.
    #[arg(long, value_name = "DIR")]
    pub terraform: Option<PathBuf>,
    /// Print the plan as one JSON document.
    #[arg(long)]
    pub json: bool,
}

/// `mirror up`.
#[derive(Args, Debug, Clone)]
pub struct UpArgs {
    /// The setup.
    #[command(flatten)]
    pub setup: SetupArgs,
    /// Check permissions with EC2's DryRun for every call the plan needs; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `mirror status`.
#[derive(Args, Debug, Clone)]
pub struct StatusArgs {
    /// Setup name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Print exactly one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// State file to compare with (default: ./mirador-mirror-NAME.json).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// AWS connection options.
    #[command(flatten)]
    pub aws: AwsOpts,
}

/// `mirror filter`.
#[derive(Args, Debug, Clone)]
#[command(group(clap::ArgGroup::new("change").required(true).args(["add", "remove", "preset"])))]
pub struct FilterArgs {
    /// Setup name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Add a rule, e.g. "ingress 50 reject tcp dport=22" or
    /// "dir=egress,num=60,proto=udp,dst=10.0.0.0/8,dport=53".
    #[arg(long, value_name = "RULE")]
    pub add: Option<String>,
    /// Remove the rule with this number (prefix ingress: or egress: if both directions have it).
    #[arg(long, value_name = "[DIRECTION:]NUMBER")]
    pub remove: Option<String>,
    /// Replace all rules with a preset or a rules file.
    #[arg(long, value_name = "PRESET|FILE")]
    pub preset: Option<String>,
    /// Also mirror Amazon DNS traffic.
    #[arg(long, conflicts_with = "no_amazon_dns")]
    pub amazon_dns: bool,
    /// Stop mirroring Amazon DNS traffic.
    #[arg(long)]
    pub no_amazon_dns: bool,
    /// State file to update (default: ./mirador-mirror-NAME.json).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// AWS connection options.
    #[command(flatten)]
    pub aws: AwsOpts,
}

/// `mirror down`.
#[derive(Args, Debug, Clone)]
pub struct DownArgs {
    /// Setup name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// State file to update (default: ./mirador-mirror-NAME.json).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// AWS connection options.
    #[command(flatten)]
    pub aws: AwsOpts,
}

/// `--amazon-dns` / `--no-amazon-dns` as a tri-state.
pub fn dns_flag(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

/// Checks a setup name: 1 to 64 characters of `[A-Za-z0-9._-]`, starting with
/// a letter or digit (it becomes a tag value, a file name and a Terraform id).
///
/// # Errors
/// A message saying what is allowed.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!("--name '{name}': use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Top {
        #[command(subcommand)]
        cmd: Top2,
    }
    #[derive(clap::Subcommand)]
    enum Top2 {
        Mirror(MirrorArgs),
    }

    fn parse(args: &[&str]) -> Result<MirrorArgs, clap::Error> {
        let mut v = vec!["mirador", "mirror"];
        v.extend_from_slice(args);
        Top::try_parse_from(v).map(|t| match t.cmd {
            Top2::Mirror(m) => m,
        })
    }

    #[test]
    fn parses_as_a_subcommand_of_the_cli() {
        let m = parse(&[
            "up",
            "--name",
            "w",
            "--source",
            "i-1,eni-2",
            "--target",
            "i-9",
            "--vni",
            "7",
            "--region",
            "eu-west-1",
        ])
        .unwrap();
        assert_eq!(m.cmd.aws().region.as_deref(), Some("eu-west-1"));
        match m.cmd {
            MirrorCmd::Up(u) => {
                assert_eq!(u.setup.source, ["i-1,eni-2"]);
                assert_eq!(u.setup.vni, Some(7));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["filter", "--name", "w"]).is_err(), "one change is required");
        assert!(parse(&["filter", "--name", "w", "--add", "ingress 1", "--remove", "1"]).is_err());
        assert!(parse(&["status", "--name", "w", "--json"]).is_ok());
        assert!(parse(&[
            "plan",
            "--name",
            "w",
            "--source",
            "i-1",
            "--target",
            "i-2",
            "--amazon-dns",
            "--no-amazon-dns"
        ])
        .is_err());
    }

    /// The other wiring: flattened into a CLI's own `mirror` enum beside
    /// other subcommands (such as `verify`).
    #[test]
    fn flattens_into_an_existing_mirror_enum() {
        #[derive(Parser)]
        struct Cli {
            #[command(subcommand)]
            cmd: Cmd,
        }
        #[derive(clap::Subcommand)]
        enum Cmd {
            #[command(subcommand)]
            Mirror(Local),
        }
        #[derive(clap::Subcommand)]
        enum Local {
            Verify {
                #[arg(short = 'i')]
                interface: String,
            },
            #[command(flatten)]
            Aws(MirrorCmd),
        }
        assert!(std::mem::size_of::<MirrorCmd>() <= 16, "variants are boxed, so CLIs embedding this stay small");
        let c = Cli::try_parse_from(["mirador", "mirror", "down", "--name", "w", "--profile", "p"]).unwrap();
        let Cmd::Mirror(Local::Aws(cmd)) = c.cmd else { panic!("not flattened") };
        assert_eq!(cmd.aws().profile.as_deref(), Some("p"));
        let c = Cli::try_parse_from(["mirador", "mirror", "verify", "-i", "eth0"]).unwrap();
        assert!(matches!(c.cmd, Cmd::Mirror(Local::Verify { .. })));
    }

    #[test]
    fn names() {
        assert!(check_name("web-prod.1").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("-x").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }
}
