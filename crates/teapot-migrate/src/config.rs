//! teapot.toml: the database URL and, per app, the model files and the migrations folder.
//!
//! ```toml
//! [database]
//! url = "sqlite://teapot.db"          # DATABASE_URL overrides it, --database-url overrides both
//! [apps.library]
//! models = ["examples/bookshop/library.rs"]   # files or globs of Rust source
//! migrations = "migrations/library"           # default: migrations/<app>
//! [project]
//! default_auto_field = "AutoField"            # join tables' id: BigAutoField (default), AutoField, SmallAutoField
//! on_delete = "orm"                           # who does on_delete: "database" (default) or "orm" (Django's way)
//! defaults = "orm"                            # who keeps a literal default: "database" (default) or "orm" (Django's way)
//! [migrate]
//! online = true                               # PostgreSQL: `teapot migrate` runs online (`--plain` opts out once)
//! [online]
//! lock_timeout = "2s"                         # 500ms, 2s, 1m: checked when the file is read
//! [check]
//! since = { library = "0007" }                # lint library's migrations from 0007 on
//! [check.allow]
//! "library/0005_drop_legacy" = { rules = ["TP003"], reason = "no release since 1.4 reads it" }
//! ```
//!
//! Every command reads the file through [`Config::parse`], so `teapot check` refuses exactly the
//! values `migrate` would refuse at deploy time, with the file, line and key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

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
    /// `[migrate]`: how `teapot migrate` runs when no flag says.
    pub migrate: MigrateConfig,
    /// `[project] default_auto_field`.
    pub default_auto_field: AutoField,
    /// `[project] on_delete`.
    pub on_delete: DoneBy,
    /// `[project] defaults`: who keeps a field's literal `default` (the column's DEFAULT, or
    /// the ORM alone, as Django).
    pub defaults: DoneBy,
    /// `[check]`: the baseline and the findings allowed in applied migrations.
    pub check: CheckConfig,
}

/// `[check]` in teapot.toml.
#[derive(Debug, Clone, Default)]
pub struct CheckConfig {
    /// `since = { app = "0007" }`: per app, the first migration the safety lint looks at (by its
    /// number); the ones before it were reviewed when they were applied.
    pub since: BTreeMap<String, Since>,
    /// `[check.allow]`: per migration (`app/name`), rules silenced without editing its file.
    pub allow: BTreeMap<String, ConfigAllow>,
}

/// One `since` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Since {
    /// As written (`0007`, or `0007_add_isbn`).
    pub written: String,
    /// Its number.
    pub number: u32,
    /// The line in teapot.toml.
    pub line: usize,
}

/// One `[check.allow]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigAllow {
    /// Rule ids or names.
    pub rules: Vec<String>,
    /// Why it is safe (required, not blank).
    pub reason: String,
    /// The line in teapot.toml.
    pub line: usize,
}

/// The number a migration name starts with (`0007_add_isbn` -> 7).
pub fn migration_number(name: &str) -> Option<u32> {
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
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
    /// `default_auto_field` of this app, over the project's (Django's AppConfig.default_auto_field).
    pub default_auto_field: Option<AutoField>,
    /// `on_delete` of this app's foreign keys, over the project's.
    pub on_delete: Option<DoneBy>,
    /// `defaults` of this app's fields, over the project's.
    pub defaults: Option<DoneBy>,
}

/// Who does what Django does in Python and teapot, by default, in the database: a foreign key's
/// `on_delete` action (`on_delete`: the constraint's `ON DELETE CASCADE`, or the ORM's delete with
/// NO ACTION in the database) and a field's literal `default` (`defaults`: the column's DEFAULT,
/// or the ORM alone). A database shared with Django, or moved from it, has it Django's way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DoneBy {
    /// `"database"`: the constraint has the action, the column the default.
    #[default]
    Database,
    /// `"orm"`: the constraint has NO ACTION and the ORM's delete does the action; the column has
    /// no DEFAULT and the ORM fills the value in.
    Orm,
}

impl DoneBy {
    fn parse(s: &str) -> Option<DoneBy> {
        match s {
            "database" => Some(DoneBy::Database),
            "orm" => Some(DoneBy::Orm),
            _ => None,
        }
    }
}

/// Django's DEFAULT_AUTO_FIELD: the key type of what teapot keys by itself (the `id` of
/// auto-created many-to-many join tables; every model declares its own key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutoField {
    /// bigint (Django's BigAutoField, the default of a new Django project).
    #[default]
    Big,
    /// integer (AutoField: Django before 3.2, and contrib.auth's join tables).
    Normal,
    /// smallint (SmallAutoField).
    Small,
}

impl AutoField {
    fn parse(s: &str) -> Option<AutoField> {
        match s.strip_prefix("django.db.models.").unwrap_or(s) {
            "BigAutoField" => Some(AutoField::Big),
            "AutoField" => Some(AutoField::Normal),
            "SmallAutoField" => Some(AutoField::Small),
            _ => None,
        }
    }

    /// The join key recorded in a many-to-many field: None for bigint.
    pub fn join_key(self) -> Option<teapot_schema::FieldType> {
        match self {
            AutoField::Big => None,
            AutoField::Normal => Some(teapot_schema::FieldType::Integer),
            AutoField::Small => Some(teapot_schema::FieldType::Smallint),
        }
    }
}

/// `[migrate]` in teapot.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateConfig {
    /// `online = true`: on PostgreSQL, `teapot migrate` applies online without `--online` (and
    /// `teapot check` lints for it); `--plain` opts out for one run. The zero-downtime default
    /// `teapot init` writes for a PostgreSQL project.
    pub online: bool,
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
    online: RawOnline,
    #[serde(default)]
    migrate: RawMigrate,
    #[serde(default)]
    check: RawCheck,
    #[serde(default)]
    project: RawProject,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProject {
    default_auto_field: Option<Spanned<String>>,
    on_delete: Option<Spanned<String>>,
    defaults: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMigrate {
    online: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOnline {
    lock_timeout: Option<Spanned<String>>,
    lock_attempts: Option<Spanned<u32>>,
    long_transaction: Option<Spanned<String>>,
    statement_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    #[serde(default)]
    since: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    allow: BTreeMap<String, Spanned<RawAllow>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    rules: Vec<String>,
    reason: String,
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApp {
    models: Vec<String>,
    migrations: Option<String>,
    default_auto_field: Option<Spanned<String>>,
    on_delete: Option<Spanned<String>>,
    defaults: Option<Spanned<String>>,
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
                .hint("teapot.toml has the tables [database], [project], [apps.<label>], [migrate], [online] and [check] (docs/check.md)")
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
            let default_auto_field = a.default_auto_field.map(|v| auto_field(v, text, path, &format!("[apps.{label}]"))).transpose()?;
            let on_delete = a.on_delete.map(|v| on_delete_by(v, text, path, &format!("[apps.{label}]"))).transpose()?;
            let defaults = a.defaults.map(|v| defaults_by(v, text, path, &format!("[apps.{label}]"))).transpose()?;
            apps.insert(label.clone(), AppConfig { label, models: a.models, migrations, default_auto_field, on_delete, defaults });
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
        let database_url = match raw.database.url {
            Some(u) => {
                let line = line_at(text, u.span().start);
                let u = u.into_inner();
                teapot_core::Dialect::of_url(&u).map_err(|e| {
                    Error::new(ErrorKind::Config, format!("{}:{line}: [database] url: {}", path.display(), e.message))
                        .hint(e.hint.clone().unwrap_or_default())
                })?;
                Some(u)
            }
            None => None,
        };
        let online = online_config(raw.online, text, path)?;
        let migrate = MigrateConfig { online: raw.migrate.online.unwrap_or(false) };
        let check = check_config(raw.check, text, path, &apps)?;
        let default_auto_field =
            raw.project.default_auto_field.map(|v| auto_field(v, text, path, "[project]")).transpose()?.unwrap_or_default();
        let on_delete = raw.project.on_delete.map(|v| on_delete_by(v, text, path, "[project]")).transpose()?.unwrap_or_default();
        let defaults = raw.project.defaults.map(|v| defaults_by(v, text, path, "[project]")).transpose()?.unwrap_or_default();
        Ok(Config { root, path: path.to_path_buf(), database_url, apps, online, migrate, check, default_auto_field, on_delete, defaults })
    }

    /// The key type of what teapot keys by itself in an app: the app's `default_auto_field`, else
    /// the project's.
    pub fn auto_field(&self, app: &str) -> AutoField {
        self.apps.get(app).and_then(|a| a.default_auto_field).unwrap_or(self.default_auto_field)
    }

    /// Who does the `on_delete` actions of an app's foreign keys: the app's `on_delete`, else the
    /// project's.
    pub fn on_delete_by(&self, app: &str) -> DoneBy {
        self.apps.get(app).and_then(|a| a.on_delete).unwrap_or(self.on_delete)
    }

    /// Who keeps the literal `default` of an app's fields: the app's `defaults`, else the
    /// project's.
    pub fn defaults_by(&self, app: &str) -> DoneBy {
        self.apps.get(app).and_then(|a| a.defaults).unwrap_or(self.defaults)
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

/// A `default_auto_field` value, or an error naming the file, line and table.
fn auto_field(v: Spanned<String>, text: &str, path: &Path, table: &str) -> Result<AutoField> {
    let line = line_at(text, v.span().start);
    let value = v.into_inner();
    AutoField::parse(&value).ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            format!("{}:{line}: {table} default_auto_field = \"{value}\" is not a key type teapot knows", path.display()),
        )
        .hint("\"BigAutoField\" (bigint, the default), \"AutoField\" (integer) or \"SmallAutoField\" (smallint)")
    })
}

/// An `on_delete` value, or an error naming the file, line and table.
fn on_delete_by(v: Spanned<String>, text: &str, path: &Path, table: &str) -> Result<DoneBy> {
    done_by(v, text, path, table, "on_delete", "who can do an on_delete action", "\"database\" (the foreign key's constraint does it, the default) or \"orm\" (NO ACTION in the database, the ORM's delete does it, as Django)")
}

/// A `defaults` value, or an error naming the file, line and table.
fn defaults_by(v: Spanned<String>, text: &str, path: &Path, table: &str) -> Result<DoneBy> {
    done_by(v, text, path, table, "defaults", "who can keep a default", "\"database\" (the column keeps the declared default as its DEFAULT, the default) or \"orm\" (the ORM fills it in; the column has none, as Django)")
}

/// A [`DoneBy`] value of `key`, or an error naming the file, line, table and what it should say.
fn done_by(v: Spanned<String>, text: &str, path: &Path, table: &str, key: &str, what: &str, hint: &str) -> Result<DoneBy> {
    let line = line_at(text, v.span().start);
    let value = v.into_inner();
    DoneBy::parse(&value).ok_or_else(|| {
        Error::new(ErrorKind::Config, format!("{}:{line}: {table} {key} = \"{value}\" is not {what}", path.display())).hint(hint)
    })
}

/// `[online]` with every value checked the way `migrate` reads it: a duration `migrate` could not
/// parse at deploy time is an error now, naming the file, the line and the key.
fn online_config(raw: RawOnline, text: &str, path: &Path) -> Result<OnlineConfig> {
    let mut out = OnlineConfig::default();
    let duration = |v: Option<Spanned<String>>, key: &str, default: String| -> Result<String> {
        let Some(v) = v else { return Ok(default) };
        let line = line_at(text, v.span().start);
        let value = v.into_inner();
        let d = crate::online_executor::parse_duration(&value).map_err(|_| {
            Error::new(ErrorKind::Config, format!("{}:{line}: [online] {key} = \"{value}\" is not a duration", path.display()))
                .hint(format!("write it as a number and a unit: {key} = \"500ms\", \"2s\" or \"1m\""))
        })?;
        if d.is_zero() && key != "long_transaction" {
            return Err(Error::new(
                ErrorKind::Config,
                format!("{}:{line}: [online] {key} = \"{value}\" is zero, which PostgreSQL takes as no limit at all", path.display()),
            )
            .hint(format!("give {key} a duration above zero, e.g. \"2s\"")));
        }
        Ok(value)
    };
    out.lock_timeout = duration(raw.lock_timeout, "lock_timeout", out.lock_timeout)?;
    out.long_transaction = duration(raw.long_transaction, "long_transaction", out.long_transaction)?;
    out.statement_timeout = duration(raw.statement_timeout, "statement_timeout", out.statement_timeout)?;
    if let Some(a) = raw.lock_attempts {
        let line = line_at(text, a.span().start);
        let a = a.into_inner();
        if a == 0 {
            return Err(Error::new(ErrorKind::Config, format!("{}:{line}: [online] lock_attempts = 0 would never try", path.display()))
                .hint("lock_attempts is how many times a lock is tried: 1 or more (default 10)"));
        }
        out.lock_attempts = a;
    }
    Ok(out)
}

/// `[check]`: `since` names a configured app and a migration number; each `[check.allow]` entry
/// names `app/migration` of a configured app, known rules, and a reason.
fn check_config(raw: RawCheck, text: &str, path: &Path, apps: &BTreeMap<String, AppConfig>) -> Result<CheckConfig> {
    let mut out = CheckConfig::default();
    let known_app = |app: &str, line: usize, key: &str| -> Result<()> {
        if apps.contains_key(app) {
            return Ok(());
        }
        Err(Error::new(ErrorKind::Config, format!("{}:{line}: [check] {key} names app \"{app}\", which is not configured", path.display()))
            .hint(format!("the apps are: {}", apps.keys().cloned().collect::<Vec<_>>().join(", "))))
    };
    for (app, v) in raw.since {
        let line = line_at(text, v.span().start);
        known_app(&app, line, "since")?;
        let written = v.into_inner();
        let Some(number) = migration_number(&written) else {
            return Err(Error::new(
                ErrorKind::Config,
                format!("{}:{line}: [check] since = {{ {app} = \"{written}\" }} does not start with a migration number", path.display()),
            )
            .hint(format!("name the first migration to lint, e.g. since = {{ {app} = \"0007\" }}")));
        };
        out.since.insert(app, Since { written, number, line });
    }
    for (key, v) in raw.allow {
        let line = line_at(text, v.span().start);
        let a = v.into_inner();
        let Some((app, _)) = key.split_once('/').filter(|(a, n)| !a.is_empty() && !n.is_empty()) else {
            return Err(Error::new(
                ErrorKind::Config,
                format!("{}:{line}: [check.allow] \"{key}\" is not a migration (app/name)", path.display()),
            )
            .hint("write the migration as app/name, e.g. \"library/0005_remove_legacy\""));
        };
        known_app(app, line, &format!("allow \"{key}\""))?;
        if a.rules.is_empty() {
            return Err(Error::new(ErrorKind::Config, format!("{}:{line}: [check.allow] \"{key}\" lists no rule", path.display()))
                .hint("rules = [\"TP003\"]: the rule ids (or names) the migration breaks on purpose"));
        }
        for r in &a.rules {
            if !crate::check::rules::RULES.iter().any(|x| x.id == r || x.name == r) {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("{}:{line}: [check.allow] \"{key}\": no rule is called {r}", path.display()),
                )
                .hint(format!(
                    "the rules (docs/check.md) are {}",
                    crate::check::rules::RULES.iter().map(|x| x.id).collect::<Vec<_>>().join(", ")
                )));
            }
        }
        if a.reason.trim().is_empty() {
            return Err(Error::new(ErrorKind::Config, format!("{}:{line}: [check.allow] \"{key}\" gives no reason", path.display()))
                .hint("reason = \"...\": say why it is safe, for whoever reads this next"));
        }
        out.allow.insert(key, ConfigAllow { rules: a.rules, reason: a.reason, line });
    }
    Ok(out)
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
