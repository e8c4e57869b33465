//! Where one SQL statement ends and the next begins, as PostgreSQL reads the text: outside
//! quotes (`'...'`, `E'...'` with its backslash escapes, `"..."`), dollar-quoted bodies (`$$`,
//! `$tag$`) and comments (`--`, nested `/* */`). The migrator runs `run_sql` statement by
//! statement on this split, check lints it, and the raw expressions of a model (a check, a
//! db_default, a backfill's `set`) are refused when they hold a second statement or leave
//! something open that would swallow the SQL teapot writes after them: one lexer, so what is
//! refused, linted and run is the same text.

/// Whether `sql` holds a `;` that ends a statement.
pub fn has_statement_separator(sql: &str) -> bool {
    scan(sql).separators > 0
}

/// What `sql` leaves open at its end, if anything: a quote, a dollar quote, a comment or a
/// parenthesis (or a `)` that closes one opened before it). An expression written into a
/// statement must leave nothing open, or the text after it would be read as part of it.
pub fn left_open(sql: &str) -> Option<&'static str> {
    let s = scan(sql);
    s.open.or(match s.depth {
        d if d > 0 => Some("a parenthesis"),
        d if d < 0 => Some("a `)` with no `(` before it"),
        _ => None,
    })
}

/// The statements of `sql` (comments dropped, empty ones left out).
pub fn split_statements(sql: &str) -> Vec<String> {
    scan(sql).statements
}

/// The dollar-quoted bodies of a statement (a function's or a DO block's code).
pub fn dollar_bodies(stmt: &str) -> Vec<String> {
    let chars: Vec<char> = stmt.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\'' | '"' => i = quoted_end(&chars, i).unwrap_or(chars.len()),
            '$' => match dollar_tag(&chars, i) {
                Some(tag) => {
                    let body = i + tag.len();
                    let end = find(&chars, body, &tag);
                    out.push(chars[body..end.unwrap_or(chars.len())].iter().collect());
                    i = end.map_or(chars.len(), |e| e + tag.len());
                }
                None => i += 1,
            },
            _ => i += 1,
        }
    }
    out
}

struct Scan {
    statements: Vec<String>,
    separators: usize,
    /// What the text ends inside of.
    open: Option<&'static str>,
    /// Parentheses opened minus closed, outside quotes and comments.
    depth: i64,
}

fn scan(sql: &str) -> Scan {
    let chars: Vec<char> = sql.chars().collect();
    let (mut statements, mut cur) = (Vec::new(), String::new());
    let (mut separators, mut open, mut depth, mut lowest) = (0, None, 0i64, 0i64);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '-' && next == Some('-') {
            match (i..chars.len()).find(|&j| chars[j] == '\n') {
                Some(j) => i = j,
                None => {
                    open = Some("a -- comment (it would swallow the rest of the line)");
                    i = chars.len();
                }
            }
            cur.push(' ');
            continue;
        }
        if c == '/' && next == Some('*') {
            i = block_comment_end(&chars, i).unwrap_or_else(|| {
                open = Some("a /* comment");
                chars.len()
            });
            cur.push(' ');
            continue;
        }
        if c == '\'' || c == '"' {
            let end = quoted_end(&chars, i).unwrap_or_else(|| {
                open = Some(if c == '"' { "a \"...\" name" } else { "a '...' string" });
                chars.len()
            });
            cur.extend(&chars[i..end]);
            i = end;
            continue;
        }
        if c == '$' {
            if let Some(tag) = dollar_tag(&chars, i) {
                let end = find(&chars, i + tag.len(), &tag).map(|e| e + tag.len()).unwrap_or_else(|| {
                    open = Some("a dollar-quoted string");
                    chars.len()
                });
                cur.extend(&chars[i..end]);
                i = end;
                continue;
            }
        }
        match c {
            ';' => {
                separators += 1;
                statements.push(std::mem::take(&mut cur));
                i += 1;
                continue;
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                lowest = lowest.min(depth);
            }
            _ => {}
        }
        cur.push(c);
        i += 1;
    }
    statements.push(cur);
    statements.retain(|s| !s.trim().is_empty());
    Scan { statements, separators, open, depth: if lowest < 0 { lowest } else { depth } }
}

/// The tag of a dollar quote starting at `i` (`$$` or `$name$`), both dollars included. A `$`
/// inside a name (`a$b`) or before a digit (`$1`, a parameter) starts none.
fn dollar_tag(chars: &[char], i: usize) -> Option<Vec<char>> {
    if i > 0 && is_name_char(chars[i - 1]) {
        return None;
    }
    let mut j = i + 1;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
        j += 1;
    }
    (chars.get(j) == Some(&'$') && !chars.get(i + 1).is_some_and(char::is_ascii_digit)).then(|| chars[i..=j].to_vec())
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Where `needle` next starts, from `from`.
fn find(chars: &[char], from: usize, needle: &[char]) -> Option<usize> {
    (from..chars.len()).find(|&j| chars[j..].starts_with(needle))
}

/// The end (exclusive) of the quoted text that opens at `i`, None when it never closes. A doubled
/// quote stays inside; in an escape string (`E'...'`) so does a backslash and what follows it.
fn quoted_end(chars: &[char], i: usize) -> Option<usize> {
    let quote = chars[i];
    let backslashes = quote == '\'' && i > 0 && matches!(chars[i - 1], 'E' | 'e') && (i < 2 || !is_name_char(chars[i - 2]));
    let mut j = i + 1;
    while j < chars.len() {
        if backslashes && chars[j] == '\\' {
            j += 2;
            continue;
        }
        if chars[j] == quote {
            if chars.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return Some(j + 1);
        }
        j += 1;
    }
    None
}

/// The end (exclusive) of the block comment that opens at `i`, None when it never closes; they
/// nest in PostgreSQL.
fn block_comment_end(chars: &[char], i: usize) -> Option<usize> {
    let (mut depth, mut j) = (0usize, i);
    while j + 1 < chars.len() {
        if chars[j] == '/' && chars[j + 1] == '*' {
            depth += 1;
            j += 2;
        } else if chars[j] == '*' && chars[j + 1] == '/' {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return Some(j);
            }
        } else {
            j += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_where_postgresql_does() {
        assert_eq!(split_statements("SELECT E'\\'' ; DROP TABLE t"), ["SELECT E'\\'' ", " DROP TABLE t"]);
        assert_eq!(split_statements("SELECT 'a\\'';x'"), ["SELECT 'a\\'';x'"]);
        assert_eq!(split_statements("/* /* */ ; */ a; b -- c; d\n"), ["  a", " b  \n"]);
        assert_eq!(split_statements("SELECT $f$;$f$, a$b$; c"), ["SELECT $f$;$f$, a$b$", " c"]);
    }

    #[test]
    fn says_what_is_left_open() {
        for ok in ["qty >= 0", "name <> 'a;b' AND (x = \"y\")", "f($$)$$)", "1 -- fine\n", "E'\\''"] {
            assert_eq!(left_open(ok), None, "{ok}");
        }
        for (open, what) in [
            ("to = \"", "name"),
            ("'abc", "string"),
            ("E'\\'", "string"),
            ("$x$ a", "dollar"),
            ("1 /* /* */", "comment"),
            ("1 --", "-- comment"),
            ("(1", "parenthesis"),
            ("1), (2", "`)`"),
        ] {
            let said = left_open(open).unwrap_or_else(|| panic!("{open} leaves something open"));
            assert!(said.contains(what), "{open}: {said}");
        }
    }
}
