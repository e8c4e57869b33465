//! The database objects a model's state implies (keys, unique constraints, foreign keys, indexes,
//! join tables), each with the name Django would give it. Names follow from the state alone, so
//! teapot never has to look at a database to know what to drop or rename.

use teapot_schema::naming::{foreign_key_name, index_name, m2m_columns, m2m_table, unique_together_name, MAX_NAME_LENGTH};
use teapot_schema::{Field, FieldType, ModelState, ProjectState};

use super::{is_textual, pk_column};
use teapot_core::Result;

/// PostgreSQL's own name for an inline constraint: `{table}_{column}_{label}`, with the longer of
/// the two parts cut until the whole fits in 63 bytes (as PostgreSQL's makeObjectName does).
pub fn pg_default_name(table: &str, column: Option<&str>, label: &str) -> String {
    let overhead = column.map_or(0, |_| 1) + label.len() + 1;
    let avail = MAX_NAME_LENGTH - overhead;
    let (mut n1, mut n2) = (table.len(), column.map_or(0, str::len));
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let cut = |s: &str, n: usize| {
        let mut end = n.min(s.len());
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_string()
    };
    match column {
        Some(c) => format!("{}_{}_{}", cut(table, n1), cut(c, n2), label),
        None => format!("{}_{}", cut(table, n1), label),
    }
}

/// What a derived object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObjectKind {
    /// A constraint (renamed with ALTER TABLE ... RENAME CONSTRAINT).
    Constraint,
    /// An index (renamed with ALTER INDEX ... RENAME TO).
    Index,
}

/// One derived object: its role (stable across renames), its table and its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Derived {
    /// A key that stays the same when the model, table or field is renamed.
    pub role: String,
    /// Constraint or index.
    pub kind: ObjectKind,
    /// The table it belongs to.
    pub table: String,
    /// Its name.
    pub name: String,
}

/// A field's single-column index (`db_index`, or a foreign key's), if it has one.
pub fn field_index_name(table: &str, column: &str) -> String {
    index_name(table, &[column], "")
}

/// A field's `_like` (pattern ops) index name.
pub fn like_index_name(table: &str, column: &str) -> String {
    index_name(table, &[column], "_like")
}

/// The operator class of a field's `_like` index on PostgreSQL, if it gets one: an indexed or
/// unique varchar/text column, a foreign key (indexed) included when the key it points at is
/// varchar/text, as Django decides from the column's type (`_create_like_index_sql`).
pub fn like_ops(state: &ProjectState, f: &Field) -> Option<&'static str> {
    if !(f.db_index || f.has_index() || f.is_unique()) {
        return None;
    }
    let key = if f.ty == FieldType::ForeignKey { pk_column(super::target(state, f).ok()?).ok()?.1 } else { f };
    is_textual(key).then(|| if key.max_length.is_some() { "varchar_pattern_ops" } else { "text_pattern_ops" })
}

/// Whether a field gets a `_like` index on PostgreSQL (see [`like_ops`]).
pub fn needs_like_index(state: &ProjectState, f: &Field) -> bool {
    like_ops(state, f).is_some()
}

/// The name of a field's single-column UNIQUE constraint on PostgreSQL. A column created unique
/// (CREATE TABLE, ADD COLUMN) gets PostgreSQL's own `{table}_{column}_key`; a unique constraint
/// added to an existing column (AlterField) gets Django's `{table}_{column}_{hash}_uniq`. Which one
/// a field has is history, so the replay records it in the state
/// ([`teapot_schema::NameHistory`]) and the name follows from the state alone.
pub fn unique_name(m: &ModelState, field: &str, table: &str, column: &str) -> String {
    if m.history.unique_added.contains(field) {
        index_name(table, &[column], "_uniq")
    } else {
        pg_default_name(table, Some(column), "key")
    }
}

/// The CHECK of a positive field's column on PostgreSQL: PostgreSQL's `{table}_{column}_check`
/// when made with the column, Django's `{table}_{column}_{hash}_check` when an alter added it.
pub fn positive_check_name(m: &ModelState, field: &str, table: &str, column: &str) -> String {
    if m.history.check_added.contains(field) {
        index_name(table, &[column], "_check")
    } else {
        pg_default_name(table, Some(column), "check")
    }
}

/// The foreign key constraint of `m`'s field or join table column `key` (a field name, or
/// `{field}:from` / `{field}:to`): [`fk_name`], or Django's `{table}_{column}_{hash}_fk` when it
/// was re-created because the key it points at changed type ([`teapot_schema::NameHistory`]).
pub fn fk_name_of(state: &ProjectState, m: &ModelState, key: &str, table: &str, column: &str, f: &Field) -> Result<String> {
    if m.history.fk_readded.contains(key) {
        Ok(index_name(table, &[column], "_fk"))
    } else {
        fk_name(state, table, column, f)
    }
}

/// The foreign key constraint of a field, from `table.column` to its target, as a new one is named.
pub fn fk_name(state: &ProjectState, table: &str, column: &str, f: &Field) -> Result<String> {
    let target = super::target(state, f)?;
    let (to_col, _) = pk_column(target)?;
    Ok(foreign_key_name(table, column, &target.table_name(), &to_col))
}

/// The join table of a many-to-many field, and its two columns.
pub fn join_table(state: &ProjectState, m: &ModelState, field: &str, f: &Field) -> Result<(String, String, String)> {
    let target = super::target(state, f)?;
    let (from_col, to_col) = m2m_columns(&m.name, &target.name);
    Ok((m2m_table(&m.table_name(), field), from_col, to_col))
}

/// Every object the model implies, including those of its join tables and the foreign keys of
/// other models that point at it.
pub fn derived(state: &ProjectState, m: &ModelState) -> Result<Vec<Derived>> {
    let mut out = Vec::new();
    let table = m.table_name();
    let mut add = |role: String, kind, table: &str, name: String| out.push(Derived { role, kind, table: table.to_string(), name });
    add("pkey".into(), ObjectKind::Constraint, &table, pg_default_name(&table, None, "pkey"));
    for (fname, f) in &m.fields {
        let Some(col) = f.column(fname) else {
            if f.makes_join_table() {
                let (jt, a, b) = join_table(state, m, fname, f)?;
                let r = |s: &str| format!("m2m:{fname}:{s}");
                add(r("pkey"), ObjectKind::Constraint, &jt, pg_default_name(&jt, None, "pkey"));
                add(r("uniq"), ObjectKind::Constraint, &jt, unique_together_name(&jt, &[&a, &b]));
                let target = super::target(state, f)?;
                let join_fk = |side: &str, col: &str, to: &ModelState| {
                    fk_name_of(state, m, &format!("{fname}:{side}"), &jt, col, &f.join_foreign_key(to.label()))
                };
                add(r("fk_from"), ObjectKind::Constraint, &jt, join_fk("from", &a, m)?);
                add(r("fk_to"), ObjectKind::Constraint, &jt, join_fk("to", &b, target)?);
                add(r("idx_from"), ObjectKind::Index, &jt, field_index_name(&jt, &a));
                add(r("idx_to"), ObjectKind::Index, &jt, field_index_name(&jt, &b));
                if is_textual(pk_column(m)?.1) {
                    add(r("like_from"), ObjectKind::Index, &jt, like_index_name(&jt, &a));
                }
                if is_textual(pk_column(target)?.1) {
                    add(r("like_to"), ObjectKind::Index, &jt, like_index_name(&jt, &b));
                }
            }
            continue;
        };
        if f.is_unique() && !f.primary_key {
            add(format!("key:{fname}"), ObjectKind::Constraint, &table, unique_name(m, fname, &table, &col));
        }
        if f.ty == FieldType::ForeignKey {
            add(format!("fk:{fname}"), ObjectKind::Constraint, &table, fk_name_of(state, m, fname, &table, &col, f)?);
        }
        if f.has_index() {
            add(format!("idx:{fname}"), ObjectKind::Index, &table, field_index_name(&table, &col));
        }
        if needs_like_index(state, f) {
            add(format!("like:{fname}"), ObjectKind::Index, &table, like_index_name(&table, &col));
        }
    }
    // Foreign keys and join tables elsewhere whose names carry this model's table or name.
    for other in state.models() {
        if other.label() == m.label() {
            continue;
        }
        for (fname, f) in other.m2m_fields() {
            if f.to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(&m.label())) {
                let (jt, a, b) = join_table(state, other, fname, f)?;
                let r = |s: &str| format!("in-m2m:{}:{fname}:{s}", other.label());
                out.push(Derived {
                    role: r("uniq"),
                    kind: ObjectKind::Constraint,
                    table: jt.clone(),
                    name: unique_together_name(&jt, &[&a, &b]),
                });
                out.push(Derived {
                    role: r("fk_to"),
                    kind: ObjectKind::Constraint,
                    table: jt.clone(),
                    name: foreign_key_name(&jt, &b, &m.table_name(), &pk_column(m)?.0),
                });
                out.push(Derived { role: r("idx_to"), kind: ObjectKind::Index, table: jt.clone(), name: field_index_name(&jt, &b) });
                if is_textual(pk_column(m)?.1) {
                    out.push(Derived { role: r("like_to"), kind: ObjectKind::Index, table: jt.clone(), name: like_index_name(&jt, &b) });
                }
            }
        }
        for (fname, f) in &other.fields {
            if f.ty == FieldType::ForeignKey && f.to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(&m.label())) {
                let ot = other.table_name();
                let col = f.column(fname).unwrap_or_default();
                out.push(Derived {
                    role: format!("in:{}:{fname}", other.label()),
                    kind: ObjectKind::Constraint,
                    table: ot.clone(),
                    name: fk_name_of(state, other, fname, &ot, &col, f)?,
                });
            }
        }
    }
    Ok(out)
}

/// A join table touched by a model's rename: its old and new names and columns.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinTableRename {
    /// (table, from column, to column) before.
    pub old: (String, String, String),
    /// (table, from column, to column) after.
    pub new: (String, String, String),
}

impl JoinTableRename {
    /// Whether anything about it changes.
    pub fn changes(&self) -> bool {
        self.old != self.new
    }
}

/// The join tables whose name or columns follow a model's name or table: its own many-to-many
/// fields' tables, and the tables of other models' many-to-many fields pointing at it.
pub fn join_table_renames(before: &ProjectState, mb: &ModelState, after: &ProjectState, ma: &ModelState) -> Result<Vec<JoinTableRename>> {
    let mut out = Vec::new();
    for (fname, f) in mb.m2m_fields() {
        let nf = ma.field(fname).unwrap_or(f);
        out.push(JoinTableRename { old: join_table(before, mb, fname, f)?, new: join_table(after, ma, fname, nf)? });
    }
    for other in before.models() {
        if other.label() == mb.label() {
            continue;
        }
        for (fname, f) in other.m2m_fields() {
            if !f.to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(&mb.label())) {
                continue;
            }
            let Some(oa) = after.get(&other.app, &other.name) else { continue };
            let Some(af) = oa.field(fname) else { continue };
            out.push(JoinTableRename { old: join_table(before, other, fname, f)?, new: join_table(after, oa, fname, af)? });
        }
    }
    out.retain(JoinTableRename::changes);
    Ok(out)
}
