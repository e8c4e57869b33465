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
use teapot_core::value::{FieldValue, IntoArg, Value};
use teapot_core::{DbRow, Dialect, Result};
use uuid::Uuid;

use super::expression::{ColRef, Column};

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
comparable!(i16, i32, i64, f64, Decimal, String, NaiveDate, NaiveTime, DateTime<Utc>, NaiveDateTime, Uuid);

impl<T: Comparable> Comparable for Option<T> {
    type Value = T::Value;
}

/// One aggregate, returning `T`.
#[derive(Debug, Clone)]
pub struct Agg<T> {
    func: &'static str,
    col: Option<ColRef>,
    distinct: bool,
    cast: Cast,
    /// What it gives over no row instead of NULL (a number, written into the SQL).
    default: Option<String>,
    _t: PhantomData<fn() -> T>,
}

impl Agg<()> {
    fn of<T>(func: &'static str, col: Option<ColRef>, distinct: bool, cast: Cast) -> Agg<T> {
        Agg { func, col, distinct, cast, default: None, _t: PhantomData }
    }

    /// The number of rows (`COUNT(*)`).
    pub fn count() -> Agg<i64> {
        Agg::of("COUNT", None, false, Cast::BigInt)
    }

    /// The number of rows where the column is not NULL (`COUNT(col)`).
    pub fn count_of<V>(c: Column<V>) -> Agg<i64> {
        Agg::of("COUNT", Some(c.col), false, Cast::BigInt)
    }

    /// The number of distinct non-NULL values of the column (`COUNT(DISTINCT col)`).
    pub fn count_distinct<V>(c: Column<V>) -> Agg<i64> {
        Agg::of("COUNT", Some(c.col), true, Cast::BigInt)
    }

    /// The total of a column (None over no row, or only NULLs).
    pub fn sum<V: Summable>(c: Column<V>) -> Agg<Option<V::Total>> {
        Agg::of("SUM", Some(c.col), false, V::CAST)
    }

    /// The average of a column, as a float (None over no row).
    pub fn avg<V: Summable>(c: Column<V>) -> Agg<Option<f64>> {
        Agg::of("AVG", Some(c.col), false, Cast::Float)
    }

    /// The smallest value of a column (None over no row).
    pub fn min<V: Comparable>(c: Column<V>) -> Agg<Option<V::Value>> {
        Agg::of("MIN", Some(c.col), false, Cast::None)
    }

    /// The largest value of a column (None over no row).
    pub fn max<V: Comparable>(c: Column<V>) -> Agg<Option<V::Value>> {
        Agg::of("MAX", Some(c.col), false, Cast::None)
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
        Agg { func: self.func, col: self.col, distinct: self.distinct, cast: self.cast, default: Some(literal), _t: PhantomData }
    }
}

impl<T: FieldValue> Agg<T> {
    fn having(&self, op: super::expression::Op, v: Value) -> Having {
        let agg = Agg {
            func: self.func,
            col: self.col.clone(),
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
    /// The column it reads, if any.
    pub(crate) fn column(&self) -> Option<&ColRef> {
        self.col.as_ref()
    }

    /// Its SQL, `arg` being the column as the query names it.
    pub(crate) fn sql(&self, arg: Option<&str>, dialect: Dialect) -> String {
        let mut inner = format!("{}({}{})", self.func, if self.distinct { "DISTINCT " } else { "" }, arg.unwrap_or("*"));
        if let Some(d) = &self.default {
            inner = format!("COALESCE({inner}, {d})");
        }
        match (self.cast, dialect) {
            (Cast::None, _) => inner,
            (Cast::BigInt, _) => format!("CAST({inner} AS BIGINT)"),
            (Cast::Float, Dialect::Postgres) => format!("CAST({inner} AS DOUBLE PRECISION)"),
            (Cast::Float, Dialect::Sqlite) => format!("CAST({inner} AS REAL)"),
        }
    }
}

/// One aggregate or a tuple of them, run in one query: what `aggregate` and `group_by` take.
pub trait Aggregates {
    /// What they return.
    type Output;
    #[doc(hidden)]
    /// Each aggregate's SQL, given how to name a column.
    fn sql(&self, col: &mut dyn FnMut(&ColRef) -> String, dialect: Dialect) -> Vec<String>;
    #[doc(hidden)]
    /// Every column they read.
    fn columns(&self) -> Vec<ColRef>;
    #[doc(hidden)]
    /// Decodes them from a row, starting at `at`.
    fn decode(row: &DbRow, at: usize) -> Result<Self::Output>;
}

impl<T: FieldValue> Aggregates for Agg<T> {
    type Output = T;
    fn sql(&self, col: &mut dyn FnMut(&ColRef) -> String, dialect: Dialect) -> Vec<String> {
        let arg = self.column().map(col);
        vec![Agg::sql(self, arg.as_deref(), dialect)]
    }
    fn columns(&self) -> Vec<ColRef> {
        self.column().into_iter().cloned().collect()
    }
    fn decode(row: &DbRow, at: usize) -> Result<T> {
        T::decode(row, at)
    }
}

macro_rules! aggregates_tuple {
    ($($t:ident $i:tt),*) => {
        impl<$($t: FieldValue),*> Aggregates for ($(Agg<$t>,)*) {
            type Output = ($($t,)*);
            fn sql(&self, col: &mut dyn FnMut(&ColRef) -> String, dialect: Dialect) -> Vec<String> {
                let mut out = Vec::new();
                $(out.extend(Aggregates::sql(&self.$i, &mut *col, dialect));)*
                out
            }
            fn columns(&self) -> Vec<ColRef> {
                let mut out = Vec::new();
                $(out.extend(Aggregates::columns(&self.$i));)*
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
