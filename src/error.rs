//! teapot's one error type: a matchable [`ErrorKind`], a message that says what and where, and a
//! hint that says what to do.

/// What went wrong, for callers that match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// teapot.toml is missing, malformed, or names something that is not there.
    Config,
    /// A model declaration was not accepted.
    Declaration,
    /// A migration file cannot be read, or does not fit the history before it.
    MigrationFile,
    /// The migration graph is broken: a missing dependency, a cycle, two leaves in one app.
    Graph,
    /// makemigrations needs an answer it was not given (run without a terminal or with --noinput).
    NeedsAnswer,
    /// A file could not be read or written.
    Io,
    /// Bad command-line input.
    Usage,
    /// An operation that cannot be undone (raw SQL without reverse_sql).
    Irreversible,
    /// The database refused a statement, or could not be reached.
    Database,
    /// A migration was applied in part and rolled back.
    MigrationFailed,
    /// A change `--online` refuses: it would rewrite or lock a table for long.
    Unsafe,
    /// A lock was not granted within lock_timeout, after every retry.
    LockTimeout,
    /// Another migrator holds the migration lock (with --no-wait).
    Busy,
    /// A unique constraint refused the write.
    UniqueViolation,
    /// A foreign key refused the write.
    ForeignKeyViolation,
    /// `get()` found no row.
    NotFound,
    /// `get()` found more than one row.
    MultipleObjects,
    /// A relation was read that was not fetched (no hidden query is ever made).
    NotLoaded,
    /// The database could not be reached, or the connection broke.
    Connection,
}

/// An error with a message for people and a kind for programs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Error {
    /// The kind, to match on.
    pub kind: ErrorKind,
    /// What was wrong, and where.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Error {
    /// An error of a kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into(), hint: None }
    }

    /// Adds what to do.
    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// A unique constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        self.kind == ErrorKind::UniqueViolation
    }

    /// A foreign key refused the write.
    pub fn is_foreign_key_violation(&self) -> bool {
        self.kind == ErrorKind::ForeignKeyViolation
    }

    /// `get()` found no row.
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// A relation was read that was not fetched.
    pub fn is_not_loaded(&self) -> bool {
        self.kind == ErrorKind::NotLoaded
    }

    /// Whether the problem is in the configuration or command line (exit code 2), not the project.
    pub fn is_usage(&self) -> bool {
        matches!(self.kind, ErrorKind::Config | ErrorKind::Usage)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<teapot_schema::SchemaError> for Error {
    fn from(e: teapot_schema::SchemaError) -> Error {
        Error::new(ErrorKind::Declaration, e.to_string())
    }
}

/// teapot's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
