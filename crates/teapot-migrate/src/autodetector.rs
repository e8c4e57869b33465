//! The autodetector: declared state minus replayed state gives operations.
//!
//! Changes are found kind by kind, in the order Django finds them (renamed models, deleted and
//! created models, removed indexes and constraints, renamed fields and indexes, removed, added and
//! altered fields, added indexes and constraints, table changes), each kind in model and field
//! name order. Each operation is applied to a working copy of the old state as soon as it is
//! found, so later kinds see earlier ones. As Django's autodetector, a new model's relations are
//! separate add_field operations at first; each app's operations are then ordered (Django's
//! `_sort_migrations`), cut into migrations (`_build_migration_list`: an app waits for the apps it
//! points into and gets one migration where Django writes one), and each migration is optimized
//! (the add_fields go back into their create_model where Django's optimizer puts them, which
//! gives Django's field and column order: a new model's relations last, by name).

use std::collections::{BTreeMap, BTreeSet};

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
    /// `(app.Model, field)` this operation needs to exist (an index on a created model's relations).
    needs_fields: Vec<(String, String)>,
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
    to: &'a ProjectState,
    hints: &'a RenameHints,
    apps: BTreeSet<String>,
    cur: ProjectState,
    phases: Vec<Vec<Planned>>,
}

const PHASES: usize = 12;
const P_CREATED_MODELS: usize = 0; // Django puts every create_model at the front of its app's list
const P_RENAMED_MODELS: usize = 1;
const P_DELETED_MODELS: usize = 2;
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
        Autodetector { to, hints, apps, cur: from.clone(), phases: vec![Vec::new(); PHASES] }
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
        self.phases[phase].push(Planned { app: app.to_string(), op, needs, drops_refs_to: drops, creates, needs_fields: vec![] });
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
        let migrations = chop(&planned, leaves)?;
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

    fn created_models(&mut self) -> Result<()> {
        // As Django: each new model is created without its relation fields, which follow as one
        // add_field each (by field name), then the model's indexes and constraints. The creates
        // go first, in model order (managed models, then unmanaged ones); the relations and the
        // rest follow model by model from the last model to the first. Ordering, cutting into
        // migrations and folding each add_field back into its create_model (`optimize`) then give
        // Django's migrations, and its field (column) order: the relations last, by name.
        let (added, _) = self.added_removed();
        let mut order: Vec<(String, String)> = added;
        order.sort_by_key(|(a, n)| (a.clone(), n.to_lowercase()));
        let managed = |d: &(String, String)| self.to.get(&d.0, &d.1).map(|m| m.managed).unwrap_or(true);
        let mut models: Vec<(String, String)> = order.iter().filter(|d| !managed(d)).cloned().collect();
        models.extend(order.iter().filter(|d| managed(d)).cloned());
        for (app, name) in &models {
            let m = self.to.get(app, name).expect("created model is declared").clone();
            let mut fields = Vec::new();
            let mut needs = Vec::new();
            for (fname, f) in &m.fields {
                if f.to.is_some() && !f.primary_key && m.managed {
                    continue;
                }
                if let Some(t) = &f.to {
                    if !t.eq_ignore_ascii_case(&m.label()) {
                        needs.push(t.clone());
                    }
                }
                fields.push(NamedField { name: fname.clone(), field: f.clone() });
            }
            let op = Operation::CreateModel { name: m.name.clone(), table: m.table.clone(), managed: m.managed, fields };
            self.push(P_CREATED_MODELS, app, op, needs, vec![], Some(m.label()))?;
        }
        let managed_models: Vec<(String, String)> = models.iter().filter(|d| managed(d)).cloned().collect();
        for (app, name) in managed_models.iter().rev() {
            let m = self.to.get(app, name).expect("created model is declared").clone();
            let mut related: Vec<&(String, Field)> = m.fields.iter().filter(|(_, f)| f.to.is_some() && !f.primary_key).collect();
            related.sort_by(|a, b| a.0.cmp(&b.0));
            for (fname, f) in &related {
                // A many-to-many through a model needs that model first, as Django orders it.
                let mut needs = vec![m.label(), f.to.clone().unwrap_or_default()];
                needs.extend(f.through.iter().cloned());
                let op = Operation::AddField { model: m.name.clone(), name: fname.clone(), field: f.clone(), one_off_default: None };
                self.push(P_CREATED_RELATIONS, app, op, needs, vec![], None)?;
            }
            let fields_needed: Vec<(String, String)> = related.iter().map(|(n, _)| (m.label(), n.clone())).collect();
            for idx in &m.indexes {
                let op = Operation::AddIndex { model: m.name.clone(), index: idx.clone() };
                self.push_needing_fields(app, op, vec![m.label()], fields_needed.clone())?;
            }
            for c in &m.constraints {
                let op = Operation::AddConstraint { model: m.name.clone(), constraint: c.clone() };
                self.push_needing_fields(app, op, vec![m.label()], fields_needed.clone())?;
            }
        }
        Ok(())
    }

    fn push_needing_fields(&mut self, app: &str, op: Operation, needs: Vec<String>, fields: Vec<(String, String)>) -> Result<()> {
        self.push(P_CREATED_RELATIONS, app, op, needs, vec![], None)?;
        if let Some(p) = self.phases[P_CREATED_RELATIONS].last_mut() {
            p.needs_fields = fields;
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
                    self.push(P_REMOVED_FIELDS, app, op, vec![], f.to.iter().chain(&f.through).cloned().collect(), None)?;
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
                let needs_value = existed && needs_one_off(f) && !f.auto && f.ty != FieldType::ManyToMany;
                if needs_value {
                    one_off = q.not_null_default(app, &new.name, fname, f, true)?;
                }
                let op = Operation::AddField { model: new.name.clone(), name: fname.clone(), field: f.clone(), one_off_default: one_off };
                self.push(P_ADDED_FIELDS, app, op, f.to.iter().chain(&f.through).cloned().collect(), vec![], None)?;
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
            // What only the ORM reads (related_query_name, ...) is an AlterField that runs no SQL; a
            // join table whose CASCADE changes hands (the on_delete setting) keeps its rows: its
            // foreign keys are re-created in place.
            let m2m_same = of.ty == FieldType::ManyToMany && nf.ty == FieldType::ManyToMany && of.same_in_database(nf);
            let only_on_delete = Field { orm_on_delete: nf.orm_on_delete, ..of.clone() } == *nf;
            if !m2m_same && !only_on_delete && (of.ty == FieldType::ManyToMany || nf.ty == FieldType::ManyToMany) {
                // A join table cannot be altered into another: drop it and make the new one.
                let rm = Operation::RemoveField { model: new.name.clone(), name: fname.clone() };
                self.push(P_ALTERED_FIELDS, app, rm, vec![], of.to.iter().chain(&of.through).cloned().collect(), None)?;
                let add = Operation::AddField { model: new.name.clone(), name: fname.clone(), field: nf.clone(), one_off_default: None };
                self.push(P_ALTERED_FIELDS, app, add, nf.to.iter().chain(&nf.through).cloned().collect(), vec![], None)?;
                continue;
            }
            if of.generated != nf.generated {
                // A generated column's expression cannot be altered (nor a column made or unmade
                // generated): the field is removed and added again, as Django's schema editor
                // says to do when it refuses the alter ("must be removed and re-added").
                let rm = Operation::RemoveField { model: new.name.clone(), name: fname.clone() };
                self.push(P_ALTERED_FIELDS, app, rm, vec![], of.to.iter().cloned().collect(), None)?;
                let one_off = if needs_one_off(nf) { q.not_null_default(app, &new.name, fname, nf, true)? } else { None };
                let add = Operation::AddField { model: new.name.clone(), name: fname.clone(), field: nf.clone(), one_off_default: one_off };
                self.push(P_ALTERED_FIELDS, app, add, nf.to.iter().cloned().collect(), vec![], None)?;
                continue;
            }
            let mut one_off = None;
            if of.null && needs_one_off(nf) {
                one_off = q.not_null_default(app, &new.name, fname, nf, false)?;
            }
            let drops = if of.to != nf.to { of.to.iter().cloned().collect() } else { vec![] };
            let op = Operation::AlterField { model: new.name.clone(), name: fname.clone(), field: nf.clone(), one_off_default: one_off };
            self.push(P_ALTERED_FIELDS, app, op, nf.to.iter().cloned().collect(), drops, None)?;
        }
        Ok(())
    }
}

/// Whether rows that exist need a value for this field from makemigrations: it is NOT NULL and
/// nothing else gives one (a default, a callable default, the database, or its expression).
fn needs_one_off(f: &Field) -> bool {
    !f.null && f.default.is_none() && f.db_default.is_none() && f.default_fn.is_none() && f.generated.is_none()
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

/// What an operation waits for, as Django's operation dependencies.
#[derive(Debug, Clone)]
enum Dep {
    /// The model (`app.Model`) is created.
    Model(String),
    /// The field of the model is there (created with it, or added).
    Field(String, String),
    /// Nothing refers to the model any more (before it is deleted).
    Unreferenced(String),
}

impl Dep {
    fn app(&self) -> &str {
        let (Dep::Model(l) | Dep::Field(l, _) | Dep::Unreferenced(l)) = self;
        l.split_once('.').map(|x| x.0).unwrap_or("")
    }
}

fn deps_of(p: &Planned) -> Vec<Dep> {
    let mut deps: Vec<Dep> = p.needs.iter().map(|n| Dep::Model(n.clone())).collect();
    deps.extend(p.needs_fields.iter().map(|(m, f)| Dep::Field(m.clone(), f.clone())));
    if let Operation::DeleteModel { name } = &p.op {
        deps.push(Dep::Unreferenced(label(&p.app, name)));
    }
    deps
}

/// Does operation `x` bring about `dep`? (Django's `check_dependency`.)
fn satisfies(x: &Planned, dep: &Dep) -> bool {
    match dep {
        Dep::Model(l) => x.creates.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(l)),
        Dep::Field(l, f) => match &x.op {
            Operation::AddField { model, name, .. } => name == f && label(&x.app, model).eq_ignore_ascii_case(l),
            Operation::CreateModel { name, fields, .. } => {
                label(&x.app, name).eq_ignore_ascii_case(l) && fields.iter().any(|nf| nf.name == *f)
            }
            _ => false,
        },
        Dep::Unreferenced(l) => x.drops_refs_to.iter().any(|d| d.eq_ignore_ascii_case(l)),
    }
}

/// Orders each app's operations as Django does (its `_sort_migrations`: a topological sort by
/// layers, the one Python's `graphlib.TopologicalSorter.static_order` makes): what an operation
/// needs within its app comes first; operations whose needs are met together keep list order.
fn sort_within_apps(planned: Vec<Planned>) -> Vec<Planned> {
    let mut by_app: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in planned.iter().enumerate() {
        by_app.entry(p.app.clone()).or_default().push(i);
    }
    let mut order: Vec<usize> = Vec::with_capacity(planned.len());
    for ops in by_app.values() {
        // The sorter's nodes in the order it first saw them, each with its count of unmet
        // predecessors and its successors (one entry per predecessor named, as graphlib).
        let mut seen: Vec<usize> = Vec::new();
        let mut npred: BTreeMap<usize, usize> = BTreeMap::new();
        let mut succ: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let note = |n: usize, seen: &mut Vec<usize>, npred: &mut BTreeMap<usize, usize>| {
            if let std::collections::btree_map::Entry::Vacant(e) = npred.entry(n) {
                e.insert(0);
                seen.push(n);
            }
        };
        for &i in ops {
            note(i, &mut seen, &mut npred);
            for dep in deps_of(&planned[i]) {
                if dep.app() != planned[i].app {
                    continue;
                }
                let preds: Vec<usize> = ops.iter().copied().filter(|&x| x != i && satisfies(&planned[x], &dep)).collect();
                *npred.get_mut(&i).expect("noted") += preds.len();
                for p in preds {
                    note(p, &mut seen, &mut npred);
                    succ.entry(p).or_default().push(i);
                }
            }
        }
        let mut ready: Vec<usize> = seen.iter().copied().filter(|n| npred[n] == 0).collect();
        let start = order.len();
        while !ready.is_empty() {
            let group = std::mem::take(&mut ready);
            for &n in &group {
                for &s in succ.get(&n).map(Vec::as_slice).unwrap_or(&[]) {
                    let c = npred.get_mut(&s).expect("noted");
                    *c -= 1;
                    if *c == 0 {
                        ready.push(s);
                    }
                }
            }
            order.extend(group);
        }
        if order.len() - start < ops.len() {
            // A cycle the detection should have broken; keep list order for what is left.
            let done: BTreeSet<usize> = order[start..].iter().copied().collect();
            order.extend(ops.iter().copied().filter(|i| !done.contains(i)));
        }
    }
    let mut slots: Vec<Option<Planned>> = planned.into_iter().map(Some).collect();
    order.into_iter().map(|i| slots[i].take().expect("each index once")).collect()
}

/// Where a migration's dependency points.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    New(usize),
    Existing(String),
}

/// Cuts the ordered operations into migrations as Django's `_build_migration_list` does. Apps are
/// visited in name order, again and again; each takes operations from the front of its list while
/// what they need from other apps is made (and those apps have a migration in this run to depend
/// on), and makes a migration only when it took its whole list. When a full round makes nothing,
/// the next app that can take anything makes a migration of what it took ("chop mode"), and a
/// relation into an app without a migration in this run depends on that app's leaf.
fn chop(planned: &[Planned], leaves: &BTreeMap<String, String>) -> Result<Vec<NewMigration>> {
    // Per operation, what it needs of other apps: (app, the operations that bring it about).
    let cross: Vec<Vec<(String, Vec<usize>)>> = planned
        .iter()
        .map(|p| {
            let mut out = Vec::new();
            for dep in deps_of(p) {
                match &dep {
                    Dep::Unreferenced(_) => {
                        let mut by_app: BTreeMap<String, Vec<usize>> = BTreeMap::new();
                        for (j, q) in planned.iter().enumerate() {
                            if q.app != p.app && satisfies(q, &dep) {
                                by_app.entry(q.app.clone()).or_default().push(j);
                            }
                        }
                        out.extend(by_app);
                    }
                    _ if dep.app() == p.app => {}
                    _ => {
                        let sats =
                            planned.iter().enumerate().filter(|(_, q)| q.app == dep.app() && satisfies(q, &dep)).map(|(j, _)| j).collect();
                        out.push((dep.app().to_string(), sats));
                    }
                }
            }
            out
        })
        .collect();
    let mut queues: BTreeMap<String, std::collections::VecDeque<usize>> = BTreeMap::new();
    for (i, p) in planned.iter().enumerate() {
        queues.entry(p.app.clone()).or_default().push_back(i);
    }
    let mut pending = vec![true; planned.len()];
    let mut left = planned.len();
    let mut chop_mode = false;
    let mut out: Vec<NewMigration> = Vec::new();
    let mut last_of_app: BTreeMap<String, usize> = BTreeMap::new();
    while left > 0 {
        let before = left;
        let apps: Vec<String> = queues.keys().cloned().collect();
        for app in apps {
            let queue = queues.get_mut(&app).expect("listed");
            let mut taken = Vec::new();
            let mut deps: BTreeSet<Target> = BTreeSet::new();
            while let Some(&i) = queue.front() {
                let mut op_deps = Vec::new();
                let mut ok = true;
                for (dapp, sats) in &cross[i] {
                    if sats.iter().any(|&s| pending[s]) {
                        ok = false;
                    } else if let Some(&m) = last_of_app.get(dapp) {
                        op_deps.push(Target::New(m));
                    } else if chop_mode {
                        op_deps.extend(leaves.get(dapp).cloned().map(Target::Existing));
                    } else {
                        ok = false;
                    }
                    if !ok {
                        break;
                    }
                }
                if !ok {
                    break;
                }
                taken.push(i);
                deps.extend(op_deps);
                queue.pop_front();
            }
            if taken.is_empty() {
                continue;
            }
            if !queue.is_empty() && !chop_mode {
                for &i in taken.iter().rev() {
                    queue.push_front(i);
                }
                continue;
            }
            match last_of_app.get(&app) {
                Some(&prev) => {
                    deps.insert(Target::New(prev));
                }
                None => deps.extend(leaves.get(&app).cloned().map(Target::Existing)),
            }
            for &i in &taken {
                pending[i] = false;
            }
            left -= taken.len();
            let ops: Vec<Operation> = taken.iter().map(|&i| planned[i].op.clone()).collect();
            out.push(NewMigration {
                app: app.clone(),
                operations: optimize(ops, &app),
                existing_dependencies: deps
                    .iter()
                    .filter_map(|d| if let Target::Existing(k) = d { Some(k.clone()) } else { None })
                    .collect(),
                new_dependencies: deps.iter().filter_map(|d| if let Target::New(k) = d { Some(*k) } else { None }).collect(),
            });
            last_of_app.insert(app.clone(), out.len() - 1);
            chop_mode = false;
        }
        if left == before {
            if chop_mode {
                return Err(Error::new(ErrorKind::Graph, "the changes form a cycle across apps that cannot be split into migrations")
                    .hint("make one of the foreign keys in the cycle nullable and add it in a separate makemigrations run"));
            }
            chop_mode = true;
        }
    }
    Ok(out)
}

/// What one operation does to another one after it, in the optimizer (Django's `reduce`).
enum Reduced {
    /// The two become these.
    Into(Vec<Operation>),
    /// The second can move past the first.
    Through,
    /// Neither.
    Blocked,
}

fn same_model(app: &str, model: &str, target: &str) -> bool {
    label(app, model).eq_ignore_ascii_case(target)
}

/// Does `op` refer to the model `target` (`app.Model`)? Unknown operations (raw SQL) do.
fn references_model(op: &Operation, app: &str, target: &str) -> bool {
    let points = |f: &Field| f.to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(target));
    match op {
        Operation::CreateModel { name, fields, .. } => same_model(app, name, target) || fields.iter().any(|nf| points(&nf.field)),
        Operation::AddField { model, field, .. } | Operation::AlterField { model, field, .. } => {
            same_model(app, model, target) || points(field)
        }
        Operation::RemoveField { model, .. }
        | Operation::RenameField { model, .. }
        | Operation::AddIndex { model, .. }
        | Operation::RemoveIndex { model, .. }
        | Operation::RenameIndex { model, .. }
        | Operation::AddConstraint { model, .. }
        | Operation::RemoveConstraint { model, .. } => same_model(app, model, target),
        Operation::DeleteModel { name } | Operation::AlterModelTable { name, .. } => same_model(app, name, target),
        Operation::RenameModel { old_name, new_name } => same_model(app, old_name, target) || same_model(app, new_name, target),
        _ => true,
    }
}

/// Does `op` refer to the field `field` of the model `target`? A relation to the model refers
/// to all its fields (Django's `field_references` without a `to_field`).
fn references_field(op: &Operation, app: &str, target: &str, field: &str) -> bool {
    let points = |f: &Field| f.to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(target));
    match op {
        Operation::AddField { model, name, field: f, .. } | Operation::AlterField { model, name, field: f, .. } => {
            (same_model(app, model, target) && name == field) || points(f)
        }
        Operation::RemoveField { model, name } => same_model(app, model, target) && name == field,
        Operation::RenameField { model, old_name, new_name } => same_model(app, model, target) && (old_name == field || new_name == field),
        other => references_model(other, app, target),
    }
}

fn reduce(first: &Operation, then: &Operation, app: &str) -> Reduced {
    let through = |yes: bool| if yes { Reduced::Through } else { Reduced::Blocked };
    match first {
        Operation::CreateModel { name, table, managed, fields } => match then {
            Operation::AddField { model, name: fname, field, .. } if model.eq_ignore_ascii_case(name) => {
                let mut fields = fields.clone();
                fields.push(NamedField { name: fname.clone(), field: field.clone() });
                Reduced::Into(vec![Operation::CreateModel { name: name.clone(), table: table.clone(), managed: *managed, fields }])
            }
            other => through(!references_model(other, app, &label(app, name))),
        },
        Operation::AddField { model, name, .. }
        | Operation::AlterField { model, name, .. }
        | Operation::RemoveField { model, name }
        | Operation::RenameField { model, new_name: name, .. } => through(!references_field(then, app, &label(app, model), name)),
        Operation::DeleteModel { name } | Operation::AlterModelTable { name, .. } | Operation::RenameModel { new_name: name, .. } => {
            through(!references_model(then, app, &label(app, name)))
        }
        _ => Reduced::Blocked,
    }
}

/// Django's migration optimizer, for what the autodetector makes: each add_field of a relation
/// goes back into its model's create_model when the operations between allow it.
fn optimize(mut ops: Vec<Operation>, app: &str) -> Vec<Operation> {
    loop {
        let next = optimize_once(&ops, app);
        if next == ops {
            return next;
        }
        ops = next;
    }
}

fn optimize_once(ops: &[Operation], app: &str) -> Vec<Operation> {
    let mut out = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let mut right = true;
        let mut kept = false;
        for (j, other) in ops[i + 1..].iter().enumerate() {
            match reduce(op, other, app) {
                Reduced::Into(result) => {
                    let between = &ops[i + 1..i + j + 1];
                    if right {
                        out.extend_from_slice(between);
                        out.extend(result);
                    } else if between.iter().all(|b| matches!(reduce(b, other, app), Reduced::Through)) {
                        out.extend(result);
                        out.extend_from_slice(between);
                    } else {
                        out.push(op.clone());
                        kept = true;
                        break;
                    }
                    out.extend_from_slice(&ops[i + j + 2..]);
                    return out;
                }
                Reduced::Blocked => right = false,
                Reduced::Through => {}
            }
        }
        if !kept {
            out.push(op.clone());
        }
    }
    out
}
