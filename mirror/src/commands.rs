//! The subcommands: discovery, planning, execution, state file and output.
//!
//! Normal output goes to the writer given to [`execute`] (stdout in the
//! CLI); warnings and progress notes go to stderr, so `--json` output is
//! exactly one JSON document.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context as _};
use serde_json::json;

use crate::cli::{check_name, dns_flag, DownArgs, FilterArgs, MirrorCmd, PlanArgs, SetupArgs, StatusArgs, UpArgs};
use crate::ec2::{eni_ip, ApplyContext, DryRunOutcome, Ec2};
use crate::filter::{parse_rule, preset, resolve_filter_arg, PresetContext};
use crate::model::{protocol_name, Direction, Observed, SourceArg, TargetArg, TargetKind};
use crate::plan::{plan_down, plan_filter, plan_up, FilterChange, PacketLength, Plan, UpRequest, Verb};
use crate::state::{default_state_path, drift, load_state, save_state, state_from_observed, EniInfo, MirrorState};

/// Runs one subcommand against `ec2`, writing its output to `out`.
///
/// # Errors
/// Invalid arguments, a refused plan (with every reason), AWS failures.
pub async fn execute(cmd: &MirrorCmd, ec2: &Ec2, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cmd {
        MirrorCmd::Plan(a) => cmd_plan(a, ec2, out).await,
        MirrorCmd::Up(a) => cmd_up(a, ec2, out).await,
        MirrorCmd::Status(a) => cmd_status(a, ec2, out).await,
        MirrorCmd::Filter(a) => cmd_filter(a, ec2, out).await,
        MirrorCmd::Down(a) => cmd_down(a, ec2, out).await,
    }
}

fn region_of(ec2: &Ec2) -> Option<String> {
    ec2.client().config().region().map(|r| r.to_string())
}

fn state_path(name: &str, given: &Option<PathBuf>) -> PathBuf {
    given.clone().unwrap_or_else(|| default_state_path(name))
}

/// Loads the state file if it exists; a file that exists but does not load
/// is an error (it would otherwise be silently overwritten).
fn existing_state(path: &Path) -> anyhow::Result<Option<MirrorState>> {
    if path.exists() {
        load_state(path).map(Some)
    } else {
        Ok(None)
    }
}

fn refused(name: &str, problems: Vec<String>) -> anyhow::Error {
    let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
    anyhow!("cannot set up mirror '{name}'; nothing was changed:\n{}", list.join("\n"))
}

fn parse_packet_length(s: &str) -> anyhow::Result<PacketLength> {
    if s.eq_ignore_ascii_case("full") {
        return Ok(PacketLength::Full);
    }
    s.parse::<u16>()
        .map(PacketLength::Bytes)
        .map_err(|_| anyhow!("--packet-length '{s}': expected a number of bytes (1..=65535) or 'full'"))
}

/// Discovery and planning shared by `plan` and `up`.
struct Prepared {
    req: UpRequest,
    obs: Observed,
    plan: Plan,
    state_path: PathBuf,
    epoch: u32,
}

async fn prepare(a: &SetupArgs, ec2: &Ec2) -> anyhow::Result<Prepared> {
    check_name(&a.name).map_err(|e| anyhow!(e))?;
    let mut sources = Vec::new();
    for s in &a.source {
        sources.extend(SourceArg::parse_list(s).map_err(|e| anyhow!(e))?);
    }
    let target_arg = TargetArg::parse(&a.target).map_err(|e| anyhow!(e))?;
    let packet_length = a.packet_length.as_deref().map(parse_packet_length).transpose()?;
    let state_path = state_path(&a.name, &a.state);
    let epoch = existing_state(&state_path)?.map_or(0, |s| s.epoch);

    let sources = ec2.resolve_sources(&sources, a.all_enis).await?;
    let target = ec2.resolve_target(&target_arg).await?;
    let ctx = PresetContext { target_ip: target.ip };
    let filter = a.filter.as_deref().map(|f| resolve_filter_arg(f, &ctx)).transpose().map_err(|e| anyhow!(e))?;
    let default_filter = preset("all", &ctx).map_err(|e| anyhow!(e))?;
    let obs = ec2.observe().await?;
    let req = UpRequest {
        name: a.name.clone(),
        sources,
        target,
        filter,
        default_filter,
        amazon_dns: dns_flag(a.amazon_dns, a.no_amazon_dns),
        session_number: a.session_number,
        vni: a.vni,
        packet_length,
    };
    let plan = plan_up(&req, &obs).map_err(|p| refused(&a.name, p))?;
    Ok(Prepared { req, obs, plan, state_path, epoch })
}

/// Prints a plan, one step per line: `verb kind subject detail`.
pub fn print_plan(out: &mut dyn Write, plan: &Plan, heading: &str) -> std::io::Result<()> {
    writeln!(out, "{heading}")?;
    for s in &plan.steps {
        writeln!(out, "  {:<7} {:<16} {:<24} {}", s.verb.as_str(), s.kind.as_str(), s.subject, s.detail)?;
    }
    for w in &plan.warnings {
        writeln!(out, "warning: {w}")?;
    }
    if plan.is_noop() {
        writeln!(out, "no changes: {} is up to date ({} resources unchanged)", plan.name, plan.count(Verb::Keep))?;
    } else {
        writeln!(out, "{}", plan.summary())?;
    }
    Ok(())
}

async fn cmd_plan(a: &PlanArgs, ec2: &Ec2, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let p = prepare(&a.setup, ec2).await?;
    if a.json {
        let doc = json!({
            "name": p.plan.name,
            "changes": !p.plan.is_noop(),
            "summary": {
                "create": p.plan.count(Verb::Create),
                "modify": p.plan.count(Verb::Modify),
                "keep": p.plan.count(Verb::Keep),
                "delete": p.plan.count(Verb::Delete),
            },
            "steps": p.plan.steps,
            "warnings": p.plan.warnings,
            "end": p.plan.end,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        print_plan(out, &p.plan, &format!("plan for mirror '{}' (no change made):", p.req.name))?;
    }
    if let Some(dir) = &a.terraform {
        let end = p.plan.end.as_ref().ok_or_else(|| anyhow!("internal error: plan without end state"))?;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(crate::terraform::file_name(&p.req.name));
        std::fs::write(&path, crate::terraform::render(&p.req.name, end))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("mirador: wrote Terraform configuration {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The capture filter for the target side of a state: UDP 4789 (VXLAN) to
/// the target ENI, narrowed to the sessions' VNIs when all are known; UDP
/// 6081 (GENEVE around VXLAN) behind a Gateway Load Balancer endpoint.
pub fn bpf_filter(state: &MirrorState) -> String {
    let Some(t) = &state.target else { return "udp dst port 4789".into() };
    if t.kind == TargetKind::GatewayLoadBalancerEndpoint {
        return "udp dst port 6081".into();
    }
    let mut f = String::from("udp dst port 4789");
    if let (TargetKind::NetworkInterface, Some(ip)) = (t.kind, t.ip) {
        f.push_str(&format!(" and dst host {ip}"));
    }
    let mut vnis: Vec<u32> = state.sessions.iter().filter_map(|s| s.vni).collect();
    vnis.sort_unstable();
    vnis.dedup();
    if !vnis.is_empty() && state.sessions.iter().all(|s| s.vni.is_some()) {
        // VXLAN header: flags(1) reserved(3) VNI(3) reserved(1); the VNI is
        // in bytes 12..15 of the UDP datagram (8 bytes of UDP header first).
        let terms: Vec<String> = vnis.iter().map(|v| format!("udp[12:4] & 0xffffff00 = 0x{:08x}", v << 8)).collect();
        if terms.len() == 1 {
            f.push_str(&format!(" and {}", terms[0]));
        } else {
            f.push_str(&format!(" and ({})", terms.join(" or ")));
        }
    }
    f
}

fn print_capture_hint(out: &mut dyn Write, state: &MirrorState, path: &Path) -> std::io::Result<()> {
    let bpf = bpf_filter(state);
    writeln!(out, "capture filter for the target: {bpf}")?;
    writeln!(
        out,
        "on the sensor: mirador live -i <interface> --bpf '{bpf}' (check first: mirador mirror verify -i <interface>)"
    )?;
    writeln!(out, "state file (VNI and source address -> instance, for alerts): {}", path.display())?;
    if let Some(t) = &state.target {
        match t.kind {
            TargetKind::NetworkInterface => writeln!(
                out,
                "the target's security group and network ACL must allow inbound UDP 4789 from the sources"
            )?,
            TargetKind::NetworkLoadBalancer => writeln!(
                out,
                "the NLB needs a UDP listener on 4789 (without it mirroring stops silently) and a TCP health check \
                 (mirador live --health-port PORT)"
            )?,
            TargetKind::GatewayLoadBalancerEndpoint => writeln!(
                out,
                "sensors behind the Gateway Load Balancer receive GENEVE (UDP 6081) around VXLAN; health check: \
                 mirador live --health-port PORT"
            )?,
        }
    }
    Ok(())
}

async fn write_state_after(
    ec2: &Ec2,
    name: &str,
    epoch: u32,
    obs: &Observed,
    path: &Path,
    known: &BTreeMap<String, EniInfo>,
    target_info: EniInfo,
) -> anyhow::Result<MirrorState> {
    let mut enis = known.clone();
    let missing: Vec<String> =
        obs.our_sessions(name).map(|s| s.eni.clone()).filter(|e| !enis.contains_key(e)).collect();
    if !missing.is_empty() {
        enis.extend(ec2.eni_info(&missing).await?);
    }
    let st = state_from_observed(name, region_of(ec2), epoch, obs, &enis, &target_info);
    save_state(path, &st)?;
    Ok(st)
}

async fn cmd_up(a: &UpArgs, ec2: &Ec2, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let p = prepare(&a.setup, ec2).await?;
    let name = p.req.name.clone();
    let ctx = ApplyContext { name: name.clone(), epoch: p.epoch, dry_run: a.dry_run };
    print_plan(out, &p.plan, &format!("mirror '{name}':"))?;
    if a.dry_run {
        let results = ec2.dry_run(&p.plan, &ctx).await;
        if results.is_empty() {
            writeln!(out, "dry run: no call needed")?;
            return Ok(ExitCode::SUCCESS);
        }
        let mut denied = 0;
        writeln!(out, "dry run (permissions, DryRun=true; nothing changed):")?;
        for (action, outcome) in &results {
            let text = match outcome {
                DryRunOutcome::Allowed => "allowed".to_string(),
                DryRunOutcome::Denied(m) => {
                    denied += 1;
                    format!("DENIED: {m}")
                }
                DryRunOutcome::Inconclusive(m) => format!("inconclusive: {m}"),
            };
            writeln!(out, "  ec2:{action:<42} {text}")?;
        }
        return Ok(if denied == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    let deletes = p.plan.count(Verb::Delete) > 0;
    let obs = if p.plan.is_noop() {
        p.obs
    } else {
        writeln!(out, "applying:")?;
        let calls = ec2.apply(&p.plan, &ctx, out).await?;
        writeln!(out, "done: {calls} changes applied")?;
        ec2.observe().await?
    };
    let known: BTreeMap<String, EniInfo> = p
        .req
        .sources
        .iter()
        .map(|s| (s.eni.clone(), EniInfo { instance_id: s.instance_id.clone(), ip: s.private_ip }))
        .collect();
    let target_info = EniInfo { instance_id: p.req.target.instance_id.clone(), ip: p.req.target.ip };
    let epoch = if deletes { p.epoch + 1 } else { p.epoch };
    let st = write_state_after(ec2, &name, epoch, &obs, &p.state_path, &known, target_info).await?;
    writeln!(out, "state written to {}", p.state_path.display())?;
    for s in &st.sessions {
        let vni = s.vni.map_or("assigned by AWS (not reported)".into(), |v| v.to_string());
        writeln!(
            out,
            "session {} source {} ({}) vni {vni}",
            s.id,
            s.source_eni,
            s.instance_id.as_deref().unwrap_or("no instance")
        )?;
    }
    print_capture_hint(out, &st, &p.state_path)?;
    Ok(ExitCode::SUCCESS)
}

fn rule_json(r: &crate::model::RuleSpec) -> serde_json::Value {
    json!({
        "direction": r.direction,
        "number": r.number,
        "action": r.action,
        "protocol": r.protocol,
        "protocol_name": protocol_name(r.protocol),
        "source_cidr": r.source_cidr,
        "destination_cidr": r.destination_cidr,
        "source_ports": r.source_ports,
        "destination_ports": r.destination_ports,
        "description": r.description,
    })
}

async fn cmd_status(a: &StatusArgs, ec2: &Ec2, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    check_name(&a.name).map_err(|e| anyhow!(e))?;
    let name = a.name.as_str();
    let obs = ec2.observe().await?;
    let path = state_path(name, &a.state);
    let state = existing_state(&path)?;
    let drift = state.as_ref().map(|s| drift(s, &obs)).unwrap_or_default();
    let instance_of = |eni: &str| {
        state.as_ref().and_then(|s| s.sessions.iter().find(|x| x.source_eni == eni)).and_then(|x| x.instance_id.clone())
    };
    if a.json {
        let doc = json!({
            "name": name,
            "region": region_of(ec2),
            "exists": obs.has_any(name),
            "targets": obs.our_targets(name).map(|t| json!({
                "id": t.id,
                "kind": t.spec.as_ref().map(|s| s.kind),
                "resource": t.spec.as_ref().map(|s| s.resource.clone()),
            })).collect::<Vec<_>>(),
            "filters": obs.our_filters(name).map(|f| json!({
                "id": f.id,
                "amazon_dns": f.amazon_dns,
                "rules": f.rules.iter().map(|r| {
                    let mut v = rule_json(&r.spec);
                    v["id"] = json!(r.id);
                    v
                }).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "sessions": obs.our_sessions(name).map(|s| json!({
                "id": s.id,
                "source_eni": s.eni,
                "instance_id": instance_of(&s.eni),
                "target_id": s.target_id,
                "filter_id": s.filter_id,
                "session_number": s.number,
                "vni": s.vni,
                "packet_length": s.packet_length,
            })).collect::<Vec<_>>(),
            "state_file": state.as_ref().map(|_| path.display().to_string()),
            "drift": drift,
        });
        writeln!(out, "{}", serde_json::to_string(&doc)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if !obs.has_any(name) {
        writeln!(out, "mirror '{name}': nothing tagged mirador:name={name} exists")?;
    } else {
        writeln!(out, "mirror '{name}' ({}):", region_of(ec2).unwrap_or_else(|| "?".into()))?;
        for t in obs.our_targets(name) {
            let what = t.spec.as_ref().map_or("?".into(), |s| s.to_string());
            writeln!(out, "  target   {} {what}", t.id)?;
        }
        for f in obs.our_filters(name) {
            let dns = if f.amazon_dns { "on" } else { "off" };
            writeln!(out, "  filter   {} {} rules, amazon-dns {dns}", f.id, f.rules.len())?;
            let mut rules: Vec<_> = f.rules.iter().collect();
            rules.sort_by_key(|r| (r.spec.direction, r.spec.number));
            for r in rules {
                writeln!(out, "    {}", r.spec.summary())?;
            }
        }
        for s in obs.our_sessions(name) {
            let inst = instance_of(&s.eni).map(|i| format!(" ({i})")).unwrap_or_default();
            let vni = s.vni.map_or("?".into(), |v| v.to_string());
            let len = s.packet_length.map_or("whole packets".into(), |p| format!("{p} bytes"));
            writeln!(out, "  session  {} source {}{inst} number {} vni {vni} {len}", s.id, s.eni, s.number)?;
        }
    }
    match &state {
        None => writeln!(out, "state file {}: none", path.display())?,
        Some(_) if drift.is_empty() => writeln!(out, "state file {}: no drift", path.display())?,
        Some(_) => {
            writeln!(out, "state file {}: drift:", path.display())?;
            for d in &drift {
                writeln!(out, "  - {d}")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_remove(s: &str) -> anyhow::Result<(Option<Direction>, u16)> {
    let (dir, num) = match s.split_once(':') {
        Some((d, n)) => (Some(Direction::parse(d).map_err(|e| anyhow!(e))?), n),
        None => (None, s),
    };
    let n = num.trim().parse::<u16>().map_err(|_| anyhow!("--remove '{s}': expected [ingress:|egress:]NUMBER"))?;
    Ok((dir, n))
}

async fn cmd_filter(a: &FilterArgs, ec2: &Ec2, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    check_name(&a.name).map_err(|e| anyhow!(e))?;
    let name = a.name.as_str();
    let path = state_path(name, &a.state);
    let prev = existing_state(&path)?;
    let obs = ec2.observe().await?;
    let change = if let Some(r) = &a.add {
        FilterChange::Add(parse_rule(r).map_err(|e| anyhow!(e))?)
    } else if let Some(r) = &a.remove {
        let (direction, number) = parse_remove(r)?;
        FilterChange::Remove { direction, number }
    } else if let Some(p) = &a.preset {
        // no-ssm needs the target's address.
        let mut ctx = PresetContext::default();
        if p == "no-ssm" {
            if let Some(spec) = obs.our_targets(name).find_map(|t| t.spec.clone()) {
                if spec.kind == TargetKind::NetworkInterface {
                    ctx.target_ip = eni_ip(ec2, &spec.resource).await?;
                }
            }
        }
        FilterChange::Replace(resolve_filter_arg(p, &ctx).map_err(|e| anyhow!(e))?)
    } else {
        anyhow::bail!("give one of --add, --remove or --preset");
    };
    let plan =
        plan_filter(name, &obs, &change, dns_flag(a.amazon_dns, a.no_amazon_dns)).map_err(|p| refused(name, p))?;
    print_plan(out, &plan, &format!("filter of mirror '{name}':"))?;
    let epoch = prev.as_ref().map_or(0, |s| s.epoch);
    let obs = if plan.is_noop() {
        obs
    } else {
        let ctx = ApplyContext { name: name.to_string(), epoch, dry_run: false };
        ec2.apply(&plan, &ctx, out).await?;
        ec2.observe().await?
    };
    let epoch = if plan.count(Verb::Delete) > 0 { epoch + 1 } else { epoch };
    let known: BTreeMap<String, EniInfo> = prev
        .as_ref()
        .map(|s| {
            s.sessions
                .iter()
                .map(|x| (x.source_eni.clone(), EniInfo { instance_id: x.instance_id.clone(), ip: x.source_ip }))
                .collect()
        })
        .unwrap_or_default();
    let target_info = prev
        .as_ref()
        .and_then(|s| s.target.as_ref())
        .map(|t| EniInfo { instance_id: t.instance_id.clone(), ip: t.ip })
        .unwrap_or_default();
    let st = write_state_after(ec2, name, epoch, &obs, &path, &known, target_info).await?;
    writeln!(out, "state written to {} ({} rules)", path.display(), st.filter.as_ref().map_or(0, |f| f.rules.len()))?;
    Ok(ExitCode::SUCCESS)
}

async fn cmd_down(a: &DownArgs, ec2: &Ec2, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    check_name(&a.name).map_err(|e| anyhow!(e))?;
    let name = a.name.as_str();
    let path = state_path(name, &a.state);
    let prev = existing_state(&path)?;
    let obs = ec2.observe().await?;
    let plan = plan_down(name, &obs);
    if plan.steps.is_empty() && plan.warnings.is_empty() {
        writeln!(out, "mirror '{name}': nothing tagged mirador:name={name} exists; nothing to do")?;
    } else {
        print_plan(out, &plan, &format!("tearing down mirror '{name}':"))?;
        let epoch = prev.as_ref().map_or(0, |s| s.epoch);
        let ctx = ApplyContext { name: name.to_string(), epoch, dry_run: false };
        ec2.apply(&plan, &ctx, out).await?;
    }
    if let Some(prev) = &prev {
        // Keep the file as a record (and to carry the epoch), with nothing in it.
        let epoch = if plan.steps.is_empty() { prev.epoch } else { prev.epoch + 1 };
        let st = MirrorState::empty(name, region_of(ec2).or_else(|| prev.region.clone()), epoch);
        save_state(&path, &st)?;
        writeln!(out, "state file {} emptied", path.display())?;
    }
    if plan.warnings.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        writeln!(out, "some resources were left in place (see warnings); run `down` again once they are free")?;
        Ok(ExitCode::from(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{StateSession, StateTarget};

    fn st(kind: TargetKind, vnis: &[Option<u32>]) -> MirrorState {
        let mut s = MirrorState::empty("w", None, 0);
        s.target = Some(StateTarget {
            id: "tmt".into(),
            kind,
            resource: "eni-t".into(),
            ip: Some("10.0.0.9".parse().unwrap()),
            instance_id: None,
        });
        s.sessions = vnis
            .iter()
            .map(|v| StateSession {
                id: "tms".into(),
                source_eni: "eni".into(),
                instance_id: None,
                source_ip: None,
                vni: *v,
                session_number: 1,
                packet_length: None,
                target_id: "tmt".into(),
                filter_id: "tmf".into(),
            })
            .collect();
        s
    }

    #[test]
    fn capture_filters() {
        assert_eq!(
            bpf_filter(&st(TargetKind::NetworkInterface, &[Some(4242)])),
            "udp dst port 4789 and dst host 10.0.0.9 and udp[12:4] & 0xffffff00 = 0x00109200"
        );
        assert_eq!(
            bpf_filter(&st(TargetKind::NetworkInterface, &[Some(1), Some(2)])),
            "udp dst port 4789 and dst host 10.0.0.9 and (udp[12:4] & 0xffffff00 = 0x00000100 or udp[12:4] & 0xffffff00 = 0x00000200)"
        );
        assert_eq!(
            bpf_filter(&st(TargetKind::NetworkInterface, &[Some(1), None])),
            "udp dst port 4789 and dst host 10.0.0.9"
        );
        assert_eq!(bpf_filter(&st(TargetKind::NetworkLoadBalancer, &[])), "udp dst port 4789");
        assert_eq!(bpf_filter(&st(TargetKind::GatewayLoadBalancerEndpoint, &[Some(3)])), "udp dst port 6081");
    }

    #[test]
    fn small_parsers() {
        assert_eq!(parse_packet_length("full").unwrap(), PacketLength::Full);
        assert_eq!(parse_packet_length("128").unwrap(), PacketLength::Bytes(128));
        assert!(parse_packet_length("x").is_err());
        assert_eq!(parse_remove("egress:100").unwrap(), (Some(Direction::Egress), 100));
        assert_eq!(parse_remove("7").unwrap(), (None, 7));
        assert!(parse_remove("up:1").is_err());
    }
}
