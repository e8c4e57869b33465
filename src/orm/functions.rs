//! Functions of columns and values, as Django's `django.db.models.functions` names them:
//! `Coalesce`, `Concat`, `Now`, `Abs` (and, on a column, `lower()`, `upper()`, `length()` and
//! the date parts). Each is an [`Expr`] typed by what it returns, read by `values_list`,
//! compared with (`cmp_expr`), ordered by and set by `update`, on both databases alike.
//!
//! ```
//! # use teapot::prelude::*;
//! # use teapot::orm::functions::{Coalesce, Concat, now};
//! # #[derive(teapot::Model)] #[teapot(app = "docs")] pub struct Author { pub id: i64, #[teapot(max_length = 50)] pub name: String, #[teapot(max_length = 50)] pub alias: Option<String>, pub seen: Option<DateTime<Utc>> }
//! // The alias, else the name: never NULL, so a `String`.
//! let shown = Coalesce::of(Author::alias()).otherwise(Author::name());
//! // "name (alias)", an absent alias as empty text.
//! let label = Concat::of(Author::name()).and(" (").and(Author::alias()).and(")").end();
//! let touch = Author::seen().set_expr(now());
//! # let _ = (shown, label, touch);
//! ```

use super::arith::{CaseValue, Expr, Node, Numeric, Selected};
use super::expression::HasText;
use teapot_core::value::FieldValue;

/// A function teapot renders for each database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `COALESCE(a, b, ...)`.
    Coalesce,
    /// Text joined, NULL parts as empty text.
    Concat,
    /// The current time.
    Now,
    /// The absolute value.
    Abs,
}

/// The first of several values that is not NULL (`COALESCE`): `Coalesce::of(a).or(b)` then
/// `.end()` (NULL when all are), or `.otherwise(v)`, which is never NULL when `v` is not.
#[derive(Debug, Clone, Copy)]
pub struct Coalesce;

impl Coalesce {
    /// The first candidate.
    pub fn of<V: CaseValue>(first: V) -> CoalesceOf<V::Type> {
        CoalesceOf { args: vec![first.node()], _t: std::marker::PhantomData }
    }
}

/// A `Coalesce` being built, of values of type `T`.
#[derive(Debug, Clone)]
pub struct CoalesceOf<T> {
    args: Vec<Node>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: FieldValue> CoalesceOf<T> {
    /// The next candidate, when those before are NULL.
    pub fn or<V>(mut self, next: V) -> CoalesceOf<T>
    where
        V: CaseValue,
        V::Type: FieldValue<Arg = T::Arg>,
    {
        self.args.push(next.node());
        self
    }

    /// The last candidate: the result has its type (a value or a required column makes it
    /// never NULL).
    pub fn otherwise<V>(mut self, last: V) -> Expr<V::Type>
    where
        V: CaseValue,
        V::Type: FieldValue<Arg = T::Arg>,
    {
        self.args.push(last.node());
        Expr::of(Node::Call(Function::Coalesce, self.args))
    }

    /// No more candidates: NULL when all are.
    pub fn end(self) -> Expr<T> {
        Expr::of(Node::Call(Function::Coalesce, self.args))
    }
}

/// Text joined end to end (Django's `Concat`); a NULL part counts as empty text, on both
/// databases.
#[derive(Debug, Clone, Copy)]
pub struct Concat;

impl Concat {
    /// The first part.
    pub fn of<V: CaseValue>(first: V) -> ConcatOf
    where
        V::Type: HasText,
    {
        ConcatOf { parts: vec![first.node()] }
    }
}

/// A `Concat` being built.
#[derive(Debug, Clone)]
pub struct ConcatOf {
    parts: Vec<Node>,
}

impl ConcatOf {
    /// The next part.
    pub fn and<V: CaseValue>(mut self, next: V) -> ConcatOf
    where
        V::Type: HasText,
    {
        self.parts.push(next.node());
        self
    }

    /// The joined text.
    pub fn end(self) -> Expr<String> {
        Expr::of(Node::Call(Function::Concat, self.parts))
    }
}

/// The current time (`CURRENT_TIMESTAMP`, Django's `Now`): the transaction's start on
/// PostgreSQL, the statement's on SQLite.
pub fn now() -> Expr<chrono::DateTime<chrono::Utc>> {
    Expr::of(Node::Call(Function::Now, Vec::new()))
}

/// The absolute value of a number (Django's `Abs`).
pub fn abs<E: Selected>(e: E) -> Expr<E::Value>
where
    E::Value: Numeric,
{
    Expr::of(Node::Call(Function::Abs, vec![e.node()]))
}
