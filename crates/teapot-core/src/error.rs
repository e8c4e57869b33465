//! teapot's one error type: a matchable [`ErrorKind`], a message that says what and where, a hint
//! that says what to do, and for a database error the driver's error as `source()` (a
//! [`DriverError`]) with the SQLSTATE, constraint and table it named.
//!
//! Nothing printed from an error (its Display, its Debug, the chain of its sources as an error
//! reporter walks it) carries the database server's own source position: PostgreSQL reports the
//! C file and line that raised an error, which the driver's Display appends as `at line 948`.
//! That says nothing to a user and changes with every server build.

use std::sync::Arc;

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
    /// A migration that `migrate --online` began and did not finish was to be run another way.
    PartiallyApplied,
    /// A change `--online` refuses: it would rewrite or lock a table for long.
    Unsafe,
    /// A lock was not granted within lock_timeout, after every retry.
    LockTimeout,
    /// Another migrator holds the migration lock (with --no-wait).
    Busy,
    /// A unique constraint refused the write.
    UniqueViolation,
    /// A foreign key refused the write (a RESTRICT one refused a delete too).
    ForeignKeyViolation,
    /// A delete was refused because rows point at the rows deleted through a foreign key declared
    /// `on_delete = "protect"` (Django's ProtectedError); nothing was deleted.
    Protected,
    /// A NOT NULL column was given NULL.
    NotNullViolation,
    /// A CHECK constraint refused the write.
    CheckViolation,
    /// `get()` found no row.
    NotFound,
    /// `get()` found more than one row.
    MultipleObjects,
    /// A relation was read that was not fetched (no hidden query is ever made).
    NotLoaded,
    /// The database could not be reached, or the connection broke.
    Connection,
    /// A statement in the transaction failed earlier, so the transaction can only roll back: later
    /// statements and the commit are refused (a savepoint rolled back makes it usable again).
    TransactionBroken,
}

/// An error with a message for people and a kind for programs.
#[derive(Clone)]
#[non_exhaustive]
pub struct Error {
    /// The kind, to match on.
    pub kind: ErrorKind,
    /// What was wrong, and where.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// What the database said, when it said something.
    pub database: Option<Box<DatabaseDetails>>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// What a database error carried besides its message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatabaseDetails {
    /// The database's own message.
    pub message: String,
    /// SQLSTATE (`23505` unique violation, `55P03` lock not available, ...).
    pub code: Option<String>,
    /// PostgreSQL's DETAIL (which key was duplicated, which row broke a foreign key, ...).
    pub detail: Option<String>,
    /// The constraint it names.
    pub constraint: Option<String>,
    /// The table it names.
    pub table: Option<String>,
}

impl Error {
    /// An error of a kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into(), hint: None, database: None, source: None }
    }

    /// A driver error, with `context` saying what was being done (the start of the message).
    /// The kind follows the SQLSTATE; the driver error stays reachable as `source()`, a
    /// [`DriverError`].
    pub fn from_driver(context: &str, e: sqlx::Error) -> Error {
        let (kind, database) = match &e {
            sqlx::Error::Database(d) => {
                let kind = match d.kind() {
                    sqlx::error::ErrorKind::UniqueViolation => ErrorKind::UniqueViolation,
                    sqlx::error::ErrorKind::ForeignKeyViolation => ErrorKind::ForeignKeyViolation,
                    sqlx::error::ErrorKind::NotNullViolation => ErrorKind::NotNullViolation,
                    sqlx::error::ErrorKind::CheckViolation => ErrorKind::CheckViolation,
                    _ => match d.code().as_deref() {
                        Some("55P03") => ErrorKind::LockTimeout,
                        // restrict_violation: what an ON DELETE RESTRICT refusal may carry.
                        Some("23001") => ErrorKind::ForeignKeyViolation,
                        // SQLITE_CONSTRAINT_TRIGGER: SQLite reports a RESTRICT action's refusal
                        // with this code rather than SQLITE_CONSTRAINT_FOREIGNKEY (787). A user's
                        // trigger raises the same code, so the message decides.
                        Some("1811") if d.message().starts_with("FOREIGN KEY constraint failed") => ErrorKind::ForeignKeyViolation,
                        _ => ErrorKind::Database,
                    },
                };
                let detail = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().and_then(|pg| pg.detail()).map(str::to_string);
                let details = DatabaseDetails {
                    message: d.message().to_string(),
                    code: d.code().map(|c| c.into_owned()),
                    detail,
                    constraint: d.constraint().map(str::to_string),
                    table: d.table().map(str::to_string),
                };
                (kind, Some(Box::new(details)))
            }
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => (ErrorKind::Connection, None),
            _ => (ErrorKind::Database, None),
        };
        let driver = DriverError(Arc::new(e));
        let said = match &database {
            Some(_) => String::new(),
            None => driver.to_string(),
        };
        let mut err = Error { kind, message: String::new(), hint: None, database, source: Some(Arc::new(driver)) };
        let said = if err.database.is_some() { err.database_message() } else { said };
        err.message = if context.is_empty() { said } else { format!("{context}: {said}") };
        err
    }

    /// A transaction refused because a statement in it failed earlier (`cause`); `what` says
    /// what was done instead. The cause stays reachable as `source()`.
    pub(crate) fn transaction_broken(cause: &Error, what: &str) -> Error {
        let hint = "roll the transaction back and retry it; to go on after a statement that may fail, run that statement in \
                    a nested atomic() or begin() (a savepoint) and roll that back";
        Error {
            kind: ErrorKind::TransactionBroken,
            message: format!("a statement failed earlier in this transaction; {what}. It failed with: {}", cause.message),
            hint: Some(hint.to_string()),
            database: None,
            source: Some(Arc::new(cause.clone())),
        }
    }

    /// A failed connection: kind [`ErrorKind::Connection`], with the hint every one gets.
    pub fn with_connect_hint(self) -> Error {
        self.with_kind(ErrorKind::Connection)
            .hint("check that the database server runs and the URL (teapot.toml [database] url, DATABASE_URL or --database-url) is right")
    }

    /// The SQLSTATE of a database error.
    pub fn code(&self) -> Option<&str> {
        self.database.as_ref().and_then(|d| d.code.as_deref())
    }

    /// The constraint a database error names.
    pub fn constraint(&self) -> Option<&str> {
        self.database.as_ref().and_then(|d| d.constraint.as_deref())
    }

    /// The database's own message (with its DETAIL), or this error's message.
    pub fn database_message(&self) -> String {
        match &self.database {
            Some(d) => match &d.detail {
                Some(detail) => format!("{}\n  detail: {detail}", d.message),
                None => d.message.clone(),
            },
            None => self.message.clone(),
        }
    }

    /// The same error, its message led by what was being done.
    pub fn context(mut self, what: &str) -> Error {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// The same error as another kind (message, details and source kept): a unique violation
    /// inside a migration is, to the migrator's caller, a failed migration.
    pub fn with_kind(mut self, kind: ErrorKind) -> Error {
        self.kind = kind;
        self
    }

    /// The same error with another message (kind, details and source kept).
    pub fn with_message(mut self, message: impl Into<String>) -> Error {
        self.message = message.into();
        self
    }

    /// Adds what to do.
    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        let hint = hint.into();
        // An empty hint says nothing: it is never set (nor printed).
        self.hint = (!hint.trim().is_empty()).then_some(hint);
        self
    }

    /// A unique constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        self.kind == ErrorKind::UniqueViolation
    }

    /// A NOT NULL column was given NULL.
    pub fn is_not_null_violation(&self) -> bool {
        self.kind == ErrorKind::NotNullViolation
    }

    /// A CHECK constraint refused the write.
    pub fn is_check_violation(&self) -> bool {
        self.kind == ErrorKind::CheckViolation
    }

    /// A foreign key refused the write.
    pub fn is_foreign_key_violation(&self) -> bool {
        self.kind == ErrorKind::ForeignKeyViolation
    }

    /// `get()` found no row.
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// A delete was refused by a protecting foreign key.
    pub fn is_protected(&self) -> bool {
        self.kind == ErrorKind::Protected
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

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // By hand: the derived one would print the driver's error with the server's source file
        // and line.
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("hint", &self.hint)
            .field("database", &self.database)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

/// The database driver's error, as an [`Error`]'s `source()`: [`DriverError::driver`] is the
/// `sqlx::Error` itself. Printed, it is what the database said, without the server's source
/// position; it has no source of its own, so an error reporter walking the chain never prints
/// the driver's Display (which appends it).
#[derive(Clone)]
pub struct DriverError(Arc<sqlx::Error>);

impl DriverError {
    /// The driver's error.
    pub fn driver(&self) -> &sqlx::Error {
        &self.0
    }
}

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_ref() {
            sqlx::Error::Database(d) => {
                f.write_str(d.message())?;
                if let Some(code) = d.code() {
                    write!(f, " (SQLSTATE {code})")?;
                }
                Ok(())
            }
            other => write!(f, "{other}"),
        }
    }
}

impl std::fmt::Debug for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DriverError({:?})", self.to_string())
    }
}

impl std::error::Error for DriverError {}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = self.hint.as_deref().filter(|h| !h.trim().is_empty()) {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<teapot_schema::SchemaError> for Error {
    fn from(e: teapot_schema::SchemaError) -> Error {
        Error::new(ErrorKind::Declaration, e.to_string())
    }
}

/// teapot's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
