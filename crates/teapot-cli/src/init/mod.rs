//! `teapot init [DIR]`: the first hour without guessing. Writes teapot.toml, an app with a
//! commented model file, its migrations folder and, where DIR is not a crate yet, a Cargo project
//! whose small async main uses the ORM; then prints the next three commands. Nothing that exists
//! is overwritten: every file that would be is named, and nothing is written.

use std::path::{Path, PathBuf};

use teapot_core::{Dialect, Error, ErrorKind, Result};

use super::verbosity;

const TEAPOT_TOML: &str = include_str!("templates/teapot.toml.tmpl");
const MIGRATE_ONLINE: &str = include_str!("templates/migrate_online.tmpl");
const MIGRATE_PLAIN: &str = include_str!("templates/migrate_plain.tmpl");
const MODELS: &str = include_str!("templates/models.rs.tmpl");
const APP_MOD: &str = include_str!("templates/mod.rs.tmpl");
const MAIN: &str = include_str!("templates/main.rs.tmpl");
const CARGO: &str = include_str!("templates/Cargo.toml.tmpl");

/// Start a teapot project in DIR (default: this folder).
///
/// Writes teapot.toml (the database, the app; on PostgreSQL `[migrate] online = true`, so
/// migrate is zero-downtime by default), src/APP/models.rs (one model, every line explained),
/// src/APP/mod.rs and migrations/APP/. Where DIR has no Cargo.toml it also writes Cargo.toml,
/// src/main.rs (a small async program using the ORM) and .gitignore. An existing file is never
/// overwritten: init names every one in the way and writes nothing.
#[derive(Debug, clap::Args)]
#[command(after_help = "Then, in DIR: teapot makemigrations, teapot migrate, cargo run (init prints them).")]
pub struct Args {
    /// The folder (made if missing).
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// The database: sqlite://FILE (made by `teapot migrate`) or postgres://USER@HOST:PORT/NAME.
    #[arg(long, value_name = "URL", default_value = "sqlite://db.sqlite3")]
    database_url: String,
    /// The app's label: letters, digits and _ (its tables are named APP_model).
    #[arg(long, value_name = "NAME", default_value = "notes")]
    app: String,
    /// Depend on teapot at this path (a checkout of teapot's repository) instead of by version.
    #[arg(long, value_name = "PATH")]
    teapot_path: Option<PathBuf>,
}

/// Rust's keywords: an app label is also the name of its module in src/.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
    "true", "try", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
    "typeof", "unsized", "virtual", "yield",
];

/// Refuses a label that teapot.toml or Rust would refuse, saying which rule it breaks.
fn check_app(app: &str) -> Result<()> {
    let valid = !app.is_empty()
        && app.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !app.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("--app {app}: an app label is lower-case letters, digits and _, not starting with a digit"),
        )
        .hint("e.g. --app blog"));
    }
    if KEYWORDS.contains(&app) || app == "main" || app == "teapot" || app == "tokio" {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("--app {app}: the label is also the app's module name in src/, and `{app}` is taken there"),
        )
        .hint("choose another label, e.g. --app blog"));
    }
    Ok(())
}

/// The package name Cargo would accept for a folder: its name, lower case, with `-` for anything else.
fn package_name(dir: &Path) -> String {
    let base = std::fs::canonicalize(dir).ok().and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned())).unwrap_or_default();
    let mut name: String = base.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_lowercase() } else { '-' }).collect();
    name = name.trim_matches('-').to_string();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("app-{name}").trim_end_matches('-').to_string();
    }
    name
}

/// A TOML basic string holding `s`.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The teapot dependency: by path (absolute, so the project can move) or by this CLI's version.
fn teapot_dependency(path: Option<&Path>) -> Result<String> {
    let Some(path) = path else {
        let version = env!("CARGO_PKG_VERSION");
        let short = version.rsplit_once('.').map_or(version, |(head, _)| head);
        return Ok(toml_string(short));
    };
    let abs = std::fs::canonicalize(path).map_err(|e| {
        Error::new(ErrorKind::Usage, format!("--teapot-path {}: {e}", path.display()))
            .hint("give the folder of a checkout of teapot's repository")
    })?;
    if !abs.join("Cargo.toml").is_file() || !abs.join("crates/teapot-cli").is_dir() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("--teapot-path {}: not a checkout of teapot's repository (no Cargo.toml beside crates/teapot-cli)", path.display()),
        )
        .hint("give the folder that holds teapot's top Cargo.toml"));
    }
    Ok(format!("{{ path = {} }}", toml_string(&abs.to_string_lossy())))
}

/// One file init writes: where, relative to DIR, and what it is for (printed).
struct Planned {
    rel: String,
    text: String,
    what: String,
}

pub(super) fn run(a: Args) -> Result<i32> {
    check_app(&a.app)?;
    let dialect = Dialect::of_url(&a.database_url)
        .map_err(|e| Error::new(ErrorKind::Usage, format!("--database-url: {}", e.message)).hint(e.hint.clone().unwrap_or_default()))?;
    if a.dir.exists() && !a.dir.is_dir() {
        return Err(Error::new(ErrorKind::Usage, format!("{} is a file, not a folder", a.dir.display()))
            .hint("give a folder to init into (it is made if missing)"));
    }
    let app = a.app.as_str();
    let crate_exists = a.dir.join("Cargo.toml").exists();
    let url = a.database_url.as_str();
    let migrate = if dialect == Dialect::Postgres { MIGRATE_ONLINE } else { MIGRATE_PLAIN };
    let fill = |t: &str, package: &str| -> String {
        t.replace("{{app}}", app).replace("{{url}}", &url.replace('\\', "\\\\").replace('"', "\\\"")).replace("{{package}}", package)
    };
    std::fs::create_dir_all(&a.dir).map_err(|e| Error::new(ErrorKind::Io, format!("cannot make the folder {}: {e}", a.dir.display())))?;
    let package = package_name(&a.dir);
    let mut files = vec![
        Planned {
            rel: "teapot.toml".into(),
            text: fill(TEAPOT_TOML, &package).replace("{{migrate}}", migrate),
            what: "the project: database, apps (every key explained)".into(),
        },
        Planned {
            rel: format!("src/{app}/models.rs"),
            text: fill(MODELS, &package),
            what: format!("the {app} app's models: one, commented"),
        },
        Planned { rel: format!("src/{app}/mod.rs"), text: fill(APP_MOD, &package), what: format!("the {app} app's module") },
    ];
    if !crate_exists {
        let teapot = teapot_dependency(a.teapot_path.as_deref())?;
        files.push(Planned {
            rel: "Cargo.toml".into(),
            text: fill(CARGO, &package).replace("{{teapot}}", &teapot),
            what: "the crate: teapot and tokio".into(),
        });
        files.push(Planned { rel: "src/main.rs".into(), text: fill(MAIN, &package), what: "a small async program using the ORM".into() });
        let mut ignore = String::from("/target\n");
        if let Some(file) = sqlite_file(url) {
            ignore.push_str(&format!("/{file}\n/{file}.teapot-lock\n"));
        }
        files.push(Planned { rel: ".gitignore".into(), text: ignore, what: "the build and the database file".into() });
    }
    let in_the_way: Vec<String> =
        files.iter().map(|f| a.dir.join(&f.rel)).filter(|p| p.exists()).map(|p| p.display().to_string()).collect();
    if !in_the_way.is_empty() {
        return Err(Error::new(ErrorKind::Usage, format!("teapot init would overwrite {}; nothing was written", in_the_way.join(", ")))
            .hint("move them away, init into another folder (teapot init DIR), or choose another app label (--app NAME)"));
    }
    for f in &files {
        let path = a.dir.join(&f.rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::new(ErrorKind::Io, format!("cannot make the folder {}: {e}", parent.display())))?;
        }
        std::fs::write(&path, &f.text).map_err(|e| Error::new(ErrorKind::Io, format!("cannot write {}: {e}", path.display())))?;
    }
    let migrations = a.dir.join("migrations").join(app);
    std::fs::create_dir_all(&migrations)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot make the folder {}: {e}", migrations.display())))?;
    if verbosity::quiet() {
        return Ok(0);
    }
    println!("Created a teapot project in {}:", a.dir.display());
    let width = files.iter().map(|f| f.rel.len()).max().unwrap_or(0).max(format!("migrations/{app}/").len());
    for f in &files {
        println!("  {:width$}  {}", f.rel, f.what);
    }
    println!("  {:width$}  where makemigrations writes the app's migrations", format!("migrations/{app}/"));
    if dialect == Dialect::Postgres {
        println!("On PostgreSQL, migrate runs online by default ([migrate] online = true in teapot.toml; --plain opts out once).");
    }
    if crate_exists {
        println!();
        println!("{} has a Cargo.toml: it was left alone. Add to it, and `mod {app};` to your main.rs or lib.rs:", a.dir.display());
        println!("  [dependencies]");
        println!("  teapot = {}", teapot_dependency(a.teapot_path.as_deref())?);
        println!("  tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}");
    }
    println!();
    println!("Next:");
    if a.dir != Path::new(".") {
        println!("  cd {}", shell_word(&a.dir.display().to_string()));
    }
    println!("  teapot makemigrations    # write migrations/{app}/0001_initial.toml from src/{app}/models.rs");
    println!("  teapot migrate           # apply it to {}", teapot_core::redact(url));
    if crate_exists {
        println!("  cargo build              # your crate, with the app's models");
    } else {
        println!("  cargo run                # create and read notes through the ORM");
    }
    Ok(0)
}

/// The file of a SQLite URL relative to the project (None for PostgreSQL, memory or an absolute path).
fn sqlite_file(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    (!path.is_empty() && path != ":memory:" && !path.starts_with('/')).then(|| path.to_string())
}

/// A path as one shell word (quoted when it holds anything but plain characters).
fn shell_word(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
