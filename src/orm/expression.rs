//! Column handles and conditions: `Book::title().icontains("rust")`, `Book::author().name().eq("Ann")`,
//! combined with `&`, `|` and `!`. A lookup takes the field's own Rust type, so a wrong type does
//! not compile (these examples are compile-fail tests, checked with their error codes).
//!
//! ```
//! # use teapot::prelude::*;
//! # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Book { pub id: i64, #[teapot(max_length = 10)] pub title: String, pub pages: Option<i32> }
//! let c = Book::pages().gt(100) & Book::title().icontains("rust") | !Book::pages().is_null(true);
//! # let _ = c;
//! ```
//!
//! A string for an integer field does not compile:
//!
//! ```compile_fail,E0277
//! # use teapot::prelude::*;
//! # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Book { pub id: i64, #[teapot(max_length = 10)] pub title: String, pub pages: Option<i32> }
//! let c = Book::pages().eq("many");
//! ```
//!
//! Nor does a text lookup on a number:
//!
//! ```compile_fail,E0599
//! # use teapot::prelude::*;
//! # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Book { pub id: i64, #[teapot(max_length = 10)] pub title: String, pub pages: Option<i32> }
//! let c = Book::pages().icontains("1");
//! ```
//!
//! Nor a value of another type across a relation:
//!
//! ```compile_fail,E0277
//! # use teapot::prelude::*;
//! # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Author { pub id: i64, pub name: String }
//! # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Book { pub id: i64, #[teapot(on_delete = "cascade")] pub author: ForeignKey<Author> }
//! let c = Book::author().name().eq(42);
//! ```

use std::marker::PhantomData;

use teapot_core::value::{FieldValue, IntoArg, Value};

/// One join from a model to a model it points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Join {
    /// The foreign key column on the model joined from.
    pub fk_column: &'static str,
    /// The table joined.
    pub table: &'static str,
    /// Its key column.
    pub pk: &'static str,
    /// The step can reach several rows (the join table of a many-to-many): a condition across it
    /// asks "some related row", so each `filter()` call gets joins of its own and an exclusion
    /// becomes "no related row" (a subquery), as in Django.
    pub many: bool,
    /// The field of the model joined from that this step follows (empty for the second step of
    /// a many-to-many, from its join table to the other model).
    pub field: &'static str,
}

#[doc(hidden)]
/// The joins that reach a model's column handles (implemented by the derive).
pub trait ColumnsPath {
    /// The model whose columns these are.
    type Model;
    /// The joins from the queried model.
    fn joins(&self) -> &[Join];
}

/// A relation to fetch with `prefetch_related`: a typed handle (`Author::books()`,
/// `Book::tags()`, `Author::books().tags()` for the tags of the books), or a path string
/// (`"books__tags"`) for a path built at run time, checked when the query runs.
pub trait RelationPath {
    /// The path, fields joined by `__`.
    fn relation_path(&self) -> String;
}

/// A foreign key path to fetch with `select_related` (joined into the same query):
/// `Book::author()`, `Book::author().publisher()`, or a path string checked when the query runs.
/// A many-to-many or a reverse relation is not one: it does not compile.
pub trait ForeignKeyPath: RelationPath {}

fn path_of(joins: &[Join]) -> String {
    joins.iter().filter(|j| !j.field.is_empty()).map(|j| j.field).collect::<Vec<_>>().join("__")
}

impl<K, C: ColumnsPath> RelationPath for Related<K, C> {
    fn relation_path(&self) -> String {
        path_of(self.columns.joins())
    }
}
impl<K, C: ColumnsPath> ForeignKeyPath for Related<K, C> {}

/// A relation handle, and the model at its end: what `prefetch_with` takes a query of.
pub trait RelationTo: RelationPath {
    /// The model the relation reaches.
    type Target;
}

impl<K, C: ColumnsPath> RelationTo for Related<K, C> {
    type Target = C::Model;
}

impl<C: ColumnsPath> RelationTo for Through<C> {
    type Target = C::Model;
}

impl<C: ColumnsPath> RelationPath for Through<C> {
    fn relation_path(&self) -> String {
        path_of(self.columns.joins())
    }
}

impl RelationPath for &str {
    fn relation_path(&self) -> String {
        self.to_string()
    }
}
impl ForeignKeyPath for &str {}
impl RelationPath for String {
    fn relation_path(&self) -> String {
        self.clone()
    }
}
impl ForeignKeyPath for String {}

/// A column, reached from the queried model through zero or more joins.
#[derive(Debug, Clone, PartialEq)]
pub struct ColRef {
    /// Joins from the queried model.
    pub path: Vec<Join>,
    /// The column.
    pub column: &'static str,
    /// The model field it stores (the column's name when unknown).
    pub field: &'static str,
    /// A function of the column read instead of the column (`Book::published().year()`).
    pub func: Option<Func>,
}

impl ColRef {
    /// A column of the queried model itself.
    pub fn own(column: &'static str) -> ColRef {
        ColRef { path: Vec::new(), column, field: column, func: None }
    }

    /// Its name as Django spells a lookup: the fields of the path and its own, joined by `__`
    /// (`author__name`), with the function last (`published__year`).
    pub fn lookup_name(&self) -> String {
        let mut parts: Vec<&str> = self.path.iter().map(|j| j.field).filter(|f| !f.is_empty()).collect();
        parts.push(self.field);
        let mut name = parts.join("__");
        match &self.func {
            Some(Func::JsonPath(keys)) => {
                for k in keys {
                    name.push_str("__");
                    name.push_str(k);
                }
            }
            Some(f) => {
                name.push_str("__");
                name.push_str(&format!("{f:?}").to_lowercase());
            }
            None => {}
        }
        name
    }
}

/// A function of one column (Django's transforms and one-argument functions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Func {
    /// The value under these keys of a JSON column (`data__a__b`), NULL where there is none.
    JsonPath(Vec<String>),
    /// The year of a date or datetime (`__year`).
    Year,
    /// Its month, 1 to 12 (`__month`).
    Month,
    /// Its day of the month (`__day`).
    Day,
    /// The date of a datetime, in UTC (`__date`).
    Date,
    /// The date of a date or of a timestamp without time zone (`__date`): no time zone applies.
    NaiveDate,
    /// Lower case (`Lower`).
    Lower,
    /// Upper case (`Upper`).
    Upper,
    /// Length in characters (`Length`).
    Length,
}

/// A typed handle on a column: lookups take `T`'s argument type.
#[derive(Debug, Clone)]
pub struct Column<T> {
    /// Which column.
    pub col: ColRef,
    _t: PhantomData<fn() -> T>,
}

impl<T> Column<T> {
    /// A handle on `column`, reached through `path`.
    pub fn new(path: Vec<Join>, column: &'static str) -> Self {
        Column { col: ColRef { path, column, field: column, func: None }, _t: PhantomData }
    }

    /// A handle on `column`, which stores the model field `field`, reached through `path`.
    pub fn named(path: Vec<Join>, column: &'static str, field: &'static str) -> Self {
        Column { col: ColRef { path, column, field, func: None }, _t: PhantomData }
    }

    fn func<U>(self, f: Func) -> Column<U> {
        Column { col: ColRef { func: Some(f), ..self.col }, _t: PhantomData }
    }
}

/// Types with a date part: a date, a datetime, or either nullable.
pub trait HasDate: FieldValue {
    /// `i32`, or `Option<i32>` for a nullable column.
    type Part: FieldValue;
    /// `NaiveDate`, or `Option<NaiveDate>` for a nullable column.
    type Date: FieldValue;
    /// Whether the value is a moment in UTC (its date is taken in UTC), not a wall-clock date
    /// or time.
    const AWARE: bool = false;
}
impl HasDate for chrono::NaiveDate {
    type Part = i32;
    type Date = chrono::NaiveDate;
}
impl HasDate for chrono::DateTime<chrono::Utc> {
    type Part = i32;
    type Date = chrono::NaiveDate;
    const AWARE: bool = true;
}
impl HasDate for chrono::NaiveDateTime {
    type Part = i32;
    type Date = chrono::NaiveDate;
}
impl<T: HasDate<Part = i32, Date = chrono::NaiveDate>> HasDate for Option<T> {
    type Part = Option<i32>;
    type Date = Option<chrono::NaiveDate>;
    const AWARE: bool = T::AWARE;
}

/// Types with text: `String` or `Option<String>`.
pub trait HasText: FieldValue {
    /// `i32`, or `Option<i32>` for a nullable column.
    type Length: FieldValue;
}
impl HasText for String {
    type Length = i32;
}
impl HasText for Option<String> {
    type Length = Option<i32>;
}

impl<T: HasDate> Column<T> {
    /// The year (`Book::published().year().eq(2024)`; Django's `__year`).
    pub fn year(self) -> Column<T::Part> {
        self.func(Func::Year)
    }
    /// The month, 1 to 12.
    pub fn month(self) -> Column<T::Part> {
        self.func(Func::Month)
    }
    /// The day of the month.
    pub fn day(self) -> Column<T::Part> {
        self.func(Func::Day)
    }
    /// The date (of a `DateTime<Utc>`, in UTC; of a `NaiveDateTime`, its own date).
    pub fn date(self) -> Column<T::Date> {
        self.func(if T::AWARE { Func::Date } else { Func::NaiveDate })
    }
}

/// JSON columns: `serde_json::Value` or `Option<serde_json::Value>`.
pub trait HasJson: FieldValue {}
impl HasJson for serde_json::Value {}
impl HasJson for Option<serde_json::Value> {}

impl<T: HasJson> Column<T> {
    /// The value under a key of a JSON object (Django's `data__key`), None where the key is
    /// missing: `Event::data().key("kind").eq(json!("click"))`; chain for nested keys.
    pub fn key(self, key: &str) -> Column<Option<serde_json::Value>> {
        let mut keys = match &self.col.func {
            Some(Func::JsonPath(k)) => k.clone(),
            _ => Vec::new(),
        };
        keys.push(key.to_string());
        self.func(Func::JsonPath(keys))
    }

    /// The JSON object has this key, whatever its value, `null` included (Django's `has_key`).
    pub fn has_key(self, key: &str) -> Cond {
        self.key(key).is_null(false)
    }
}

impl<T: HasText> Column<T> {
    /// The text in lower case (Django's `Lower`).
    pub fn lower(self) -> Column<T> {
        self.func(Func::Lower)
    }
    /// The text in upper case.
    pub fn upper(self) -> Column<T> {
        self.func(Func::Upper)
    }
    /// The length in characters.
    pub fn length(self) -> Column<T::Length> {
        self.func(Func::Length)
    }
}

/// A column's type, and the type of its values without the `Option` of a nullable column.
pub trait Nullable: FieldValue {
    /// The value type (`String` for both `String` and `Option<String>`).
    type Inner: FieldValue;
}

macro_rules! nullable {
    ($($t:ty),*) => {$(
        impl Nullable for $t {
            type Inner = $t;
        }
    )*};
}
nullable!(
    bool,
    i16,
    i32,
    i64,
    f64,
    String,
    Vec<u8>,
    chrono::NaiveDate,
    chrono::NaiveTime,
    chrono::DateTime<chrono::Utc>,
    chrono::NaiveDateTime,
    rust_decimal::Decimal,
    uuid::Uuid,
    serde_json::Value,
    chrono::TimeDelta,
    std::net::IpAddr
);

impl<T: Nullable> Nullable for Option<T> {
    type Inner = T::Inner;
}

impl<T: Nullable> Column<T> {
    /// The same column, read as an `Option`: for a column reached through a nullable foreign key
    /// (`Article::place().name().nullable()`), which is NULL where the key is.
    pub fn nullable(self) -> Column<Option<T::Inner>> {
        Column { col: self.col, _t: PhantomData }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// =
    Eq,
    /// <>
    Ne,
    /// <
    Lt,
    /// <=
    Lte,
    /// >
    Gt,
    /// >=
    Gte,
}

/// How a text pattern matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Like {
    /// The whole value, ignoring case.
    IExact,
    /// Contains.
    Contains,
    /// Starts with.
    StartsWith,
    /// Ends with.
    EndsWith,
}

/// A condition on rows.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Cond {
    /// `col op value`.
    Cmp(ColRef, Op, Value),
    /// `col op other_col`.
    CmpCol(ColRef, Op, ColRef),
    /// `col op expression` (arithmetic over columns and values).
    CmpExpr(ColRef, Op, super::arith::Node),
    /// `col IN (SELECT ...)`.
    InQuery(ColRef, Box<Subquery>),
    /// `EXISTS (SELECT ...)`.
    Exists(Box<Subquery>),
    /// In a subquery: `col op` a column of the query around it (Django's `OuterRef`).
    CmpOuter(ColRef, Op, ColRef),
    /// `col IN (values)`.
    In(ColRef, Vec<Value>),
    /// `col IS NULL` (true) or `IS NOT NULL`.
    IsNull(ColRef, bool),
    /// A LIKE match; `bool` for case-insensitive.
    Like(ColRef, Like, String, bool),
    /// A regular expression (PostgreSQL).
    Regex(ColRef, String),
    /// All of them.
    And(Vec<Cond>),
    /// Any of them.
    Or(Vec<Cond>),
    /// Not.
    Not(Box<Cond>),
}

impl Cond {
    /// Whether it is no condition at all: an AND or OR of nothing (Django's `Q()`), or NOT of one.
    pub fn is_empty(&self) -> bool {
        match self {
            Cond::And(cs) | Cond::Or(cs) => cs.iter().all(Cond::is_empty),
            Cond::Not(c) => c.is_empty(),
            _ => false,
        }
    }

    /// Whether the condition reaches across a many-to-many (a step that can find several rows).
    pub(crate) fn crosses_many(&self) -> bool {
        let many = |c: &ColRef| c.path.iter().any(|j| j.many);
        match self {
            Cond::Cmp(c, ..) | Cond::In(c, _) | Cond::IsNull(c, _) | Cond::Like(c, ..) | Cond::Regex(c, _) => many(c),
            Cond::CmpCol(a, _, b) => many(a) || many(b),
            Cond::CmpExpr(a, _, e) => many(a) || e.crosses_many(),
            Cond::InQuery(c, _) | Cond::CmpOuter(c, ..) => many(c),
            // A subquery's joins are its own.
            Cond::Exists(_) => false,
            Cond::And(cs) | Cond::Or(cs) => cs.iter().any(Cond::crosses_many),
            Cond::Not(c) => c.crosses_many(),
        }
    }
}

impl std::ops::BitAnd for Cond {
    type Output = Cond;
    fn bitand(self, rhs: Cond) -> Cond {
        Cond::And(vec![self, rhs])
    }
}

impl std::ops::BitOr for Cond {
    type Output = Cond;
    fn bitor(self, rhs: Cond) -> Cond {
        Cond::Or(vec![self, rhs])
    }
}

impl std::ops::Not for Cond {
    type Output = Cond;
    fn not(self) -> Cond {
        Cond::Not(Box::new(self))
    }
}

impl<T: FieldValue> Column<T> {
    fn cmp(self, op: Op, v: impl IntoArg<T::Arg>) -> Cond {
        Cond::Cmp(self.col, op, T::arg_value(&v.into_arg()))
    }
    /// Equal (`exact`).
    pub fn eq(self, v: impl IntoArg<T::Arg>) -> Cond {
        self.cmp(Op::Eq, v)
    }
    /// Not equal.
    pub fn ne(self, v: impl IntoArg<T::Arg>) -> Cond {
        self.cmp(Op::Ne, v)
    }
    /// Less than.
    pub fn lt(self, v: impl IntoArg<T::Arg>) -> Cond {
        self.cmp(Op::Lt, v)
    }
    /// Less than or equal.
    pub fn lte(self, v: impl IntoArg<T::Arg>) -> Cond {
        self.cmp(Op::Lte, v)
    }
    /// Greater than.
    pub fn gt(self, v: impl IntoArg<T::Arg>) -> Cond {
        self.cmp(Op::Gt, v)
    }
    /// Greater than or equal.
    pub fn gte(self, v: impl IntoArg<T::Arg>) -> Cond {
        self.cmp(Op::Gte, v)
    }
    /// One of the values.
    pub fn is_in<I: IntoIterator<Item = A>, A: IntoArg<T::Arg>>(self, values: I) -> Cond {
        Cond::In(self.col, values.into_iter().map(|v| T::arg_value(&v.into_arg())).collect())
    }
    /// Between two values, both included.
    pub fn range(self, low: impl IntoArg<T::Arg>, high: impl IntoArg<T::Arg>) -> Cond {
        let c = self.col.clone();
        Cond::And(vec![Cond::Cmp(c.clone(), Op::Gte, T::arg_value(&low.into_arg())), Cond::Cmp(c, Op::Lte, T::arg_value(&high.into_arg()))])
    }
    /// NULL (true) or not NULL (false).
    pub fn is_null(self, null: bool) -> Cond {
        Cond::IsNull(self.col, null)
    }
    /// Compared with another column of the same type (an F expression).
    pub fn cmp_col(self, op: Op, other: Column<T>) -> Cond {
        Cond::CmpCol(self.col, op, other.col)
    }
    /// Compared with an arithmetic expression of the same type (`Book::stock().cmp_expr(Op::Gt,
    /// Book::reserved() * 2)`).
    pub fn cmp_expr(self, op: Op, e: impl Into<super::arith::Expr<T>>) -> Cond {
        Cond::CmpExpr(self.col, op, e.into().node)
    }
    /// `SET col = expression`, for `QuerySet::update`: from another column
    /// (`a().set_expr(b())`) or arithmetic (`price().set_expr(price() * 2)`). The expression reads
    /// the updated row's own columns.
    pub fn set_expr(self, e: impl Into<super::arith::Expr<T>>) -> Assign {
        Assign { column: self.col.column, func: self.col.func.clone(), expr: SetExpr::Expr(e.into().node) }
    }
    /// `SET col = value`, for `QuerySet::update`.
    pub fn set(self, v: impl IntoArg<T::Arg>) -> Assign {
        Assign { column: self.col.column, func: self.col.func.clone(), expr: SetExpr::Value(T::arg_value(&v.into_arg())) }
    }
    /// `SET col = NULL`, for `QuerySet::update` (Django's `update(col=None)`); a NOT NULL
    /// column refuses it with `NotNullViolation`.
    pub fn set_null(self) -> Assign {
        Assign { column: self.col.column, func: self.col.func.clone(), expr: SetExpr::Value(T::null()) }
    }
    /// `SET col = col + value` (an F expression), for `QuerySet::update`.
    // `qty().add(1)` reads as Django's `F("qty") + 1`; it builds an assignment, it is not `+`.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, v: impl IntoArg<T::Arg>) -> Assign {
        Assign { column: self.col.column, func: self.col.func.clone(), expr: SetExpr::Add(T::arg_value(&v.into_arg())) }
    }
    /// Ascending order.
    pub fn asc(self) -> Order {
        Order { by: super::arith::Node::Col(self.col), desc: false, nulls_first: None }
    }
    /// Descending order.
    pub fn desc(self) -> Order {
        Order { by: super::arith::Node::Col(self.col), desc: true, nulls_first: None }
    }
}

/// Text lookups, for `String` and `Option<String>` columns.
pub trait TextColumn {
    /// The column.
    fn col_ref(self) -> ColRef;
    /// Equal ignoring case.
    fn iexact(self, s: &str) -> Cond
    where
        Self: Sized,
    {
        Cond::Like(self.col_ref(), Like::IExact, s.to_string(), true)
    }
    /// Contains.
    fn contains(self, s: &str) -> Cond
    where
        Self: Sized,
    {
        Cond::Like(self.col_ref(), Like::Contains, s.to_string(), false)
    }
    /// Contains, ignoring case.
    fn icontains(self, s: &str) -> Cond
    where
        Self: Sized,
    {
        Cond::Like(self.col_ref(), Like::Contains, s.to_string(), true)
    }
    /// Starts with.
    fn startswith(self, s: &str) -> Cond
    where
        Self: Sized,
    {
        Cond::Like(self.col_ref(), Like::StartsWith, s.to_string(), false)
    }
    /// Starts with, ignoring case.
    fn istartswith(self, s: &str) -> Cond
    where
        Self: Sized,
    {
        Cond::Like(self.col_ref(), Like::StartsWith, s.to_string(), true)
    }
    /// Ends with.
    fn endswith(self, s: &str) -> Cond
    where
        Self: Sized,
    {
        Cond::Like(self.col_ref(), Like::EndsWith, s.to_string(), false)
    }
    /// Ends with, ignoring case.
    fn iendswith(self, s: &str) -> Cond
    where
        Self: Sized,
    {
        Cond::Like(self.col_ref(), Like::EndsWith, s.to_string(), true)
    }
    /// Matches a regular expression (PostgreSQL).
    fn regex(self, re: &str) -> Cond
    where
        Self: Sized,
    {
        Cond::Regex(self.col_ref(), re.to_string())
    }
}

impl TextColumn for Column<String> {
    fn col_ref(self) -> ColRef {
        self.col
    }
}

impl TextColumn for Column<Option<String>> {
    fn col_ref(self) -> ColRef {
        self.col
    }
}

/// A query inside another: the rows of another model (or the same) that match its conditions,
/// and the column it selects. Made by `QuerySet::values_of` (for `is_in_query`) and
/// `QuerySet::exists_cond`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    /// Its table.
    pub table: &'static str,
    /// Its key column.
    pub pk: &'static str,
    /// Its conditions, one per `filter()` call.
    pub conds: Vec<Cond>,
    /// Its ordering (it matters with a limit).
    pub order: Vec<Order>,
    /// Its limit and offset.
    pub limit: Option<u64>,
    /// Rows skipped.
    pub offset: Option<u64>,
    /// The column selected (None: `SELECT 1`, for EXISTS).
    pub column: Option<ColRef>,
    /// `none()`: no row.
    pub nothing: bool,
}

/// The values of a column of the rows a query matches, for `Column::is_in_query`; typed by the
/// column.
#[derive(Debug, Clone)]
pub struct Values<T> {
    /// The query.
    pub query: Subquery,
    _t: PhantomData<fn() -> T>,
}

impl<T> Values<T> {
    pub(crate) fn new(query: Subquery) -> Values<T> {
        Values { query, _t: PhantomData }
    }
}

impl<T: FieldValue> Column<T> {
    /// One of the values a query selects (`author IN (SELECT id FROM ... WHERE ...)`): one query
    /// with a subquery, the values never fetched.
    pub fn is_in_query<U: FieldValue<Arg = T::Arg>>(self, values: Values<U>) -> Cond {
        Cond::InQuery(self.col, Box::new(values.query))
    }

    /// In a subquery's condition, compared with a column of the query around it (Django's
    /// `OuterRef`): `Book::author().eq_outer(Author::id())` inside `Author`'s query. The outer
    /// column must be on the outer model itself (no join).
    pub fn eq_outer<U: FieldValue<Arg = T::Arg>>(self, outer: Column<U>) -> Cond {
        Cond::CmpOuter(self.col, Op::Eq, outer.col)
    }

    /// [`eq_outer`](Column::eq_outer) with another operator.
    pub fn cmp_outer<U: FieldValue<Arg = T::Arg>>(self, op: Op, outer: Column<U>) -> Cond {
        Cond::CmpOuter(self.col, op, outer.col)
    }
}

impl<K: FieldValue, C> Related<K, C> {
    /// The key is one of the values a query selects.
    pub fn is_in_query<U: FieldValue<Arg = K::Arg>>(self, values: Values<U>) -> Cond {
        self.key.is_in_query(values)
    }

    /// In a subquery: the key equals a column of the query around it.
    pub fn eq_outer<U: FieldValue<Arg = K::Arg>>(self, outer: Column<U>) -> Cond {
        self.key.eq_outer(outer)
    }
}

/// An ORDER BY term.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// The column, or an expression.
    pub by: super::arith::Node,
    /// Descending.
    pub desc: bool,
    /// Where NULLs go: first (true), last (false), or the database's default (None: PostgreSQL
    /// puts them last ascending, SQLite first).
    pub nulls_first: Option<bool>,
}

impl Order {
    /// By one of the queried model's own columns.
    pub(crate) fn own(column: &'static str, desc: bool) -> Order {
        Order { by: super::arith::Node::Col(ColRef::own(column)), desc, nulls_first: None }
    }

    /// The NULLs first, on both databases.
    pub fn nulls_first(mut self) -> Order {
        self.nulls_first = Some(true);
        self
    }

    /// The NULLs last, on both databases.
    pub fn nulls_last(mut self) -> Order {
        self.nulls_first = Some(false);
        self
    }

    /// The other way round, NULLs too: NULLs asked first go last and the other way (as Django's
    /// `reverse()` does), so `last()` is the row `first()` gives of the reversed query.
    pub fn reversed(&self) -> Order {
        Order { by: self.by.clone(), desc: !self.desc, nulls_first: self.nulls_first.map(|first| !first) }
    }
}

/// What an UPDATE sets a column to.
#[derive(Debug, Clone, PartialEq)]
pub enum SetExpr {
    /// A value.
    Value(Value),
    /// The column plus a value.
    Add(Value),
    /// An arithmetic expression over the row's columns.
    Expr(super::arith::Node),
}

/// One assignment of an UPDATE.
#[derive(Debug, Clone, PartialEq)]
pub struct Assign {
    /// The column (of the queried model).
    pub column: &'static str,
    /// A function of the column, which an update cannot set (refused when it runs).
    pub func: Option<Func>,
    /// Its new value.
    pub expr: SetExpr,
}

/// A relation handle: `Book::author()` is the foreign key's column, and (through Deref) the
/// columns of the model it points at, joined: `Book::author().name()`.
pub struct Related<T, C> {
    /// The key column.
    pub key: Column<T>,
    /// The target's columns, reached through the join.
    pub columns: C,
}

impl<T, C> std::ops::Deref for Related<T, C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.columns
    }
}

impl<T: FieldValue, C> Related<T, C> {
    /// The key equals (a key value).
    pub fn eq(self, v: impl IntoArg<T::Arg>) -> Cond {
        self.key.eq(v)
    }
    /// The key is one of.
    pub fn is_in<I: IntoIterator<Item = A>, A: IntoArg<T::Arg>>(self, values: I) -> Cond {
        self.key.is_in(values)
    }
    /// The key is NULL.
    pub fn is_null(self, null: bool) -> Cond {
        self.key.is_null(null)
    }
}

/// A many-to-many handle: `Book::tags()` derefs to the columns of the model at the other end,
/// joined through the join table: `Book::tags().name().eq("sf")` (add `.distinct()` to the query
/// when several related rows can match).
pub struct Through<C> {
    /// The target's columns, reached through the join table.
    pub columns: C,
}

impl<C> std::ops::Deref for Through<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.columns
    }
}
