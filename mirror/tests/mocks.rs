//! Every EC2 call the crate makes, through aws-smithy-mocks: rules see the
//! typed input, so each test asserts what is sent (tags, ClientTokens,
//! fields, DryRun) and feeds back outputs or errors, including the ones
//! moto cannot produce (DryRunOperation, UnauthorizedOperation, NotFound on
//! delete, quota errors, throttling then success).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ec2::config::retry::RetryConfig;
use aws_sdk_ec2::error::ErrorMetadata;
use aws_sdk_ec2::operation::create_traffic_mirror_filter::{
    CreateTrafficMirrorFilterError, CreateTrafficMirrorFilterOutput,
};
use aws_sdk_ec2::operation::create_traffic_mirror_filter_rule::{
    CreateTrafficMirrorFilterRuleError, CreateTrafficMirrorFilterRuleOutput,
};
use aws_sdk_ec2::operation::create_traffic_mirror_session::{
    CreateTrafficMirrorSessionError, CreateTrafficMirrorSessionOutput,
};
use aws_sdk_ec2::operation::create_traffic_mirror_target::{
    CreateTrafficMirrorTargetError, CreateTrafficMirrorTargetOutput,
};
use aws_sdk_ec2::operation::delete_traffic_mirror_filter::{
    DeleteTrafficMirrorFilterError, DeleteTrafficMirrorFilterOutput,
};
use aws_sdk_ec2::operation::delete_traffic_mirror_filter_rule::DeleteTrafficMirrorFilterRuleOutput;
use aws_sdk_ec2::operation::delete_traffic_mirror_session::{
    DeleteTrafficMirrorSessionError, DeleteTrafficMirrorSessionOutput,
};
use aws_sdk_ec2::operation::delete_traffic_mirror_target::{
    DeleteTrafficMirrorTargetError, DeleteTrafficMirrorTargetOutput,
};
use aws_sdk_ec2::operation::describe_instance_types::DescribeInstanceTypesOutput;
use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
use aws_sdk_ec2::operation::describe_traffic_mirror_filters::DescribeTrafficMirrorFiltersOutput;
use aws_sdk_ec2::operation::describe_traffic_mirror_sessions::DescribeTrafficMirrorSessionsOutput;
use aws_sdk_ec2::operation::describe_traffic_mirror_targets::{
    DescribeTrafficMirrorTargetsError, DescribeTrafficMirrorTargetsOutput,
};
use aws_sdk_ec2::operation::modify_traffic_mirror_filter_network_services::ModifyTrafficMirrorFilterNetworkServicesOutput;
use aws_sdk_ec2::operation::modify_traffic_mirror_filter_rule::ModifyTrafficMirrorFilterRuleOutput;
use aws_sdk_ec2::operation::modify_traffic_mirror_session::ModifyTrafficMirrorSessionOutput;
use aws_sdk_ec2::types::{
    Instance, InstanceNetworkInterface, InstanceNetworkInterfaceAttachment, InstanceType, InstanceTypeHypervisor,
    InstanceTypeInfo, NetworkInterface, NetworkInterfaceAttachment, NetworkInterfaceType, Reservation, ResourceType,
    Tag, TagSpecification, TrafficDirection, TrafficMirrorFilter, TrafficMirrorFilterRule,
    TrafficMirrorFilterRuleField, TrafficMirrorNetworkService, TrafficMirrorPortRange, TrafficMirrorRuleAction,
    TrafficMirrorSession, TrafficMirrorSessionField, TrafficMirrorTarget, TrafficMirrorTargetType,
};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use mirador_mirror::ec2::{ApplyContext, DryRunOutcome, Ec2};
use mirador_mirror::errors::AwsErrorKind;
use mirador_mirror::filter::{preset, PresetContext};
use mirador_mirror::model::{
    Direction, Observed, ObservedFilter, ObservedRule, ObservedSession, ObservedTarget, PortRange, RuleSpec, SourceArg,
    SourceFacts, Tags, TargetArg, TargetFacts, TargetKind, TargetSpec, TAG_NAME, TAG_ROLE,
};
use mirador_mirror::plan::{plan_down, plan_up, PacketLength, UpRequest};

fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

fn client(rules: &[&Rule]) -> Ec2 {
    Ec2::new(mock_client!(aws_sdk_ec2, RuleMode::MatchAny, rules))
}

/// A client that retries (3 attempts, 1 ms initial backoff).
fn retrying_client(rules: &[&Rule]) -> Ec2 {
    Ec2::new(mock_client!(aws_sdk_ec2, RuleMode::MatchAny, rules, |c| c
        .retry_config(RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(1)))))
}

fn ctx() -> ApplyContext {
    ApplyContext { name: "web".into(), epoch: 0, dry_run: false }
}

fn has_our_tags(specs: &[TagSpecification], rt: ResourceType, role: &str) -> bool {
    specs.iter().any(|s| {
        s.resource_type() == Some(&rt)
            && s.tags().iter().any(|t| t.key() == Some(TAG_NAME) && t.value() == Some("web"))
            && s.tags().iter().any(|t| t.key() == Some(TAG_ROLE) && t.value() == Some(role))
    })
}

fn tags(role: &str) -> Tags {
    [(TAG_NAME.to_string(), "web".to_string()), (TAG_ROLE.to_string(), role.to_string())].into()
}

fn eni(id: &str, instance: &str, ip: &str) -> NetworkInterface {
    NetworkInterface::builder()
        .network_interface_id(id)
        .interface_type(NetworkInterfaceType::Interface)
        .requester_managed(false)
        .private_ip_address(ip)
        .attachment(NetworkInterfaceAttachment::builder().instance_id(instance).build())
        .build()
}

fn discovery_rules() -> Vec<Rule> {
    let instances = mock!(Client::describe_instances).then_output(|| {
        let nic = |id: &str, idx: i32| {
            InstanceNetworkInterface::builder()
                .network_interface_id(id)
                .private_ip_address(if idx == 0 { "10.0.0.5" } else { "10.0.1.5" })
                .attachment(InstanceNetworkInterfaceAttachment::builder().device_index(idx).build())
                .build()
        };
        DescribeInstancesOutput::builder()
            .reservations(
                Reservation::builder()
                    .instances(
                        Instance::builder()
                            .instance_id("i-1")
                            .instance_type(InstanceType::M5Large)
                            // Listed out of order: the primary is device index 0.
                            .network_interfaces(nic("eni-b", 1))
                            .network_interfaces(nic("eni-a", 0))
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let enis = mock!(Client::describe_network_interfaces).then_compute_output(|req| {
        let mut out = DescribeNetworkInterfacesOutput::builder();
        for id in req.network_interface_ids() {
            let ip = if id == "eni-a" { "10.0.0.5" } else { "10.0.1.5" };
            out = out.network_interfaces(eni(id, "i-1", ip));
        }
        out.build()
    });
    let types = mock!(Client::describe_instance_types)
        .match_requests(|req| req.instance_types() == [InstanceType::M5Large])
        .then_output(|| {
            DescribeInstanceTypesOutput::builder()
                .instance_types(
                    InstanceTypeInfo::builder()
                        .instance_type(InstanceType::M5Large)
                        .hypervisor(InstanceTypeHypervisor::Nitro)
                        .bare_metal(false)
                        .build(),
                )
                .build()
        });
    vec![instances, enis, types]
}

#[tokio::test]
async fn sources_resolve_to_primary_or_all_enis() {
    let rules = discovery_rules();
    let ec2 = client(&rules.iter().collect::<Vec<_>>());
    let src = ec2.resolve_sources(&[SourceArg::Instance("i-1".into())], false).await.unwrap();
    assert_eq!(src.len(), 1);
    let s = &src[0];
    assert_eq!(s.eni, "eni-a");
    assert_eq!(s.instance_id.as_deref(), Some("i-1"));
    assert_eq!(s.instance_type.as_deref(), Some("m5.large"));
    assert_eq!(s.interface_type.as_deref(), Some("interface"));
    assert_eq!(s.hypervisor.as_deref(), Some("nitro"));
    assert_eq!(s.bare_metal, Some(false));
    assert_eq!(s.private_ip, Some("10.0.0.5".parse().unwrap()));
    let all = ec2.resolve_sources(&[SourceArg::Instance("i-1".into())], true).await.unwrap();
    assert_eq!(all.iter().map(|s| s.eni.as_str()).collect::<Vec<_>>(), ["eni-a", "eni-b"]);
    // An ENI given directly finds its instance (and so its type).
    let direct = ec2.resolve_sources(&[SourceArg::Eni("eni-b".into())], false).await.unwrap();
    assert_eq!(direct[0].instance_type.as_deref(), Some("m5.large"));
}

#[tokio::test]
async fn instance_target_resolves_to_its_primary_eni() {
    let rules = discovery_rules();
    let ec2 = client(&rules.iter().collect::<Vec<_>>());
    let t = ec2.resolve_target(&TargetArg::Instance("i-1".into())).await.unwrap();
    assert_eq!(t.spec, TargetSpec { kind: TargetKind::NetworkInterface, resource: "eni-a".into() });
    assert_eq!(t.ip, Some("10.0.0.5".parse().unwrap()));
    assert_eq!(t.instance_id.as_deref(), Some("i-1"));
    let nlb = ec2.resolve_target(&TargetArg::Nlb("arn:x".into())).await.unwrap();
    assert_eq!(nlb.spec.kind, TargetKind::NetworkLoadBalancer);
}

#[tokio::test]
async fn unknown_instance_is_reported_with_advice() {
    let r = mock!(Client::describe_instances).then_error(|| {
        aws_sdk_ec2::operation::describe_instances::DescribeInstancesError::generic(meta(
            "InvalidInstanceID.NotFound",
            "The instance ID 'i-9' does not exist",
        ))
    });
    let ec2 = client(&[&r]);
    let e = ec2.resolve_sources(&[SourceArg::Instance("i-9".into())], false).await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::NotFound);
    assert!(e.to_string().contains("--region"), "{e}");
}

fn sdk_tags(role: &str) -> Vec<Tag> {
    vec![Tag::builder().key(TAG_NAME).value("web").build(), Tag::builder().key(TAG_ROLE).value(role).build()]
}

#[tokio::test]
async fn observe_reads_every_page_and_converts() {
    let targets = mock!(Client::describe_traffic_mirror_targets)
        .sequence()
        .output(|| {
            DescribeTrafficMirrorTargetsOutput::builder()
                .traffic_mirror_targets(
                    TrafficMirrorTarget::builder()
                        .traffic_mirror_target_id("tmt-1")
                        .r#type(TrafficMirrorTargetType::NetworkInterface)
                        .network_interface_id("eni-t")
                        .set_tags(Some(sdk_tags("target")))
                        .build(),
                )
                .next_token("page2")
                .build()
        })
        .output(|| {
            DescribeTrafficMirrorTargetsOutput::builder()
                .traffic_mirror_targets(
                    TrafficMirrorTarget::builder()
                        .traffic_mirror_target_id("tmt-2")
                        .r#type(TrafficMirrorTargetType::GatewayLoadBalancerEndpoint)
                        .gateway_load_balancer_endpoint_id("vpce-1")
                        .build(),
                )
                .build()
        })
        .build();
    let filters = mock!(Client::describe_traffic_mirror_filters).then_output(|| {
        DescribeTrafficMirrorFiltersOutput::builder()
            .traffic_mirror_filters(
                TrafficMirrorFilter::builder()
                    .traffic_mirror_filter_id("tmf-1")
                    .ingress_filter_rules(
                        TrafficMirrorFilterRule::builder()
                            .traffic_mirror_filter_rule_id("r-in")
                            .traffic_direction(TrafficDirection::Ingress)
                            .rule_number(10)
                            .rule_action(TrafficMirrorRuleAction::Reject)
                            .protocol(6)
                            .source_cidr_block("10.0.0.0/8")
                            .destination_cidr_block("0.0.0.0/0")
                            .destination_port_range(TrafficMirrorPortRange::builder().from_port(22).to_port(22).build())
                            .build(),
                    )
                    .egress_filter_rules(
                        TrafficMirrorFilterRule::builder()
                            .traffic_mirror_filter_rule_id("r-out")
                            .rule_number(100)
                            .rule_action(TrafficMirrorRuleAction::Accept)
                            .protocol(0)
                            .source_cidr_block("::/0")
                            .destination_cidr_block("::/0")
                            .build(),
                    )
                    .network_services(TrafficMirrorNetworkService::AmazonDns)
                    .set_tags(Some(sdk_tags("filter")))
                    .build(),
            )
            .build()
    });
    let sessions = mock!(Client::describe_traffic_mirror_sessions).then_output(|| {
        DescribeTrafficMirrorSessionsOutput::builder()
            .traffic_mirror_sessions(
                TrafficMirrorSession::builder()
                    .traffic_mirror_session_id("tms-1")
                    .network_interface_id("eni-s")
                    .traffic_mirror_target_id("tmt-1")
                    .traffic_mirror_filter_id("tmf-1")
                    .session_number(2)
                    .virtual_network_id(4242)
                    .packet_length(128)
                    .set_tags(Some(sdk_tags("session")))
                    .build(),
            )
            .build()
    });
    let ec2 = client(&[&targets, &filters, &sessions]);
    let obs = ec2.observe().await.unwrap();
    assert_eq!(targets.num_calls(), 2, "both pages read");
    assert_eq!(obs.targets.len(), 2);
    assert_eq!(obs.our_targets("web").count(), 1);
    assert_eq!(
        obs.targets[1].spec,
        Some(TargetSpec { kind: TargetKind::GatewayLoadBalancerEndpoint, resource: "vpce-1".into() })
    );
    let f = &obs.filters[0];
    assert!(f.amazon_dns);
    let rin = &f.rules.iter().find(|r| r.id == "r-in").unwrap().spec;
    assert_eq!((rin.direction, rin.number, rin.protocol), (Direction::Ingress, 10, Some(6)));
    assert_eq!(rin.destination_ports, Some(PortRange::single(22)));
    let rout = &f.rules.iter().find(|r| r.id == "r-out").unwrap().spec;
    assert_eq!((rout.direction, rout.protocol), (Direction::Egress, None), "direction from the list, protocol 0 = all");
    let s = &obs.sessions[0];
    assert_eq!((s.number, s.vni, s.packet_length), (2, Some(4242), Some(128)));
    assert_eq!(obs.our_sessions("web").count(), 1);
}

fn up_request() -> UpRequest {
    let all = preset("all", &PresetContext::default()).unwrap();
    UpRequest {
        name: "web".into(),
        sources: vec![SourceFacts {
            eni: "eni-s".into(),
            instance_id: Some("i-s".into()),
            interface_type: Some("interface".into()),
            ..SourceFacts::default()
        }],
        target: TargetFacts {
            spec: TargetSpec { kind: TargetKind::NetworkInterface, resource: "eni-t".into() },
            ip: None,
            instance_id: None,
        },
        filter: None,
        default_filter: all,
        amazon_dns: Some(true),
        session_number: None,
        vni: Some(4242),
        packet_length: Some(PacketLength::Bytes(256)),
    }
}

#[tokio::test]
async fn up_creates_everything_with_tags_and_tokens() {
    let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let t2 = tokens.clone();
    let target = mock!(Client::create_traffic_mirror_target)
        .match_requests(|r| {
            r.network_interface_id() == Some("eni-t")
                && r.network_load_balancer_arn().is_none()
                && has_our_tags(r.tag_specifications(), ResourceType::TrafficMirrorTarget, "target")
                && r.dry_run() == Some(false)
        })
        .then_compute_output(move |r| {
            t2.lock().unwrap().push(r.client_token().unwrap().to_string());
            CreateTrafficMirrorTargetOutput::builder()
                .traffic_mirror_target(TrafficMirrorTarget::builder().traffic_mirror_target_id("tmt-new").build())
                .build()
        });
    let t3 = tokens.clone();
    let filter = mock!(Client::create_traffic_mirror_filter)
        .match_requests(|r| has_our_tags(r.tag_specifications(), ResourceType::TrafficMirrorFilter, "filter"))
        .then_compute_output(move |r| {
            t3.lock().unwrap().push(r.client_token().unwrap().to_string());
            CreateTrafficMirrorFilterOutput::builder()
                .traffic_mirror_filter(TrafficMirrorFilter::builder().traffic_mirror_filter_id("tmf-new").build())
                .build()
        });
    let rules = mock!(Client::create_traffic_mirror_filter_rule)
        .match_requests(|r| {
            r.traffic_mirror_filter_id() == Some("tmf-new")
                && matches!(r.rule_number(), Some(100) | Some(110))
                && r.rule_action() == Some(&TrafficMirrorRuleAction::Accept)
                && r.protocol().is_none()
                && r.source_port_range().is_none()
                && matches!(r.source_cidr_block(), Some("0.0.0.0/0") | Some("::/0"))
                && r.client_token().is_some_and(|t| t.starts_with("mirador-"))
                && has_our_tags(r.tag_specifications(), ResourceType::TrafficMirrorFilterRule, "filter-rule")
        })
        .then_output(|| {
            CreateTrafficMirrorFilterRuleOutput::builder()
                .traffic_mirror_filter_rule(
                    TrafficMirrorFilterRule::builder().traffic_mirror_filter_rule_id("r").build(),
                )
                .build()
        });
    let dns = mock!(Client::modify_traffic_mirror_filter_network_services)
        .match_requests(|r| {
            r.traffic_mirror_filter_id() == Some("tmf-new")
                && r.add_network_services() == [TrafficMirrorNetworkService::AmazonDns]
                && r.remove_network_services().is_empty()
        })
        .then_output(|| ModifyTrafficMirrorFilterNetworkServicesOutput::builder().build());
    let session = mock!(Client::create_traffic_mirror_session)
        .match_requests(|r| {
            r.network_interface_id() == Some("eni-s")
                && r.traffic_mirror_target_id() == Some("tmt-new")
                && r.traffic_mirror_filter_id() == Some("tmf-new")
                && r.session_number() == Some(1)
                && r.virtual_network_id() == Some(4242)
                && r.packet_length() == Some(256)
                && has_our_tags(r.tag_specifications(), ResourceType::TrafficMirrorSession, "session")
        })
        .then_output(|| {
            CreateTrafficMirrorSessionOutput::builder()
                .traffic_mirror_session(TrafficMirrorSession::builder().traffic_mirror_session_id("tms-new").build())
                .build()
        });
    let ec2 = client(&[&target, &filter, &rules, &dns, &session]);
    let plan = plan_up(&up_request(), &Observed::default()).unwrap();
    let mut out = Vec::new();
    let calls = ec2.apply(&plan, &ctx(), &mut out).await.unwrap();
    assert_eq!(calls, 1 + 1 + 4 + 1 + 1);
    assert_eq!((target.num_calls(), filter.num_calls(), rules.num_calls()), (1, 1, 4));
    assert_eq!((dns.num_calls(), session.num_calls()), (1, 1));
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("created  target           tmt-new"), "{text}");
    // The same plan again sends the same ClientTokens (idempotent retries).
    ec2.apply(&plan, &ctx(), &mut Vec::new()).await.unwrap();
    let t = tokens.lock().unwrap().clone();
    assert_eq!(t.len(), 4);
    assert_eq!(t[0], t[2], "target token is deterministic");
    assert_eq!(t[1], t[3], "filter token is deterministic");
    assert_ne!(t[0], t[1]);
    // A new epoch (after a teardown) changes the tokens.
    let later = ApplyContext { epoch: 1, ..ctx() };
    ec2.apply(&plan, &later, &mut Vec::new()).await.unwrap();
    assert_ne!(tokens.lock().unwrap()[4], t[0]);
}

/// The account after a successful `up` of `up_request()` (VNI 77, 200 bytes).
fn existing() -> Observed {
    let all = preset("all", &PresetContext::default()).unwrap();
    Observed {
        targets: vec![ObservedTarget {
            id: "tmt-1".into(),
            spec: Some(TargetSpec { kind: TargetKind::NetworkInterface, resource: "eni-t".into() }),
            tags: tags("target"),
        }],
        filters: vec![ObservedFilter {
            id: "tmf-1".into(),
            rules: all
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| ObservedRule { id: format!("r{i}"), spec: r.clone() })
                .collect(),
            amazon_dns: true,
            tags: tags("filter"),
        }],
        sessions: vec![ObservedSession {
            id: "tms-1".into(),
            eni: "eni-s".into(),
            target_id: "tmt-1".into(),
            filter_id: "tmf-1".into(),
            number: 1,
            vni: Some(77),
            packet_length: Some(200),
            tags: tags("session"),
        }],
    }
}

#[tokio::test]
async fn changed_arguments_modify_sessions_and_rules_in_place() {
    let session = mock!(Client::modify_traffic_mirror_session)
        .match_requests(|r| {
            r.traffic_mirror_session_id() == Some("tms-1")
                && r.virtual_network_id() == Some(4242)
                && r.remove_fields() == [TrafficMirrorSessionField::PacketLength]
                && r.packet_length().is_none()
                && r.traffic_mirror_target_id().is_none()
        })
        .then_output(|| ModifyTrafficMirrorSessionOutput::builder().build());
    let rules = mock!(Client::modify_traffic_mirror_filter_rule)
        .match_requests(|r| r.protocol() == Some(6) && r.remove_fields().is_empty() && r.rule_number().is_some())
        .then_output(|| ModifyTrafficMirrorFilterRuleOutput::builder().build());
    let ec2 = client(&[&session, &rules]);
    let mut req = up_request();
    req.packet_length = Some(PacketLength::Full);
    req.filter = Some(preset("tcp", &PresetContext::default()).unwrap());
    let plan = plan_up(&req, &existing()).unwrap();
    ec2.apply(&plan, &ctx(), &mut Vec::new()).await.unwrap();
    assert_eq!(session.num_calls(), 1);
    assert_eq!(rules.num_calls(), 4);
}

#[tokio::test]
async fn widening_a_rule_removes_fields() {
    let modify = mock!(Client::modify_traffic_mirror_filter_rule)
        .match_requests(|r| {
            r.traffic_mirror_filter_rule_id() == Some("r-narrow")
                && r.protocol().is_none()
                && r.remove_fields().contains(&TrafficMirrorFilterRuleField::Protocol)
                && r.remove_fields().contains(&TrafficMirrorFilterRuleField::DestinationPortRange)
        })
        .then_output(|| ModifyTrafficMirrorFilterRuleOutput::builder().build());
    let delete_rule = mock!(Client::delete_traffic_mirror_filter_rule)
        .match_requests(|r| r.traffic_mirror_filter_rule_id() == Some("r-extra"))
        .then_output(|| DeleteTrafficMirrorFilterRuleOutput::builder().build());
    let create_rule = mock!(Client::create_traffic_mirror_filter_rule).then_output(|| {
        CreateTrafficMirrorFilterRuleOutput::builder()
            .traffic_mirror_filter_rule(TrafficMirrorFilterRule::builder().traffic_mirror_filter_rule_id("r").build())
            .build()
    });
    let mut obs = existing();
    let narrow = RuleSpec {
        protocol: Some(6),
        destination_ports: Some(PortRange::single(443)),
        ..RuleSpec::accept_all(Direction::Ingress, 100, false)
    };
    let extra = RuleSpec::accept_all(Direction::Ingress, 5, false);
    obs.filters[0].rules =
        vec![ObservedRule { id: "r-narrow".into(), spec: narrow }, ObservedRule { id: "r-extra".into(), spec: extra }];
    let mut req = up_request();
    req.filter = Some(preset("all", &PresetContext::default()).unwrap());
    req.amazon_dns = None;
    req.vni = None;
    req.packet_length = None;
    let dns_off = mock!(Client::modify_traffic_mirror_filter_network_services)
        .match_requests(|r| r.remove_network_services() == [TrafficMirrorNetworkService::AmazonDns])
        .then_output(|| ModifyTrafficMirrorFilterNetworkServicesOutput::builder().build());
    let ec2 = client(&[&modify, &delete_rule, &create_rule, &dns_off]);
    let plan = plan_up(&req, &obs).unwrap();
    ec2.apply(&plan, &ctx(), &mut Vec::new()).await.unwrap();
    assert_eq!((modify.num_calls(), delete_rule.num_calls(), create_rule.num_calls()), (1, 1, 3));
    assert_eq!(dns_off.num_calls(), 1, "preset all turns amazon-dns off");
}

#[tokio::test]
async fn down_treats_not_found_as_done() {
    let session = mock!(Client::delete_traffic_mirror_session).then_error(|| {
        DeleteTrafficMirrorSessionError::generic(meta("InvalidTrafficMirrorSessionId.NotFound", "gone"))
    });
    let target = mock!(Client::delete_traffic_mirror_target)
        .match_requests(|r| r.traffic_mirror_target_id() == Some("tmt-1"))
        .then_output(|| DeleteTrafficMirrorTargetOutput::builder().build());
    let filter = mock!(Client::delete_traffic_mirror_filter)
        .then_error(|| DeleteTrafficMirrorFilterError::generic(meta("InvalidTrafficMirrorFilterId.NotFound", "gone")));
    let ec2 = client(&[&session, &target, &filter]);
    let plan = plan_down("web", &existing());
    let calls = ec2.apply(&plan, &ctx(), &mut Vec::new()).await.unwrap();
    assert_eq!(calls, 3);
    assert_eq!((session.num_calls(), target.num_calls(), filter.num_calls()), (1, 1, 1));
}

#[tokio::test]
async fn down_stops_on_other_delete_errors() {
    let session = mock!(Client::delete_traffic_mirror_session)
        .then_output(|| DeleteTrafficMirrorSessionOutput::builder().build());
    let target = mock!(Client::delete_traffic_mirror_target)
        .then_error(|| DeleteTrafficMirrorTargetError::generic(meta("DependencyViolation", "target in use by tms-x")));
    let filter =
        mock!(Client::delete_traffic_mirror_filter).then_output(|| DeleteTrafficMirrorFilterOutput::builder().build());
    let ec2 = client(&[&session, &target, &filter]);
    let e = ec2.apply(&plan_down("web", &existing()), &ctx(), &mut Vec::new()).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("DependencyViolation"));
    assert!(e.to_string().contains("tms-x"));
    assert_eq!(filter.num_calls(), 0, "stops at the first failure");
}

#[tokio::test]
async fn dry_run_reports_permissions_per_action() {
    let target =
        mock!(Client::create_traffic_mirror_target).match_requests(|r| r.dry_run() == Some(true)).then_error(|| {
            CreateTrafficMirrorTargetError::generic(meta(
                "DryRunOperation",
                "Request would have succeeded, but DryRun flag is set.",
            ))
        });
    let filter =
        mock!(Client::create_traffic_mirror_filter).match_requests(|r| r.dry_run() == Some(true)).then_error(|| {
            CreateTrafficMirrorFilterError::generic(meta("UnauthorizedOperation", "You are not authorized"))
        });
    let rule = mock!(Client::create_traffic_mirror_filter_rule)
        .match_requests(|r| r.dry_run() == Some(true) && r.traffic_mirror_filter_id() == Some("tmf-00000000000000000"))
        .then_error(|| {
            CreateTrafficMirrorFilterRuleError::generic(meta("InvalidTrafficMirrorFilterId.NotFound", "no such filter"))
        });
    let dns = mock!(Client::modify_traffic_mirror_filter_network_services)
        .then_output(|| ModifyTrafficMirrorFilterNetworkServicesOutput::builder().build());
    let session = mock!(Client::create_traffic_mirror_session)
        .match_requests(|r| r.dry_run() == Some(true) && r.traffic_mirror_target_id() == Some("tmt-00000000000000000"))
        .then_error(|| CreateTrafficMirrorSessionError::generic(meta("DryRunOperation", "ok")));
    let ec2 = client(&[&target, &filter, &rule, &dns, &session]);
    let plan = plan_up(&up_request(), &Observed::default()).unwrap();
    let results = ec2.dry_run(&plan, &ctx()).await;
    let get = |a: &str| results.iter().find(|(x, _)| *x == a).map(|(_, o)| o.clone()).unwrap();
    assert_eq!(get("CreateTrafficMirrorTarget"), DryRunOutcome::Allowed);
    assert!(matches!(get("CreateTrafficMirrorFilter"), DryRunOutcome::Denied(m) if m.contains("iam-policy.json")));
    assert!(matches!(get("CreateTrafficMirrorFilterRule"), DryRunOutcome::Inconclusive(_)));
    assert!(matches!(get("ModifyTrafficMirrorFilterNetworkServices"), DryRunOutcome::Inconclusive(_)));
    assert_eq!(get("CreateTrafficMirrorSession"), DryRunOutcome::Allowed);
    assert_eq!(rule.num_calls(), 1, "one check per action, not per rule");
}

#[tokio::test]
async fn unauthorized_is_actionable() {
    let target = mock!(Client::create_traffic_mirror_target).then_error(|| {
        CreateTrafficMirrorTargetError::generic(meta(
            "UnauthorizedOperation",
            "You are not authorized to perform this operation. Encoded authorization failure message: abc",
        ))
    });
    let ec2 = client(&[&target]);
    let e =
        ec2.apply(&plan_up(&up_request(), &Observed::default()).unwrap(), &ctx(), &mut Vec::new()).await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::Unauthorized);
    let m = e.to_string();
    assert!(
        m.contains("ec2:CreateTrafficMirrorTarget") && m.contains("iam-policy.json") && m.contains("Encoded"),
        "{m}"
    );
    assert!(m.contains("ec2:CreateTrafficMirrorSession"), "lists every action needed");
}

#[tokio::test]
async fn quota_and_unsupported_source_errors() {
    let target = mock!(Client::create_traffic_mirror_target).then_output(|| {
        CreateTrafficMirrorTargetOutput::builder()
            .traffic_mirror_target(TrafficMirrorTarget::builder().traffic_mirror_target_id("tmt-1").build())
            .build()
    });
    let filter = mock!(Client::create_traffic_mirror_filter).then_output(|| {
        CreateTrafficMirrorFilterOutput::builder()
            .traffic_mirror_filter(TrafficMirrorFilter::builder().traffic_mirror_filter_id("tmf-1").build())
            .build()
    });
    let rules = mock!(Client::create_traffic_mirror_filter_rule)
        .then_output(|| CreateTrafficMirrorFilterRuleOutput::builder().build());
    let dns = mock!(Client::modify_traffic_mirror_filter_network_services)
        .then_output(|| ModifyTrafficMirrorFilterNetworkServicesOutput::builder().build());
    let quota = mock!(Client::create_traffic_mirror_session)
        .sequence()
        .error(|| {
            CreateTrafficMirrorSessionError::generic(meta(
                "TrafficMirrorSessionsPerInterfaceLimitExceeded",
                "eni-s already has 3 sessions",
            ))
        })
        .error(|| {
            CreateTrafficMirrorSessionError::generic(meta(
                "InvalidParameterValue",
                "The instance type t2.micro is not supported for traffic mirroring",
            ))
        })
        .build();
    let ec2 = client(&[&target, &filter, &rules, &dns, &quota]);
    let plan = plan_up(&up_request(), &Observed::default()).unwrap();
    let e = ec2.apply(&plan, &ctx(), &mut Vec::new()).await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::Quota);
    assert!(e.to_string().contains("3 sessions per source ENI"), "{e}");
    let e = ec2.apply(&plan, &ctx(), &mut Vec::new()).await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::SourceNotSupported);
    assert!(e.to_string().contains("Nitro"), "{e}");
}

#[tokio::test]
async fn throttling_is_retried_with_backoff_then_succeeds() {
    let throttled = mock!(Client::describe_traffic_mirror_targets)
        .sequence()
        .error(|| DescribeTrafficMirrorTargetsError::generic(meta("RequestLimitExceeded", "Request limit exceeded.")))
        .times(2)
        .output(|| DescribeTrafficMirrorTargetsOutput::builder().build())
        .build();
    let filters = mock!(Client::describe_traffic_mirror_filters)
        .then_output(|| DescribeTrafficMirrorFiltersOutput::builder().build());
    let sessions = mock!(Client::describe_traffic_mirror_sessions)
        .then_output(|| DescribeTrafficMirrorSessionsOutput::builder().build());
    let ec2 = retrying_client(&[&throttled, &filters, &sessions]);
    let obs = ec2.observe().await.unwrap();
    assert_eq!(obs, Observed::default());
    assert_eq!(throttled.num_calls(), 3, "two throttled attempts, then success");

    // Throttled beyond the attempts: an actionable error.
    let always = mock!(Client::describe_traffic_mirror_targets)
        .then_error(|| DescribeTrafficMirrorTargetsError::generic(meta("RequestLimitExceeded", "slow down")));
    let ec2 = retrying_client(&[&always]);
    let e = ec2.observe().await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::Throttled);
    assert_eq!(always.num_calls(), 3);
}

#[tokio::test]
async fn moving_to_a_new_target_modifies_sessions_then_deletes_the_old_target() {
    let create = mock!(Client::create_traffic_mirror_target)
        .match_requests(|r| {
            r.network_load_balancer_arn() == Some("arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/s/1")
        })
        .then_output(|| {
            CreateTrafficMirrorTargetOutput::builder()
                .traffic_mirror_target(TrafficMirrorTarget::builder().traffic_mirror_target_id("tmt-nlb").build())
                .build()
        });
    let order = Arc::new(Mutex::new(Vec::new()));
    let o1 = order.clone();
    let modify = mock!(Client::modify_traffic_mirror_session)
        .match_requests(|r| r.traffic_mirror_target_id() == Some("tmt-nlb"))
        .then_compute_output(move |_| {
            o1.lock().unwrap().push("modify");
            ModifyTrafficMirrorSessionOutput::builder().build()
        });
    let o2 = order.clone();
    let delete = mock!(Client::delete_traffic_mirror_target)
        .match_requests(|r| r.traffic_mirror_target_id() == Some("tmt-1"))
        .then_compute_output(move |_| {
            o2.lock().unwrap().push("delete");
            DeleteTrafficMirrorTargetOutput::builder().build()
        });
    let ec2 = client(&[&create, &modify, &delete]);
    let mut req = up_request();
    req.target.spec = TargetSpec {
        kind: TargetKind::NetworkLoadBalancer,
        resource: "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/s/1".into(),
    };
    req.vni = None;
    req.packet_length = None;
    req.amazon_dns = None;
    let plan = plan_up(&req, &existing()).unwrap();
    ec2.apply(&plan, &ctx(), &mut Vec::new()).await.unwrap();
    assert_eq!(*order.lock().unwrap(), ["modify", "delete"]);
}
