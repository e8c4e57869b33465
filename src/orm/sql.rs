//! Turns a query's conditions, columns and order into sea-query expressions: joins for the paths
//! its conditions and `select_related` take, every value a bound parameter, every identifier
//! quoted. What no dialect of sea-query spells the same on both databases (date parts, JSON
//! paths, case-sensitive patterns on SQLite) is written here per dialect, its operands still
//! sea-query expressions.

use sea_query::{Alias, BinOper, Expr, ExprTrait, Func, JoinType, NullOrdering, Order as Direction, Query, SelectStatement};

use super::arith::{Arith, Node};
use super::expression::{ColRef, Cond, Func as Transform, Join, Like, Op, Order, Subquery};
use super::functions::Function;
use super::statement::to_sea;
use teapot_core::value::Value;
use teapot_core::Db;
use teapot_core::Dialect;
use teapot_core::{Error, ErrorKind, Result};

/// A bound value.
pub(super) fn value(v: Value) -> Expr {
    Expr::val(to_sea(v))
}

/// `alias.column`.
pub(super) fn column(alias: &str, col: &str) -> Expr {
    Expr::col((Alias::new(alias), Alias::new(col)))
}

/// A function or operator sea-query has no builder for, its operands sea-query expressions:
/// `$1`, `$2`, ... in `template` stand for `args`, each once and in order. (sea-query reads a
/// custom template with the dialect's own placeholders, `$n` on PostgreSQL and `?` on SQLite;
/// the templates here are written once, in the first form.)
pub(super) fn custom(dialect: Dialect, template: &str, args: impl IntoIterator<Item = Expr>) -> Expr {
    let template = match dialect {
        Dialect::Postgres => template.to_string(),
        Dialect::Sqlite => {
            let mut out = String::with_capacity(template.len());
            let mut chars = template.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                    while chars.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                    }
                    out.push('?');
                } else {
                    out.push(c);
                }
            }
            out
        }
    };
    Expr::cust_with_exprs(template, args)
}

/// A condition that holds for no row.
pub(super) fn never() -> Expr {
    Expr::cust("1 = 0")
}

/// Limits a SELECT to a slice. SQLite needs a LIMIT before an OFFSET (the largest one is none).
pub(super) fn slice(s: &mut SelectStatement, limit: Option<u64>, offset: Option<u64>, dialect: Dialect) {
    if let Some(l) = limit {
        s.limit(l);
    }
    if let Some(o) = offset {
        if limit.is_none() && dialect == Dialect::Sqlite {
            s.limit(i64::MAX as u64);
        }
        s.offset(o);
    }
}

/// One ORDER BY term.
pub(super) struct OrderTerm(Expr, Direction, Option<NullOrdering>);

/// Orders a SELECT by these terms.
pub(super) fn order_by(s: &mut SelectStatement, terms: Vec<OrderTerm>) {
    for OrderTerm(e, dir, nulls) in terms {
        match nulls {
            Some(n) => s.order_by_expr_with_nulls(e, dir, n),
            None => s.order_by_expr(e, dir),
        };
    }
}

impl Op {
    pub(super) fn bin(self) -> BinOper {
        match self {
            Op::Eq => BinOper::Equal,
            Op::Ne => BinOper::NotEqual,
            Op::Lt => BinOper::SmallerThan,
            Op::Lte => BinOper::SmallerThanOrEqual,
            Op::Gt => BinOper::GreaterThan,
            Op::Gte => BinOper::GreaterThanOrEqual,
        }
    }
}

impl Arith {
    pub(super) fn bin(self) -> BinOper {
        match self {
            Arith::Add => BinOper::Add,
            Arith::Sub => BinOper::Sub,
            Arith::Mul => BinOper::Mul,
            Arith::Div => BinOper::Div,
            Arith::Mod => BinOper::Mod,
            Arith::BitAnd => BinOper::BitAnd,
            Arith::BitOr => BinOper::BitOr,
        }
    }
}

/// A statement being built.
pub(super) struct Builder<'a> {
    db: &'a Db,
    /// Each joined path with its alias; a path across a many-to-many is kept per scope.
    aliases: Vec<((usize, Vec<Join>), String)>,
    /// The LEFT JOINs: table, alias, ON.
    joins: Vec<(&'static str, String, Expr)>,
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
    /// Whether the condition being rendered is under an odd number of NOTs (see `key_guard`).
    negated: bool,
}

impl<'a> Builder<'a> {
    /// A builder for a query on `table` (aliased `t0`), whose key column is `pk`.
    pub(super) fn new(db: &'a Db, table: &'static str, pk: &'static str) -> Self {
        Builder::with_prefix(db, table, pk, 't')
    }

    fn with_prefix(db: &'a Db, table: &'static str, pk: &'static str, prefix: char) -> Self {
        Builder {
            db,
            aliases: vec![((0, Vec::new()), format!("{prefix}0"))],
            joins: Vec::new(),
            root_table: table,
            root_pk: pk,
            prefix,
            scope: 0,
            outer: None,
            negated: false,
        }
    }

    /// The dialect.
    pub(super) fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// The alias of the queried table (`t0`).
    pub(super) fn root(&self) -> String {
        format!("{}0", self.prefix)
    }

    /// `SELECT ... FROM "table" t0 LEFT JOIN ...`, with every join the expressions rendered so
    /// far need: build the columns, conditions and order first, then the statement.
    pub(super) fn select(&mut self) -> SelectStatement {
        let mut s = Query::select();
        s.from_as(Alias::new(self.root_table), Alias::new(self.root()));
        for (table, alias, on) in std::mem::take(&mut self.joins) {
            s.join_as(JoinType::LeftJoin, Alias::new(table), Alias::new(alias), on);
        }
        s
    }

    /// The alias of the table at the end of a path, joining what is missing.
    pub(super) fn alias(&mut self, path: &[Join]) -> String {
        let scope = if path.iter().any(|j| j.many) { self.scope } else { 0 };
        if path.is_empty() {
            return self.root();
        }
        if let Some((_, a)) = self.aliases.iter().find(|((s, p), _)| *s == scope && p.as_slice() == path) {
            return a.clone();
        }
        let parent = self.alias(&path[..path.len() - 1]);
        let j = &path[path.len() - 1];
        let a = format!("{}{}", self.prefix, self.aliases.len());
        let on = column(&a, j.pk).equals((Alias::new(parent), Alias::new(j.fk_column)));
        self.joins.push((j.table, a.clone(), on));
        self.aliases.push(((scope, path.to_vec()), a.clone()));
        a
    }

    /// A builder for a subquery inside this one: aliases of its own.
    fn sub(&self, table: &'static str, pk: &'static str) -> Builder<'a> {
        let prefix = char::from_u32(self.prefix as u32 + 1).filter(char::is_ascii_lowercase).unwrap_or('z');
        let mut sub = Builder::with_prefix(self.db, table, pk, prefix);
        sub.outer = Some(self.prefix);
        sub
    }

    /// `SELECT col FROM ... WHERE ... ORDER BY ... LIMIT ...` of a subquery.
    fn subquery(&self, q: &Subquery) -> Result<SelectStatement> {
        let mut sub = self.sub(q.table, q.pk);
        let what = match &q.column {
            Some(c) => sub.col(c),
            None => Expr::cust("1"),
        };
        let w = if q.nothing { Some(never()) } else { sub.filters(&q.conds)? };
        let sliced = q.limit.is_some() || q.offset.is_some();
        let order = if sliced { sub.order(&q.order)? } else { Vec::new() };
        let mut s = sub.select();
        s.expr(what);
        if let Some(w) = w {
            s.and_where(w);
        }
        order_by(&mut s, order);
        slice(&mut s, q.limit, q.offset, sub.dialect());
        Ok(s)
    }

    /// "No row related this way matches `c`": the keys of the rows that have one, in a subquery
    /// of their own (with its own joins), left out.
    fn none_related(&self, c: &Cond) -> Result<Expr> {
        let mut sub = self.sub(self.root_table, self.root_pk);
        let inner = sub.cond(c)?;
        let key = column(&sub.root(), sub.root_pk);
        let mut s = sub.select();
        s.expr(key).and_where(inner);
        Ok(column(&self.root(), self.root_pk).not_in_subquery(s))
    }

    /// The conditions of a query's filter() calls, joined by AND (None when there is none). Each
    /// call is a scope of its own: its joins across a many-to-many are not shared with the others.
    pub(super) fn filters(&mut self, conds: &[Cond]) -> Result<Option<Expr>> {
        let mut all: Option<Expr> = None;
        for (i, c) in conds.iter().enumerate() {
            self.scope = i + 1;
            let e = self.cond(c)?;
            all = Some(match all {
                Some(a) => a.and(e),
                None => e,
            });
        }
        self.scope = 0;
        Ok(all)
    }

    /// Adds to a DISTINCT query's select list the columns it is ordered by, when missing:
    /// PostgreSQL wants them there, and Django selects them too (what decodes the rows reads the
    /// columns before them).
    pub(super) fn select_order_columns(&mut self, cols: &mut Vec<Expr>, order: &[Order]) -> Result<()> {
        for o in order {
            let c = self.node(&o.by)?;
            if !cols.contains(&c) {
                cols.push(c);
            }
        }
        Ok(())
    }

    /// Whether what was rendered so far joins other tables.
    pub(super) fn joins_any(&self) -> bool {
        !self.joins.is_empty()
    }

    /// An expression: arithmetic, a `Case`, columns qualified by their table's alias.
    pub(super) fn node(&mut self, n: &Node) -> Result<Expr> {
        Ok(match n {
            Node::Col(c) => self.col(c),
            Node::Value(v) => value(v.clone()),
            Node::Arith(a, op, b) => self.node(a)?.binary(op.bin(), self.node(b)?),
            Node::Case(whens, otherwise) => {
                let mut case = sea_query::CaseStatement::new();
                for (cond, then) in whens {
                    case = case.case(self.cond(cond)?, self.node(then)?);
                }
                if let Some(o) = otherwise {
                    case = case.finally(self.node(o)?);
                }
                case.into()
            }
            Node::Call(f, args) => {
                let args = args.iter().map(|a| self.node(a)).collect::<Result<Vec<Expr>>>()?;
                let d = self.dialect();
                let list =
                    |sep: &str, each: &str| (1..=args.len()).map(|i| each.replace('#', &format!("${i}"))).collect::<Vec<_>>().join(sep);
                match f {
                    Function::Coalesce => custom(d, &format!("COALESCE({})", list(", ", "#")), args),
                    // NULL parts count as empty text, as in Django, on both.
                    Function::Concat if d == Dialect::Postgres => custom(d, &format!("CONCAT({})", list(", ", "#")), args),
                    Function::Concat => custom(d, &format!("({})", list(" || ", "COALESCE(#, '')")), args),
                    Function::Now => Expr::cust("CURRENT_TIMESTAMP"),
                    Function::Abs => custom(d, "ABS($1)", args),
                }
            }
        })
    }

    /// A qualified column, or the function of it the handle asks for.
    pub(super) fn col(&mut self, c: &ColRef) -> Expr {
        let col = column(&self.alias(&c.path), c.column);
        let Some(f) = &c.func else { return col };
        let d = self.dialect();
        let pg = d == Dialect::Postgres;
        // SQLite keeps dates and datetimes as text ('2024-03-01 12:00:00'): strftime reads them.
        let part = |field: &str, fmt: &str, col: Expr| {
            if pg {
                custom(d, &format!("CAST(EXTRACT({field} FROM $1) AS INTEGER)"), [col])
            } else {
                custom(d, &format!("CAST(strftime('{fmt}', $1) AS INTEGER)"), [col])
            }
        };
        match f {
            Transform::Year => part("YEAR", "%Y", col),
            Transform::Month => part("MONTH", "%m", col),
            Transform::Day => part("DAY", "%d", col),
            Transform::Date if pg => custom(d, "CAST($1 AT TIME ZONE 'UTC' AS DATE)", [col]),
            Transform::NaiveDate if pg => custom(d, "CAST($1 AS DATE)", [col]),
            Transform::Date | Transform::NaiveDate => custom(d, "date($1)", [col]),
            Transform::Lower => Func::lower(col).into(),
            Transform::Upper => Func::upper(col).into(),
            Transform::Length => custom(d, "CAST(LENGTH($1) AS INTEGER)", [col]),
            // Keys are bound, never written into the SQL. `->` gives JSON (a JSON null stays a
            // value, a missing key is NULL) on both: jsonb on PostgreSQL, JSON text on SQLite.
            Transform::JsonPath(keys) if pg => {
                let mut e = custom(d, "CAST($1 AS JSONB)", [col]);
                for k in keys {
                    e = custom(d, "($1 -> CAST($2 AS TEXT))", [e, value(Value::String(k.clone()))]);
                }
                e
            }
            Transform::JsonPath(keys) => {
                let path: String = keys.iter().map(|k| format!(".\"{}\"", k.replace('"', "\\\""))).collect();
                custom(d, "($1 -> $2)", [col, value(Value::String(format!("${path}")))])
            }
        }
    }

    /// A condition.
    pub(super) fn cond(&mut self, c: &Cond) -> Result<Expr> {
        let d = self.dialect();
        Ok(match c {
            Cond::Cmp(col, op, v) if v.is_null() => {
                let c = self.col(col);
                match op {
                    Op::Eq => c.is_null(),
                    Op::Ne => c.is_not_null(),
                    _ => Expr::cust("FALSE"),
                }
            }
            Cond::Cmp(col, op, v) => {
                let e = self.col(col).binary(op.bin(), value(v.clone()));
                self.key_guard(col, e)
            }
            Cond::CmpExpr(a, op, e) => {
                let left = self.col(a);
                let e = left.binary(op.bin(), self.node(e)?);
                self.key_guard(a, e)
            }
            Cond::InQuery(col, q) => self.col(col).in_subquery(self.subquery(q)?),
            Cond::Exists(q) => Expr::exists(self.subquery(q)?),
            Cond::CmpOuter(col, op, outer) => {
                let c = self.col(col);
                let Some(prefix) = self.outer.filter(|_| outer.path.is_empty()) else {
                    return Err(Error::new(ErrorKind::Usage, format!("eq_outer({}) outside a subquery, or through a join", outer.column))
                        .hint("eq_outer compares with a column of the outer query's own model, inside values_of() or exists_cond()"));
                };
                c.binary(op.bin(), column(&format!("{prefix}0"), outer.column))
            }
            Cond::CmpCol(a, op, b) => {
                let a = self.col(a);
                a.binary(op.bin(), self.col(b))
            }
            Cond::In(_, values) if values.is_empty() => never(),
            Cond::In(col, values) => {
                let c = self.col(col);
                // On PostgreSQL a long list is one array parameter: one plan however many values.
                let e = match Value::as_list(values) {
                    Some(list) if d == Dialect::Postgres && values.len() > 1 => custom(d, "$1 = ANY($2)", [c, value(list)]),
                    _ => c.is_in(values.iter().cloned().map(value)),
                };
                self.key_guard(col, e)
            }
            Cond::IsNull(col, true) => self.col(col).is_null(),
            Cond::IsNull(col, false) => self.col(col).is_not_null(),
            Cond::Like(col, kind, text, insensitive) => {
                let e = self.like(col, *kind, text, *insensitive);
                self.key_guard(col, e)
            }
            Cond::Regex(col, re) => {
                if self.dialect() != Dialect::Postgres {
                    return Err(Error::new(ErrorKind::Usage, "regex lookups need PostgreSQL").hint("use contains / startswith on SQLite"));
                }
                custom(d, "$1 ~ $2", [self.col(col), value(Value::String(re.clone()))])
            }
            // An empty condition (Django's `Q()`) is no condition: alone it keeps every row, and
            // combined with others (by AND, OR or NOT) it drops out.
            c if c.is_empty() => Expr::cust("1 = 1"),
            Cond::And(cs) => self.chain(cs, ExprTrait::and)?,
            Cond::Or(cs) => self.chain(cs, ExprTrait::or)?,
            // Across a many-to-many, "not" means no related row matches (a subquery); elsewhere
            // a comparison with NULL counts as false, so NOT keeps the rows where the column is
            // NULL (Django's exclude() keeps them too; plain SQL NOT would drop them).
            Cond::Not(c) if c.crosses_many() => self.none_related(c)?,
            Cond::Not(c) => {
                self.negated = !self.negated;
                let inner = self.cond(c);
                self.negated = !self.negated;
                custom(d, "NOT COALESCE($1, FALSE)", [inner?])
            }
        })
    }

    /// A comparison on a JSON key, under a NOT: a row whose JSON column holds no such key is
    /// left out of an exclude() as of a filter() (Django: "values without the key are ignored"),
    /// while a row whose column is NULL is kept, as for any nullable column. So the comparison,
    /// NULL for a missing key, counts as true there (then NOT makes it false), and as false for
    /// a NULL column.
    fn key_guard(&mut self, col: &ColRef, e: Expr) -> Expr {
        if !self.negated || !matches!(col.func, Some(Transform::JsonPath(_))) {
            return e;
        }
        let base = column(&self.alias(&col.path), col.column);
        custom(self.dialect(), "COALESCE($1, $2 IS NOT NULL)", [e, base])
    }

    /// The non-empty conditions of an AND or an OR, chained.
    fn chain(&mut self, cs: &[Cond], link: fn(Expr, Expr) -> Expr) -> Result<Expr> {
        let mut out: Option<Expr> = None;
        for c in cs.iter().filter(|c| !c.is_empty()) {
            let e = self.cond(c)?;
            out = Some(match out {
                Some(a) => link(a, e),
                None => e,
            });
        }
        Ok(out.unwrap_or_else(|| Expr::cust("1 = 1")))
    }

    fn like(&mut self, col: &ColRef, kind: Like, text: &str, insensitive: bool) -> Expr {
        let d = self.dialect();
        let c = self.col(col);
        if kind == Like::IExact {
            return custom(d, "UPPER($1) = UPPER($2)", [c, value(Value::String(text.to_string()))]);
        }
        if self.dialect() == Dialect::Sqlite && !insensitive {
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
            return custom(d, "$1 GLOB $2", [c, value(Value::String(pat))]);
        }
        let esc = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let pat = match kind {
            Like::Contains => format!("%{esc}%"),
            Like::StartsWith => format!("{esc}%"),
            _ => format!("%{esc}"),
        };
        let template = if insensitive { "UPPER($1) LIKE UPPER($2) ESCAPE '\\'" } else { "$1 LIKE $2 ESCAPE '\\'" };
        custom(d, template, [c, value(Value::String(pat))])
    }

    /// The ORDER BY terms of an order.
    pub(super) fn order(&mut self, order: &[Order]) -> Result<Vec<OrderTerm>> {
        order
            .iter()
            .map(|o| {
                let nulls = o.nulls_first.map(|first| if first { NullOrdering::First } else { NullOrdering::Last });
                Ok(OrderTerm(self.node(&o.by)?, if o.desc { Direction::Desc } else { Direction::Asc }, nulls))
            })
            .collect()
    }
}
