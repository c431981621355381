//! Turning EC2 errors into messages a user can act on, and the IAM actions
//! mirador needs.
//!
//! EC2 models almost none of its errors, so classification goes by the
//! error code string (`UnauthorizedOperation`, `…NotFound`, `…LimitExceeded`).
//! Throttling (`RequestLimitExceeded`) is retried with exponential backoff by
//! the SDK's standard retry strategy before it ever reaches this module.

use std::fmt;

/// Every IAM action mirador calls, in the order of a setup's life.
/// `mirror/iam-policy.json` grants exactly these (a unit test checks it).
pub const IAM_ACTIONS: &[&str] = &[
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeTrafficMirrorTargets",
    "ec2:DescribeTrafficMirrorFilters",
    "ec2:DescribeTrafficMirrorSessions",
    "ec2:CreateTrafficMirrorTarget",
    "ec2:CreateTrafficMirrorFilter",
    "ec2:CreateTrafficMirrorFilterRule",
    "ec2:CreateTrafficMirrorSession",
    "ec2:ModifyTrafficMirrorFilterRule",
    "ec2:ModifyTrafficMirrorFilterNetworkServices",
    "ec2:ModifyTrafficMirrorSession",
    "ec2:DeleteTrafficMirrorSession",
    "ec2:DeleteTrafficMirrorTarget",
    "ec2:DeleteTrafficMirrorFilterRule",
    "ec2:DeleteTrafficMirrorFilter",
    "ec2:CreateTags",
];

/// The minimal IAM policy shipped in the repository.
pub const IAM_POLICY_JSON: &str = include_str!("../iam-policy.json");

/// An EC2 call that failed, with a message that says what to do.
#[derive(Debug)]
pub struct AwsError {
    /// Operation name (`CreateTrafficMirrorSession`).
    pub op: &'static str,
    /// AWS error code, when there is one.
    pub code: Option<String>,
    /// Kind of failure.
    pub kind: AwsErrorKind,
    message: String,
}

/// Broad classes of failures, each with its own advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// No credentials could be found.
    NoCredentials,
    /// No region configured.
    NoRegion,
    /// The credentials were rejected (`AuthFailure`, expired tokens).
    BadCredentials,
    /// The principal lacks an IAM permission.
    Unauthorized,
    /// A quota was hit.
    Quota,
    /// Throttled even after retries.
    Throttled,
    /// AWS refused the source (instance type, interface type, ...).
    SourceNotSupported,
    /// A referenced resource does not exist.
    NotFound,
    /// Anything else.
    Other,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AwsError {}

fn is_not_found(code: &str) -> bool {
    code.ends_with(".NotFound") || code.ends_with("NotFound")
}

/// Whether an error code means "already gone" (teardown treats it as done).
pub fn code_is_not_found(code: Option<&str>) -> bool {
    code.is_some_and(is_not_found)
}

/// Classifies a failed call and writes the advice.
///
/// `code` and `message` come from the AWS error metadata; `raw` is the full
/// error chain (used to recognise client-side failures such as missing
/// credentials, which carry no code).
pub fn explain(op: &'static str, code: Option<&str>, message: Option<&str>, raw: &str) -> AwsError {
    let msg = message.unwrap_or("").trim();
    let lower_raw = raw.to_ascii_lowercase();
    let (kind, text) = match code {
        Some("UnauthorizedOperation") | Some("AccessDenied") | Some("AccessDeniedException") => (
            AwsErrorKind::Unauthorized,
            format!(
                "not authorized to call ec2:{op}. mirador needs these IAM actions: {}. A minimal policy is in \
                 mirror/iam-policy.json (see docs/mirror.md, \"IAM\"). AWS said: {msg}",
                IAM_ACTIONS.join(", ")
            ),
        ),
        Some("AuthFailure")
        | Some("ExpiredToken")
        | Some("RequestExpired")
        | Some("InvalidClientTokenId")
        | Some("SignatureDoesNotMatch") => (
            AwsErrorKind::BadCredentials,
            format!(
                "AWS rejected the credentials ({}): check the profile or keys in use, refresh an SSO session with \
                 `aws sso login`, or renew expired session tokens. AWS said: {msg}",
                code.unwrap_or_default()
            ),
        ),
        Some("RequestLimitExceeded") | Some("Throttling") | Some("ThrottlingException") => (
            AwsErrorKind::Throttled,
            format!(
                "EC2 kept throttling ec2:{op} after retries with backoff; wait a minute and run the command again \
                 (it is safe to re-run). AWS said: {msg}"
            ),
        ),
        Some(c) if c.contains("LimitExceeded") || c.contains("QuotaExceeded") || c.contains("MaxSession") => (
            AwsErrorKind::Quota,
            format!(
                "quota exceeded calling ec2:{op} ({c}): {msg}. Traffic Mirroring quotas (not adjustable): \
                 3 sessions per source ENI, 10 rules per filter, 10 sources per ENI target (100 on the largest \
                 instance sizes), 10,000 sessions, targets and filters per account and region"
            ),
        ),
        Some(c)
            if op == "CreateTrafficMirrorSession"
                && (msg.to_ascii_lowercase().contains("not supported")
                    || msg.to_ascii_lowercase().contains("unsupported")
                    || c.contains("NotSupported")
                    || c.contains("Unsupported")) =>
        {
            (
                AwsErrorKind::SourceNotSupported,
                format!(
                    "AWS refused to mirror this source ({c}): {msg}. Traffic Mirroring needs a Nitro instance type \
                     that is not on AWS's exclusion list (or one of the Xen types C4, D2, G3, G3s, H1, I3, M4, P2, \
                     P3, R4, X1, X1e), not bare metal, and an ENI of type 'interface'"
                ),
            )
        }
        Some(c) if is_not_found(c) => (
            AwsErrorKind::NotFound,
            format!("ec2:{op}: {msg} ({c}); check the id and that --region / --profile point at its account"),
        ),
        Some(c) => (AwsErrorKind::Other, format!("ec2:{op} failed: {c}: {msg}")),
        None if lower_raw.contains("no credentials")
            || lower_raw.contains("credentials provider")
            || lower_raw.contains("failed to resolve identity")
            || lower_raw.contains("credentialsnotloaded")
            || lower_raw.contains("credentials not loaded") =>
        {
            (
                AwsErrorKind::NoCredentials,
                "no AWS credentials found: set AWS_PROFILE or pass --profile (an SSO profile needs `aws sso \
                 login` first), export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run on an instance with a role"
                    .to_string(),
            )
        }
        None if lower_raw.contains("region") && (lower_raw.contains("missing") || lower_raw.contains("no region")) => (
            AwsErrorKind::NoRegion,
            "no AWS region: pass --region, set AWS_REGION, or set region in the profile".to_string(),
        ),
        None => (AwsErrorKind::Other, format!("ec2:{op} failed: {raw}")),
    };
    AwsError { op, code: code.map(str::to_string), kind, message: text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_grants_exactly_the_actions_used() {
        let v: serde_json::Value = serde_json::from_str(IAM_POLICY_JSON).unwrap();
        assert_eq!(v["Version"], "2012-10-17");
        let mut granted: Vec<String> = Vec::new();
        for st in v["Statement"].as_array().unwrap() {
            assert_eq!(st["Effect"], "Allow");
            granted.extend(st["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()));
        }
        granted.sort();
        let mut want: Vec<String> = IAM_ACTIONS.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(granted, want);
    }

    /// Table: code (and raw text) -> class and a phrase of advice.
    #[test]
    fn classification() {
        let cases: &[(&str, Option<&str>, &str, AwsErrorKind, &str)] = &[
            (
                "CreateTrafficMirrorTarget",
                Some("UnauthorizedOperation"),
                "",
                AwsErrorKind::Unauthorized,
                "iam-policy.json",
            ),
            ("DescribeInstances", Some("AuthFailure"), "", AwsErrorKind::BadCredentials, "aws sso login"),
            (
                "CreateTrafficMirrorFilterRule",
                Some("TrafficMirrorFilterRuleLimitExceeded"),
                "",
                AwsErrorKind::Quota,
                "10 rules per filter",
            ),
            ("CreateTrafficMirrorSession", Some("RequestLimitExceeded"), "", AwsErrorKind::Throttled, "safe to re-run"),
            (
                "DeleteTrafficMirrorSession",
                Some("InvalidTrafficMirrorSessionId.NotFound"),
                "",
                AwsErrorKind::NotFound,
                "--region",
            ),
            (
                "DescribeInstances",
                None,
                "failed to resolve identity: no credentials in the chain",
                AwsErrorKind::NoCredentials,
                "--profile",
            ),
            ("DescribeInstances", Some("Weird"), "", AwsErrorKind::Other, "Weird"),
        ];
        for (op, code, raw, kind, phrase) in cases {
            let e = explain(op, *code, Some("msg"), raw);
            assert_eq!(e.kind, *kind, "{op} {code:?}");
            assert!(e.to_string().contains(phrase), "{e}");
        }
        let e = explain(
            "CreateTrafficMirrorSession",
            Some("InvalidParameterValue"),
            Some("The instance type t2.micro is not supported"),
            "",
        );
        assert_eq!(e.kind, AwsErrorKind::SourceNotSupported);
        assert!(e.to_string().contains("Nitro"));
        assert!(code_is_not_found(Some("InvalidTrafficMirrorTargetId.NotFound")));
        assert!(!code_is_not_found(Some("DependencyViolation")));
    }
}
