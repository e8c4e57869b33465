//! A model as the state knows it: table, fields in declaration order, indexes and constraints.

use serde::{Deserialize, Serialize};

use crate::field::Field;
use crate::naming;

/// An index declared on a model (`index(fields = ["author", "-published"], name = "...")`), with
/// Django's options: `condition` (a partial index), `include` (covering columns), `opclasses`
/// (one per field) and `type` (the access method, as Django's GinIndex, GistIndex, BrinIndex, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// The index name (required, as Django's Meta.indexes require one).
    pub name: String,
    /// Field names; a leading `-` means descending.
    pub fields: Vec<String>,
    /// `WHERE` of a partial index: SQL written by the user, e.g. `"pages" > 100`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Fields stored in the index but not part of its key (`INCLUDE`, PostgreSQL only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// An operator class per field (PostgreSQL only), e.g. `varchar_pattern_ops`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opclasses: Vec<String>,
    /// The access method when not btree: `gin`, `gist`, `brin`, `hash`, `spgist` (PostgreSQL only).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

/// The access methods an index can declare, as Django's index classes name them.
pub const INDEX_METHODS: &[&str] = &["btree", "hash", "gin", "gist", "brin", "spgist"];

impl Index {
    /// Everything but the name: two indexes that differ only here are a rename.
    pub fn same_but_name(&self, other: &Index) -> bool {
        Index { name: String::new(), ..self.clone() } == Index { name: String::new(), ..other.clone() }
    }

    /// What only PostgreSQL can build (INCLUDE, operator classes, a method other than btree),
    /// named, for the refusal on SQLite.
    pub fn postgres_only(&self) -> Option<&'static str> {
        if !self.include.is_empty() {
            Some("include")
        } else if !self.opclasses.is_empty() {
            Some("opclasses")
        } else if self.method.as_deref().is_some_and(|m| m != "btree") {
            Some("type")
        } else {
            None
        }
    }
}

/// What a constraint enforces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConstraintKind {
    /// The fields are unique together.
    Unique {
        /// Field names (none for a unique constraint on expressions).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fields: Vec<String>,
        /// Only rows where this SQL condition holds must be unique (a partial unique index).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        condition: Option<String>,
        /// SQL expressions unique together instead of fields, e.g. `LOWER("email")`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        expressions: Vec<String>,
    },
    /// An SQL boolean expression over the row's columns.
    Check {
        /// The expression, e.g. `price >= 0`.
        check: String,
    },
}

/// A named table constraint declared on a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// The constraint name.
    pub name: String,
    /// What it enforces.
    #[serde(flatten)]
    pub kind: ConstraintKind,
}

impl ConstraintKind {
    /// A unique constraint on fields alone.
    pub fn unique(fields: Vec<String>) -> ConstraintKind {
        ConstraintKind::Unique { fields, condition: None, expressions: Vec::new() }
    }

    /// A unique constraint PostgreSQL cannot hold as a table constraint (a condition, or
    /// expressions): Django makes it a unique index, created and dropped as one.
    pub fn is_unique_index(&self) -> bool {
        matches!(self, ConstraintKind::Unique { condition, expressions, .. } if condition.is_some() || !expressions.is_empty())
    }
}

/// One model: everything a migration needs to know about it.
#[derive(Debug, Clone)]
pub struct ModelState {
    /// The app label, e.g. `library`.
    pub app: String,
    /// The struct name, e.g. `Book`.
    pub name: String,
    /// An explicit table name; `None` means `{app}_{name lowercased}`.
    pub table: Option<String>,
    /// `managed = false`: the ORM uses it, migrations never touch it.
    pub managed: bool,
    /// Fields in declaration order.
    pub fields: Vec<(String, Field)>,
    /// Declared indexes.
    pub indexes: Vec<Index>,
    /// Declared unique and check constraints.
    pub constraints: Vec<Constraint>,
    /// History, not declaration: the constraints an alter made, which carry the names Django
    /// gives at alter time rather than the ones a new column gets (see [`NameHistory`]). A
    /// declared state never has any, so equality ignores it: two states are equal when they
    /// declare the same.
    pub history: NameHistory,
}

/// Which of a model's constraints were made by an alter rather than with their column. PostgreSQL
/// names a constraint made inline (CREATE TABLE, ADD COLUMN) itself (`{table}_{col}_key`,
/// `{table}_{col}_check`), and Django names a foreign key `..._fk_{to_table}_{to_col}`; an alter
/// adds them under Django's hashed names instead (`_uniq`, `_check`, and `_fk` for a foreign key
/// re-created because the key it points at changed type). The migration replay records which, so
/// every name follows from the state alone: the same for a plain and an `--online` migrate, for
/// SQL rendered without a database, and for drift's expected schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameHistory {
    /// Fields whose single-column UNIQUE constraint was added to an existing column (`_uniq`).
    pub unique_added: std::collections::BTreeSet<String>,
    /// Fields whose positive CHECK was added to an existing column (`_check` with Django's hash).
    pub check_added: std::collections::BTreeSet<String>,
    /// Foreign keys re-created after the key they point at changed type (`_fk`): a foreign key
    /// field's name, or `{field}:from` / `{field}:to` for the columns of a many-to-many field's
    /// join table.
    pub fk_readded: std::collections::BTreeSet<String>,
}

impl NameHistory {
    /// Forgets a field (removed): its entries and its join table's.
    pub fn forget(&mut self, field: &str) {
        let join = |k: &String| k.split_once(':').is_some_and(|(f, _)| f == field);
        self.unique_added.remove(field);
        self.check_added.remove(field);
        self.fk_readded.retain(|k| k != field && !join(k));
    }

    /// Follows a field's rename.
    pub fn rename(&mut self, from: &str, to: &str) {
        for set in [&mut self.unique_added, &mut self.check_added] {
            if set.remove(from) {
                set.insert(to.to_string());
            }
        }
        let moved: Vec<String> =
            self.fk_readded.iter().filter(|k| *k == from || k.split_once(':').is_some_and(|(f, _)| f == from)).cloned().collect();
        for k in moved {
            self.fk_readded.remove(&k);
            self.fk_readded.insert(k.replacen(from, to, 1));
        }
    }
}

impl PartialEq for ModelState {
    fn eq(&self, other: &ModelState) -> bool {
        let ModelState { app, name, table, managed, fields, indexes, constraints, history: _ } = self;
        *app == other.app
            && *name == other.name
            && *table == other.table
            && *managed == other.managed
            && *fields == other.fields
            && *indexes == other.indexes
            && *constraints == other.constraints
    }
}

impl ModelState {
    /// An empty managed model with no fields.
    pub fn new(app: &str, name: &str) -> ModelState {
        ModelState {
            app: app.to_string(),
            name: name.to_string(),
            table: None,
            managed: true,
            fields: Vec::new(),
            indexes: Vec::new(),
            constraints: Vec::new(),
            history: NameHistory::default(),
        }
    }

    /// `app.Model`, the way relations name their target.
    pub fn label(&self) -> String {
        format!("{}.{}", self.app, self.name)
    }

    /// The lowercased model name, the key the state is indexed by.
    pub fn name_lower(&self) -> String {
        self.name.to_lowercase()
    }

    /// The table the model lives in.
    pub fn table_name(&self) -> String {
        match &self.table {
            Some(t) => t.clone(),
            None => naming::default_table(&self.app, &self.name),
        }
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, f)| f)
    }

    /// The field called `name`, mutable.
    pub fn field_mut(&mut self, name: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|(n, _)| n == name).map(|(_, f)| f)
    }

    /// The primary key field and its name.
    pub fn primary_key(&self) -> Option<(&str, &Field)> {
        self.fields.iter().find(|(_, f)| f.primary_key).map(|(n, f)| (n.as_str(), f))
    }

    /// The column a field name (or `-name`) refers to, for indexes and constraints.
    pub fn column_of(&self, field_name: &str) -> Option<String> {
        let bare = field_name.trim_start_matches('-');
        self.field(bare).and_then(|f| f.column(bare))
    }

    /// Fields stored in a column (everything but many-to-many), with their columns.
    pub fn concrete_fields(&self) -> impl Iterator<Item = (&str, &Field, String)> {
        self.fields.iter().filter_map(|(n, f)| f.column(n).map(|c| (n.as_str(), f, c)))
    }

    /// The many-to-many fields that have a join table of their own (a field with a `through`
    /// model has none: its links are that model's rows).
    pub fn m2m_fields(&self) -> impl Iterator<Item = (&str, &Field)> {
        self.fields.iter().filter(|(_, f)| f.makes_join_table()).map(|(n, f)| (n.as_str(), f))
    }
}
