//! Planning: what `up`, `filter` and `down` must create, modify, keep or
//! delete, given what was observed in the account. Pure functions, no SDK:
//! every decision here is unit-tested on plain structs.
//!
//! The planner also performs every check that can be made before calling
//! AWS (source interface type, bare metal, an ENI as both source and target,
//! 3 sessions per ENI, session-number clashes, packet length for load
//! balancers) and returns all problems at once, so the user learns why a
//! source cannot be mirrored before anything is created.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::filter::{validate, FilterSpec};
use crate::model::{
    Direction, Observed, ObservedFilter, ObservedRule, ObservedSession, RuleSpec, SourceFacts, TargetFacts, TargetKind,
    TargetSpec, MAX_PACKET_LENGTH_LB, MAX_RULES_PER_FILTER, MAX_SESSIONS_PER_ENI, MAX_SESSION_NUMBER, MAX_VNI,
};

/// What a step does to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    /// A new resource.
    Create,
    /// A change in place.
    Modify,
    /// Already as wanted; no call.
    Keep,
    /// Removal.
    Delete,
}

impl Verb {
    /// Lowercase word used in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Modify => "modify",
            Verb::Keep => "keep",
            Verb::Delete => "delete",
        }
    }
}

/// Which kind of resource a step is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Traffic mirror target.
    Target,
    /// Traffic mirror filter.
    Filter,
    /// Filter rule.
    Rule,
    /// The filter's network services (`amazon-dns`).
    NetworkServices,
    /// Traffic mirror session.
    Session,
}

impl Kind {
    /// Word used in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Target => "target",
            Kind::Filter => "filter",
            Kind::Rule => "rule",
            Kind::NetworkServices => "network-services",
            Kind::Session => "session",
        }
    }
}

/// A reference to a target or filter: one that exists, or the one this plan
/// creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ref {
    /// An existing resource id.
    Existing(String),
    /// The resource created earlier in the same plan.
    New,
}

impl Ref {
    fn label(&self) -> &str {
        match self {
            Ref::Existing(id) => id,
            Ref::New => "(new)",
        }
    }
}

/// Packet length wanted for sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketLength {
    /// Whole packets (no `PacketLength`).
    Full,
    /// Keep this many bytes of each packet.
    Bytes(u16),
}

/// Changes to an existing session (ModifyTrafficMirrorSession).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionChange {
    /// New target.
    pub target: Option<Ref>,
    /// New filter.
    pub filter: Option<Ref>,
    /// New session number.
    pub number: Option<u16>,
    /// New VNI.
    pub vni: Option<u32>,
    /// New packet length.
    pub packet_length: Option<u16>,
    /// Mirror whole packets again (`RemoveFields=packet-length`).
    pub remove_packet_length: bool,
}

impl SessionChange {
    fn is_empty(&self) -> bool {
        *self == SessionChange::default()
    }
}

/// Fields of a rule to clear (ModifyTrafficMirrorFilterRule `RemoveFields`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleRemovals {
    /// Clear the protocol (match all).
    pub protocol: bool,
    /// Clear the source port range.
    pub source_ports: bool,
    /// Clear the destination port range.
    pub destination_ports: bool,
}

/// The API operation behind a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Nothing to do.
    Keep,
    /// CreateTrafficMirrorTarget.
    CreateTarget(TargetSpec),
    /// CreateTrafficMirrorFilter.
    CreateFilter,
    /// CreateTrafficMirrorFilterRule.
    CreateRule {
        /// Filter to add to.
        filter: Ref,
        /// The rule.
        rule: RuleSpec,
    },
    /// ModifyTrafficMirrorFilterRule.
    ModifyRule {
        /// Rule id.
        rule_id: String,
        /// All wanted fields.
        rule: RuleSpec,
        /// Fields to clear.
        remove: RuleRemovals,
    },
    /// DeleteTrafficMirrorFilterRule.
    DeleteRule {
        /// Rule id.
        rule_id: String,
    },
    /// ModifyTrafficMirrorFilterNetworkServices.
    SetAmazonDns {
        /// Filter to change.
        filter: Ref,
        /// Whether `amazon-dns` is to be mirrored.
        enabled: bool,
    },
    /// CreateTrafficMirrorSession.
    CreateSession {
        /// Source ENI.
        eni: String,
        /// Target.
        target: Ref,
        /// Filter.
        filter: Ref,
        /// Session number.
        number: u16,
        /// VNI (`None`: AWS picks one).
        vni: Option<u32>,
        /// Packet length (`None`: whole packets).
        packet_length: Option<u16>,
    },
    /// ModifyTrafficMirrorSession.
    ModifySession {
        /// Session id.
        id: String,
        /// What changes.
        change: SessionChange,
    },
    /// DeleteTrafficMirrorSession.
    DeleteSession {
        /// Session id.
        id: String,
    },
    /// DeleteTrafficMirrorTarget.
    DeleteTarget {
        /// Target id.
        id: String,
    },
    /// DeleteTrafficMirrorFilter (its rules go with it).
    DeleteFilter {
        /// Filter id.
        id: String,
    },
}

/// One line of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Create, modify, keep or delete.
    pub verb: Verb,
    /// Resource kind.
    pub kind: Kind,
    /// The resource: an id, or what identifies a resource still to be made.
    pub subject: String,
    /// What is wanted or what changes.
    pub detail: String,
    /// The call to make.
    #[serde(skip)]
    pub op: Op,
}

/// An ordered list of steps (execution order) and warnings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Setup name.
    pub name: String,
    /// Steps, in the order `up` executes them.
    pub steps: Vec<Step>,
    /// Things worth knowing that do not stop the plan.
    pub warnings: Vec<String>,
    /// The setup as it will be once `up` has run (for `up` plans only): what
    /// the Terraform output describes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<EndState>,
}

/// The whole setup after `up`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndState {
    /// Target.
    pub target: TargetSpec,
    /// Filter rules.
    pub rules: Vec<RuleSpec>,
    /// Whether `amazon-dns` is mirrored.
    pub amazon_dns: bool,
    /// One session per source ENI.
    pub sessions: Vec<EndSession>,
}

/// A session after `up`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndSession {
    /// Source ENI.
    pub eni: String,
    /// Its instance.
    pub instance_id: Option<String>,
    /// Session number.
    pub number: u16,
    /// VNI; `None` when AWS picks it.
    pub vni: Option<u32>,
    /// Packet length; `None` for whole packets.
    pub packet_length: Option<u16>,
}

impl Plan {
    /// Number of steps with the given verb.
    pub fn count(&self, verb: Verb) -> usize {
        self.steps.iter().filter(|s| s.verb == verb).count()
    }

    /// Whether the plan makes no change.
    pub fn is_noop(&self) -> bool {
        self.steps.iter().all(|s| s.verb == Verb::Keep)
    }

    /// `2 to create, 1 to modify, 3 unchanged, 0 to delete`.
    pub fn summary(&self) -> String {
        format!(
            "{} to create, {} to modify, {} unchanged, {} to delete",
            self.count(Verb::Create),
            self.count(Verb::Modify),
            self.count(Verb::Keep),
            self.count(Verb::Delete)
        )
    }

    fn push(&mut self, verb: Verb, kind: Kind, subject: impl Into<String>, detail: impl Into<String>, op: Op) {
        self.steps.push(Step { verb, kind, subject: subject.into(), detail: detail.into(), op });
    }
}

/// Everything `up` wants, after discovery.
#[derive(Clone, Debug)]
pub struct UpRequest {
    /// Setup name (the `mirador:name` tag value).
    pub name: String,
    /// Resolved source ENIs.
    pub sources: Vec<SourceFacts>,
    /// Resolved target.
    pub target: TargetFacts,
    /// `--filter`: converge the rules to this. `None` keeps the rules of an
    /// existing filter, and uses `default_filter` for a new one.
    pub filter: Option<FilterSpec>,
    /// Rules for a new filter when `--filter` was not given.
    pub default_filter: FilterSpec,
    /// `--amazon-dns` / `--no-amazon-dns`; overrides the filter's setting.
    pub amazon_dns: Option<bool>,
    /// `--session-number`; `None` keeps an existing session's number and picks
    /// the lowest free number for a new one.
    pub session_number: Option<u16>,
    /// `--vni`; `None` keeps an existing session's VNI, AWS picks for new ones.
    pub vni: Option<u32>,
    /// `--packet-length`; `None` keeps what exists, whole packets when new.
    pub packet_length: Option<PacketLength>,
}

/// Instance families that run on Nitro yet are excluded from Traffic
/// Mirroring (AWS sessions page, 2026; the list changes, so this only warns).
const EXCLUDED_FAMILIES: &[&str] = &[
    "m6a", "m6i", "m6id", "m6idn", "m6in", "m7a", "m7g", "m7gd", "m7i", "m7i-flex", "m8g", "c6a", "c6gd", "c6gn",
    "c6i", "c6id", "c6in", "c7a", "c7g", "c7gd", "c7gn", "c7i", "c8g", "r8g", "x2idn", "x2iedn", "x2iezn", "x8g",
    "i4g", "i4i", "im4gn", "is4gen", "inf2", "p5", "trn1", "trn1n", "hpc6a", "hpc6id", "hpc7a", "hpc7g",
];
/// Excluded by prefix (`R6*`, `R7*`).
const EXCLUDED_PREFIXES: &[&str] = &["r6", "r7"];
/// Xen (non-Nitro) families that do support Traffic Mirroring.
const XEN_SUPPORTED: &[&str] = &["c4", "d2", "g3", "g3s", "h1", "i3", "m4", "p2", "p3", "r4", "x1", "x1e"];

/// A warning when an instance type is probably not a valid mirror source.
/// Deliberately not an error: AWS has changed the list several times, and
/// CreateTrafficMirrorSession has the last word.
pub fn instance_type_warning(instance_type: &str, hypervisor: Option<&str>) -> Option<String> {
    let family = instance_type.split('.').next().unwrap_or(instance_type).to_ascii_lowercase();
    let xen = hypervisor.is_some_and(|h| h.eq_ignore_ascii_case("xen"));
    if xen && !XEN_SUPPORTED.contains(&family.as_str()) {
        return Some(format!(
            "instance type {instance_type} runs on Xen; of the Xen families only {} support Traffic Mirroring",
            XEN_SUPPORTED.join(", ")
        ));
    }
    if EXCLUDED_FAMILIES.contains(&family.as_str()) || EXCLUDED_PREFIXES.iter().any(|p| family.starts_with(p)) {
        return Some(format!(
            "instance type {instance_type} is in a family AWS lists as not supported as a mirror source; \
             CreateTrafficMirrorSession will decide"
        ));
    }
    None
}

fn source_label(s: &SourceFacts) -> String {
    match &s.instance_id {
        Some(i) => format!("{} ({i})", s.eni),
        None => s.eni.clone(),
    }
}

/// Checks sources and target against each other and the account. Returns
/// (problems, warnings).
fn check_up(req: &UpRequest, obs: &Observed) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let target_eni = match req.target.spec.kind {
        TargetKind::NetworkInterface => Some(req.target.spec.resource.as_str()),
        _ => None,
    };
    for s in &req.sources {
        let who = source_label(s);
        if let Some(t) = s.interface_type.as_deref() {
            if t != "interface" {
                problems.push(format!(
                    "source {who}: interface type '{t}' cannot be mirrored (only ENIs of type 'interface' can)"
                ));
            }
        }
        if s.bare_metal == Some(true) {
            problems.push(format!(
                "source {who}: instance type {} is bare metal, which Traffic Mirroring does not support",
                s.instance_type.as_deref().unwrap_or("?")
            ));
        }
        if s.requester_managed {
            warnings.push(format!(
                "source {who} is requester-managed (created by an AWS service); AWS may refuse to mirror it"
            ));
        }
        if let Some(t) = &s.instance_type {
            if let Some(w) = instance_type_warning(t, s.hypervisor.as_deref()) {
                warnings.push(format!("source {who}: {w}"));
            }
        }
        if target_eni == Some(s.eni.as_str()) {
            problems.push(format!("{} is both the source and the target: an ENI cannot be both", s.eni));
        }
        if let Some(t) = obs
            .targets
            .iter()
            .find(|t| t.spec.as_ref().is_some_and(|sp| sp.kind == TargetKind::NetworkInterface && sp.resource == s.eni))
        {
            problems.push(format!(
                "source {who} is the ENI of mirror target {}: an ENI cannot be both a mirror source and a mirror target",
                t.id
            ));
        }
        let foreign: Vec<&ObservedSession> =
            obs.sessions.iter().filter(|x| x.eni == s.eni && !crate::model::is_ours(&x.tags, &req.name)).collect();
        let ours = obs.our_sessions(&req.name).any(|x| x.eni == s.eni);
        if !ours && foreign.len() >= MAX_SESSIONS_PER_ENI {
            let ids: Vec<&str> = foreign.iter().map(|x| x.id.as_str()).collect();
            problems.push(format!(
                "source {who} already has {} mirror sessions ({}); AWS allows {MAX_SESSIONS_PER_ENI} per ENI \
                 (not adjustable): delete one or choose another source",
                foreign.len(),
                ids.join(", ")
            ));
        }
        if let Some(n) = req.session_number {
            if let Some(x) = foreign.iter().find(|x| x.number == n) {
                problems.push(format!(
                    "source {who}: session number {n} is taken by session {} on that ENI; pick another --session-number",
                    x.id
                ));
            }
        }
    }
    if let Some(eni) = target_eni {
        if let Some(x) = obs.sessions.iter().find(|x| x.eni == eni) {
            problems.push(format!(
                "target {eni} is the source of mirror session {}: an ENI cannot be both a mirror source and a mirror target",
                x.id
            ));
        }
    }
    if let Some(PacketLength::Bytes(n)) = req.packet_length {
        if n == 0 {
            problems.push("--packet-length must be at least 1 (use 'full' for whole packets)".into());
        }
        if req.target.spec.kind.is_load_balancer() && n > MAX_PACKET_LENGTH_LB {
            problems.push(format!(
                "--packet-length {n}: load balancer targets accept at most {MAX_PACKET_LENGTH_LB} bytes"
            ));
        }
    }
    if let Some(v) = req.vni {
        if v > MAX_VNI {
            problems.push(format!("--vni {v}: a VNI has 24 bits (0..={MAX_VNI})"));
        }
    }
    if let Some(n) = req.session_number {
        if n == 0 || n > MAX_SESSION_NUMBER {
            problems.push(format!("--session-number {n}: session numbers run from 1 to {MAX_SESSION_NUMBER}"));
        }
    }
    for f in req.filter.iter().chain(std::iter::once(&req.default_filter)) {
        if let Err(errs) = validate(&f.rules) {
            problems.extend(errs.into_iter().map(|e| format!("filter {}: {e}", f.label)));
        }
    }
    (problems, warnings)
}

/// Diffs rules by (direction, number): create, modify, keep, delete.
/// Deletions come first so that a freed number can be reused.
fn plan_rules(plan: &mut Plan, filter: &Ref, existing: &[ObservedRule], desired: &[RuleSpec]) {
    let mut deletes = Vec::new();
    let mut modifies = Vec::new();
    let mut creates = Vec::new();
    let mut keeps = Vec::new();
    for e in existing {
        if !desired.iter().any(|d| d.direction == e.spec.direction && d.number == e.spec.number) {
            deletes.push(e);
        }
    }
    for d in desired {
        match existing.iter().find(|e| e.spec.direction == d.direction && e.spec.number == d.number) {
            None => creates.push(d),
            Some(e) if d.same_as(&e.spec) => keeps.push(e),
            Some(e) => modifies.push((e, d)),
        }
    }
    for e in deletes {
        plan.push(Verb::Delete, Kind::Rule, &e.id, e.spec.summary(), Op::DeleteRule { rule_id: e.id.clone() });
    }
    for (e, d) in modifies {
        let remove = RuleRemovals {
            protocol: d.protocol.is_none() && e.spec.protocol.is_some(),
            source_ports: d.source_ports.is_none() && e.spec.source_ports.is_some(),
            destination_ports: d.destination_ports.is_none() && e.spec.destination_ports.is_some(),
        };
        plan.push(
            Verb::Modify,
            Kind::Rule,
            &e.id,
            format!("{} (was {})", d.summary(), e.spec.summary()),
            Op::ModifyRule { rule_id: e.id.clone(), rule: d.clone(), remove },
        );
    }
    for d in creates {
        plan.push(
            Verb::Create,
            Kind::Rule,
            format!("in filter {}", filter.label()),
            d.summary(),
            Op::CreateRule { filter: filter.clone(), rule: d.clone() },
        );
    }
    for e in keeps {
        plan.push(Verb::Keep, Kind::Rule, &e.id, e.spec.summary(), Op::Keep);
    }
}

fn dns_word(on: bool) -> &'static str {
    if on {
        "amazon-dns mirrored"
    } else {
        "amazon-dns not mirrored"
    }
}

/// Picks the filter to keep among ours: the one our sessions use most, then
/// the lowest id.
fn pick_filter<'a>(obs: &'a Observed, name: &'a str) -> Option<&'a ObservedFilter> {
    let mut ours: Vec<&ObservedFilter> = obs.our_filters(name).collect();
    ours.sort_by_key(|f| {
        let uses = obs.our_sessions(name).filter(|s| s.filter_id == f.id).count();
        (std::cmp::Reverse(uses), f.id.clone())
    });
    ours.first().copied()
}

fn lowest_free_number(used: &BTreeSet<u16>) -> u16 {
    (1..=MAX_SESSION_NUMBER).find(|n| !used.contains(n)).unwrap_or(1)
}

fn users_outside<'a>(obs: &'a Observed, name: &str, pred: impl Fn(&ObservedSession) -> bool) -> Vec<&'a str> {
    obs.sessions.iter().filter(|s| !crate::model::is_ours(&s.tags, name) && pred(s)).map(|s| s.id.as_str()).collect()
}

/// Plans `mirror up` (and `mirror plan`).
///
/// # Errors
/// Every problem that would make AWS refuse the setup, or make it unsafe.
pub fn plan_up(req: &UpRequest, obs: &Observed) -> Result<Plan, Vec<String>> {
    let (problems, warnings) = check_up(req, obs);
    if !problems.is_empty() {
        return Err(problems);
    }
    let name = req.name.as_str();
    let mut plan = Plan { name: name.to_string(), steps: Vec::new(), warnings, end: None };

    // Target: reuse the tagged target for the same resource; targets cannot be
    // modified, so a different resource means a new target and moved sessions.
    let kept_target = obs.our_targets(name).find(|t| t.spec.as_ref() == Some(&req.target.spec));
    let target_ref = match kept_target {
        Some(t) => {
            plan.push(Verb::Keep, Kind::Target, &t.id, req.target.spec.to_string(), Op::Keep);
            Ref::Existing(t.id.clone())
        }
        None => {
            let mut detail = req.target.spec.to_string();
            if let Some(i) = &req.target.instance_id {
                detail.push_str(&format!(" ({i})"));
            }
            plan.push(Verb::Create, Kind::Target, "target", detail, Op::CreateTarget(req.target.spec.clone()));
            Ref::New
        }
    };

    // Filter and rules.
    let kept_filter = pick_filter(obs, name);
    let end_rules: Vec<RuleSpec>;
    let end_dns: bool;
    let filter_ref = match kept_filter {
        Some(f) => {
            let how = match &req.filter {
                Some(spec) => format!("converge to {}", spec.label),
                None => "rules kept as they are (no --filter given)".into(),
            };
            plan.push(Verb::Keep, Kind::Filter, &f.id, how, Op::Keep);
            let fref = Ref::Existing(f.id.clone());
            match &req.filter {
                Some(spec) => plan_rules(&mut plan, &fref, &f.rules, &spec.rules),
                None => {
                    plan_rules(&mut plan, &fref, &f.rules, &f.rules.iter().map(|r| r.spec.clone()).collect::<Vec<_>>())
                }
            }
            let want_dns = req.amazon_dns.or(req.filter.as_ref().map(|s| s.amazon_dns)).unwrap_or(f.amazon_dns);
            end_rules = match &req.filter {
                Some(spec) => spec.rules.clone(),
                None => f.rules.iter().map(|r| r.spec.clone()).collect(),
            };
            end_dns = want_dns;
            if want_dns != f.amazon_dns {
                plan.push(
                    Verb::Modify,
                    Kind::NetworkServices,
                    &f.id,
                    dns_word(want_dns),
                    Op::SetAmazonDns { filter: fref.clone(), enabled: want_dns },
                );
            }
            fref
        }
        None => {
            let spec = req.filter.as_ref().unwrap_or(&req.default_filter);
            plan.push(
                Verb::Create,
                Kind::Filter,
                "filter",
                format!("{} ({} rules)", spec.label, spec.rules.len()),
                Op::CreateFilter,
            );
            plan_rules(&mut plan, &Ref::New, &[], &spec.rules);
            end_rules = spec.rules.clone();
            end_dns = req.amazon_dns.unwrap_or(spec.amazon_dns);
            if end_dns {
                plan.push(
                    Verb::Create,
                    Kind::NetworkServices,
                    "in filter (new)",
                    dns_word(true),
                    Op::SetAmazonDns { filter: Ref::New, enabled: true },
                );
            }
            Ref::New
        }
    };

    // Sessions: one per source ENI.
    let mut wanted_enis = BTreeSet::new();
    let mut end_sessions = Vec::new();
    let mut session_steps = (Vec::new(), Vec::new(), Vec::new(), Vec::new()); // delete, modify, create, keep
    for s in &req.sources {
        if !wanted_enis.insert(s.eni.clone()) {
            continue;
        }
        let mut ours: Vec<&ObservedSession> = obs.our_sessions(name).filter(|x| x.eni == s.eni).collect();
        ours.sort_by(|a, b| a.id.cmp(&b.id));
        for extra in ours.iter().skip(1) {
            session_steps.0.push(Step {
                verb: Verb::Delete,
                kind: Kind::Session,
                subject: extra.id.clone(),
                detail: format!("duplicate session on {}", s.eni),
                op: Op::DeleteSession { id: extra.id.clone() },
            });
        }
        match ours.first() {
            Some(x) => {
                let mut ch = SessionChange::default();
                let mut what = Vec::new();
                if target_ref != Ref::Existing(x.target_id.clone()) {
                    what.push(format!("target {} -> {}", x.target_id, target_ref.label()));
                    ch.target = Some(target_ref.clone());
                }
                if filter_ref != Ref::Existing(x.filter_id.clone()) {
                    what.push(format!("filter {} -> {}", x.filter_id, filter_ref.label()));
                    ch.filter = Some(filter_ref.clone());
                }
                if let Some(n) = req.session_number.filter(|n| *n != x.number) {
                    what.push(format!("session number {} -> {n}", x.number));
                    ch.number = Some(n);
                }
                if let Some(v) = req.vni.filter(|v| Some(*v) != x.vni) {
                    what.push(format!("vni {} -> {v}", x.vni.map_or("auto".into(), |v| v.to_string())));
                    ch.vni = Some(v);
                }
                match req.packet_length {
                    Some(PacketLength::Full) if x.packet_length.is_some() => {
                        what.push(format!("packet length {} -> whole packets", x.packet_length.unwrap_or(0)));
                        ch.remove_packet_length = true;
                    }
                    Some(PacketLength::Bytes(n)) if x.packet_length != Some(n) => {
                        let was = x.packet_length.map_or("whole packets".into(), |p| p.to_string());
                        what.push(format!("packet length {was} -> {n}"));
                        ch.packet_length = Some(n);
                    }
                    _ => {}
                }
                end_sessions.push(EndSession {
                    eni: s.eni.clone(),
                    instance_id: s.instance_id.clone(),
                    number: ch.number.unwrap_or(x.number),
                    vni: ch.vni.or(x.vni),
                    packet_length: if ch.remove_packet_length { None } else { ch.packet_length.or(x.packet_length) },
                });
                let subject = x.id.clone();
                if ch.is_empty() {
                    let vni = x.vni.map_or("auto".into(), |v| v.to_string());
                    let detail = format!("{} number {} vni {vni}", source_label(s), x.number);
                    session_steps.3.push(Step { verb: Verb::Keep, kind: Kind::Session, subject, detail, op: Op::Keep });
                } else {
                    session_steps.1.push(Step {
                        verb: Verb::Modify,
                        kind: Kind::Session,
                        subject,
                        detail: format!("{}: {}", source_label(s), what.join(", ")),
                        op: Op::ModifySession { id: x.id.clone(), change: ch },
                    });
                }
            }
            None => {
                let used: BTreeSet<u16> = obs.sessions.iter().filter(|x| x.eni == s.eni).map(|x| x.number).collect();
                let number = req.session_number.unwrap_or_else(|| lowest_free_number(&used));
                let packet_length = match req.packet_length {
                    Some(PacketLength::Bytes(n)) => Some(n),
                    _ => None,
                };
                end_sessions.push(EndSession {
                    eni: s.eni.clone(),
                    instance_id: s.instance_id.clone(),
                    number,
                    vni: req.vni,
                    packet_length,
                });
                let detail = format!(
                    "{} number {number} vni {} {}",
                    source_label(s),
                    req.vni.map_or("auto".into(), |v| v.to_string()),
                    packet_length.map_or("whole packets".into(), |p| format!("packet length {p}"))
                );
                session_steps.2.push(Step {
                    verb: Verb::Create,
                    kind: Kind::Session,
                    subject: format!("on {}", s.eni),
                    detail,
                    op: Op::CreateSession {
                        eni: s.eni.clone(),
                        target: target_ref.clone(),
                        filter: filter_ref.clone(),
                        number,
                        vni: req.vni,
                        packet_length,
                    },
                });
            }
        }
    }
    for x in obs.our_sessions(name).filter(|x| !wanted_enis.contains(&x.eni)) {
        session_steps.0.push(Step {
            verb: Verb::Delete,
            kind: Kind::Session,
            subject: x.id.clone(),
            detail: format!("{} is no longer a source", x.eni),
            op: Op::DeleteSession { id: x.id.clone() },
        });
    }
    let (d, m, c, k) = session_steps;
    plan.steps.extend(d.into_iter().chain(m).chain(c).chain(k));
    plan.end = Some(EndState {
        target: req.target.spec.clone(),
        rules: end_rules,
        amazon_dns: end_dns,
        sessions: end_sessions,
    });

    // Our other targets and filters, once no session of ours uses them.
    for t in obs.our_targets(name) {
        if Ref::Existing(t.id.clone()) == target_ref {
            continue;
        }
        let users = users_outside(obs, name, |s| s.target_id == t.id);
        if users.is_empty() {
            let detail = t.spec.as_ref().map_or("replaced".into(), |s| format!("{s} (replaced)"));
            plan.push(Verb::Delete, Kind::Target, &t.id, detail, Op::DeleteTarget { id: t.id.clone() });
        } else {
            plan.warnings.push(format!(
                "old target {} is left in place: sessions not created by mirador use it ({})",
                t.id,
                users.join(", ")
            ));
        }
    }
    for f in obs.our_filters(name) {
        if Ref::Existing(f.id.clone()) == filter_ref {
            continue;
        }
        let users = users_outside(obs, name, |s| s.filter_id == f.id);
        if users.is_empty() {
            plan.push(Verb::Delete, Kind::Filter, &f.id, "duplicate filter", Op::DeleteFilter { id: f.id.clone() });
        } else {
            plan.warnings.push(format!(
                "extra filter {} is left in place: sessions not created by mirador use it ({})",
                f.id,
                users.join(", ")
            ));
        }
    }
    Ok(plan)
}

/// A change requested by `mirror filter`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterChange {
    /// Add one rule.
    Add(RuleSpec),
    /// Remove the rule with this number (in this direction, if given).
    Remove {
        /// Direction, when the number alone is ambiguous.
        direction: Option<Direction>,
        /// Rule number.
        number: u16,
    },
    /// Replace all rules with a preset or file.
    Replace(FilterSpec),
}

/// Plans `mirror filter`: a change to the rules of the running setup's filter.
///
/// # Errors
/// No filter for `name`, several, a taken or missing rule number, an
/// ambiguous `--remove`, more than 10 rules.
pub fn plan_filter(
    name: &str,
    obs: &Observed,
    change: &FilterChange,
    amazon_dns: Option<bool>,
) -> Result<Plan, Vec<String>> {
    let f = pick_filter(obs, name).ok_or_else(|| {
        vec![format!(
            "no traffic mirror filter tagged mirador:name={name}: run `mirador mirror up --name {name} …` first"
        )]
    })?;
    let mut plan = Plan { name: name.to_string(), ..Plan::default() };
    let fref = Ref::Existing(f.id.clone());
    let mut want_dns = amazon_dns;
    match change {
        FilterChange::Add(rule) => {
            if let Some(e) = f.rules.iter().find(|e| e.spec.direction == rule.direction && e.spec.number == rule.number)
            {
                return Err(vec![format!(
                    "filter {} already has rule {} {} ({}); remove it first or pick another number",
                    f.id,
                    rule.direction,
                    rule.number,
                    e.spec.summary()
                )]);
            }
            if f.rules.len() + 1 > MAX_RULES_PER_FILTER {
                return Err(vec![format!(
                    "filter {} already has {} rules, the most a filter can hold; remove one first",
                    f.id,
                    f.rules.len()
                )]);
            }
            plan.push(
                Verb::Create,
                Kind::Rule,
                format!("in filter {}", f.id),
                rule.summary(),
                Op::CreateRule { filter: fref.clone(), rule: rule.clone() },
            );
        }
        FilterChange::Remove { direction, number } => {
            let found: Vec<&ObservedRule> = f
                .rules
                .iter()
                .filter(|e| e.spec.number == *number && direction.is_none_or(|d| d == e.spec.direction))
                .collect();
            match found.as_slice() {
                [] => {
                    return Err(vec![format!("filter {} has no rule number {number}", f.id)]);
                }
                [one] => plan.push(
                    Verb::Delete,
                    Kind::Rule,
                    &one.id,
                    one.spec.summary(),
                    Op::DeleteRule { rule_id: one.id.clone() },
                ),
                _ => {
                    return Err(vec![format!(
                        "rule number {number} exists in both directions: say --remove ingress:{number} or egress:{number}"
                    )]);
                }
            }
        }
        FilterChange::Replace(spec) => {
            validate(&spec.rules)
                .map_err(|e| e.into_iter().map(|m| format!("filter {}: {m}", spec.label)).collect::<Vec<_>>())?;
            plan_rules(&mut plan, &fref, &f.rules, &spec.rules);
            want_dns = want_dns.or(Some(spec.amazon_dns));
        }
    }
    if let Some(on) = want_dns {
        if on != f.amazon_dns {
            plan.push(
                Verb::Modify,
                Kind::NetworkServices,
                &f.id,
                dns_word(on),
                Op::SetAmazonDns { filter: fref, enabled: on },
            );
        }
    }
    Ok(plan)
}

/// Plans `mirror down`: sessions first, then targets, then filters (their
/// rules go with them), the order AWS requires. Resources without the tag
/// are never touched; a target or filter still used by a session mirador did
/// not create is left in place with a warning.
pub fn plan_down(name: &str, obs: &Observed) -> Plan {
    let mut plan = Plan { name: name.to_string(), ..Plan::default() };
    for s in obs.our_sessions(name) {
        plan.push(Verb::Delete, Kind::Session, &s.id, format!("on {}", s.eni), Op::DeleteSession { id: s.id.clone() });
    }
    for t in obs.our_targets(name) {
        let users = users_outside(obs, name, |s| s.target_id == t.id);
        if users.is_empty() {
            let detail = t.spec.as_ref().map_or(String::new(), |s| s.to_string());
            plan.push(Verb::Delete, Kind::Target, &t.id, detail, Op::DeleteTarget { id: t.id.clone() });
        } else {
            plan.warnings.push(format!(
                "target {} is left in place: sessions not created by mirador use it ({}); delete those first",
                t.id,
                users.join(", ")
            ));
        }
    }
    for f in obs.our_filters(name) {
        let users = users_outside(obs, name, |s| s.filter_id == f.id);
        if users.is_empty() {
            plan.push(
                Verb::Delete,
                Kind::Filter,
                &f.id,
                format!("with its {} rules", f.rules.len()),
                Op::DeleteFilter { id: f.id.clone() },
            );
        } else {
            plan.warnings.push(format!(
                "filter {} is left in place: sessions not created by mirador use it ({}); delete those first",
                f.id,
                users.join(", ")
            ));
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{preset, PresetContext};
    use crate::model::{ObservedTarget, Tags, TAG_NAME, TAG_ROLE};

    const NAME: &str = "web";

    fn tags(role: &str) -> Tags {
        [(TAG_NAME.to_string(), NAME.to_string()), (TAG_ROLE.to_string(), role.to_string())].into()
    }

    fn source(eni: &str) -> SourceFacts {
        SourceFacts {
            eni: eni.into(),
            instance_id: Some(format!("i-{eni}")),
            instance_type: Some("m5.large".into()),
            interface_type: Some("interface".into()),
            hypervisor: Some("nitro".into()),
            bare_metal: Some(false),
            ..SourceFacts::default()
        }
    }

    fn target_spec(eni: &str) -> TargetSpec {
        TargetSpec { kind: TargetKind::NetworkInterface, resource: eni.into() }
    }

    fn req() -> UpRequest {
        let all = preset("all", &PresetContext::default()).unwrap();
        UpRequest {
            name: NAME.into(),
            sources: vec![source("eni-src")],
            target: TargetFacts { spec: target_spec("eni-tgt"), ip: None, instance_id: None },
            filter: None,
            default_filter: all,
            amazon_dns: None,
            session_number: None,
            vni: None,
            packet_length: None,
        }
    }

    fn observed_rules(spec: &FilterSpec) -> Vec<ObservedRule> {
        spec.rules.iter().enumerate().map(|(i, r)| ObservedRule { id: format!("tmfr-{i}"), spec: r.clone() }).collect()
    }

    /// The account after a successful `up` of `req()`.
    fn full() -> Observed {
        let all = preset("all", &PresetContext::default()).unwrap();
        Observed {
            targets: vec![ObservedTarget {
                id: "tmt-1".into(),
                spec: Some(target_spec("eni-tgt")),
                tags: tags("target"),
            }],
            filters: vec![ObservedFilter {
                id: "tmf-1".into(),
                rules: observed_rules(&all),
                amazon_dns: false,
                tags: tags("filter"),
            }],
            sessions: vec![session("tms-1", "eni-src", 1, Some(77), tags("session"))],
        }
    }

    fn session(id: &str, eni: &str, number: u16, vni: Option<u32>, tags: Tags) -> ObservedSession {
        ObservedSession {
            id: id.into(),
            eni: eni.into(),
            target_id: "tmt-1".into(),
            filter_id: "tmf-1".into(),
            number,
            vni,
            packet_length: None,
            tags,
        }
    }

    /// (verb, kind) pairs of a plan, in order.
    fn shape(p: &Plan) -> Vec<(Verb, Kind)> {
        p.steps.iter().map(|s| (s.verb, s.kind)).collect()
    }

    fn count(p: &Plan, verb: Verb, kind: Kind) -> usize {
        p.steps.iter().filter(|s| s.verb == verb && s.kind == kind).count()
    }

    #[test]
    fn empty_account_creates_everything() {
        let p = plan_up(&req(), &Observed::default()).unwrap();
        assert_eq!(count(&p, Verb::Create, Kind::Target), 1);
        assert_eq!(count(&p, Verb::Create, Kind::Filter), 1);
        assert_eq!(count(&p, Verb::Create, Kind::Rule), 4);
        assert_eq!(count(&p, Verb::Create, Kind::Session), 1);
        assert_eq!(p.count(Verb::Keep) + p.count(Verb::Modify) + p.count(Verb::Delete), 0);
        // Execution order: target, filter, rules, session.
        assert_eq!(shape(&p)[0], (Verb::Create, Kind::Target));
        assert_eq!(shape(&p)[1], (Verb::Create, Kind::Filter));
        assert_eq!(shape(&p).last(), Some(&(Verb::Create, Kind::Session)));
        match &p.steps.last().unwrap().op {
            Op::CreateSession { number, target, filter, .. } => {
                assert_eq!(*number, 1);
                assert_eq!((target, filter), (&Ref::New, &Ref::New));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn second_up_keeps_everything() {
        let p = plan_up(&req(), &full()).unwrap();
        assert!(p.is_noop(), "{p:#?}");
        assert_eq!(p.count(Verb::Keep), 1 + 1 + 4 + 1);
    }

    /// Table: a change of one argument, and the one step it must produce.
    #[test]
    fn changed_arguments_modify_in_place() {
        type Tweak = fn(&mut UpRequest);
        let cases: &[(&str, Tweak, Verb, Kind, &str)] = &[
            ("vni", |r| r.vni = Some(4242), Verb::Modify, Kind::Session, "vni 77 -> 4242"),
            ("number", |r| r.session_number = Some(2), Verb::Modify, Kind::Session, "session number 1 -> 2"),
            (
                "packet length",
                |r| r.packet_length = Some(PacketLength::Bytes(128)),
                Verb::Modify,
                Kind::Session,
                "packet length whole packets -> 128",
            ),
            (
                "filter",
                |r| r.filter = Some(preset("tcp", &PresetContext::default()).unwrap()),
                Verb::Modify,
                Kind::Rule,
                "accept tcp",
            ),
            ("dns", |r| r.amazon_dns = Some(true), Verb::Modify, Kind::NetworkServices, "amazon-dns mirrored"),
        ];
        for (what, tweak, verb, kind, detail) in cases {
            let mut r = req();
            tweak(&mut r);
            let p = plan_up(&r, &full()).unwrap();
            assert_eq!(p.count(Verb::Create), 0, "{what}: {p:#?}");
            assert_eq!(p.count(Verb::Delete), 0, "{what}");
            let changed: Vec<&Step> = p.steps.iter().filter(|s| s.verb != Verb::Keep).collect();
            assert!(!changed.is_empty(), "{what}");
            assert!(changed.iter().all(|s| s.verb == *verb && s.kind == *kind), "{what}: {changed:#?}");
            assert!(changed[0].detail.contains(detail), "{what}: {}", changed[0].detail);
        }
    }

    #[test]
    fn omitted_options_keep_existing_values() {
        let mut obs = full();
        obs.sessions[0].packet_length = Some(200);
        obs.sessions[0].number = 3;
        obs.filters[0].amazon_dns = true;
        obs.filters[0].rules.truncate(1); // narrowed by `mirror filter`
        assert!(plan_up(&req(), &obs).unwrap().is_noop());
        // Asking for whole packets removes the field.
        let mut r = req();
        r.packet_length = Some(PacketLength::Full);
        let p = plan_up(&r, &obs).unwrap();
        let m = p.steps.iter().find(|s| s.verb == Verb::Modify).unwrap();
        assert!(matches!(&m.op, Op::ModifySession { change, .. } if change.remove_packet_length));
    }

    #[test]
    fn new_target_moves_sessions_then_deletes_old_target() {
        let mut r = req();
        r.target.spec = TargetSpec {
            kind: TargetKind::NetworkLoadBalancer,
            resource: "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/s/1".into(),
        };
        let p = plan_up(&r, &full()).unwrap();
        let s = shape(&p);
        assert_eq!(s[0], (Verb::Create, Kind::Target));
        let modify = s.iter().position(|x| *x == (Verb::Modify, Kind::Session)).unwrap();
        let delete = s.iter().position(|x| *x == (Verb::Delete, Kind::Target)).unwrap();
        assert!(modify < delete);
        assert_eq!(p.count(Verb::Create), 1);
    }

    #[test]
    fn sources_added_and_removed() {
        let mut r = req();
        r.sources = vec![source("eni-other")];
        let p = plan_up(&r, &full()).unwrap();
        assert_eq!(count(&p, Verb::Delete, Kind::Session), 1);
        assert_eq!(count(&p, Verb::Create, Kind::Session), 1);
        let del = shape(&p).iter().position(|x| *x == (Verb::Delete, Kind::Session)).unwrap();
        let cre = shape(&p).iter().position(|x| *x == (Verb::Create, Kind::Session)).unwrap();
        assert!(del < cre, "deletes free session slots first");
    }

    #[test]
    fn untagged_resources_are_ignored() {
        let mut obs = full();
        for t in &mut obs.targets {
            t.tags.clear();
        }
        for f in &mut obs.filters {
            f.tags.clear();
        }
        for s in &mut obs.sessions {
            s.tags.clear();
        }
        let p = plan_up(&req(), &obs).unwrap();
        assert_eq!(p.count(Verb::Keep), 0);
        assert_eq!(p.count(Verb::Delete), 0);
        // The untagged session holds number 1 on that ENI: pick 2.
        match &p.steps.iter().find(|s| s.kind == Kind::Session).unwrap().op {
            Op::CreateSession { number, .. } => assert_eq!(*number, 2),
            other => panic!("{other:?}"),
        }
        // Another name's resources are not ours either.
        assert!(!plan_down("other", &full()).steps.iter().any(|_| true));
    }

    /// Table: a setup AWS would refuse, and why.
    #[test]
    fn refusals_are_explained_before_any_call() {
        type Setup = fn(&mut UpRequest, &mut Observed);
        let cases: &[(&str, Setup, &str)] = &[
            (
                "gateway endpoint ENI",
                |r, _| r.sources[0].interface_type = Some("gateway_load_balancer_endpoint".into()),
                "cannot be mirrored",
            ),
            ("bare metal", |r, _| r.sources[0].bare_metal = Some(true), "bare metal"),
            ("source is target", |r, _| r.target.spec = target_spec("eni-src"), "both the source and the target"),
            (
                "source is some target",
                |_, o| {
                    o.targets.push(ObservedTarget {
                        id: "tmt-x".into(),
                        spec: Some(target_spec("eni-src")),
                        tags: Tags::new(),
                    })
                },
                "ENI of mirror target tmt-x",
            ),
            (
                "target is some source",
                |_, o| o.sessions.push(session("tms-x", "eni-tgt", 1, None, Tags::new())),
                "target eni-tgt is the source of mirror session tms-x",
            ),
            (
                "three sessions",
                |_, o| {
                    for (i, id) in ["tms-a", "tms-b", "tms-c"].iter().enumerate() {
                        o.sessions.push(session(id, "eni-src", i as u16 + 1, None, Tags::new()));
                    }
                },
                "already has 3 mirror sessions (tms-a, tms-b, tms-c)",
            ),
            (
                "number taken",
                |r, o| {
                    r.session_number = Some(5);
                    o.sessions.push(session("tms-n", "eni-src", 5, None, Tags::new()));
                },
                "session number 5 is taken by session tms-n",
            ),
            (
                "nlb packet length",
                |r, _| {
                    r.target.spec = TargetSpec { kind: TargetKind::NetworkLoadBalancer, resource: "arn:x".into() };
                    r.packet_length = Some(PacketLength::Bytes(9000));
                },
                "at most 8500",
            ),
            ("vni", |r, _| r.vni = Some(1 << 24), "24 bits"),
            ("session number range", |r, _| r.session_number = Some(40000), "1 to 32766"),
        ];
        for (what, setup, want) in cases {
            let mut r = req();
            let mut o = Observed::default();
            setup(&mut r, &mut o);
            let errs = plan_up(&r, &o).unwrap_err();
            assert!(errs.iter().any(|e| e.contains(want)), "{what}: {errs:?}");
        }
    }

    #[test]
    fn instance_type_warnings() {
        assert!(instance_type_warning("m6i.large", Some("nitro")).is_some());
        assert!(instance_type_warning("r6g.large", Some("nitro")).is_some());
        assert!(instance_type_warning("t2.micro", Some("xen")).unwrap().contains("Xen"));
        assert!(instance_type_warning("m4.large", Some("xen")).is_none());
        assert!(instance_type_warning("m5.large", Some("nitro")).is_none());
        let mut r = req();
        r.sources[0].instance_type = Some("c7g.large".into());
        r.sources[0].requester_managed = true;
        let p = plan_up(&r, &Observed::default()).unwrap();
        assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    }

    #[test]
    fn filter_changes() {
        let obs = full();
        let add = crate::filter::parse_rule("ingress 50 reject tcp dport=22").unwrap();
        let p = plan_filter(NAME, &obs, &FilterChange::Add(add.clone()), None).unwrap();
        assert_eq!(shape(&p), vec![(Verb::Create, Kind::Rule)]);
        let dup = crate::filter::parse_rule("ingress 100 reject").unwrap();
        assert!(plan_filter(NAME, &obs, &FilterChange::Add(dup), None).unwrap_err()[0].contains("already has rule"));
        // 100 exists in both directions.
        let amb = FilterChange::Remove { direction: None, number: 100 };
        assert!(plan_filter(NAME, &obs, &amb, None).unwrap_err()[0].contains("both directions"));
        let rm = FilterChange::Remove { direction: Some(Direction::Egress), number: 100 };
        assert_eq!(shape(&plan_filter(NAME, &obs, &rm, None).unwrap()), vec![(Verb::Delete, Kind::Rule)]);
        let missing = FilterChange::Remove { direction: None, number: 9 };
        assert!(plan_filter(NAME, &obs, &missing, None).is_err());
        // Preset web: 4 old rules replaced; numbers 100 and 110 are modified, 120 created.
        let web = preset("web", &PresetContext::default()).unwrap();
        let p = plan_filter(NAME, &obs, &FilterChange::Replace(web), None).unwrap();
        assert_eq!(count(&p, Verb::Modify, Kind::Rule), 4);
        assert_eq!(count(&p, Verb::Create, Kind::Rule), 2);
        assert_eq!(count(&p, Verb::Delete, Kind::Rule), 0);
        // dns turns amazon-dns on.
        let dns = preset("dns", &PresetContext::default()).unwrap();
        let p = plan_filter(NAME, &obs, &FilterChange::Replace(dns), None).unwrap();
        assert_eq!(count(&p, Verb::Modify, Kind::NetworkServices), 1);
        // Nothing to change: a plan of keeps.
        let all = preset("all", &PresetContext::default()).unwrap();
        assert!(plan_filter(NAME, &obs, &FilterChange::Replace(all), None).unwrap().is_noop());
        assert!(plan_filter("nobody", &obs, &amb, None).unwrap_err()[0].contains("run `mirador mirror up"));
    }

    #[test]
    fn filter_add_respects_quota() {
        let mut obs = full();
        let ten: Vec<ObservedRule> = (1..=10u16)
            .map(|n| ObservedRule { id: format!("r{n}"), spec: RuleSpec::accept_all(Direction::Ingress, n, false) })
            .collect();
        obs.filters[0].rules = ten;
        let add = crate::filter::parse_rule("egress 1").unwrap();
        assert!(plan_filter(NAME, &obs, &FilterChange::Add(add), None).unwrap_err()[0].contains("already has 10"));
    }

    #[test]
    fn down_order_and_foreign_users() {
        let mut obs = full();
        let p = plan_down(NAME, &obs);
        assert_eq!(
            shape(&p),
            vec![(Verb::Delete, Kind::Session), (Verb::Delete, Kind::Target), (Verb::Delete, Kind::Filter)]
        );
        // A session someone else made on our target keeps the target alive.
        obs.sessions.push(session("tms-theirs", "eni-x", 1, None, Tags::new()));
        let p = plan_down(NAME, &obs);
        assert_eq!(shape(&p), vec![(Verb::Delete, Kind::Session)]);
        assert_eq!(p.warnings.len(), 2);
        assert!(p.warnings[0].contains("tms-theirs"));
        assert!(plan_down(NAME, &Observed::default()).steps.is_empty());
    }
}
