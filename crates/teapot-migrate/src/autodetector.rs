//! The autodetector: declared state minus replayed state gives operations.
//!
//! Changes are found kind by kind, in the order Django finds them (renamed models, deleted and
//! created models, removed indexes and constraints, renamed fields and indexes, removed, added and
//! altered fields, added indexes and constraints, table changes), each kind in model and field
//! name order. Each operation is applied to a working copy of the old state as soon as it is
//! found, so later kinds see earlier ones. Operations are then put in an order where every table
//! a statement needs exists first, and cut into migrations so that no migration depends on one
//! that depends on it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use teapot_schema::{Field, FieldType, ModelState, ProjectState};

use crate::declared::RenameHints;
use crate::questioner::Questioner;
use teapot_core::{Error, ErrorKind, Result};
use teapot_schema::operation::{NamedField, Operation};

/// An operation found by the autodetector, with what orders it.
#[derive(Debug, Clone)]
struct Planned {
    app: String,
    op: Operation,
    /// `app.Model` labels this operation needs to exist (relation targets).
    needs: Vec<String>,
    /// `app.Model` labels this operation stops referring to.
    drops_refs_to: Vec<String>,
    /// The `app.Model` label this operation brings into existence.
    creates: Option<String>,
}

/// A migration the autodetector wants written: its operations and what it depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMigration {
    /// App label.
    pub app: String,
    /// Operations in order.
    pub operations: Vec<Operation>,
    /// Dependencies on migrations that exist (`app/name`).
    pub existing_dependencies: Vec<String>,
    /// Dependencies on migrations of this same run, as indexes into the result list.
    pub new_dependencies: Vec<usize>,
}

/// Finds the operations that turn `from` into `to`.
pub struct Autodetector<'a> {
    from: &'a ProjectState,
    to: &'a ProjectState,
    hints: &'a RenameHints,
    apps: BTreeSet<String>,
    cur: ProjectState,
    phases: Vec<Vec<Planned>>,
}

const PHASES: usize = 12;
const P_RENAMED_MODELS: usize = 0;
const P_DELETED_MODELS: usize = 1;
const P_CREATED_MODELS: usize = 2;
const P_CREATED_RELATIONS: usize = 3;
const P_REMOVED_CONSTRAINTS: usize = 4;
const P_REMOVED_INDEXES: usize = 5;
const P_RENAMED_FIELDS: usize = 6;
const P_RENAMED_INDEXES: usize = 7;
const P_REMOVED_FIELDS: usize = 8;
const P_ADDED_FIELDS: usize = 9;
const P_ALTERED_FIELDS: usize = 10;
const P_LAST: usize = 11; // added indexes, added constraints, altered tables

fn label(app: &str, name: &str) -> String {
    format!("{app}.{name}")
}

impl<'a> Autodetector<'a> {
    /// A detector over the given apps (all apps of both states when `apps` is empty).
    pub fn new(from: &'a ProjectState, to: &'a ProjectState, hints: &'a RenameHints, apps: &[String]) -> Self {
        let apps: BTreeSet<String> =
            if apps.is_empty() { from.apps().into_iter().chain(to.apps()).collect() } else { apps.iter().cloned().collect() };
        Autodetector { from, to, hints, apps, cur: from.clone(), phases: vec![Vec::new(); PHASES] }
    }

    fn in_scope(&self, app: &str) -> bool {
        self.apps.contains(app)
    }

    fn push(
        &mut self,
        phase: usize,
        app: &str,
        op: Operation,
        needs: Vec<String>,
        drops: Vec<String>,
        creates: Option<String>,
    ) -> Result<()> {
        op.apply(app, &mut self.cur).map_err(|e| {
            Error::new(ErrorKind::MigrationFile, format!("internal: the autodetector made an operation that does not apply: {e}"))
        })?;
        self.phases[phase].push(Planned { app: app.to_string(), op, needs, drops_refs_to: drops, creates });
        Ok(())
    }

    /// Runs detection and returns the migrations to write, in an order that can be written and
    /// applied one after the other. `leaves` maps an app to its current leaf migration key.
    pub fn detect(mut self, q: &mut dyn Questioner, leaves: &BTreeMap<String, String>) -> Result<Vec<NewMigration>> {
        self.renamed_models(q)?;
        self.deleted_models()?;
        self.created_models()?;
        self.kept_models(q)?;
        q.finish()?;
        let planned: Vec<Planned> = std::mem::take(&mut self.phases).into_iter().flatten().collect();
        let planned = sort_within_apps(planned);
        let migrations = chop(&planned, leaves, self.from)?;
        Ok(migrations)
    }

    fn models_of(state: &ProjectState, apps: &BTreeSet<String>) -> BTreeSet<(String, String)> {
        state.models().filter(|m| apps.contains(&m.app)).map(|m| (m.app.clone(), m.name.clone())).collect()
    }

    /// The models (app, name) added and removed, case-insensitively.
    #[allow(clippy::type_complexity)]
    fn added_removed(&self) -> (Vec<(String, String)>, Vec<(String, String)>) {
        let cur = Self::models_of(&self.cur, &self.apps);
        let to = Self::models_of(self.to, &self.apps);
        let lower = |s: &BTreeSet<(String, String)>| -> BTreeSet<(String, String)> {
            s.iter().map(|(a, n)| (a.clone(), n.to_lowercase())).collect()
        };
        let (cur_l, to_l) = (lower(&cur), lower(&to));
        let added = to.iter().filter(|(a, n)| !cur_l.contains(&(a.clone(), n.to_lowercase()))).cloned().collect();
        let removed = cur.iter().filter(|(a, n)| !to_l.contains(&(a.clone(), n.to_lowercase()))).cloned().collect();
        (added, removed)
    }

    fn renamed_models(&mut self, q: &mut dyn Questioner) -> Result<()> {
        let (added, removed) = self.added_removed();
        let mut taken: BTreeSet<(String, String)> = BTreeSet::new();
        for (app, new_name) in &added {
            let new = self.to.get(app, new_name).expect("added model is declared").clone();
            let hinted = self.hints.models.iter().find(|(a, n, _)| a == app && n == new_name).map(|(_, _, old)| old.clone());
            let mut chosen = None;
            if let Some(old) = hinted {
                if let Some((_, o)) = removed.iter().find(|(a, o)| a == app && o.eq_ignore_ascii_case(&old)) {
                    chosen = Some(o.clone());
                }
            } else {
                for (rapp, old_name) in &removed {
                    if rapp != app || taken.contains(&(rapp.clone(), old_name.clone())) {
                        continue;
                    }
                    let old = self.cur.get(rapp, old_name).expect("removed model is in the state");
                    if same_model_but_name(old, &new) && q.rename_model(app, old, &new)? {
                        chosen = Some(old_name.clone());
                        break;
                    }
                }
            }
            if let Some(old_name) = chosen {
                taken.insert((app.clone(), old_name.clone()));
                let op = Operation::RenameModel { old_name: old_name.clone(), new_name: new_name.clone() };
                self.push(P_RENAMED_MODELS, app, op, vec![], vec![label(app, &old_name)], Some(label(app, new_name)))?;
            }
        }
        Ok(())
    }

    fn deleted_models(&mut self) -> Result<()> {
        let (_, removed) = self.added_removed();
        let mut remaining: Vec<(String, String)> = removed;
        // Referrers first; a cycle among deleted models is broken by removing its keys first.
        while !remaining.is_empty() {
            let labels: Vec<String> = remaining.iter().map(|(a, n)| label(a, n)).collect();
            let referenced_by_others = |target: &str, cur: &ProjectState| -> Vec<(String, String, String)> {
                let mut out = Vec::new();
                for (a, n) in &remaining {
                    if label(a, n) == target {
                        continue;
                    }
                    if let Some(m) = cur.get(a, n) {
                        for (fname, f) in &m.fields {
                            if f.to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(target)) {
                                out.push((a.clone(), m.name.clone(), fname.clone()));
                            }
                        }
                    }
                }
                out
            };
            let pick = labels.iter().position(|l| referenced_by_others(l, &self.cur).is_empty());
            let idx = match pick {
                Some(i) => i,
                None => {
                    let refs = referenced_by_others(&labels[0], &self.cur);
                    for (a, m, f) in refs {
                        let op = Operation::RemoveField { model: m, name: f };
                        self.push(P_DELETED_MODELS, &a, op, vec![], vec![labels[0].clone()], None)?;
                    }
                    0
                }
            };
            let (app, name) = remaining.remove(idx);
            let model = self.cur.get(&app, &name).expect("deleted model is in the state").clone();
            let drops: Vec<String> = model.fields.iter().filter_map(|(_, f)| f.to.clone()).collect();
            self.push(P_DELETED_MODELS, &app, Operation::DeleteModel { name: model.name.clone() }, vec![], drops, None)?;
        }
        Ok(())
    }

    fn exists_now(&self, label: &str) -> bool {
        self.cur.resolve(label).is_some()
    }

    fn created_models(&mut self) -> Result<()> {
        let (added, _) = self.added_removed();
        // Models are created in order, each as soon as the models it points at exist: the first
        // ready one is taken; when none is, the first left is, and its foreign keys to models not
        // made yet are added later. Readiness is kept by counting (a scan of what is left per
        // model would make a big project quadratic).
        let labels: Vec<String> = added.iter().map(|(a, n)| label(a, n).to_lowercase()).collect();
        let index_of: std::collections::HashMap<&str, usize> = labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
        let mut unmet = vec![0usize; added.len()];
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); added.len()];
        for (i, (a, n)) in added.iter().enumerate() {
            let m = self.to.get(a, n).expect("created model is declared");
            let targets: BTreeSet<usize> = m
                .fields
                .iter()
                .filter_map(|(_, f)| f.to.as_deref())
                .filter_map(|t| index_of.get(t.to_lowercase().as_str()).copied())
                .filter(|&j| j != i)
                .collect();
            unmet[i] = targets.len();
            for j in targets {
                dependents[j].push(i);
            }
        }
        let mut ready: BTreeSet<usize> = (0..added.len()).filter(|&i| unmet[i] == 0).collect();
        let mut done = vec![false; added.len()];
        let mut first_left = 0usize;
        let mut deferred: Vec<(String, String, String, Field)> = Vec::new();
        for _ in 0..added.len() {
            while first_left < added.len() && done[first_left] {
                first_left += 1;
            }
            let i = ready.pop_first().unwrap_or(first_left);
            done[i] = true;
            for &d in &dependents[i] {
                unmet[d] -= 1;
                if unmet[d] == 0 && !done[d] {
                    ready.insert(d);
                }
            }
            let (app, name) = added[i].clone();
            let m = self.to.get(&app, &name).expect("created model is declared").clone();
            let mut fields = Vec::new();
            let mut needs = Vec::new();
            for (fname, f) in &m.fields {
                if let Some(t) = &f.to {
                    let own = t.eq_ignore_ascii_case(&m.label());
                    if !own && !self.exists_now(t) {
                        deferred.push((app.clone(), m.name.clone(), fname.clone(), f.clone()));
                        continue;
                    }
                    if !own {
                        needs.push(t.clone());
                    }
                }
                fields.push(NamedField { name: fname.clone(), field: f.clone() });
            }
            let op = Operation::CreateModel { name: m.name.clone(), table: m.table.clone(), managed: m.managed, fields };
            self.push(P_CREATED_MODELS, &app, op, needs, vec![], Some(m.label()))?;
        }
        for (app, model, name, field) in deferred {
            let needs = vec![label(&app, &model), field.to.clone().unwrap_or_default()];
            let op = Operation::AddField { model, name, field, one_off_default: None };
            self.push(P_CREATED_RELATIONS, &app, op, needs, vec![], None)?;
        }
        Ok(())
    }

    fn kept_models(&mut self, q: &mut dyn Questioner) -> Result<()> {
        // Only models whose declaration differs from the state need a look (on a big project most
        // are unchanged, and each look clones both sides).
        let kept: Vec<(String, String)> = self
            .to
            .models()
            .filter(|m| self.in_scope(&m.app) && self.cur.get(&m.app, &m.name) != Some(*m))
            .map(|m| (m.app.clone(), m.name.clone()))
            .collect();

        // Renamed fields (decided first: index and constraint comparisons follow the new names).
        for (app, name) in &kept {
            self.renamed_fields(q, app, name)?;
        }
        for (app, name) in &kept {
            self.removed_indexes_and_constraints(app, name)?;
        }
        for (app, name) in &kept {
            let (old, new) = (self.cur.get(app, name).expect("kept").clone(), self.to.get(app, name).expect("kept").clone());
            for (fname, f) in &old.fields {
                if new.field(fname).is_none() {
                    let op = Operation::RemoveField { model: new.name.clone(), name: fname.clone() };
                    self.push(P_REMOVED_FIELDS, app, op, vec![], f.to.iter().cloned().collect(), None)?;
                }
            }
        }
        let created: BTreeSet<String> = self.phases[P_CREATED_MODELS].iter().filter_map(|p| p.creates.clone()).collect();
        for (app, name) in &kept {
            let (old, new) = (self.cur.get(app, name).expect("kept").clone(), self.to.get(app, name).expect("kept").clone());
            let existed = !created.contains(&new.label());
            let mut added: Vec<&(String, Field)> = new.fields.iter().filter(|(n, _)| old.field(n).is_none()).collect();
            added.sort_by(|a, b| a.0.cmp(&b.0));
            for (fname, f) in added {
                let mut one_off = None;
                let needs_value =
                    existed && !f.null && f.default.is_none() && f.db_default.is_none() && !f.auto && f.ty != FieldType::ManyToMany;
                if needs_value {
                    one_off = q.not_null_default(app, &new.name, fname, f, true)?;
                }
                let op = Operation::AddField { model: new.name.clone(), name: fname.clone(), field: f.clone(), one_off_default: one_off };
                self.push(P_ADDED_FIELDS, app, op, f.to.iter().cloned().collect(), vec![], None)?;
            }
        }
        for (app, name) in &kept {
            self.altered_fields(q, app, name)?;
        }
        for (app, name) in &kept {
            let (old, new) = (self.cur.get(app, name).expect("kept").clone(), self.to.get(app, name).expect("kept").clone());
            for idx in &new.indexes {
                if !old.indexes.contains(idx) {
                    self.push(P_LAST, app, Operation::AddIndex { model: new.name.clone(), index: idx.clone() }, vec![], vec![], None)?;
                }
            }
        }
        for (app, name) in &kept {
            let (old, new) = (self.cur.get(app, name).expect("kept").clone(), self.to.get(app, name).expect("kept").clone());
            for c in &new.constraints {
                if !old.constraints.contains(c) {
                    let op = Operation::AddConstraint { model: new.name.clone(), constraint: c.clone() };
                    self.push(P_LAST, app, op, vec![], vec![], None)?;
                }
            }
        }
        for (app, name) in &kept {
            let (old, new) = (self.cur.get(app, name).expect("kept").clone(), self.to.get(app, name).expect("kept").clone());
            if old.table != new.table {
                let op = Operation::AlterModelTable { name: new.name.clone(), table: new.table.clone() };
                self.push(P_LAST, app, op, vec![], vec![], None)?;
            }
        }
        Ok(())
    }

    fn renamed_fields(&mut self, q: &mut dyn Questioner, app: &str, name: &str) -> Result<()> {
        let new = self.to.get(app, name).expect("kept").clone();
        let mut taken: BTreeSet<String> = BTreeSet::new();
        let mut added: Vec<&(String, Field)> = new.fields.iter().collect();
        added.sort_by(|a, b| a.0.cmp(&b.0));
        for (fname, f) in added {
            let old = self.cur.get(app, name).expect("kept").clone();
            if old.field(fname).is_some() {
                continue;
            }
            let removed: Vec<(String, Field)> =
                old.fields.iter().filter(|(n, _)| new.field(n).is_none() && !taken.contains(n)).cloned().collect();
            let hinted = self
                .hints
                .fields
                .iter()
                .find(|(a, m, n, _)| a == app && m.eq_ignore_ascii_case(name) && n == fname)
                .map(|(_, _, _, o)| o.clone());
            let mut chosen = None;
            if let Some(o) = hinted {
                if removed.iter().any(|(n, _)| *n == o) {
                    chosen = Some(o);
                }
            } else {
                for (rname, rf) in &removed {
                    if same_field_but_name(rf, f, rname) && q.rename_field(app, &new.name, rname, fname, f)? {
                        chosen = Some(rname.clone());
                        break;
                    }
                }
            }
            if let Some(old_name) = chosen {
                taken.insert(old_name.clone());
                let op = Operation::RenameField { model: new.name.clone(), old_name, new_name: fname.clone() };
                self.push(P_RENAMED_FIELDS, app, op, vec![], vec![], None)?;
                // A rename with a changed definition is followed by an alter.
            }
        }
        Ok(())
    }

    fn removed_indexes_and_constraints(&mut self, app: &str, name: &str) -> Result<()> {
        let old = self.cur.get(app, name).expect("kept").clone();
        let new = self.to.get(app, name).expect("kept").clone();
        for c in &old.constraints {
            if !new.constraints.contains(c) {
                let op = Operation::RemoveConstraint { model: new.name.clone(), name: c.name.clone() };
                self.push(P_REMOVED_CONSTRAINTS, app, op, vec![], vec![], None)?;
            }
        }
        let mut added: Vec<_> = new.indexes.iter().filter(|i| !old.indexes.contains(i)).collect();
        for idx in &old.indexes {
            if new.indexes.contains(idx) {
                continue;
            }
            // The same index under a new name (fields, condition, include, opclasses, type): a rename,
            // as Django decides without asking; anything else changed is a removal and an addition.
            let renamed_to = added.iter().position(|n| n.same_but_name(idx) && old.indexes.iter().all(|o| o.name != n.name));
            match renamed_to {
                Some(pos) => {
                    let target = added.remove(pos);
                    let op = Operation::RenameIndex { model: new.name.clone(), old_name: idx.name.clone(), new_name: target.name.clone() };
                    self.push(P_RENAMED_INDEXES, app, op, vec![], vec![], None)?;
                }
                None => {
                    let op = Operation::RemoveIndex { model: new.name.clone(), name: idx.name.clone() };
                    self.push(P_REMOVED_INDEXES, app, op, vec![], vec![], None)?;
                }
            }
        }
        Ok(())
    }

    fn altered_fields(&mut self, q: &mut dyn Questioner, app: &str, name: &str) -> Result<()> {
        let old = self.cur.get(app, name).expect("kept").clone();
        let new = self.to.get(app, name).expect("kept").clone();
        let mut names: Vec<&String> = new.fields.iter().map(|(n, _)| n).filter(|n| old.field(n).is_some()).collect();
        names.sort();
        for fname in names {
            let (of, nf) = (old.field(fname).expect("in old"), new.field(fname).expect("in new"));
            if of == nf {
                continue;
            }
            if of.ty == FieldType::ManyToMany || nf.ty == FieldType::ManyToMany {
                // A join table cannot be altered into another: drop it and make the new one.
                let rm = Operation::RemoveField { model: new.name.clone(), name: fname.clone() };
                self.push(P_ALTERED_FIELDS, app, rm, vec![], of.to.iter().cloned().collect(), None)?;
                let add = Operation::AddField { model: new.name.clone(), name: fname.clone(), field: nf.clone(), one_off_default: None };
                self.push(P_ALTERED_FIELDS, app, add, nf.to.iter().cloned().collect(), vec![], None)?;
                continue;
            }
            let mut one_off = None;
            if of.null && !nf.null && nf.default.is_none() && nf.db_default.is_none() {
                one_off = q.not_null_default(app, &new.name, fname, nf, false)?;
            }
            let drops = if of.to != nf.to { of.to.iter().cloned().collect() } else { vec![] };
            let op = Operation::AlterField { model: new.name.clone(), name: fname.clone(), field: nf.clone(), one_off_default: one_off };
            self.push(P_ALTERED_FIELDS, app, op, nf.to.iter().cloned().collect(), drops, None)?;
        }
        Ok(())
    }
}

/// Two fields that differ only in name (a self-relation follows its model's name).
fn same_field_but_name(a: &Field, b: &Field, a_name: &str) -> bool {
    if a == b {
        return true;
    }
    // A field whose column is pinned by db_column to the old column keeps its column.
    let mut a2 = a.clone();
    if b.db_column.as_deref() == a.column(a_name).as_deref() && b.db_column.is_some() {
        a2.db_column = b.db_column.clone();
    }
    a2 == *b
}

/// Two models that differ only in name: same fields (names and definitions), self-relations
/// following the rename.
fn same_model_but_name(old: &ModelState, new: &ModelState) -> bool {
    if old.fields.len() != new.fields.len() {
        return false;
    }
    old.fields.iter().zip(&new.fields).all(|((on, of), (nn, nf))| {
        if on != nn {
            return false;
        }
        let mut of = of.clone();
        if of.to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(&old.label())) {
            of.to = Some(new.label());
        }
        of == *nf
    })
}

/// Orders each app's operations so that what an operation needs comes first, keeping the
/// detection order wherever nothing forces a change (a stable topological sort).
fn sort_within_apps(planned: Vec<Planned>) -> Vec<Planned> {
    let n = planned.len();
    let mut creators: BTreeMap<String, usize> = BTreeMap::new();
    for (i, p) in planned.iter().enumerate() {
        if let Some(c) = &p.creates {
            creators.insert(c.to_lowercase(), i);
        }
    }
    let mut preds: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (i, p) in planned.iter().enumerate() {
        for need in &p.needs {
            if let Some(&c) = creators.get(&need.to_lowercase()) {
                if c != i && planned[c].app == p.app {
                    preds[i].insert(c);
                }
            }
        }
        if let Operation::DeleteModel { name } = &p.op {
            let me = label(&p.app, name).to_lowercase();
            for (j, q) in planned.iter().enumerate() {
                if j != i && q.app == p.app && q.drops_refs_to.iter().any(|d| d.to_lowercase() == me) {
                    preds[i].insert(j);
                }
            }
        }
    }
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for (i, ps) in preds.iter().enumerate() {
        for &p in ps {
            succ[p].push(i);
            indeg[i] += 1;
        }
    }
    let mut heap: BinaryHeap<Reverse<usize>> = (0..n).filter(|&i| indeg[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = heap.pop() {
        order.push(i);
        for &s in &succ[i] {
            indeg[s] -= 1;
            if indeg[s] == 0 {
                heap.push(Reverse(s));
            }
        }
    }
    if order.len() < n {
        // A cycle the detection should have broken; keep detection order for what is left.
        let seen: BTreeSet<usize> = order.iter().copied().collect();
        order.extend((0..n).filter(|i| !seen.contains(i)));
    }
    let mut slots: Vec<Option<Planned>> = planned.into_iter().map(Some).collect();
    order.into_iter().map(|i| slots[i].take().expect("each index once")).collect()
}

/// Cuts the ordered operations into migrations: an app's run of operations ends where one needs
/// something another app has not made yet, which breaks cross-app cycles into two migrations.
fn chop(planned: &[Planned], leaves: &BTreeMap<String, String>, from: &ProjectState) -> Result<Vec<NewMigration>> {
    let mut creators: BTreeMap<String, usize> = BTreeMap::new();
    for (i, p) in planned.iter().enumerate() {
        if let Some(c) = &p.creates {
            creators.insert(c.to_lowercase(), i);
        }
    }
    // Cross-app predecessors of each operation.
    let mut cross: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); planned.len()];
    for (i, p) in planned.iter().enumerate() {
        for need in &p.needs {
            if let Some(&c) = creators.get(&need.to_lowercase()) {
                if planned[c].app != p.app {
                    cross[i].insert(c);
                }
            }
        }
        if let Operation::DeleteModel { name } = &p.op {
            let me = label(&p.app, name).to_lowercase();
            for (j, q) in planned.iter().enumerate() {
                if q.app != p.app && q.drops_refs_to.iter().any(|d| d.to_lowercase() == me) {
                    cross[i].insert(j);
                }
            }
        }
    }
    let mut queues: BTreeMap<String, std::collections::VecDeque<usize>> = BTreeMap::new();
    for (i, p) in planned.iter().enumerate() {
        queues.entry(p.app.clone()).or_default().push_back(i);
    }
    // Other apps whose existing models an operation points at, when those apps also get
    // migrations in this run: as Django, the operation waits for that app's newest migration and
    // depends on it; only when nothing else can move ("chop mode") does it take the old leaf.
    let existing_in: Vec<BTreeSet<String>> = planned
        .iter()
        .map(|p| {
            p.needs
                .iter()
                .filter(|n| !creators.contains_key(&n.to_lowercase()) && from.resolve(n).is_some())
                .filter_map(|n| n.split_once('.').map(|(a, _)| a.to_string()))
                .filter(|a| *a != p.app)
                .collect()
        })
        .collect();
    let has_ops: BTreeSet<String> = queues.keys().cloned().collect();
    let mut chop_mode = false;
    let mut placed: Vec<Option<usize>> = vec![None; planned.len()];
    let mut out: Vec<NewMigration> = Vec::new();
    let mut last_of_app: BTreeMap<String, usize> = BTreeMap::new();
    while queues.values().any(|q| !q.is_empty()) {
        let mut progressed = false;
        let apps: Vec<String> = queues.keys().cloned().collect();
        for app in apps {
            let queue = queues.get_mut(&app).expect("listed");
            let mut taken = Vec::new();
            while let Some(&i) = queue.front() {
                let waits = !chop_mode && existing_in[i].iter().any(|a| has_ops.contains(a) && !last_of_app.contains_key(a));
                if cross[i].iter().all(|&c| placed[c].is_some()) && !waits {
                    taken.push(i);
                    queue.pop_front();
                } else {
                    break;
                }
            }
            if taken.is_empty() {
                continue;
            }
            progressed = true;
            let idx = out.len();
            let mut new_deps: BTreeSet<usize> = BTreeSet::new();
            let mut existing: BTreeSet<String> = BTreeSet::new();
            match last_of_app.get(&app) {
                Some(&prev) => {
                    new_deps.insert(prev);
                }
                None => {
                    if let Some(l) = leaves.get(&app) {
                        existing.insert(l.clone());
                    }
                }
            }
            for &i in &taken {
                for &c in &cross[i] {
                    if let Some(m) = placed[c] {
                        new_deps.insert(m);
                    }
                }
                // A relation into another app's existing model depends on that app's latest
                // migration: one made in this run, else its leaf.
                for napp in &existing_in[i] {
                    match last_of_app.get(napp) {
                        Some(&m) => {
                            new_deps.insert(m);
                        }
                        None => existing.extend(leaves.get(napp).cloned()),
                    }
                }
            }
            for &i in &taken {
                placed[i] = Some(idx);
            }
            out.push(NewMigration {
                app: app.clone(),
                operations: taken.iter().map(|&i| planned[i].op.clone()).collect(),
                existing_dependencies: existing.into_iter().collect(),
                new_dependencies: new_deps.into_iter().collect(),
            });
            last_of_app.insert(app.clone(), idx);
            chop_mode = false;
        }
        if !progressed && !chop_mode {
            chop_mode = true;
            continue;
        }
        if !progressed {
            return Err(Error::new(ErrorKind::Graph, "the changes form a cycle across apps that cannot be split into migrations")
                .hint("make one of the foreign keys in the cycle nullable and add it in a separate makemigrations run"));
        }
    }
    Ok(out)
}
