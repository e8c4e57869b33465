//! The schema crate's one error type: a declaration or a state that cannot be accepted.

use std::path::PathBuf;

use crate::reader::{Location, ReadError};

/// What kind of problem it is, for callers that match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A declaration the reader does not understand (type, option, syntax).
    Declaration,
    /// A relation to a model that does not exist, or that is ambiguous.
    UnknownModel,
    /// Two things claim one name (columns, tables, reverse accessors, models).
    Clash,
}

/// A declaration that cannot be accepted: what, where (file:line:column), and the expected form.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SchemaError {
    /// The kind, to match on.
    pub kind: ErrorKind,
    /// What was wrong.
    pub message: String,
    /// The form expected there, if there is one to suggest.
    pub expected: Option<String>,
    /// The file, when read from one.
    pub file: Option<PathBuf>,
    /// Line and column in the file.
    pub location: Location,
}

impl SchemaError {
    /// An error at a place in a file.
    pub fn new(kind: ErrorKind, file: Option<PathBuf>, location: Location, message: impl Into<String>) -> SchemaError {
        SchemaError { kind, message: message.into(), expected: None, file, location }
    }

    /// Adds the expected form.
    pub fn expected(mut self, e: impl Into<String>) -> SchemaError {
        self.expected = Some(e.into());
        self
    }

    /// A reader error, placed in a file.
    pub fn from_read(e: &ReadError, file: Option<PathBuf>) -> SchemaError {
        SchemaError { kind: ErrorKind::Declaration, message: e.message.clone(), expected: e.expected.clone(), file, location: e.location() }
    }
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:{}:{}: ", file.display(), self.location.line, self.location.column)?;
        }
        f.write_str(&self.message)?;
        if let Some(e) = &self.expected {
            write!(f, "\n  expected: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SchemaError {}
