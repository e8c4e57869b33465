//! Drift: the live schema against the schema the applied migrations describe.
//!
//! Nothing is built anywhere: the expected schema is rendered from the migration state (the
//! applied migrations replayed in memory, [`super::expected`]) with the names the renderers give,
//! and compared with the catalogs of the live database ([`crate::backend::introspect::schema`]),
//! object by object: tables, columns (type, NULL, default, identity), primary keys, unique
//! constraints, indexes (columns, operator classes, order, uniqueness, method, condition,
//! validity), foreign keys (columns, target, ON DELETE, deferral, validity) and checks. `teapot
//! check` therefore needs no CREATEDB and creates no database, on PostgreSQL or SQLite.
//!
//! Each database prints an expression its own way (`'draft'::character varying`, `'-1'::integer`,
//! `CHECK ((price >= (0)::numeric))`), so defaults and checks are compared after [`normalize_expr`]:
//! casts, parentheses, spaces and the case of keywords dropped, `= ANY (ARRAY[...])` read as `IN
//! (...)`, `~~` as `LIKE`; a default that is one quoted literal is compared by its text (and as a
//! number, a moment or a JSON value when it reads as one).
//!
//! What `run_sql` does is invisible to the state: an object whose table and name a `run_sql`
//! statement of an applied migration mentions is not reported. Tables no model declares (another
//! application's, a DBA's) are not compared unless [`DriftOptions::undeclared_tables`] asks.

use std::collections::BTreeSet;

use teapot_core::{Connection as Conn, Result};

use super::expected::{expected_schema, unmanaged_tables};
use crate::backend::introspect::{self, index_column, Column, Schema, Table};
use crate::graph::Graph;
use crate::Operation;

/// What drift compares beyond the declared tables.
#[derive(Debug, Clone, Default)]
pub struct DriftOptions {
    /// Also report tables that no model declares (teapot's own tables are never reported).
    pub undeclared_tables: bool,
}

/// One difference between what the applied migrations describe and what the database has.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    /// The table.
    pub table: String,
    /// The object: `table`, `column pages`, `index library_book_title_4a3c1f2e`, ...
    pub object: String,
    /// What the migrations say ("nothing" when they have no such object).
    pub expected: String,
    /// What the database has ("nothing" when it has no such object).
    pub live: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: the migrations have {}; the database has {}", self.table, self.object, self.expected, self.live)
    }
}

const NOTHING: &str = "nothing";

/// The differences between the live schema and the state of the applied migrations, as one
/// line each, or None when they agree. (`_url` is no longer used: no scratch database is made.)
pub async fn drift(conn: &mut Conn, _url: &str, graph: &Graph, applied: &BTreeSet<String>) -> Result<Option<String>> {
    let diffs = drift_report(conn, graph, applied, &DriftOptions::default()).await?;
    if diffs.is_empty() {
        return Ok(None);
    }
    Ok(Some(diffs.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")))
}

/// The differences between the live schema and the state of the applied migrations.
pub async fn drift_report(conn: &mut Conn, graph: &Graph, applied: &BTreeSet<String>, opts: &DriftOptions) -> Result<Vec<Difference>> {
    let state = graph.state_until(|m| applied.contains(&m.key()))?;
    let expected = expected_schema(&state, conn.dialect())?;
    let live = without_expand_objects(introspect::schema(conn).await?);
    let mut raw = Vec::new();
    for m in graph.order()? {
        if applied.contains(&m.key()) {
            for op in &m.operations {
                if let Operation::RunSql { sql, .. } = op {
                    raw.push(sql.clone());
                }
            }
        }
    }
    let ctx = Context { excuses: Excuses::from_sql(&raw), ignored: unmanaged_tables(&state).into_iter().collect(), opts: opts.clone() };
    Ok(compare(&expected, &live, &ctx))
}

/// The live schema without teapot's own objects of an expand in flight (docs/online.md): the
/// new column beside a retyped one (`{column}__teapot_new`), and the `teapot_x_` indexes and
/// checks built on it. The migration that made them is not applied until `--complete` swaps them
/// into place (or `--abort` drops them), so they are its work in progress, not drift.
fn without_expand_objects(mut live: introspect::Schema) -> introspect::Schema {
    let ours = |name: &str| name.starts_with("teapot_x_");
    for t in live.tables.values_mut() {
        let new_columns: BTreeSet<String> = t.columns.keys().map(|c| crate::backend::expand::new_column(c)).collect();
        t.columns.retain(|c, _| !new_columns.contains(c));
        t.order.retain(|c| !new_columns.contains(c));
        t.indexes.retain(|i| !ours(&i.name));
        t.checks.retain(|c| !c.name.as_deref().is_some_and(ours));
    }
    live
}

/// What the comparison forgives.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Objects `run_sql` touched.
    pub excuses: Excuses,
    /// Tables never compared (those of models with `managed = false`).
    pub ignored: BTreeSet<String>,
    /// Options.
    pub opts: DriftOptions,
}

/// The identifiers each `run_sql` statement mentions.
#[derive(Debug, Clone, Default)]
pub struct Excuses(Vec<BTreeSet<String>>);

impl Excuses {
    /// From the SQL of the applied migrations' `run_sql` operations.
    pub fn from_sql(sqls: &[String]) -> Excuses {
        let mut out = Vec::new();
        for sql in sqls {
            for stmt in teapot_schema::sql_lexer::split_statements(sql) {
                out.push(identifiers(&stmt));
            }
        }
        Excuses(out)
    }

    /// Whether one statement mentions the table and (when given) the object's name.
    pub fn covers(&self, table: &str, name: Option<&str>) -> bool {
        self.0.iter().any(|ids| ids.contains(table) && name.is_none_or(|n| ids.contains(n)))
    }
}

/// The identifiers of a statement: bare words lowercased (as PostgreSQL folds them), quoted ones
/// as written; string literals skipped.
fn identifiers(sql: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                }
            }
            '"' | '`' => {
                let mut id = String::new();
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                    id.push(d);
                }
                out.insert(id);
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut id = c.to_lowercase().to_string();
                while let Some(&d) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' || d == '$' {
                        id.extend(d.to_lowercase());
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.insert(id);
            }
            _ => {}
        }
    }
    out
}

/// A type as compared: lowercase, single spaces, PostgreSQL's aliases spelled out
/// (`varchar(100)` is `character varying(100)`, `numeric(8, 2)` is `numeric(8,2)`).
pub fn normalize_type(t: &str) -> String {
    let t = t.trim().to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ").replace(", ", ",").replace(" (", "(");
    let (base, args) = match t.find('(') {
        Some(i) => (t[..i].to_string(), t[i..].to_string()),
        None => (t.clone(), String::new()),
    };
    let base = match base.as_str() {
        "varchar" => "character varying",
        "char" | "bpchar" => "character",
        "int" | "int4" => "integer",
        "int8" => "bigint",
        "int2" => "smallint",
        "bool" => "boolean",
        "float8" => "double precision",
        "float4" => "real",
        "decimal" => "numeric",
        "timestamptz" => "timestamp with time zone",
        "timestamp" => "timestamp without time zone",
        "timetz" => "time with time zone",
        "time" => "time without time zone",
        other => other,
    };
    format!("{base}{args}")
}

const TYPE_WORDS: [&str; 6] = ["varying", "precision", "with", "without", "time", "zone"];

/// An expression as compared: casts (`::text`, `::character varying(10)[]`), parentheses and
/// spaces outside string literals dropped, identifiers unquoted, the rest lowercased; `= ANY
/// (ARRAY[...])` read as `IN (...)`, `<> ALL (ARRAY[...])` as `NOT IN`, `~~` as `LIKE`, `!=` as `<>`.
pub fn normalize_expr(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            out.push('\'');
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        out.push_str("''");
                        i += 2;
                        continue;
                    }
                    break;
                }
                out.push(chars[i]);
                i += 1;
            }
            out.push('\'');
            i += 1;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                out.push(chars[i]);
                i += 1;
            }
            i += 1;
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            i = skip_cast(&chars, i + 2);
        } else if c == '(' || c == ')' || c.is_whitespace() {
            i += 1;
        } else {
            out.extend(c.to_lowercase());
            i += 1;
        }
    }
    let out = rewrite_array(&out, "=anyarray[", "in");
    let out = rewrite_array(&out, "<>allarray[", "notin");
    out.replace("!=", "<>").replace("!~~*", "notilike").replace("~~*", "ilike").replace("!~~", "notlike").replace("~~", "like")
}

/// Skips the type name of a cast that starts at `i`; returns where the expression goes on.
fn skip_cast(chars: &[char], mut i: usize) -> usize {
    let skip_ws = |mut i: usize| {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        i
    };
    let word = |i: usize| {
        let mut j = i;
        while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '.') {
            j += 1;
        }
        (chars[i..j].iter().collect::<String>().to_lowercase(), j)
    };
    i = skip_ws(i);
    if chars.get(i) == Some(&'"') {
        i += 1;
        while i < chars.len() && chars[i] != '"' {
            i += 1;
        }
        i += 1;
    } else {
        let (_, j) = word(i);
        i = j;
        loop {
            let k = skip_ws(i);
            let (w, j) = word(k);
            if TYPE_WORDS.contains(&w.as_str()) {
                i = j;
            } else {
                break;
            }
        }
    }
    let k = skip_ws(i);
    if chars.get(k) == Some(&'(') {
        let mut depth = 0;
        let mut j = k;
        while j < chars.len() {
            match chars[j] {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        j += 1;
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        i = j;
    }
    while chars.get(i) == Some(&'[') && chars.get(i + 1) == Some(&']') {
        i += 2;
    }
    i
}

/// `x=anyarray[1,2]` -> `xin1,2` (what `x IN (1, 2)` normalizes to).
fn rewrite_array(s: &str, pattern: &str, with: &str) -> String {
    let mut s = s.to_string();
    while let Some(at) = s.find(pattern) {
        let start = at + pattern.len();
        let mut depth = 1;
        let mut end = None;
        let mut quoted = false;
        for (j, c) in s[start..].char_indices() {
            match c {
                '\'' => quoted = !quoted,
                '[' if !quoted => depth += 1,
                ']' if !quoted => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(start + j);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        s = format!("{}{with}{}{}", &s[..at], &s[start..end], &s[end + 1..]);
    }
    s
}

/// A default as compared: normalized, and the text of a default that is one string literal.
fn default_value(d: &str) -> String {
    let n = normalize_expr(d);
    if n.len() >= 2 && n.starts_with('\'') && n.ends_with('\'') && !n[1..n.len() - 1].replace("''", "").contains('\'') {
        return n[1..n.len() - 1].replace("''", "'");
    }
    n
}

fn instant(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let s = s.trim();
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z").ok())
        .or_else(|| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok().map(|n| n.and_utc().fixed_offset()))
        .or_else(|| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|n| n.and_utc().fixed_offset()))
}

/// Whether two defaults are the same value, however each database prints it.
pub fn same_default(expected: Option<&str>, live: Option<&str>) -> bool {
    let (e, l) = match (expected, live) {
        (None, None) => return true,
        (Some(e), Some(l)) => (default_value(e), default_value(l)),
        _ => return false,
    };
    if e == l {
        return true;
    }
    if let (Ok(a), Ok(b)) = (e.parse::<f64>(), l.parse::<f64>()) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (instant(&e), instant(&l)) {
        return a == b;
    }
    // A JSON literal: `{"a":1}` and `{"a": 1}` are one value (jsonb reprints it).
    match (serde_json::from_str::<serde_json::Value>(&e), serde_json::from_str::<serde_json::Value>(&l)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn describe_column(c: &Column) -> String {
    let mut s = format!("{} {}", c.ty, if c.null { "NULL" } else { "NOT NULL" });
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    if c.identity {
        s.push_str(" IDENTITY");
    }
    s
}

/// One keyed object of a table, as compared.
struct Obj {
    kind: &'static str,
    name: Option<String>,
    /// What must be equal.
    key: String,
    /// What is printed.
    show: String,
    /// The name an excuse is looked up by.
    excuse: String,
}

fn objects(t: &Table) -> Vec<Obj> {
    let mut out = Vec::new();
    let invalid = |valid: bool| if valid { "" } else { " NOT VALID" };
    if let Some(pk) = &t.primary_key {
        let cols = pk.columns.join(", ");
        out.push(Obj {
            kind: "primary key",
            name: pk.name.clone(),
            key: cols.clone(),
            show: format!("PRIMARY KEY ({cols})"),
            excuse: pk.name.clone().unwrap_or_else(|| pk.columns.join(",")),
        });
    }
    for u in &t.uniques {
        let cols = u.columns.join(", ");
        out.push(Obj {
            kind: "unique constraint",
            name: u.name.clone(),
            key: cols.clone(),
            show: format!("UNIQUE ({cols})"),
            excuse: u.name.clone().unwrap_or_else(|| u.columns.first().cloned().unwrap_or_default()),
        });
    }
    for i in &t.indexes {
        let cols: Vec<String> = i.columns.iter().map(|c| index_column(c)).collect();
        // An expression is compared as check expressions are (PostgreSQL prints `lower((email)::text)`
        // for `LOWER("email")`).
        let key_cols: Vec<String> = cols.iter().map(|c| if c.contains('(') { normalize_expr(c) } else { c.clone() }).collect();
        let include = if i.include.is_empty() { String::new() } else { format!(" INCLUDE ({})", i.include.join(", ")) };
        let unique = if i.unique { "UNIQUE " } else { "" };
        let method = i.method.as_deref().map(|m| format!("USING {m} ")).unwrap_or_default();
        let valid = if i.valid { "" } else { " INVALID" };
        let cond = |c: &str| format!(" WHERE {c}");
        out.push(Obj {
            kind: "index",
            name: Some(i.name.clone()),
            key: format!(
                "{unique}{method}({}){include}{}{valid}",
                key_cols.join(", "),
                i.condition.as_deref().map(normalize_expr).map(|c| cond(&c)).unwrap_or_default()
            ),
            show: format!(
                "{unique}INDEX {method}({}){include}{}{valid}",
                cols.join(", "),
                i.condition.as_deref().map(cond).unwrap_or_default()
            ),
            excuse: i.name.clone(),
        });
    }
    for f in &t.foreign_keys {
        let deferred = match f.deferred {
            Some(true) => " DEFERRABLE INITIALLY DEFERRED",
            _ => "",
        };
        let text = format!(
            "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}{deferred}{}",
            f.columns.join(", "),
            f.to_table,
            f.to_columns.join(", "),
            f.on_delete,
            invalid(f.valid)
        );
        out.push(Obj {
            kind: "foreign key",
            name: f.name.clone(),
            key: text.clone(),
            show: text,
            excuse: f.name.clone().unwrap_or_else(|| f.columns.first().cloned().unwrap_or_default()),
        });
    }
    for c in &t.checks {
        out.push(Obj {
            kind: "check constraint",
            name: c.name.clone(),
            key: format!("{}{}", normalize_expr(&c.expr), invalid(c.valid)),
            show: format!("CHECK ({}){}", c.expr, invalid(c.valid)),
            excuse: c.name.clone().unwrap_or_default(),
        });
    }
    out
}

fn label(o: &Obj) -> String {
    match &o.name {
        Some(n) => format!("{} {n}", o.kind),
        None => format!("{} {}", o.kind, o.show),
    }
}

/// The differences between an expected and a live schema.
pub fn compare(expected: &Schema, live: &Schema, ctx: &Context) -> Vec<Difference> {
    let mut out = Vec::new();
    let ex = &ctx.excuses;
    let mut push = |table: &str, name: Option<&str>, object: String, e: String, l: String| {
        if !ex.covers(table, name) {
            out.push(Difference { table: table.to_string(), object, expected: e, live: l });
        }
    };
    let empty = Table::default();
    let mut tables: BTreeSet<&String> = expected.tables.keys().collect();
    tables.extend(live.tables.keys().filter(|t| {
        !expected.tables.contains_key(*t) && !ctx.ignored.contains(*t) && !t.starts_with("teapot_") && ctx.opts.undeclared_tables
    }));
    for table in tables {
        if ctx.ignored.contains(table) {
            continue;
        }
        let (e, l) = match (expected.tables.get(table), live.tables.get(table)) {
            (Some(e), Some(l)) => (e, l),
            (Some(_), None) => {
                push(table, None, "table".into(), "the table".into(), NOTHING.into());
                continue;
            }
            (None, Some(l)) => {
                let cols: Vec<&str> = l.columns.keys().map(String::as_str).collect();
                push(table, None, "table".into(), NOTHING.into(), format!("a table no model declares ({})", cols.join(", ")));
                continue;
            }
            (None, None) => (&empty, &empty),
        };
        let names: BTreeSet<&String> = e.columns.keys().chain(l.columns.keys()).collect();
        for col in names {
            let object = format!("column {col}");
            match (e.columns.get(col), l.columns.get(col)) {
                (Some(a), None) => push(table, Some(col), object, describe_column(a), NOTHING.into()),
                (None, Some(b)) => push(table, Some(col), object, NOTHING.into(), describe_column(b)),
                (Some(a), Some(b)) => {
                    if normalize_type(&a.ty) != normalize_type(&b.ty) {
                        push(table, Some(col), object.clone(), format!("type {}", a.ty), format!("type {}", b.ty));
                    }
                    if a.null != b.null {
                        let n = |null: bool| if null { "NULL" } else { "NOT NULL" }.to_string();
                        push(table, Some(col), object.clone(), n(a.null), n(b.null));
                    }
                    if !same_default(a.default.as_deref(), b.default.as_deref()) {
                        let d = |d: &Option<String>| d.as_ref().map(|d| format!("DEFAULT {d}")).unwrap_or_else(|| "no default".into());
                        push(table, Some(col), object.clone(), d(&a.default), d(&b.default));
                    }
                    if a.identity != b.identity {
                        let i = |i: bool| if i { "an identity" } else { "no identity" }.to_string();
                        push(table, Some(col), object, i(a.identity), i(b.identity));
                    }
                }
                (None, None) => {}
            }
        }
        let (mut eo, mut lo) = (objects(e), objects(l));
        // 1. Same kind and name: the definitions must agree.
        eo.retain(|o| {
            let Some(name) = &o.name else { return true };
            let Some(at) = lo.iter().position(|x| x.kind == o.kind && x.name.as_ref() == Some(name)) else { return true };
            let x = lo.remove(at);
            if x.key != o.key {
                push(table, Some(&o.excuse), label(o), o.show.clone(), x.show);
            }
            false
        });
        // 2. Where one side has no name (SQLite's inline constraints), the definition is the key.
        eo.retain(|o| {
            let Some(at) = lo.iter().position(|x| x.kind == o.kind && x.key == o.key && (x.name.is_none() || o.name.is_none())) else {
                return true;
            };
            lo.remove(at);
            false
        });
        // 3. The same definition under another name: renamed.
        eo.retain(|o| {
            let Some(at) = lo.iter().position(|x| x.kind == o.kind && x.key == o.key) else { return true };
            let x = lo.remove(at);
            let renamed = format!("it named {}", x.name.as_deref().unwrap_or("?"));
            if !ex.covers(table, Some(&x.excuse)) {
                push(table, Some(&o.excuse), label(o), format!("{} named {}", o.show, o.name.as_deref().unwrap_or("?")), renamed);
            }
            false
        });
        for o in eo {
            push(table, Some(&o.excuse), label(&o), o.show, NOTHING.into());
        }
        for x in lo {
            push(table, Some(&x.excuse), label(&x), NOTHING.into(), x.show);
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_compare_as_each_database_prints_them() {
        assert_eq!(normalize_expr("price >= 0"), normalize_expr("((price >= (0)::numeric))"));
        assert_eq!(normalize_expr("o IN (1, 2)"), normalize_expr("(o = ANY (ARRAY[1, 2]))"));
        assert_eq!(
            normalize_expr("status IN ('a', 'b')"),
            normalize_expr("((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))")
        );
        assert_eq!(normalize_expr("name LIKE 'a%'"), normalize_expr("((name)::text ~~ 'a%'::text)"));
        assert_eq!(normalize_expr("a != b"), normalize_expr("(a <> b)"));
        assert_ne!(normalize_expr("price >= 0"), normalize_expr("price > 0"));
        assert_ne!(normalize_expr("name = 'A B'"), normalize_expr("name = 'ab'"));
    }

    #[test]
    fn defaults_compare_as_values() {
        let same = |a: &str, b: &str| same_default(Some(a), Some(b));
        assert!(same("-1", "'-1'::integer"));
        assert!(same("'draft'", "'draft'::character varying"));
        assert!(same("'a''b'", "'a''b'::character varying"));
        assert!(same("'1.50'", "1.50"));
        assert!(same("0.0", "0.0"));
        assert!(same("true", "true"));
        assert!(same("now()", "now()"));
        assert!(same("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"));
        assert!(same("'2020-01-01T00:00:00Z'", "'2020-01-01 00:00:00+00'::timestamp with time zone"));
        assert!(same("'{\"a\":1}'", "'{\"a\": 1}'::jsonb"));
        assert!(!same("0", "1"));
        assert!(!same("'draft'", "'Draft'::character varying"));
        assert!(!same("'{\"a\":1}'", "'{\"A\": 1}'::jsonb"));
        assert!(!same_default(Some("0"), None));
        assert!(same_default(None, None));
    }

    #[test]
    fn types_compare_by_their_long_names() {
        assert_eq!(normalize_type("varchar(100)"), normalize_type("character varying(100)"));
        assert_eq!(normalize_type("numeric(8, 2)"), normalize_type("numeric(8,2)"));
        assert_eq!(normalize_type("time"), normalize_type("time without time zone"));
        assert_ne!(normalize_type("varchar(100)"), normalize_type("character varying(200)"));
        assert_ne!(normalize_type("timestamp with time zone"), normalize_type("timestamp without time zone"));
    }

    #[test]
    fn run_sql_excuses_what_it_names() {
        let e = Excuses::from_sql(&["CREATE INDEX book_search ON \"shop_book\" (title); UPDATE shop_author SET x = 'shop_book'".into()]);
        assert!(e.covers("shop_book", Some("book_search")));
        assert!(e.covers("shop_author", Some("x")));
        assert!(!e.covers("shop_author", Some("book_search")));
        assert!(!e.covers("shop_tag", None));
    }
}
