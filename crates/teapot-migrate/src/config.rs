//! teapot.toml: the database URL and, per app, the model files and the migrations folder.
//!
//! ```toml
//! [database]
//! url = "sqlite://teapot.db"          # DATABASE_URL overrides it, --database-url overrides both
//! [apps.library]
//! models = ["examples/bookshop/library.rs"]   # files or globs of Rust source
//! migrations = "migrations/library"           # default: migrations/<app>
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use teapot_core::{Error, ErrorKind, Result};

/// The parsed configuration, with paths made absolute against the file's folder.
#[derive(Debug, Clone)]
pub struct Config {
    /// The folder teapot.toml is in; relative paths are taken from here.
    pub root: PathBuf,
    /// The file read.
    pub path: PathBuf,
    /// `[database] url`, if given.
    pub database_url: Option<String>,
    /// Apps by label, in label order.
    pub apps: BTreeMap<String, AppConfig>,
    /// `[online]` settings for `migrate --online`.
    pub online: OnlineConfig,
}

/// One `[apps.<label>]` table.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The label.
    pub label: String,
    /// Files or globs of Rust source holding the app's models.
    pub models: Vec<String>,
    /// The folder of the app's migrations.
    pub migrations: PathBuf,
}

/// `[online]`: lock safety settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnlineConfig {
    /// lock_timeout for steps that take a strong lock, e.g. "2s".
    #[serde(default = "default_lock_timeout")]
    pub lock_timeout: String,
    /// Attempts before giving up on a lock.
    #[serde(default = "default_attempts")]
    pub lock_attempts: u32,
    /// A transaction older than this holding a lock on a table a migration touches is reported.
    #[serde(default = "default_long_transaction")]
    pub long_transaction: String,
    /// statement_timeout for the steps that hold a strong lock.
    #[serde(default = "default_statement_timeout")]
    pub statement_timeout: String,
}

fn default_statement_timeout() -> String {
    "30s".into()
}

fn default_long_transaction() -> String {
    "10s".into()
}

fn default_lock_timeout() -> String {
    "2s".into()
}
fn default_attempts() -> u32 {
    10
}

impl Default for OnlineConfig {
    fn default() -> Self {
        OnlineConfig {
            lock_timeout: default_lock_timeout(),
            lock_attempts: default_attempts(),
            long_transaction: default_long_transaction(),
            statement_timeout: default_statement_timeout(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    database: RawDatabase,
    #[serde(default)]
    apps: BTreeMap<String, RawApp>,
    #[serde(default)]
    online: OnlineConfig,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApp {
    models: Vec<String>,
    migrations: Option<String>,
}

impl Config {
    /// Reads `path`, or `./teapot.toml` when None.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => PathBuf::from("teapot.toml"),
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::new(ErrorKind::Config, format!("cannot read {}: {e}", path.display()))
                .hint("run teapot in the folder that holds teapot.toml, or pass --config PATH")
        })?;
        Config::parse(&text, &path)
    }

    /// Parses the text of a teapot.toml found at `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    format!(":{}:{}", before.matches('\n').count() + 1, before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1)
                })
                .unwrap_or_default();
            Error::new(ErrorKind::Config, format!("{}{at}: {}", path.display(), e.message().trim()))
                .hint("see the [database] and [apps.<label>] tables in the README")
        })?;
        let root = path.parent().map(Path::to_path_buf).filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| PathBuf::from("."));
        if raw.apps.is_empty() {
            return Err(Error::new(ErrorKind::Config, format!("{} declares no app", path.display()))
                .hint("add a table such as [apps.library] with models = [\"src/models.rs\"]"));
        }
        let mut apps = BTreeMap::new();
        for (label, a) in raw.apps {
            let valid = !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !label.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                return Err(Error::new(ErrorKind::Config, format!("{}: app label \"{label}\" is not valid", path.display()))
                    .hint("an app label is letters, digits and _, not starting with a digit"));
            }
            if a.models.is_empty() {
                return Err(Error::new(ErrorKind::Config, format!("{}: [apps.{label}] lists no model file", path.display()))
                    .hint("models = [\"src/models/*.rs\"]"));
            }
            let migrations = root.join(a.migrations.unwrap_or_else(|| format!("migrations/{label}")));
            apps.insert(label.clone(), AppConfig { label, models: a.models, migrations });
        }
        // Two apps writing into one folder would each read the other's migrations as their own
        // (makemigrations would then "delete" the other app's models).
        let mut folders: BTreeMap<PathBuf, &str> = BTreeMap::new();
        for app in apps.values() {
            if let Some(other) = folders.insert(normalized(&app.migrations), &app.label) {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("{}: apps {other} and {} share the migrations folder {}", path.display(), app.label, app.migrations.display()),
                )
                .hint(format!("give each app a folder of its own, e.g. migrations = \"migrations/{}\"", app.label)));
            }
        }
        Ok(Config { root, path: path.to_path_buf(), database_url: raw.database.url, apps, online: raw.online })
    }

    /// The database URL: `--database-url`, else DATABASE_URL, else teapot.toml.
    pub fn resolve_database_url(&self, flag: Option<&str>) -> Result<String> {
        if let Some(u) = flag {
            return Ok(u.to_string());
        }
        if let Ok(u) = std::env::var("DATABASE_URL") {
            if !u.is_empty() {
                return Ok(u);
            }
        }
        self.database_url.clone().ok_or_else(|| {
            Error::new(ErrorKind::Config, format!("{} gives no database url", self.path.display()))
                .hint("set [database] url, DATABASE_URL, or pass --database-url")
        })
    }

    /// The file that records a checksum per migration file.
    pub fn sum_file(&self) -> PathBuf {
        self.root.join("migrations").join("teapot.sum")
    }

    /// The model source files of an app: the globs expanded, sorted, each listed once.
    pub fn model_files(&self, app: &AppConfig) -> Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for pattern in &app.models {
            let full = self.root.join(pattern);
            let text = full.to_string_lossy().to_string();
            let is_glob = pattern.contains(['*', '?', '[']);
            if !is_glob {
                if !full.is_file() {
                    return Err(Error::new(
                        ErrorKind::Config,
                        format!("{}: [apps.{}] lists {pattern}, which does not exist", self.path.display(), app.label),
                    )
                    .hint("correct the path (it is taken from the folder of teapot.toml)"));
                }
                files.push(full);
                continue;
            }
            let paths = glob::glob(&text).map_err(|e| {
                Error::new(ErrorKind::Config, format!("{}: [apps.{}] pattern {pattern}: {e}", self.path.display(), app.label))
            })?;
            let before = files.len();
            for p in paths.flatten() {
                if p.is_file() {
                    files.push(p);
                }
            }
            if files.len() == before {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("{}: [apps.{}] pattern {pattern} matches no file", self.path.display(), app.label),
                )
                .hint("correct the pattern (it is taken from the folder of teapot.toml)"));
            }
        }
        files.sort();
        files.dedup();
        Ok(files)
    }
}

/// A path with `.` and `..` resolved by their text (the folder may not exist yet).
fn normalized(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
