//! [`QuerySet`]: a query built step by step, run by an `.await` on one of its methods. Every
//! method that runs makes the queries its documentation says, no more.

use std::marker::PhantomData;

use super::aggregate::{Aggregates, Having};
use super::arith::{Node, Selected};
use super::expression::{Assign, Column, Cond, ForeignKeyPath, Order, RelationPath, SetExpr};
use super::sql::{column, never, order_by, slice, value, Builder};
use super::statement::{execute, fetch_all, render};
use super::Model;
use sea_query::{Alias, Expr, ExprTrait, JoinType, LockBehavior, LockType, Query, SelectStatement};
use teapot_core::value::{FieldValue, Value};
use teapot_core::Dialect;
use teapot_core::{Db, DbRow};
use teapot_core::{Error, ErrorKind, Result};

/// Columns and expressions that `values_list` reads into a tuple.
pub trait ValuesList {
    /// The tuple.
    type Output;
    /// What is read, in order.
    fn cols(&self) -> Vec<Node>;
    /// Decodes one row.
    fn decode(row: &DbRow) -> Result<Self::Output>;
    /// One decoded row's values, in column order.
    fn to_values(out: &Self::Output) -> Vec<Value>;
}

macro_rules! values_tuple {
    ($($t:ident $i:tt),*) => {
        impl<$($t: Selected),*> ValuesList for ($($t,)*) {
            type Output = ($($t::Value,)*);
            fn cols(&self) -> Vec<Node> {
                vec![$(self.$i.node()),*]
            }
            fn decode(row: &DbRow) -> Result<Self::Output> {
                Ok(($($t::Value::decode(row, $i)?,)*))
            }
            fn to_values(out: &Self::Output) -> Vec<Value> {
                vec![$(out.$i.to_value()),*]
            }
        }
    };
}
values_tuple!(A 0);
values_tuple!(A 0, B 1);
values_tuple!(A 0, B 1, C 2);
values_tuple!(A 0, B 1, C 2, D 3);
values_tuple!(A 0, B 1, C 2, D 3, E 4);
values_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);

/// A query over the rows of `M`.
pub struct QuerySet<M: Model> {
    conds: Vec<Cond>,
    order: Vec<Order>,
    limit: Option<u64>,
    offset: Option<u64>,
    distinct: bool,
    related: Vec<String>,
    prefetch: Vec<super::PrefetchPath>,
    /// `none()`: matches nothing, and asks the database nothing.
    nothing: bool,
    /// Conditions on aggregates of each row's related rows (GROUP BY the key, HAVING).
    having: Vec<Having>,
    /// `FOR UPDATE` and its manner, on PostgreSQL.
    lock: Option<RowLock>,
    /// `clear_ordering()`: not even the model's default ordering.
    unordered: bool,
    /// `only()` / `defer()`: the columns read (the key among them); None: all.
    pub(super) fields: Option<Vec<&'static str>>,
    _m: PhantomData<fn() -> M>,
}

/// How `select_for_update` waits for rows another transaction has locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowLock {
    /// Waits (under the session's lock_timeout).
    Wait,
    /// Fails at once with a `LockTimeout`-kind error (`NOWAIT`).
    NoWait,
    /// Leaves the locked rows out (`SKIP LOCKED`): a queue's workers each take other rows.
    SkipLocked,
}

/// A SELECT's text, its bound values, and where each select_related path starts in a row.
type SelectSql = (String, Vec<Value>, Vec<(String, usize)>);

impl<M: Model> Clone for QuerySet<M> {
    fn clone(&self) -> Self {
        QuerySet {
            conds: self.conds.clone(),
            order: self.order.clone(),
            limit: self.limit,
            offset: self.offset,
            distinct: self.distinct,
            related: self.related.clone(),
            prefetch: self.prefetch.clone(),
            nothing: self.nothing,
            having: self.having.clone(),
            lock: self.lock,
            unordered: self.unordered,
            fields: self.fields.clone(),
            _m: PhantomData,
        }
    }
}

impl<M: Model> Default for QuerySet<M> {
    fn default() -> Self {
        QuerySet::new()
    }
}

impl<M: Model> QuerySet<M> {
    /// Every row.
    pub fn new() -> Self {
        QuerySet {
            conds: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
            distinct: false,
            related: Vec::new(),
            prefetch: Vec::new(),
            nothing: false,
            having: Vec::new(),
            lock: None,
            unordered: false,
            fields: None,
            _m: PhantomData,
        }
    }

    /// Keeps the rows that match.
    pub fn filter(mut self, c: Cond) -> Self {
        self.conds.push(c);
        self
    }

    /// Drops the rows that match.
    pub fn exclude(mut self, c: Cond) -> Self {
        self.conds.push(!c);
        self
    }

    /// Orders by a column or an expression (call again for a second key).
    pub fn order_by(mut self, o: Order) -> Self {
        self.order.push(o);
        self.unordered = false;
        self
    }

    /// Keeps the rows whose related rows' aggregate meets a condition (Django's filter on an
    /// annotation): `Author::objects().having(Agg::count_of(Author::books().id()).gte(2))`. The
    /// rows are grouped by key; the related rows counted are those the last filter() kept.
    pub fn having(mut self, h: Having) -> Self {
        self.having.push(h);
        self
    }

    /// Locks the rows it returns until the transaction ends (`SELECT ... FOR UPDATE`, Django's
    /// `select_for_update`), so a read-then-write is not raced. Only inside a transaction
    /// (`db.atomic`): outside one the lock would end with the statement, and it is refused. On
    /// SQLite, where a writing transaction locks the whole database anyway (use
    /// `atomic_immediate`), it adds nothing, as in Django.
    pub fn select_for_update(mut self, how: RowLock) -> Self {
        self.lock = Some(how);
        self
    }

    /// Forgets the ordering given so far, the model's default ordering too (Django's `order_by()`
    /// with no argument).
    pub fn clear_ordering(mut self) -> Self {
        self.order.clear();
        self.unordered = true;
        self
    }

    /// The ordering the other way round (Django's `reverse()`), the model's default ordering
    /// included; a query with no ordering is ordered by nothing either way, and is left as it is.
    pub fn reverse(mut self) -> Self {
        self.order = self.ordering().iter().map(Order::reversed).collect();
        self
    }

    /// Whether the query can match no row whatever the data: `none()`, or an empty slice
    /// (`limit(0)`); it then asks the database nothing.
    fn matches_nothing(&self) -> bool {
        self.nothing || self.limit == Some(0)
    }

    /// The order the query runs in: the one given, else the model's default ordering (unless
    /// cleared).
    fn ordering(&self) -> Vec<Order> {
        if !self.order.is_empty() || self.unordered {
            return self.order.clone();
        }
        M::ORDERING.iter().map(|(c, desc)| Order::own(c, *desc)).collect()
    }

    /// A query that matches no row (Django's `none()`): what it returns is empty, counts are 0,
    /// and fetching, counting, updating and deleting ask the database nothing.
    pub fn none(mut self) -> Self {
        self.nothing = true;
        self
    }

    /// At most `n` rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// Distinct rows.
    pub fn distinct(mut self) -> Self {
        self.distinct = true;
        self
    }

    /// Fetches these foreign keys in the same query, with a JOIN: `&["author", "author__publisher"]`.
    /// The typed form, [`select`](QuerySet::select), does not compile with a misspelt field.
    pub fn select_related(mut self, fields: &[&str]) -> Self {
        self.related.extend(fields.iter().map(|f| f.to_string()));
        self
    }

    /// Fetches a foreign key (or a path of them) in the same query, with a JOIN:
    /// `.select(Book::author())`, `.select(Book::author().publisher())`; call again for another.
    ///
    /// A many-to-many is not a foreign key, and does not compile here (use `prefetch`):
    ///
    /// ```compile_fail,E0277
    /// # use teapot::prelude::*;
    /// # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Tag { pub id: i64 }
    /// # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Book { pub id: i64, pub tags: ManyToMany<Tag> }
    /// let q = Book::objects().select(Book::tags());
    /// ```
    ///
    /// Nor does a misspelt one:
    ///
    /// ```compile_fail,E0599
    /// # use teapot::prelude::*;
    /// # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Author { pub id: i64 }
    /// # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Book { pub id: i64, #[teapot(on_delete = "cascade")] pub author: ForeignKey<Author> }
    /// let q = Book::objects().select(Book::athor());
    /// ```
    pub fn select(mut self, relation: impl ForeignKeyPath) -> Self {
        self.related.push(relation.relation_path());
        self
    }

    /// Fetches these relations (foreign keys, many-to-many, reverse) with one more query each:
    /// `&["tags", "books__tags"]`. The typed form, [`prefetch`](QuerySet::prefetch), does not
    /// compile with a misspelt field.
    pub fn prefetch_related(mut self, fields: &[&str]) -> Self {
        self.prefetch.extend(fields.iter().map(|f| super::PrefetchPath { path: f.to_string(), base: None, then: Vec::new() }));
        self
    }

    /// Fetches a relation with one more query: `.prefetch(Book::tags())`,
    /// `.prefetch(Author::books().tags())` (the books, and their tags: one query per level).
    pub fn prefetch(mut self, relation: impl RelationPath) -> Self {
        self.prefetch.push(super::PrefetchPath { path: relation.relation_path(), base: None, then: Vec::new() });
        self
    }

    /// Fetches a relation with one more query, keeping only the related rows `query` matches, in
    /// its order (Django's `Prefetch(..., queryset=...)`): `.prefetch_with(Author::books(),
    /// Book::objects().filter(Book::pages().gt(300)).order_by(Book::title().asc()))`. The query
    /// is of the relation's own model (anything else does not compile); a slice in it is refused
    /// when the query runs.
    pub fn prefetch_with<R>(mut self, relation: R, query: QuerySet<R::Target>) -> Self
    where
        R: super::expression::RelationTo,
        R::Target: Model,
    {
        let then = query.prefetch.clone();
        self.prefetch.push(super::PrefetchPath { path: relation.relation_path(), base: Some(query.subquery(None)), then });
        self
    }

    /// The rows of this query linked through a join table to the rows with `keys` (its `near`
    /// column holds their keys, its `far` column this model's): `near` first, then this model's
    /// columns; in this query's order, then the order the links were made.
    pub(crate) async fn linked(&self, db: &Db, join_table: &str, (near, far): (&str, &str), keys: &[Value]) -> Result<Vec<DbRow>> {
        let mut b = Builder::new(db, M::TABLE, M::PK);
        let w = self.where_clause(&mut b)?;
        let order = b.order(&self.ordering())?;
        let cols: Vec<Expr> = M::COLUMNS.iter().map(|c| column("t0", c)).collect();
        let mut s = b.select();
        s.join_as(
            JoinType::InnerJoin,
            Alias::new(join_table),
            Alias::new("j"),
            column("j", far).equals((Alias::new("t0"), Alias::new(M::PK))),
        );
        s.expr(column("j", near)).exprs(cols);
        if let Some(w) = w {
            s.and_where(w);
        }
        s.and_where(column("j", near).is_in(keys.iter().cloned().map(value)));
        order_by(&mut s, order);
        s.order_by_expr(column("j", "id"), sea_query::Order::Asc);
        fetch_all(db, &s).await
    }

    /// A query of this model with a prefetch's conditions and order (see `prefetch_with`).
    pub(crate) fn from_base(base: Option<&super::expression::Subquery>) -> Result<Self> {
        let mut q = QuerySet::new();
        if let Some(b) = base {
            if b.limit.is_some() || b.offset.is_some() {
                return Err(Error::new(ErrorKind::Usage, format!("prefetch_with a sliced query of {}", M::NAME))
                    .hint("a slice would apply to all the rows fetched together, not to each row's related rows; filter instead"));
            }
            q.conds = b.conds.clone();
            q.order = b.order.clone();
            q.nothing = b.nothing;
        }
        Ok(q)
    }

    fn where_clause(&self, b: &mut Builder) -> Result<Option<Expr>> {
        if self.matches_nothing() {
            // What still runs (an aggregate, a stream) runs over no row.
            return Ok(Some(never()));
        }
        b.filters(&self.conds)
    }

    /// The `having()` conditions, their related rows reached through the last filter() call's
    /// joins.
    fn having_only(&self, b: &mut Builder) -> Result<Vec<Expr>> {
        b.scope = self.conds.len();
        let dialect = b.dialect();
        let mut out = Vec::with_capacity(self.having.len());
        for h in &self.having {
            let arg = h.agg.arg().map(|n| b.node(n)).transpose()?;
            out.push(h.agg.expr(arg, dialect).binary(h.op.bin(), value(h.value.clone())));
        }
        b.scope = 0;
        Ok(out)
    }

    /// WHERE, and with `having()` conditions GROUP BY the key and HAVING: what picks the rows.
    fn filter_clause(&self, b: &mut Builder) -> Result<Filter> {
        Ok(Filter { conds: self.where_clause(b)?, having: self.having_only(b)?, key: M::PK })
    }

    fn slice(&self, s: &mut SelectStatement, dialect: Dialect) {
        slice(s, self.limit, self.offset, dialect)
    }

    /// `SELECT [DISTINCT] cols FROM ... WHERE ... ORDER BY ... LIMIT ...` of this query, the
    /// columns already rendered by `b`; a DISTINCT query also selects what it is ordered by.
    fn select_of(&self, b: &mut Builder, mut cols: Vec<Expr>, order: &[Order]) -> Result<SelectStatement> {
        let filter = self.filter_clause(b)?;
        let terms = b.order(order)?;
        if self.distinct {
            b.select_order_columns(&mut cols, order)?;
        }
        let mut s = b.select();
        s.exprs(cols);
        if self.distinct {
            s.distinct();
        }
        filter.apply(&mut s);
        order_by(&mut s, terms);
        self.slice(&mut s, b.dialect());
        Ok(s)
    }

    fn select_sql(&self, db: &Db, order: &[Order]) -> Result<SelectSql> {
        let mut b = Builder::new(db, M::TABLE, M::PK);
        let read = self.fields.as_deref().unwrap_or(M::COLUMNS);
        let mut cols: Vec<Expr> = read.iter().map(|c| column("t0", c)).collect();
        let mut related: Vec<(String, usize)> = Vec::new();
        for field in &self.related {
            // `author__publisher`: a join per step, each step's columns once.
            let mut path = Vec::new();
            let mut prefix = String::new();
            let mut lookup: fn(&str) -> Option<super::RelatedJoin> = M::relation_join;
            for step in field.split("__") {
                let rj = lookup(step).ok_or_else(|| {
                    Error::new(ErrorKind::Usage, format!("`{field}`: `{step}` is not a foreign key to select_related"))
                        .hint(format!("select_related follows foreign keys; the path starts at {}", M::NAME))
                })?;
                prefix = if prefix.is_empty() { step.to_string() } else { format!("{prefix}__{step}") };
                path.push(rj.join);
                lookup = rj.next;
                if related.iter().any(|(p, _)| *p == prefix) {
                    continue;
                }
                let alias = b.alias(&path);
                related.push((prefix.clone(), cols.len()));
                cols.extend(rj.columns.iter().map(|c| column(&alias, c)));
            }
        }
        let mut s = self.select_of(&mut b, cols, order)?;
        if let (Some(how), Dialect::Postgres) = (self.lock, db.dialect()) {
            // Only the queried table's rows: a nullable join cannot be locked FOR UPDATE.
            let t0 = [Alias::new("t0")];
            match how {
                RowLock::Wait => s.lock_with_tables(LockType::Update, t0),
                RowLock::NoWait => s.lock_with_tables_behavior(LockType::Update, t0, LockBehavior::Nowait),
                RowLock::SkipLocked => s.lock_with_tables_behavior(LockType::Update, t0, LockBehavior::SkipLocked),
            };
        }
        let (sql, values) = render(db, &s);
        Ok((sql, values, related))
    }

    /// The rows as the database returns them (no relation loaded).
    pub(super) async fn fetch_rows(&self, db: &Db) -> Result<Vec<DbRow>> {
        let (sql, values, _) = self.select_sql(db, &self.ordering())?;
        db.fetch_all_owned(&sql, values).await
    }

    async fn fetch(&self, db: &Db, order: &[Order]) -> Result<Vec<M>> {
        if self.matches_nothing() {
            return Ok(Vec::new());
        }
        if self.lock.is_some() && !db.in_transaction() {
            return Err(Error::new(ErrorKind::Usage, format!("select_for_update() on {} outside a transaction", M::NAME))
                .hint("run it inside db.atomic(...): the rows stay locked until the transaction ends"));
        }
        let (sql, values, related) = self.select_sql(db, order)?;
        let rows = db.fetch_all_owned(&sql, values).await?;
        let mut out = Vec::with_capacity(rows.len());
        let reading = Reading::new(self, related);
        for row in &rows {
            out.push(reading.decode(row)?);
        }
        super::prefetch_paths(db, &mut out, &self.prefetch).await?;
        Ok(out)
    }

    /// The matching rows one at a time, decoded as they arrive (one query; select_related works).
    /// A query with prefetch_related is refused: the rows of a stream are not all there to
    /// prefetch for, and leaving the relations unloaded would go unnoticed until they are read.
    pub fn stream<'a>(&self, db: &'a Db) -> futures_core::stream::BoxStream<'a, Result<M>> {
        use futures_util::StreamExt;
        if !self.prefetch.is_empty() {
            let paths: Vec<&str> = self.prefetch.iter().map(|p| p.path.as_str()).collect();
            let e = Error::new(ErrorKind::Usage, format!("stream() of {} with prefetch_related({paths:?})", M::NAME))
                .hint("use all() to have the relations prefetched, or select_related for foreign keys, which a stream loads");
            return futures_util::stream::iter(vec![Err(e)]).boxed();
        }
        match self.select_sql(db, &self.ordering()) {
            Ok((sql, values, related)) => {
                let reading = Reading::new(self, related);
                db.fetch_stream(sql, values).map(move |row| reading.decode(&row?)).boxed()
            }
            Err(e) => futures_util::stream::iter(vec![Err(e)]).boxed(),
        }
    }

    /// Reads only these columns of each row, and the key (Django's `only()`): the rows come as
    /// [`Partial`](super::deferred::Partial), which says which fields were not read and saves
    /// only the others. Goes last in the chain, before the call that runs it.
    pub fn only<V: ValuesList>(self, cols: V) -> Result<super::deferred::Deferred<M>> {
        let named = super::deferred::own_columns::<M>(&cols.cols(), "only")?;
        let fields: Vec<&'static str> = M::COLUMNS.iter().copied().filter(|c| *c == M::PK || named.contains(c)).collect();
        Ok(super::deferred::Deferred::new(self, fields))
    }

    /// Reads every column but these (Django's `defer()`): see [`only`](QuerySet::only). The key
    /// cannot be deferred.
    pub fn defer<V: ValuesList>(self, cols: V) -> Result<super::deferred::Deferred<M>> {
        let named = super::deferred::own_columns::<M>(&cols.cols(), "defer")?;
        if named.contains(&M::PK) {
            return Err(Error::new(ErrorKind::Usage, format!("defer() of {}'s key {}", M::NAME, M::PK))
                .hint("the key is always read: it is what saves and loads the rest"));
        }
        let fields: Vec<&'static str> = M::COLUMNS.iter().copied().filter(|c| !named.contains(c)).collect();
        Ok(super::deferred::Deferred::new(self, fields))
    }

    /// Every matching row: one query, plus one per prefetched relation.
    pub async fn all(&self, db: &Db) -> Result<Vec<M>> {
        self.fetch(db, &self.ordering()).await
    }

    /// The one matching row: NotFound when there is none, MultipleObjects when more.
    pub async fn get(&self, db: &Db) -> Result<M> {
        // Two rows tell one from many; a slice that is smaller still decides.
        let mut q = self.clone();
        q.limit = Some(self.limit.map_or(2, |l| Ord::min(l, 2)));
        let mut rows = q.all(db).await?;
        match rows.len() {
            0 => Err(Error::new(ErrorKind::NotFound, format!("no {} matches the query", M::NAME))),
            1 => Ok(rows.remove(0)),
            _ => Err(Error::new(ErrorKind::MultipleObjects, format!("more than one {} matches the query", M::NAME))
                .hint("narrow the filter, or use first()")),
        }
    }

    /// The first row in the query's order (key order when none).
    pub async fn first(&self, db: &Db) -> Result<Option<M>> {
        let own = self.ordering();
        let order = if own.is_empty() { vec![Order::own(M::PK, false)] } else { own };
        let mut q = self.clone();
        q.limit = Some(1);
        Ok(q.fetch(db, &order).await?.into_iter().next())
    }

    /// The last row in the query's order (key order when none). Not on a sliced query: the last
    /// row of a slice is not the first row of the reversed query.
    pub async fn last(&self, db: &Db) -> Result<Option<M>> {
        if self.limit.is_some() || self.offset.is_some() {
            return Err(Error::new(ErrorKind::Usage, "last() on a query with limit or offset")
                .hint("order the query the other way and use first(), or take the last element of all()"));
        }
        let own = self.ordering();
        let order: Vec<Order> = if own.is_empty() { vec![Order::own(M::PK, true)] } else { own.iter().map(Order::reversed).collect() };
        let mut q = self.clone();
        q.limit = Some(1);
        Ok(q.fetch(db, &order).await?.into_iter().next())
    }

    /// The values of a column of the matching rows, as a subquery for `is_in_query`
    /// (`Book::author().is_in_query(Author::objects().filter(..).values_of(Author::id()))`).
    pub fn values_of<T>(&self, col: Column<T>) -> super::expression::Values<T> {
        super::expression::Values::new(self.subquery(Some(col.col)))
    }

    /// "Some row matches this query", as a condition for another query (Django's `Exists`);
    /// its conditions may compare with the outer query's columns (`eq_outer`). `!` makes it
    /// "no row matches".
    pub fn exists_cond(&self) -> Cond {
        Cond::Exists(Box::new(self.subquery(None)))
    }

    fn subquery(&self, column: Option<super::expression::ColRef>) -> super::expression::Subquery {
        super::expression::Subquery {
            table: M::TABLE,
            pk: M::PK,
            conds: self.conds.clone(),
            order: self.ordering(),
            limit: self.limit,
            offset: self.offset,
            column,
            nothing: self.nothing,
        }
    }

    /// The matching rows with the given keys, by key (one query; Django's `in_bulk`). Keys that
    /// match no row are not in the map.
    pub async fn in_bulk<K>(&self, db: &Db, keys: K) -> Result<std::collections::HashMap<M::Key, M>>
    where
        K: IntoIterator<Item = M::Key>,
    {
        if self.limit.is_some() || self.offset.is_some() {
            return Err(Error::new(ErrorKind::Usage, format!("in_bulk() on a sliced query of {}", M::NAME))
                .hint("a slice picks rows by position, in_bulk by key: filter instead, or slice the map's values"));
        }
        let keys: Vec<Value> = keys.into_iter().map(|k| k.to_value()).collect();
        if keys.is_empty() || self.matches_nothing() {
            return Ok(std::collections::HashMap::new());
        }
        let by_key = Cond::In(super::expression::ColRef::own(M::PK), keys);
        let rows = self.clone().filter(by_key).all(db).await?;
        Ok(rows.into_iter().map(|m| (m.key(), m)).collect())
    }

    /// Whether any row matches (one query).
    pub async fn exists(&self, db: &Db) -> Result<bool> {
        if self.matches_nothing() {
            return Ok(false);
        }
        let mut b = Builder::new(db, M::TABLE, M::PK);
        let filter = self.filter_clause(&mut b)?;
        let mut s = b.select();
        s.expr(Expr::cust("1"));
        filter.apply(&mut s);
        slice(&mut s, Some(self.limit.map_or(1, |l| Ord::min(l, 1))), self.offset, db.dialect());
        Ok(!fetch_all(db, &s).await?.is_empty())
    }

    /// The number of matching rows (one query).
    pub async fn count(&self, db: &Db) -> Result<i64> {
        if self.matches_nothing() {
            return Ok(0);
        }
        let mut b = Builder::new(db, M::TABLE, M::PK);
        let filter = self.filter_clause(&mut b)?;
        let mut inner = b.select();
        inner.expr(column("t0", M::PK));
        if self.distinct {
            inner.distinct();
        }
        filter.apply(&mut inner);
        self.slice(&mut inner, db.dialect());
        let mut s = Query::select();
        s.expr(Expr::cust("COUNT(*)")).from_subquery(inner, Alias::new("q"));
        let rows = fetch_all(db, &s).await?;
        rows.first().map(|r| i64::decode(r, 0)).unwrap_or(Ok(0))
    }

    /// The matching rows' columns as tuples: `values_list(&db, (Book::title(), Book::price()))`.
    pub async fn values_list<V: ValuesList>(&self, db: &Db, cols: V) -> Result<Vec<V::Output>> {
        if self.matches_nothing() {
            return Ok(Vec::new());
        }
        let mut b = Builder::new(db, M::TABLE, M::PK);
        let cs = cols.cols().iter().map(|n| b.node(n)).collect::<Result<Vec<Expr>>>()?;
        let s = self.select_of(&mut b, cs, &self.ordering())?;
        let rows = fetch_all(db, &s).await?;
        rows.iter().map(V::decode).collect()
    }

    /// The matching rows' columns as maps keyed the way Django's `values()` keys them: the field
    /// name, or the lookup path for a column reached through relations (`author__name`), with
    /// the function last (`published__year`). An expression, which has no name, is keyed by its
    /// place (`"1"` for the first). The same query as `values_list`.
    pub async fn values<V: ValuesList>(&self, db: &Db, cols: V) -> Result<Vec<std::collections::BTreeMap<String, Value>>> {
        let names: Vec<String> = cols
            .cols()
            .iter()
            .enumerate()
            .map(|(i, n)| match n {
                Node::Col(c) => c.lookup_name(),
                _ => (i + 1).to_string(),
            })
            .collect();
        let rows = self.values_list(db, cols).await?;
        Ok(rows.iter().map(|r| names.iter().cloned().zip(V::to_values(r)).collect()).collect())
    }

    /// One aggregate or a tuple of them over the matching rows, typed by what each returns
    /// (one query). On a sliced query they cover the slice's rows.
    pub async fn aggregate<A: Aggregates>(&self, db: &Db, aggs: A) -> Result<A::Output> {
        let mut b = Builder::new(db, M::TABLE, M::PK);
        let dialect = db.dialect();
        let sliced = self.limit.is_some() || self.offset.is_some();
        let s = if sliced || self.distinct || !self.having.is_empty() {
            // The rows first (a slice, distinct rows, or grouped to meet having()), then the
            // aggregates over them.
            let args: Vec<Node> = aggs.args().into_iter().flatten().collect();
            let picked = args.iter().map(|n| b.node(n)).collect::<Result<Vec<Expr>>>()?;
            let filter = self.filter_clause(&mut b)?;
            let order = if sliced { self.ordering() } else { Vec::new() };
            let terms = b.order(&order)?;
            // Distinct rows are told apart by their key (two rows may hold the same values),
            // and a DISTINCT query selects what it is ordered by.
            let mut extra = Vec::new();
            if self.distinct {
                extra.push(column("t0", M::PK));
                b.select_order_columns(&mut extra, &order)?;
            }
            let mut inner = b.select();
            for (i, c) in picked.into_iter().enumerate() {
                inner.expr_as(c, Alias::new(format!("c{i}")));
            }
            if args.is_empty() {
                inner.expr_as(Expr::cust("1"), Alias::new("c"));
            }
            for (i, e) in extra.into_iter().enumerate() {
                inner.expr_as(e, Alias::new(format!("k{i}")));
            }
            if self.distinct {
                inner.distinct();
            }
            filter.apply(&mut inner);
            order_by(&mut inner, terms);
            self.slice(&mut inner, dialect);
            // Each aggregate reads the inner column its own column became.
            let outer = aggs.exprs(&mut |n| Ok(column("q", &format!("c{}", args.iter().position(|x| x == n).unwrap_or(0)))), dialect)?;
            let mut s = Query::select();
            s.exprs(outer).from_subquery(inner, Alias::new("q"));
            s
        } else {
            let parts = aggs.exprs(&mut |n| b.node(n), dialect)?;
            let w = self.where_clause(&mut b)?;
            let mut s = b.select();
            s.exprs(parts);
            if let Some(w) = w {
                s.and_where(w);
            }
            s
        };
        let rows = fetch_all(db, &s).await?;
        let row = rows.first().ok_or_else(|| Error::new(ErrorKind::Database, "an aggregate query returned no row"))?;
        A::decode(row, 0)
    }

    /// Each matching row with aggregates over its related rows (Django's `annotate`), one
    /// query: `Author::objects().annotate(&db, (Agg::count_of(Author::books().id()),
    /// Agg::max(Author::books().pages())))` gives each author with its number of books and its
    /// longest book. Related rows are joined and grouped per row; a filter() made before on the
    /// same relation narrows the rows counted, as in Django ("filter, then annotate").
    pub async fn annotate<A: Aggregates>(&self, db: &Db, aggs: A) -> Result<Vec<(M, A::Output)>> {
        if self.matches_nothing() {
            return Ok(Vec::new());
        }
        let mut b = Builder::new(db, M::TABLE, M::PK);
        let mut cols: Vec<Expr> = M::COLUMNS.iter().map(|c| column("t0", c)).collect();
        let w = self.where_clause(&mut b)?;
        // The joins of the last filter() call are the annotation's: what it kept is what is counted.
        b.scope = self.conds.len();
        cols.extend(aggs.exprs(&mut |n| b.node(n), db.dialect())?);
        b.scope = 0;
        let filter = Filter { conds: w, having: self.having_only(&mut b)?, key: M::PK };
        let terms = b.order(&self.ordering())?;
        let mut s = b.select();
        s.exprs(cols);
        filter.apply(&mut s);
        if self.having.is_empty() {
            s.add_group_by([column("t0", M::PK)]);
        }
        order_by(&mut s, terms);
        self.slice(&mut s, db.dialect());
        let rows = fetch_all(db, &s).await?;
        let n = M::COLUMNS.len();
        rows.iter().map(|r| Ok((M::from_row(r, 0)?, A::decode(r, n)?))).collect()
    }

    /// One aggregate or a tuple of them per value of a column (GROUP BY), ordered by that value.
    pub async fn group_by<G: FieldValue, A: Aggregates>(&self, db: &Db, group: Column<G>, aggs: A) -> Result<Vec<(G, A::Output)>> {
        if !self.having.is_empty() {
            return Err(Error::new(ErrorKind::Usage, "group_by() on a query with having()")
                .hint("having() groups by each row; filter the rows first, or group the result in Rust"));
        }
        let mut b = Builder::new(db, M::TABLE, M::PK);
        let g = b.col(&group.col);
        let parts = aggs.exprs(&mut |n| b.node(n), db.dialect())?;
        let w = self.where_clause(&mut b)?;
        let mut s = b.select();
        s.expr(g.clone()).exprs(parts);
        if let Some(w) = w {
            s.and_where(w);
        }
        s.add_group_by([g.clone()]).order_by_expr(g, sea_query::Order::Asc);
        let rows = fetch_all(db, &s).await?;
        rows.iter().map(|r| Ok((G::decode(r, 0)?, A::decode(r, 1)?))).collect()
    }

    /// What picks the rows an UPDATE or a DELETE touches: `key IN (SELECT t0.key ...)`, or
    /// None for every row.
    fn keyed(&self, b: &mut Builder) -> Result<Option<Expr>> {
        // Every row only when nothing narrows the query: a condition, a slice or a having() each
        // pick rows, and forgetting one here would update or delete them all.
        if self.conds.is_empty() && self.having.is_empty() && self.limit.is_none() && self.offset.is_none() {
            return Ok(None);
        }
        Ok(Some(Expr::col(Alias::new(M::PK)).in_subquery(self.key_select(b)?)))
    }

    /// `SELECT t0.key ...` of the matching rows.
    fn key_select(&self, b: &mut Builder) -> Result<SelectStatement> {
        let filter = self.filter_clause(b)?;
        // The order matters when a limit or an offset picks the rows.
        let terms = if self.limit.is_some() || self.offset.is_some() { b.order(&self.ordering())? } else { Vec::new() };
        let mut s = b.select();
        s.expr(column("t0", M::PK));
        filter.apply(&mut s);
        order_by(&mut s, terms);
        self.slice(&mut s, b.dialect());
        Ok(s)
    }

    /// Sets columns of every matching row (one query); returns the number of rows.
    pub async fn update(&self, db: &Db, set: Vec<Assign>) -> Result<u64> {
        if self.matches_nothing() || set.is_empty() {
            return Ok(0);
        }
        // The updated row is `t0`, as in a query: an expression reads its columns the same way.
        let mut sets = Builder::new(db, M::TABLE, M::PK);
        let mut u = Query::update();
        u.table(sea_query::TableRef::from(Alias::new(M::TABLE)).alias(Alias::new("t0")));
        for a in set {
            if a.func.is_some() {
                return Err(Error::new(ErrorKind::Usage, format!("update() sets {} through a function of it ({:?})", a.column, a.func))
                    .hint("set the column itself; functions (year(), lower(), ...) are for reading and filtering"));
            }
            let to = match a.expr {
                SetExpr::Value(v) => value(v),
                SetExpr::Add(v) => column("t0", a.column).add(value(v)),
                SetExpr::Expr(e) => sets.node(&e)?,
            };
            u.value(Alias::new(a.column), to);
        }
        if sets.joins_any() {
            return Err(Error::new(ErrorKind::Usage, format!("an update of {} reads a column of a related table", M::NAME))
                .hint("an UPDATE's expressions read the updated row's own columns; filter on the related ones instead"));
        }
        let mut b = Builder::new(db, M::TABLE, M::PK);
        if let Some(w) = self.keyed(&mut b)? {
            u.and_where(w);
        }
        execute(db, &u).await
    }

    /// Deletes every matching row (one query); returns the number of rows. The `on_delete` of
    /// each foreign key pointing at them that the database does not do itself is done here too
    /// (see [`super::deletion`]): the keys are read first, and it all runs in one transaction.
    pub async fn delete(&self, db: &Db) -> Result<u64> {
        if self.matches_nothing() {
            return Ok(0);
        }
        if super::deletion::needs_collector(db, M::TABLE).await? {
            let s = self.key_select(&mut Builder::new(db, M::TABLE, M::PK))?;
            let keys = super::deletion::Keys::Select(Box::new(s), |row| Ok(M::Key::decode(row, 0)?.to_value()));
            let origin = super::deletion::Origin { model: M::NAME, table: M::TABLE, pk: M::PK };
            return super::deletion::delete_collected(db, origin, keys).await;
        }
        let mut b = Builder::new(db, M::TABLE, M::PK);
        let mut d = Query::delete();
        d.from_table(Alias::new(M::TABLE));
        if let Some(w) = self.keyed(&mut b)? {
            d.and_where(w);
        }
        execute(db, &d).await
    }
}

/// How a query's rows are decoded: every column, or (after `only()` / `defer()`) the columns
/// read, the others left as `defaults()` has them; then the select_related rows joined.
struct Reading<M> {
    fields: Option<Vec<&'static str>>,
    related: Vec<(String, usize)>,
    heads: Vec<String>,
    _m: PhantomData<fn() -> M>,
}

impl<M: Model> Reading<M> {
    fn new(q: &QuerySet<M>, related: Vec<(String, usize)>) -> Reading<M> {
        let heads = super::direct(&related);
        Reading { fields: q.fields.clone(), related, heads, _m: PhantomData }
    }

    fn decode(&self, row: &DbRow) -> Result<M> {
        let mut m = match &self.fields {
            Some(f) => super::deferred::decode_fields::<M>(row, f)?,
            None => M::from_row(row, 0)?,
        };
        for field in &self.heads {
            m.load_related(field, row, &self.related)?;
        }
        Ok(m)
    }
}

/// What picks a query's rows: its conditions, and with `having()` conditions the grouping by
/// key they need.
struct Filter {
    conds: Option<Expr>,
    having: Vec<Expr>,
    key: &'static str,
}

impl Filter {
    fn apply(self, s: &mut SelectStatement) {
        if let Some(w) = self.conds {
            s.and_where(w);
        }
        if !self.having.is_empty() {
            s.add_group_by([column("t0", self.key)]);
            for h in self.having {
                s.and_having(h);
            }
        }
    }
}
