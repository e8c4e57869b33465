//! Django's own ORM tests, ported case by case: one module per Django test module, each Rust test
//! named after the Django test it ports (docs/django-parity.md), run on PostgreSQL and SQLite.

// Models are declared as Django declares them, including some no ported test uses yet.
#![allow(dead_code)]

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod aggregation;
mod annotations;
mod basic;
mod bulk_create;
mod custom_pk;
mod delete;
mod expressions;
mod get_or_create;
mod lookup;
mod many_to_many;
mod many_to_one;
mod model_fields;
mod null_queries;
mod ordering;
mod prefetch_related;
mod queries;
mod select_related;
mod transactions;
mod update;
