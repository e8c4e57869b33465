//! The notes app.

pub mod models;
