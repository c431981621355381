//! The EventBridge EVE sink end to end: alerts go through
//! `EventBridgeSink` to moto's EventBridge, a rule matching
//! `{"source":["mirador"]}` forwards them to an SQS queue, and the test reads
//! the queue. moto's events backend delivers to SQS targets synchronously
//! inside PutEvents (moto/events/models.py `Rule.send_to_targets`), so what
//! the queue holds after `flush` is everything that was delivered. The
//! moto server extension (`tests/moto_ext/server.py`) logs each PutEvents
//! call's entry count and total entry size.
//!
//! Also, through aws-smithy-mocks: the retry of throttled entries and calls,
//! and what the counters say when calls fail. Skipped with a message when
//! moto is not installed, unless MIRADOR_REQUIRE_MOTO=1 (the mock tests
//! always run).

mod support;

use std::collections::BTreeSet;
use std::sync::Once;
use std::time::{Duration, Instant};

use aws_sdk_eventbridge::config::retry::RetryConfig;
use aws_sdk_eventbridge::error::ErrorMetadata;
use aws_sdk_eventbridge::operation::put_events::{PutEventsError, PutEventsOutput};
use aws_sdk_eventbridge::types::PutEventsResultEntry;
use aws_sdk_eventbridge::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use mirador_mirror::eventbridge::{
    EventBridgeOptions, EventBridgeSink, SinkCounters, DETAIL_TYPE, MAX_ENTRIES, MAX_REQUEST_BYTES, SOURCE,
};
use mirador_mirror::AwsOpts;
use serde_json::Value;
use support::{moto, Moto};

/// The standard chain must find test credentials and nothing of the
/// developer's own AWS setup, nor probe IMDS. Every test calls this first,
/// so the environment is written once, before any test reads it.
fn test_env() {
    static ENV: Once = Once::new();
    ENV.call_once(|| {
        for (k, v) in [
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ] {
            std::env::set_var(k, v);
        }
        for k in [
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_EVENTBRIDGE",
            "AWS_MAX_ATTEMPTS",
        ] {
            std::env::remove_var(k);
        }
    });
}

fn alert(sid: u64, severity: u64) -> String {
    format!(
        concat!(
            r#"{{"timestamp":"2026-01-02T03:04:05.000006+0000","flow_id":{sid},"event_type":"alert","#,
            r#""src_ip":"10.0.0.{sid}","src_port":4444,"dest_ip":"10.0.1.1","dest_port":80,"proto":"TCP","#,
            r#""alert":{{"action":"allowed","gid":1,"signature_id":{sid},"rev":1,"#,
            r#""signature":"test sid {sid} é","category":"c","severity":{severity}}}}}"#
        ),
        sid = sid,
        severity = severity
    )
}

fn with_padding(line: &str, pad: usize) -> String {
    format!(r#"{{"pad":"{}",{}"#, "x".repeat(pad), &line[1..])
}

fn sink_for(m: &Moto, bus: Option<&str>, min_severity: u8) -> EventBridgeSink {
    test_env();
    let opts = EventBridgeOptions {
        bus: bus.map(str::to_string),
        min_severity,
        aws: AwsOpts { region: Some("us-east-1".into()), profile: None, endpoint_url: Some(m.endpoint.clone()) },
        ..EventBridgeOptions::default()
    };
    EventBridgeSink::connect(&opts).expect("connect")
}

/// A queue behind a rule matching `{"source":["mirador"]}` on `bus`;
/// returns the queue URL.
async fn rule_to_queue(m: &Moto, bus: Option<&str>, queue: &str) -> String {
    let sqs = m.sqs();
    let url = sqs.create_queue().queue_name(queue).send().await.unwrap().queue_url().unwrap().to_string();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let arn = attrs.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
    let ev = m.events();
    if let Some(b) = bus {
        ev.create_event_bus().name(b).send().await.unwrap();
    }
    ev.put_rule()
        .name(format!("{queue}-rule"))
        .set_event_bus_name(bus.map(str::to_string))
        .event_pattern(r#"{"source":["mirador"]}"#)
        .send()
        .await
        .unwrap();
    ev.put_targets()
        .rule(format!("{queue}-rule"))
        .set_event_bus_name(bus.map(str::to_string))
        .targets(aws_sdk_eventbridge::types::Target::builder().id("q").arn(arn).build().unwrap())
        .send()
        .await
        .unwrap();
    url
}

/// Receives until `want` messages arrived (or 10 s passed), then once more
/// to see that nothing else is there. Returns the event bodies.
async fn drain(m: &Moto, url: &str, want: usize) -> Vec<Value> {
    let sqs = m.sqs();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.unwrap();
        let msgs = r.messages();
        for msg in msgs {
            got.push(serde_json::from_str::<Value>(msg.body().unwrap()).unwrap());
            sqs.delete_message().queue_url(url).receipt_handle(msg.receipt_handle().unwrap()).send().await.unwrap();
        }
        if msgs.is_empty() && (got.len() >= want || Instant::now() > deadline) {
            return got;
        }
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

#[test]
fn alerts_at_or_above_the_severity_reach_the_rule_target() {
    let Some(m) = moto() else { return };
    let url = block_on(rule_to_queue(&m, None, "mirador-alerts"));
    m.clear_log();

    let mut sink = sink_for(&m, None, 2);
    let severity = |sid: u64| sid % 3 + 1;
    let mut lines = Vec::new();
    for sid in 1..=25 {
        lines.push(alert(sid, severity(sid)));
        if sid % 5 == 0 {
            lines.push(format!(r#"{{"timestamp":"t","flow_id":{sid},"event_type":"flow","alert":{{"severity":1}}}}"#));
            lines.push(r#"{"event_type":"stats","stats":{"uptime":1}}"#.to_string());
        }
    }
    lines.push(r#"{"event_type":"dns","dns":{"rrname":"alert"}}"#.into());
    lines.push(r#"{"event_type":"alert","alert":{"signature_id":99}}"#.into());
    lines.push("not json at all".into());
    for l in &lines {
        sink.push(&format!("{l}\n")).unwrap();
    }
    let expected: BTreeSet<u64> = (1..=25).filter(|&sid| severity(sid) <= 2).collect();
    assert_eq!(expected.len(), 17);
    // 10 went out when the batch was full; 7 wait for flush.
    assert_eq!(m.put_event_calls().len(), 1);
    assert_eq!(sink.pending(), 7);
    sink.flush().unwrap();
    let c = sink.counters();
    assert_eq!(
        c,
        SinkCounters { sent: 17, failed: 0, dropped: 0, skipped: lines.len() as u64 - 17, calls: 2, retried: 0 }
    );

    let calls = m.put_event_calls();
    assert_eq!(calls.iter().map(|c| c.0).collect::<Vec<_>>(), [10, 7], "{calls:?}");
    assert_eq!(m.actions(), ["PutEvents", "PutEvents"]);

    let events = block_on(drain(&m, &url, expected.len()));
    let mut sids = BTreeSet::new();
    for ev in &events {
        assert_eq!(ev["source"], SOURCE);
        assert_eq!(ev["detail-type"], DETAIL_TYPE);
        let sid = ev["detail"]["alert"]["signature_id"].as_u64().unwrap();
        let sev = ev["detail"]["alert"]["severity"].as_u64().unwrap();
        assert!(sev <= 2, "severity {sev} below the threshold was sent");
        assert_eq!(ev["detail"], serde_json::from_str::<Value>(&alert(sid, sev)).unwrap(), "detail is the EVE line");
        assert!(sids.insert(sid), "sid {sid} delivered twice");
    }
    assert_eq!(sids, expected);
    assert_eq!(events.len(), 17);
}

#[test]
fn calls_respect_the_entry_and_size_limits_and_a_named_bus() {
    let Some(m) = moto() else { return };
    let url = block_on(rule_to_queue(&m, Some("security"), "mirador-security"));
    let default_url = block_on(rule_to_queue(&m, None, "mirador-default"));
    m.clear_log();

    let mut sink = sink_for(&m, Some("security"), 3);
    // 23 small, then 5 of ~100 KB (two fit in a call), one of 300 KB (never
    // sendable), 3 small.
    let mut sent_sids = BTreeSet::new();
    for sid in 1..=23 {
        sink.push(&alert(sid, 3)).unwrap();
        sent_sids.insert(sid);
    }
    for sid in 24..=28 {
        sink.push(&with_padding(&alert(sid, 1), 100_000)).unwrap();
        sent_sids.insert(sid);
    }
    sink.push(&with_padding(&alert(29, 1), 300_000)).unwrap();
    for sid in 30..=32 {
        sink.push(&alert(sid, 2)).unwrap();
        sent_sids.insert(sid);
    }
    sink.flush().unwrap();
    sink.flush().unwrap(); // nothing pending: no call

    let c = sink.counters();
    assert_eq!((c.sent, c.failed, c.dropped, c.skipped), (31, 0, 1, 0), "{c:?}");
    let calls = m.put_event_calls();
    assert_eq!(c.calls as usize, calls.len());
    assert!(calls.iter().all(|&(n, b)| n as usize <= MAX_ENTRIES && (b as usize) < MAX_REQUEST_BYTES), "{calls:?}");
    assert_eq!(calls.iter().map(|c| c.0).sum::<i64>(), 31);
    // 10, 10, then 3 small + 2 big (a third would pass 256 KB), 2 big, the
    // last big + 3 small.
    assert_eq!(calls.iter().map(|c| c.0).collect::<Vec<_>>(), [10, 10, 5, 2, 4], "{calls:?}");

    let events = block_on(drain(&m, &url, 31));
    let got: BTreeSet<u64> = events.iter().map(|e| e["detail"]["alert"]["signature_id"].as_u64().unwrap()).collect();
    assert_eq!(got, sent_sids);
    assert_eq!(events.len(), 31);
    assert!(block_on(drain(&m, &default_url, 0)).is_empty(), "the default bus got events");
}

#[test]
fn an_unreachable_endpoint_fails_without_panicking() {
    test_env();
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let opts = EventBridgeOptions {
        aws: AwsOpts {
            region: Some("us-east-1".into()),
            profile: None,
            endpoint_url: Some(format!("http://127.0.0.1:{port}")),
        },
        attempt_timeout: Duration::from_secs(2),
        ..EventBridgeOptions::default()
    };
    let mut sink = EventBridgeSink::connect(&opts).unwrap();
    for sid in 1..=3 {
        sink.push(&alert(sid, 1)).unwrap();
    }
    let e = sink.flush().unwrap_err();
    assert!(e.to_string().contains("3 alert(s) lost"), "{e}");
    assert_eq!(sink.counters().failed, 3);
    assert_eq!(sink.counters().sent, 0);
    assert!(sink.last_error().is_some());
    // The sink goes on.
    sink.push(&alert(4, 1)).unwrap();
    assert!(sink.flush().is_err());
    assert_eq!(sink.counters().failed, 4);
}

#[test]
fn no_region_is_explained() {
    test_env();
    let e = EventBridgeSink::connect(&EventBridgeOptions::default()).unwrap_err().to_string();
    assert!(e.contains("no AWS region"), "{e}");
}

fn ok_entry(id: &str) -> PutEventsResultEntry {
    PutEventsResultEntry::builder().event_id(id).build()
}

fn err_entry(code: &str) -> PutEventsResultEntry {
    PutEventsResultEntry::builder().error_code(code).error_message("no").build()
}

fn mock_sink(rules: &[&Rule]) -> EventBridgeSink {
    let client: Client = mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, rules, |c| c
        .retry_config(RetryConfig::standard().with_max_attempts(2).with_initial_backoff(Duration::from_millis(1))));
    EventBridgeSink::with_client(client, Some("bus".into()), 3).unwrap()
}

#[test]
fn throttled_entries_are_sent_once_more() {
    test_env();
    let sizes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = sizes.clone();
    let put = mock!(Client::put_events)
        .match_requests(move |r| {
            let details = r
                .entries()
                .iter()
                .map(|e| {
                    assert_eq!(
                        (e.source(), e.detail_type(), e.event_bus_name()),
                        (Some(SOURCE), Some(DETAIL_TYPE), Some("bus"))
                    );
                    e.detail().unwrap().to_string()
                })
                .collect::<Vec<_>>();
            seen.lock().unwrap().push(details);
            true
        })
        .sequence()
        .output(|| {
            PutEventsOutput::builder()
                .failed_entry_count(3)
                .entries(ok_entry("a"))
                .entries(err_entry("ThrottlingException"))
                .entries(err_entry("MalformedDetail"))
                .entries(err_entry("InternalFailure"))
                .entries(ok_entry("e"))
                .build()
        })
        .output(|| {
            PutEventsOutput::builder()
                .failed_entry_count(1)
                .entries(ok_entry("b"))
                .entries(err_entry("ThrottlingException"))
                .build()
        })
        .build();
    let mut sink = mock_sink(&[&put]);
    for sid in 1..=5 {
        sink.push(&alert(sid, 1)).unwrap();
    }
    sink.flush().unwrap();
    assert_eq!(put.num_calls(), 2);
    let c = sink.counters();
    assert_eq!(c, SinkCounters { sent: 3, failed: 2, dropped: 0, skipped: 0, calls: 2, retried: 2 });
    let sizes = sizes.lock().unwrap();
    assert_eq!(sizes[0].len(), 5);
    assert_eq!(sizes[1], [alert(2, 1), alert(4, 1)], "the throttled and the internal failure, in order");
    assert!(sink.last_error().unwrap().contains("ThrottlingException"), "{:?}", sink.last_error());
}

#[test]
fn a_throttled_call_is_retried_once_then_counted_failed() {
    test_env();
    let put = mock!(Client::put_events)
        .sequence()
        .error(|| PutEventsError::generic(ErrorMetadata::builder().code("ThrottlingException").message("slow").build()))
        .output(|| PutEventsOutput::builder().entries(ok_entry("a")).entries(ok_entry("b")).build())
        .error(|| PutEventsError::generic(ErrorMetadata::builder().code("ThrottlingException").message("slow").build()))
        .times(2)
        .build();
    let mut sink = mock_sink(&[&put]);
    sink.push(&alert(1, 1)).unwrap();
    sink.push(&alert(2, 3)).unwrap();
    sink.flush().unwrap();
    assert_eq!(put.num_calls(), 2, "one throttled attempt, then success");
    assert_eq!((sink.counters().sent, sink.counters().failed), (2, 0));

    sink.push(&alert(3, 1)).unwrap();
    let e = sink.flush().unwrap_err();
    assert!(e.to_string().contains("ThrottlingException"), "{e}");
    assert_eq!(put.num_calls(), 4, "two attempts, no more");
    assert_eq!((sink.counters().sent, sink.counters().failed), (2, 1));
}

#[test]
fn full_batches_go_out_from_push() {
    test_env();
    let put = mock!(Client::put_events).match_requests(|r| r.entries().len() <= MAX_ENTRIES).then_output(|| {
        PutEventsOutput::builder().set_entries(Some((0..10).map(|i| ok_entry(&i.to_string())).collect())).build()
    });
    let mut sink = mock_sink(&[&put]);
    for sid in 1..=20 {
        sink.push(&alert(sid, 2)).unwrap();
    }
    assert_eq!(put.num_calls(), 2);
    assert_eq!(sink.pending(), 0);
    sink.flush().unwrap();
    assert_eq!(put.num_calls(), 2, "nothing left to flush");
    assert_eq!(sink.counters().sent, 20);
}
