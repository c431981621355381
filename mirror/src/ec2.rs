//! The EC2 layer: every AWS call mirador makes, over `aws_sdk_ec2::Client`.
//!
//! Discovery (instances, ENIs, instance types), observation (all traffic
//! mirror targets, filters with their rules, and sessions; our resources are
//! recognised client-side by their `mirador:name` tag), and execution of a
//! [`Plan`] step by step with deterministic ClientTokens and tags on create.
//! Deletes treat `…NotFound` as already done. Errors become
//! [`AwsError`](crate::errors::AwsError)s with advice.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::IpAddr;

use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{
    InstanceType, ResourceType, Tag, TagSpecification, TrafficDirection, TrafficMirrorFilterRule,
    TrafficMirrorFilterRuleField, TrafficMirrorNetworkService, TrafficMirrorPortRange, TrafficMirrorPortRangeRequest,
    TrafficMirrorRuleAction, TrafficMirrorSessionField, TrafficMirrorTargetType,
};
use aws_sdk_ec2::Client;
use sha2::{Digest, Sha256};

use crate::errors::{code_is_not_found, explain, AwsError};
use crate::model::{
    Cidr, Direction, Observed, ObservedFilter, ObservedRule, ObservedSession, ObservedTarget, PortRange, RuleAction,
    RuleSpec, SourceArg, SourceFacts, Tags, TargetArg, TargetFacts, TargetKind, TargetSpec, TAG_NAME, TAG_ROLE,
};
use crate::plan::{Op, Plan, Ref, Step, Verb};

/// Result type of this module.
pub type Result<T> = std::result::Result<T, AwsError>;

/// Placeholder ids used in dry runs for resources the plan would create.
const DRY_RUN_TARGET: &str = "tmt-00000000000000000";
const DRY_RUN_FILTER: &str = "tmf-00000000000000000";

fn fail<E>(op: &'static str, e: SdkError<E, aws_sdk_ec2::config::http::HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = e.code().map(str::to_string);
    let message = e.message().map(str::to_string);
    let raw = DisplayErrorContext(&e).to_string();
    explain(op, code.as_deref(), message.as_deref(), &raw)
}

/// A ClientToken: a hash of the setup name, the resource's role and every
/// parameter of the create call, so a retried or repeated call with the same
/// arguments returns the same resource, and different arguments never clash
/// (`IdempotentParameterMismatch`). At most 64 ASCII characters.
pub fn client_token(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(b"mirador-mirror");
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let hex: String = d.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("mirador-{hex}")
}

fn tag_spec(rt: ResourceType, name: &str, role: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(rt)
        .tags(Tag::builder().key(TAG_NAME).value(name).build())
        .tags(Tag::builder().key(TAG_ROLE).value(role).build())
        .build()
}

fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).collect()
}

fn port_range(p: Option<&TrafficMirrorPortRange>) -> Option<PortRange> {
    let p = p?;
    let from = u16::try_from(p.from_port()?).ok()?;
    let to = u16::try_from(p.to_port()?).ok()?;
    Some(PortRange { from, to })
}

fn port_request(p: PortRange) -> TrafficMirrorPortRangeRequest {
    TrafficMirrorPortRangeRequest::builder().from_port(p.from.into()).to_port(p.to.into()).build()
}

fn observed_cidr(s: Option<&str>) -> Cidr {
    let s = s.unwrap_or("0.0.0.0/0");
    Cidr::parse(s).unwrap_or_else(|_| Cidr::unchecked(s))
}

/// Converts an SDK rule; `dir` is the list the rule came from.
pub fn rule_from_sdk(r: &TrafficMirrorFilterRule, dir: Direction) -> Option<ObservedRule> {
    let direction = match r.traffic_direction() {
        Some(TrafficDirection::Ingress) => Direction::Ingress,
        Some(TrafficDirection::Egress) => Direction::Egress,
        _ => dir,
    };
    let action = match r.rule_action() {
        Some(TrafficMirrorRuleAction::Reject) => RuleAction::Reject,
        _ => RuleAction::Accept,
    };
    Some(ObservedRule {
        id: r.traffic_mirror_filter_rule_id()?.to_string(),
        spec: RuleSpec {
            direction,
            number: u16::try_from(r.rule_number().unwrap_or(0)).unwrap_or(0),
            action,
            protocol: r.protocol().filter(|p| *p > 0).and_then(|p| u8::try_from(p).ok()),
            source_cidr: observed_cidr(r.source_cidr_block()),
            destination_cidr: observed_cidr(r.destination_cidr_block()),
            source_ports: port_range(r.source_port_range()),
            destination_ports: port_range(r.destination_port_range()),
            description: r.description().map(str::to_string),
        },
    })
}

fn direction_sdk(d: Direction) -> TrafficDirection {
    match d {
        Direction::Ingress => TrafficDirection::Ingress,
        Direction::Egress => TrafficDirection::Egress,
    }
}

fn action_sdk(a: RuleAction) -> TrafficMirrorRuleAction {
    match a {
        RuleAction::Accept => TrafficMirrorRuleAction::Accept,
        RuleAction::Reject => TrafficMirrorRuleAction::Reject,
    }
}

/// What [`Ec2::apply`] needs besides the plan.
#[derive(Clone, Debug)]
pub struct ApplyContext {
    /// Setup name (tag value, description, token input).
    pub name: String,
    /// Teardown counter from the state file, mixed into root tokens.
    pub epoch: u32,
    /// Send every call with `DryRun=true` (permission check only).
    pub dry_run: bool,
}

/// Outcome of a dry-run check of one API action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DryRunOutcome {
    /// `DryRunOperation`: the call would have succeeded.
    Allowed,
    /// `UnauthorizedOperation`.
    Denied(String),
    /// Another answer (for example a placeholder id was rejected first).
    Inconclusive(String),
}

/// The EC2 client wrapper.
#[derive(Clone, Debug)]
pub struct Ec2 {
    client: Client,
}

impl Ec2 {
    /// Wraps a client.
    pub fn new(client: Client) -> Self {
        Ec2 { client }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Resolves `--source` arguments to ENIs (primary ENI of each instance, or
    /// all of them with `all_enis`) with the facts the planner checks.
    ///
    /// # Errors
    /// Unknown ids, an instance without ENIs, API failures.
    pub async fn resolve_sources(&self, args: &[SourceArg], all_enis: bool) -> Result<Vec<SourceFacts>> {
        let explicit: Vec<String> =
            args.iter().filter_map(|a| if let SourceArg::Eni(e) = a { Some(e.clone()) } else { None }).collect();
        let mut enis = self.describe_enis(&explicit).await?;
        let mut instance_ids: BTreeSet<String> =
            args.iter().filter_map(|a| if let SourceArg::Instance(i) = a { Some(i.clone()) } else { None }).collect();
        instance_ids.extend(enis.values().filter_map(|f| f.instance_id.clone()));
        // instance id -> (type, ENIs ordered by device index)
        let instances = self.describe_instances(&instance_ids.iter().cloned().collect::<Vec<_>>()).await?;
        let mut order: Vec<String> = Vec::new();
        for a in args {
            match a {
                SourceArg::Eni(e) => order.push(e.clone()),
                SourceArg::Instance(i) => {
                    let (_, nics) = instances.get(i).ok_or_else(|| {
                        explain(
                            "DescribeInstances",
                            Some("InvalidInstanceID.NotFound"),
                            Some(&format!("instance {i} not found")),
                            "",
                        )
                    })?;
                    if nics.is_empty() {
                        return Err(explain(
                            "DescribeInstances",
                            Some("InvalidInstanceID.NotFound"),
                            Some(&format!("instance {i} has no network interface")),
                            "",
                        ));
                    }
                    if all_enis {
                        order.extend(nics.iter().cloned());
                    } else {
                        order.push(nics[0].clone());
                    }
                }
            }
        }
        let missing: Vec<String> = order.iter().filter(|e| !enis.contains_key(*e)).cloned().collect();
        enis.extend(self.describe_enis(&missing).await?);
        let types: BTreeSet<String> = instances.values().filter_map(|(t, _)| t.clone()).collect();
        let type_facts = self.describe_instance_types(&types.into_iter().collect::<Vec<_>>()).await?;
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for eni in order {
            if !seen.insert(eni.clone()) {
                continue;
            }
            let mut f =
                enis.get(&eni).cloned().unwrap_or_else(|| SourceFacts { eni: eni.clone(), ..Default::default() });
            if let Some(i) = &f.instance_id {
                f.instance_type = instances.get(i).and_then(|(t, _)| t.clone());
            }
            if let Some((hv, bm)) = f.instance_type.as_ref().and_then(|t| type_facts.get(t)) {
                f.hypervisor = hv.clone();
                f.bare_metal = *bm;
            }
            out.push(f);
        }
        Ok(out)
    }

    /// DescribeNetworkInterfaces for these ids (none: no call).
    async fn describe_enis(&self, ids: &[String]) -> Result<BTreeMap<String, SourceFacts>> {
        let mut out = BTreeMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let resp = self
            .client
            .describe_network_interfaces()
            .set_network_interface_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(|e| fail("DescribeNetworkInterfaces", e))?;
        for n in resp.network_interfaces() {
            let Some(id) = n.network_interface_id() else { continue };
            out.insert(
                id.to_string(),
                SourceFacts {
                    eni: id.to_string(),
                    instance_id: n.attachment().and_then(|a| a.instance_id()).map(str::to_string),
                    interface_type: n.interface_type().map(|t| t.as_str().to_string()),
                    requester_managed: n.requester_managed().unwrap_or(false),
                    private_ip: n.private_ip_address().and_then(|ip| ip.parse().ok()),
                    ..SourceFacts::default()
                },
            );
        }
        Ok(out)
    }

    /// DescribeInstances: instance id -> (type, ENI ids by device index).
    async fn describe_instances(&self, ids: &[String]) -> Result<BTreeMap<String, (Option<String>, Vec<String>)>> {
        let mut out = BTreeMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let resp = self
            .client
            .describe_instances()
            .set_instance_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(|e| fail("DescribeInstances", e))?;
        for inst in resp.reservations().iter().flat_map(|r| r.instances()) {
            let Some(id) = inst.instance_id() else { continue };
            let mut nics: Vec<(i32, String)> = inst
                .network_interfaces()
                .iter()
                .filter_map(|n| {
                    let idx = n.attachment().and_then(|a| a.device_index()).unwrap_or(i32::MAX);
                    Some((idx, n.network_interface_id()?.to_string()))
                })
                .collect();
            nics.sort();
            out.insert(
                id.to_string(),
                (inst.instance_type().map(|t| t.as_str().to_string()), nics.into_iter().map(|(_, n)| n).collect()),
            );
        }
        Ok(out)
    }

    /// DescribeInstanceTypes: type -> (hypervisor, bare metal).
    async fn describe_instance_types(
        &self,
        types: &[String],
    ) -> Result<BTreeMap<String, (Option<String>, Option<bool>)>> {
        let mut out = BTreeMap::new();
        if types.is_empty() {
            return Ok(out);
        }
        let resp = self
            .client
            .describe_instance_types()
            .set_instance_types(Some(types.iter().map(|t| InstanceType::from(t.as_str())).collect()))
            .send()
            .await
            .map_err(|e| fail("DescribeInstanceTypes", e))?;
        for t in resp.instance_types() {
            let Some(name) = t.instance_type() else { continue };
            out.insert(
                name.as_str().to_string(),
                (t.hypervisor().map(|h| h.as_str().to_ascii_lowercase()), t.bare_metal()),
            );
        }
        Ok(out)
    }

    /// Resolves `--target`: an instance becomes its primary ENI; ENIs get
    /// their address; load balancer targets need no call.
    ///
    /// # Errors
    /// Unknown ids, API failures.
    pub async fn resolve_target(&self, arg: &TargetArg) -> Result<TargetFacts> {
        match arg {
            TargetArg::Instance(i) => {
                let inst = self.describe_instances(std::slice::from_ref(i)).await?;
                let eni = inst.get(i).and_then(|(_, nics)| nics.first().cloned()).ok_or_else(|| {
                    explain(
                        "DescribeInstances",
                        Some("InvalidInstanceID.NotFound"),
                        Some(&format!("instance {i} not found or has no network interface")),
                        "",
                    )
                })?;
                let facts = self.describe_enis(std::slice::from_ref(&eni)).await?;
                let ip = facts.get(&eni).and_then(|f| f.private_ip);
                Ok(TargetFacts {
                    spec: TargetSpec { kind: TargetKind::NetworkInterface, resource: eni },
                    ip,
                    instance_id: Some(i.clone()),
                })
            }
            TargetArg::Eni(e) => {
                let facts = self.describe_enis(std::slice::from_ref(e)).await?;
                let f = facts.get(e).ok_or_else(|| {
                    explain(
                        "DescribeNetworkInterfaces",
                        Some("InvalidNetworkInterfaceID.NotFound"),
                        Some(&format!("network interface {e} not found")),
                        "",
                    )
                })?;
                Ok(TargetFacts {
                    spec: TargetSpec { kind: TargetKind::NetworkInterface, resource: e.clone() },
                    ip: f.private_ip,
                    instance_id: f.instance_id.clone(),
                })
            }
            TargetArg::Nlb(arn) => Ok(TargetFacts {
                spec: TargetSpec { kind: TargetKind::NetworkLoadBalancer, resource: arn.clone() },
                ip: None,
                instance_id: None,
            }),
            TargetArg::Gwlbe(id) => Ok(TargetFacts {
                spec: TargetSpec { kind: TargetKind::GatewayLoadBalancerEndpoint, resource: id.clone() },
                ip: None,
                instance_id: None,
            }),
        }
    }

    /// Instance id and primary private IP of ENIs (for the state file).
    ///
    /// # Errors
    /// API failures.
    pub async fn eni_info(&self, ids: &[String]) -> Result<BTreeMap<String, crate::state::EniInfo>> {
        Ok(self
            .describe_enis(ids)
            .await?
            .into_iter()
            .map(|(k, f)| (k, crate::state::EniInfo { instance_id: f.instance_id, ip: f.private_ip }))
            .collect())
    }

    /// Reads every traffic mirror target, filter (with rules) and session in
    /// the account and region. Paginates.
    ///
    /// # Errors
    /// API failures.
    pub async fn observe(&self) -> Result<Observed> {
        let mut obs = Observed::default();
        let mut pages = self.client.describe_traffic_mirror_targets().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| fail("DescribeTrafficMirrorTargets", e))?;
            for t in page.traffic_mirror_targets() {
                let Some(id) = t.traffic_mirror_target_id() else { continue };
                let spec = match t.r#type() {
                    Some(TrafficMirrorTargetType::NetworkInterface) => t
                        .network_interface_id()
                        .map(|r| TargetSpec { kind: TargetKind::NetworkInterface, resource: r.into() }),
                    Some(TrafficMirrorTargetType::NetworkLoadBalancer) => t
                        .network_load_balancer_arn()
                        .map(|r| TargetSpec { kind: TargetKind::NetworkLoadBalancer, resource: r.into() }),
                    Some(TrafficMirrorTargetType::GatewayLoadBalancerEndpoint) => t
                        .gateway_load_balancer_endpoint_id()
                        .map(|r| TargetSpec { kind: TargetKind::GatewayLoadBalancerEndpoint, resource: r.into() }),
                    _ => None,
                };
                obs.targets.push(ObservedTarget { id: id.to_string(), spec, tags: tags_of(t.tags()) });
            }
        }
        let mut pages = self.client.describe_traffic_mirror_filters().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| fail("DescribeTrafficMirrorFilters", e))?;
            for f in page.traffic_mirror_filters() {
                let Some(id) = f.traffic_mirror_filter_id() else { continue };
                let rules = f
                    .ingress_filter_rules()
                    .iter()
                    .filter_map(|r| rule_from_sdk(r, Direction::Ingress))
                    .chain(f.egress_filter_rules().iter().filter_map(|r| rule_from_sdk(r, Direction::Egress)))
                    .collect();
                obs.filters.push(ObservedFilter {
                    id: id.to_string(),
                    rules,
                    amazon_dns: f.network_services().contains(&TrafficMirrorNetworkService::AmazonDns),
                    tags: tags_of(f.tags()),
                });
            }
        }
        let mut pages = self.client.describe_traffic_mirror_sessions().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| fail("DescribeTrafficMirrorSessions", e))?;
            for s in page.traffic_mirror_sessions() {
                let Some(id) = s.traffic_mirror_session_id() else { continue };
                obs.sessions.push(ObservedSession {
                    id: id.to_string(),
                    eni: s.network_interface_id().unwrap_or_default().to_string(),
                    target_id: s.traffic_mirror_target_id().unwrap_or_default().to_string(),
                    filter_id: s.traffic_mirror_filter_id().unwrap_or_default().to_string(),
                    number: s.session_number().and_then(|n| u16::try_from(n).ok()).unwrap_or(0),
                    vni: s.virtual_network_id().and_then(|v| u32::try_from(v).ok()),
                    packet_length: s.packet_length().and_then(|p| u16::try_from(p).ok()),
                    tags: tags_of(s.tags()),
                });
            }
        }
        Ok(obs)
    }

    /// Executes the steps of a plan in order, printing one line per change.
    /// Returns the number of calls made.
    ///
    /// # Errors
    /// The first failing call (earlier steps stay done; re-running `up`
    /// resumes from what exists).
    pub async fn apply(&self, plan: &Plan, ctx: &ApplyContext, out: &mut dyn Write) -> Result<usize> {
        let mut new_target: Option<String> = None;
        let mut new_filter: Option<String> = None;
        let mut calls = 0;
        for step in &plan.steps {
            if step.verb == Verb::Keep {
                continue;
            }
            let id = self.execute(step, ctx, &mut new_target, &mut new_filter).await?;
            calls += 1;
            let what = match (&id, step.verb) {
                (Some(id), Verb::Create) => format!("{id} {}", step.detail),
                _ => format!("{} {}", step.subject, step.detail),
            };
            let past = match step.verb {
                Verb::Create => "created",
                Verb::Modify => "modified",
                Verb::Delete => "deleted",
                Verb::Keep => "kept",
            };
            let _ = writeln!(out, "  {past:<8} {:<16} {what}", step.kind.as_str());
        }
        Ok(calls)
    }

    /// Checks permissions for every distinct API action of a plan with
    /// `DryRun=true`. Nothing is changed.
    pub async fn dry_run(&self, plan: &Plan, ctx: &ApplyContext) -> Vec<(&'static str, DryRunOutcome)> {
        let ctx = ApplyContext { dry_run: true, ..ctx.clone() };
        let mut done = BTreeSet::new();
        let mut out = Vec::new();
        for step in &plan.steps {
            let Some(action) = op_action(&step.op) else { continue };
            if !done.insert(action) {
                continue;
            }
            let mut t = Some(DRY_RUN_TARGET.to_string());
            let mut f = Some(DRY_RUN_FILTER.to_string());
            let outcome = match self.execute(step, &ctx, &mut t, &mut f).await {
                Ok(_) => DryRunOutcome::Inconclusive("the call succeeded without DryRunOperation".into()),
                Err(e) => match e.code.as_deref() {
                    Some("DryRunOperation") => DryRunOutcome::Allowed,
                    Some("UnauthorizedOperation") | Some("AccessDenied") => DryRunOutcome::Denied(e.to_string()),
                    _ => DryRunOutcome::Inconclusive(e.to_string()),
                },
            };
            out.push((action, outcome));
        }
        out
    }

    async fn execute(
        &self,
        step: &Step,
        ctx: &ApplyContext,
        new_target: &mut Option<String>,
        new_filter: &mut Option<String>,
    ) -> Result<Option<String>> {
        let name = ctx.name.as_str();
        let epoch = ctx.epoch.to_string();
        let dry = ctx.dry_run;
        let resolve = |r: &Ref, new: &Option<String>, what: &str| -> Result<String> {
            match r {
                Ref::Existing(id) => Ok(id.clone()),
                Ref::New => new.clone().ok_or_else(|| {
                    explain("apply", None, None, &format!("internal error: the new {what} was not created first"))
                }),
            }
        };
        match &step.op {
            Op::Keep => Ok(None),
            Op::CreateTarget(spec) => {
                let token = client_token(&[name, "target", spec.kind.as_str(), &spec.resource, &epoch]);
                let mut req = self
                    .client
                    .create_traffic_mirror_target()
                    .description(format!("mirador {name}: mirror target"))
                    .tag_specifications(tag_spec(ResourceType::TrafficMirrorTarget, name, "target"))
                    .client_token(token)
                    .dry_run(dry);
                req = match spec.kind {
                    TargetKind::NetworkInterface => req.network_interface_id(&spec.resource),
                    TargetKind::NetworkLoadBalancer => req.network_load_balancer_arn(&spec.resource),
                    TargetKind::GatewayLoadBalancerEndpoint => req.gateway_load_balancer_endpoint_id(&spec.resource),
                };
                let resp = req.send().await.map_err(|e| fail("CreateTrafficMirrorTarget", e))?;
                let id = resp
                    .traffic_mirror_target()
                    .and_then(|t| t.traffic_mirror_target_id())
                    .map(str::to_string)
                    .ok_or_else(|| {
                        explain("CreateTrafficMirrorTarget", None, None, "the response carried no target id")
                    })?;
                *new_target = Some(id.clone());
                Ok(Some(id))
            }
            Op::CreateFilter => {
                let token = client_token(&[name, "filter", &epoch]);
                let resp = self
                    .client
                    .create_traffic_mirror_filter()
                    .description(format!("mirador {name}: mirror filter"))
                    .tag_specifications(tag_spec(ResourceType::TrafficMirrorFilter, name, "filter"))
                    .client_token(token)
                    .dry_run(dry)
                    .send()
                    .await
                    .map_err(|e| fail("CreateTrafficMirrorFilter", e))?;
                let id = resp
                    .traffic_mirror_filter()
                    .and_then(|t| t.traffic_mirror_filter_id())
                    .map(str::to_string)
                    .ok_or_else(|| {
                        explain("CreateTrafficMirrorFilter", None, None, "the response carried no filter id")
                    })?;
                *new_filter = Some(id.clone());
                Ok(Some(id))
            }
            Op::CreateRule { filter, rule } => {
                let filter_id = resolve(filter, new_filter, "filter")?;
                let rule_json = serde_json::to_string(rule).unwrap_or_default();
                let token = client_token(&[name, "rule", &filter_id, &rule_json, &epoch]);
                let resp = self
                    .client
                    .create_traffic_mirror_filter_rule()
                    .traffic_mirror_filter_id(&filter_id)
                    .traffic_direction(direction_sdk(rule.direction))
                    .rule_number(rule.number.into())
                    .rule_action(action_sdk(rule.action))
                    .set_protocol(rule.protocol.map(i32::from))
                    .source_cidr_block(rule.source_cidr.as_str())
                    .destination_cidr_block(rule.destination_cidr.as_str())
                    .set_source_port_range(rule.source_ports.map(port_request))
                    .set_destination_port_range(rule.destination_ports.map(port_request))
                    .set_description(rule.description.clone())
                    .tag_specifications(tag_spec(ResourceType::TrafficMirrorFilterRule, name, "filter-rule"))
                    .client_token(token)
                    .dry_run(dry)
                    .send()
                    .await
                    .map_err(|e| fail("CreateTrafficMirrorFilterRule", e))?;
                Ok(resp
                    .traffic_mirror_filter_rule()
                    .and_then(|r| r.traffic_mirror_filter_rule_id())
                    .map(str::to_string))
            }
            Op::ModifyRule { rule_id, rule, remove } => {
                let mut req = self
                    .client
                    .modify_traffic_mirror_filter_rule()
                    .traffic_mirror_filter_rule_id(rule_id)
                    .traffic_direction(direction_sdk(rule.direction))
                    .rule_number(rule.number.into())
                    .rule_action(action_sdk(rule.action))
                    .set_protocol(rule.protocol.map(i32::from))
                    .source_cidr_block(rule.source_cidr.as_str())
                    .destination_cidr_block(rule.destination_cidr.as_str())
                    .set_source_port_range(rule.source_ports.map(port_request))
                    .set_destination_port_range(rule.destination_ports.map(port_request))
                    .set_description(rule.description.clone())
                    .dry_run(dry);
                if remove.protocol {
                    req = req.remove_fields(TrafficMirrorFilterRuleField::Protocol);
                }
                if remove.source_ports {
                    req = req.remove_fields(TrafficMirrorFilterRuleField::SourcePortRange);
                }
                if remove.destination_ports {
                    req = req.remove_fields(TrafficMirrorFilterRuleField::DestinationPortRange);
                }
                req.send().await.map_err(|e| fail("ModifyTrafficMirrorFilterRule", e))?;
                Ok(None)
            }
            Op::DeleteRule { rule_id } => {
                let r = self
                    .client
                    .delete_traffic_mirror_filter_rule()
                    .traffic_mirror_filter_rule_id(rule_id)
                    .dry_run(dry)
                    .send()
                    .await;
                gone_ok("DeleteTrafficMirrorFilterRule", r)
            }
            Op::SetAmazonDns { filter, enabled } => {
                let filter_id = resolve(filter, new_filter, "filter")?;
                let mut req =
                    self.client.modify_traffic_mirror_filter_network_services().traffic_mirror_filter_id(filter_id);
                req = if *enabled {
                    req.add_network_services(TrafficMirrorNetworkService::AmazonDns)
                } else {
                    req.remove_network_services(TrafficMirrorNetworkService::AmazonDns)
                };
                req.dry_run(dry).send().await.map_err(|e| fail("ModifyTrafficMirrorFilterNetworkServices", e))?;
                Ok(None)
            }
            Op::CreateSession { eni, target, filter, number, vni, packet_length } => {
                let target_id = resolve(target, new_target, "target")?;
                let filter_id = resolve(filter, new_filter, "filter")?;
                let token = client_token(&[
                    name,
                    "session",
                    eni,
                    &target_id,
                    &filter_id,
                    &number.to_string(),
                    &format!("{vni:?}"),
                    &format!("{packet_length:?}"),
                    &epoch,
                ]);
                let resp = self
                    .client
                    .create_traffic_mirror_session()
                    .network_interface_id(eni)
                    .traffic_mirror_target_id(target_id)
                    .traffic_mirror_filter_id(filter_id)
                    .session_number((*number).into())
                    .set_virtual_network_id(vni.and_then(|v| i32::try_from(v).ok()))
                    .set_packet_length(packet_length.map(i32::from))
                    .description(format!("mirador {name}: {eni}"))
                    .tag_specifications(tag_spec(ResourceType::TrafficMirrorSession, name, "session"))
                    .client_token(token)
                    .dry_run(dry)
                    .send()
                    .await
                    .map_err(|e| fail("CreateTrafficMirrorSession", e))?;
                Ok(resp.traffic_mirror_session().and_then(|s| s.traffic_mirror_session_id()).map(str::to_string))
            }
            Op::ModifySession { id, change } => {
                let mut req = self.client.modify_traffic_mirror_session().traffic_mirror_session_id(id).dry_run(dry);
                if let Some(t) = &change.target {
                    req = req.traffic_mirror_target_id(resolve(t, new_target, "target")?);
                }
                if let Some(f) = &change.filter {
                    req = req.traffic_mirror_filter_id(resolve(f, new_filter, "filter")?);
                }
                req = req
                    .set_session_number(change.number.map(i32::from))
                    .set_virtual_network_id(change.vni.and_then(|v| i32::try_from(v).ok()))
                    .set_packet_length(change.packet_length.map(i32::from));
                if change.remove_packet_length {
                    req = req.remove_fields(TrafficMirrorSessionField::PacketLength);
                }
                req.send().await.map_err(|e| fail("ModifyTrafficMirrorSession", e))?;
                Ok(None)
            }
            Op::DeleteSession { id } => {
                let r =
                    self.client.delete_traffic_mirror_session().traffic_mirror_session_id(id).dry_run(dry).send().await;
                gone_ok("DeleteTrafficMirrorSession", r)
            }
            Op::DeleteTarget { id } => {
                let r =
                    self.client.delete_traffic_mirror_target().traffic_mirror_target_id(id).dry_run(dry).send().await;
                gone_ok("DeleteTrafficMirrorTarget", r)
            }
            Op::DeleteFilter { id } => {
                let r =
                    self.client.delete_traffic_mirror_filter().traffic_mirror_filter_id(id).dry_run(dry).send().await;
                gone_ok("DeleteTrafficMirrorFilter", r)
            }
        }
    }
}

/// A delete that found nothing to delete has done its job.
fn gone_ok<T, E>(
    op: &'static str,
    r: std::result::Result<T, SdkError<E, aws_sdk_ec2::config::http::HttpResponse>>,
) -> Result<Option<String>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match r {
        Ok(_) => Ok(None),
        Err(e) if code_is_not_found(e.code()) => Ok(None),
        Err(e) => Err(fail(op, e)),
    }
}

/// The IAM action (without `ec2:`) behind an op, for dry-run reports.
pub fn op_action(op: &Op) -> Option<&'static str> {
    Some(match op {
        Op::Keep => return None,
        Op::CreateTarget(_) => "CreateTrafficMirrorTarget",
        Op::CreateFilter => "CreateTrafficMirrorFilter",
        Op::CreateRule { .. } => "CreateTrafficMirrorFilterRule",
        Op::ModifyRule { .. } => "ModifyTrafficMirrorFilterRule",
        Op::DeleteRule { .. } => "DeleteTrafficMirrorFilterRule",
        Op::SetAmazonDns { .. } => "ModifyTrafficMirrorFilterNetworkServices",
        Op::CreateSession { .. } => "CreateTrafficMirrorSession",
        Op::ModifySession { .. } => "ModifyTrafficMirrorSession",
        Op::DeleteSession { .. } => "DeleteTrafficMirrorSession",
        Op::DeleteTarget { .. } => "DeleteTrafficMirrorTarget",
        Op::DeleteFilter { .. } => "DeleteTrafficMirrorFilter",
    })
}

/// Primary private IP of an ENI, if it exists.
///
/// # Errors
/// API failures.
pub async fn eni_ip(ec2: &Ec2, eni: &str) -> Result<Option<IpAddr>> {
    Ok(ec2.eni_info(&[eni.to_string()]).await?.get(eni).and_then(|i| i.ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_deterministic_and_bounded() {
        let a = client_token(&["web", "target", "eni-1", "0"]);
        assert_eq!(a, client_token(&["web", "target", "eni-1", "0"]));
        assert_ne!(a, client_token(&["web", "target", "eni-1", "1"]), "epoch changes the token");
        assert_ne!(client_token(&["ab", "c"]), client_token(&["a", "bc"]), "parts are delimited");
        assert!(a.len() <= 64 && a.is_ascii());
    }
}
