//! The schema a migration state implies, rendered for one dialect and applied nowhere: every
//! table, column, key, index and constraint with the name the renderers give it (Django's names,
//! truncated and hashed as Django does: [`crate::backend::objects`]). Drift compares it with the
//! live schema ([`crate::backend::introspect::schema`]).
//!
//! It mirrors what `migrate` builds for each model: `backend::lower` (PostgreSQL) and
//! `backend::sqlite` create the same objects from the same functions (`column_type`,
//! `field_index_name`, `like_index_name`, `fk_name`, `join_table`, `pg_default_name`), and names
//! follow from the state alone (a rename renames what derives from it), so the state after the
//! applied migrations is enough to know what the database holds.

use teapot_schema::{ConstraintKind, Field, FieldType, ModelState, OnDelete, ProjectState};

use crate::backend::introspect::{Check, Column, ForeignKey, Index, Key, Schema, Table};
use crate::backend::objects::{
    field_index_name, fk_name_of, join_table, like_index_name, like_ops, pg_default_name, positive_check_name, unique_name,
};
use crate::backend::{pk_column, postgres, sqlite, target, Dialect};
use teapot_core::Result;

fn column_type(dialect: Dialect, state: &ProjectState, f: &Field) -> Result<String> {
    match dialect {
        Dialect::Postgres => postgres::column_type(state, f),
        Dialect::Sqlite => sqlite::column_type(state, f),
    }
}

/// The action the constraint has in the database (NO ACTION where the ORM does the action).
fn on_delete(f: &Field) -> String {
    f.database_on_delete().unwrap_or(OnDelete::DoNothing).sql().to_string()
}

/// The names of the tables of models with `managed = false`: no migration touches them, drift
/// neither compares them nor calls them undeclared.
pub fn unmanaged_tables(state: &ProjectState) -> Vec<String> {
    state.models().filter(|m| !m.managed).map(ModelState::table_name).collect()
}

/// The schema the state implies on `dialect`.
pub fn expected_schema(state: &ProjectState, dialect: Dialect) -> Result<Schema> {
    let mut schema = Schema::default();
    for m in state.models().filter(|m| m.managed) {
        model(&mut schema, state, m, dialect)?;
    }
    Ok(schema)
}

fn model(schema: &mut Schema, state: &ProjectState, m: &ModelState, dialect: Dialect) -> Result<()> {
    let pg = dialect == Dialect::Postgres;
    let table = m.table_name();
    let mut t = Table::default();
    for (fname, f, col) in m.concrete_fields() {
        t.columns.insert(
            col.clone(),
            Column {
                ty: column_type(dialect, state, f)?,
                // A generated column is never NOT NULL (Django's DDL says neither); PostgreSQL
                // shows its expression where a default is, SQLite shows nothing.
                null: f.null || f.generated.is_some(),
                default: match &f.generated {
                    Some(expr) => pg.then(|| postgres::generated_clause(expr)),
                    None => f.database_default(),
                },
                identity: f.auto && (pg || f.primary_key),
            },
        );
        if f.primary_key {
            t.primary_key = Some(Key { name: pg.then(|| pg_default_name(&table, None, "pkey")), columns: vec![col.clone()] });
        } else if f.is_unique() {
            t.uniques.push(Key { name: pg.then(|| unique_name(m, fname, &table, &col)), columns: vec![col.clone()] });
        }
        if f.ty == FieldType::ForeignKey {
            let to = target(state, f)?;
            t.foreign_keys.push(ForeignKey {
                name: if pg { Some(fk_name_of(state, m, fname, &table, &col, f)?) } else { None },
                columns: vec![col.clone()],
                to_table: to.table_name(),
                to_columns: vec![pk_column(to)?.0],
                on_delete: on_delete(f),
                deferred: Some(true),
                valid: true,
            });
        }
        if let Some(expr) = f.column_check(&col) {
            t.checks.push(Check { name: pg.then(|| positive_check_name(m, fname, &table, &col)), expr, valid: true });
        }
        if f.has_index() {
            t.indexes.push(index(field_index_name(&table, &col), vec![col.clone()], false, dialect));
        }
        if let Some(ops) = like_ops(state, f).filter(|_| pg) {
            t.indexes.push(index(like_index_name(&table, &col), vec![format!("{col} {ops}")], false, dialect));
        }
    }
    let pg = dialect == Dialect::Postgres;
    for idx in &m.indexes {
        // SQLite has neither INCLUDE nor operator classes: the renderer leaves them out there.
        let cols = idx
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut col = m.column_of(f).unwrap_or_else(|| f.trim_start_matches('-').to_string());
                if let Some(op) = idx.opclasses.get(i).filter(|_| pg) {
                    col = format!("{col} {op}");
                }
                if f.starts_with('-') {
                    format!("{col} DESC")
                } else {
                    col
                }
            })
            .collect();
        let mut i = index(idx.name.clone(), cols, false, dialect);
        if pg {
            i.method = Some(idx.method.clone().unwrap_or_else(|| "btree".to_string()));
            i.include = idx.include.iter().map(|f| m.column_of(f).unwrap_or_else(|| f.clone())).collect();
        }
        i.condition = idx.condition.clone();
        t.indexes.push(i);
    }
    for c in &m.constraints {
        match &c.kind {
            // A unique constraint with a condition or expressions is a unique index (as Django
            // makes it); SQLite names no column of an expression.
            ConstraintKind::Unique { fields, condition, expressions } if c.kind.is_unique_index() => {
                let mut columns: Vec<String> = fields.iter().map(|f| m.column_of(f).unwrap_or_else(|| f.clone())).collect();
                columns.extend(expressions.iter().map(|e| if pg { e.clone() } else { "<expression>".to_string() }));
                let mut i = index(c.name.clone(), columns, true, dialect);
                i.condition = condition.clone();
                t.indexes.push(i);
            }
            ConstraintKind::Unique { fields, .. } => {
                let columns = fields.iter().map(|f| m.column_of(f).unwrap_or_else(|| f.clone())).collect();
                t.uniques.push(Key { name: Some(c.name.clone()), columns });
            }
            ConstraintKind::Check { check } => t.checks.push(Check { name: Some(c.name.clone()), expr: check.clone(), valid: true }),
        }
    }
    schema.tables.insert(table, t);
    for (fname, f) in m.m2m_fields() {
        join(schema, state, m, fname, f, dialect)?;
    }
    Ok(())
}

fn index(name: String, columns: Vec<String>, unique: bool, dialect: Dialect) -> Index {
    let method = (dialect == Dialect::Postgres).then(|| "btree".to_string());
    Index { name, columns, unique, method, valid: true, ..Index::default() }
}

/// A many-to-many field's join table: `id`, the two key columns, a unique pair (a constraint on
/// PostgreSQL, a unique index on SQLite), two foreign keys ON DELETE CASCADE (NO ACTION when the ORM cascades) and an index each.
fn join(schema: &mut Schema, state: &ProjectState, m: &ModelState, fname: &str, f: &Field, dialect: Dialect) -> Result<()> {
    let pg = dialect == Dialect::Postgres;
    let (jt, a, b) = join_table(state, m, fname, f)?;
    let to = target(state, f)?;
    let from_fk = f.join_foreign_key(m.label());
    let to_fk = f.join_foreign_key(to.label());
    let mut t = Table::default();
    let id_type = if pg { f.join_key_type().as_str() } else { "integer" };
    t.columns.insert("id".into(), Column { ty: id_type.into(), null: false, default: None, identity: true });
    t.primary_key = Some(Key { name: pg.then(|| pg_default_name(&jt, None, "pkey")), columns: vec!["id".into()] });
    let uniq = teapot_schema::naming::unique_together_name(&jt, &[&a, &b]);
    if pg {
        t.uniques.push(Key { name: Some(uniq), columns: vec![a.clone(), b.clone()] });
    } else {
        t.indexes.push(index(uniq, vec![a.clone(), b.clone()], true, dialect));
    }
    for (side, col, fk, model) in [("from", &a, &from_fk, m), ("to", &b, &to_fk, to)] {
        t.columns.insert(col.clone(), Column { ty: column_type(dialect, state, fk)?, null: false, default: None, identity: false });
        t.foreign_keys.push(ForeignKey {
            name: if pg { Some(fk_name_of(state, m, &format!("{fname}:{side}"), &jt, col, fk)?) } else { None },
            columns: vec![col.clone()],
            to_table: model.table_name(),
            to_columns: vec![pk_column(model)?.0],
            on_delete: on_delete(fk),
            deferred: Some(true),
            valid: true,
        });
        t.indexes.push(index(field_index_name(&jt, col), vec![col.clone()], false, dialect));
        if let Some(ops) = like_ops(state, fk).filter(|_| pg) {
            t.indexes.push(index(like_index_name(&jt, col), vec![format!("{col} {ops}")], false, dialect));
        }
    }
    schema.tables.insert(jt, t);
    Ok(())
}
