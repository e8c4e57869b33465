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

/// The tag of a dollar quote starting at `i` (`$$` or `$name$`), with both dollars.
fn dollar_tag(chars: &[char], i: usize) -> Option<String> {
    let mut j = i + 1;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
        j += 1;
    }
    (chars.get(j) == Some(&'$') && !chars.get(i + 1).is_some_and(char::is_ascii_digit)).then(|| chars[i..=j].iter().collect())
}

/// Splits on `;` outside quotes, dollar-quoted bodies (`$$` or `$tag$`) and comments; comments
/// are dropped (an apostrophe in `-- don't` must not open a string).
pub(crate) fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            cur.push(' ');
            continue;
        }
        if c == '/' && next == Some('*') {
            let end = (i + 2..chars.len().saturating_sub(1)).find(|&j| chars[j] == '*' && chars[j + 1] == '/');
            i = end.map(|j| j + 2).unwrap_or(chars.len());
            cur.push(' ');
            continue;
        }
        if c == '\'' || c == '"' {
            let end = (i + 1..chars.len()).find(|&j| chars[j] == c).unwrap_or(chars.len() - 1);
            cur.extend(&chars[i..=end]);
            i = end + 1;
            continue;
        }
        if c == '$' {
            if let Some(tag) = dollar_tag(&chars, i) {
                let t: Vec<char> = tag.chars().collect();
                let body = i + t.len();
                let end = (body..chars.len()).find(|&j| chars[j..].starts_with(&t)).map(|j| j + t.len()).unwrap_or(chars.len());
                cur.extend(&chars[i..end]);
                i = end;
                continue;
            }
        }
        if c == ';' {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
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
        assert_eq!(ids("ALTER TABLE t ADD COLUMN x int NOT NULL"), vec!["TP001"]);
        assert!(ids("ALTER TABLE t ADD COLUMN x int NOT NULL DEFAULT 0").is_empty());
        assert_eq!(ids("ALTER TABLE t CLUSTER ON i"), vec!["TP012"]);
        assert!(ids("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql").is_empty());
    }
}
