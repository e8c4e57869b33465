//! Arithmetic over columns and values, Django's `F()` expressions: `Book::price() * 2`,
//! `Book::stock() - Book::reserved()`, used to update a column from others
//! (`Book::price().set_expr(Book::price() * 2)`) or to compare with (`cmp_expr`). Both sides
//! have the column's type: a number of another type does not compile.
//!
//! ```
//! # use teapot::prelude::*;
//! # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Book { pub id: i64, pub stock: i32, pub reserved: i32 }
//! let e = (Book::stock() - Book::reserved()) * 2 + 1;
//! let raise = Book::stock().set_expr(Book::stock() + Book::reserved());
//! # let _ = (e, raise);
//! ```
//!
//! ```compile_fail,E0277
//! # use teapot::prelude::*;
//! # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Book { pub id: i64, pub stock: i32, #[teapot(max_length = 9)] pub title: String }
//! let e = Book::stock() + Book::title();
//! ```

use std::marker::PhantomData;
use std::ops::{Add, Div, Mul, Rem, Sub};

use rust_decimal::Decimal;
use teapot_core::value::{FieldValue, Value};

use super::expression::{ColRef, Column, Cond, Order};

/// Column types arithmetic applies to.
pub trait Numeric: FieldValue {}
impl Numeric for i16 {}
impl Numeric for i32 {}
impl Numeric for i64 {}
impl Numeric for f64 {}
impl Numeric for Decimal {}
impl<T: Numeric> Numeric for Option<T> {}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (integer division on integer columns, as in SQL and Django).
    Div,
    /// `%` (the remainder).
    Mod,
    /// `&` of the bits of two integers.
    BitAnd,
    /// `|` of the bits of two integers.
    BitOr,
}

/// An expression's tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A column.
    Col(ColRef),
    /// A bound value.
    Value(Value),
    /// Two expressions and an operator.
    Arith(Box<Node>, Arith, Box<Node>),
    /// `CASE WHEN cond THEN node ... ELSE node END`: the first condition that holds picks the
    /// value; none holding, the `ELSE` (NULL without one).
    Case(Vec<(Cond, Node)>, Option<Box<Node>>),
    /// A function of expressions.
    Call(super::functions::Function, Vec<Node>),
}

impl Node {
    /// Whether it reads a column across a many-to-many.
    pub(crate) fn crosses_many(&self) -> bool {
        match self {
            Node::Col(c) => c.path.iter().any(|j| j.many),
            Node::Value(_) => false,
            Node::Arith(a, _, b) => a.crosses_many() || b.crosses_many(),
            Node::Call(_, args) => args.iter().any(Node::crosses_many),
            Node::Case(whens, otherwise) => {
                whens.iter().any(|(c, n)| c.crosses_many() || n.crosses_many()) || otherwise.as_ref().is_some_and(|n| n.crosses_many())
            }
        }
    }
}

/// An arithmetic expression of type `T`.
#[derive(Debug, Clone)]
pub struct Expr<T> {
    /// Its tree.
    pub node: Node,
    _t: PhantomData<fn() -> T>,
}

impl<T> Expr<T> {
    pub(crate) fn of(node: Node) -> Expr<T> {
        Expr { node, _t: PhantomData }
    }

    /// Ascending order by the expression.
    pub fn asc(self) -> Order {
        Order { by: self.node, desc: false, nulls_first: None }
    }

    /// Descending order by the expression.
    pub fn desc(self) -> Order {
        Order { by: self.node, desc: true, nulls_first: None }
    }
}

impl<T: FieldValue> Expr<T> {
    /// A value as an expression of its own type (`Expr::value(0)`), for a `Case` branch or an
    /// update.
    pub fn value(v: T) -> Expr<T> {
        Expr::of(Node::Value(v.to_value()))
    }
}

/// An expression of a type fits where its nullable form is wanted (a `Case` of `i32` sets an
/// `Option<i32>` column).
impl<T> From<Expr<T>> for Expr<Option<T>> {
    fn from(e: Expr<T>) -> Expr<Option<T>> {
        Expr::of(e.node)
    }
}

/// What a query can read besides its model's rows: a column (`Book::title()`), or an
/// expression (`Book::pages() * 2`, a `Case`), typed by the value it gives.
pub trait Selected {
    /// The value's type.
    type Value: FieldValue;
    #[doc(hidden)]
    fn node(&self) -> Node;
}

impl<T: FieldValue> Selected for Column<T> {
    type Value = T;
    fn node(&self) -> Node {
        Node::Col(self.col.clone())
    }
}

/// A foreign key handle reads its key column.
impl<K: FieldValue, C> Selected for super::expression::Related<K, C> {
    type Value = K;
    fn node(&self) -> Node {
        Node::Col(self.key.col.clone())
    }
}

impl<T: FieldValue> Selected for Expr<T> {
    type Value = T;
    fn node(&self) -> Node {
        self.node.clone()
    }
}

/// What a `Case` branch gives: an expression, a column, or a value, of type `Type`.
pub trait CaseValue {
    /// The type of the value.
    type Type;
    #[doc(hidden)]
    fn node(self) -> Node;
}

impl<T> CaseValue for Expr<T> {
    type Type = T;
    fn node(self) -> Node {
        self.node
    }
}

impl<T> CaseValue for Column<T> {
    type Type = T;
    fn node(self) -> Node {
        Node::Col(self.col)
    }
}

macro_rules! case_values {
    ($($t:ty),*) => {$(
        impl CaseValue for $t {
            type Type = $t;
            fn node(self) -> Node {
                Node::Value(self.to_value())
            }
        }
    )*};
}
case_values!(bool, i16, i32, i64, f64, String, Decimal, chrono::NaiveDate, chrono::NaiveTime, chrono::DateTime<chrono::Utc>, uuid::Uuid);

impl CaseValue for &str {
    type Type = String;
    fn node(self) -> Node {
        Node::Value(Value::String(self.to_string()))
    }
}

/// A conditional expression (Django's `Case(When(...), default=...)`): the value of the first
/// branch whose condition holds. Branches are tried in order; `otherwise` gives the value when
/// none holds, `end` leaves it NULL.
///
/// ```
/// # use teapot::prelude::*;
/// # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Book { pub id: i64, pub pages: i32, pub rating: Option<i32> }
/// // A discount by length, as a value to update with, filter on or order by.
/// let discount = Case::when(Book::pages().gt(500), 20).when(Book::pages().gt(200), 10).otherwise(0);
/// let set = Book::pages().set_expr(discount);
/// // Counting the books of more than 500 pages, in the same query as the others:
/// let long = Agg::sum(Case::when(Book::pages().gt(500), 1i32).otherwise(0i32));
/// # let _ = (set, long);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Case;

impl Case {
    /// The first branch: `then` when `cond` holds.
    pub fn when<V: CaseValue>(cond: Cond, then: V) -> CaseWhen<V::Type> {
        CaseWhen { whens: vec![(cond, then.node())], _t: PhantomData }
    }
}

/// A `Case` being built: its branches so far, giving values of type `T`.
#[derive(Debug, Clone)]
pub struct CaseWhen<T> {
    whens: Vec<(Cond, Node)>,
    _t: PhantomData<fn() -> T>,
}

/// Branches give values of one type, or its nullable form: the first branch's type is the
/// `Case`'s (start with the nullable one when a branch can give NULL).
impl<T: FieldValue> CaseWhen<T> {
    /// Another branch, tried when those before it do not hold.
    pub fn when<V>(mut self, cond: Cond, then: V) -> CaseWhen<T>
    where
        V: CaseValue,
        V::Type: FieldValue<Arg = T::Arg>,
    {
        self.whens.push((cond, then.node()));
        self
    }

    /// The value when no branch holds.
    pub fn otherwise<V>(self, value: V) -> Expr<T>
    where
        V: CaseValue,
        V::Type: FieldValue<Arg = T::Arg>,
    {
        Expr::of(Node::Case(self.whens, Some(Box::new(value.node()))))
    }

    /// No value when no branch holds: NULL.
    pub fn end(self) -> Expr<Option<T>> {
        Expr::of(Node::Case(self.whens, None))
    }
}

impl<T> From<Column<T>> for Expr<T> {
    fn from(c: Column<T>) -> Expr<T> {
        Expr::of(Node::Col(c.col))
    }
}

fn arith<T>(a: Node, op: Arith, b: Node) -> Expr<T> {
    Expr::of(Node::Arith(Box::new(a), op, Box::new(b)))
}

macro_rules! operators {
    ($($trait:ident $method:ident $op:ident $bound:ident [$($v:ty),*];)*) => {$(
        impl<T: $bound> $trait<Expr<T>> for Expr<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: Expr<T>) -> Expr<T> {
                arith(self.node, Arith::$op, rhs.node)
            }
        }
        impl<T: $bound> $trait<Column<T>> for Expr<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: Column<T>) -> Expr<T> {
                arith(self.node, Arith::$op, Node::Col(rhs.col))
            }
        }
        impl<T: $bound> $trait<Expr<T>> for Column<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: Expr<T>) -> Expr<T> {
                arith(Node::Col(self.col), Arith::$op, rhs.node)
            }
        }
        impl<T: $bound> $trait<Column<T>> for Column<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: Column<T>) -> Expr<T> {
                arith(Node::Col(self.col), Arith::$op, Node::Col(rhs.col))
            }
        }
        operators!(@values $trait $method $op $bound; $($v),*);
    )*};
    (@values $trait:ident $method:ident $op:ident $bound:ident; $($v:ty),*) => {$(
        // A value of the column's own type (an `i32` for an `i32` or `Option<i32>` column).
        impl<T: $bound + FieldValue<Arg = $v>> $trait<$v> for Expr<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: $v) -> Expr<T> {
                arith(self.node, Arith::$op, Node::Value(T::arg_value(&rhs)))
            }
        }
        impl<T: $bound + FieldValue<Arg = $v>> $trait<$v> for Column<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: $v) -> Expr<T> {
                arith(Node::Col(self.col), Arith::$op, Node::Value(T::arg_value(&rhs)))
            }
        }
        // A value on the left: `2 * Book::pages()`, `100 - Book::stock()`.
        impl<T: $bound + FieldValue<Arg = $v>> $trait<Column<T>> for $v {
            type Output = Expr<T>;
            fn $method(self, rhs: Column<T>) -> Expr<T> {
                arith(Node::Value(T::arg_value(&self)), Arith::$op, Node::Col(rhs.col))
            }
        }
        impl<T: $bound + FieldValue<Arg = $v>> $trait<Expr<T>> for $v {
            type Output = Expr<T>;
            fn $method(self, rhs: Expr<T>) -> Expr<T> {
                arith(Node::Value(T::arg_value(&self)), Arith::$op, rhs.node)
            }
        }
    )*};
}

// `%` on integers only: SQLite casts its operands to integers, so the remainder of a decimal
// or a float would differ between the databases.
operators! {
    Add add Add Numeric [i16, i32, i64, f64, Decimal];
    Sub sub Sub Numeric [i16, i32, i64, f64, Decimal];
    Mul mul Mul Numeric [i16, i32, i64, f64, Decimal];
    Div div Div Numeric [i16, i32, i64, f64, Decimal];
    Rem rem Mod Integer [i16, i32, i64];
}

/// Integer column types, which bitwise operations apply to.
pub trait Integer: Numeric {}
impl Integer for i16 {}
impl Integer for i32 {}
impl Integer for i64 {}
impl<T: Integer> Integer for Option<T> {}

/// Bitwise operations on integer columns and expressions (Django's `F().bitand()`,
/// `F().bitor()`); `&` and `|` are left to conditions.
pub trait Bitwise<T>: Sized {
    #[doc(hidden)]
    fn into_node(self) -> Node;
    /// The bits set in both.
    fn bitand(self, rhs: impl Into<Expr<T>>) -> Expr<T> {
        arith(self.into_node(), Arith::BitAnd, rhs.into().node)
    }
    /// The bits set in either.
    fn bitor(self, rhs: impl Into<Expr<T>>) -> Expr<T> {
        arith(self.into_node(), Arith::BitOr, rhs.into().node)
    }
}

impl<T: Integer> Bitwise<T> for Column<T> {
    fn into_node(self) -> Node {
        Node::Col(self.col)
    }
}

impl<T: Integer> Bitwise<T> for Expr<T> {
    fn into_node(self) -> Node {
        self.node
    }
}
