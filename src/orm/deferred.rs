//! Rows read in part (Django's `only()` and `defer()`): a query that skips wide columns it does
//! not need. teapot never reads a column behind your back, so the fields left unread are not
//! fetched on first use as Django does: a [`Partial`] says which they are, saves only the
//! others (an unread field is never written over the row's value), and `load()` reads the rest
//! in one query when they are wanted after all.
//!
//! ```no_run
//! # use teapot::prelude::*;
//! # #[derive(Debug, teapot::Model)] #[teapot(app = "docs")] pub struct Entry { pub id: i64, #[teapot(max_length = 100)] pub title: String, pub body: String }
//! # async fn f(db: &Db) -> teapot::Result<()> {
//! let mut titles = Entry::objects().defer((Entry::body(),))?.all(db).await?;
//! for e in &mut titles {
//!     assert!(e.is_deferred("body"));
//!     e.title = e.title.to_uppercase();
//!     e.save(db).await?; // writes the title, never the unread body
//! }
//! # Ok(()) }
//! ```

use std::ops::{Deref, DerefMut};

use super::arith::Node;
use super::instance::ModelExt;
use super::{Model, QuerySet};
use teapot_core::value::{FieldValue, Value};
use teapot_core::{Db, DbRow, Error, ErrorKind, Result};

/// The model's own columns among `nodes`, or an error for anything else (a related column, a
/// function, an expression).
pub(crate) fn own_columns<M: Model>(nodes: &[Node], call: &str) -> Result<Vec<&'static str>> {
    nodes
        .iter()
        .map(|n| match n {
            Node::Col(c) if c.path.is_empty() && c.func.is_none() => Ok(c.column),
            other => Err(Error::new(ErrorKind::Usage, format!("{call}() of {}: {other:?} is not one of its columns", M::NAME))
                .hint(format!("{call}() takes {}'s own column handles, e.g. ({}::{}(),)", M::NAME, M::NAME, M::PK))),
        })
        .collect()
}

/// A row from the columns a query read, in `fields` order; the others as `defaults()` has them.
pub(crate) fn decode_fields<M: Model>(row: &DbRow, fields: &[&'static str]) -> Result<M> {
    let mut m = M::with_defaults();
    for (i, c) in fields.iter().enumerate() {
        m.set_column(c, row, i)?;
    }
    Ok(m)
}

/// A query whose rows are read in part: made by `QuerySet::only` and `QuerySet::defer`.
pub struct Deferred<M: Model> {
    query: QuerySet<M>,
    deferred: Vec<&'static str>,
}

impl<M: Model> Deferred<M> {
    pub(crate) fn new(mut query: QuerySet<M>, fields: Vec<&'static str>) -> Deferred<M> {
        let deferred = M::COLUMNS.iter().copied().filter(|c| !fields.contains(c)).collect();
        query.fields = Some(fields);
        Deferred { query, deferred }
    }

    fn wrap(&self, row: M) -> Partial<M> {
        let unread = self.deferred.iter().map(|c| row.value_of(c).unwrap_or(Value::Null)).collect();
        Partial { row, deferred: self.deferred.clone(), unread }
    }

    /// Every matching row (one query, plus one per prefetched relation).
    pub async fn all(&self, db: &Db) -> Result<Vec<Partial<M>>> {
        Ok(self.query.all(db).await?.into_iter().map(|m| self.wrap(m)).collect())
    }

    /// The one matching row: NotFound when there is none, MultipleObjects when more.
    pub async fn get(&self, db: &Db) -> Result<Partial<M>> {
        Ok(self.wrap(self.query.get(db).await?))
    }

    /// The first row in the query's order (key order when none).
    pub async fn first(&self, db: &Db) -> Result<Option<Partial<M>>> {
        Ok(self.query.first(db).await?.map(|m| self.wrap(m)))
    }
}

/// A row read in part. It derefs to the model, whose unread fields hold what `defaults()` puts
/// there (check [`is_deferred`](Partial::is_deferred) before trusting one, or [`load`](Partial::load)
/// the row).
#[derive(Debug, Clone)]
pub struct Partial<M> {
    row: M,
    deferred: Vec<&'static str>,
    /// The unread fields' values as read, to tell which were assigned since.
    unread: Vec<Value>,
}

impl<M> Deref for Partial<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.row
    }
}

impl<M> DerefMut for Partial<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.row
    }
}

impl<M: Model> Partial<M> {
    /// The columns that were not read.
    pub fn deferred(&self) -> &[&'static str] {
        &self.deferred
    }

    /// Whether the column was not read.
    pub fn is_deferred(&self, column: &str) -> bool {
        self.deferred.contains(&column)
    }

    /// The columns a save writes: those read, and unread ones assigned since (their value is no
    /// longer the placeholder).
    fn written(&self) -> Vec<&'static str> {
        M::COLUMNS
            .iter()
            .copied()
            .filter(|c| *c != M::PK)
            .filter(|c| match self.deferred.iter().position(|d| d == c) {
                Some(i) => self.row.value_of(c).as_ref() != Some(&self.unread[i]),
                None => true,
            })
            .collect()
    }

    /// Writes the fields that were read, and the unread ones assigned since, to the row (one
    /// query; Django saves a deferred instance the same way). A row that is not there is an
    /// error of kind NotFound: a partial row is never inserted.
    pub async fn save(&mut self, db: &Db) -> Result<()> {
        let cols = self.written();
        self.row.save_fields(db, &cols).await?;
        // What was written is now the row's: no longer unread.
        let still: Vec<usize> = (0..self.deferred.len()).filter(|&i| !cols.contains(&self.deferred[i])).collect();
        self.unread = still.iter().map(|&i| self.unread[i].clone()).collect();
        self.deferred = still.iter().map(|&i| self.deferred[i]).collect();
        Ok(())
    }

    /// The whole row: the unread fields read now (one query), the others (and unread ones
    /// assigned since) as they are here.
    pub async fn load(mut self, db: &Db) -> Result<M> {
        if self.deferred.is_empty() {
            return Ok(self.row);
        }
        let key = super::expression::Cond::Cmp(super::expression::ColRef::own(M::PK), super::Op::Eq, self.row.key().to_value());
        let mut q = QuerySet::<M>::new().filter(key);
        q.fields = Some(self.deferred.clone());
        let rows = q.clear_ordering().limit(2).fetch_rows(db).await?;
        let row = match rows.as_slice() {
            [row] => row,
            [] => return Err(Error::new(ErrorKind::NotFound, format!("load: no {} has the key {:?}", M::NAME, self.row.key()))),
            _ => {
                return Err(Error::new(
                    ErrorKind::MultipleObjects,
                    format!("load: more than one {} has the key {:?}", M::NAME, self.row.key()),
                ))
            }
        };
        for (i, c) in self.deferred.iter().enumerate() {
            if self.row.value_of(c).as_ref() == Some(&self.unread[i]) {
                self.row.set_column(c, row, i)?;
            }
        }
        Ok(self.row)
    }
}
