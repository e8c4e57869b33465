//! Classifies raw SQL (`run_sql`) statement by statement, so the lint rules apply to it too;
//! what it cannot classify is flagged for review.

use teapot_schema::sql_lexer::{dollar_bodies, split_statements};

/// The rule ids a piece of SQL breaks, each with the statement that breaks it.
pub fn scan_sql(sql: &str) -> Vec<(&'static str, String)> {
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
        if (starts("CREATE INDEX") || starts("CREATE UNIQUE INDEX") || starts("DROP INDEX") || starts("REINDEX")) && !has("CONCURRENTLY") {
            found.push("TP007");
        }
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
            if has(" TYPE ") && has("ALTER COLUMN") {
                found.push("TP006");
            }
            if has("SET NOT NULL") {
                found.push("TP009");
            }
            if has("ADD COLUMN") && has(" DEFAULT ") && (has("()") || has("RANDOM") || has("UUID")) {
                found.push("TP010");
            }
            if has("ADD COLUMN") && has("NOT NULL") && !has(" DEFAULT ") {
                found.push("TP001");
            }
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
            && (has("ADD COLUMN")
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
