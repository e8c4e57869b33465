//! Aggregates, typed by what they return: a count is an `i64`, the sum of a decimal column a
//! `Decimal` (never a float: no cent is lost on PostgreSQL), the latest of a date column a
//! `NaiveDate`. Several go in one query as a tuple.
//!
//! ```no_run
//! # use teapot::prelude::*;
//! # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Book { pub id: i64, #[teapot(max_digits = 8, decimal_places = 2)] pub price: Decimal, pub published: NaiveDate }
//! # async fn f(db: &Db) -> teapot::Result<()> {
//! let (n, total, latest) = Book::objects()
//!     .aggregate(db, (Agg::count(), Agg::sum(Book::price()), Agg::max(Book::published())))
//!     .await?;
//! let _: (i64, Option<Decimal>, Option<NaiveDate>) = (n, total, latest);
//! # Ok(()) }
//! ```

use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use sea_query::Expr as SqlExpr;
use teapot_core::value::{FieldValue, IntoArg, Value};
use teapot_core::{DbRow, Dialect, Result};
use uuid::Uuid;

use super::arith::{Node, Selected};
use super::expression::Cond;
use super::sql::custom;

/// Column types whose values add up, and the type of their total.
pub trait Summable: FieldValue {
    /// The type of a SUM (integers add up as `i64`).
    type Total: FieldValue;
    #[doc(hidden)]
    /// How the total is cast so both databases return `Total` (PostgreSQL sums `bigint` as numeric).
    const CAST: Cast;
}

/// Column types, with the type of one value (without the `Option` of a nullable column): what
/// MIN and MAX return.
pub trait Comparable: FieldValue {
    /// The value's type.
    type Value: FieldValue;
}

#[doc(hidden)]
/// A cast around an aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cast {
    /// None needed.
    None,
    /// To a 64-bit integer.
    BigInt,
    /// To a double.
    Float,
}

macro_rules! summable {
    ($($t:ty => $total:ty, $cast:ident;)*) => {$(
        impl Summable for $t {
            type Total = $total;
            const CAST: Cast = Cast::$cast;
        }
    )*};
}
summable! {
    i16 => i64, BigInt;
    i32 => i64, BigInt;
    i64 => i64, BigInt;
    f64 => f64, Float;
    Decimal => Decimal, None;
}

impl<T: Summable> Summable for Option<T> {
    type Total = T::Total;
    const CAST: Cast = T::CAST;
}

macro_rules! comparable {
    ($($t:ty),*) => {$(
        impl Comparable for $t {
            type Value = $t;
        }
    )*};
}
comparable!(
    i16,
    i32,
    i64,
    f64,
    Decimal,
    String,
    NaiveDate,
    NaiveTime,
    DateTime<Utc>,
    NaiveDateTime,
    Uuid,
    chrono::TimeDelta,
    std::net::IpAddr
);

impl<T: Comparable> Comparable for Option<T> {
    type Value = T::Value;
}

/// One aggregate, returning `T`.
#[derive(Debug, Clone)]
pub struct Agg<T> {
    func: &'static str,
    /// What it aggregates: a column or an expression (None: rows, `COUNT(*)`).
    arg: Option<Node>,
    distinct: bool,
    cast: Cast,
    /// What it gives over no row instead of NULL (a number, written into the SQL).
    default: Option<String>,
    _t: PhantomData<fn() -> T>,
}

impl Agg<()> {
    fn of<T>(func: &'static str, arg: Option<Node>, distinct: bool, cast: Cast) -> Agg<T> {
        Agg { func, arg, distinct, cast, default: None, _t: PhantomData }
    }

    /// The number of rows (`COUNT(*)`).
    pub fn count() -> Agg<i64> {
        Agg::of("COUNT", None, false, Cast::BigInt)
    }

    /// The number of rows where the column (or expression) is not NULL (`COUNT(col)`).
    pub fn count_of(c: impl Selected) -> Agg<i64> {
        Agg::of("COUNT", Some(c.node()), false, Cast::BigInt)
    }

    /// The number of distinct non-NULL values of the column (`COUNT(DISTINCT col)`).
    pub fn count_distinct(c: impl Selected) -> Agg<i64> {
        Agg::of("COUNT", Some(c.node()), true, Cast::BigInt)
    }

    /// The total of a column or an expression (None over no row, or only NULLs).
    pub fn sum<E: Selected<Value: Summable>>(c: E) -> Agg<Option<<E::Value as Summable>::Total>> {
        Agg::of("SUM", Some(c.node()), false, <E::Value as Summable>::CAST)
    }

    /// The average of a column or an expression, as a float (None over no row).
    pub fn avg<E: Selected<Value: Summable>>(c: E) -> Agg<Option<f64>> {
        Agg::of("AVG", Some(c.node()), false, Cast::Float)
    }

    /// The smallest value of a column or an expression (None over no row).
    pub fn min<E: Selected<Value: Comparable>>(c: E) -> Agg<Option<<E::Value as Comparable>::Value>> {
        Agg::of("MIN", Some(c.node()), false, Cast::None)
    }

    /// The largest value of a column or an expression (None over no row).
    pub fn max<E: Selected<Value: Comparable>>(c: E) -> Agg<Option<<E::Value as Comparable>::Value>> {
        Agg::of("MAX", Some(c.node()), false, Cast::None)
    }
}

impl<T> Agg<T> {
    /// Only over the rows where `cond` holds (Django's `filter=` on an aggregate):
    /// `Agg::count().filter(Book::pages().gt(300))` counts the long books, in the same query as
    /// the other aggregates. Written `CASE WHEN cond THEN ... END` inside the aggregate, which
    /// both databases read alike.
    pub fn filter(mut self, cond: Cond) -> Agg<T> {
        let then = self.arg.take().unwrap_or(Node::Value(Value::I32(1)));
        self.arg = Some(Node::Case(vec![(cond, then)], None));
        self
    }
}

/// A condition on an aggregate of each row's related rows (SQL's HAVING, Django's filter on an
/// annotation): `Agg::count_of(Author::books().id()).gt(2)`, for `QuerySet::having`.
#[derive(Debug, Clone)]
pub struct Having {
    /// The aggregate, its result type forgotten.
    pub(crate) agg: Agg<()>,
    pub(crate) op: super::expression::Op,
    pub(crate) value: Value,
}

/// Totals that can stand in for "no row": numbers, written into the SQL as they are.
pub trait NumericTotal: FieldValue + std::fmt::Display {}
impl NumericTotal for i64 {}
impl NumericTotal for f64 {}
impl NumericTotal for Decimal {}

impl<T: NumericTotal> Agg<Option<T>> {
    /// The value over no row instead of None (Django's `default=`): `Agg::sum(Book::pages()).or(0)`
    /// is an `i64`, 0 over no book.
    pub fn or(self, v: T) -> Agg<T> {
        // A float that is not a number has no SQL literal: it stands for NULL, no default.
        let literal = if v.to_string().contains(['N', 'i']) { "NULL".to_string() } else { v.to_string() };
        Agg { func: self.func, arg: self.arg, distinct: self.distinct, cast: self.cast, default: Some(literal), _t: PhantomData }
    }
}

impl<T: FieldValue> Agg<T> {
    fn having(&self, op: super::expression::Op, v: Value) -> Having {
        let agg = Agg {
            func: self.func,
            arg: self.arg.clone(),
            distinct: self.distinct,
            cast: self.cast,
            default: self.default.clone(),
            _t: PhantomData,
        };
        Having { agg, op, value: v }
    }
    /// The aggregate equals a value.
    pub fn eq(&self, v: impl IntoArg<T::Arg>) -> Having {
        self.having(super::expression::Op::Eq, T::arg_value(&v.into_arg()))
    }
    /// The aggregate differs from a value.
    pub fn ne(&self, v: impl IntoArg<T::Arg>) -> Having {
        self.having(super::expression::Op::Ne, T::arg_value(&v.into_arg()))
    }
    /// The aggregate is greater than a value.
    pub fn gt(&self, v: impl IntoArg<T::Arg>) -> Having {
        self.having(super::expression::Op::Gt, T::arg_value(&v.into_arg()))
    }
    /// The aggregate is greater than or equal to a value.
    pub fn gte(&self, v: impl IntoArg<T::Arg>) -> Having {
        self.having(super::expression::Op::Gte, T::arg_value(&v.into_arg()))
    }
    /// The aggregate is less than a value.
    pub fn lt(&self, v: impl IntoArg<T::Arg>) -> Having {
        self.having(super::expression::Op::Lt, T::arg_value(&v.into_arg()))
    }
    /// The aggregate is less than or equal to a value.
    pub fn lte(&self, v: impl IntoArg<T::Arg>) -> Having {
        self.having(super::expression::Op::Lte, T::arg_value(&v.into_arg()))
    }
}

impl<T> Agg<T> {
    /// What it aggregates, if anything.
    pub(crate) fn arg(&self) -> Option<&Node> {
        self.arg.as_ref()
    }

    /// Its expression, `arg` being the column as the query names it.
    pub(crate) fn expr(&self, arg: Option<SqlExpr>, dialect: Dialect) -> SqlExpr {
        let mut e = match arg {
            Some(a) => custom(dialect, &format!("{}({}$1)", self.func, if self.distinct { "DISTINCT " } else { "" }), [a]),
            None => SqlExpr::cust(format!("{}(*)", self.func)),
        };
        if let Some(d) = &self.default {
            e = custom(dialect, &format!("COALESCE($1, {d})"), [e]);
        }
        match (self.cast, dialect) {
            (Cast::None, _) => e,
            (Cast::BigInt, _) => custom(dialect, "CAST($1 AS BIGINT)", [e]),
            (Cast::Float, Dialect::Postgres) => custom(dialect, "CAST($1 AS DOUBLE PRECISION)", [e]),
            (Cast::Float, Dialect::Sqlite) => custom(dialect, "CAST($1 AS REAL)", [e]),
        }
    }
}

/// One aggregate or a tuple of them, run in one query: what `aggregate` and `group_by` take.
pub trait Aggregates {
    /// What they return.
    type Output;
    #[doc(hidden)]
    /// Each aggregate's expression, given how to render what it aggregates.
    fn exprs(&self, arg: &mut dyn FnMut(&Node) -> Result<SqlExpr>, dialect: Dialect) -> Result<Vec<SqlExpr>>;
    #[doc(hidden)]
    /// What each aggregates (None: rows).
    fn args(&self) -> Vec<Option<Node>>;
    #[doc(hidden)]
    /// Decodes them from a row, starting at `at`.
    fn decode(row: &DbRow, at: usize) -> Result<Self::Output>;
}

impl<T: FieldValue> Aggregates for Agg<T> {
    type Output = T;
    fn exprs(&self, arg: &mut dyn FnMut(&Node) -> Result<SqlExpr>, dialect: Dialect) -> Result<Vec<SqlExpr>> {
        let a = self.arg().map(arg).transpose()?;
        Ok(vec![Agg::expr(self, a, dialect)])
    }
    fn args(&self) -> Vec<Option<Node>> {
        vec![self.arg.clone()]
    }
    fn decode(row: &DbRow, at: usize) -> Result<T> {
        T::decode(row, at)
    }
}

macro_rules! aggregates_tuple {
    ($($t:ident $i:tt),*) => {
        impl<$($t: FieldValue),*> Aggregates for ($(Agg<$t>,)*) {
            type Output = ($($t,)*);
            fn exprs(&self, arg: &mut dyn FnMut(&Node) -> Result<SqlExpr>, dialect: Dialect) -> Result<Vec<SqlExpr>> {
                let mut out = Vec::new();
                $(out.extend(Aggregates::exprs(&self.$i, &mut *arg, dialect)?);)*
                Ok(out)
            }
            fn args(&self) -> Vec<Option<Node>> {
                let mut out = Vec::new();
                $(out.extend(Aggregates::args(&self.$i));)*
                out
            }
            fn decode(row: &DbRow, at: usize) -> Result<Self::Output> {
                Ok(($($t::decode(row, at + $i)?,)*))
            }
        }
    };
}
aggregates_tuple!(A 0, B 1);
aggregates_tuple!(A 0, B 1, C 2);
aggregates_tuple!(A 0, B 1, C 2, D 3);
aggregates_tuple!(A 0, B 1, C 2, D 3, E 4);
