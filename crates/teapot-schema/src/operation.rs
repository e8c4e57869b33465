//! Operations: the steps a migration file lists, and how each changes the project state.
//!
//! Applying operations in order to an empty [`ProjectState`] is how migration history is replayed
//! in memory, without a database.

use crate::{Constraint, ConstraintKind, Field, FieldType, Index, Literal, ModelState, ProjectState};
use serde::{Deserialize, Serialize};

/// A field with its name, as `create_model` lists them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedField {
    /// The field name.
    pub name: String,
    /// The field.
    #[serde(flatten)]
    pub field: Field,
}

impl<'de> Deserialize<'de> for NamedField {
    /// Not derived: a `#[serde(flatten)]` struct is only shown the keys it knows, so a misspelt key
    /// (`colour = "red"`) would be dropped silently instead of refused as `Field` refuses it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut table = toml::Table::deserialize(d)?;
        let name = match table.remove("name") {
            Some(toml::Value::String(s)) => s,
            Some(other) => return Err(D::Error::custom(format!("invalid type: {}, expected a string for `name`", other.type_str()))),
            None => return Err(D::Error::missing_field("name")),
        };
        let field = Field::deserialize(toml::Value::Table(table)).map_err(|e| D::Error::custom(e.message()))?;
        Ok(NamedField { name, field })
    }
}

fn default_batch_size() -> u32 {
    1000
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn default_true() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One schema or data change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
// Exhaustive on purpose: a new operation must be handled by every renderer, the online planner and
// check's rules, and the compiler lists the places.
pub enum Operation {
    /// Creates a model (and its table, and its many-to-many tables).
    CreateModel {
        /// Model name.
        name: String,
        /// Explicit table name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        table: Option<String>,
        /// false: the ORM uses it; migrations never touch its table.
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        managed: bool,
        /// Fields in order.
        fields: Vec<NamedField>,
    },
    /// Deletes a model and its table.
    DeleteModel {
        /// Model name.
        name: String,
    },
    /// Renames a model (and its table, when the table name is the default one).
    RenameModel {
        /// Old model name.
        old_name: String,
        /// New model name.
        new_name: String,
    },
    /// Sets or clears the explicit table name.
    AlterModelTable {
        /// Model name.
        name: String,
        /// The new table; None for the default one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        table: Option<String>,
    },
    /// Adds a field (a column, or a join table for a many-to-many).
    AddField {
        /// Model name.
        model: String,
        /// Field name.
        name: String,
        /// The field.
        field: Field,
        /// A value for the rows that exist, used once and not kept as a default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        one_off_default: Option<Literal>,
    },
    /// Removes a field.
    RemoveField {
        /// Model name.
        model: String,
        /// Field name.
        name: String,
    },
    /// Changes a field's definition.
    AlterField {
        /// Model name.
        model: String,
        /// Field name.
        name: String,
        /// The new definition.
        field: Field,
        /// A value for rows that hold NULL when the field becomes NOT NULL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        one_off_default: Option<Literal>,
    },
    /// Renames a field (and its column, unless db_column fixes it).
    RenameField {
        /// Model name.
        model: String,
        /// Old field name.
        old_name: String,
        /// New field name.
        new_name: String,
    },
    /// Adds an index.
    AddIndex {
        /// Model name.
        model: String,
        /// The index.
        index: Index,
    },
    /// Removes an index.
    RemoveIndex {
        /// Model name.
        model: String,
        /// Index name.
        name: String,
    },
    /// Renames an index.
    RenameIndex {
        /// Model name.
        model: String,
        /// Old index name.
        old_name: String,
        /// New index name.
        new_name: String,
    },
    /// Adds a unique or check constraint.
    AddConstraint {
        /// Model name.
        model: String,
        /// The constraint.
        constraint: Constraint,
    },
    /// Removes a constraint.
    RemoveConstraint {
        /// Model name.
        model: String,
        /// Constraint name.
        name: String,
    },
    /// A data change run in keyed batches: `UPDATE table SET {set} WHERE {where}`, a batch of
    /// rows at a time in primary key order, each batch in its own transaction under `--online`.
    Backfill {
        /// Model name.
        model: String,
        /// The assignments, as SQL: `status = 'open', total = 0`.
        set: String,
        /// Which rows, as SQL (all rows when absent).
        #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
        filter: Option<String>,
        /// Rows per batch.
        #[serde(default = "default_batch_size")]
        batch_size: u32,
        /// Pause between batches, in milliseconds.
        #[serde(default, skip_serializing_if = "is_zero")]
        pause_ms: u64,
    },
    /// Raw SQL, with the SQL that undoes it.
    RunSql {
        /// The SQL run forwards.
        sql: String,
        /// The SQL run backwards; without it the operation is irreversible.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reverse_sql: Option<String>,
    },
}

/// An operation that cannot apply to the state it meets (a broken or hand-edited migration).
#[derive(Debug, Clone, PartialEq)]
pub struct StateError(pub String);

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn model_mut<'a>(state: &'a mut ProjectState, app: &str, name: &str) -> Result<&'a mut ModelState, StateError> {
    state.get_mut(app, name).ok_or_else(|| StateError(format!("model {app}.{name} does not exist at this point of the history")))
}

fn no_field(app: &str, model: &str, name: &str) -> StateError {
    StateError(format!("field {app}.{model}.{name} does not exist at this point of the history"))
}

impl Operation {
    /// The model this operation is about, if any.
    pub fn model_name(&self) -> Option<&str> {
        use Operation::*;
        match self {
            CreateModel { name, .. } | DeleteModel { name } | AlterModelTable { name, .. } => Some(name),
            RenameModel { new_name, .. } => Some(new_name),
            AddField { model, .. }
            | RemoveField { model, .. }
            | AlterField { model, .. }
            | RenameField { model, .. }
            | AddIndex { model, .. }
            | RemoveIndex { model, .. }
            | RenameIndex { model, .. }
            | AddConstraint { model, .. }
            | RemoveConstraint { model, .. }
            | Backfill { model, .. } => Some(model),
            RunSql { .. } => None,
        }
    }

    /// The spelling of the operation in files (`add_field`, ...).
    pub fn kind(&self) -> &'static str {
        use Operation::*;
        match self {
            CreateModel { .. } => "create_model",
            DeleteModel { .. } => "delete_model",
            RenameModel { .. } => "rename_model",
            AlterModelTable { .. } => "alter_model_table",
            AddField { .. } => "add_field",
            RemoveField { .. } => "remove_field",
            AlterField { .. } => "alter_field",
            RenameField { .. } => "rename_field",
            AddIndex { .. } => "add_index",
            RemoveIndex { .. } => "remove_index",
            RenameIndex { .. } => "rename_index",
            AddConstraint { .. } => "add_constraint",
            RemoveConstraint { .. } => "remove_constraint",
            RunSql { .. } => "run_sql",
            Backfill { .. } => "backfill",
        }
    }

    /// One line for people: `Add field pages to Book`.
    pub fn describe(&self) -> String {
        use Operation::*;
        match self {
            CreateModel { name, .. } => format!("Create model {name}"),
            DeleteModel { name } => format!("Delete model {name}"),
            RenameModel { old_name, new_name } => format!("Rename model {old_name} to {new_name}"),
            AlterModelTable { name, table } => match table {
                Some(t) => format!("Rename table for {name} to {t}"),
                None => format!("Rename table for {name} to (default)"),
            },
            AddField { model, name, .. } => format!("Add field {name} to {model}"),
            RemoveField { model, name } => format!("Remove field {name} from {model}"),
            AlterField { model, name, .. } => format!("Alter field {name} on {model}"),
            RenameField { model, old_name, new_name } => format!("Rename field {old_name} on {model} to {new_name}"),
            AddIndex { model, index } => format!("Create index {} on field(s) {} of model {}", index.name, index.fields.join(", "), model),
            RemoveIndex { model, name } => format!("Remove index {name} from {model}"),
            RenameIndex { model, old_name, new_name } => format!("Rename index {old_name} on {model} to {new_name}"),
            AddConstraint { model, constraint } => format!("Create constraint {} on model {model}", constraint.name),
            RemoveConstraint { model, name } => format!("Remove constraint {name} from model {model}"),
            RunSql { .. } => "Raw SQL operation".to_string(),
            Backfill { model, set, .. } => format!("Backfill {model}: SET {set}"),
        }
    }

    /// The fragment this operation gives a migration's name (`book_pages`, `remove_book_pages`);
    /// None when it gives none (raw SQL), which makes the name `auto_<timestamp>`.
    pub fn name_fragment(&self) -> Option<String> {
        use Operation::*;
        let l = |s: &str| s.to_lowercase();
        Some(match self {
            CreateModel { name, .. } => l(name),
            DeleteModel { name } => format!("delete_{}", l(name)),
            RenameModel { old_name, new_name } => format!("rename_{}_{}", l(old_name), l(new_name)),
            AlterModelTable { name, .. } => format!("alter_{}_table", l(name)),
            AddField { model, name, .. } => format!("{}_{}", l(model), l(name)),
            RemoveField { model, name } => format!("remove_{}_{}", l(model), l(name)),
            AlterField { model, name, .. } => format!("alter_{}_{}", l(model), l(name)),
            RenameField { model, old_name, new_name } => format!("rename_{}_{}_{}", l(old_name), l(model), l(new_name)),
            AddIndex { model, index } => format!("{}_{}", l(model), l(&index.name)),
            RemoveIndex { model, name } => format!("remove_{}_{}", l(model), l(name)),
            RenameIndex { old_name, new_name, .. } => format!("rename_{}_{}", l(old_name), l(new_name)),
            AddConstraint { model, constraint } => format!("{}_{}", l(model), l(&constraint.name)),
            RemoveConstraint { model, name } => format!("remove_{}_{}", l(model), l(name)),
            RunSql { .. } | Backfill { .. } => return None,
        })
    }

    /// Applies the operation to the state of `app`.
    pub fn apply(&self, app: &str, state: &mut ProjectState) -> Result<(), StateError> {
        use Operation::*;
        match self {
            CreateModel { name, table, managed, fields } => {
                if state.get(app, name).is_some() {
                    return Err(StateError(format!("model {app}.{name} already exists")));
                }
                let mut m = ModelState::new(app, name);
                m.table = table.clone();
                m.managed = *managed;
                for f in fields {
                    if m.field(&f.name).is_some() {
                        return Err(StateError(format!("model {app}.{name} lists field {} twice", f.name)));
                    }
                    m.fields.push((f.name.clone(), f.field.clone()));
                }
                state.insert(m);
            }
            DeleteModel { name } => {
                state
                    .remove(app, name)
                    .ok_or_else(|| StateError(format!("model {app}.{name} does not exist at this point of the history")))?;
            }
            RenameModel { old_name, new_name } => {
                let mut m = state
                    .remove(app, old_name)
                    .ok_or_else(|| StateError(format!("model {app}.{old_name} does not exist at this point of the history")))?;
                if state.get(app, new_name).is_some() {
                    return Err(StateError(format!("model {app}.{new_name} already exists")));
                }
                m.name = new_name.clone();
                state.insert(m);
                let (old_label, new_label) = (format!("{app}.{old_name}"), format!("{app}.{new_name}"));
                for other in state.models_mut() {
                    for (_, f) in other.fields.iter_mut() {
                        if f.to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(&old_label)) {
                            f.to = Some(new_label.clone());
                        }
                    }
                }
            }
            AlterModelTable { name, table } => model_mut(state, app, name)?.table = table.clone(),
            AddField { model, name, field, .. } => {
                let m = model_mut(state, app, model)?;
                if m.field(name).is_some() {
                    return Err(StateError(format!("field {app}.{model}.{name} already exists")));
                }
                m.fields.push((name.clone(), field.clone()));
            }
            RemoveField { model, name } => {
                let m = model_mut(state, app, model)?;
                let before = m.fields.len();
                m.fields.retain(|(n, _)| n != name);
                m.history.forget(name);
                if m.fields.len() == before {
                    return Err(no_field(app, model, name));
                }
            }
            AlterField { model, name, field, .. } => {
                let m = model_mut(state, app, model)?;
                let slot = m.field_mut(name).ok_or_else(|| no_field(app, model, name))?;
                let old = std::mem::replace(slot, field.clone());
                record_alter(&mut m.history, name, &old, field);
                let label = m.label();
                if old.primary_key && field.primary_key && retypes_column(&old, field) {
                    readd_referring(state, &label);
                }
            }
            RenameField { model, old_name, new_name } => {
                let m = model_mut(state, app, model)?;
                if m.field(new_name).is_some() {
                    return Err(StateError(format!("field {app}.{model}.{new_name} already exists")));
                }
                let slot = m.fields.iter_mut().find(|(n, _)| n == old_name).ok_or_else(|| no_field(app, model, old_name))?;
                slot.0 = new_name.clone();
                m.history.rename(old_name, new_name);
                let rename = |f: &mut String| {
                    let desc = f.starts_with('-');
                    if f.trim_start_matches('-') == old_name {
                        *f = if desc { format!("-{new_name}") } else { new_name.clone() };
                    }
                };
                for i in m.indexes.iter_mut() {
                    i.fields.iter_mut().for_each(rename);
                    i.include.iter_mut().for_each(rename);
                }
                for c in m.constraints.iter_mut() {
                    if let ConstraintKind::Unique { fields, .. } = &mut c.kind {
                        fields.iter_mut().for_each(rename);
                    }
                }
            }
            AddIndex { model, index } => {
                let m = model_mut(state, app, model)?;
                if m.indexes.iter().any(|i| i.name == index.name) {
                    return Err(StateError(format!("index {} already exists on {app}.{model}", index.name)));
                }
                m.indexes.push(index.clone());
            }
            RemoveIndex { model, name } => {
                let m = model_mut(state, app, model)?;
                let before = m.indexes.len();
                m.indexes.retain(|i| &i.name != name);
                if before == m.indexes.len() {
                    return Err(StateError(format!("index {name} does not exist on {app}.{model}")));
                }
            }
            RenameIndex { model, old_name, new_name } => {
                let m = model_mut(state, app, model)?;
                let i = m
                    .indexes
                    .iter_mut()
                    .find(|i| &i.name == old_name)
                    .ok_or_else(|| StateError(format!("index {old_name} does not exist on {app}.{model}")))?;
                i.name = new_name.clone();
            }
            AddConstraint { model, constraint } => {
                let m = model_mut(state, app, model)?;
                if m.constraints.iter().any(|c| c.name == constraint.name) {
                    return Err(StateError(format!("constraint {} already exists on {app}.{model}", constraint.name)));
                }
                m.constraints.push(constraint.clone());
            }
            RemoveConstraint { model, name } => {
                let m = model_mut(state, app, model)?;
                let before = m.constraints.len();
                m.constraints.retain(|c| &c.name != name);
                if before == m.constraints.len() {
                    return Err(StateError(format!("constraint {name} does not exist on {app}.{model}")));
                }
            }
            Backfill { model, .. } => {
                model_mut(state, app, model)?;
            }
            RunSql { .. } => {}
        }
        Ok(())
    }

    /// Models of other apps or of this one that the operation needs to exist: relation targets.
    pub fn referenced_models(&self) -> Vec<String> {
        use Operation::*;
        let mut out = Vec::new();
        let mut push = |f: &Field| {
            if let Some(t) = &f.to {
                out.push(t.clone());
            }
        };
        match self {
            CreateModel { fields, .. } => fields.iter().for_each(|f| push(&f.field)),
            AddField { field, .. } | AlterField { field, .. } => push(field),
            _ => {}
        }
        out
    }
}

/// Whether a field is a relation (for ordering operations).
pub fn is_relation(f: &Field) -> bool {
    f.ty == FieldType::ForeignKey || f.ty == FieldType::ManyToMany
}

/// The names an AlterField gives (see [`crate::NameHistory`]): a unique constraint or a positive
/// CHECK added to the existing column gets Django's alter-time name, one taken off is forgotten,
/// and a foreign key dropped and re-created for its own change gets the name a new one gets.
fn record_alter(h: &mut crate::NameHistory, name: &str, old: &Field, new: &Field) {
    let unique = |f: &Field| f.is_unique() && !f.primary_key;
    if !unique(new) {
        h.unique_added.remove(name);
    } else if !unique(old) {
        h.unique_added.insert(name.to_string());
    }
    if !new.positive {
        h.check_added.remove(name);
    } else if !old.positive {
        h.check_added.insert(name.to_string());
    }
    let fk_recreated = old.ty == FieldType::ForeignKey
        && (new.ty != FieldType::ForeignKey || old.to != new.to || old.on_delete != new.on_delete || old.db_column != new.db_column);
    if fk_recreated {
        h.fk_readded.remove(name);
    }
}

/// Whether a key's change changes its column's type (the columns pointing at it then follow).
fn retypes_column(old: &Field, new: &Field) -> bool {
    old.ty != new.ty || old.max_length != new.max_length || old.max_digits != new.max_digits || old.decimal_places != new.decimal_places
}

/// A key changed type: every foreign key pointing at `label`, and every join table column
/// pointing at it, is dropped and re-created under Django's `_fk` name.
fn readd_referring(state: &mut ProjectState, label: &str) {
    let points_here = |f: &Field| f.to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(label));
    for m in state.models_mut() {
        let own = m.label().eq_ignore_ascii_case(label);
        let mut keys = Vec::new();
        for (fname, f) in &m.fields {
            match f.ty {
                FieldType::ForeignKey if points_here(f) => keys.push(fname.clone()),
                FieldType::ManyToMany if f.makes_join_table() => {
                    if own {
                        keys.push(format!("{fname}:from"));
                    }
                    if points_here(f) {
                        keys.push(format!("{fname}:to"));
                    }
                }
                _ => {}
            }
        }
        m.history.fk_readded.extend(keys);
    }
}
