//! The async ORM: every database hit is an explicit `.await`, nothing is fetched lazily.
//!
//! - [`Db`], [`Value`] and [`FieldValue`] come from `teapot_core`, the database layer the ORM and
//!   the migration engine share.
//! - [`expression`] — typed column handles, lookups, conditions, orderings, F-style updates.
//! - [`queryset`] — [`QuerySet`], built then run with `.await`.
//! - [`aggregate`] — [`Agg`]: COUNT, SUM, AVG, MIN, MAX, typed by what they return.
//! - [`arith`] — [`Expr`]: arithmetic over columns and values (Django's `F()`).
//! - [`relation`] — [`ForeignKey`] and [`ManyToMany`], filled only on request.
//! - [`instance`] — create, save, delete, refresh, bulk operations.
//! - [`deletion`] — the `on_delete` actions the ORM does where the database does not.

pub mod aggregate;
pub mod arith;
pub mod bases;
pub mod callable;
pub mod choices;
pub mod deferred;
pub mod deletion;
pub mod expression;
pub mod functions;
pub mod instance;
pub mod queryset;
pub mod relation;
mod sql;
mod statement;

use std::future::Future;
use std::pin::Pin;

pub use aggregate::{Agg, Aggregates, Having};
pub use arith::{Case, CaseValue, CaseWhen, Expr, Selected};
pub use callable::CallableDefault;
pub use choices::{AutoNow, Choices};
pub use expression::{Assign, Column, Cond, Join, Op, Order, Related, TextColumn, Through};
pub use queryset::{QuerySet, RowLock, ValuesList};
pub use teapot_core::{Db, DbRow};

pub use relation::{ForeignKey, ManyToMany, Reverse};
pub use teapot_core::{FieldValue, IntoArg, NullType, Value};

use teapot_schema::ModelState;

use teapot_core::Result;

#[doc(hidden)]
/// A foreign key's join for `select_related`, with the next model's joins for nested paths.
#[derive(Clone)]
pub struct RelatedJoin {
    /// The join.
    pub join: Join,
    /// The joined model's columns.
    pub columns: &'static [&'static str],
    /// The joined model's own relation joins.
    pub next: fn(&str) -> Option<RelatedJoin>,
}

#[doc(hidden)]
/// Where the path `field` starts in a row (used by the derive).
pub fn offset_of(offsets: &[(String, usize)], field: &str) -> Result<usize> {
    offsets
        .iter()
        .find(|(p, _)| p == field)
        .map(|(_, o)| *o)
        .ok_or_else(|| crate::Error::new(crate::ErrorKind::Usage, format!("no column offset for `{field}`")))
}

#[doc(hidden)]
/// The offsets below `field`, relative to the model it points at (used by the derive).
pub fn sub_offsets(offsets: &[(String, usize)], field: &str) -> Vec<(String, usize)> {
    // Called per row: no allocation unless there is something below `field`.
    fn below<'p>(p: &'p str, field: &str) -> Option<&'p str> {
        p.strip_prefix(field).and_then(|r| r.strip_prefix("__"))
    }
    if !offsets.iter().any(|(p, _)| below(p, field).is_some()) {
        return Vec::new();
    }
    offsets.iter().filter_map(|(p, o)| below(p, field).map(|r| (r.to_string(), *o))).collect()
}

#[doc(hidden)]
/// The row of `T` joined for the path `field` (None when the join found nothing), with the
/// relations below it loaded too (used by the derive's `load_related`).
pub fn load_joined<T: Model>(row: &DbRow, offsets: &[(String, usize)], field: &str) -> Result<Option<T>> {
    let offset = offset_of(offsets, field)?;
    // The join found a row when the row's key is there (its first column may be NULL).
    let key = T::COLUMNS.iter().position(|c| *c == T::PK).unwrap_or(0);
    if row.is_null(offset + key) {
        return Ok(None);
    }
    let mut t = T::from_row(row, offset)?;
    let sub = sub_offsets(offsets, field);
    for child in direct(&sub) {
        t.load_related(&child, row, &sub)?;
    }
    Ok(Some(t))
}

#[doc(hidden)]
/// The relations directly below (paths without `__`).
pub fn direct(offsets: &[(String, usize)]) -> Vec<String> {
    offsets.iter().filter(|(p, _)| !p.contains("__")).map(|(p, _)| p.clone()).collect()
}

/// A relation path to prefetch (`books`, `books__tags`), with the query its last step's rows
/// must also match, in its order (Django's `Prefetch("books", queryset=...)`).
#[derive(Debug, Clone)]
pub struct PrefetchPath {
    /// The path, fields joined by `__`.
    pub path: String,
    /// The conditions and order of the last step's rows, if any.
    pub base: Option<expression::Subquery>,
    /// The relations to prefetch below the last step's rows (what the query given to
    /// `prefetch_with` prefetches itself).
    pub then: Vec<PrefetchPath>,
}

/// Prefetches relation paths (`books`, `books__tags`): paths that share a head fetch it once,
/// then go on below it together, so each level costs one query.
pub async fn prefetch_paths<M: Model>(db: &Db, rows: &mut [M], paths: &[PrefetchPath]) -> Result<()> {
    let mut heads: Vec<(&str, Option<&expression::Subquery>, Vec<PrefetchPath>)> = Vec::new();
    for p in paths {
        let (head, rest) = match p.path.split_once("__") {
            Some((h, r)) => (h, Some(r)),
            None => (p.path.as_str(), None),
        };
        let slot = match heads.iter_mut().find(|(h, _, _)| *h == head) {
            Some(s) => s,
            None => {
                heads.push((head, None, Vec::new()));
                heads.last_mut().expect("just pushed")
            }
        };
        match rest {
            Some(r) => slot.2.push(PrefetchPath { path: r.to_string(), base: p.base.clone(), then: p.then.clone() }),
            None => {
                slot.1 = slot.1.or(p.base.as_ref());
                slot.2.extend(p.then.iter().cloned());
            }
        }
    }
    for (head, base, rests) in &heads {
        M::prefetch(db, rows, head, *base, rests).await?;
    }
    Ok(())
}

/// A boxed future, for the per-relation code the derive generates.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A model declared with `#[derive(Model)]`.
///
/// A field may not take the name of a function every model has (`objects`, `defaults`): the
/// derive refuses it, naming the field.
///
/// ```compile_fail
/// # use teapot::prelude::*;
/// #[derive(teapot::Model)]
/// #[teapot(app = "docs")]
/// pub struct Shelf { pub id: i64, pub objects: i32 }
/// ```
pub trait Model: Sized + Send + Sync + 'static {
    /// The primary key's Rust type.
    type Key: FieldValue + Clone + std::fmt::Debug + PartialEq + std::hash::Hash + Eq + Send + Sync + 'static;
    /// The column handles, reached through a path of joins.
    type Columns;
    /// The app label.
    const APP: &'static str;
    /// The struct name.
    const NAME: &'static str;
    /// The table.
    const TABLE: &'static str;
    /// The declaration's source, read again by [`Model::model_state`] with the same reader the
    /// CLI uses, so the ORM and the migrations agree by construction.
    const SOURCE: &'static str;
    /// The primary key column.
    const PK: &'static str;
    /// Whether the database generates the key.
    const PK_AUTO: bool;
    /// The columns, in field order (many-to-many fields have none).
    const COLUMNS: &'static [&'static str];
    /// The order of a query that gives none (`#[teapot(ordering = [...])]`): `(column, descending)`.
    const ORDERING: &'static [(&'static str, bool)] = &[];
    /// The foreign keys: `(field, column, table pointed at)` (how a many-to-many through this
    /// model finds its two columns).
    const FOREIGN_KEYS: &'static [(&'static str, &'static str, &'static str)] = &[];

    /// Decodes `COLUMNS.len()` columns starting at `offset`.
    fn from_row(row: &DbRow, offset: usize) -> Result<Self>;
    /// The values of the columns, in `COLUMNS` order.
    fn to_values(&self) -> Vec<Value>;
    /// The value of one column.
    fn value_of(&self, column: &str) -> Option<Value>;
    /// The columns with a `db_default`: left out of an INSERT when the value is unset (see
    /// [`Model::is_unset`]), so the database's default applies, and read back.
    const DB_DEFAULT_COLUMNS: &'static [&'static str];
    /// The stored generated columns (`#[teapot(generated = "...")]`): the database computes
    /// them, so no insert or update writes them, and an insert or save reads them back.
    const GENERATED_COLUMNS: &'static [&'static str] = &[];
    /// Whether the column's value is unset: [`UNSET_TEXT`] for a `String` with a `db_default`,
    /// the type's default value otherwise.
    fn is_unset(&self, column: &str) -> bool;
    /// A required field that still holds what `defaults()` put there for want of a default (see
    /// [`Placeholder`]): the row cannot be inserted.
    fn left_to_defaults(&self) -> Option<&'static str> {
        None
    }
    /// A value with every declared default, and a placeholder for each required field (what
    /// `defaults()` gives): where a row read in part starts from.
    fn with_defaults() -> Self;
    /// Sets one column's field from a row.
    fn set_column(&mut self, column: &str, row: &DbRow, idx: usize) -> Result<()>;
    /// The key.
    fn key(&self) -> Self::Key;
    /// Sets the key (after an insert).
    fn set_key(&mut self, key: Self::Key);
    /// The column handles at the end of a path of joins.
    fn columns_at(path: Vec<Join>) -> Self::Columns;
    /// The join that fetches a foreign key's row, that row's columns, and the way on from there.
    fn relation_join(field: &str) -> Option<RelatedJoin>;
    /// Fills the foreign key `field`'s slot from a joined row, and the slots below it: `offsets`
    /// gives where each path (relative to this model: `author`, `author__publisher`) starts.
    fn load_related(&mut self, field: &str, row: &DbRow, offsets: &[(String, usize)]) -> Result<()>;
    /// Fetches the relation `field` of many rows at once (one query), then the `rests` below it
    /// (`comments` and `author` for `posts__comments`, `posts__author`), and fills their slots.
    /// `base`: the conditions and order this relation's rows must also meet.
    fn prefetch<'a>(
        db: &'a Db,
        rows: &'a mut [Self],
        field: &'a str,
        base: Option<&'a expression::Subquery>,
        rests: &'a [PrefetchPath],
    ) -> BoxFuture<'a, Result<()>>;
    /// The foreign key column of this model whose reverse accessor (its related_name, else
    /// `{model}_set`) or reverse query name (its related_query_name, else its related_name, else
    /// the model's name lowercased) is `accessor`.
    /// Two foreign keys to different models may have the same accessor (`item_set`): `to` is
    /// the table of the model the accessor is on.
    fn reverse_fk(accessor: &str, to: &str) -> Option<&'static str>;

    /// The many-to-many of this model to the model of table `to` whose reverse accessor is
    /// `accessor`: its join table and the join table's columns to this model and to the other.
    fn reverse_m2m(accessor: &str, to: &str) -> Option<(&'static str, &'static str, &'static str)> {
        let _ = (accessor, to);
        None
    }

    /// Sets the fields the ORM fills in before a write, as Django's `Field.pre_save`: an
    /// `auto_now` field on every save, an `auto_now_add` one when the row is inserted
    /// (`adding`). `only`: the columns a `save_fields` writes (Django's `update_fields`), the
    /// others are left as they are.
    fn pre_save(&mut self, adding: bool, only: Option<&[&str]>) {
        let _ = (adding, only);
    }

    /// A query over every row.
    fn objects() -> QuerySet<Self> {
        QuerySet::new()
    }

    /// The model as the migration state knows it (relation targets as written, not resolved; a
    /// field of a `#[derive(Choices)]` enum is a string without choices here: only the CLI,
    /// which reads the enum too, resolves it).
    fn model_state() -> ModelState {
        teapot_schema::read_struct_source(Self::SOURCE, Some(Self::APP))
            .unwrap_or_else(|e| panic!("the derive accepted a declaration of {} the reader refuses: {e}", Self::NAME))
            .model
    }
}

/// What `defaults()` puts in a `String` field that has a `db_default`: the mark of a value left
/// to the database. An insert leaves such a column out, and the row gets the database's value
/// back. It is not `""`, which a row may hold on purpose; it holds a NUL, which PostgreSQL text
/// cannot store, so it is never a value read from a row. Numbers and booleans with a
/// `db_default` are still unset at their type's default (0, false): there is no value of theirs
/// that a row could not hold.
pub const UNSET_TEXT: &str = "\u{0}teapot: unset, the database default applies\u{0}";

#[doc(hidden)]
/// What `defaults()` puts in a required field that declares no default. Where the type has a
/// value no row means (a datetime or a date at the start of chrono's range, the all-ones uuid),
/// that is the placeholder, and inserting a row that still holds it is refused: a required field
/// left to `defaults()` is a mistake, not 1970-01-01. Elsewhere (numbers, text, bools) the
/// type's default is a value a row may well hold, and is kept.
pub trait Placeholder: Sized {
    /// The placeholder.
    fn placeholder() -> Self;
    /// Whether this is the placeholder no row means.
    fn is_placeholder(&self) -> bool {
        false
    }
}

macro_rules! placeholder_default {
    ($($t:ty),*) => {$(
        impl Placeholder for $t {
            fn placeholder() -> Self {
                <$t>::default()
            }
        }
    )*};
}
placeholder_default!(
    i16,
    i32,
    i64,
    f64,
    bool,
    String,
    Vec<u8>,
    rust_decimal::Decimal,
    serde_json::Value,
    chrono::NaiveTime,
    chrono::TimeDelta
);

/// An address no row means: `::` (unspecified). Inserting a row that still holds it is refused,
/// as for the other placeholders.
impl Placeholder for std::net::IpAddr {
    fn placeholder() -> Self {
        std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
    }
    fn is_placeholder(&self) -> bool {
        *self == std::net::IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
    }
}

impl Placeholder for chrono::NaiveDate {
    fn placeholder() -> Self {
        chrono::NaiveDate::MIN
    }
    fn is_placeholder(&self) -> bool {
        *self == chrono::NaiveDate::MIN
    }
}

impl Placeholder for chrono::DateTime<chrono::Utc> {
    fn placeholder() -> Self {
        chrono::DateTime::<chrono::Utc>::MIN_UTC
    }
    fn is_placeholder(&self) -> bool {
        *self == chrono::DateTime::<chrono::Utc>::MIN_UTC
    }
}

impl Placeholder for chrono::NaiveDateTime {
    fn placeholder() -> Self {
        chrono::NaiveDateTime::MIN
    }
    fn is_placeholder(&self) -> bool {
        *self == chrono::NaiveDateTime::MIN
    }
}

impl Placeholder for uuid::Uuid {
    fn placeholder() -> Self {
        uuid::Uuid::max()
    }
    fn is_placeholder(&self) -> bool {
        *self == uuid::Uuid::max()
    }
}

impl<T> Placeholder for Option<T> {
    fn placeholder() -> Self {
        None
    }
}

#[doc(hidden)]
/// A decimal brought to a field's declared decimal_places (used by the derive when it reads one).
pub trait Rescale {
    /// The value with exactly `decimal_places` digits after the point.
    fn rescale_to(self, decimal_places: u32) -> Self;
}

impl Rescale for rust_decimal::Decimal {
    fn rescale_to(mut self, decimal_places: u32) -> Self {
        self.rescale(decimal_places);
        self
    }
}

impl<T: Rescale> Rescale for Option<T> {
    fn rescale_to(self, decimal_places: u32) -> Self {
        self.map(|d| d.rescale_to(decimal_places))
    }
}

/// A literal default turned into a field's value (the derive uses it for `Model::defaults()`).
pub trait FromLiteral: Sized {
    /// The value, if the literal fits.
    fn from_literal(l: &teapot_schema::Literal) -> Option<Self>;
}

macro_rules! lit_int {
    ($($t:ty),*) => {$(
        impl FromLiteral for $t {
            fn from_literal(l: &teapot_schema::Literal) -> Option<Self> {
                match l { teapot_schema::Literal::Int(i) => <$t>::try_from(*i).ok(), _ => None }
            }
        }
    )*};
}
lit_int!(i16, i32, i64);

impl FromLiteral for f64 {
    fn from_literal(l: &teapot_schema::Literal) -> Option<Self> {
        match l {
            teapot_schema::Literal::Int(i) => Some(*i as f64),
            teapot_schema::Literal::Float(f) => Some(*f),
            _ => None,
        }
    }
}

impl FromLiteral for bool {
    fn from_literal(l: &teapot_schema::Literal) -> Option<Self> {
        match l {
            teapot_schema::Literal::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl FromLiteral for String {
    fn from_literal(l: &teapot_schema::Literal) -> Option<Self> {
        match l {
            teapot_schema::Literal::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl FromLiteral for rust_decimal::Decimal {
    fn from_literal(l: &teapot_schema::Literal) -> Option<Self> {
        match l {
            teapot_schema::Literal::Str(s) => s.parse().ok(),
            teapot_schema::Literal::Int(i) => Some((*i).into()),
            teapot_schema::Literal::Float(f) => rust_decimal::Decimal::try_from(*f).ok(),
            _ => None,
        }
    }
}

impl FromLiteral for serde_json::Value {
    fn from_literal(l: &teapot_schema::Literal) -> Option<Self> {
        match l {
            teapot_schema::Literal::Str(s) => serde_json::from_str(s).ok(),
            _ => None,
        }
    }
}

macro_rules! lit_parse {
    ($($t:ty),*) => {$(
        impl FromLiteral for $t {
            fn from_literal(l: &teapot_schema::Literal) -> Option<Self> {
                match l { teapot_schema::Literal::Str(s) => s.parse().ok(), _ => None }
            }
        }
    )*};
}
lit_parse!(chrono::NaiveDate, chrono::NaiveTime, chrono::DateTime<chrono::Utc>, uuid::Uuid, std::net::IpAddr);

/// A duration takes no literal default (the reader refuses one): none fits.
impl FromLiteral for chrono::TimeDelta {
    fn from_literal(_: &teapot_schema::Literal) -> Option<Self> {
        None
    }
}

impl FromLiteral for chrono::NaiveDateTime {
    fn from_literal(l: &teapot_schema::Literal) -> Option<Self> {
        match l {
            teapot_schema::Literal::Str(s) => teapot_schema::reader::parse_naive_datetime(s),
            _ => None,
        }
    }
}

impl<T: FromLiteral> FromLiteral for Option<T> {
    fn from_literal(l: &teapot_schema::Literal) -> Option<Self> {
        T::from_literal(l).map(Some)
    }
}

impl<T: Model> FromLiteral for ForeignKey<T>
where
    T::Key: FromLiteral,
{
    fn from_literal(l: &teapot_schema::Literal) -> Option<Self> {
        T::Key::from_literal(l).map(ForeignKey::new)
    }
}
