//! `teapot check`: what a team runs on every pull request.
//!
//! - agreement: the models and the migrations agree (what `makemigrations --check` checks);
//! - [`rules`] — the safety lint over migrations not yet applied (or all);
//! - integrity: `migrations/teapot.sum` matches every file, and (with a database) the checksum
//!   recorded when a migration was applied matches the file;
//! - the graph: missing dependencies, cycles, two leaves in an app;
//! - [`drift`] — with a database, its live schema against the state the applied migrations describe.

pub mod drift;
pub mod expected;
pub mod rules;
pub mod sql_scan;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::autodetector::Autodetector;
use crate::checksum::{checksum, SumFile};
use crate::config::Config;
use crate::declared::read_declared;
use crate::graph::Graph;
use crate::loader::load_graph;
use crate::make::sum_key;
use crate::questioner::Questioner;
use crate::recorder::Applied;
use crate::Migration;
use teapot_core::{Error, Result};

/// One problem found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// A lint rule id (`TP002`), or `agreement`, `integrity`, `graph`, `drift`.
    pub rule: String,
    /// The rule's short name.
    pub name: String,
    /// The file, relative to the project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The migration (`app/name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<String>,
    /// The operation, `3: Remove field pages from Book`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Whether `migrate --online` already makes it safe (lint rules only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub online_safe: Option<bool>,
}

impl Finding {
    fn new(rule: &str, name: &str, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.into(),
            name: name.into(),
            file: None,
            line: None,
            migration: None,
            operation: None,
            message: message.into(),
            fix: None,
            online_safe: None,
        }
    }
}

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Lint every migration, not only those not yet applied.
    pub all: bool,
    /// Deploys use `migrate --online`: rules it makes safe are not reported.
    pub online: bool,
    /// The database to compare with (drift, applied checksums, what is applied).
    pub database_url: Option<String>,
}

/// Never asks and never fails: an unanswered question is simply not a rename.
struct Silent;

impl Questioner for Silent {
    fn rename_model(&mut self, _: &str, _: &teapot_schema::ModelState, _: &teapot_schema::ModelState) -> Result<bool> {
        Ok(false)
    }
    fn rename_field(&mut self, _: &str, _: &str, _: &str, _: &str, _: &teapot_schema::Field) -> Result<bool> {
        Ok(false)
    }
    fn not_null_default(&mut self, _: &str, _: &str, _: &str, _: &teapot_schema::Field, _: bool) -> Result<Option<teapot_schema::Literal>> {
        Ok(None)
    }
}

fn rel(config: &Config, path: &std::path::Path) -> String {
    sum_key(config, path)
}

/// Models and migrations agree: every change the autodetector would make is a finding.
pub fn agreement(config: &Config, graph: &Graph) -> Result<Vec<Finding>> {
    let mut declared = read_declared(config)?;
    let from = graph.state()?;
    declared.keep_join_keys_of(&from);
    let leaves = config.apps.keys().filter_map(|a| graph.leaves(a).into_iter().next().map(|l| (a.clone(), l))).collect();
    let apps: Vec<String> = config.apps.keys().cloned().collect();
    let new = Autodetector::new(&from, &declared.state, &declared.hints, &apps).detect(&mut Silent, &leaves)?;
    let mut out = Vec::new();
    for nm in new {
        for op in nm.operations {
            let model = op.model_name().unwrap_or_default().to_string();
            let place = declared.declarations.iter().find(|d| d.decl.model.app == nm.app && d.decl.model.name.eq_ignore_ascii_case(&model));
            let field = match &op {
                crate::Operation::AddField { name, .. } | crate::Operation::AlterField { name, .. } => Some(name.clone()),
                _ => None,
            };
            let mut f = Finding::new(
                "agreement",
                "model-without-migration",
                format!("{}.{}: {} has no migration yet", nm.app, model, op.describe()),
            );
            f.fix = Some("run `teapot makemigrations` and commit the migration".into());
            if let Some(p) = place {
                f.file = Some(p.file.to_string_lossy().replace('\\', "/"));
                f.line = Some(field.as_deref().map(|n| p.decl.field_location(n).line).unwrap_or(p.decl.location.line));
            }
            out.push(f);
        }
    }
    Ok(out)
}

fn op_line(m: &Migration, index: usize) -> Option<usize> {
    let text = std::fs::read_to_string(m.path.as_ref()?).ok()?;
    // Headers inside a multi-line string (run_sql) do not count.
    let mut in_string = false;
    let mut headers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if !in_string && line.trim() == "[[operations]]" {
            headers.push(i + 1);
        }
        let quotes = line.matches("'''").count() + line.matches("\"\"\"").count();
        if quotes % 2 == 1 {
            in_string = !in_string;
        }
    }
    headers.get(index).copied()
}

/// Whether the model whose table operation `index` renames has, at the end of the migration,
/// the table it had at its start: `makemigrations` writes a model renamed with
/// `#[teapot(table = "old")]` as a rename then a table change back, in one transaction.
fn table_kept(m: &Migration, index: usize, start: &teapot_schema::ProjectState) -> bool {
    use crate::Operation::*;
    let mut name = match &m.operations[index] {
        RenameModel { new_name, .. } => new_name.clone(),
        AlterModelTable { name, .. } => name.clone(),
        _ => return false,
    };
    let end_name = {
        let mut n = name.clone();
        for op in &m.operations[index + 1..] {
            match op {
                RenameModel { old_name, new_name } if old_name.eq_ignore_ascii_case(&n) => n = new_name.clone(),
                DeleteModel { name } if name.eq_ignore_ascii_case(&n) => return false,
                _ => {}
            }
        }
        n
    };
    for op in m.operations[..=index].iter().rev() {
        match op {
            RenameModel { old_name, new_name } if new_name.eq_ignore_ascii_case(&name) => name = old_name.clone(),
            CreateModel { name: n, .. } if n.eq_ignore_ascii_case(&name) => return false,
            _ => {}
        }
    }
    let mut end = start.clone();
    if m.operations.iter().any(|op| op.apply(&m.app, &mut end).is_err()) {
        return false;
    }
    match (start.get(&m.app, &name), end.get(&m.app, &end_name)) {
        (Some(a), Some(b)) => a.table_name() == b.table_name(),
        _ => false,
    }
}

/// The lint over the given migrations.
pub fn lint(config: &Config, graph: &Graph, include: &dyn Fn(&Migration) -> bool, online: bool) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    let mut state = teapot_schema::ProjectState::new();
    for m in graph.order()? {
        let check = include(m);
        let mut new_models: Vec<String> = Vec::new();
        let renames =
            m.operations.iter().any(|op| matches!(op, crate::Operation::RenameModel { .. } | crate::Operation::AlterModelTable { .. }));
        let start = (check && renames).then(|| state.clone());
        // A migration `--online` applies by expand / contract makes its renames and rewriting
        // type changes safe: old and new code both work until --complete.
        let expands = check
            && crate::backend::expand::plan(&m.app, &m.name, crate::online_executor::previous(m).as_deref(), &m.operations, &state)
                .ok()
                .flatten()
                .is_some();
        for (i, op) in m.operations.iter().enumerate() {
            // Operations that only add need no copy of the state before them.
            let before =
                if check && crate::executor::needs_before(op, teapot_core::Dialect::Postgres) { Some(state.clone()) } else { None };
            op.apply(&m.app, &mut state)
                .map_err(|e| Error::new(crate::ErrorKind::MigrationFile, format!("{} operation {}: {e}", m.key(), i + 1)))?;
            if !check {
                continue;
            }
            let before = before.as_ref().unwrap_or(&state);
            let allowed = m.allows.iter().find(|a| a.operation == i);
            let allowed_in_config = config.check.allow.get(&m.key());
            for mut h in rules::lint(&m.app, op, before, &state, &new_models).into_iter().chain(rules::lint_in_migration(op, m.atomic)) {
                if expands && matches!(h.rule.id, "TP004" | "TP006") {
                    h.online_safe = true;
                    h.detail.push_str(" (migrate --online expands it: old and new code both work until migrate --online --complete)");
                }
                if online && h.online_safe {
                    continue;
                }
                if h.rule.id == "TP005" && start.as_ref().is_some_and(|s| table_kept(m, i, s)) {
                    continue;
                }
                if allowed_in_config.is_some_and(|a| a.rules.iter().any(|r| r == h.rule.id || r == h.rule.name)) {
                    continue;
                }
                if let Some(a) = allowed {
                    if a.rules.iter().any(|r| r == h.rule.id || r == h.rule.name) {
                        if a.reason.as_deref().is_some_and(|r| !r.trim().is_empty()) {
                            continue;
                        }
                        let mut f = Finding::new(
                            h.rule.id,
                            h.rule.name,
                            format!("allow = [\"{}\"] needs allow_reason = \"...\" saying why it is safe", h.rule.id),
                        );
                        f.file = m.path.as_ref().map(|p| rel(config, p));
                        f.line = op_line(m, i);
                        f.migration = Some(m.key());
                        f.operation = Some(format!("{}: {}", i + 1, op.describe()));
                        f.fix = Some(format!(
                            "add allow_reason = \"...\" on the line after allow, or remove the allow and fix the operation ({})",
                            h.rule.fix
                        ));
                        out.push(f);
                        continue;
                    }
                }
                let mut f = Finding::new(h.rule.id, h.rule.name, format!("{}: {}", h.detail, h.rule.why));
                f.fix = Some(h.rule.fix.to_string());
                f.online_safe = Some(h.online_safe);
                f.file = m.path.as_ref().map(|p| rel(config, p));
                f.line = op_line(m, i);
                f.migration = Some(m.key());
                f.operation = Some(format!("{}: {}", i + 1, op.describe()));
                out.push(f);
            }
            if let crate::Operation::CreateModel { name, .. } = op {
                new_models.push(name.clone());
            }
        }
    }
    Ok(out)
}

/// teapot.sum against the files, and the checksums recorded at apply time.
pub fn integrity(config: &Config, graph: &Graph, applied: &[Applied]) -> Result<Vec<Finding>> {
    let sums = SumFile::read(&config.sum_file())?;
    let sum_rel = rel(config, &config.sum_file());
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for m in graph.migrations() {
        let Some(path) = &m.path else { continue };
        let key = rel(config, path);
        seen.insert(key.clone());
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::new(crate::ErrorKind::Io, format!("cannot read {}: {e}", path.display())))?;
        let sum = checksum(&text);
        match sums.entries.get(&key) {
            None => {
                let mut f = Finding::new("integrity", "unlisted-migration", format!("{key} is not listed in {sum_rel}"));
                f.file = Some(key.clone());
                f.fix = Some("migrations come from `teapot makemigrations`, which lists them; for a file written by hand, review it and run `teapot check --update-sums`".into());
                out.push(f);
            }
            Some(s) if *s != sum => {
                let mut f = Finding::new(
                    "integrity",
                    "edited-migration",
                    format!("{key} changed since it was written (its checksum no longer matches {sum_rel})"),
                );
                f.file = Some(key.clone());
                f.fix = Some("an applied migration must not change: restore it and make a new migration; if it was never applied anywhere, run `teapot check --update-sums`".into());
                out.push(f);
            }
            _ => {}
        }
        if let Some(a) = applied.iter().find(|a| a.app == m.app && a.name == m.name) {
            if a.checksum != sum {
                let mut f = Finding::new(
                    "integrity",
                    "edited-applied-migration",
                    format!("{key} differs from the file applied to the database on {}", a.applied_at),
                );
                f.file = Some(key.clone());
                f.fix = Some("restore the file as it was applied, and put the change in a new migration".into());
                out.push(f);
            }
        }
    }
    for listed in sums.entries.keys() {
        if !seen.contains(listed) {
            let mut f = Finding::new("integrity", "missing-migration", format!("{listed} is listed in {sum_rel} but does not exist"));
            f.file = Some(sum_rel.clone());
            f.fix = Some("restore the file from version control; a migration that was applied cannot just go away".into());
            out.push(f);
        }
    }
    for a in applied {
        if graph.get(&a.key()).is_none() && config.apps.contains_key(&a.app) {
            out.push(Finding::new(
                "integrity",
                "applied-migration-missing",
                format!("{} is applied to the database but no file holds it", a.key()),
            ));
        }
    }
    Ok(out)
}

/// Two leaves in an app.
pub fn graph_findings(config: &Config, graph: &Graph) -> Vec<Finding> {
    let mut out = Vec::new();
    for app in config.apps.keys() {
        let leaves = graph.leaves(app);
        if leaves.len() > 1 {
            let mut f =
                Finding::new("graph", "two-leaves", format!("app {app} has {} leaf migrations: {}", leaves.len(), leaves.join(", ")));
            f.fix = Some(format!("run `teapot makemigrations --merge` (app {app})"));
            out.push(f);
        }
    }
    out
}

/// Rewrites teapot.sum from the files as they are (an explicit acceptance of edits).
pub fn update_sums(config: &Config) -> Result<Vec<String>> {
    let graph = load_graph(config)?;
    let old = SumFile::read(&config.sum_file())?;
    let mut new = SumFile::default();
    let mut changed = Vec::new();
    for m in graph.migrations() {
        let Some(path) = &m.path else { continue };
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::new(crate::ErrorKind::Io, format!("cannot read {}: {e}", path.display())))?;
        let key = rel(config, path);
        let sum = checksum(&text);
        if old.entries.get(&key) != Some(&sum) {
            changed.push(key.clone());
        }
        new.entries.insert(key, sum);
    }
    for k in old.entries.keys() {
        if !new.entries.contains_key(k) {
            changed.push(format!("{k} (removed)"));
        }
    }
    new.write(&config.sum_file())?;
    Ok(changed)
}

/// Whether a migration comes before its app's `[check] since` baseline: it was reviewed when it
/// was applied, and the safety lint leaves it alone (integrity still covers it).
pub fn before_baseline(config: &Config, m: &Migration) -> bool {
    match (config.check.since.get(&m.app), crate::config::migration_number(&m.name)) {
        (Some(since), Some(n)) => n < since.number,
        _ => false,
    }
}

/// `[check]` entries that name no migration: a baseline or an allow that points nowhere (a typo,
/// or a migration squashed away) silences nothing, or the wrong thing.
pub fn config_findings(config: &Config, graph: &Graph) -> Vec<Finding> {
    let file = rel(config, &config.path);
    let mut out = Vec::new();
    for (app, since) in &config.check.since {
        // The baseline may name the next migration, not written yet ("lint from here on"), but no
        // later one: a typo (0070 for 0007) would silently skip migrations that need review.
        let numbers: Vec<(u32, &str)> = graph
            .migrations()
            .filter(|m| m.app == *app)
            .filter_map(|m| crate::config::migration_number(&m.name).map(|n| (n, m.name.as_str())))
            .collect();
        let last = numbers.iter().map(|(n, _)| *n).max().unwrap_or(0);
        let named_differently = !since.written.chars().all(|c| c.is_ascii_digit())
            && numbers.iter().any(|(n, name)| *n == since.number && *name != since.written);
        let problem = if since.number > last + 1 {
            Some(format!(
                "the last migration of {app} is number {last:04}: a baseline at {} would leave unlinted every migration written before it",
                since.written
            ))
        } else if named_differently {
            Some(format!("{app} has no migration {} (another migration has number {:04})", since.written, since.number))
        } else {
            None
        };
        if let Some(problem) = problem {
            let mut f =
                Finding::new("config", "unknown-baseline", format!("[check] since = {{ {app} = \"{}\" }}: {problem}", since.written));
            f.file = Some(file.clone());
            f.line = Some(since.line);
            f.fix = Some(format!(
                "name the first migration to lint: one in {}, or the number of the next one ({:04})",
                rel(config, &config.apps[app].migrations),
                last + 1
            ));
            out.push(f);
        }
    }
    for (key, allow) in &config.check.allow {
        if graph.get(key).is_none() {
            let mut f =
                Finding::new("config", "unknown-allowed-migration", format!("[check.allow] \"{key}\": no migration file holds {key}"));
            f.file = Some(file.clone());
            f.line = Some(allow.line);
            f.fix = Some("correct the name (app/NNNN_name, as in `teapot showmigrations`), or remove the entry".into());
            out.push(f);
        }
    }
    out
}

/// Runs every check that does not need a database; the CLI adds the database ones.
pub fn run_offline(config: &Config, opts: &CheckOptions, applied: Option<&[Applied]>) -> Result<Vec<Finding>> {
    let graph = match load_graph(config) {
        Ok(g) => g,
        Err(e) => {
            let mut f = Finding::new("graph", "broken-graph", e.message.clone());
            f.fix = e.hint.clone();
            return Ok(vec![f]);
        }
    };
    let mut out = graph_findings(config, &graph);
    out.extend(integrity(config, &graph, applied.unwrap_or(&[]))?);
    match agreement(config, &graph) {
        Ok(f) => out.extend(f),
        Err(e) if e.kind == crate::ErrorKind::Declaration => {
            let mut f = Finding::new("agreement", "declaration-error", e.message.clone());
            f.fix = e.hint.clone();
            out.push(f);
        }
        Err(e) => return Err(e),
    }
    out.extend(config_findings(config, &graph));
    let applied_keys: BTreeSet<String> = applied.map(|a| a.iter().map(|x| x.key()).collect()).unwrap_or_default();
    let include = |m: &Migration| opts.all || (!applied_keys.contains(&m.key()) && !before_baseline(config, m));
    out.extend(lint(config, &graph, &include, opts.online)?);
    Ok(out)
}
