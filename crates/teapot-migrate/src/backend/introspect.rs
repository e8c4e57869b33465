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
                 FROM pragma_table_info(?1)",
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
