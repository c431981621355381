//! `mirador mirror`: provision, inspect, change and tear down AWS Traffic
//! Mirroring for a mirador sensor.
//!
//! One command replaces the console routine (find the source ENI, create a
//! target, a filter and its rules, a session; later narrow the filter; tear
//! it all down):
//!
//! - `plan` prints what `up` would create, modify, keep or delete, and can
//!   write the equivalent Terraform;
//! - `up` applies it idempotently: resources carry the tags
//!   `mirador:name=NAME` and `mirador:role=…` and are created with
//!   deterministic ClientTokens, so a second `up` with the same arguments
//!   makes no call that changes anything; a changed argument modifies
//!   sessions and rules in place;
//! - `status` shows what exists and the drift against the state file;
//! - `filter` changes the rules of a running setup;
//! - `down` deletes sessions, then targets, then filters, and only what is
//!   tagged with the name.
//!
//! `up` writes a state file ([`MirrorState`], see [`state`]) that the engine
//! loads with [`load_state`] to put the source instance on alerts.
//!
//! Layering: [`plan`] is pure (unit-tested without the SDK); [`ec2`] makes
//! the calls; [`commands`] ties them together and prints. Credentials and
//! region come from the standard AWS chain; `--region`, `--profile`,
//! `--endpoint-url` and `AWS_ENDPOINT_URL` are honoured.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod cli;
pub mod commands;
pub mod ec2;
pub mod errors;
pub mod eventbridge;
pub mod filter;
pub mod model;
pub mod plan;
pub mod state;
pub mod terraform;

use std::process::ExitCode;

pub use cli::{AwsOpts, MirrorArgs, MirrorCmd};
pub use state::{load_state, MirrorState, StateFilter, StateSession, StateTarget};

/// Attempts per call (first try + retries) for throttling and transient
/// errors; the SDK's standard strategy backs off exponentially with jitter.
pub const MAX_ATTEMPTS: u32 = 5;

/// Builds an EC2 client from the standard AWS configuration chain plus the
/// command-line overrides.
///
/// # Errors
/// No region could be determined.
pub async fn connect(aws: &AwsOpts) -> anyhow::Result<aws_sdk_ec2::Client> {
    let conf = sdk_config(aws, MAX_ATTEMPTS).await?;
    Ok(aws_sdk_ec2::Client::new(&conf))
}

/// Loads the standard AWS configuration chain (environment, profile, SSO,
/// process, instance role; `AWS_ENDPOINT_URL`) with the overrides of
/// `aws` (`--region`, `--profile`, `--endpoint-url`) and the standard retry
/// strategy limited to `max_attempts` attempts per call.
///
/// # Errors
/// No region could be determined.
pub async fn sdk_config(aws: &AwsOpts, max_attempts: u32) -> anyhow::Result<aws_config::SdkConfig> {
    use aws_config::retry::RetryConfig;
    use aws_config::{BehaviorVersion, Region};
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(max_attempts));
    if let Some(r) = &aws.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(p) = &aws.profile {
        loader = loader.profile_name(p);
    }
    if let Some(u) = &aws.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    let conf = loader.load().await;
    if conf.region().is_none() {
        anyhow::bail!("no AWS region: pass --region, set AWS_REGION, or set a region in the profile");
    }
    Ok(conf)
}

/// Runs a `mirador mirror` command: builds a single-threaded tokio runtime,
/// connects, executes, and prints to stdout (logs and warnings to stderr).
///
/// # Errors
/// Anything that stops the command; the message says what to do.
pub fn run(args: MirrorArgs) -> anyhow::Result<ExitCode> {
    run_cmd(args.cmd)
}

/// [`run`] for a bare subcommand (when the CLI flattens [`MirrorCmd`] into
/// its own `mirror` enum).
///
/// # Errors
/// As [`run`].
pub fn run_cmd(cmd: MirrorCmd) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let client = connect(cmd.aws()).await?;
        let ec2 = ec2::Ec2::new(client);
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        commands::execute(&cmd, &ec2, &mut out).await
    })
}
