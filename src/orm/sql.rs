//! Builds SELECT, UPDATE and DELETE statements from a query: joins for the paths its conditions
//! and `select_related` take, every value a bound parameter, every identifier quoted.

use super::expression::{ColRef, Cond, Join, Like, Order};
use teapot_core::value::Value;
use teapot_core::Db;
use teapot_core::{quote, Dialect};
use teapot_core::{Error, ErrorKind, Result};

/// A statement being built.
pub(super) struct Builder<'a> {
    db: &'a Db,
    /// Bound values, in placeholder order.
    pub(super) values: Vec<Value>,
    aliases: Vec<(Vec<Join>, String)>,
    /// The JOIN clauses.
    pub(super) joins: String,
    root_table: &'static str,
}

impl<'a> Builder<'a> {
    /// A builder for a query on `table` (aliased `t0`).
    pub(super) fn new(db: &'a Db, table: &'static str) -> Self {
        Builder { db, values: Vec::new(), aliases: vec![(Vec::new(), "t0".into())], joins: String::new(), root_table: table }
    }

    /// The dialect.
    pub(super) fn db_dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// `FROM "table" t0 JOIN ...`.
    pub(super) fn from(&self) -> String {
        format!("{} t0{}", quote(self.root_table), self.joins)
    }

    /// A placeholder for a bound value.
    pub(super) fn bind(&mut self, v: Value) -> String {
        self.values.push(v);
        self.db.placeholder(self.values.len())
    }

    /// The alias of the table at the end of a path, joining what is missing.
    pub(super) fn alias(&mut self, path: &[Join]) -> String {
        if let Some((_, a)) = self.aliases.iter().find(|(p, _)| p.as_slice() == path) {
            return a.clone();
        }
        let parent = self.alias(&path[..path.len() - 1]);
        let j = &path[path.len() - 1];
        let a = format!("t{}", self.aliases.len());
        self.joins.push_str(&format!(" LEFT JOIN {} {a} ON {a}.{} = {parent}.{}", quote(j.table), quote(j.pk), quote(j.fk_column)));
        self.aliases.push((path.to_vec(), a.clone()));
        a
    }

    /// A qualified column.
    pub(super) fn col(&mut self, c: &ColRef) -> String {
        format!("{}.{}", self.alias(&c.path), quote(c.column))
    }

    /// A condition's SQL.
    pub(super) fn cond(&mut self, c: &Cond) -> Result<String> {
        Ok(match c {
            Cond::Cmp(col, op, Value::Null | Value::NullOf(_)) => {
                let c = self.col(col);
                match op {
                    super::expression::Op::Eq => format!("{c} IS NULL"),
                    super::expression::Op::Ne => format!("{c} IS NOT NULL"),
                    _ => "FALSE".to_string(),
                }
            }
            Cond::Cmp(col, op, v) => {
                let c = self.col(col);
                let p = self.bind(v.clone());
                format!("{c} {} {p}", op.sql())
            }
            Cond::CmpCol(a, op, b) => {
                let (a, b) = (self.col(a), self.col(b));
                format!("{a} {} {b}", op.sql())
            }
            Cond::In(col, values) => {
                if values.is_empty() {
                    return Ok("1 = 0".to_string());
                }
                let c = self.col(col);
                // On PostgreSQL a long list is one array parameter: one plan however many values.
                if self.db.dialect() == Dialect::Postgres && values.len() > 1 {
                    if let Some(list) = Value::as_list(values) {
                        let p = self.bind(list);
                        return Ok(format!("{c} = ANY({p})"));
                    }
                }
                let ps: Vec<String> = values.iter().map(|v| self.bind(v.clone())).collect();
                format!("{c} IN ({})", ps.join(", "))
            }
            Cond::IsNull(col, null) => format!("{} IS {}NULL", self.col(col), if *null { "" } else { "NOT " }),
            Cond::Like(col, kind, text, insensitive) => self.like(col, *kind, text, *insensitive),
            Cond::Regex(col, re) => {
                if self.db.dialect() != Dialect::Postgres {
                    return Err(Error::new(ErrorKind::Usage, "regex lookups need PostgreSQL").hint("use contains / startswith on SQLite"));
                }
                let c = self.col(col);
                let p = self.bind(Value::String(re.clone()));
                format!("{c} ~ {p}")
            }
            Cond::And(cs) => {
                let parts: Result<Vec<String>> = cs.iter().map(|c| self.cond(c)).collect();
                format!("({})", parts?.join(" AND "))
            }
            Cond::Or(cs) => {
                let parts: Result<Vec<String>> = cs.iter().map(|c| self.cond(c)).collect();
                format!("({})", parts?.join(" OR "))
            }
            Cond::Not(c) => format!("NOT ({})", self.cond(c)?),
        })
    }

    fn like(&mut self, col: &ColRef, kind: Like, text: &str, insensitive: bool) -> String {
        let c = self.col(col);
        if kind == Like::IExact {
            let p = self.bind(Value::String(text.to_string()));
            return format!("UPPER({c}) = UPPER({p})");
        }
        let sqlite = self.db.dialect() == Dialect::Sqlite;
        if sqlite && !insensitive {
            // SQLite's LIKE ignores case; GLOB does not.
            let esc: String = text
                .chars()
                .map(|ch| match ch {
                    '*' => "[*]".to_string(),
                    '?' => "[?]".to_string(),
                    '[' => "[[]".to_string(),
                    other => other.to_string(),
                })
                .collect();
            let pat = match kind {
                Like::Contains => format!("*{esc}*"),
                Like::StartsWith => format!("{esc}*"),
                _ => format!("*{esc}"),
            };
            let p = self.bind(Value::String(pat));
            return format!("{c} GLOB {p}");
        }
        let esc = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let pat = match kind {
            Like::Contains => format!("%{esc}%"),
            Like::StartsWith => format!("{esc}%"),
            _ => format!("%{esc}"),
        };
        let p = self.bind(Value::String(pat));
        if insensitive {
            format!("UPPER({c}) LIKE UPPER({p}) ESCAPE '\\'")
        } else {
            format!("{c} LIKE {p} ESCAPE '\\'")
        }
    }

    /// `ORDER BY ...` (empty when no order).
    pub(super) fn order(&mut self, order: &[Order]) -> String {
        if order.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = order.iter().map(|o| format!("{}{}", self.col(&o.col), if o.desc { " DESC" } else { " ASC" })).collect();
        format!(" ORDER BY {}", parts.join(", "))
    }
}
