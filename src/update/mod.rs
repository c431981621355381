//! `mirador rules update`: what suricata-update does for Suricata users.
//!
//! Fetch rule sources (ET Open by default, or any URL: `.tar.gz`/`.tgz`
//! archives or plain `.rules` files) through a cache, verify them against
//! their published checksum (`URL.md5`, as ET publishes, or `URL.sha256`),
//! unpack what matters (`*.rules`, `classification.config`,
//! `reference.config`), merge the sources, apply suricata-update's
//! `enable.conf` / `disable.conf` / `modify.conf`, load the result with the
//! engine and refuse it when too much is rejected, then install it
//! atomically: the new directory is written beside the old one, fsynced, and
//! swapped in by rename, the old one kept as `DIR.prev`.
//!
//! The steps live in submodules: [`fetch`] (HTTP, cache, checksums),
//! [`archive`] (unpacking with caps), [`rules`] (the rule list: parse, merge,
//! flowbits, render, diff), [`modify`] (the `.conf` files) and [`install`]
//! (lock and atomic swap).

pub mod archive;
pub mod fetch;
pub mod install;
pub mod modify;
pub mod rules;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use mirador_engine::detect::Ruleset;
use mirador_engine::rules::{Classifications, LoadReport, Vars};

use self::fetch::{Fetcher, Origin};
use self::modify::Modifications;
use self::rules::{Diff, RuleSet};

/// ET Open for Suricata 7, the default source (as suricata-update's).
pub const ET_OPEN_URL: &str = "https://rules.emergingthreats.net/open/suricata-7.0.10/emerging.rules.tar.gz";

/// The default output directory.
pub const DEFAULT_OUTPUT: &str = "/var/lib/mirador/rules";

/// Name of the merged rules file in the output directory.
pub const RULES_FILE: &str = "mirador.rules";

/// File-name globs ignored by default (suricata-update ignores the same).
pub const DEFAULT_IGNORE: &[&str] = &["*deleted.rules"];

/// The classification table compiled into the binary, used for the load
/// check when no source ships a classification.config.
const BUNDLED_CLASSIFICATION: &str = include_str!("../../rules/classification.config");

/// Download, verify, merge and install rules, as suricata-update does.
///
/// Sources are merged in the order given; when two carry the same gid:sid,
/// the higher rev wins (the first on a tie). Disabled rules are written
/// commented out (`# alert ...`).
#[derive(clap::Args, Debug, Clone)]
pub struct UpdateArgs {
    /// Rule source: URL of a .tar.gz/.tgz archive or of a plain .rules file;
    /// file:// URLs and local paths work too (repeatable). Default: ET Open
    /// for Suricata 7.
    #[arg(long = "url", value_name = "URL")]
    pub urls: Vec<String>,
    /// Also fetch ET Open when --url is given.
    #[arg(long)]
    pub etopen: bool,
    /// Directory to install into (replaced as a whole; the previous one is
    /// kept as DIR.prev).
    #[arg(short = 'o', long = "output", value_name = "DIR", default_value = DEFAULT_OUTPUT)]
    pub output: PathBuf,
    /// Download cache. Default: $XDG_CACHE_HOME/mirador, else ~/.cache/mirador.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Use only the cache: no network access at all.
    #[arg(long)]
    pub offline: bool,
    /// Download even when the cached copy is fresh or unchanged.
    #[arg(long, conflicts_with = "offline")]
    pub force: bool,
    /// A cached copy younger than this is reused without asking the server.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub fresh_for: u64,
    /// Do not fetch or verify URL.md5 / URL.sha256 checksum files.
    #[arg(long)]
    pub no_checksum: bool,
    /// Rules to enable (suricata-update's enable.conf format).
    #[arg(long, value_name = "FILE")]
    pub enable_conf: Option<PathBuf>,
    /// Rules to disable (suricata-update's disable.conf format).
    #[arg(long, value_name = "FILE")]
    pub disable_conf: Option<PathBuf>,
    /// Rule rewrites (suricata-update's modify.conf format).
    #[arg(long, value_name = "FILE")]
    pub modify_conf: Option<PathBuf>,
    /// Accepted for suricata-update compatibility and ignored: mirador is an
    /// IDS, drop rules alert as alert rules do.
    #[arg(long, value_name = "FILE")]
    pub drop_conf: Option<PathBuf>,
    /// Skip rule files whose name matches GLOB (repeatable). Default: *deleted.rules.
    #[arg(long, value_name = "GLOB")]
    pub ignore: Vec<String>,
    /// Do not skip any rule file (not even *deleted.rules).
    #[arg(long, conflicts_with = "ignore")]
    pub no_ignore: bool,
    /// Refuse to install when more than this percentage of the enabled rules
    /// is rejected by the engine.
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
    pub max_reject_percent: f64,
    /// Set a variable for the load check, e.g. HOME_NET=[10.0.0.0/8] (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Do everything but install: print what would change against the
    /// installed rules.
    #[arg(long)]
    pub dry_run: bool,
    /// Network timeout for one download, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    /// Print only warnings and errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// What [`update`] does, resolved from [`UpdateArgs`].
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Source URLs (or file:// URLs / local paths), in merge order.
    pub sources: Vec<String>,
    /// Output directory.
    pub output: PathBuf,
    /// Download cache directory.
    pub cache_dir: PathBuf,
    /// No network.
    pub offline: bool,
    /// Ignore freshness, checksums of the cache and validators.
    pub force: bool,
    /// Reuse a cached copy younger than this without a request.
    pub fresh_for: Duration,
    /// Fetch and verify checksum files.
    pub checksums: bool,
    /// enable.conf, disable.conf, modify.conf.
    pub enable_conf: Option<PathBuf>,
    pub disable_conf: Option<PathBuf>,
    pub modify_conf: Option<PathBuf>,
    /// File-name globs to skip.
    pub ignore: Vec<String>,
    /// Refusal threshold, in percent of the enabled rules.
    pub max_reject_percent: f64,
    /// NAME=VALUE variables for the load check.
    pub vars: Vec<String>,
    /// Build and check, but do not install.
    pub dry_run: bool,
    /// Per-download timeout.
    pub timeout: Duration,
    /// Suppress progress messages (warnings still go to stderr).
    pub quiet: bool,
}

impl UpdateOptions {
    /// Options with the CLI defaults for the given sources, output and cache.
    #[allow(dead_code)] // library entry point: used by tests and future callers
    pub fn new(sources: Vec<String>, output: PathBuf, cache_dir: PathBuf) -> Self {
        UpdateOptions {
            sources,
            output,
            cache_dir,
            offline: false,
            force: false,
            fresh_for: Duration::from_secs(900),
            checksums: true,
            enable_conf: None,
            disable_conf: None,
            modify_conf: None,
            ignore: DEFAULT_IGNORE.iter().map(|s| s.to_string()).collect(),
            max_reject_percent: 10.0,
            vars: Vec::new(),
            dry_run: false,
            timeout: Duration::from_secs(300),
            quiet: false,
        }
    }
}

impl UpdateArgs {
    /// Resolves defaults (sources, cache directory, ignore list).
    pub fn into_options(self) -> Result<UpdateOptions> {
        let mut sources = self.urls;
        if sources.is_empty() || self.etopen {
            sources.push(ET_OPEN_URL.to_string());
        }
        let cache_dir = match self.cache_dir {
            Some(d) => d,
            None => default_cache_dir().context("no cache directory: set --cache-dir, XDG_CACHE_HOME or HOME")?,
        };
        if !(0.0..=100.0).contains(&self.max_reject_percent) {
            anyhow::bail!("--max-reject-percent takes 0 to 100, not {}", self.max_reject_percent);
        }
        if let Some(p) = &self.drop_conf {
            eprintln!(
                "mirador: --drop-conf {} ignored: mirador is an IDS; drop rules alert as alert rules do",
                p.display()
            );
        }
        let ignore = if self.no_ignore {
            Vec::new()
        } else if self.ignore.is_empty() {
            DEFAULT_IGNORE.iter().map(|s| s.to_string()).collect()
        } else {
            self.ignore
        };
        Ok(UpdateOptions {
            sources,
            output: self.output,
            cache_dir,
            offline: self.offline,
            force: self.force,
            fresh_for: Duration::from_secs(self.fresh_for),
            checksums: !self.no_checksum,
            enable_conf: self.enable_conf,
            disable_conf: self.disable_conf,
            modify_conf: self.modify_conf,
            ignore,
            max_reject_percent: self.max_reject_percent,
            vars: self.vars,
            dry_run: self.dry_run,
            timeout: Duration::from_secs(self.timeout.max(1)),
            quiet: self.quiet,
        })
    }
}

/// `$XDG_CACHE_HOME/mirador`, else `$HOME/.cache/mirador`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(x) = nonempty("XDG_CACHE_HOME") {
        return Some(PathBuf::from(x).join("mirador"));
    }
    nonempty("HOME").map(|h| PathBuf::from(h).join(".cache").join("mirador"))
}

/// What happened to one source.
#[derive(Debug, Clone)]
pub struct SourceReport {
    /// The URL (or path) as given.
    pub url: String,
    /// Where the bytes came from.
    pub origin: Origin,
    /// The checksum verified, e.g. `md5 9e107d9d...`; None when the source
    /// publishes none (or --no-checksum).
    pub checksum: Option<String>,
    /// Rule files used (after the ignore list).
    pub files: usize,
    /// Rule files skipped by the ignore list.
    pub ignored_files: Vec<String>,
    /// Rules read (enabled and disabled).
    pub rules: usize,
}

/// Outcome of [`update`].
#[derive(Debug, Clone)]
pub struct Report {
    /// One per source, in order.
    pub sources: Vec<SourceReport>,
    /// Rules in the merged set (enabled + disabled).
    pub total: usize,
    /// Enabled rules written.
    pub enabled: usize,
    /// Disabled (commented out) rules written.
    pub disabled: usize,
    /// Rules dropped because a later or earlier copy of the same gid:sid had
    /// a higher rev.
    pub duplicates: usize,
    /// Rules disabled by disable.conf.
    pub disabled_by_conf: usize,
    /// Rules enabled by enable.conf.
    pub enabled_by_conf: usize,
    /// Rules changed by modify.conf.
    pub modified_by_conf: usize,
    /// Disabled rules enabled because an enabled rule checks a flowbit they set.
    pub flowbit_enabled: usize,
    /// Rules the engine loads.
    pub loaded: usize,
    /// Enabled rules the engine rejects.
    pub rejected: usize,
    /// Rejections by reason, most frequent first.
    pub reasons: Vec<(String, usize)>,
    /// Change against the installed rules.
    pub diff: Diff,
    /// False on a dry run.
    pub installed: bool,
    /// The output directory.
    pub output: PathBuf,
    /// Warnings (also printed on stderr).
    pub warnings: Vec<String>,
}

impl Report {
    /// `N rules loaded, M rejected` and the reasons by count.
    pub fn load_summary(&self) -> String {
        load_summary(self.loaded, self.rejected, &self.reasons)
    }
}

fn load_summary(loaded: usize, rejected: usize, reasons: &[(String, usize)]) -> String {
    let mut s = format!("{loaded} rules loaded, {rejected} rejected");
    for (r, n) in reasons.iter().take(20) {
        s.push_str(&format!("\n{n:>7}  {r}"));
    }
    if reasons.len() > 20 {
        s.push_str(&format!("\n    ... and {} more reasons (see `mirador rules check`)", reasons.len() - 20));
    }
    s
}

/// The new rules were built but not installed: nothing loads, or too much is
/// rejected. The installed rules are left as they were.
#[derive(Debug, Clone)]
pub struct Refused {
    /// Why, in one line.
    pub why: String,
    /// Rules the engine loads.
    pub loaded: usize,
    /// Rules it rejects.
    pub rejected: usize,
    /// Rejections by reason, most frequent first.
    pub reasons: Vec<(String, usize)>,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refusing to install: {}\n{}", self.why, load_summary(self.loaded, self.rejected, &self.reasons))
    }
}

impl std::error::Error for Refused {}

/// Progress and warnings on stderr.
pub(crate) struct Log {
    quiet: bool,
    warnings: std::cell::RefCell<Vec<String>>,
}

impl Log {
    fn new(quiet: bool) -> Self {
        Log { quiet, warnings: Default::default() }
    }

    pub(crate) fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("mirador: {}", msg.as_ref());
        }
    }

    pub(crate) fn warn(&self, msg: impl Into<String>) {
        let msg = msg.into();
        eprintln!("mirador: warning: {msg}");
        self.warnings.borrow_mut().push(msg);
    }
}

/// Runs the whole update; see the module documentation. On success the new
/// rules are installed (unless `dry_run`); on any error, including
/// [`Refused`] and a checksum mismatch, the installed rules are untouched.
pub fn update(opts: &UpdateOptions) -> Result<Report> {
    let log = Log::new(opts.quiet);
    anyhow::ensure!(!opts.sources.is_empty(), "no rule sources");
    // Configuration errors first, before any network traffic.
    let mods =
        Modifications::load(opts.enable_conf.as_deref(), opts.disable_conf.as_deref(), opts.modify_conf.as_deref())?;
    let vars = build_vars(&opts.vars)?;
    let ignore = opts
        .ignore
        .iter()
        .map(|g| modify::Glob::new(g).with_context(|| format!("--ignore {g}")))
        .collect::<Result<Vec<_>>>()?;

    let fetcher = Fetcher::new(opts, &log);
    let mut set = RuleSet::default();
    let mut source_reports = Vec::new();
    let mut classification = ConfigMerge::new("config classification:");
    let mut reference = ConfigMerge::new("config reference:");
    for (i, url) in opts.sources.iter().enumerate() {
        let fetched = fetcher.fetch(url)?;
        let unpacked = archive::unpack(url, &fetched.bytes).with_context(|| format!("unpacking source {url}"))?;
        let mut rep = SourceReport {
            url: url.clone(),
            origin: fetched.origin,
            checksum: fetched.checksum.as_ref().map(|c| c.to_string()),
            files: 0,
            ignored_files: Vec::new(),
            rules: 0,
        };
        for f in &unpacked.rules {
            let base = rules::basename(&f.name);
            if ignore.iter().any(|g| g.matches(base)) {
                rep.ignored_files.push(f.name.clone());
                continue;
            }
            rep.files += 1;
            rep.rules += set.add_file(&f.text, &f.name, i);
        }
        if let Some(c) = &unpacked.classification {
            classification.add(c);
        }
        if let Some(r) = &unpacked.reference {
            reference.add(r);
        }
        source_reports.push(rep);
    }

    let duplicates = set.remove_duplicates();
    let applied = mods.apply(&mut set, &log);
    let flowbit_enabled = set.resolve_flowbits();
    let (enabled, disabled) = set.counts();

    let header = render_header(&source_reports);
    let rules_text = set.render(&header);
    let classification_text = classification.finish();
    let reference_text = reference.finish();

    // Load check, with the file name the rules will have once installed.
    let classes_src = classification_text.as_deref().unwrap_or(BUNDLED_CLASSIFICATION);
    let (classes, bad) = Classifications::parse(classes_src);
    for (line, t) in bad {
        log.warn(format!("classification.config line {line} ignored: {t}"));
    }
    let (loaded, rejected, reasons) = load_check(&rules_text, &opts.output, &vars, &classes);

    let installed_rules = std::fs::read_to_string(opts.output.join(RULES_FILE)).ok();
    let diff = rules::diff(installed_rules.as_deref(), &set);

    let total = loaded + rejected;
    if loaded == 0 {
        return Err(
            Refused { why: format!("no rule loads ({} enabled rules)", enabled), loaded, rejected, reasons }.into()
        );
    }
    let pct = rejected as f64 * 100.0 / total as f64;
    if pct > opts.max_reject_percent {
        return Err(Refused {
            why: format!(
                "{rejected} of {total} enabled rules rejected ({pct:.1}%), more than --max-reject-percent {}",
                opts.max_reject_percent
            ),
            loaded,
            rejected,
            reasons,
        }
        .into());
    }

    let mut files: Vec<(&str, &[u8])> = vec![(RULES_FILE, rules_text.as_bytes())];
    if let Some(c) = &classification_text {
        files.push(("classification.config", c.as_bytes()));
    }
    if let Some(r) = &reference_text {
        files.push(("reference.config", r.as_bytes()));
    }
    let installed = if opts.dry_run {
        false
    } else {
        install::install(&opts.output, &files, &log)?;
        true
    };
    Ok(Report {
        sources: source_reports,
        total: enabled + disabled,
        enabled,
        disabled,
        duplicates,
        disabled_by_conf: applied.disabled,
        enabled_by_conf: applied.enabled,
        modified_by_conf: applied.modified,
        flowbit_enabled,
        loaded,
        rejected,
        reasons,
        diff,
        installed,
        output: opts.output.clone(),
        warnings: log.warnings.into_inner(),
    })
}

/// `mirador rules update`: runs [`update`] and prints the outcome on stdout
/// (nothing with --quiet). Errors, refusals included, are returned.
pub fn run(args: UpdateArgs) -> Result<ExitCode> {
    let opts = args.into_options()?;
    let report = update(&opts)?;
    if !opts.quiet {
        print!("{}", report.render());
    }
    Ok(ExitCode::SUCCESS)
}

impl Report {
    /// The human summary `run` prints.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for src in &self.sources {
            s.push_str(&format!(
                "{}: {}, {}; {} rule files, {} rules",
                src.url,
                src.origin,
                src.checksum.as_deref().unwrap_or("no checksum published"),
                src.files,
                src.rules
            ));
            if !src.ignored_files.is_empty() {
                s.push_str(&format!(" (ignored: {})", src.ignored_files.join(", ")));
            }
            s.push('\n');
        }
        s.push_str(&format!(
            "{} rules, {} enabled, {} disabled; disable.conf disabled {}, enable.conf enabled {}, modify.conf changed {}, {} enabled for flowbits, {} duplicates dropped\n",
            self.total,
            self.enabled,
            self.disabled,
            self.disabled_by_conf,
            self.enabled_by_conf,
            self.modified_by_conf,
            self.flowbit_enabled,
            self.duplicates
        ));
        s.push_str(&self.load_summary());
        s.push('\n');
        let d = &self.diff;
        let change = if d.previous {
            format!("{} added, {} removed, {} changed, {} unchanged", d.added, d.removed, d.modified, d.unchanged)
        } else {
            format!("{} added (nothing installed before)", d.added)
        };
        let what = if self.installed { "installed" } else { "dry run: would install" };
        s.push_str(&format!("{what} into {}: {change}\n", self.output.display()));
        if !self.warnings.is_empty() {
            s.push_str(&format!("{} warnings (see above)\n", self.warnings.len()));
        }
        s
    }
}

fn build_vars(vars: &[String]) -> Result<Vars> {
    let mut v = Vars::default();
    for s in vars {
        let (k, val) = s.split_once('=').with_context(|| format!("--var expects NAME=VALUE, got '{s}'"))?;
        v.set(k.trim(), val.trim());
    }
    Ok(v)
}

/// Parses and compiles `text` as the engine will; returns loaded, rejected
/// and the rejection reasons by count.
fn load_check(
    text: &str,
    output: &Path,
    vars: &Vars,
    classes: &Classifications,
) -> (usize, usize, Vec<(String, usize)>) {
    let mut report = LoadReport::default();
    report.add_text(text, Some(&output.join(RULES_FILE)));
    let built = Ruleset::from_report(report, vars, classes);
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for e in &built.errors {
        *by.entry(e.category()).or_default() += 1;
    }
    let mut reasons: Vec<(String, usize)> = by.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    (built.ruleset.len(), built.errors.len(), reasons)
}

fn render_header(sources: &[SourceReport]) -> String {
    let mut h = String::from(
        "# Generated by `mirador rules update`. Do not edit: changes are lost on the\n\
         # next update. Use --enable-conf, --disable-conf and --modify-conf instead.\n",
    );
    for s in sources {
        h.push_str(&format!(
            "# source: {} ({} files, {} rules{})\n",
            s.url,
            s.files,
            s.rules,
            s.checksum.as_deref().map(|c| format!(", {c}")).unwrap_or_default()
        ));
    }
    h
}

/// Merges `config <kind>: name,...` files from several sources: the first
/// source's file verbatim, then the definitions of later sources whose names
/// are new.
struct ConfigMerge {
    prefix: &'static str,
    text: Option<String>,
    names: std::collections::HashSet<String>,
}

impl ConfigMerge {
    fn new(prefix: &'static str) -> Self {
        ConfigMerge { prefix, text: None, names: Default::default() }
    }

    fn name_of<'a>(&self, line: &'a str) -> Option<&'a str> {
        let rest = line.trim().strip_prefix(self.prefix)?;
        let rest = rest.trim_start();
        let end = rest.find(|c: char| c == ',' || c.is_whitespace()).unwrap_or(rest.len());
        Some(&rest[..end])
    }

    fn add(&mut self, text: &str) {
        match &mut self.text {
            None => {
                for l in text.lines() {
                    if let Some(n) = self.name_of(l) {
                        self.names.insert(n.to_string());
                    }
                }
                let mut t = text.to_string();
                if !t.ends_with('\n') {
                    t.push('\n');
                }
                self.text = Some(t);
            }
            Some(_) => {
                let mut extra = String::new();
                for l in text.lines() {
                    if let Some(n) = self.name_of(l) {
                        if self.names.insert(n.to_string()) {
                            extra.push_str(l.trim());
                            extra.push('\n');
                        }
                    }
                }
                if let Some(t) = &mut self.text {
                    t.push_str(&extra);
                }
            }
        }
    }

    fn finish(self) -> Option<String> {
        self.text
    }
}
