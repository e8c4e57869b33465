//! Finds the migration files of every app and builds the [`Graph`].

use std::path::Path;

use crate::config::Config;
use crate::file::{number_of, Migration};
use crate::graph::Graph;
use teapot_core::{Error, ErrorKind, Result};

/// Whether a file name is a migration's: `NNNN_name.toml`.
pub fn is_migration_file(name: &str) -> bool {
    name.ends_with(".toml") && number_of(name).is_some() && name.len() > 10 && name.as_bytes().get(4) == Some(&b'_')
}

/// Reads every app's migrations folder (a missing folder is an app with no migrations yet).
pub fn load_graph(config: &Config) -> Result<Graph> {
    let mut all = Vec::new();
    for app in config.apps.values() {
        all.extend(load_app(&app.label, &app.migrations)?);
    }
    let graph = Graph::new(all);
    graph.validate()?;
    Ok(graph)
}

/// The migrations in one folder, by name.
pub fn load_app(app: &str, dir: &Path) -> Result<Vec<Migration>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::new(ErrorKind::Io, format!("cannot list {}: {e}", dir.display())))?;
    let mut paths = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
            // A name that is not UTF-8 cannot be a migration's, and must not be passed over in silence.
            return Err(Error::new(ErrorKind::MigrationFile, format!("{}: a file name that is not UTF-8", path.display()))
                .hint("rename it, or move it out of the migrations folder"));
        };
        if !name.ends_with(".toml") {
            if name.to_lowercase().ends_with(".toml") {
                return Err(Error::new(ErrorKind::MigrationFile, format!("{}: migration files end in .toml (lower case)", path.display()))
                    .hint("rename it; as it is, it would be left out of the history without a word"));
            }
            continue;
        }
        if !is_migration_file(&name) {
            return Err(Error::new(
                ErrorKind::MigrationFile,
                format!("{}: not a migration file name (expected NNNN_name.toml)", path.display()),
            )
            .hint("rename it, e.g. 0004_add_pages.toml, or move it out of the migrations folder"));
        }
        paths.push(path);
    }
    paths.sort();
    paths.iter().map(|p| Migration::read(app, p)).collect()
}
