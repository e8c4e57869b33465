//! The ORM side of a model declaration: the [`Model`] trait the derive implements, and the
//! relation field types [`ForeignKey`] and [`ManyToMany`].

mod relation;

pub use relation::{ForeignKey, ManyToMany};

use teapot_schema::ModelState;

/// A model declared with `#[derive(Model)]`.
pub trait Model: Sized + Send + Sync + 'static {
    /// The primary key's Rust type.
    type Key: Clone + std::fmt::Debug + Send + Sync + 'static;
    /// The app label.
    const APP: &'static str;
    /// The struct name.
    const NAME: &'static str;
    /// The table.
    const TABLE: &'static str;
    /// The declaration's source, read again by [`Model::model_state`] with the same reader the
    /// CLI uses, so the ORM and the migrations agree by construction.
    const SOURCE: &'static str;

    /// The model as the migration state knows it (relation targets as written, not resolved).
    fn model_state() -> ModelState {
        teapot_schema::read_struct_source(Self::SOURCE, Some(Self::APP))
            .unwrap_or_else(|e| panic!("the derive accepted a declaration of {} the reader refuses: {e}", Self::NAME))
            .model
    }
}
