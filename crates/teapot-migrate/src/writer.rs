//! Names and numbers new migrations and fixes their dependencies, as Django would: `0001_initial`,
//! `0002_book_pages`, `0003_remove_book_pages_book_weight`, else `auto_<date>_<time>`.

use chrono::{DateTime, Local};
use teapot_schema::ProjectState;

use crate::autodetector::NewMigration;
use crate::file::Migration;
use crate::graph::Graph;
use teapot_schema::operation::Operation;

/// Longest name built from operation fragments before it ends in `_and_more`.
const MAX_SUGGESTED: usize = 52;

/// `auto_YYYYMMDD_HHMM`.
pub fn timestamp_name(now: DateTime<Local>) -> String {
    format!("auto_{}", now.format("%Y%m%d_%H%M"))
}

/// The name a list of operations suggests: their fragments joined, cut with `_and_more`.
pub fn suggest_name(ops: &[Operation], now: DateTime<Local>) -> String {
    let fragments: Vec<String> = ops.iter().filter_map(|o| o.name_fragment()).map(|f| sanitize(&f)).collect();
    if fragments.is_empty() || fragments.len() != ops.len() {
        return timestamp_name(now);
    }
    let mut name = fragments[0].clone();
    for f in &fragments[1..] {
        let next = format!("{name}_{f}");
        if next.len() > MAX_SUGGESTED {
            name.push_str("_and_more");
            break;
        }
        name = next;
    }
    name
}

/// Non-word characters become `_`, as in a file name.
fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_us = false;
    for c in s.chars() {
        if c.is_alphanumeric() || c == '_' {
            out.push(c);
            last_us = false;
        } else if !last_us {
            out.push('_');
            last_us = true;
        }
    }
    out
}

/// The next free number in an app.
pub fn next_number(graph: &Graph, app: &str) -> u32 {
    graph.app_migrations(app).filter_map(|m| m.number()).max().unwrap_or(0) + 1
}

/// Turns the autodetector's migrations into named migrations with full dependencies. `from` is
/// the state the history gives: as in Django, a migration of an app that has no model there yet
/// is an initial one (`0002_initial` after an empty `0001_initial`, or the second half of a
/// cross-app cycle).
pub fn arrange(new: Vec<NewMigration>, graph: &Graph, from: &ProjectState, name: Option<&str>, now: DateTime<Local>) -> Vec<Migration> {
    let mut numbers: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
    let mut out: Vec<Migration> = Vec::with_capacity(new.len());
    for nm in &new {
        let initial = from.app_models(&nm.app).next().is_none();
        let number = numbers.entry(nm.app.clone()).or_insert_with(|| next_number(graph, &nm.app));
        let suffix = match name {
            Some(n) => n.to_string(),
            None if initial => "initial".to_string(),
            None => suggest_name(&nm.operations, now),
        };
        let mut full = format!("{:04}_{}", number, suffix);
        full.truncate(100);
        *number += 1;
        let mut deps: Vec<String> = nm.existing_dependencies.clone();
        deps.extend(nm.new_dependencies.iter().map(|&i| out[i].key()));
        deps.sort();
        deps.dedup();
        out.push(Migration {
            app: nm.app.clone(),
            name: full,
            dependencies: deps,
            operations: nm.operations.clone(),
            atomic: true,
            path: None,
            allows: vec![],
        });
    }
    out
}

/// The name of a merge migration of the given leaf names: `merge_0002_a_0002_b`, or
/// `merge_<timestamp>` when that is long.
pub fn merge_name(leaf_names: &[String], now: DateTime<Local>) -> String {
    let mut names = leaf_names.to_vec();
    names.sort();
    let joined = names.join("_");
    if joined.len() > 47 {
        format!("merge_{}", now.format("%Y%m%d_%H%M"))
    } else {
        format!("merge_{joined}")
    }
}
