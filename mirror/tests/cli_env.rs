//! `mirador_mirror::run` as the CLI calls it: the standard AWS chain reads
//! credentials, region and `AWS_ENDPOINT_URL` from the environment. This
//! binary holds a single test because it changes process environment
//! variables (nothing else runs concurrently here).

mod support;

use std::process::ExitCode;

use clap::Parser;
use mirador_mirror::{load_state, run, MirrorArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    m: MirrorArgs,
}

fn args(v: &[&str]) -> MirrorArgs {
    let mut all = vec!["mirror"];
    all.extend_from_slice(v);
    Cli::try_parse_from(all).unwrap().m
}

#[test]
fn run_reads_the_standard_environment() {
    let Some(m) = support::moto() else { return };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let inst = rt.block_on(m.launch(2, "m5.large"));
    drop(rt);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("env.json");
    let st = state.to_str().unwrap();
    // Nothing from the developer's own AWS setup may leak in, nor IMDS be probed.
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", m.endpoint.as_str()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_MAX_ATTEMPTS", "1"),
    ] {
        std::env::set_var(k, v);
    }
    for k in ["AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_EC2"] {
        std::env::remove_var(k);
    }
    let code =
        run(args(&["up", "--name", "env", "--source", &inst[0].0, "--target", &inst[1].0, "--state", st])).unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(load_state(&state).unwrap().sessions.len(), 1);
    let code = run(args(&["down", "--name", "env", "--state", st])).unwrap();
    assert_eq!(code, ExitCode::SUCCESS);

    // --region wins over the environment; a missing region is explained.
    std::env::remove_var("AWS_REGION");
    let e = run(args(&["status", "--name", "env", "--state", st])).unwrap_err().to_string();
    assert!(e.contains("no AWS region") && e.contains("--region"), "{e}");
    assert_eq!(
        run(args(&["status", "--name", "env", "--region", "us-east-1", "--state", st])).unwrap(),
        ExitCode::SUCCESS
    );

    // No credentials anywhere: say how to provide them.
    std::env::remove_var("AWS_ACCESS_KEY_ID");
    std::env::remove_var("AWS_SECRET_ACCESS_KEY");
    let e = run(args(&["status", "--name", "env", "--region", "us-east-1", "--state", st])).unwrap_err().to_string();
    assert!(e.contains("no AWS credentials") && e.contains("--profile"), "{e}");
    drop(m);
}
