//! PostgreSQL DDL: the text of each primitive change ([`Change`]). A plain migrate's SQL is, for the
//! same models, statement for statement what Django 5.2 emits, except that foreign keys carry their
//! ON DELETE action (teapot enforces it in the database) and that renames also rename the indexes
//! and constraints whose names derive from the renamed thing. The online planner builds its
//! statements from the same functions, with CONCURRENTLY and NOT VALID asked for, not edited in.

use teapot_schema::{Field, FieldType, ProjectState};

use super::lower::{lower, needs_using, AddColumn, Change, IndexOptions};
pub use super::quote;
use super::{pk_column, target, Rendered};
use crate::Operation;
use teapot_core::{Error, ErrorKind, Result};

/// The column type of a field (a foreign key takes its target key's type).
pub fn column_type(state: &ProjectState, f: &Field) -> Result<String> {
    Ok(match f.ty {
        FieldType::Smallint => "smallint".into(),
        FieldType::Integer => "integer".into(),
        FieldType::Bigint => "bigint".into(),
        FieldType::Boolean => "boolean".into(),
        FieldType::Float => "double precision".into(),
        FieldType::String => match f.max_length {
            Some(n) => format!("varchar({n})"),
            None => "text".into(),
        },
        FieldType::Decimal => format!("numeric({}, {})", f.max_digits.unwrap_or(0), f.decimal_places.unwrap_or(0)),
        FieldType::Date => "date".into(),
        FieldType::Time => "time".into(),
        FieldType::Datetime => "timestamp with time zone".into(),
        // A teapot extension: Django's DateTimeField is always timestamptz.
        FieldType::NaiveDatetime => "timestamp without time zone".into(),
        FieldType::Uuid => "uuid".into(),
        FieldType::Json => "jsonb".into(),
        FieldType::Binary => "bytea".into(),
        FieldType::Duration => "interval".into(),
        FieldType::IpAddress => "inet".into(),
        FieldType::ForeignKey => {
            let t = target(state, f)?;
            let (_, pk) = pk_column(t)?;
            let mut key = pk.clone();
            key.auto = false;
            column_type(state, &key)?
        }
        FieldType::ManyToMany => {
            return Err(Error::new(ErrorKind::MigrationFile, "a many-to-many field has no column"));
        }
    })
}

pub(crate) fn base_type(t: &str) -> &str {
    t.split('(').next().unwrap_or(t)
}

pub(crate) fn references(state: &ProjectState, f: &Field) -> Result<String> {
    let t = target(state, f)?;
    let (to_col, _) = pk_column(t)?;
    let on_delete = f.on_delete_clause();
    Ok(format!("REFERENCES {} ({}){on_delete} DEFERRABLE INITIALLY DEFERRED", quote(&t.table_name()), quote(&to_col)))
}

/// Renders an operation forwards: its changes, each run now or deferred to the end of the migration.
pub fn render(app: &str, op: &Operation, before: &ProjectState, after: &ProjectState) -> Result<Rendered> {
    let mut r = Rendered::default();
    for l in lower(app, op, before, after)? {
        let sql = render_change(&l.change);
        if l.deferred {
            r.deferred.extend(sql);
        } else {
            r.now.extend(sql);
        }
    }
    Ok(r)
}

/// The statements of one change, as a plain migrate runs them.
pub fn render_change(change: &Change) -> Vec<String> {
    use Change::*;
    let alter = |table: &str, rest: String| format!("ALTER TABLE {} {rest};", quote(table));
    match change {
        CreateTable { table, columns } => vec![format!("CREATE TABLE {} ({});", quote(table), columns.join(", "))],
        DropTable { table } => vec![format!("DROP TABLE {} CASCADE;", quote(table))],
        RenameTable { from, to } => vec![alter(from, format!("RENAME TO {}", quote(to)))],
        AddColumn(c) => {
            let mut def = column_definition(c, true);
            if let Some(fk) = &c.foreign_key {
                def.push_str(&format!(" CONSTRAINT {} {}; SET CONSTRAINTS {} IMMEDIATE", quote(&fk.name), fk.references, quote(&fk.name)));
            }
            let mut out = vec![alter(&c.table, format!("ADD COLUMN {def}"))];
            if c.default.as_ref().is_some_and(|d| !d.kept) {
                out.push(set_default(&c.table, &c.column, None));
            }
            out
        }
        DropColumn { table, column } => vec![alter(table, format!("DROP COLUMN {} CASCADE", quote(column)))],
        RenameColumn { table, from, to } => vec![rename_column(table, from, to)],
        RetypeColumn { table, column, from_type, to_type, using, .. } => vec![retype(table, column, from_type, to_type, *using)],
        SetDefault { table, column, default } => vec![set_default(table, column, default.as_deref())],
        // As Django does: the rows an UPDATE touched may carry deferred foreign-key checks (a row
        // rewritten earlier in the transaction counts as new), and ALTER TABLE refuses a table
        // with pending trigger events; the checks run now instead of at COMMIT.
        Update(u) => vec![match &u.filter {
            Some(w) => format!("UPDATE {} SET {} WHERE {w}; SET CONSTRAINTS ALL IMMEDIATE;", quote(&u.table), u.set),
            None => format!("UPDATE {} SET {}; SET CONSTRAINTS ALL IMMEDIATE;", quote(&u.table), u.set),
        }],
        SetNotNull { table, column } => vec![alter(table, format!("ALTER COLUMN {} SET NOT NULL", quote(column)))],
        DropNotNull { table, column } => vec![drop_not_null(table, column)],
        AddIndex { table, name, columns, options } => vec![create_index(table, name, columns, options, false)],
        DropIndex { name, .. } => vec![drop_index(name, false)],
        RenameIndex { from, to, .. } => vec![format!("ALTER INDEX {} RENAME TO {};", quote(from), quote(to))],
        AddUnique { table, name, columns } => vec![alter(table, format!("ADD CONSTRAINT {} UNIQUE ({columns})", quote(name)))],
        AddForeignKey { table, name, column, references, .. } => vec![add_foreign_key(table, name, column, references, false)],
        AddCheck { table, name, check } => vec![add_check(table, name, check, false)],
        DropConstraint { table, name, if_exists, unique_on } => {
            let mut out = Vec::new();
            if let Some(column) = unique_on {
                out.push(expect_unique(table, column, name));
            }
            out.push(drop_constraint(table, name, *if_exists));
            out
        }
        RenameConstraint { table, from, to } => vec![alter(table, format!("RENAME CONSTRAINT {} TO {}", quote(from), quote(to)))],
        RawSql { sql } => vec![sql.clone()],
    }
}

/// `"col" type [DEFAULT x] NULL|NOT NULL [UNIQUE]`: with `inline_unique` false the UNIQUE is left
/// to a constraint of its own (the online planner builds its index concurrently).
pub(crate) fn column_definition(c: &AddColumn, inline_unique: bool) -> String {
    let mut def = format!("{} {}", quote(&c.column), c.ty);
    if let Some(expr) = &c.generated {
        // As Django writes it: the generation takes the place of NULL / NOT NULL.
        def.push_str(&format!(" {}", generated_clause(expr)));
    } else {
        if let Some(d) = &c.default {
            def.push_str(&format!(" DEFAULT {}", d.sql));
        }
        def.push_str(if c.null { " NULL" } else { " NOT NULL" });
    }
    if c.primary_key {
        def.push_str(" PRIMARY KEY");
    } else if c.unique && inline_unique {
        def.push_str(" UNIQUE");
    }
    if c.identity {
        def.push_str(" GENERATED BY DEFAULT AS IDENTITY");
    }
    if let Some(check) = &c.check {
        def.push_str(&format!(" CHECK ({check})"));
    }
    def
}

/// `GENERATED ALWAYS AS (expr) STORED`, Django's text for a stored generated column.
pub(crate) fn generated_clause(expr: &str) -> String {
    format!("GENERATED ALWAYS AS ({expr}) STORED")
}

pub(crate) fn rename_column(table: &str, from: &str, to: &str) -> String {
    format!("ALTER TABLE {} RENAME COLUMN {} TO {};", quote(table), quote(from), quote(to))
}

pub(crate) fn retype(table: &str, column: &str, from_type: &str, to_type: &str, always_using: bool) -> String {
    let using =
        if always_using || needs_using(from_type, to_type) { format!(" USING {}::{to_type}", quote(column)) } else { String::new() };
    format!("ALTER TABLE {} ALTER COLUMN {} TYPE {to_type}{using};", quote(table), quote(column))
}

pub(crate) fn set_default(table: &str, column: &str, default: Option<&str>) -> String {
    match default {
        Some(d) => format!("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d};", quote(table), quote(column)),
        None => format!("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;", quote(table), quote(column)),
    }
}

pub(crate) fn set_not_null(table: &str, column: &str) -> String {
    format!("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;", quote(table), quote(column))
}

pub(crate) fn drop_not_null(table: &str, column: &str) -> String {
    format!("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL;", quote(table), quote(column))
}

/// CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON table [USING method] (columns) [INCLUDE (...)]
/// [WHERE ...], Django's text.
pub(crate) fn create_index(table: &str, name: &str, columns: &str, options: &IndexOptions, concurrently: bool) -> String {
    let using = options.method.as_deref().map(|m| format!(" USING {m}")).unwrap_or_default();
    let include = if options.include.is_empty() {
        String::new()
    } else {
        format!(" INCLUDE ({})", options.include.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", "))
    };
    let condition = options.condition.as_deref().map(|w| format!(" WHERE {w}")).unwrap_or_default();
    format!(
        "CREATE {}INDEX {}{} ON {}{using} ({columns}){include}{condition};",
        if options.unique { "UNIQUE " } else { "" },
        if concurrently { "CONCURRENTLY " } else { "" },
        quote(name),
        quote(table)
    )
}

/// DROP INDEX [CONCURRENTLY] IF EXISTS.
pub(crate) fn drop_index(name: &str, concurrently: bool) -> String {
    format!("DROP INDEX {}IF EXISTS {};", if concurrently { "CONCURRENTLY " } else { "" }, quote(name))
}

pub(crate) fn add_foreign_key(table: &str, name: &str, column: &str, references: &str, not_valid: bool) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) {references}{};",
        quote(table),
        quote(name),
        quote(column),
        if not_valid { " NOT VALID" } else { "" }
    )
}

pub(crate) fn add_check(table: &str, name: &str, check: &str, not_valid: bool) -> String {
    format!("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({check}){};", quote(table), quote(name), if not_valid { " NOT VALID" } else { "" })
}

pub(crate) fn validate_constraint(table: &str, name: &str) -> String {
    format!("ALTER TABLE {} VALIDATE CONSTRAINT {};", quote(table), quote(name))
}

pub(crate) fn attach_unique(table: &str, name: &str) -> String {
    format!("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {};", quote(table), quote(name), quote(name))
}

pub(crate) fn drop_constraint(table: &str, name: &str, if_exists: bool) -> String {
    format!("ALTER TABLE {} DROP CONSTRAINT {}{};", quote(table), if if_exists { "IF EXISTS " } else { "" }, quote(name))
}

/// A check that the single-column UNIQUE constraint `name` the history says `table.column` has is
/// there, before it is dropped: if it is not, the migration stops with an error naming the unique
/// constraints that column has instead. A database changed by hand, or built by a tool that named
/// the constraint otherwise, is never "fixed" by dropping nothing and reporting success.
pub(crate) fn expect_unique(table: &str, column: &str, name: &str) -> String {
    let lit = |s: &str| s.replace('\'', "''");
    let rel = lit(&quote(table));
    format!(
        "DO $teapot$ DECLARE found text; BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '{rel}'::regclass \
         AND conname = '{n}' AND contype = 'u') THEN SELECT coalesce(string_agg(quote_ident(c.conname), ', ' ORDER BY c.conname), 'none') \
         INTO found FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         WHERE c.conrelid = '{rel}'::regclass AND c.contype = 'u' AND cardinality(c.conkey) = 1 AND a.attname = '{c}'; \
         RAISE EXCEPTION 'the unique constraint \"{n}\" on {t}.{c} that the migrations made is not in the database; unique constraints on {t}.{c}: %', found \
         USING HINT = 'the database was changed outside the migrations: rename the constraint to \"{n}\" \
         (ALTER TABLE ... RENAME CONSTRAINT), or make the database match the applied migrations, then migrate again'; END IF; END $teapot$;",
        n = lit(name),
        t = lit(table),
        c = lit(column),
    )
}
