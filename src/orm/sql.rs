//! Builds SELECT, UPDATE and DELETE statements from a query: joins for the paths its conditions
//! and `select_related` take, every value a bound parameter, every identifier quoted.

use super::arith::Node;
use super::expression::{ColRef, Cond, Func, Join, Like, Order, Subquery};
use teapot_core::value::Value;
use teapot_core::Db;
use teapot_core::{quote, Dialect};
use teapot_core::{Error, ErrorKind, Result};

/// ` LIMIT n OFFSET m` of a slice (empty when there is none). SQLite needs a LIMIT before an
/// OFFSET; PostgreSQL refuses a negative one.
pub(super) fn slice(limit: Option<u64>, offset: Option<u64>, dialect: Dialect) -> String {
    let mut s = String::new();
    if let Some(l) = limit {
        s.push_str(&format!(" LIMIT {l}"));
    }
    if let Some(o) = offset {
        if limit.is_none() && dialect == Dialect::Sqlite {
            s.push_str(" LIMIT -1");
        }
        s.push_str(&format!(" OFFSET {o}"));
    }
    s
}

/// A statement being built.
pub(super) struct Builder<'a> {
    db: &'a Db,
    /// Bound values, in placeholder order.
    pub(super) values: Vec<Value>,
    /// Each joined path with its alias; a path across a many-to-many is kept per scope.
    aliases: Vec<((usize, Vec<Join>), String)>,
    /// The JOIN clauses.
    pub(super) joins: String,
    root_table: &'static str,
    root_pk: &'static str,
    /// Aliases are `{prefix}{n}`: `t` in a query, `u`, `v`, ... in the subqueries inside it.
    prefix: char,
    /// Which `filter()` call the condition being rendered came from (0: none). Joins across a
    /// many-to-many are shared within a call and not across calls, as in Django: `filter(tag =
    /// a).filter(tag = b)` finds rows with both tags, `filter(tag = a & tag = b)` one tag that is both.
    pub(super) scope: usize,
    /// In a subquery: the alias prefix of the query around it (for `eq_outer`).
    outer: Option<char>,
}

impl<'a> Builder<'a> {
    /// A builder for a query on `table` (aliased `t0`), whose key column is `pk`.
    pub(super) fn new(db: &'a Db, table: &'static str, pk: &'static str) -> Self {
        Builder::with_prefix(db, table, pk, 't')
    }

    fn with_prefix(db: &'a Db, table: &'static str, pk: &'static str, prefix: char) -> Self {
        Builder {
            db,
            values: Vec::new(),
            aliases: vec![((0, Vec::new()), format!("{prefix}0"))],
            joins: String::new(),
            root_table: table,
            root_pk: pk,
            prefix,
            scope: 0,
            outer: None,
        }
    }

    /// The dialect.
    pub(super) fn db_dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// `FROM "table" t0 JOIN ...`.
    pub(super) fn from(&self) -> String {
        format!("{} {}0{}", quote(self.root_table), self.prefix, self.joins)
    }

    /// A placeholder for a bound value.
    pub(super) fn bind(&mut self, v: Value) -> String {
        self.values.push(v);
        self.db.placeholder(self.values.len())
    }

    /// The alias of the table at the end of a path, joining what is missing.
    pub(super) fn alias(&mut self, path: &[Join]) -> String {
        let scope = if path.iter().any(|j| j.many) { self.scope } else { 0 };
        if path.is_empty() {
            return format!("{}0", self.prefix);
        }
        if let Some((_, a)) = self.aliases.iter().find(|((s, p), _)| *s == scope && p.as_slice() == path) {
            return a.clone();
        }
        let parent = self.alias(&path[..path.len() - 1]);
        let j = &path[path.len() - 1];
        let a = format!("{}{}", self.prefix, self.aliases.len());
        self.joins.push_str(&format!(" LEFT JOIN {} {a} ON {a}.{} = {parent}.{}", quote(j.table), quote(j.pk), quote(j.fk_column)));
        self.aliases.push(((scope, path.to_vec()), a.clone()));
        a
    }

    /// A builder for a subquery inside this one: aliases of its own, values shared.
    fn sub(&mut self, table: &'static str, pk: &'static str) -> Builder<'a> {
        let prefix = char::from_u32(self.prefix as u32 + 1).filter(char::is_ascii_lowercase).unwrap_or('z');
        let mut sub = Builder::with_prefix(self.db, table, pk, prefix);
        sub.outer = Some(self.prefix);
        sub.values = std::mem::take(&mut self.values);
        sub
    }

    /// `(SELECT col FROM ... WHERE ... ORDER BY ... LIMIT ...)` of a subquery.
    fn subquery(&mut self, q: &Subquery) -> Result<String> {
        let mut sub = self.sub(q.table, q.pk);
        let rendered = (|| {
            let what = match &q.column {
                Some(c) => sub.col(c),
                None => "1".to_string(),
            };
            let w = if q.nothing {
                " WHERE 1 = 0".to_string()
            } else {
                sub.filters(&q.conds)?.map(|f| format!(" WHERE {f}")).unwrap_or_default()
            };
            let sliced = q.limit.is_some() || q.offset.is_some();
            let o = if sliced { sub.order(&q.order) } else { String::new() };
            let tail = slice(q.limit, q.offset, sub.db.dialect());
            Ok::<_, Error>(format!("SELECT {what} FROM {}{w}{o}{tail}", sub.from()))
        })();
        self.values = std::mem::take(&mut sub.values);
        rendered
    }

    /// "No row related this way matches `c`": the keys of the rows that have one, in a subquery
    /// of their own (with its own joins), left out.
    fn none_related(&mut self, c: &Cond) -> Result<String> {
        let mut sub = self.sub(self.root_table, self.root_pk);
        let inner = sub.cond(c);
        self.values = std::mem::take(&mut sub.values);
        let inner = inner?;
        Ok(format!(
            "{}0.{} NOT IN (SELECT {}0.{} FROM {} WHERE {inner})",
            self.prefix,
            quote(self.root_pk),
            sub.prefix,
            quote(self.root_pk),
            sub.from()
        ))
    }

    /// The conditions of a query's filter() calls, joined by AND (None when there is none). Each
    /// call is a scope of its own: its joins across a many-to-many are not shared with the others.
    pub(super) fn filters(&mut self, conds: &[Cond]) -> Result<Option<String>> {
        if conds.is_empty() {
            return Ok(None);
        }
        let mut parts = Vec::with_capacity(conds.len());
        for (i, c) in conds.iter().enumerate() {
            self.scope = i + 1;
            parts.push(self.cond(c)?);
        }
        self.scope = 0;
        Ok(Some(parts.join(" AND ")))
    }

    /// Adds to a DISTINCT query's select list the columns it is ordered by, when missing:
    /// PostgreSQL wants them there, and Django selects them too (what decodes the rows reads the
    /// columns before them).
    pub(super) fn select_order_columns(&mut self, cols: &mut Vec<String>, order: &[Order]) {
        for o in order {
            let c = self.col(&o.col);
            if !cols.contains(&c) {
                cols.push(c);
            }
        }
    }

    /// An arithmetic expression: columns qualified by their table's alias, or (in an UPDATE's
    /// SET, which reads the updated row) bare, where a column of a joined table is refused.
    pub(super) fn node(&mut self, n: &Node, qualified: bool) -> Result<String> {
        Ok(match n {
            Node::Col(c) if qualified => self.col(c),
            Node::Col(c) if c.path.is_empty() && c.func.is_none() => quote(c.column),
            Node::Col(c) => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!("an update cannot read {} of a joined table, or a function of it", c.column),
                )
                .hint("an UPDATE's expression reads the updated row's own columns; filter on the joined ones instead"))
            }
            Node::Value(v) => self.bind(v.clone()),
            Node::Arith(a, op, b) => format!("({} {} {})", self.node(a, qualified)?, op.sql(), self.node(b, qualified)?),
        })
    }

    /// A qualified column, or the function of it the handle asks for.
    pub(super) fn col(&mut self, c: &ColRef) -> String {
        let col = format!("{}.{}", self.alias(&c.path), quote(c.column));
        let Some(f) = &c.func else { return col };
        let pg = self.db.dialect() == Dialect::Postgres;
        // SQLite keeps dates and datetimes as text ('2024-03-01 12:00:00'): strftime reads them.
        let part = |field: &str, fmt: &str| {
            if pg {
                format!("CAST(EXTRACT({field} FROM {col}) AS INTEGER)")
            } else {
                format!("CAST(strftime('{fmt}', {col}) AS INTEGER)")
            }
        };
        match f {
            Func::Year => part("YEAR", "%Y"),
            Func::Month => part("MONTH", "%m"),
            Func::Day => part("DAY", "%d"),
            Func::Date if pg => format!("CAST({col} AT TIME ZONE 'UTC' AS DATE)"),
            Func::NaiveDate if pg => format!("CAST({col} AS DATE)"),
            Func::Date | Func::NaiveDate => format!("date({col})"),
            Func::Lower => format!("LOWER({col})"),
            Func::Upper => format!("UPPER({col})"),
            Func::Length => format!("CAST(LENGTH({col}) AS INTEGER)"),
            // Keys are bound, never written into the SQL. `->` gives JSON (a JSON null stays a
            // value, a missing key is NULL) on both: jsonb on PostgreSQL, JSON text on SQLite.
            Func::JsonPath(keys) if pg => {
                let mut e = format!("CAST({col} AS JSONB)");
                for k in keys {
                    e = format!("({e} -> CAST({} AS TEXT))", self.bind(Value::String(k.clone())));
                }
                e
            }
            Func::JsonPath(keys) => {
                let path: String = keys.iter().map(|k| format!(".\"{}\"", k.replace('"', "\\\""))).collect();
                format!("({col} -> {})", self.bind(Value::String(format!("${path}"))))
            }
        }
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
            Cond::CmpExpr(a, op, e) => {
                let a = self.col(a);
                let e = self.node(e, true)?;
                format!("{a} {} {e}", op.sql())
            }
            Cond::InQuery(col, q) => {
                let c = self.col(col);
                format!("{c} IN ({})", self.subquery(q)?)
            }
            Cond::Exists(q) => format!("EXISTS ({})", self.subquery(q)?),
            Cond::CmpOuter(col, op, outer) => {
                let c = self.col(col);
                let Some(prefix) = self.outer.filter(|_| outer.path.is_empty()) else {
                    return Err(Error::new(ErrorKind::Usage, format!("eq_outer({}) outside a subquery, or through a join", outer.column))
                        .hint("eq_outer compares with a column of the outer query's own model, inside values_of() or exists_cond()"));
                };
                format!("{c} {} {prefix}0.{}", op.sql(), quote(outer.column))
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
            // An empty condition (Django's `Q()`) is no condition: alone it keeps every row, and
            // combined with others (by AND, OR or NOT) it drops out.
            c if c.is_empty() => "(1 = 1)".to_string(),
            Cond::And(cs) => {
                let parts: Result<Vec<String>> = cs.iter().filter(|c| !c.is_empty()).map(|c| self.cond(c)).collect();
                format!("({})", parts?.join(" AND "))
            }
            Cond::Or(cs) => {
                let parts: Result<Vec<String>> = cs.iter().filter(|c| !c.is_empty()).map(|c| self.cond(c)).collect();
                format!("({})", parts?.join(" OR "))
            }
            // Across a many-to-many, "not" means no related row matches (a subquery); elsewhere
            // a comparison with NULL counts as false, so NOT keeps the rows where the column is
            // NULL (Django's exclude() keeps them too; plain SQL NOT would drop them).
            Cond::Not(c) if c.crosses_many() => self.none_related(c)?,
            Cond::Not(c) => format!("NOT COALESCE({}, FALSE)", self.cond(c)?),
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
        let parts: Vec<String> = order
            .iter()
            .map(|o| {
                let nulls = match o.nulls_first {
                    Some(true) => " NULLS FIRST",
                    Some(false) => " NULLS LAST",
                    None => "",
                };
                format!("{}{}{nulls}", self.col(&o.col), if o.desc { " DESC" } else { " ASC" })
            })
            .collect();
        format!(" ORDER BY {}", parts.join(", "))
    }
}
