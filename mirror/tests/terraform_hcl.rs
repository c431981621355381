//! `plan --terraform`: the generated configuration is parsed with hcl-rs
//! and checked, resource by resource and field by field, against the plan's
//! end state. Pure: no SDK call, no server.

use mirador_mirror::filter::{parse_filter_text, preset, PresetContext};
use mirador_mirror::model::{SourceFacts, TargetFacts, TargetKind, TargetSpec, TAG_NAME, TAG_ROLE};
use mirador_mirror::plan::{plan_up, EndState, PacketLength, UpRequest};
use mirador_mirror::terraform::render;
use serde_json::Value;

fn source(eni: &str) -> SourceFacts {
    SourceFacts {
        eni: eni.into(),
        instance_id: Some(format!("i-{eni}")),
        interface_type: Some("interface".into()),
        ..SourceFacts::default()
    }
}

fn end_state(target: TargetSpec, filter: &str, vni: Option<u32>, len: Option<PacketLength>) -> EndState {
    let ctx = PresetContext { target_ip: Some("10.0.0.9".parse().unwrap()) };
    let filter = if filter.starts_with('[') {
        parse_filter_text(filter, false, "inline").unwrap()
    } else {
        preset(filter, &ctx).unwrap()
    };
    let req = UpRequest {
        name: "web.prod".into(),
        sources: vec![source("eni-a"), source("eni-b")],
        target: TargetFacts { spec: target, ip: None, instance_id: None },
        filter: Some(filter),
        default_filter: preset("all", &ctx).unwrap(),
        amazon_dns: None,
        session_number: None,
        vni,
        packet_length: len,
    };
    plan_up(&req, &Default::default()).unwrap().end.unwrap()
}

fn resources<'a>(doc: &'a Value, ty: &str) -> Vec<(&'a String, &'a Value)> {
    doc["resource"][ty].as_object().map(|m| m.iter().collect()).unwrap_or_default()
}

fn check(end: &EndState) {
    let text = render("web.prod", end);
    // Parses as HCL at all (structure), then as a JSON-like value for fields.
    let body: hcl::Body = hcl::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(body.blocks().any(|b| b.identifier() == "terraform"));
    let doc: Value = hcl::from_str(&text).unwrap();

    let targets = resources(&doc, "aws_ec2_traffic_mirror_target");
    assert_eq!(targets.len(), 1);
    let (tname, t) = targets[0];
    let field = match end.target.kind {
        TargetKind::NetworkInterface => "network_interface_id",
        TargetKind::NetworkLoadBalancer => "network_load_balancer_arn",
        TargetKind::GatewayLoadBalancerEndpoint => "gateway_load_balancer_endpoint_id",
    };
    assert_eq!(t[field], end.target.resource.as_str());
    assert_eq!(t["tags"][TAG_NAME], "web.prod");
    assert_eq!(t["tags"][TAG_ROLE], "target");

    let filters = resources(&doc, "aws_ec2_traffic_mirror_filter");
    assert_eq!(filters.len(), 1);
    let (fname, f) = filters[0];
    assert_eq!(f["tags"][TAG_ROLE], "filter");
    let services = f["network_services"].as_array().cloned().unwrap_or_default();
    assert_eq!(services.iter().any(|s| s == "amazon-dns"), end.amazon_dns);

    let rules = resources(&doc, "aws_ec2_traffic_mirror_filter_rule");
    assert_eq!(rules.len(), end.rules.len());
    for want in &end.rules {
        let (_, r) = rules
            .iter()
            .find(|(_, r)| r["traffic_direction"] == want.direction.as_str() && r["rule_number"] == want.number)
            .unwrap_or_else(|| panic!("rule {} {} missing\n{text}", want.direction, want.number));
        assert_eq!(r["traffic_mirror_filter_id"], format!("${{aws_ec2_traffic_mirror_filter.{fname}.id}}"));
        assert_eq!(r["rule_action"], want.action.as_str());
        assert_eq!(r["source_cidr_block"], want.source_cidr.as_str());
        assert_eq!(r["destination_cidr_block"], want.destination_cidr.as_str());
        match want.protocol {
            Some(p) => assert_eq!(r["protocol"], p),
            None => assert!(r.get("protocol").is_none()),
        }
        for (key, ports) in
            [("source_port_range", want.source_ports), ("destination_port_range", want.destination_ports)]
        {
            match ports {
                Some(p) => {
                    assert_eq!(r[key]["from_port"], p.from);
                    assert_eq!(r[key]["to_port"], p.to);
                }
                None => assert!(r.get(key).is_none()),
            }
        }
        assert_eq!(r["description"].as_str(), want.description.as_deref());
    }

    let sessions = resources(&doc, "aws_ec2_traffic_mirror_session");
    assert_eq!(sessions.len(), end.sessions.len());
    for want in &end.sessions {
        let (_, s) = sessions.iter().find(|(_, s)| s["network_interface_id"] == want.eni.as_str()).unwrap();
        assert_eq!(s["traffic_mirror_target_id"], format!("${{aws_ec2_traffic_mirror_target.{tname}.id}}"));
        assert_eq!(s["traffic_mirror_filter_id"], format!("${{aws_ec2_traffic_mirror_filter.{fname}.id}}"));
        assert_eq!(s["session_number"], want.number);
        match want.vni {
            Some(v) => assert_eq!(s["virtual_network_id"], v),
            None => assert!(s.get("virtual_network_id").is_none()),
        }
        match want.packet_length {
            Some(p) => assert_eq!(s["packet_length"], p),
            None => assert!(s.get("packet_length").is_none()),
        }
        assert_eq!(s["tags"][TAG_ROLE], "session");
        assert_eq!(s["depends_on"].as_array().unwrap().len(), end.rules.len());
    }
}

/// Table: target kinds, presets and session options.
#[test]
fn generated_terraform_matches_the_plan() {
    let eni = TargetSpec { kind: TargetKind::NetworkInterface, resource: "eni-sensor".into() };
    let nlb = TargetSpec {
        kind: TargetKind::NetworkLoadBalancer,
        resource: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/s/1".into(),
    };
    let gwlbe = TargetSpec { kind: TargetKind::GatewayLoadBalancerEndpoint, resource: "vpce-1".into() };
    let file = r#"[[rules]]
direction = "ingress"
number = 5
action = "reject"
protocol = "udp"
source_ports = "1000-2000"
destination_ports = 53
description = "a \"quoted\" ${not a template}"
"#;
    let cases = [
        end_state(eni.clone(), "all", None, None),
        end_state(eni, "no-ssm", Some(4242), Some(PacketLength::Bytes(128))),
        end_state(nlb, "dns", Some(1), None),
        end_state(gwlbe, "web", None, Some(PacketLength::Full)),
        end_state(TargetSpec { kind: TargetKind::NetworkInterface, resource: "eni-x".into() }, file, None, None),
    ];
    for end in &cases {
        check(end);
    }
}
