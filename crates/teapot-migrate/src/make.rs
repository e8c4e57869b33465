//! `makemigrations` as a library call: read declarations and history, detect, name, write.
//! The CLI supplies the questioner and prints the outcome.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::Local;

use crate::autodetector::Autodetector;
use crate::checksum::{checksum, SumFile};
use crate::config::Config;
use crate::declared::read_declared;
use crate::file::Migration;
use crate::graph::Graph;
use crate::loader::load_graph;
use crate::questioner::Questioner;
use crate::writer::{arrange, merge_name, next_number, timestamp_name};
use teapot_core::{Error, ErrorKind, Result};

/// What to make.
#[derive(Debug, Clone, Default)]
pub struct MakeOptions {
    /// Only these apps (all when empty).
    pub apps: Vec<String>,
    /// The name part of the new migrations' names.
    pub name: Option<String>,
    /// An empty migration for each named app.
    pub empty: bool,
    /// A merge migration for each app with two leaves.
    pub merge: bool,
    /// Work out the migrations but write nothing.
    pub dry_run: bool,
}

/// A migration made, and where it goes.
#[derive(Debug, Clone)]
pub struct Made {
    /// The migration.
    pub migration: Migration,
    /// Its file.
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
}

/// Every migration made (empty: "No changes detected").
#[derive(Debug, Clone, Default)]
pub struct MakeOutcome {
    /// The migrations, in the order they were made.
    pub made: Vec<Made>,
}

/// Runs makemigrations.
pub fn make_migrations(config: &Config, opts: &MakeOptions, q: &mut dyn Questioner) -> Result<MakeOutcome> {
    if let Some(name) = &opts.name {
        // It becomes part of a file name: nothing that leaves the app's folder or needs quoting.
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::new(ErrorKind::Usage, format!("--name {name:?}: a migration name is letters, digits and _"))
                .hint("e.g. --name add_book_pages"));
        }
    }
    for app in &opts.apps {
        if !config.apps.contains_key(app) {
            let known: Vec<&str> = config.apps.keys().map(String::as_str).collect();
            return Err(Error::new(ErrorKind::Usage, format!("no app \"{app}\" in {}", config.path.display()))
                .hint(format!("the apps are: {}", known.join(", "))));
        }
    }
    let graph = load_graph(config)?;
    let now = Local::now();
    let apps: Vec<String> = if opts.apps.is_empty() { config.apps.keys().cloned().collect() } else { opts.apps.clone() };

    // Two leaves in one app: merge, or refuse to go on.
    let conflicts: BTreeMap<String, Vec<String>> = apps.iter().map(|a| (a.clone(), graph.leaves(a))).filter(|(_, l)| l.len() > 1).collect();
    if opts.merge {
        if conflicts.is_empty() {
            return Ok(MakeOutcome::default());
        }
        let mut made = Vec::new();
        for (app, leaves) in conflicts {
            let names: Vec<String> = leaves.iter().map(|k| k.split_once('/').map(|x| x.1).unwrap_or(k).to_string()).collect();
            let suffix = opts.name.clone().unwrap_or_else(|| merge_name(&names, now));
            let number = next_number(&graph, &app);
            let m = Migration {
                app: app.clone(),
                name: format!("{number:04}_{suffix}"),
                dependencies: leaves,
                operations: vec![],
                atomic: true,
                path: None,
                allows: vec![],
            };
            made.push(m);
        }
        return finish(config, made, opts.dry_run);
    }
    if !conflicts.is_empty() {
        let list: Vec<String> = conflicts
            .iter()
            .map(|(a, l)| {
                format!("{} in {a}", l.iter().map(|k| k.split_once('/').map(|x| x.1).unwrap_or(k)).collect::<Vec<_>>().join(", "))
            })
            .collect();
        return Err(Error::new(ErrorKind::Graph, format!("conflicting migrations: more than one leaf migration ({})", list.join("; ")))
            .hint("run `teapot makemigrations --merge` to join them"));
    }
    let leaves: BTreeMap<String, String> =
        config.apps.keys().filter_map(|a| graph.leaves(a).into_iter().next().map(|l| (a.clone(), l))).collect();

    if opts.empty {
        if opts.apps.is_empty() {
            return Err(Error::new(ErrorKind::Usage, "--empty needs the app(s) to make an empty migration for")
                .hint("teapot makemigrations --empty library"));
        }
        let mut made = Vec::new();
        for app in &opts.apps {
            let initial = graph.app_migrations(app).next().is_none();
            let suffix = opts.name.clone().unwrap_or_else(|| if initial { "initial".into() } else { timestamp_name(now) });
            let number = next_number(&graph, app);
            let deps = leaves.get(app).cloned().into_iter().collect();
            made.push(Migration {
                app: app.clone(),
                name: format!("{number:04}_{suffix}"),
                dependencies: deps,
                operations: vec![],
                atomic: true,
                path: None,
                allows: vec![],
            });
        }
        return finish(config, made, opts.dry_run);
    }

    let mut declared = read_declared(config)?;
    let from = graph.state()?;
    declared.keep_join_keys_of(&from);
    check_targets_migrated(&declared.state, &from, &apps)?;
    let detector = Autodetector::new(&from, &declared.state, &declared.hints, &apps);
    let new = detector.detect(q, &leaves)?;
    let made = arrange(new, &graph, &from, opts.name.as_deref(), now);
    finish(config, made, opts.dry_run)
}

/// A relation into an app left out of this run must point at a model that app has migrated.
fn check_targets_migrated(to: &teapot_schema::ProjectState, from: &teapot_schema::ProjectState, apps: &[String]) -> Result<()> {
    for m in to.models().filter(|m| apps.contains(&m.app)) {
        for (fname, f) in &m.fields {
            let Some(t) = &f.to else { continue };
            let (tapp, _) = t.split_once('.').unwrap_or(("", ""));
            if !apps.iter().any(|a| a == tapp) && from.resolve(t).is_none() {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!("{}.{fname} points at {t}, which no migration of app {tapp} creates yet", m.label()),
                )
                .hint(format!("run `teapot makemigrations {tapp} {}` so both apps get their migrations", m.app)));
            }
        }
    }
    Ok(())
}

fn finish(config: &Config, migrations: Vec<Migration>, dry_run: bool) -> Result<MakeOutcome> {
    let mut made = Vec::new();
    for m in migrations {
        let dir = &config.apps.get(&m.app).expect("app is configured").migrations;
        let path = dir.join(format!("{}.toml", m.name));
        let text = m.to_toml();
        made.push(Made { migration: Migration { path: Some(path.clone()), ..m }, path, text });
    }
    if dry_run || made.is_empty() {
        return Ok(MakeOutcome { made });
    }
    // Check every file can be parsed back before writing any, so nothing half-written is left.
    for m in &made {
        Migration::parse(&m.migration.app, &m.migration.name, &m.text, Some(&m.path))
            .map_err(|e| Error::new(ErrorKind::MigrationFile, format!("internal: a migration made cannot be read back: {e}")))?;
        if m.path.exists() {
            return Err(Error::new(ErrorKind::Io, format!("{} exists already; nothing was written", m.path.display()))
                .hint("give another --name, or remove the file if it is a leftover"));
        }
    }
    let sum_path = config.sum_file();
    let mut sums = SumFile::read(&sum_path)?;
    for m in &made {
        if let Some(dir) = m.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::new(ErrorKind::Io, format!("cannot create {}: {e}", dir.display())))?;
        }
        std::fs::write(&m.path, &m.text).map_err(|e| Error::new(ErrorKind::Io, format!("cannot write {}: {e}", m.path.display())))?;
        sums.entries.insert(sum_key(config, &m.path), checksum(&m.text));
    }
    sums.write(&sum_path)?;
    Ok(MakeOutcome { made })
}

/// A migration file's key in teapot.sum: its path from the project root, with `/`.
pub fn sum_key(config: &Config, path: &std::path::Path) -> String {
    let rel = path.strip_prefix(&config.root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy().to_string()).collect::<Vec<_>>().join("/")
}

/// Re-exported for the graph of a loaded project.
pub fn project_graph(config: &Config) -> Result<Graph> {
    load_graph(config)
}
