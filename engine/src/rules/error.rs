//! Load-time errors: where (file, line, column), which rule (sid), and why.

use std::fmt;
use std::path::PathBuf;

/// Why a rule was rejected. The reason text is lowercase and specific; the
/// category groups rejections in `rules check`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// Rule file, when loaded from one.
    pub file: Option<PathBuf>,
    /// 1-based line of the rule's first line.
    pub line: usize,
    /// 1-based column (in characters of the joined rule text) where the
    /// problem is.
    pub column: usize,
    /// sid, when it could be read.
    pub sid: Option<u32>,
    kind: RuleErrorKind,
}

/// The kinds of rejection, for grouping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RuleErrorKind {
    /// The header or option syntax is malformed.
    Syntax(String),
    /// A keyword mirador does not know.
    UnknownKeyword(String),
    /// A known keyword whose value is invalid.
    BadValue { keyword: String, reason: String },
    /// The rule is valid but uses something the engine cannot evaluate.
    Unsupported(String),
    /// Variables could not be resolved.
    Vars(String),
    /// Same gid:sid as an earlier rule.
    DuplicateSid { gid: u32, sid: u32 },
}

impl RuleError {
    pub(crate) fn new(kind: RuleErrorKind, column: usize) -> Self {
        RuleError { file: None, line: 0, column, sid: None, kind }
    }

    pub(crate) fn syntax(msg: impl Into<String>, column: usize) -> Self {
        Self::new(RuleErrorKind::Syntax(msg.into()), column)
    }

    pub(crate) fn unknown_keyword(kw: &str, column: usize) -> Self {
        Self::new(RuleErrorKind::UnknownKeyword(kw.to_string()), column)
    }

    pub(crate) fn bad_value(kw: &str, reason: impl Into<String>, column: usize) -> Self {
        Self::new(RuleErrorKind::BadValue { keyword: kw.to_string(), reason: reason.into() }, column)
    }

    pub(crate) fn unsupported(what: impl Into<String>, column: usize) -> Self {
        Self::new(RuleErrorKind::Unsupported(what.into()), column)
    }

    pub(crate) fn vars(msg: impl Into<String>, column: usize) -> Self {
        Self::new(RuleErrorKind::Vars(msg.into()), column)
    }

    pub(crate) fn duplicate(gid: u32, sid: u32) -> Self {
        Self::new(RuleErrorKind::DuplicateSid { gid, sid }, 1)
    }

    /// A short category for grouping in reports: the reason without the
    /// rule-specific detail, e.g. `unknown keyword 'xbits'`.
    pub fn category(&self) -> String {
        match &self.kind {
            RuleErrorKind::Syntax(_) => "syntax error".into(),
            RuleErrorKind::UnknownKeyword(k) => format!("unknown keyword '{k}'"),
            RuleErrorKind::BadValue { keyword, .. } => format!("invalid value for '{keyword}'"),
            RuleErrorKind::Unsupported(w) => format!("not supported yet: {w}"),
            RuleErrorKind::Vars(_) => "variable error".into(),
            RuleErrorKind::DuplicateSid { .. } => "duplicate signature id".into(),
        }
    }

    /// The reason alone, without the location.
    pub fn reason(&self) -> String {
        match &self.kind {
            RuleErrorKind::Syntax(m) => m.clone(),
            RuleErrorKind::UnknownKeyword(k) => format!("unknown keyword '{k}'"),
            RuleErrorKind::BadValue { keyword, reason } => {
                format!("invalid value for '{keyword}': {reason}")
            }
            RuleErrorKind::Unsupported(w) => format!("not supported yet: {w}"),
            RuleErrorKind::Vars(m) => m.clone(),
            RuleErrorKind::DuplicateSid { gid, sid } => format!("duplicate signature {gid}:{sid}"),
        }
    }

    /// True for a duplicate gid:sid (Suricata warns and keeps the first).
    pub fn is_duplicate(&self) -> bool {
        matches!(self.kind, RuleErrorKind::DuplicateSid { .. })
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.file {
            write!(f, "{}:", p.display())?;
        }
        write!(f, "{}:{}: ", self.line, self.column)?;
        if let Some(sid) = self.sid {
            write!(f, "sid {sid}: ")?;
        }
        f.write_str(&self.reason())
    }
}

impl std::error::Error for RuleError {}
