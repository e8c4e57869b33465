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
use std::ops::{Add, Div, Mul, Sub};

use rust_decimal::Decimal;
use teapot_core::value::{FieldValue, Value};

use super::expression::{ColRef, Column};

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
}

impl Node {
    /// Every column it reads.
    pub(crate) fn columns(&self) -> Vec<&ColRef> {
        match self {
            Node::Col(c) => vec![c],
            Node::Value(_) => vec![],
            Node::Arith(a, _, b) => {
                let mut v = a.columns();
                v.extend(b.columns());
                v
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
    fn of(node: Node) -> Expr<T> {
        Expr { node, _t: PhantomData }
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
    ($($trait:ident $method:ident $op:ident;)*) => {$(
        impl<T: Numeric> $trait<Expr<T>> for Expr<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: Expr<T>) -> Expr<T> {
                arith(self.node, Arith::$op, rhs.node)
            }
        }
        impl<T: Numeric> $trait<Column<T>> for Expr<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: Column<T>) -> Expr<T> {
                arith(self.node, Arith::$op, Node::Col(rhs.col))
            }
        }
        impl<T: Numeric> $trait<Expr<T>> for Column<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: Expr<T>) -> Expr<T> {
                arith(Node::Col(self.col), Arith::$op, rhs.node)
            }
        }
        impl<T: Numeric> $trait<Column<T>> for Column<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: Column<T>) -> Expr<T> {
                arith(Node::Col(self.col), Arith::$op, Node::Col(rhs.col))
            }
        }
        operators!(@values $trait $method $op; i16, i32, i64, f64, Decimal);
    )*};
    (@values $trait:ident $method:ident $op:ident; $($v:ty),*) => {$(
        // A value of the column's own type (an `i32` for an `i32` or `Option<i32>` column).
        impl<T: Numeric + FieldValue<Arg = $v>> $trait<$v> for Expr<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: $v) -> Expr<T> {
                arith(self.node, Arith::$op, Node::Value(T::arg_value(&rhs)))
            }
        }
        impl<T: Numeric + FieldValue<Arg = $v>> $trait<$v> for Column<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: $v) -> Expr<T> {
                arith(Node::Col(self.col), Arith::$op, Node::Value(T::arg_value(&rhs)))
            }
        }
    )*};
}

operators! {
    Add add Add;
    Sub sub Sub;
    Mul mul Mul;
    Div div Div;
}
