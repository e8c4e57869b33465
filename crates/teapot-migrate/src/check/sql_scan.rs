//! Classifies raw SQL (`run_sql`) statement by statement, so the lint rules apply to it too;
//! what it cannot classify is flagged for review.

use teapot_schema::sql_lexer::{dollar_bodies, split_statements};

use crate::backend::online::is_volatile;

/// The rule ids a piece of SQL breaks, each with the statement that breaks it.
pub fn scan_sql(sql: &str) -> Vec<(&'static str, String)> {
    scan_sql_in(sql, &|_, _| None)
}

/// [`scan_sql`] knowing the project: `column_type(table, column)` is a column's PostgreSQL type
/// before the SQL runs, so a retype that keeps the bytes on disk (a wider varchar, varchar to
/// text) is not a rewrite.
pub fn scan_sql_in(sql: &str, column_type: &dyn Fn(&str, &str) -> Option<String>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for stmt in split_statements(sql) {
        let s = normalise(&stmt);
        if s.is_empty() {
            continue;
        }
        let shown: String = stmt.trim().chars().take(80).collect();
        let has = |w: &str| s.contains(w);
        let word = |w: &str| s.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|t| t == w);
        let starts = |w: &str| s.starts_with(w);
        let mut found = Vec::new();
        if (starts("CREATE INDEX") || starts("CREATE UNIQUE INDEX") || starts("REINDEX")) && !has("CONCURRENTLY") {
            found.push("TP007");
        }
        if starts("DROP INDEX") && !has("CONCURRENTLY") {
            found.push("TP015");
        }
        let adds = starts("ALTER TABLE") && adds_column(&s);
        // ALTER TABLE t ALTER [COLUMN] c [SET DATA] TYPE x
        let retype = starts("ALTER TABLE") && has(" TYPE ") && s.get("ALTER TABLE".len()..).is_some_and(|r| r.contains(" ALTER "));
        if starts("ALTER TABLE") {
            if (has("FOREIGN KEY") || has(" REFERENCES ") || has(" CHECK ") || has(" CHECK(")) && has(" ADD ") && !has("NOT VALID") {
                found.push("TP008");
            }
            if (word("UNIQUE") || has("PRIMARY KEY")) && has(" ADD ") && !has("USING INDEX") {
                found.push("TP007");
            }
            if has("DROP COLUMN") {
                found.push("TP002");
            }
            if has("RENAME COLUMN") || (has(" RENAME ") && !has(" RENAME TO ") && !has("RENAME CONSTRAINT")) {
                found.push("TP004");
            }
            if has(" RENAME TO ") {
                found.push("TP005");
            }
            if retype && !metadata_only_retype(&stmt, column_type) {
                found.push("TP006");
            }
            if has("SET NOT NULL") {
                found.push("TP009");
            }
            if adds && !rewrites_on_add(&s) && default_expr(&stmt).is_some_and(|d| volatile(&d)) {
                found.push("TP010");
            }
            if adds && has("NOT NULL") && !has(" DEFAULT ") && !rewrites_on_add(&s) {
                found.push("TP001");
            }
            if adds && rewrites_on_add(&s) {
                found.push("TP016");
            }
        }
        if (starts("CREATE TABLE") || starts("ALTER TABLE")) && naive_timestamp(&s) {
            found.push("TP017");
        }
        if starts("DROP TABLE") {
            found.push("TP003");
        }
        if (starts("UPDATE") || starts("DELETE")) && !has(" LIMIT ") {
            found.push("TP013");
        }
        let known_safe = starts("CREATE TABLE")
            || starts("CREATE INDEX CONCURRENTLY")
            || starts("CREATE UNIQUE INDEX CONCURRENTLY")
            || starts("DROP INDEX CONCURRENTLY")
            || starts("COMMENT ON")
            || starts("GRANT")
            || starts("REVOKE")
            || starts("SELECT")
            || starts("INSERT")
            || starts("CREATE EXTENSION")
            || starts("CREATE OR REPLACE FUNCTION")
            || starts("CREATE FUNCTION")
            || starts("CREATE OR REPLACE PROCEDURE")
            || starts("CREATE PROCEDURE")
            || starts("CREATE VIEW")
            || starts("CREATE OR REPLACE VIEW")
            || starts("SET ")
            || (starts("ALTER TABLE") && (has("VALIDATE CONSTRAINT") || has("NOT VALID") || has("DROP CONSTRAINT")));
        // An ALTER TABLE is known when it adds a column (its risks are the rules above), attaches
        // an index as a constraint, drops a constraint, or changes a default or NULL allowance
        // (metadata only); any other form is for review.
        let known_alter = starts("ALTER TABLE")
            && (adds
                || retype
                || has("USING INDEX")
                || has("DROP CONSTRAINT")
                || has("SET DEFAULT")
                || has("DROP DEFAULT")
                || has("DROP NOT NULL")
                || has("OWNER TO"));
        if found.is_empty() && !known_safe && !known_alter {
            found.push("TP012");
        }
        for id in found {
            out.push((id, shown.clone()));
        }
        if starts("CREATE") || starts("DO") {
            // A body that drops or truncates does so each time it is called (a trigger: on every
            // write); it is code to review, not a harmless CREATE FUNCTION.
            for inner in body_findings(&stmt) {
                out.push(("TP012", format!("{shown} ... in its body: {inner}")));
            }
        }
    }
    out
}

/// Whether `ALTER TABLE t ALTER [COLUMN] c [SET DATA] TYPE x` (one clause, no USING) changes a
/// column whose type is known to one that is binary compatible with it.
fn metadata_only_retype(stmt: &str, column_type: &dyn Fn(&str, &str) -> Option<String>) -> bool {
    let lower = stmt.trim().trim_end_matches(';').to_lowercase();
    if lower.contains(',') || lower.contains(" using ") || lower.contains(" collate ") {
        return false;
    }
    let w: Vec<&str> = lower.split_whitespace().collect();
    let mut i = 2; // after ALTER TABLE
    while matches!(w.get(i), Some(&"if") | Some(&"exists") | Some(&"only")) {
        i += 1;
    }
    let Some(table) = w.get(i).map(|t| t.trim_matches('"')) else { return false };
    i += 1;
    if w.get(i) != Some(&"alter") {
        return false;
    }
    i += 1;
    if w.get(i) == Some(&"column") {
        i += 1;
    }
    let Some(column) = w.get(i).map(|c| c.trim_matches('"')) else { return false };
    i += 1;
    if w.get(i) == Some(&"set") && w.get(i + 1) == Some(&"data") {
        i += 2;
    }
    if w.get(i) != Some(&"type") {
        return false;
    }
    let new_type = w[i + 1..].join(" ").replace("character varying", "varchar").replace(' ', "");
    let table = table.rsplit('.').next().unwrap_or(table);
    column_type(table, column).is_some_and(|old| old == new_type || crate::backend::online::binary_compatible(&old, &new_type))
}

/// The words of a normalised statement (letters, digits and `_`).
fn words(s: &str) -> Vec<&str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect()
}

/// Whether an ALTER TABLE adds a column: `ADD COLUMN x ...`, or `ADD x ...` where x is no
/// constraint keyword.
fn adds_column(s: &str) -> bool {
    let w = words(s);
    w.windows(2)
        .any(|p| p[0] == "ADD" && !matches!(p[1], "CONSTRAINT" | "PRIMARY" | "UNIQUE" | "FOREIGN" | "CHECK" | "EXCLUDE" | "GENERATED"))
}

/// Whether the column an ALTER TABLE adds gets a value computed for every existing row, which
/// PostgreSQL writes by rewriting the whole table under ACCESS EXCLUSIVE: an identity column
/// (`GENERATED ... AS IDENTITY`), a stored generated column (`GENERATED ALWAYS AS (...) STORED`),
/// or a serial (a `nextval()` default per row).
fn rewrites_on_add(s: &str) -> bool {
    let w = words(s);
    let identity = w.windows(2).any(|p| p == ["AS", "IDENTITY"]);
    let stored = w.contains(&"GENERATED") && w.contains(&"STORED");
    let serial = w.iter().any(|x| matches!(*x, "SERIAL" | "BIGSERIAL" | "SMALLSERIAL" | "SERIAL2" | "SERIAL4" | "SERIAL8"));
    identity || stored || serial
}

/// The expression after DEFAULT in a column definition, up to the next clause (a constraint
/// keyword, a comma at depth 0, or the end), in its original case.
fn default_expr(stmt: &str) -> Option<String> {
    let upper = stmt.to_uppercase();
    let start = upper.match_indices("DEFAULT").find(|(i, _)| {
        let before = upper[..*i].chars().next_back();
        let after = upper[i + 7..].chars().next();
        before.is_some_and(char::is_whitespace) && after.is_some_and(char::is_whitespace)
    })?;
    let rest = &stmt[start.0 + 7..];
    let mut depth = 0i32;
    let mut end = rest.len();
    let mut word_start = None;
    let mut quoted = false;
    for (i, c) in rest.char_indices() {
        if c == '\'' {
            quoted = !quoted;
        }
        if quoted {
            continue;
        }
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' | ';' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
        if c.is_alphabetic() && word_start.is_none() {
            word_start = Some(i);
        }
        if !c.is_alphanumeric() && c != '_' {
            if let Some(ws) = word_start.take() {
                if depth == 0
                    && matches!(
                        rest[ws..i].to_uppercase().as_str(),
                        "NOT" | "NULL" | "CONSTRAINT" | "CHECK" | "UNIQUE" | "PRIMARY" | "REFERENCES" | "COLLATE"
                    )
                    && ws > 0
                    && !rest[..ws].trim().is_empty()
                {
                    end = ws;
                    break;
                }
            }
        }
    }
    let e = rest[..end].trim();
    (!e.is_empty()).then(|| e.to_string())
}

/// Whether a default is evaluated per row; a constant cast to a type (`'{}'::jsonb`) is not.
fn volatile(d: &str) -> bool {
    match d.rfind("::") {
        Some(i) if d[..i].trim_end().ends_with('\'') && !d[i..].contains('(') => is_volatile(d[..i].trim_end()),
        _ => is_volatile(d),
    }
}

/// Whether a column is declared `timestamp` without a time zone (`timestamp`, `timestamp(3)`,
/// `timestamp without time zone`).
fn naive_timestamp(s: &str) -> bool {
    let w = words(s);
    w.iter().enumerate().any(|(i, x)| {
        if *x != "TIMESTAMP" {
            return false;
        }
        // timestamp(3): the precision is a word of its own
        let mut j = i + 1;
        if w.get(j).is_some_and(|p| p.chars().all(|c| c.is_ascii_digit())) {
            j += 1;
        }
        !(w.get(j) == Some(&"WITH") && w.get(j + 1) == Some(&"TIME") && w.get(j + 2) == Some(&"ZONE"))
    })
}

fn normalise(stmt: &str) -> String {
    let upper = stmt.to_uppercase().replace('"', "");
    let mut out = String::with_capacity(upper.len());
    let mut last_space = true;
    for c in upper.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out.trim().to_string()
}

/// What in a function, procedure or DO body destroys data or schema whenever it runs (DROP,
/// TRUNCATE), or runs SQL no one can read before it runs (EXECUTE): for review.
fn body_findings(stmt: &str) -> Vec<String> {
    let mut out = Vec::new();
    for body in dollar_bodies(stmt) {
        for inner in split_statements(&body) {
            let s = normalise(&inner);
            let s = s.trim_start_matches("BEGIN ").trim_start_matches("DECLARE ");
            let words: Vec<&str> = s.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
            if words.iter().any(|w| matches!(*w, "DROP" | "TRUNCATE" | "EXECUTE")) {
                out.push(inner.trim().chars().take(80).collect());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::scan_sql;

    fn ids(sql: &str) -> Vec<&'static str> {
        scan_sql(sql).into_iter().map(|(i, _)| i).collect()
    }

    #[test]
    fn classifies_statements() {
        assert_eq!(ids("CREATE INDEX i ON t (a)"), vec!["TP007"]);
        assert!(ids("CREATE INDEX CONCURRENTLY i ON t (a)").is_empty());
        assert_eq!(ids("ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id)"), vec!["TP008"]);
        assert!(ids("ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) NOT VALID").is_empty());
        assert_eq!(ids("alter table t drop column a; drop table u"), vec!["TP002", "TP003"]);
        assert_eq!(ids("UPDATE t SET a = 1"), vec!["TP013"]);
        assert_eq!(ids("VACUUM FULL t"), vec!["TP012"]);
        assert_eq!(ids("ALTER TABLE t ADD COLUMN x int NOT NULL"), vec!["TP001"]);
        assert!(ids("ALTER TABLE t ADD COLUMN x int NOT NULL DEFAULT 0").is_empty());
        assert_eq!(ids("ALTER TABLE t CLUSTER ON i"), vec!["TP012"]);
        assert!(ids("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql").is_empty());
    }

    #[test]
    fn drop_index_without_concurrently() {
        assert_eq!(ids("DROP INDEX book_t"), vec!["TP015"]);
        assert_eq!(ids("drop index if exists book_t"), vec!["TP015"]);
        assert!(ids("DROP INDEX CONCURRENTLY IF EXISTS book_t").is_empty());
    }

    #[test]
    fn added_columns_that_rewrite_the_table() {
        for sql in [
            "ALTER TABLE t ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY",
            "ALTER TABLE t ADD COLUMN n bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY",
            "ALTER TABLE t ADD COLUMN total numeric GENERATED ALWAYS AS (price * qty) STORED",
            "alter table t add total numeric generated always as (price*qty) stored",
            "ALTER TABLE t ADD COLUMN n serial",
            "ALTER TABLE t ADD COLUMN n BIGSERIAL NOT NULL",
            "ALTER TABLE t ADD n smallserial",
            "ALTER TABLE t ADD COLUMN a int, ADD COLUMN n serial8",
        ] {
            assert_eq!(ids(sql), vec!["TP016"], "{sql}");
        }
        // a volatile default rewrites too (TP010); a constant, a cast constant or now() does not
        assert_eq!(ids("ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid()"), vec!["TP010"]);
        assert_eq!(ids("ALTER TABLE t ADD COLUMN r float8 DEFAULT random() NOT NULL"), vec!["TP010"]);
        assert_eq!(ids("ALTER TABLE t ADD COLUMN n int DEFAULT nextval('s')"), vec!["TP010"]);
        for sql in [
            "ALTER TABLE t ADD COLUMN at timestamptz DEFAULT now()",
            "ALTER TABLE t ADD COLUMN at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP",
            "ALTER TABLE t ADD COLUMN j jsonb NOT NULL DEFAULT '{}'::jsonb",
            "ALTER TABLE t ADD COLUMN n int DEFAULT 0 NOT NULL",
            "ALTER TABLE t ADD COLUMN s text DEFAULT 'a, b'",
            "ALTER TABLE t ADD n int",
            "ALTER TABLE t ALTER COLUMN n SET DEFAULT random()",
            "ALTER TABLE t ALTER COLUMN n DROP NOT NULL",
        ] {
            assert!(ids(sql).is_empty(), "{sql}: {:?}", ids(sql));
        }
        // without COLUMN, a NOT NULL column with no default is still TP001
        assert_eq!(ids("ALTER TABLE t ADD n int NOT NULL"), vec!["TP001"]);
    }

    #[test]
    fn timestamp_without_time_zone() {
        for sql in [
            "CREATE TABLE e (id bigint, at timestamp)",
            "CREATE TABLE e (at TIMESTAMP(3) NOT NULL)",
            "ALTER TABLE t ADD COLUMN at timestamp without time zone",
        ] {
            assert_eq!(ids(sql), vec!["TP017"], "{sql}");
        }
        assert_eq!(ids("ALTER TABLE t ALTER COLUMN at TYPE timestamp"), vec!["TP006", "TP017"]);
        for sql in [
            "CREATE TABLE e (at timestamptz DEFAULT current_timestamp)",
            "CREATE TABLE e (at timestamp(6) with time zone, d date DEFAULT localtimestamp)",
            "ALTER TABLE t ADD COLUMN at timestamp with time zone",
        ] {
            assert!(ids(sql).is_empty(), "{sql}: {:?}", ids(sql));
        }
    }

    #[test]
    fn an_escape_string_does_not_hide_the_statement_after_it() {
        // In E'\'' the backslash keeps the quote inside: the string ends there, and DROP TABLE
        // is a statement of its own (PostgreSQL runs it).
        assert_eq!(ids("SELECT E'\\'' ; DROP TABLE t"), vec!["TP003"]);
        assert_eq!(ids("SELECT e'a\\\\'; DROP TABLE t"), vec!["TP003"]);
        // Without the E a backslash is a character, and the doubled quote keeps the string open.
        assert!(ids("SELECT 'a\\'';DROP TABLE t'").is_empty());
        // Comments nest; a name with E at its end is no escape string.
        assert_eq!(ids("/* /* */ DROP TABLE hidden; */ DROP TABLE t"), vec!["TP003"]);
        assert_eq!(ids("SELECT some_e'x'; DROP TABLE t"), vec!["TP003"]);
        assert_eq!(ids("SELECT a$b$ FROM t; DROP TABLE u"), vec!["TP003"]);
    }

    #[test]
    fn destructive_function_bodies_are_for_review() {
        let found = scan_sql(
            "CREATE OR REPLACE FUNCTION wipe() RETURNS trigger AS $body$ BEGIN TRUNCATE audit; RETURN NULL; END $body$ LANGUAGE plpgsql",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "TP012");
        assert!(found[0].1.contains("TRUNCATE audit"), "{found:?}");
        assert_eq!(ids("CREATE FUNCTION f() RETURNS void AS $$ DROP TABLE t $$ LANGUAGE sql"), vec!["TP012"]);
        assert_eq!(ids("CREATE PROCEDURE p() AS $$ BEGIN EXECUTE 'DROP TABLE ' || 't'; END $$ LANGUAGE plpgsql"), vec!["TP012"]);
        assert_eq!(ids("DO $$ BEGIN DROP TABLE t; END $$"), vec!["TP012", "TP012"]);
        assert!(ids("CREATE FUNCTION f() RETURNS int AS $$ SELECT count(*) FROM dropped_items $$ LANGUAGE sql").is_empty());
    }
}
