//! End to end: `mirador mirror` against a real local EC2 API (moto server
//! with the traffic-mirror extension in `tests/moto_ext/`), over HTTP with
//! the real SDK. Skipped with a message when moto is not installed, unless
//! MIRADOR_REQUIRE_MOTO=1.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use mirador_mirror::ec2::Ec2;
use mirador_mirror::load_state;
use mirador_mirror::model::{Observed, TAG_NAME};
use support::{mirror, moto, Moto};

macro_rules! need_moto {
    () => {
        match moto() {
            Some(m) => m,
            None => return,
        }
    };
}

async fn observe(m: &Moto) -> Observed {
    Ec2::new(m.client()).observe().await.unwrap()
}

fn tagged(obs: &Observed) -> usize {
    let has = |t: &BTreeMap<String, String>| t.contains_key(TAG_NAME);
    obs.targets.iter().filter(|x| has(&x.tags)).count()
        + obs.filters.iter().filter(|x| has(&x.tags)).count()
        + obs.sessions.iter().filter(|x| has(&x.tags)).count()
}

fn ids(obs: &Observed) -> Vec<String> {
    let mut v: Vec<String> = obs
        .targets
        .iter()
        .map(|t| t.id.clone())
        .chain(
            obs.filters.iter().flat_map(|f| std::iter::once(f.id.clone()).chain(f.rules.iter().map(|r| r.id.clone()))),
        )
        .chain(obs.sessions.iter().map(|s| format!("{}:{:?}:{}", s.id, s.vni, s.number)))
        .collect();
    v.sort();
    v
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Untagged target, filter and session that mirador must never touch.
async fn untagged_setup(m: &Moto, source_eni: &str, target_eni: &str) -> (String, String, String) {
    let c = m.client();
    let other_tag = TagSpecification::builder()
        .resource_type(ResourceType::TrafficMirrorTarget)
        .tags(Tag::builder().key("team").value("netops").build())
        .build();
    let t = c
        .create_traffic_mirror_target()
        .network_interface_id(target_eni)
        .tag_specifications(other_tag)
        .send()
        .await
        .unwrap();
    let t = t.traffic_mirror_target().unwrap().traffic_mirror_target_id().unwrap().to_string();
    let f = c.create_traffic_mirror_filter().description("hand-made").send().await.unwrap();
    let f = f.traffic_mirror_filter().unwrap().traffic_mirror_filter_id().unwrap().to_string();
    let s = c
        .create_traffic_mirror_session()
        .network_interface_id(source_eni)
        .traffic_mirror_target_id(&t)
        .traffic_mirror_filter_id(&f)
        .session_number(1)
        .send()
        .await
        .unwrap();
    let s = s.traffic_mirror_session().unwrap().traffic_mirror_session_id().unwrap().to_string();
    (t, f, s)
}

/// Acceptance 1 and 3: up -> status -> filter -> up (no-op) -> down, with
/// untagged resources in the same account that survive.
#[tokio::test]
async fn full_cycle_up_status_filter_up_down() {
    let m = need_moto!();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("cycle.json");
    let st = path_str(&state);
    let inst = m.launch(4, "m5.large").await;
    let (web1, web2, sensor, other) = (&inst[0], &inst[1], &inst[2], &inst[3]);
    let (ut, uf, us) = untagged_setup(&m, &web2.1, &other.1).await;
    let sources = format!("{},{}", web1.0, web2.0);
    let up_args =
        ["up", "--name", "cycle", "--source", &sources, "--target", &sensor.0, "--vni", "4242", "--state", st];

    // up
    let r = mirror(&m, &up_args).await.unwrap();
    assert_eq!(r.code, ExitCode::SUCCESS);
    assert!(r.out.contains("create  target"), "{}", r.out);
    assert!(r.out.contains("capture filter for the target: udp dst port 4789"), "{}", r.out);
    let obs = observe(&m).await;
    let ours: Vec<_> = obs.our_sessions("cycle").collect();
    assert_eq!(ours.len(), 2);
    assert!(ours.iter().all(|s| s.vni == Some(4242)));
    let on_web2 = ours.iter().find(|s| s.eni == web2.1).unwrap();
    assert_eq!(on_web2.number, 2, "web2's session number 1 is taken by the untagged session");
    assert_eq!(obs.our_filters("cycle").next().unwrap().rules.len(), 4);
    let target = obs.our_targets("cycle").next().unwrap();
    assert_eq!(target.spec.as_ref().unwrap().resource, sensor.1, "instance target -> its primary ENI");

    // The state file (acceptance 5): name, sessions with VNI, ENI, instance, target, filter.
    let s = load_state(&state).unwrap();
    assert_eq!(s.name, "cycle");
    assert_eq!(s.sessions.len(), 2);
    let s1 = s.sessions.iter().find(|x| x.source_eni == web1.1).unwrap();
    assert_eq!(s1.instance_id.as_deref(), Some(web1.0.as_str()));
    assert_eq!(s1.vni, Some(4242));
    let ip = s1.source_ip.expect("source ip recorded");
    assert_eq!(s.session_for(Some(4242), Some(ip)).unwrap().instance_id.as_deref(), Some(web1.0.as_str()));
    assert_eq!(s.target.as_ref().unwrap().instance_id.as_deref(), Some(sensor.0.as_str()));
    assert_eq!(s.filter.as_ref().unwrap().rules.len(), 4);

    // status --json: exactly one JSON document, no drift.
    let r = mirror(&m, &["status", "--name", "cycle", "--json", "--state", st]).await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(r.out.trim()).expect("one JSON document");
    assert_eq!(doc["exists"], true);
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(doc["drift"].as_array().unwrap().len(), 0);
    assert_eq!(doc["filters"][0]["rules"].as_array().unwrap().len(), 4);

    // filter: narrow to web, add a reject rule, remove it again.
    let r = mirror(&m, &["filter", "--name", "cycle", "--preset", "web", "--state", st]).await.unwrap();
    assert!(r.out.contains("modify  rule"), "{}", r.out);
    assert_eq!(observe(&m).await.our_filters("cycle").next().unwrap().rules.len(), 6);
    mirror(&m, &["filter", "--name", "cycle", "--add", "ingress 50 reject tcp dport=22", "--state", st]).await.unwrap();
    assert_eq!(observe(&m).await.our_filters("cycle").next().unwrap().rules.len(), 7);
    mirror(&m, &["filter", "--name", "cycle", "--remove", "ingress:50", "--state", st]).await.unwrap();
    // Removing and adding the same rule again must not replay the deleted rule's ClientToken.
    mirror(&m, &["filter", "--name", "cycle", "--add", "ingress 50 reject tcp dport=22", "--state", st]).await.unwrap();
    assert_eq!(observe(&m).await.our_filters("cycle").next().unwrap().rules.len(), 7);
    mirror(&m, &["filter", "--name", "cycle", "--remove", "50", "--state", st]).await.unwrap();
    assert_eq!(load_state(&state).unwrap().filter.unwrap().rules.len(), 6);

    // up again with the same arguments: no change, the narrowed filter stays.
    let before = ids(&observe(&m).await);
    m.clear_log();
    let r = mirror(&m, &up_args).await.unwrap();
    assert!(r.out.contains("no changes"), "{}", r.out);
    assert_eq!(m.mutations(), Vec::<String>::new());
    assert_eq!(ids(&observe(&m).await), before);
    let r = mirror(&m, &["status", "--name", "cycle", "--state", st]).await.unwrap();
    assert!(r.out.contains("no drift"), "{}", r.out);

    // down: nothing tagged is left; the hand-made resources are intact.
    let r = mirror(&m, &["down", "--name", "cycle", "--state", st]).await.unwrap();
    assert_eq!(r.code, ExitCode::SUCCESS, "{}", r.out);
    let obs = observe(&m).await;
    assert_eq!(tagged(&obs), 0, "{obs:#?}");
    assert!(obs.targets.iter().any(|t| t.id == ut));
    assert!(obs.filters.iter().any(|f| f.id == uf));
    assert!(obs.sessions.iter().any(|s| s.id == us));
    assert!(load_state(&state).unwrap().sessions.is_empty());
    // Safe to re-run.
    let r = mirror(&m, &["down", "--name", "cycle", "--state", st]).await.unwrap();
    assert!(r.out.contains("nothing to do"), "{}", r.out);
    assert_eq!(r.code, ExitCode::SUCCESS);
    // And up again after down builds a fresh setup (no ClientToken replay of deleted resources).
    let r = mirror(&m, &up_args).await.unwrap();
    assert_eq!(r.code, ExitCode::SUCCESS);
    assert_eq!(observe(&m).await.our_sessions("cycle").count(), 2);
}

/// Acceptance 2: a second identical `up` makes no create (or any other
/// changing) call, and the account is unchanged.
#[tokio::test]
async fn second_identical_up_makes_no_create_call() {
    let m = need_moto!();
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("s.json");
    let inst = m.launch(2, "m5.large").await;
    let args = [
        "up",
        "--name",
        "twice",
        "--source",
        &inst[0].1,
        "--target",
        &inst[1].1,
        "--filter",
        "dns",
        "--packet-length",
        "256",
        "--state",
        path_str(&st),
    ];
    m.clear_log();
    mirror(&m, &args).await.unwrap();
    let first = m.mutations();
    assert!(first.iter().any(|a| a == "CreateTrafficMirrorSession"), "{first:?}");
    assert!(first.iter().any(|a| a == "ModifyTrafficMirrorFilterNetworkServices"), "dns preset enables amazon-dns");
    let before = ids(&observe(&m).await);
    m.clear_log();
    let r = mirror(&m, &args).await.unwrap();
    assert!(r.out.contains("no changes: twice is up to date"), "{}", r.out);
    let actions = m.actions();
    assert!(!actions.is_empty());
    assert!(actions.iter().all(|a| a.starts_with("Describe")), "{actions:?}");
    assert!(!actions.iter().any(|a| a.starts_with("Create")));
    assert_eq!(ids(&observe(&m).await), before);
    // The AWS-assigned VNI is in the state file and maps back to the source.
    let s = load_state(&st).unwrap();
    let vni = s.sessions[0].vni.expect("VNI assigned by the server");
    assert_eq!(s.session_by_vni(vni).unwrap().source_eni, inst[0].1);
}

/// What to change behind mirador's back after `up` (for the plan table).
#[derive(Clone, Copy)]
enum Prep {
    Nothing,
    /// Delete the session and the filter: only the target is left.
    OnlyTarget,
    /// Delete the session and two rules, and turn a third into a reject.
    TwoRulesGoneOneChanged,
    /// Change the session's VNI.
    VniChanged,
}

impl Prep {
    async fn apply(self, c: &aws_sdk_ec2::Client, obs: &Observed) {
        let session = || obs.our_sessions("p").next().unwrap().id.clone();
        match self {
            Prep::Nothing => {}
            Prep::OnlyTarget => {
                c.delete_traffic_mirror_session().traffic_mirror_session_id(session()).send().await.unwrap();
                let f = obs.our_filters("p").next().unwrap().id.clone();
                c.delete_traffic_mirror_filter().traffic_mirror_filter_id(f).send().await.unwrap();
            }
            Prep::TwoRulesGoneOneChanged => {
                c.delete_traffic_mirror_session().traffic_mirror_session_id(session()).send().await.unwrap();
                let rules: Vec<String> =
                    obs.our_filters("p").next().unwrap().rules.iter().map(|r| r.id.clone()).collect();
                for r in &rules[..2] {
                    c.delete_traffic_mirror_filter_rule().traffic_mirror_filter_rule_id(r).send().await.unwrap();
                }
                c.modify_traffic_mirror_filter_rule()
                    .traffic_mirror_filter_rule_id(&rules[2])
                    .rule_action(aws_sdk_ec2::types::TrafficMirrorRuleAction::Reject)
                    .send()
                    .await
                    .unwrap();
            }
            Prep::VniChanged => {
                c.modify_traffic_mirror_session()
                    .traffic_mirror_session_id(session())
                    .virtual_network_id(99)
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

/// Acceptance 4: `plan` against a server holding part of the setup.
#[tokio::test]
async fn plan_against_partial_setups() {
    let m = need_moto!();
    struct Case {
        name: &'static str,
        /// Run `up` first?
        up: bool,
        /// Extra `up` arguments for the plan (a changed argument).
        plan_extra: &'static [&'static str],
        /// Changes made behind mirador's back after `up`.
        prep: Prep,
        /// Expected (verb, kind) counts.
        want: &'static [(&'static str, &'static str, usize)],
    }
    let cases = [
        Case {
            name: "empty account",
            up: false,
            plan_extra: &[],
            prep: Prep::Nothing,
            want: &[("create", "target", 1), ("create", "filter", 1), ("create", "rule", 4), ("create", "session", 1)],
        },
        Case {
            name: "only the target exists",
            up: true,
            plan_extra: &[],
            prep: Prep::OnlyTarget,
            want: &[("keep", "target", 1), ("create", "filter", 1), ("create", "rule", 4), ("create", "session", 1)],
        },
        Case {
            name: "filter with two rules gone and one changed, no session",
            up: true,
            plan_extra: &["--filter", "all"],
            prep: Prep::TwoRulesGoneOneChanged,
            want: &[
                ("keep", "target", 1),
                ("keep", "filter", 1),
                ("keep", "rule", 1),
                ("modify", "rule", 1),
                ("create", "rule", 2),
                ("create", "session", 1),
            ],
        },
        Case {
            name: "session VNI changed behind our back",
            up: true,
            plan_extra: &[],
            prep: Prep::VniChanged,
            want: &[("keep", "target", 1), ("keep", "filter", 1), ("keep", "rule", 4), ("modify", "session", 1)],
        },
        Case {
            name: "everything in place",
            up: true,
            plan_extra: &[],
            prep: Prep::Nothing,
            want: &[("keep", "target", 1), ("keep", "filter", 1), ("keep", "rule", 4), ("keep", "session", 1)],
        },
        Case {
            name: "packet length and session number changed",
            up: true,
            plan_extra: &["--packet-length", "128", "--session-number", "3"],
            prep: Prep::Nothing,
            want: &[("keep", "target", 1), ("keep", "filter", 1), ("keep", "rule", 4), ("modify", "session", 1)],
        },
    ];
    for case in &cases {
        m.http("POST", "/moto-api/reset");
        let dir = tempfile::tempdir().unwrap();
        let st = dir.path().join("s.json");
        let inst = m.launch(2, "m5.large").await;
        let base =
            ["--name", "p", "--source", &inst[0].0, "--target", &inst[1].0, "--vni", "7", "--state", path_str(&st)];
        if case.up {
            let mut a = vec!["up"];
            a.extend_from_slice(&base);
            mirror(&m, &a).await.unwrap();
        }
        case.prep.apply(&m.client(), &observe(&m).await).await;
        m.clear_log();
        let mut a = vec!["plan"];
        a.extend_from_slice(&base);
        a.extend_from_slice(case.plan_extra);
        let r = mirror(&m, &a).await.unwrap();
        assert_eq!(m.mutations(), Vec::<String>::new(), "{}: plan must not change anything", case.name);
        let mut got: BTreeMap<(String, String), usize> = BTreeMap::new();
        for line in r.out.lines().filter(|l| l.starts_with("  ")) {
            let mut w = line.split_whitespace();
            let (verb, kind) = (w.next().unwrap().to_string(), w.next().unwrap().to_string());
            *got.entry((verb, kind)).or_default() += 1;
        }
        let want: BTreeMap<(String, String), usize> =
            case.want.iter().map(|(v, k, n)| ((v.to_string(), k.to_string()), *n)).collect();
        assert_eq!(got, want, "{}:\n{}", case.name, r.out);
        if case.want.iter().all(|(v, _, _)| *v == "keep") {
            assert!(r.out.contains("no changes"), "{}", r.out);
        }
    }
}

/// Checks that stop `up` before any create call, with reasons.
#[tokio::test]
async fn up_refuses_unmirrorable_setups_before_creating() {
    let m = need_moto!();
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("s.json");
    let st = path_str(&st);
    let inst = m.launch(3, "m5.large").await;
    // Source and target are the same ENI.
    m.clear_log();
    let e = mirror(&m, &["up", "--name", "bad", "--source", &inst[0].0, "--target", &inst[0].1, "--state", st])
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("both the source and the target"), "{e}");
    assert!(e.contains("nothing was changed"));
    assert_eq!(m.mutations(), Vec::<String>::new());
    // Three sessions already on the source ENI.
    for n in 1..=3 {
        let c = m.client();
        let t = c
            .create_traffic_mirror_target()
            .network_load_balancer_arn(format!(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/x{n}/1"
            ))
            .send()
            .await
            .unwrap();
        let fi = c.create_traffic_mirror_filter().send().await.unwrap();
        c.create_traffic_mirror_session()
            .network_interface_id(&inst[0].1)
            .traffic_mirror_target_id(t.traffic_mirror_target().unwrap().traffic_mirror_target_id().unwrap())
            .traffic_mirror_filter_id(fi.traffic_mirror_filter().unwrap().traffic_mirror_filter_id().unwrap())
            .session_number(n)
            .send()
            .await
            .unwrap();
    }
    m.clear_log();
    let e = mirror(&m, &["up", "--name", "bad", "--source", &inst[0].0, "--target", &inst[1].0, "--state", st])
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("already has 3 mirror sessions"), "{e}");
    assert_eq!(m.mutations(), Vec::<String>::new());
    // Bad filter file: says which rule and why.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[rules]]\ndirection = \"ingress\"\nnumber = 1\ndestination_ports = 80\n").unwrap();
    let e = mirror(
        &m,
        &[
            "plan",
            "--name",
            "bad",
            "--source",
            &inst[2].0,
            "--target",
            &inst[1].0,
            "--filter",
            path_str(&bad),
            "--state",
            st,
        ],
    )
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("rule ingress 1: port ranges are only allowed with protocol tcp or udp"), "{e}");
    // Unknown instance: an actionable message.
    let e = mirror(
        &m,
        &["plan", "--name", "bad", "--source", "i-0123456789abcdef0", "--target", &inst[1].0, "--state", st],
    )
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("--region"), "{e}");
}

/// `up --dry-run` checks permissions with DryRun and creates nothing.
#[tokio::test]
async fn up_dry_run_changes_nothing() {
    let m = need_moto!();
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("s.json");
    let inst = m.launch(2, "m5.large").await;
    let r = mirror(
        &m,
        &["up", "--dry-run", "--name", "dry", "--source", &inst[0].0, "--target", &inst[1].0, "--state", path_str(&st)],
    )
    .await
    .unwrap();
    assert_eq!(r.code, ExitCode::SUCCESS, "{}", r.out);
    assert!(r.out.contains("ec2:CreateTrafficMirrorTarget") && r.out.contains("allowed"), "{}", r.out);
    let obs = observe(&m).await;
    assert_eq!(obs.targets.len() + obs.filters.len() + obs.sessions.len(), 0);
    assert!(!st.exists());
}

/// A session mirador did not create on mirador's target keeps the target
/// (and `down` says so, exit 1); once it is gone, `down` completes.
#[tokio::test]
async fn down_leaves_targets_used_by_foreign_sessions() {
    let m = need_moto!();
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("s.json");
    let st = path_str(&st);
    let inst = m.launch(3, "m5.large").await;
    mirror(&m, &["up", "--name", "d", "--source", &inst[0].0, "--target", &inst[1].0, "--state", st]).await.unwrap();
    let obs = observe(&m).await;
    let target = obs.our_targets("d").next().unwrap().id.clone();
    let filter = obs.our_filters("d").next().unwrap().id.clone();
    let c = m.client();
    let foreign = c
        .create_traffic_mirror_session()
        .network_interface_id(&inst[2].1)
        .traffic_mirror_target_id(&target)
        .traffic_mirror_filter_id(&filter)
        .session_number(1)
        .send()
        .await
        .unwrap();
    let foreign = foreign.traffic_mirror_session().unwrap().traffic_mirror_session_id().unwrap().to_string();
    let r = mirror(&m, &["down", "--name", "d", "--state", st]).await.unwrap();
    assert_eq!(r.code, ExitCode::from(1));
    assert!(r.out.contains(&foreign), "{}", r.out);
    let obs = observe(&m).await;
    assert_eq!(obs.our_sessions("d").count(), 0);
    assert!(obs.sessions.iter().any(|s| s.id == foreign), "never touches untagged resources");
    c.delete_traffic_mirror_session().traffic_mirror_session_id(&foreign).send().await.unwrap();
    let r = mirror(&m, &["down", "--name", "d", "--state", st]).await.unwrap();
    assert_eq!(r.code, ExitCode::SUCCESS, "{}", r.out);
    assert_eq!(tagged(&observe(&m).await), 0);
}

/// Load balancer targets (the scale-out shape): NLB ARN and GWLB endpoint;
/// moving the sessions from one to the other modifies them in place.
#[tokio::test]
async fn load_balancer_targets() {
    let m = need_moto!();
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("s.json");
    let st = path_str(&st);
    let inst = m.launch(1, "m5.large").await;
    let nlb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/sensors/50dc6c495c0c9188";
    let e = mirror(
        &m,
        &["up", "--name", "lb", "--source", &inst[0].0, "--target", nlb, "--packet-length", "9000", "--state", st],
    )
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("at most 8500"), "{e}");
    let r = mirror(&m, &["up", "--name", "lb", "--source", &inst[0].0, "--target", nlb, "--state", st]).await.unwrap();
    assert!(r.out.contains("UDP listener on 4789"), "{}", r.out);
    assert_eq!(load_state(st).unwrap().target.unwrap().kind, mirador_mirror::model::TargetKind::NetworkLoadBalancer);
    let session = observe(&m).await.our_sessions("lb").next().unwrap().id.clone();
    m.clear_log();
    let r = mirror(
        &m,
        &["up", "--name", "lb", "--source", &inst[0].0, "--target", "vpce-0123456789abcdef0", "--state", st],
    )
    .await
    .unwrap();
    assert!(r.out.contains("capture filter for the target: udp dst port 6081"), "{}", r.out);
    let muts = m.mutations();
    assert_eq!(muts, ["CreateTrafficMirrorTarget", "ModifyTrafficMirrorSession", "DeleteTrafficMirrorTarget"]);
    let obs = observe(&m).await;
    assert_eq!(obs.our_sessions("lb").next().unwrap().id, session, "session modified in place");
    assert_eq!(obs.our_targets("lb").count(), 1);
}

/// `plan --terraform DIR` writes HCL that parses; see terraform_hcl.rs for
/// the field-by-field check.
#[tokio::test]
async fn plan_writes_terraform() {
    let m = need_moto!();
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("s.json");
    let inst = m.launch(2, "m5.large").await;
    let tf = dir.path().join("tf");
    m.clear_log();
    let r = mirror(
        &m,
        &[
            "plan",
            "--name",
            "tf",
            "--source",
            &inst[0].0,
            "--target",
            &inst[1].0,
            "--filter",
            "web",
            "--vni",
            "10",
            "--terraform",
            path_str(&tf),
            "--json",
            "--state",
            path_str(&st),
        ],
    )
    .await
    .unwrap();
    let plan: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(plan["changes"], true);
    let text = std::fs::read_to_string(tf.join("mirador-mirror-tf.tf")).unwrap();
    let body: hcl::Body = hcl::from_str(&text).unwrap();
    let rules = body
        .blocks()
        .filter(|b| b.identifier() == "resource" && b.labels()[0].as_str() == "aws_ec2_traffic_mirror_filter_rule")
        .count();
    assert_eq!(rules, plan["end"]["rules"].as_array().unwrap().len());
    assert_eq!(m.mutations(), Vec::<String>::new());
}
