//! Migration files: TOML, one per migration, `migrations/{app}/{NNNN}_{name}.toml`.
//!
//! Reading is strict (unknown keys are errors, with the line); writing is deterministic: the same
//! operations always give byte-identical files.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use teapot_core::{Error, ErrorKind};
use teapot_schema::operation::Operation;

/// A migration: its place in the graph and its operations.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// App label.
    pub app: String,
    /// File stem, e.g. `0002_book_pages`.
    pub name: String,
    /// `app/name` of the migrations that must be applied first.
    pub dependencies: Vec<String>,
    /// The operations, in order.
    pub operations: Vec<Operation>,
    /// Whether it runs in one transaction (the default). `atomic = false` runs each statement on
    /// its own on PostgreSQL, recording each one finished, for statements that cannot run in a
    /// transaction (`CREATE INDEX CONCURRENTLY` in `run_sql`); SQLite runs it in one transaction
    /// anyway (it has no such statement).
    pub atomic: bool,
    /// Where it was read from (None for one not written yet).
    pub path: Option<PathBuf>,
    /// Lint rules silenced on purpose, per operation: `allow = ["TP002"]` and
    /// `allow_reason = "..."` in the operation's table (each on one line).
    pub allows: Vec<Allow>,
}

/// Rules an operation silences, and why.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Allow {
    /// 0-based operation index.
    pub operation: usize,
    /// Rule ids.
    pub rules: Vec<String>,
    /// Why (required by `teapot check`).
    pub reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMigration {
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default = "yes")]
    atomic: bool,
    #[serde(default)]
    operations: Vec<Operation>,
}

fn yes() -> bool {
    true
}

impl Migration {
    /// `app/name`, the key dependencies use.
    pub fn key(&self) -> String {
        format!("{}/{}", self.app, self.name)
    }

    /// The number at the start of the name (`0002_x` is 2).
    pub fn number(&self) -> Option<u32> {
        number_of(&self.name)
    }

    /// Parses a migration file's text.
    pub fn parse(app: &str, name: &str, text: &str, path: Option<&Path>) -> Result<Migration, Error> {
        let shown = path.map(|p| p.display().to_string()).unwrap_or_else(|| format!("{app}/{name}"));
        if text.trim().is_empty() {
            return Err(Error::new(ErrorKind::MigrationFile, format!("{shown}: the migration file is empty"))
                .hint("restore it from version control, or write one with `teapot makemigrations --empty APP`"));
        }
        let allows = read_allows(text);
        let stripped = strip_allow_lines(text);
        let text = stripped.as_str();
        let raw: RawMigration = toml::from_str(text).map_err(|e| {
            let (line, col) =
                e.span().map(|s| line_col(text, key_offset(text, s.clone(), e.message()).unwrap_or(s.start))).unwrap_or((1, 1));
            Error::new(ErrorKind::MigrationFile, format!("{shown}:{line}:{col}: this migration file cannot be read: {}", e.message()))
                .hint("fix the file by hand, or restore it from version control; `teapot makemigrations` writes valid files")
        })?;
        for d in &raw.dependencies {
            if !d.contains('/') {
                return Err(Error::new(
                    ErrorKind::MigrationFile,
                    format!("{shown}: dependency \"{d}\" is not of the form \"app/NNNN_name\""),
                )
                .hint("write dependencies as \"library/0001_initial\""));
            }
        }
        for (i, op) in raw.operations.iter().enumerate() {
            teapot_schema::text::check_operation(op).map_err(|why| {
                let line = text.match_indices("[[operations]]").nth(i).map(|(at, _)| text[..at].lines().count() + 1).unwrap_or(1);
                Error::new(ErrorKind::MigrationFile, format!("{shown}:{line}: operation {}: {why}", i + 1))
                    .hint("fix the file; nothing was run (names are identifiers, and a check, db_default or backfill expression is one expression)")
            })?;
        }
        Ok(Migration {
            app: app.to_string(),
            name: name.to_string(),
            dependencies: raw.dependencies,
            operations: raw.operations,
            atomic: raw.atomic,
            path: path.map(Path::to_path_buf),
            allows,
        })
    }

    /// Reads a migration file.
    pub fn read(app: &str, path: &Path) -> Result<Migration, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::new(ErrorKind::Io, format!("cannot read {}: {e}", path.display())))?;
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        Migration::parse(app, name, &text, Some(path))
    }

    /// The file's text: deterministic, so the same migration always gives the same bytes.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("# teapot migration {}\n", self.key()));
        out.push_str("dependencies = [");
        out.push_str(&self.dependencies.iter().map(|d| quote(d)).collect::<Vec<_>>().join(", "));
        out.push_str("]\n");
        if !self.atomic {
            out.push_str("atomic = false\n");
        }
        for (i, op) in self.operations.iter().enumerate() {
            out.push_str("\n[[operations]]\n");
            let value = toml::Value::try_from(op).unwrap_or_else(|e| {
                // Every operation is plain data; failing here is a bug in the operation types.
                panic!("operation {op:?} cannot be written as TOML: {e}")
            });
            if let toml::Value::Table(t) = value {
                for (k, v) in t {
                    match &v {
                        toml::Value::Array(items) if items.iter().all(|i| i.is_table()) && !items.is_empty() => {
                            out.push_str(&format!("{} = [\n", key(&k)));
                            for i in items {
                                out.push_str(&format!("    {},\n", inline(i)));
                            }
                            out.push_str("]\n");
                        }
                        _ => out.push_str(&format!("{} = {}\n", key(&k), inline(&v))),
                    }
                }
            }
            if let Some(a) = self.allows.iter().find(|a| a.operation == i) {
                out.push_str(&format!("allow = [{}]\n", a.rules.iter().map(|r| quote(r)).collect::<Vec<_>>().join(", ")));
                if let Some(r) = &a.reason {
                    out.push_str(&format!("allow_reason = {}\n", quote(r)));
                }
            }
        }
        out
    }
}

fn is_allow_line(line: &str) -> bool {
    let t = line.trim_start();
    ["allow", "allow_reason"].iter().any(|k| t.strip_prefix(k).is_some_and(|r| r.trim_start().starts_with('=')))
}

/// The text with `allow` lines blanked (line numbers kept), for the strict parse.
fn strip_allow_lines(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|l| {
            if is_allow_line(l) {
                if l.ends_with('\n') {
                    "\n"
                } else {
                    ""
                }
            } else {
                l
            }
        })
        .collect()
}

/// `allow` / `allow_reason` of each operation (a file that does not parse has none: the strict
/// parse reports it).
fn read_allows(text: &str) -> Vec<Allow> {
    let Ok(table) = text.parse::<toml::Table>() else { return Vec::new() };
    let Some(toml::Value::Array(ops)) = table.get("operations") else { return Vec::new() };
    ops.iter()
        .enumerate()
        .filter_map(|(i, op)| {
            let rules: Vec<String> = op.get("allow")?.as_array()?.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
            let reason = op.get("allow_reason").and_then(|v| v.as_str()).map(str::to_string);
            Some(Allow { operation: i, rules, reason })
        })
        .collect()
}

/// The number a migration name starts with.
pub fn number_of(name: &str) -> Option<u32> {
    let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        None
    } else {
        digits.parse().ok()
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

/// For "unknown field `x`" inside an operation, the parser's span covers the whole operation
/// (its tag is read first, which loses the keys' places): find the key `x = ` in that span.
fn key_offset(text: &str, span: std::ops::Range<usize>, message: &str) -> Option<usize> {
    let key = message.strip_prefix("unknown field `")?.split('`').next()?;
    let region = text.get(span.start..span.end.min(text.len()))?;
    region.match_indices(key).find_map(|(i, _)| {
        let before = region[..i].trim_end_matches([' ', '\t']);
        let after = region[i + key.len()..].trim_start_matches([' ', '\t']);
        let starts_key = before.is_empty() || before.ends_with(['\n', '{', ',']);
        (starts_key && after.starts_with('=')).then_some(span.start + i)
    })
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn key(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        k.to_string()
    } else {
        quote(k)
    }
}

fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => quote(s),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => teapot_schema::field::format_float(*f),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(a) => format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", ")),
        toml::Value::Table(t) => {
            if t.is_empty() {
                return "{}".into();
            }
            let parts: Vec<String> = t.iter().map(|(k, v)| format!("{} = {}", key(k), inline(v))).collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}
