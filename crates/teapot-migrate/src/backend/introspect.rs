//! The live schema, read from the catalogs, one fact per line (`table column name type NULL`,
//! `table default column expression`,
//! `table foreign key (col) -> other(id) on delete c ...`, `table index USING btree (col)`), sorted.
//! Tests compare it with what Django builds; `teapot check` diffs it against the migrations' state.

use teapot_core::{Connection as Conn, DbRow, Dialect, Result, Value};

const PG_COLUMNS: &str = "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
    CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END, CASE WHEN a.attidentity <> '' THEN ' IDENTITY' ELSE '' END, \
    pg_get_expr(d.adbin, d.adrelid) \
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped \
    AND c.relname <> 'teapot_migrations' AND c.relname NOT LIKE 'teapot\\_%'";

const PG_CONSTRAINTS: &str = "SELECT c.relname::text, con.conname::text, con.contype::text, pg_get_constraintdef(con.oid), \
    con.confdeltype::text, CASE WHEN con.condeferrable THEN ' DEFERRABLE' ELSE '' END || CASE WHEN con.condeferred THEN ' INITIALLY DEFERRED' ELSE '' END, \
    (SELECT string_agg(a.attname::text, ',' ORDER BY a.attname) FROM unnest(con.conkey) k JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k), \
    (SELECT string_agg(a.attname::text, ',' ORDER BY u.ord) FROM unnest(con.conkey) WITH ORDINALITY u(k, ord) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = u.k), \
    (SELECT relname::text FROM pg_class WHERE oid = con.confrelid), \
    (SELECT string_agg(a.attname::text, ',' ORDER BY u.ord) FROM unnest(con.confkey) WITH ORDINALITY u(k, ord) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = u.k) \
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = current_schema() AND c.relname <> 'teapot_migrations' AND c.relname NOT LIKE 'teapot\\_%' AND con.contype IN ('p', 'u', 'f', 'c')";

const PG_INDEXES: &str = "SELECT t.relname::text, i.relname::text, pg_get_indexdef(x.indexrelid), CASE WHEN x.indisunique THEN 'unique ' ELSE '' END, \
    CASE WHEN x.indisvalid THEN '' ELSE ' INVALID' END \
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
    WHERE n.nspname = current_schema() AND t.relname <> 'teapot_migrations' AND t.relname NOT LIKE 'teapot\\_%' \
    AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x'))";

/// The schema of the connected database, one fact per line, sorted.
pub async fn schema_lines(conn: &mut Conn) -> Result<Vec<String>> {
    let mut out = match conn.dialect() {
        Dialect::Postgres => postgres(conn).await?,
        Dialect::Sqlite => sqlite(conn).await?,
    };
    out.sort();
    Ok(out)
}

/// Column `i` as text, NULL as "" (every column these catalog queries read is text).
fn s(row: &DbRow, i: usize) -> String {
    row.get::<Option<String>>(i).ok().flatten().unwrap_or_default()
}

async fn postgres(conn: &mut Conn) -> Result<Vec<String>> {
    let err = |e: teapot_core::Error| e.context("cannot read the PostgreSQL catalog");
    let mut out = Vec::new();
    for r in conn.fetch_all(PG_COLUMNS, &[]).await.map_err(err)? {
        out.push(format!("{} column {} {} {}{}", s(&r, 0), s(&r, 1), s(&r, 2), s(&r, 3), s(&r, 4)));
        if !s(&r, 5).is_empty() {
            out.push(format!("{} default {} {}", s(&r, 0), s(&r, 1), s(&r, 5)));
        }
    }
    for r in conn.fetch_all(PG_CONSTRAINTS, &[]).await.map_err(err)? {
        let (table, name) = (s(&r, 0), s(&r, 1));
        let line = match s(&r, 2).as_str() {
            "p" => format!("{table} primary key ({}) [{name}]", s(&r, 7)),
            "u" => format!("{table} unique ({}) [{name}]", s(&r, 6)),
            "c" => format!("{table} check {} [{name}]", s(&r, 3)),
            _ => format!("{table} foreign key ({}) -> {}({}) on delete {}{} [{name}]", s(&r, 7), s(&r, 8), s(&r, 9), s(&r, 4), s(&r, 5)),
        };
        out.push(line);
    }
    for r in conn.fetch_all(PG_INDEXES, &[]).await.map_err(err)? {
        let def = s(&r, 2);
        let using = def.find("USING ").map(|i| def[i..].to_string()).unwrap_or(def);
        out.push(format!("{} {}index {}{} [{}]", s(&r, 0), s(&r, 3), using, s(&r, 4), s(&r, 1)));
    }
    Ok(out)
}

async fn sqlite(conn: &mut Conn) -> Result<Vec<String>> {
    let err = |e: teapot_core::Error| e.context("cannot read the SQLite schema");
    let mut out = Vec::new();
    let tables = conn
        .fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'teapot\\_%' ESCAPE '\\' ORDER BY name",
            &[],
        )
        .await
        .map_err(err)?;
    for t in tables {
        let table = s(&t, 0);
        let cols = conn
            .fetch_all(
                "SELECT name, lower(type), CASE WHEN \"notnull\" = 1 OR pk > 0 THEN 'NOT NULL' ELSE 'NULL' END, CAST(pk AS TEXT), dflt_value \
                 FROM pragma_table_xinfo(?1) WHERE hidden <> 1",
                &[Value::from(&table)],
            )
            .await
            .map_err(err)?;
        let mut pk = Vec::new();
        for c in &cols {
            out.push(format!("{table} column {} {} {}", s(c, 0), s(c, 1), s(c, 2)));
            if !s(c, 4).is_empty() {
                out.push(format!("{table} default {} {}", s(c, 0), s(c, 4)));
            }
            if s(c, 3) != "0" {
                pk.push(s(c, 0));
            }
        }
        if !pk.is_empty() {
            out.push(format!("{table} primary key ({})", pk.join(",")));
        }
        let fks = conn
            .fetch_all("SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list(?1)", &[Value::from(&table)])
            .await
            .map_err(err)?;
        for f in fks {
            out.push(format!("{table} foreign key ({}) -> {}({}) on delete {}", s(&f, 0), s(&f, 1), s(&f, 2), s(&f, 3).to_lowercase()));
        }
        let idx = conn
            .fetch_all("SELECT name, CAST(\"unique\" AS TEXT), origin FROM pragma_index_list(?1)", &[Value::from(&table)])
            .await
            .map_err(err)?;
        for i in idx {
            let name = s(&i, 0);
            let cols = conn
                .fetch_all(
                    "SELECT name, CASE WHEN \"desc\" = 1 THEN ' DESC' ELSE '' END FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno",
                    &[Value::from(&name)],
                )
                .await
                .map_err(err)?;
            let cols: Vec<String> = cols.iter().map(|c| format!("{}{}", s(c, 0), s(c, 1))).collect();
            let kind = if s(&i, 1) == "1" { "unique" } else { "index" };
            let shown = if s(&i, 2) == "c" { format!(" [{name}]") } else { String::new() };
            out.push(format!("{table} {kind} ({}){shown}", cols.join(",")));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The same catalogs read into a structure, for `teapot check`'s drift: one [`Schema`] comes from
// here (the live database), the other from the migration state (`check::expected`), and the two
// are compared object by object.

use std::collections::{BTreeMap, BTreeSet};

/// A schema: its tables by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    /// The tables.
    pub tables: BTreeMap<String, Table>,
}

/// One table and what is on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Columns by name.
    pub columns: BTreeMap<String, Column>,
    /// The column names in the table's own order (as `SELECT *` lists them), for inspectdb;
    /// empty in a schema built from a migration state (drift does not compare the order).
    pub order: Vec<String>,
    /// The primary key, if any.
    pub primary_key: Option<Key>,
    /// UNIQUE constraints (not unique indexes made with CREATE UNIQUE INDEX: those are indexes).
    pub uniques: Vec<Key>,
    /// Indexes that back no constraint.
    pub indexes: Vec<Index>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// CHECK constraints.
    pub checks: Vec<Check>,
}

/// A column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Column {
    /// Its type as the database spells it (`character varying(100)`, `integer`).
    pub ty: String,
    /// NULL allowed.
    pub null: bool,
    /// The default expression, as the database prints it.
    pub default: Option<String>,
    /// An identity (PostgreSQL) or AUTOINCREMENT (SQLite) key.
    pub identity: bool,
}

/// A primary key or UNIQUE constraint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Key {
    /// Its name, when the database keeps one (SQLite keeps none for an inline UNIQUE).
    pub name: Option<String>,
    /// Its columns, in order.
    pub columns: Vec<String>,
}

/// An index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Index {
    /// Its name.
    pub name: String,
    /// Its columns (or expressions), each with its operator class and `DESC` when it has them,
    /// unquoted: `title varchar_pattern_ops`, `published DESC`.
    pub columns: Vec<String>,
    /// UNIQUE.
    pub unique: bool,
    /// The access method (`btree`); None where the database has only one (SQLite).
    pub method: Option<String>,
    /// A partial index's condition.
    pub condition: Option<String>,
    /// The INCLUDE columns of a covering index.
    pub include: Vec<String>,
    /// False for an INVALID index (a CONCURRENTLY build that failed).
    pub valid: bool,
}

/// A foreign key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForeignKey {
    /// Its name, when the database keeps one (SQLite keeps none for an inline REFERENCES).
    pub name: Option<String>,
    /// Its columns.
    pub columns: Vec<String>,
    /// The table it points at.
    pub to_table: String,
    /// The columns it points at.
    pub to_columns: Vec<String>,
    /// The ON DELETE action: `CASCADE`, `RESTRICT`, `SET NULL`, `SET DEFAULT`, `NO ACTION`.
    pub on_delete: String,
    /// DEFERRABLE INITIALLY DEFERRED; None when the database does not say (SQLite's pragmas).
    pub deferred: Option<bool>,
    /// False for one added NOT VALID and never validated.
    pub valid: bool,
}

/// A CHECK constraint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Check {
    /// Its name, when it has one.
    pub name: Option<String>,
    /// The condition, as written or as the database prints it.
    pub expr: String,
    /// False for one added NOT VALID and never validated.
    pub valid: bool,
}

/// The live schema of the connected database (the current schema on PostgreSQL), every table
/// but SQLite's own.
pub async fn schema(conn: &mut Conn) -> Result<Schema> {
    match conn.dialect() {
        Dialect::Postgres => pg_schema(conn).await,
        Dialect::Sqlite => sqlite_schema(conn).await,
    }
}

const PG_TABLES: &str = "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')";

const PG_SCHEMA_COLUMNS: &str = "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
    CASE WHEN a.attnotnull THEN 'f' ELSE 't' END, a.attidentity::text, \
    CASE WHEN a.attgenerated = 's' THEN 'GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED' \
    ELSE pg_get_expr(d.adbin, d.adrelid) END \
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
    ORDER BY c.relname, a.attnum";

const PG_SCHEMA_CONSTRAINTS: &str = "SELECT c.relname::text, con.conname::text, con.contype::text, pg_get_constraintdef(con.oid), \
    con.confdeltype::text, CASE WHEN con.condeferrable AND con.condeferred THEN 't' ELSE 'f' END, \
    CASE WHEN con.convalidated THEN 't' ELSE 'f' END, \
    (SELECT string_agg(a.attname::text, ',' ORDER BY u.ord) FROM unnest(con.conkey) WITH ORDINALITY u(k, ord) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = u.k), \
    (SELECT relname::text FROM pg_class WHERE oid = con.confrelid), \
    (SELECT string_agg(a.attname::text, ',' ORDER BY u.ord) FROM unnest(con.confkey) WITH ORDINALITY u(k, ord) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = u.k) \
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND con.contype IN ('p', 'u', 'f', 'c')";

const PG_SCHEMA_INDEXES: &str = "SELECT t.relname::text, i.relname::text, pg_get_indexdef(x.indexrelid), \
    CASE WHEN x.indisunique THEN 't' ELSE 'f' END, CASE WHEN x.indisvalid THEN 't' ELSE 'f' END \
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
    WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') \
    AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u', 'x'))";

fn split_list(s: &str) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split(',').map(str::to_string).collect()
    }
}

fn pg_on_delete(code: &str) -> String {
    match code {
        "c" => "CASCADE",
        "r" => "RESTRICT",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "NO ACTION",
    }
    .to_string()
}

async fn pg_schema(conn: &mut Conn) -> Result<Schema> {
    let err = |e: teapot_core::Error| e.context("cannot read the PostgreSQL catalog");
    let mut schema = Schema::default();
    for r in conn.fetch_all(PG_TABLES, &[]).await.map_err(err)? {
        schema.tables.entry(s(&r, 0)).or_default();
    }
    for r in conn.fetch_all(PG_SCHEMA_COLUMNS, &[]).await.map_err(err)? {
        let t = schema.tables.entry(s(&r, 0)).or_default();
        let default = Some(s(&r, 5)).filter(|d| !d.is_empty());
        t.order.push(s(&r, 1));
        t.columns.insert(s(&r, 1), Column { ty: s(&r, 2), null: s(&r, 3) == "t", default, identity: !s(&r, 4).is_empty() });
    }
    for r in conn.fetch_all(PG_SCHEMA_CONSTRAINTS, &[]).await.map_err(err)? {
        let t = schema.tables.entry(s(&r, 0)).or_default();
        let (name, def, valid, columns) = (s(&r, 1), s(&r, 3), s(&r, 6) == "t", split_list(&s(&r, 7)));
        match s(&r, 2).as_str() {
            "p" => t.primary_key = Some(Key { name: Some(name), columns }),
            "u" => t.uniques.push(Key { name: Some(name), columns }),
            "c" => {
                let expr = def.strip_prefix("CHECK ").unwrap_or(&def);
                let expr = expr.strip_suffix(" NOT VALID").unwrap_or(expr).to_string();
                t.checks.push(Check { name: Some(name), expr, valid });
            }
            _ => t.foreign_keys.push(ForeignKey {
                name: Some(name),
                columns,
                to_table: s(&r, 8),
                to_columns: split_list(&s(&r, 9)),
                on_delete: pg_on_delete(&s(&r, 4)),
                deferred: Some(s(&r, 5) == "t"),
                valid,
            }),
        }
    }
    for r in conn.fetch_all(PG_SCHEMA_INDEXES, &[]).await.map_err(err)? {
        let t = schema.tables.entry(s(&r, 0)).or_default();
        let (method, columns, condition, include) = parse_pg_indexdef(&s(&r, 2));
        t.indexes.push(Index { name: s(&r, 1), columns, unique: s(&r, 3) == "t", method, condition, include, valid: s(&r, 4) == "t" });
    }
    Ok(schema)
}

/// The text inside the parenthesis that opens at byte `open` of `s`, and the byte after its
/// closing one (quotes respected).
fn paren_group(s: &str, open: usize) -> Option<(&str, usize)> {
    let bytes = s.as_bytes();
    let (mut depth, mut quote) = (0i32, None::<u8>);
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some((&s[open + 1..i], i + 1));
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// Splits on commas outside parentheses and quotes.
pub(crate) fn split_top_level(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quote) = (Vec::new(), String::new(), 0i32, None::<char>);
    for c in s.chars() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                cur.push(c);
            }
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    cur.push(c);
                }
                '(' => {
                    depth += 1;
                    cur.push(c);
                }
                ')' => {
                    depth -= 1;
                    cur.push(c);
                }
                ',' if depth == 0 => out.push(std::mem::take(&mut cur).trim().to_string()),
                _ => cur.push(c),
            },
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// An index column as compared: quotes of identifiers dropped, spaces collapsed.
pub(crate) fn index_column(c: &str) -> String {
    c.replace('"', "").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `CREATE [UNIQUE] INDEX name ON t USING method (cols) [INCLUDE (...)] [WHERE cond]`: the
/// method, the columns, the condition and the INCLUDE columns.
fn parse_pg_indexdef(def: &str) -> (Option<String>, Vec<String>, Option<String>, Vec<String>) {
    let Some(u) = def.find(" USING ") else { return (None, vec![def.to_string()], None, Vec::new()) };
    let rest = &def[u + 7..];
    let method = rest.split_whitespace().next().map(str::to_string);
    let Some(open) = rest.find('(') else { return (method, Vec::new(), None, Vec::new()) };
    let Some((cols, end)) = paren_group(rest, open) else { return (method, Vec::new(), None, Vec::new()) };
    let columns = split_top_level(cols).iter().map(|c| index_column(c)).collect();
    let tail = &rest[end..];
    let mut include = Vec::new();
    if let Some(i) = tail.strip_prefix(" INCLUDE ").and_then(|t| t.find('(').map(|o| (t, o))) {
        if let Some((inc, _)) = paren_group(i.0, i.1) {
            include = split_top_level(inc).iter().map(|c| index_column(c)).collect();
        }
    }
    let condition = tail.find(" WHERE ").map(|w| tail[w + 7..].trim().to_string());
    (method, columns, condition, include)
}

async fn sqlite_schema(conn: &mut Conn) -> Result<Schema> {
    let err = |e: teapot_core::Error| e.context("cannot read the SQLite schema");
    let mut schema = Schema::default();
    const TABLES: &str = "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
    let mut sql_of = BTreeMap::new();
    for r in conn.fetch_all(&format!("SELECT m.name, m.sql FROM sqlite_master m WHERE {TABLES}"), &[]).await.map_err(err)? {
        schema.tables.entry(s(&r, 0)).or_default();
        sql_of.insert(s(&r, 0), s(&r, 1));
    }
    let cols = conn
        .fetch_all(
            &format!(
                "SELECT m.name, p.name, lower(p.type), CAST(p.\"notnull\" AS TEXT), CAST(p.pk AS TEXT), p.dflt_value \
                 FROM sqlite_master m, pragma_table_xinfo(m.name) p WHERE {TABLES} AND p.hidden <> 1 ORDER BY m.name, p.cid"
            ),
            &[],
        )
        .await
        .map_err(err)?;
    let mut parsed: BTreeMap<String, CreateTable> = sql_of.iter().map(|(t, sql)| (t.clone(), parse_create_table(sql))).collect();
    // A composite key lists its columns in the key's order (pk 1, 2, ...), not the table's.
    let mut pk_cols: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in cols {
        let (table, col) = (s(&r, 0), s(&r, 1));
        let p = parsed.entry(table.clone()).or_default();
        let t = schema.tables.entry(table).or_default();
        let default = Some(s(&r, 5)).filter(|d| !d.is_empty());
        t.order.push(col.clone());
        t.columns.insert(col.clone(), Column { ty: s(&r, 2), null: s(&r, 3) == "0", default, identity: p.autoincrement.contains(&col) });
        if s(&r, 4) != "0" {
            pk_cols.entry(s(&r, 0)).or_default().push((format!("{:>4}", s(&r, 4)), col));
        }
    }
    for (table, mut cols) in pk_cols {
        cols.sort();
        let t = schema.tables.entry(table).or_default();
        t.primary_key = Some(Key { name: None, columns: cols.into_iter().map(|(_, c)| c).collect() });
    }
    let fks = conn
        .fetch_all(
            &format!(
                "SELECT m.name, CAST(f.id AS TEXT), f.\"from\", f.\"table\", f.\"to\", f.on_delete \
                 FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE {TABLES} ORDER BY m.name, f.id, f.seq"
            ),
            &[],
        )
        .await
        .map_err(err)?;
    let mut by_id: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for r in fks {
        let table = s(&r, 0);
        let fk = by_id.entry((table.clone(), s(&r, 1))).or_insert_with(|| ForeignKey {
            name: None,
            columns: Vec::new(),
            to_table: s(&r, 3),
            to_columns: Vec::new(),
            on_delete: s(&r, 5).to_uppercase(),
            deferred: None,
            valid: true,
        });
        fk.columns.push(s(&r, 2));
        fk.to_columns.push(s(&r, 4));
    }
    for ((table, _), mut fk) in by_id {
        if let (Some(p), [col]) = (parsed.get(&table), fk.columns.as_slice()) {
            fk.deferred = p.deferred.get(col).copied();
        }
        schema.tables.entry(table).or_default().foreign_keys.push(fk);
    }
    let idx = conn
        .fetch_all(
            &format!(
                "SELECT m.name, il.name, CAST(il.\"unique\" AS TEXT), il.origin, CAST(il.partial AS TEXT), ix.name, CAST(ix.\"desc\" AS TEXT), \
                 (SELECT sql FROM sqlite_master WHERE type = 'index' AND name = il.name) \
                 FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_xinfo(il.name) ix \
                 WHERE {TABLES} AND ix.key = 1 ORDER BY m.name, il.name, ix.seqno"
            ),
            &[],
        )
        .await
        .map_err(err)?;
    let mut indexes: BTreeMap<(String, String), (Index, String)> = BTreeMap::new();
    for r in idx {
        let (table, name) = (s(&r, 0), s(&r, 1));
        let (index, _) = indexes.entry((table, name.clone())).or_insert_with(|| {
            let sql = s(&r, 7);
            let condition = if s(&r, 4) == "1" {
                sql.rfind(" WHERE ").or_else(|| sql.rfind(" where ")).map(|w| sql[w + 7..].trim().trim_end_matches(';').to_string())
            } else {
                None
            };
            (
                Index { name, columns: Vec::new(), unique: s(&r, 2) == "1", method: None, condition, include: Vec::new(), valid: true },
                s(&r, 3),
            )
        });
        let col = if s(&r, 5).is_empty() { "<expression>".to_string() } else { s(&r, 5) };
        index.columns.push(if s(&r, 6) == "1" { format!("{col} DESC") } else { col });
    }
    for ((table, _), (index, origin)) in indexes {
        let p = parsed.entry(table.clone()).or_default();
        let t = schema.tables.entry(table).or_default();
        match origin.as_str() {
            "pk" => {}
            "u" => {
                let name = p.uniques.iter().find(|(_, c)| *c == index.columns).map(|(n, _)| n.clone());
                t.uniques.push(Key { name, columns: index.columns });
            }
            _ => t.indexes.push(index),
        }
    }
    for (table, p) in parsed {
        if let Some(t) = schema.tables.get_mut(&table) {
            t.checks = p.checks.into_iter().map(|(name, expr)| Check { name, expr, valid: true }).collect();
        }
    }
    Ok(schema)
}

/// What SQLite's pragmas do not say about a table, read from its CREATE TABLE text: the names of
/// its named UNIQUE constraints, its CHECK constraints, AUTOINCREMENT and DEFERRABLE columns.
#[derive(Debug, Default)]
struct CreateTable {
    uniques: Vec<(String, Vec<String>)>,
    checks: Vec<(Option<String>, String)>,
    autoincrement: BTreeSet<String>,
    deferred: BTreeMap<String, bool>,
}

/// An identifier as SQLite reads it: quotes (`"x"`, `` `x` ``, `[x]`) removed.
fn unquote_ident(s: &str) -> String {
    let s = s.trim();
    for (a, b) in [('"', '"'), ('`', '`'), ('[', ']')] {
        if s.len() >= 2 && s.starts_with(a) && s.ends_with(b) {
            return s[1..s.len() - 1].replace(&format!("{a}{a}"), &a.to_string());
        }
    }
    s.to_string()
}

/// The first word (or quoted identifier) of `s`, and the rest.
fn first_token(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let end = match s.chars().next() {
        Some(q @ ('"' | '`')) => s[1..].find(q).map(|i| i + 2).unwrap_or(s.len()),
        Some('[') => s.find(']').map(|i| i + 1).unwrap_or(s.len()),
        _ => s.find(|c: char| c.is_whitespace() || c == '(').unwrap_or(s.len()),
    };
    (&s[..end], &s[end..])
}

fn parse_create_table(sql: &str) -> CreateTable {
    let mut out = CreateTable::default();
    let Some(open) = sql.find('(') else { return out };
    let Some((body, _)) = paren_group(sql, open) else { return out };
    for def in split_top_level(body) {
        let (first, rest) = first_token(&def);
        let upper = def.to_ascii_uppercase();
        let kw = |w: &str| first.eq_ignore_ascii_case(w);
        if kw("CONSTRAINT") || kw("UNIQUE") || kw("CHECK") || kw("PRIMARY") || kw("FOREIGN") {
            let (name, body) = if kw("CONSTRAINT") {
                let (n, r) = first_token(rest);
                (Some(unquote_ident(n)), r.trim_start())
            } else {
                (None, def.as_str())
            };
            let (kind, _) = first_token(body);
            let group = body.find('(').and_then(|o| paren_group(body, o)).map(|(g, _)| g.to_string()).unwrap_or_default();
            if kind.eq_ignore_ascii_case("UNIQUE") {
                let cols = split_top_level(&group).iter().map(|c| unquote_ident(c)).collect();
                if let Some(n) = name {
                    out.uniques.push((n, cols));
                }
            } else if kind.eq_ignore_ascii_case("CHECK") {
                out.checks.push((name, group.trim().to_string()));
            }
            continue;
        }
        let col = unquote_ident(first);
        if upper.contains("AUTOINCREMENT") {
            out.autoincrement.insert(col.clone());
        }
        if upper.contains(" REFERENCES ") {
            out.deferred.insert(col.clone(), upper.contains("DEFERRABLE INITIALLY DEFERRED"));
        }
        // A CHECK written on the column itself, named or not.
        let mut from = 0;
        while let Some(i) = upper[from..].find("CHECK") {
            let at = from + i;
            let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '"');
            if ident(def[..at].chars().next_back()) || ident(def[at + 5..].chars().next()) {
                from = at + 5;
                continue;
            }
            let before = def[..at].trim_end();
            let name = before
                .rsplit_once(char::is_whitespace)
                .filter(|(head, _)| head.trim_end().to_ascii_uppercase().ends_with("CONSTRAINT"))
                .map(|(_, n)| unquote_ident(n));
            match def[at..].find('(').and_then(|o| paren_group(&def[at..], o)) {
                Some((g, end)) => {
                    out.checks.push((name, g.trim().to_string()));
                    from = at + end;
                }
                None => break,
            }
        }
    }
    out
}
