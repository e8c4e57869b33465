//! One table as a `#[derive(Model)]` declaration: its fields in the table's column order, the
//! options each column's objects imply, and the model options (`index`, `unique`, `check`) for
//! the objects no field implies. Whatever has no declaration becomes a comment saying why.

use std::collections::{BTreeMap, BTreeSet};

use teapot_core::Dialect;
use teapot_schema::naming::default_table;

use super::types::{map_type, Mapped};
use super::{M2m, Plan};
use crate::backend::introspect::{ForeignKey, Index, Schema, Table};
use crate::backend::objects::{field_index_name, like_index_name, pg_default_name};
use crate::check::drift::normalize_expr;

/// What every table's declaration needs to know about the others.
pub(super) struct Ctx<'a> {
    pub(super) live: &'a Schema,
    pub(super) dialect: Dialect,
    pub(super) plans: &'a BTreeMap<String, Plan>,
    pub(super) m2ms: &'a [M2m],
    /// How many relations each table has to each other table.
    pub(super) relations: &'a BTreeMap<(String, String), usize>,
}

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop",
    "match", "mod", "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof",
    "unsized", "virtual", "yield", "try", "gen",
];

/// A Rust keyword (not usable as a field name).
pub(super) fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// A lowercase identifier: letters, digits, `_`, not starting with a digit.
pub(super) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A field name for a column: the column when it is one, else a cleaned form (the column then
/// goes in `db_column`).
fn field_name(column: &str) -> String {
    let mut s: String = column
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect::<String>()
        .trim_matches('_')
        .to_string();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("f_{s}");
    }
    if is_keyword(&s) {
        s.push('_');
    }
    s
}

/// A model name for the part of a table's name after its app: `content_type` -> `ContentType`.
pub(super) fn struct_name(rest: &str) -> String {
    let mut out = String::new();
    for part in rest.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out = format!("T{out}");
    }
    if out == "Self" {
        out = "SelfModel".into();
    }
    out
}

fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// The head of an app's model file.
pub(super) fn header(app: &str, dialect: Dialect, django: bool) -> String {
    let db = match dialect {
        Dialect::Postgres => "PostgreSQL",
        Dialect::Sqlite => "SQLite",
    };
    let mut s = format!(
        "// The models of app `{app}`, written by `teapot inspectdb` from a {db} database.\n\
         // Review them: what the database cannot say (on_delete actions done by a program, Rust-side\n\
         // defaults, related names) is not here, and every `// inspectdb:` comment names what was left\n\
         // out or needs a decision.\n"
    );
    if django {
        s.push_str(
            "// The database has django_migrations: Django built it. Django leaves every ON DELETE to its\n\
             // collector (the constraints have NO ACTION), so each foreign key is `do_nothing` here: with\n\
             // [project] on_delete = \"orm\" in teapot.toml, write the action of Django's model (cascade,\n\
             // protect, set_null, ...) and the ORM does it, the constraint staying as it is.\n",
        );
    }
    s.push_str("use teapot::prelude::*;\n\n");
    s
}

/// The declaration of one field, as lines.
#[derive(Debug, Default)]
struct FieldOut {
    comments: Vec<String>,
    attrs: Vec<String>,
    name: String,
    ty: String,
    /// Written as a comment: teapot has no field for the column.
    omitted: bool,
}

impl FieldOut {
    fn write(&self, out: &mut String) {
        for c in &self.comments {
            out.push_str(&format!("    // inspectdb: {c}\n"));
        }
        if self.omitted {
            out.push_str(&format!("    // pub {}: ?,\n", self.name));
            return;
        }
        if !self.attrs.is_empty() {
            out.push_str(&format!("    #[teapot({})]\n", self.attrs.join(", ")));
        }
        out.push_str(&format!("    pub {}: {},\n", self.name, self.ty));
    }
}

/// The objects of a table not yet accounted for by a field.
struct Left<'a> {
    indexes: BTreeMap<&'a str, &'a Index>,
    uniques: Vec<usize>,
    checks: Vec<usize>,
}

/// Whether a foreign key points at the primary key of `to` (SQLite may name no column: the key).
fn points_at_key(fk: &ForeignKey, to: &Table) -> bool {
    let Some(pk) = &to.primary_key else { return false };
    fk.to_columns == pk.columns || (fk.to_columns.iter().all(String::is_empty) && pk.columns.len() == fk.columns.len())
}

/// A plain btree index on exactly these columns, no condition, no INCLUDE.
fn plain_index(i: &Index, cols: &[String]) -> bool {
    !i.unique && i.condition.is_none() && i.include.is_empty() && i.method.as_deref().is_none_or(|m| m == "btree") && i.columns == cols
}

/// The declaration of one table: the text, whether a model was declared, and notes.
pub(super) fn model(ctx: &Ctx<'_>, table: &str, t: &Table) -> (String, bool, Vec<String>) {
    let plan = &ctx.plans[table];
    let mut notes = Vec::new();
    let pk_cols = t.primary_key.as_ref().map(|k| k.columns.clone()).unwrap_or_default();
    if pk_cols.len() != 1 {
        let why = if pk_cols.is_empty() {
            "it has no primary key; a teapot model has one key column".to_string()
        } else {
            format!("its primary key has {} columns ({}); a teapot model has one key column", pk_cols.len(), pk_cols.join(", "))
        };
        notes.push(format!("table {table}: not declared: {why}"));
        let cols: Vec<String> = t.order.iter().map(|c| format!("{c} {}", t.columns[c].ty)).collect();
        let text = format!("// inspectdb: table {table} ({}) is not declared: {why}.\n", cols.join(", "));
        return (text, false, notes);
    }
    let pk = pk_cols[0].clone();
    let mut left = Left {
        indexes: t.indexes.iter().map(|i| (i.name.as_str(), i)).collect(),
        uniques: (0..t.uniques.len()).collect(),
        checks: (0..t.checks.len()).collect(),
    };
    let mut fields = Vec::new();
    let mut field_of: BTreeMap<String, String> = BTreeMap::new();
    let mut used_names: BTreeSet<String> = BTreeSet::new();
    for col in &t.order {
        let f = field(ctx, table, t, col, col == &pk, &mut left, &mut used_names);
        if f.omitted {
            notes.push(format!("table {table}: column {col}: {}", f.comments.last().cloned().unwrap_or_default()));
        } else {
            field_of.insert(col.clone(), f.name.clone());
        }
        fields.push(f);
    }
    for m in ctx.m2ms.iter().filter(|m| m.owner == table) {
        if used_names.contains(&m.field) {
            notes.push(format!(
                "table {}: a join table, but its field name {} is a column of {table}: declared as a model",
                m.join, m.field
            ));
            continue;
        }
        let target = &ctx.plans[&m.target];
        let mut f = FieldOut { name: m.field.clone(), ty: format!("ManyToMany<{}>", type_path(plan, target)), ..FieldOut::default() };
        if ctx.relations.get(&(table.to_string(), m.target.clone())).copied().unwrap_or(0) > 1 {
            f.attrs.push(format!("related_name = {}", lit(&format!("{}_{}_set", plan.name.to_lowercase(), m.field))));
        }
        f.comments.push(format!("the join table {}", m.join));
        fields.push(f);
    }
    let mut options = vec![format!("app = {}", lit(&plan.app))];
    if default_table(&plan.app, &plan.name) != table {
        options.push(format!("table = {}", lit(table)));
    }
    let mut model_comments = Vec::new();
    let fields_of = |cols: &[String]| -> Option<Vec<String>> { cols.iter().map(|c| field_of.get(c).cloned()).collect() };
    for &u in &left.uniques {
        let key = &t.uniques[u];
        match fields_of(&key.columns) {
            Some(fs) => {
                let name = key.name.as_ref().map(|n| format!(", name = {}", lit(n))).unwrap_or_default();
                options.push(format!("unique(fields = [{}]{name})", fs.iter().map(|f| lit(f)).collect::<Vec<_>>().join(", ")));
            }
            None => model_comments.push(format!("unique ({}) is not declared: a column of it has no field", key.columns.join(", "))),
        }
    }
    for (name, i) in &left.indexes {
        match index_option(i, &field_of) {
            Ok(o) => options.push(o),
            Err(why) => {
                model_comments.push(format!("index {name} is not declared: {why}"));
                notes.push(format!("table {table}: index {name}: {why}"));
            }
        }
    }
    for (n, &c) in left.checks.iter().enumerate() {
        let check = &t.checks[c];
        let name = match &check.name {
            Some(name) => name.clone(),
            None => {
                model_comments.push(format!("a CHECK SQLite keeps without a name is named {table}_check{n} here"));
                format!("{table}_check{n}")
            }
        };
        options.push(format!("check(name = {}, expr = {})", lit(&name), lit(&check.expr)));
    }
    let mut out = String::new();
    for c in &model_comments {
        out.push_str(&format!("// inspectdb: {c}\n"));
    }
    out.push_str("#[derive(Model)]\n");
    if options.len() <= 2 {
        out.push_str(&format!("#[teapot({})]\n", options.join(", ")));
    } else {
        out.push_str("#[teapot(\n");
        for (i, o) in options.iter().enumerate() {
            out.push_str(&format!("    {o}{}\n", if i + 1 < options.len() { "," } else { "" }));
        }
        out.push_str(")]\n");
    }
    out.push_str(&format!("pub struct {} {{\n", plan.name));
    for f in &fields {
        f.write(&mut out);
    }
    out.push_str("}\n");
    (out, true, notes)
}

/// How a model refers to another: by name in its own app, through the app's module otherwise.
fn type_path(from: &Plan, to: &Plan) -> String {
    if from.app == to.app {
        to.name.clone()
    } else {
        format!("super::{}::{}", to.app, to.name)
    }
}

/// A default as a `db_default`: the expression as the database prints it, but a literal's cast
/// (`'new'::character varying`) left off.
fn db_default(d: &str) -> String {
    if d.starts_with('\'') {
        if let Some(end) = d.rfind("'::") {
            let head = &d[..=end];
            if !head[1..head.len() - 1].replace("''", "").contains('\'') {
                return head.to_string();
            }
        }
    }
    d.to_string()
}

fn field(ctx: &Ctx<'_>, table: &str, t: &Table, col: &str, is_pk: bool, left: &mut Left<'_>, used: &mut BTreeSet<String>) -> FieldOut {
    let pg = ctx.dialect == Dialect::Postgres;
    let c = &t.columns[col];
    let mut out = FieldOut::default();
    let one = [col.to_string()];
    // A relation: a one-column foreign key to the key of a table that is declared.
    let fk = t.foreign_keys.iter().find(|f| f.columns == one);
    let relation = fk.and_then(|fk| {
        let to = ctx.live.tables.get(&fk.to_table)?;
        let plan = ctx.plans.get(&fk.to_table)?;
        points_at_key(fk, to).then_some((fk, to, plan))
    });
    if let (Some(fk), None) = (fk, relation) {
        out.comments.push(format!(
            "a foreign key to {}({}), which is {}: declared as a plain column",
            fk.to_table,
            fk.to_columns.join(", "),
            if ctx.plans.contains_key(&fk.to_table) { "not its primary key" } else { "a table not declared here" }
        ));
    }
    let base = match relation {
        Some(_) => col.strip_suffix("_id").filter(|b| !b.is_empty()).map(field_name).unwrap_or_else(|| field_name(col)),
        None => field_name(col),
    };
    let mut name = base.clone();
    let mut n = 2;
    while used.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    used.insert(name.clone());
    out.name = name.clone();
    let natural_column = if relation.is_some() { format!("{name}_id") } else { name.clone() };
    if natural_column != col {
        out.attrs.push(format!("db_column = {}", lit(col)));
    }
    // The type: the relation's (the column has the target key's type), or the column's own.
    let mapped: Mapped = match relation {
        Some((_, to, _)) => {
            let key = to.primary_key.as_ref().and_then(|k| k.columns.first()).and_then(|k| to.columns.get(k));
            match key.map(|k| map_type(ctx.dialect, &k.ty)) {
                Some(Ok(m)) => m,
                _ => Mapped { rust: String::new(), options: Vec::new(), integer: false, textual: false, note: None },
            }
        }
        None => match map_type(ctx.dialect, &c.ty) {
            Ok(m) => m,
            Err(why) => {
                out.comments.push(format!("column {col:?} {why}"));
                out.omitted = true;
                return out;
            }
        },
    };
    // A varchar (its own, or the key it points at) gets varchar_pattern_ops in its `_like` index.
    let has_length = mapped.options.iter().any(|o| o.starts_with("max_length"));
    let ty = match relation {
        Some((_, _, plan)) => format!("ForeignKey<{}>", type_path(&ctx.plans[table], plan)),
        None => {
            out.attrs.extend(mapped.options.iter().cloned());
            mapped.rust.clone()
        }
    };
    if let Some(note) = mapped.note.as_ref().filter(|_| relation.is_none()) {
        out.comments.push(note.clone());
    }
    // The key.
    let mut auto = false;
    if is_pk {
        if col == "id" && mapped.integer && relation.is_none() {
            if c.identity {
                auto = true;
            } else if c.default.as_deref().is_some_and(|d| d.starts_with("nextval(")) {
                auto = true;
                out.comments.push(format!(
                    "the key is serial (DEFAULT {}); teapot's is an identity, and check reports the difference until it is converted: \
                     ALTER TABLE {table} ALTER COLUMN id DROP DEFAULT, ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY, then setval the new sequence past max(id)",
                    c.default.as_deref().unwrap_or_default()
                ));
            }
        }
        if !auto {
            out.attrs.insert(0, "primary_key".to_string());
            if c.identity {
                out.comments.push("an identity column; teapot makes one only for a key field named id".to_string());
            }
        }
    }
    // UNIQUE on the column alone, under the name PostgreSQL gives an inline one.
    let mut unique = is_pk;
    if !is_pk {
        let inline = |name: &Option<String>| name.as_deref().is_none_or(|n| n == pg_default_name(table, Some(col), "key"));
        if let Some(at) = left.uniques.iter().position(|&u| t.uniques[u].columns == one && inline(&t.uniques[u].name)) {
            left.uniques.remove(at);
            unique = true;
            out.attrs.push(if relation.is_some() { "one_to_one" } else { "unique" }.to_string());
        }
    }
    // A positive integer: CHECK ("col" >= 0), under PostgreSQL's inline name.
    if mapped.integer && relation.is_none() && !is_pk {
        let want = normalize_expr(&format!("\"{col}\" >= 0"));
        let named = |name: &Option<String>| name.as_deref().is_none_or(|n| n == pg_default_name(table, Some(col), "check"));
        if let Some(at) = left.checks.iter().position(|&k| normalize_expr(&t.checks[k].expr) == want && named(&t.checks[k].name)) {
            left.checks.remove(at);
            if !out.attrs.iter().any(|a| a == "positive") {
                out.attrs.push("positive".to_string());
            }
        }
    }
    // db_index, the foreign key's index, the `_like` index.
    let index_name = field_index_name(table, col);
    let mut db_index = false;
    if relation.is_none() && !unique && left.indexes.get(index_name.as_str()).is_some_and(|i| plain_index(i, &one)) {
        db_index = true;
        out.attrs.push("db_index".to_string());
    }
    if (db_index || relation.is_some()) && !unique {
        if left.indexes.get(index_name.as_str()).is_some_and(|i| plain_index(i, &one)) {
            left.indexes.remove(index_name.as_str());
        } else if let Some(other) = left.indexes.iter().find(|(_, i)| plain_index(i, &one)).map(|(n, _)| n.to_string()) {
            // The same index under another name: the field's, renamed (check says so).
            left.indexes.remove(other.as_str());
            out.comments.push(format!(
                "its index is named {other} in the database, {index_name} by teapot: check reports it as renamed (ALTER INDEX {other} RENAME TO {index_name})"
            ));
        } else {
            out.comments
                .push(format!("the database has no index {index_name} on it; teapot makes one for a foreign key, and check reports it"));
        }
    }
    if pg && mapped.textual && (db_index || relation.is_some() || unique) {
        let like = like_index_name(table, col);
        let ops = format!("{col} {}", if has_length { "varchar_pattern_ops" } else { "text_pattern_ops" });
        if left.indexes.get(like.as_str()).is_some_and(|i| plain_index(i, std::slice::from_ref(&ops))) {
            left.indexes.remove(like.as_str());
        } else {
            out.comments.push(format!("the database has no index {like} ({ops}); teapot makes one, and check reports it"));
        }
    }
    // The relation's options.
    if let Some((fk, _, _)) = relation {
        let action = match fk.on_delete.as_str() {
            "CASCADE" => "cascade",
            "SET NULL" => "set_null",
            "SET DEFAULT" => "set_default",
            "RESTRICT" => "restrict",
            _ => "do_nothing",
        };
        out.attrs.push(format!("on_delete = {}", lit(action)));
        if fk.deferred == Some(false) {
            out.comments
                .push("the constraint is not DEFERRABLE INITIALLY DEFERRED, as teapot (and Django) make it; check reports it".to_string());
        }
        if !fk.valid {
            out.comments.push("the constraint is NOT VALID in the database".to_string());
        }
        if ctx.relations.get(&(table.to_string(), fk.to_table.clone())).copied().unwrap_or(0) > 1 {
            out.attrs.push(format!("related_name = {}", lit(&format!("{}_{name}_set", ctx.plans[table].name.to_lowercase()))));
        }
    }
    // A generated column, or a default the database keeps.
    let generated = c.default.as_deref().and_then(|d| d.strip_prefix("GENERATED ALWAYS AS (")).and_then(|d| d.strip_suffix(") STORED"));
    if let Some(expr) = generated {
        out.attrs.push(format!("generated = {}", lit(expr)));
    } else if let Some(d) = c.default.as_deref().filter(|_| !auto) {
        if d.starts_with("nextval(") {
            out.comments.push(format!("DEFAULT {d}: a sequence teapot does not declare; check reports it"));
        } else {
            out.attrs.push(format!("db_default = {}", lit(&db_default(d))));
        }
    }
    let nullable = (c.null && !is_pk) || generated.is_some();
    out.ty = if nullable { format!("Option<{ty}>") } else { ty };
    out
}

/// An index no field implies, as a model option (`index(...)`, or `unique(...)` for a unique
/// index with a condition or expressions), or why it cannot be one.
fn index_option(i: &Index, field_of: &BTreeMap<String, String>) -> Result<String, String> {
    if !i.valid {
        return Err("it is INVALID (a CREATE INDEX CONCURRENTLY that failed): drop it or rebuild it".into());
    }
    let mut fields = Vec::new();
    let mut opclasses = Vec::new();
    let mut expressions = Vec::new();
    for c in &i.columns {
        if c.contains('(') || c == "<expression>" {
            expressions.push(c.clone());
            continue;
        }
        let mut words = c.split_whitespace();
        let col = words.next().unwrap_or_default();
        let mut desc = false;
        let mut ops = None;
        for w in words {
            match w {
                "DESC" => desc = true,
                "ASC" => {}
                w if w.starts_with("NULLS") || w == "FIRST" || w == "LAST" => {
                    return Err(format!("NULLS FIRST/LAST ({c}) has no declaration"))
                }
                w => ops = Some(w.to_string()),
            }
        }
        let Some(f) = field_of.get(col) else { return Err(format!("column {col} has no field")) };
        fields.push(format!("{}{f}", if desc { "-" } else { "" }));
        opclasses.push(ops);
    }
    let name = lit(&i.name);
    let cond = i.condition.as_ref().map(|c| format!(", condition = {}", lit(c))).unwrap_or_default();
    let list = |v: &[String]| v.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ");
    if i.unique {
        if !expressions.is_empty() && !fields.is_empty() {
            return Err("a unique index on both columns and expressions has no declaration".into());
        }
        if opclasses.iter().any(Option::is_some) || !i.include.is_empty() || i.method.as_deref().is_some_and(|m| m != "btree") {
            return Err("a unique index with operator classes, INCLUDE or a method other than btree has no declaration".into());
        }
        if !expressions.is_empty() {
            if expressions.iter().any(|e| e == "<expression>") {
                return Err("SQLite does not say what the expressions are".into());
            }
            return Ok(format!("unique(expressions = [{}], name = {name}{cond})", list(&expressions)));
        }
        if i.condition.is_none() {
            return Err(
                "a unique index without a condition: teapot declares a UNIQUE constraint instead; make it one (ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX)"
                    .into(),
            );
        }
        return Ok(format!("unique(fields = [{}], name = {name}{cond})", list(&fields)));
    }
    if !expressions.is_empty() {
        return Err(format!("an index on expressions ({}) has no declaration yet", expressions.join(", ")));
    }
    let mut s = format!("index(fields = [{}], name = {name}", list(&fields));
    if let Some(m) = i.method.as_deref().filter(|m| *m != "btree") {
        s.push_str(&format!(", type = {}", lit(m)));
    }
    if opclasses.iter().any(Option::is_some) {
        if opclasses.iter().any(Option::is_none) {
            return Err("operator classes on some columns only: teapot takes one per field".into());
        }
        let ops: Vec<String> = opclasses.into_iter().flatten().collect();
        s.push_str(&format!(", opclasses = [{}]", list(&ops)));
    }
    if !i.include.is_empty() {
        let inc: Option<Vec<String>> = i.include.iter().map(|c| field_of.get(c).cloned()).collect();
        let Some(inc) = inc else { return Err("an INCLUDE column has no field".into()) };
        s.push_str(&format!(", include = [{}]", list(&inc)));
    }
    s.push_str(&cond);
    s.push(')');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(struct_name("content_type"), "ContentType");
        assert_eq!(struct_name("book"), "Book");
        assert_eq!(struct_name("2fa"), "T2fa");
        assert_eq!(field_name("Type"), "type_");
        assert_eq!(field_name("First Name"), "first_name");
        assert_eq!(field_name("9lives"), "f_9lives");
        assert_eq!(db_default("'new'::character varying"), "'new'");
        assert_eq!(db_default("now()"), "now()");
        assert_eq!(db_default("'a''b'::text"), "'a''b'");
    }
}
