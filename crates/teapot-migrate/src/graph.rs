//! The migration graph: every migration of every app, their dependencies, leaves, and the order
//! that replays them.

use std::collections::{BTreeMap, BTreeSet};

use teapot_schema::ProjectState;

use crate::file::Migration;
use teapot_core::{Error, ErrorKind};

/// All migrations of a project, keyed by `app/name`.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    nodes: BTreeMap<String, Migration>,
}

impl Graph {
    /// A graph of the given migrations; dependencies are checked by [`Graph::validate`].
    pub fn new(migrations: Vec<Migration>) -> Graph {
        Graph { nodes: migrations.into_iter().map(|m| (m.key(), m)).collect() }
    }

    /// Adds a migration (one just written).
    pub fn add(&mut self, m: Migration) {
        self.nodes.insert(m.key(), m);
    }

    /// The migration with key `app/name`.
    pub fn get(&self, key: &str) -> Option<&Migration> {
        self.nodes.get(key)
    }

    /// Every migration, ordered by key.
    pub fn migrations(&self) -> impl Iterator<Item = &Migration> {
        self.nodes.values()
    }

    /// The migrations of one app, ordered by name.
    pub fn app_migrations<'a>(&'a self, app: &'a str) -> impl Iterator<Item = &'a Migration> + 'a {
        self.nodes.values().filter(move |m| m.app == app)
    }

    /// Every dependency exists, and there is no cycle.
    pub fn validate(&self) -> Result<(), Error> {
        for m in self.nodes.values() {
            for d in &m.dependencies {
                if !self.nodes.contains_key(d) {
                    return Err(Error::new(ErrorKind::Graph, format!("{} depends on {d}, which does not exist", shown(m)))
                        .hint("restore the missing migration file, or correct the dependency"));
                }
            }
        }
        self.order().map(|_| ())
    }

    /// The leaves of an app: its migrations no other migration of the app depends on.
    pub fn leaves(&self, app: &str) -> Vec<String> {
        let mut depended: BTreeSet<&str> = BTreeSet::new();
        for m in self.app_migrations(app) {
            for d in &m.dependencies {
                depended.insert(d);
            }
        }
        self.app_migrations(app).map(|m| m.key()).filter(|k| !depended.contains(k.as_str())).collect()
    }

    /// Every migration, dependencies first; ties broken by key, so the order is stable.
    pub fn order(&self) -> Result<Vec<&Migration>, Error> {
        let mut indegree: BTreeMap<&str, usize> = BTreeMap::new();
        let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (k, m) in &self.nodes {
            indegree.entry(k).or_insert(0);
            for d in &m.dependencies {
                if self.nodes.contains_key(d) {
                    *indegree.entry(k).or_insert(0) += 1;
                    dependents.entry(d.as_str()).or_default().push(k);
                }
            }
        }
        let mut ready: BTreeSet<&str> = indegree.iter().filter(|(_, &n)| n == 0).map(|(k, _)| *k).collect();
        let mut out = Vec::with_capacity(self.nodes.len());
        while let Some(k) = ready.pop_first() {
            out.push(&self.nodes[k]);
            for d in dependents.get(k).map(Vec::as_slice).unwrap_or(&[]) {
                let n = indegree.get_mut(d).expect("every node has an indegree");
                *n -= 1;
                if *n == 0 {
                    ready.insert(d);
                }
            }
        }
        if out.len() != self.nodes.len() {
            let stuck: Vec<&str> = indegree.iter().filter(|(_, &n)| n > 0).map(|(k, _)| *k).collect();
            return Err(Error::new(ErrorKind::Graph, format!("the migrations {} depend on each other in a cycle", stuck.join(", ")))
                .hint("remove one of the dependencies that closes the cycle"));
        }
        Ok(out)
    }

    /// Replays every migration in memory: the state the history describes.
    pub fn state(&self) -> Result<ProjectState, Error> {
        self.state_until(|_| true)
    }

    /// Replays the migrations `include` accepts (e.g. the applied ones), in graph order.
    pub fn state_until(&self, include: impl Fn(&Migration) -> bool) -> Result<ProjectState, Error> {
        let mut state = ProjectState::new();
        for m in self.order()? {
            if !include(m) {
                continue;
            }
            for (i, op) in m.operations.iter().enumerate() {
                op.apply(&m.app, &mut state).map_err(|e| {
                    Error::new(ErrorKind::MigrationFile, format!("{} operation {} ({}): {e}", shown(m), i + 1, op.kind()))
                        .hint("the migration history is inconsistent: was a file edited or deleted?")
                })?;
            }
        }
        Ok(state)
    }
}

fn shown(m: &Migration) -> String {
    m.path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| m.key())
}
