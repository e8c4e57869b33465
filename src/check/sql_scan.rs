//! Classifies raw SQL (`run_sql`) statement by statement, so the lint rules apply to it too;
//! what it cannot classify is flagged for review.

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
        let starts = |w: &str| s.starts_with(w);
        let mut found = Vec::new();
        if (starts("CREATE INDEX") || starts("CREATE UNIQUE INDEX") || starts("DROP INDEX") || starts("REINDEX")) && !has("CONCURRENTLY") {
            found.push("TP007");
        }
        if starts("ALTER TABLE") {
            if (has("FOREIGN KEY") || has(" REFERENCES ") || has(" CHECK ")) && has(" ADD ") && !has("NOT VALID") {
                found.push("TP008");
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
            || starts("CREATE VIEW")
            || starts("CREATE OR REPLACE VIEW")
            || starts("SET ")
            || (starts("ALTER TABLE") && (has("VALIDATE CONSTRAINT") || has("NOT VALID") || has("DROP CONSTRAINT")));
        if found.is_empty() && !known_safe && !starts("ALTER TABLE") {
            found.push("TP012");
        }
        for id in found {
            out.push((id, shown.clone()));
        }
    }
    out
}

fn normalise(stmt: &str) -> String {
    let no_comments: String = stmt.lines().map(|l| l.split("--").next().unwrap_or("")).collect::<Vec<_>>().join(" ");
    let upper = no_comments.to_uppercase().replace('"', "");
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

/// Splits on `;` outside quotes and dollar-quoted bodies.
fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut in_str, mut dollar) = (false, false);
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' && !dollar {
            in_str = !in_str;
        } else if c == '$' && !in_str && chars.get(i + 1) == Some(&'$') {
            dollar = !dollar;
            cur.push_str("$$");
            i += 2;
            continue;
        } else if c == ';' && !in_str && !dollar {
            out.push(std::mem::take(&mut cur));
            i += 1;
            continue;
        }
        cur.push(c);
        i += 1;
    }
    out.push(cur);
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
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
        assert!(ids("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql").is_empty());
    }
}
