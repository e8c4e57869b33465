//! SQLite DDL. What ALTER TABLE cannot do (change a column, drop one, add a constraint) is a table
//! rebuild: create the new table, copy the rows, drop the old one, rename the new one, recreate
//! the indexes. The executor runs it inside the migration's transaction with foreign keys off and
//! checks them (`PRAGMA foreign_key_check`) before committing, so no row is lost or left dangling.

use teapot_schema::{ConstraintKind, DefaultFn, Field, FieldType, Literal, ModelState, ProjectState};

use super::lower::model;
use super::objects::{field_index_name, join_table};
use super::{pk_column, quote, target, Rendered};
use crate::Operation;
use teapot_core::{Error, ErrorKind, Result};

/// The column type of a field.
pub fn column_type(state: &ProjectState, f: &Field) -> Result<String> {
    Ok(match f.ty {
        // Django's types for the positive fields (PositiveSmallIntegerField ...).
        FieldType::Smallint if f.positive => "smallint unsigned".into(),
        FieldType::Integer if f.positive => "integer unsigned".into(),
        FieldType::Bigint if f.positive => "bigint unsigned".into(),
        FieldType::Smallint | FieldType::Integer | FieldType::Bigint => "integer".into(),
        FieldType::Boolean => "bool".into(),
        FieldType::Float => "real".into(),
        FieldType::String => match f.max_length {
            Some(n) => format!("varchar({n})"),
            None => "text".into(),
        },
        FieldType::Decimal => "decimal".into(),
        FieldType::Date => "date".into(),
        FieldType::Time => "time".into(),
        FieldType::Datetime | FieldType::NaiveDatetime => "datetime".into(),
        FieldType::Uuid => "char(32)".into(),
        FieldType::Json => "text".into(),
        FieldType::Binary => "blob".into(),
        // Django's: microseconds in a bigint, an address as text.
        FieldType::Duration => "bigint".into(),
        FieldType::IpAddress => "char(39)".into(),
        FieldType::ForeignKey => {
            let t = target(state, f)?;
            let (_, pk) = pk_column(t)?;
            column_type(state, pk)?
        }
        FieldType::ManyToMany => return Err(Error::new(ErrorKind::MigrationFile, "a many-to-many field has no column")),
    })
}

fn column_sql(state: &ProjectState, col: &str, f: &Field) -> Result<String> {
    let mut s = format!("{} {}", quote(col), column_type(state, f)?);
    if let Some(expr) = &f.generated {
        // Django casts a decimal expression to NUMERIC on SQLite (which has no decimal type).
        let expr = if f.ty == FieldType::Decimal { format!("(CAST({expr} AS NUMERIC))") } else { expr.clone() };
        s.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED"));
    } else {
        if let Some(d) = f.database_default() {
            // SQLite takes an expression default only in parentheses.
            s.push_str(&format!(" DEFAULT ({d})"));
        }
        s.push_str(if f.null { " NULL" } else { " NOT NULL" });
    }
    if f.primary_key {
        s.push_str(" PRIMARY KEY");
        if f.auto {
            s.push_str(" AUTOINCREMENT");
        }
    } else if f.is_unique() {
        s.push_str(" UNIQUE");
    }
    if f.ty == FieldType::ForeignKey {
        s.push_str(&format!(" {}", references(state, f)?));
    }
    if let Some(check) = f.column_check(col) {
        s.push_str(&format!(" CHECK ({check})"));
    }
    Ok(s)
}

fn references(state: &ProjectState, f: &Field) -> Result<String> {
    let t = target(state, f)?;
    let (to_col, _) = pk_column(t)?;
    let on_delete = f.on_delete_clause();
    Ok(format!("REFERENCES {} ({}){on_delete} DEFERRABLE INITIALLY DEFERRED", quote(&t.table_name()), quote(&to_col)))
}

/// CREATE TABLE for a model's state, under the given table name.
fn table_sql(state: &ProjectState, m: &ModelState, table: &str) -> Result<String> {
    let mut defs = Vec::new();
    for (_, f, col) in m.concrete_fields() {
        defs.push(column_sql(state, &col, f)?);
    }
    for c in m.constraints.iter().filter(|c| !c.kind.is_unique_index()) {
        match &c.kind {
            ConstraintKind::Unique { fields, .. } => {
                let cols: Vec<String> = fields.iter().map(|f| quote(&m.column_of(f).unwrap_or_default())).collect();
                defs.push(format!("CONSTRAINT {} UNIQUE ({})", quote(&c.name), cols.join(", ")));
            }
            ConstraintKind::Check { check } => defs.push(format!("CONSTRAINT {} CHECK ({check})", quote(&c.name))),
        }
    }
    Ok(format!("CREATE TABLE {} ({});", quote(table), defs.join(", ")))
}

/// Every index of a model: field indexes (db_index, foreign keys), declared ones, and the unique
/// constraints that are indexes (with a condition or expressions, as Django makes them).
fn index_sqls(m: &ModelState) -> Result<Vec<String>> {
    let table = m.table_name();
    let mut out = Vec::new();
    for (_, f, col) in m.concrete_fields() {
        if f.has_index() {
            out.push(format!("CREATE INDEX {} ON {} ({});", quote(&field_index_name(&table, &col)), quote(&table), quote(&col)));
        }
    }
    for idx in &m.indexes {
        out.push(index_sql(m, idx)?);
    }
    for c in m.constraints.iter().filter(|c| c.kind.is_unique_index()) {
        out.push(unique_index_sql(m, c)?);
    }
    Ok(out)
}

/// A unique constraint with a condition or expressions: a unique index, as Django makes it.
fn unique_index_sql(m: &ModelState, c: &teapot_schema::Constraint) -> Result<String> {
    let (columns, options) = super::lower::unique_index_parts(m, c)?;
    let condition = options.condition.map(|w| format!(" WHERE {w}")).unwrap_or_default();
    Ok(format!("CREATE UNIQUE INDEX {} ON {} ({columns}){condition};", quote(&c.name), quote(&m.table_name())))
}

/// What a rebuild of `mb`'s table into `ma`'s leaves to the executor.
fn rebuilt(mb: &ModelState, ma: &ModelState) -> super::Rebuild {
    let mut declared = index_names(mb);
    declared.extend(index_names(ma));
    declared.sort();
    declared.dedup();
    super::Rebuild { table: ma.table_name(), declared }
}

fn index_names(m: &ModelState) -> Vec<String> {
    let table = m.table_name();
    let mut out: Vec<String> =
        m.concrete_fields().filter(|(_, f, _)| f.has_index()).map(|(_, _, c)| field_index_name(&table, &c)).collect();
    out.extend(m.indexes.iter().map(|i| i.name.clone()));
    out.extend(m.constraints.iter().filter(|c| c.kind.is_unique_index()).map(|c| c.name.clone()));
    out
}

/// A declared index on SQLite, as Django writes it there: the condition kept (SQLite has partial
/// indexes), INCLUDE and operator classes left out (SQLite has neither; Django drops them too).
/// An access method other than btree is refused: SQLite has no `USING`, and Django's GinIndex
/// and the like fail there.
fn index_sql(m: &ModelState, idx: &teapot_schema::Index) -> Result<String> {
    if let Some(method) = idx.method.as_deref().filter(|m| *m != "btree") {
        return Err(Error::new(
            ErrorKind::MigrationFile,
            format!(
                "index {} of {} has type = \"{method}\", which SQLite does not have (it has btree indexes only); \
                 leave the type out, or use PostgreSQL",
                idx.name,
                m.label()
            ),
        ));
    }
    let cols: Vec<String> = idx
        .fields
        .iter()
        .map(|f| {
            let c = quote(&m.column_of(f).unwrap_or_default());
            if f.starts_with('-') {
                format!("{c} DESC")
            } else {
                c
            }
        })
        .collect();
    let condition = idx.condition.as_deref().map(|w| format!(" WHERE {w}")).unwrap_or_default();
    Ok(format!("CREATE INDEX {} ON {} ({}){condition};", quote(&idx.name), quote(&m.table_name()), cols.join(", ")))
}

fn create_join_table(state: &ProjectState, m: &ModelState, field: &str, f: &Field) -> Result<Vec<String>> {
    let (jt, a, b) = join_table(state, m, field, f)?;
    let t = target(state, f)?;
    let from_fk = f.join_foreign_key(m.label());
    let to_fk = f.join_foreign_key(t.label());
    Ok(vec![
        format!(
            "CREATE TABLE {} (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, {}, {});",
            quote(&jt),
            column_sql(state, &a, &from_fk)?,
            column_sql(state, &b, &to_fk)?
        ),
        format!(
            "CREATE UNIQUE INDEX {} ON {} ({}, {});",
            quote(&teapot_schema::naming::unique_together_name(&jt, &[&a, &b])),
            quote(&jt),
            quote(&a),
            quote(&b)
        ),
        format!("CREATE INDEX {} ON {} ({});", quote(&field_index_name(&jt, &a)), quote(&jt), quote(&a)),
        format!("CREATE INDEX {} ON {} ({});", quote(&field_index_name(&jt, &b)), quote(&jt), quote(&b)),
    ])
}

/// A join table rebuilt into the shape `nf` gives it (its foreign keys' actions), its rows kept.
fn rebuild_join_table(
    before: &ProjectState,
    mb: &ModelState,
    after: &ProjectState,
    ma: &ModelState,
    name: &str,
    of: &Field,
    nf: &Field,
) -> Result<Vec<String>> {
    let (ojt, oa, ob) = join_table(before, mb, name, of)?;
    let (jt, a, b) = join_table(after, ma, name, nf)?;
    let temp = format!("new__{jt}");
    let mut made = create_join_table(after, ma, name, nf)?.into_iter();
    let create = made.next().unwrap_or_default().replacen(&quote(&jt), &quote(&temp), 1);
    let mut out = vec![
        create,
        format!(
            "INSERT INTO {} (\"id\", {}, {}) SELECT \"id\", {}, {} FROM {};",
            quote(&temp),
            quote(&a),
            quote(&b),
            quote(&oa),
            quote(&ob),
            quote(&ojt)
        ),
        format!("DROP TABLE {};", quote(&ojt)),
        format!("ALTER TABLE {} RENAME TO {};", quote(&temp), quote(&jt)),
    ];
    out.extend(made);
    Ok(out)
}

/// Where a column of the rebuilt table takes its values from.
enum Source {
    /// An old column, with a value for its NULLs when it became NOT NULL (SQL).
    Column(String, Option<String>),
    /// A value for every row (SQL: a literal, or a callable default's expression).
    Value(String),
}

/// What a callable default gives the rows a rebuild fills, on SQLite: a new uuid per row (32 hex
/// digits, version 4, as Django stores a uuid there), the moment and the date (UTC, in the form
/// teapot stores them), the empty JSON. The column keeps no default.
fn default_fn_sql(c: DefaultFn) -> String {
    match c {
        DefaultFn::Uuid4 => "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || \
             substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || hex(randomblob(6)))"
            .into(),
        DefaultFn::Now => "CURRENT_TIMESTAMP".into(),
        DefaultFn::Today => "CURRENT_DATE".into(),
        DefaultFn::Dict => "'{}'".into(),
        DefaultFn::List => "'[]'".into(),
    }
}

/// The SQL that fills a column's rows: a one-off value, the field's literal default, or its
/// callable default.
fn fill_sql(one_off: Option<&Literal>, f: &Field) -> Option<String> {
    one_off.or(f.default.as_ref()).map(Literal::to_sql).or_else(|| f.default_fn.map(default_fn_sql))
}

/// Rebuilds `after`'s table from `before`'s rows. `sources` maps new columns to where their values
/// come from; a new column without a source takes its database default (or NULL).
fn rebuild(mb: &ModelState, after: &ProjectState, ma: &ModelState, sources: &[(String, Source)]) -> Result<Vec<String>> {
    let table = ma.table_name();
    let temp = format!("new__{table}");
    let mut out = vec![table_sql(after, ma, &temp)?];
    let (mut cols, mut exprs) = (Vec::new(), Vec::new());
    for (col, src) in sources {
        cols.push(quote(col));
        exprs.push(match src {
            Source::Column(old, None) => quote(old),
            Source::Column(old, Some(v)) => format!("coalesce({}, {v})", quote(old)),
            Source::Value(v) => v.clone(),
        });
    }
    if !cols.is_empty() {
        out.push(format!(
            "INSERT INTO {} ({}) SELECT {} FROM {};",
            quote(&temp),
            cols.join(", "),
            exprs.join(", "),
            quote(&mb.table_name())
        ));
    }
    out.push(format!("DROP TABLE {};", quote(&mb.table_name())));
    out.push(format!("ALTER TABLE {} RENAME TO {};", quote(&temp), quote(&table)));
    out.extend(index_sqls(ma)?);
    Ok(out)
}

/// The sources of a rebuild where columns keep their names (and values). A generated column
/// takes no value: the database computes it in the new table.
fn same_columns(mb: &ModelState, ma: &ModelState) -> Vec<(String, Source)> {
    ma.concrete_fields()
        .filter(|(_, f, _)| f.generated.is_none())
        .filter_map(|(name, _, col)| {
            mb.field(name).filter(|of| of.generated.is_none()).and_then(|of| of.column(name)).map(|oc| (col, Source::Column(oc, None)))
        })
        .collect()
}

/// Renders an operation forwards.
pub fn render(app: &str, op: &Operation, before: &ProjectState, after: &ProjectState) -> Result<Rendered> {
    use Operation::*;
    let mut r = Rendered::default();
    if super::unmanaged(app, op, before, after) {
        return Ok(r);
    }
    match op {
        CreateModel { name, .. } => {
            let m = model(after, app, name)?;
            r.now.push(table_sql(after, m, &m.table_name())?);
            r.now.extend(index_sqls(m)?);
            for (fname, f) in m.m2m_fields() {
                r.now.extend(create_join_table(after, m, fname, f)?);
            }
        }
        DeleteModel { name } => {
            let m = model(before, app, name)?;
            for (fname, f) in m.m2m_fields() {
                r.now.push(format!("DROP TABLE {};", quote(&join_table(before, m, fname, f)?.0)));
            }
            r.now.push(format!("DROP TABLE {};", quote(&m.table_name())));
        }
        RenameModel { old_name, new_name } => {
            let (mb, ma) = (model(before, app, old_name)?, model(after, app, new_name)?);
            r.now.extend(rename_table(before, mb, after, ma)?);
        }
        AlterModelTable { name, .. } => {
            let (mb, ma) = (model(before, app, name)?, model(after, app, name)?);
            r.now.extend(rename_table(before, mb, after, ma)?);
        }
        AddField { model: mn, name, field: f, one_off_default } => {
            let (mb, ma) = (model(before, app, mn)?, model(after, app, mn)?);
            if f.ty == FieldType::ManyToMany {
                if f.makes_join_table() {
                    r.now.extend(create_join_table(after, ma, name, f)?);
                }
                return Ok(r);
            }
            let col = f.column(name).unwrap_or_default();
            // SQLite adds a plain nullable column; a stored generated one, a default or a unique
            // column needs the table rebuilt (as Django rebuilds it).
            let simple = f.null
                && !f.is_unique()
                && f.db_default.is_none()
                && f.default.is_none()
                && f.default_fn.is_none()
                && f.generated.is_none()
                && one_off_default.is_none();
            if simple {
                r.now.push(format!("ALTER TABLE {} ADD COLUMN {};", quote(&ma.table_name()), column_sql(after, &col, f)?));
                if f.has_index() {
                    r.now.push(format!(
                        "CREATE INDEX {} ON {} ({});",
                        quote(&field_index_name(&ma.table_name(), &col)),
                        quote(&ma.table_name()),
                        quote(&col)
                    ));
                }
            } else {
                let mut sources = same_columns(mb, ma);
                if let Some(v) = fill_sql(one_off_default.as_ref(), f).filter(|_| f.generated.is_none()) {
                    sources.push((col, Source::Value(v)));
                }
                r.now.extend(rebuild(mb, after, ma, &sources)?);
                r.rebuilt.push(rebuilt(mb, ma));
            }
        }
        RemoveField { model: mn, name } => {
            let (mb, ma) = (model(before, app, mn)?, model(after, app, mn)?);
            let f = mb.field(name).ok_or_else(|| Error::new(ErrorKind::MigrationFile, format!("field {mn}.{name} does not exist")))?;
            if f.ty == FieldType::ManyToMany {
                if f.makes_join_table() {
                    r.now.push(format!("DROP TABLE {};", quote(&join_table(before, mb, name, f)?.0)));
                }
            } else {
                r.now.extend(rebuild(mb, after, ma, &same_columns(mb, ma))?);
                r.rebuilt.push(rebuilt(mb, ma));
            }
        }
        AlterField { model: mn, name, one_off_default, .. } => {
            let (mb, ma) = (model(before, app, mn)?, model(after, app, mn)?);
            let (of, nf) = (mb.field(name), ma.field(name));
            if let (Some(of), Some(nf)) = (of, nf) {
                if of.generated != nf.generated {
                    return Err(Error::new(
                        ErrorKind::MigrationFile,
                        format!("alter_field of {}.{name} changes its generated expression (or whether it is generated)", ma.label()),
                    )
                    .hint("remove the field and add it again (makemigrations writes remove_field + add_field for such a change)"));
                }
                // A join table altered in place changes only who does its CASCADE: rebuilt with
                // the new foreign keys.
                if of.ty == FieldType::ManyToMany && nf.ty == FieldType::ManyToMany && of.orm_on_delete != nf.orm_on_delete {
                    r.now.extend(rebuild_join_table(before, mb, after, ma, name, of, nf)?);
                    return Ok(r);
                }
                // Choices and auto_now live in the state only (Django's non_db_attrs): no rebuild.
                if of.ty == FieldType::ManyToMany || nf.ty == FieldType::ManyToMany || of.same_in_database(nf) {
                    return Ok(r);
                }
                let fill = if of.null && !nf.null { fill_sql(one_off_default.as_ref(), nf) } else { None };
                let sources: Vec<(String, Source)> = same_columns(mb, ma)
                    .into_iter()
                    .map(|(col, src)| match src {
                        Source::Column(old, _) if Some(col.clone()) == nf.column(name) => (col, Source::Column(old, fill.clone())),
                        other => (col, other),
                    })
                    .collect();
                r.now.extend(rebuild(mb, after, ma, &sources)?);
                r.rebuilt.push(rebuilt(mb, ma));
                // A key whose type changes takes the foreign key columns pointing at it along:
                // their tables are rebuilt with the new type too.
                if of.primary_key && nf.primary_key && column_type(before, of)? != column_type(after, nf)? {
                    for ob in before.models().filter(|o| o.managed && o.label() != mb.label()) {
                        let points_here = ob.fields.iter().any(|(_, f)| {
                            f.ty == FieldType::ForeignKey && f.to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(&ma.label()))
                        });
                        if let (true, Some(oa)) = (points_here, after.get(&ob.app, &ob.name)) {
                            r.now.extend(rebuild(ob, after, oa, &same_columns(ob, oa))?);
                            r.rebuilt.push(rebuilt(ob, oa));
                        }
                    }
                }
            }
        }
        RenameField { model: mn, old_name, new_name } => {
            let (mb, ma) = (model(before, app, mn)?, model(after, app, mn)?);
            let nf = ma.field(new_name).ok_or_else(|| Error::new(ErrorKind::MigrationFile, format!("field {mn}.{new_name} missing")))?;
            if nf.ty == FieldType::ManyToMany {
                if !nf.makes_join_table() {
                    return Ok(r);
                }
                let of = mb.field(old_name).unwrap_or(nf);
                let (ot, _, _) = join_table(before, mb, old_name, of)?;
                let (nt, a, b) = join_table(after, ma, new_name, nf)?;
                if ot != nt {
                    r.now.push(format!("ALTER TABLE {} RENAME TO {};", quote(&ot), quote(&nt)));
                    for c in [&a, &b] {
                        r.now.push(format!("DROP INDEX IF EXISTS {};", quote(&field_index_name(&ot, c))));
                        r.now.push(format!("CREATE INDEX {} ON {} ({});", quote(&field_index_name(&nt, c)), quote(&nt), quote(c)));
                    }
                }
                return Ok(r);
            }
            let sources: Vec<(String, Source)> = ma
                .concrete_fields()
                .filter_map(|(n, _, col)| {
                    let old = if n == new_name { old_name.as_str() } else { n };
                    mb.field(old).and_then(|f| f.column(old)).map(|oc| (col, Source::Column(oc, None)))
                })
                .collect();
            r.now.extend(rebuild(mb, after, ma, &sources)?);
            r.rebuilt.push(rebuilt(mb, ma));
        }
        AddIndex { model: mn, index } => r.now.push(index_sql(model(after, app, mn)?, index)?),
        RemoveIndex { name, .. } => r.now.push(format!("DROP INDEX IF EXISTS {};", quote(name))),
        RenameIndex { model: mn, old_name, new_name } => {
            let m = model(after, app, mn)?;
            let idx = m
                .indexes
                .iter()
                .find(|i| &i.name == new_name)
                .ok_or_else(|| Error::new(ErrorKind::MigrationFile, format!("index {new_name} missing")))?;
            r.now.push(format!("DROP INDEX IF EXISTS {};", quote(old_name)));
            r.now.push(index_sql(m, idx)?);
        }
        AddConstraint { model: mn, constraint } if constraint.kind.is_unique_index() => {
            r.now.push(unique_index_sql(model(after, app, mn)?, constraint)?)
        }
        RemoveConstraint { model: mn, name }
            if model(before, app, mn)?.constraints.iter().any(|c| &c.name == name && c.kind.is_unique_index()) =>
        {
            r.now.push(format!("DROP INDEX IF EXISTS {};", quote(name)))
        }
        AddConstraint { model: mn, .. } | RemoveConstraint { model: mn, .. } => {
            let (mb, ma) = (model(before, app, mn)?, model(after, app, mn)?);
            r.now.extend(rebuild(mb, after, ma, &same_columns(mb, ma))?);
            r.rebuilt.push(rebuilt(mb, ma));
        }
        RunSql { sql, .. } => r.now.push(sql.clone()),
        Backfill { model: mn, set, filter, .. } => {
            let table = quote(&model(after, app, mn)?.table_name());
            r.now.push(match filter {
                Some(w) => format!("UPDATE {table} SET {set} WHERE {w};"),
                None => format!("UPDATE {table} SET {set};"),
            })
        }
    }
    Ok(r)
}

/// A table renamed with ALTER TABLE (which rewrites the references other tables hold), its join
/// tables with it, and its indexes recreated under their new names.
fn rename_table(before: &ProjectState, mb: &ModelState, after: &ProjectState, ma: &ModelState) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let (ot, nt) = (mb.table_name(), ma.table_name());
    if ot != nt {
        out.push(format!("ALTER TABLE {} RENAME TO {};", quote(&ot), quote(&nt)));
    }
    for name in index_names(mb) {
        out.push(format!("DROP INDEX IF EXISTS {};", quote(&name)));
    }
    out.extend(index_sqls(ma)?);
    let uniq = teapot_schema::naming::unique_together_name;
    for j in super::objects::join_table_renames(before, mb, after, ma)? {
        let ((ojt, ofrom, oto), (njt, nfrom, nto)) = (&j.old, &j.new);
        if ojt != njt {
            out.push(format!("ALTER TABLE {} RENAME TO {};", quote(ojt), quote(njt)));
        }
        for (o, n) in [(ofrom, nfrom), (oto, nto)] {
            if o != n {
                out.push(format!("ALTER TABLE {} RENAME COLUMN {} TO {};", quote(njt), quote(o), quote(n)));
            }
        }
        // Indexes keep their names across renames in SQLite: drop and make them under the new ones.
        for c in [ofrom, oto] {
            out.push(format!("DROP INDEX IF EXISTS {};", quote(&field_index_name(ojt, c))));
        }
        out.push(format!("DROP INDEX IF EXISTS {};", quote(&uniq(ojt, &[ofrom, oto]))));
        for c in [nfrom, nto] {
            out.push(format!("CREATE INDEX {} ON {} ({});", quote(&field_index_name(njt, c)), quote(njt), quote(c)));
        }
        out.push(format!("CREATE UNIQUE INDEX {} ON {} ({}, {});", quote(&uniq(njt, &[nfrom, nto])), quote(njt), quote(nfrom), quote(nto)));
    }
    Ok(out)
}
