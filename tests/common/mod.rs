//! A throwaway teapot project in a temp dir: teapot.toml, one model file per app, and
//! makemigrations run on it for real. Every successful run is checked against three invariants:
//! the files written read back to the migrations made, replaying the whole history gives the
//! declared state, and a second run finds no changes.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Declares models and keeps their source text (`MODELS_SRC`), so a test's migrations are made
/// from the very declarations it compiles.
#[allow(unused_macros)]
macro_rules! models {
    ($($item:item)*) => {
        $($item)*
        const MODELS_SRC: &str = stringify!($($item)*);
    };
}

/// Runs each named `async fn(Db) -> teapot::Result<()>` on PostgreSQL and on SQLite, as
/// `postgres::<name>` and `sqlite::<name>`, each on a database of its own prepared by the file's
/// `setup(&TestDb) -> Db`.
#[allow(unused_macros)]
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let t = super::TestDb::postgres().await;
                    let db = super::setup(&t).await;
                    super::$name(db).await.unwrap_or_else(|e| panic!("{e}"));
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let t = super::TestDb::sqlite();
                    let db = super::setup(&t).await;
                    super::$name(db).await.unwrap_or_else(|e| panic!("{e}"));
                }
            )*
        }
    };
}

use teapot::migrate::config::Config;
use teapot::migrate::declared::read_declared;
use teapot::migrate::loader::load_graph;
use teapot::migrate::make::{make_migrations, MakeOptions, MakeOutcome};
use teapot::migrate::questioner::FlagQuestioner;
use teapot::migrate::{Migration, Operation};
use teapot::schema::ProjectState;

pub struct Project {
    pub dir: tempfile::TempDir,
    pub config: Config,
}

impl Project {
    /// A project with the given apps, each with one model file `models/<app>.rs`.
    pub fn new(apps: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut toml = String::new();
        for (app, _) in apps {
            toml.push_str(&format!("[apps.{app}]\nmodels = [\"models/{app}.rs\"]\n\n"));
        }
        std::fs::create_dir_all(dir.path().join("models")).expect("models dir");
        let path = dir.path().join("teapot.toml");
        std::fs::write(&path, toml).expect("write teapot.toml");
        for (app, src) in apps {
            std::fs::write(dir.path().join(format!("models/{app}.rs")), src).expect("write models");
        }
        let config = Config::load(Some(&path)).expect("load teapot.toml");
        Project { dir, config }
    }

    /// Replaces an app's model source (v1 -> v2).
    pub fn set(&self, app: &str, src: &str) {
        std::fs::write(self.dir.path().join(format!("models/{app}.rs")), src).expect("write models");
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn migrations_dir(&self, app: &str) -> PathBuf {
        self.config.apps[app].migrations.clone()
    }

    /// makemigrations with no flags; it must succeed.
    pub fn make(&self) -> MakeOutcome {
        self.make_opts(&MakeOptions::default())
    }

    pub fn make_opts(&self, opts: &MakeOptions) -> MakeOutcome {
        self.try_make(opts, &[], false, &[]).unwrap_or_else(|e| panic!("makemigrations failed: {e}"))
    }

    /// makemigrations answering with `--rename` values.
    pub fn make_renaming(&self, renames: &[&str]) -> MakeOutcome {
        self.try_make(&MakeOptions::default(), renames, false, &[]).unwrap_or_else(|e| panic!("makemigrations failed: {e}"))
    }

    /// makemigrations with `--rename`, `--no-rename` and `--default`; checks the invariants when it
    /// succeeds, and that nothing was written when it fails.
    pub fn try_make(&self, opts: &MakeOptions, renames: &[&str], no_rename: bool, defaults: &[&str]) -> teapot::Result<MakeOutcome> {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut q = FlagQuestioner::new(&strings(renames), no_rename, &strings(defaults))?;
        let before = self.snapshot();
        let result = make_migrations(&self.config, opts, &mut q);
        match &result {
            // An empty migration leaves the models unmigrated: only its file is checked.
            Ok(outcome) if opts.empty => self.check_files(outcome),
            Ok(outcome) if !opts.dry_run => self.check_invariants(outcome),
            _ => assert_eq!(self.snapshot(), before, "a failed or dry run must write nothing"),
        }
        result
    }

    /// Every file under migrations/, with its bytes, by path relative to the root.
    pub fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, root, out);
                } else {
                    let rel = p.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
                    out.push((rel, std::fs::read(&p).expect("read file")));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root().join("migrations"), self.root(), &mut out);
        out.sort();
        out
    }

    fn check_files(&self, outcome: &MakeOutcome) {
        for m in &outcome.made {
            let text = std::fs::read_to_string(&m.path).expect("migration written");
            assert_eq!(text, m.text, "file {} differs from the text made", m.path.display());
            let back = Migration::read(&m.migration.app, &m.path).expect("migration reads back");
            assert_eq!(back.operations, m.migration.operations);
            assert_eq!(back.dependencies, m.migration.dependencies);
        }
    }

    fn check_invariants(&self, outcome: &MakeOutcome) {
        self.check_files(outcome);
        let replayed = load_graph(&self.config).and_then(|g| g.state()).expect("history replays");
        let mut declared = read_declared(&self.config).expect("declarations read");
        declared.keep_join_keys_of(&replayed);
        let declared = declared.state;
        assert_eq!(normalized(replayed), normalized(declared), "replayed history != declared models");
        let again = MakeOptions { dry_run: true, ..MakeOptions::default() };
        let mut q = FlagQuestioner::new(&[], false, &[]).expect("no flags");
        let second = make_migrations(&self.config, &again, &mut q).expect("second run");
        let ops: Vec<Vec<Operation>> = second.made.iter().map(|m| m.migration.operations.clone()).collect();
        assert!(second.made.is_empty(), "a second run found changes: {ops:?}");
    }

    /// The migration file names (without .toml) of an app, sorted.
    pub fn names(&self, app: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.migrations_dir(app)) else { return vec![] };
        let mut v: Vec<String> =
            entries.flatten().filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".toml")).map(str::to_string)).collect();
        v.sort();
        v
    }

    pub fn read(&self, app: &str, name: &str) -> Migration {
        Migration::read(app, &self.migrations_dir(app).join(format!("{name}.toml"))).expect("read migration")
    }

    /// Writes a migration file by hand (a branch made elsewhere).
    pub fn write_migration(&self, app: &str, name: &str, text: &str) {
        let dir = self.migrations_dir(app);
        std::fs::create_dir_all(&dir).expect("migrations dir");
        std::fs::write(dir.join(format!("{name}.toml")), text).expect("write migration");
    }
}

/// Field, index and constraint order does not matter to the schema (an added field goes last in a
/// replay but may sit anywhere in the struct).
fn normalized(mut s: ProjectState) -> ProjectState {
    for m in s.models_mut() {
        m.fields.sort_by(|a, b| a.0.cmp(&b.0));
        m.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        m.constraints.sort_by(|a, b| a.name.cmp(&b.name));
    }
    s
}

/// `(app/name, operations described)` of each migration made, in order.
pub fn summary(outcome: &MakeOutcome) -> Vec<(String, Vec<String>)> {
    outcome.made.iter().map(|m| (m.migration.key(), described(&m.migration.operations))).collect()
}

pub fn described(ops: &[Operation]) -> Vec<String> {
    ops.iter().map(Operation::describe).collect()
}

/// The names of the migrations made, `app/NNNN_name`.
pub fn keys(outcome: &MakeOutcome) -> Vec<String> {
    outcome.made.iter().map(|m| m.migration.key()).collect()
}

/// The one migration a run made.
pub fn only(outcome: &MakeOutcome) -> &Migration {
    assert_eq!(outcome.made.len(), 1, "expected one migration, got {:?}", keys(outcome));
    &outcome.made[0].migration
}
pub mod cli;
pub mod db;
pub mod generated;
pub mod reference;
