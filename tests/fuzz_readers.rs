//! Fuzzing the readers of untrusted text: migration files, model declarations and raw SQL.
//! Inputs are mutations of the corpus in `tests/fuzz/corpus/` (insertions of the tokens that
//! broke readers before: quotes, `E'`, dollar quotes, comments, `;`, control characters, huge
//! numbers), shrunk by proptest when a property fails. Beyond "no panic", each reader must keep
//! its promise:
//! - SQL: each statement `split_statements` returns splits into itself again, and holds no
//!   statement separator (so what the migrator runs one by one is what check lints one by one).
//! - Migration files: an accepted file writes back (`to_toml`) to a file that reads as the same
//!   migration; no value in it ends a statement teapot renders and starts another (the canary
//!   `DROP TABLE teapot_fuzz_canary` the hostile values carry never becomes a statement).
//! - Declarations: models that read and pass the text checks render, on both dialects, with no
//!   value ending a statement either.
//!
//! `TEAPOT_FUZZ_CASES` sets the inputs per target (default 1000, a few seconds in CI); each
//! target prints how many it ran. Failures proptest finds are kept in `tests/fuzz/regressions/`
//! and replayed first on every run.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use teapot::migrate::executor::{migration_sql, Direction};
use teapot::migrate::file::Migration;
use teapot::schema::sql_lexer::{has_statement_separator, split_statements};
use teapot::schema::ProjectState;
use teapot::Dialect;

/// Tokens worth inserting: each is a boundary some reader must get right.
const TOKENS: &[&str] = &[
    "'",
    "''",
    "\"",
    "E'",
    "e'\\'",
    "\\",
    "\\'",
    "$$",
    "$a$",
    "$1",
    ";",
    "; DROP TABLE teapot_fuzz_canary; --",
    "'; DROP TABLE teapot_fuzz_canary; --",
    "$$; DROP TABLE teapot_fuzz_canary; --",
    "--",
    "/*",
    "*/",
    "/* /* */",
    "\n",
    "\r\n",
    "\t",
    "\0",
    "\u{7f}",
    "\u{202e}",
    "é",
    "😀",
    "[[operations]]",
    "op = \"run_sql\"",
    "op = \"add_field\"",
    "op = \"backfill\"",
    "sql = \"",
    "\"\"\"",
    "'''",
    "=",
    "[",
    "]",
    "{",
    "}",
    ",",
    "#",
    "0",
    "-1",
    "99999999999999999999",
    "1e309",
    "nan",
    "inf",
    "true",
    "max_length = ",
    "max_digits = ",
    "default = ",
    "db_default = ",
    "check(expr = ",
    "unique",
    "db_index",
    "null",
    "to = \"",
    "#[teapot(",
    ")]",
    "pub ",
    ": ",
    "Option<",
    ">",
    "String",
    "i64",
    "ForeignKey<",
    "ManyToMany<",
    "#[derive(Model)]",
    "struct ",
    "mod m {",
    "r#\"",
    "\"#",
    "table = \"teapot_migrations\"",
    "db_column = \"",
    "name = \"",
    "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
];

fn corpus(kind: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus").join(kind);
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten().map(|e| e.path()).collect();
    files.sort();
    let texts: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()))).collect();
    assert!(!texts.is_empty(), "the corpus {} is empty", dir.display());
    texts
}

/// One edit of a text, at a position given as a number to take modulo its length.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, &'static str),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Replace(usize, char),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(at, t)| Edit::Insert(at, t)),
        2 => (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        1 => (any::<usize>(), 1usize..80).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        2 => (any::<usize>(), any::<char>()).prop_map(|(at, c)| Edit::Replace(at, c)),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let at = |n: usize, len: usize| if len == 0 { 0 } else { n % (len + 1) };
        match *e {
            Edit::Insert(n, t) => {
                let i = at(n, chars.len());
                chars.splice(i..i, t.chars());
            }
            Edit::Delete(n, k) => {
                let i = at(n, chars.len());
                let j = (i + k).min(chars.len());
                chars.drain(i..j);
            }
            Edit::Duplicate(n, k) => {
                let i = at(n, chars.len());
                let j = (i + k).min(chars.len());
                let copy: Vec<char> = chars[i..j].to_vec();
                chars.splice(j..j, copy);
            }
            Edit::Replace(n, c) if !chars.is_empty() => {
                let i = n % chars.len();
                chars[i] = c;
            }
            Edit::Replace(..) => {}
            Edit::Truncate(n) => chars.truncate(at(n, chars.len())),
        }
    }
    chars.into_iter().collect()
}

/// A hostile string value: a few tokens and characters run together.
fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(TOKENS).prop_map(str::to_string),
            2 => "[a-z_]{1,8}",
            1 => any::<char>().prop_map(String::from),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

/// Model files well formed as Rust, with a hostile value where a name, a default or an expression
/// goes: what gets past syn must be refused by the text checks or rendered harmless.
fn models_with_hostile_values() -> impl Strategy<Value = String> {
    const SLOTS: &[&str] = &[
        "#[teapot(app = \"shop\", table = {v})]",
        "#[teapot(app = \"shop\", check(name = {v}, expr = \"qty >= 0\"))]",
        "#[teapot(app = \"shop\", check(name = \"item_ok\", expr = {v}))]",
        "#[teapot(app = \"shop\", index(fields = [\"qty\"], name = {v}))]",
        "#[teapot(app = \"shop\", unique(fields = [\"qty\", \"label\"], name = {v}))]",
    ];
    const FIELD_SLOTS: &[&str] = &[
        "#[teapot(db_column = {v})]\n    pub label: Option<String>,",
        "#[teapot(max_length = 20, default = {v})]\n    pub label: String,",
        "#[teapot(db_default = {v})]\n    pub label: String,",
        "#[teapot(default = {v})]\n    pub label: Option<NaiveDate>,",
        "#[teapot(default = {v})]\n    pub label: Option<Uuid>,",
        "#[teapot(max_digits = 8, decimal_places = 2, default = {v})]\n    pub label: Decimal,",
        "#[teapot(default = {v})]\n    pub label: serde_json::Value,",
        "#[teapot(max_length = 20)]\n    pub label: String,",
    ];
    (prop::sample::select(SLOTS), prop::sample::select(FIELD_SLOTS), hostile(), hostile()).prop_map(|(model, field, a, b)| {
        let model = model.replace("{v}", &format!("{a:?}"));
        let field = field.replace("{v}", &format!("{b:?}"));
        format!("use teapot::prelude::*;\n\n#[derive(Model)]\n{model}\npub struct Item {{\n    pub id: i64,\n    pub qty: i32,\n    {field}\n}}\n")
    })
}

/// Migration files well formed as TOML, with a hostile value where a name, a default or an
/// expression goes.
fn migrations_with_hostile_values() -> impl Strategy<Value = String> {
    const OPS: &[&str] = &[
        "op = \"add_field\"\nmodel = \"Post\"\nname = {v}\nfield = { type = \"integer\", null = true }",
        "op = \"add_field\"\nmodel = \"Post\"\nname = \"label\"\nfield = { type = \"string\", max_length = 20, default = {v} }",
        "op = \"add_field\"\nmodel = \"Post\"\nname = \"label\"\nfield = { type = \"string\", db_default = {v} }",
        "op = \"add_field\"\nmodel = \"Post\"\nname = \"label\"\nfield = { type = \"string\", null = true, db_column = {v} }",
        "op = \"add_field\"\nmodel = \"Post\"\nname = \"day\"\nfield = { type = \"date\", default = {v} }",
        "op = \"add_index\"\nmodel = \"Post\"\nindex = { name = {v}, fields = [\"title\"] }",
        "op = \"add_constraint\"\nmodel = \"Post\"\nconstraint = { name = \"post_ok\", check = {v} }",
        "op = \"add_constraint\"\nmodel = \"Post\"\nconstraint = { name = {v}, check = \"id > 0\" }",
        "op = \"backfill\"\nmodel = \"Post\"\nset = {v}\nbatch_size = 10",
        "op = \"backfill\"\nmodel = \"Post\"\nset = \"title = 'x'\"\nwhere = {v}\nbatch_size = 10",
        "op = \"rename_field\"\nmodel = \"Post\"\nold_name = \"title\"\nnew_name = {v}",
        "op = \"create_model\"\nname = {v}\nfields = [{ name = \"id\", type = \"big_auto\", primary_key = true }]",
    ];
    (prop::sample::select(OPS), hostile()).prop_map(|(op, v)| {
        // A TOML basic string: JSON's escapes are TOML's.
        let v = serde_json::to_string(&v).expect("a string");
        format!("dependencies = [\"blog/0001_initial\"]\n\n[[operations]]\n{}\n", op.replace("{v}", &v))
    })
}

/// Corpus texts with up to 8 edits each, text from nothing, and for the readers with a
/// structure, well-formed files with hostile values.
fn inputs(kind: &str) -> BoxedStrategy<String> {
    let mutated = (prop::sample::select(corpus(kind)), prop::collection::vec(edit(), 0..8)).prop_map(|(t, e)| apply(&t, &e));
    let random = prop::collection::vec(
        prop_oneof![3 => prop::sample::select(TOKENS).prop_map(str::to_string), 1 => any::<char>().prop_map(String::from)],
        0..40,
    )
    .prop_map(|parts| parts.concat());
    match kind {
        "models" => prop_oneof![3 => mutated, 1 => random, 4 => models_with_hostile_values()].boxed(),
        "migrations" => prop_oneof![3 => mutated, 1 => random, 4 => migrations_with_hostile_values()].boxed(),
        _ => prop_oneof![4 => mutated, 1 => random].boxed(),
    }
}

fn cases() -> u32 {
    std::env::var("TEAPOT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000)
}

/// Runs a property over `cases()` inputs of a corpus, failures kept for replay, and says how many
/// ran and how many the reader accepted (`property` returns whether it did).
fn fuzz(target: &str, property: impl Fn(&str) -> Result<bool, TestCaseError>) {
    let config = Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(Box::leak(
            format!("{}/tests/fuzz/regressions/{target}.txt", env!("CARGO_MANIFEST_DIR")).into_boxed_str(),
        )))),
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let (ran, accepted) = (AtomicU64::new(0), AtomicU64::new(0));
    let mut runner = TestRunner::new(config);
    let result = runner.run(&inputs(target), |text| {
        ran.fetch_add(1, Ordering::Relaxed);
        if property(&text)? {
            accepted.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    println!("fuzz {target}: {} inputs, {} accepted by the reader", ran.load(Ordering::Relaxed), accepted.load(Ordering::Relaxed));
    if let Err(e) = result {
        panic!("fuzz {target}: {e}");
    }
}

/// No statement teapot renders for a migration (but raw SQL, which is statements by design) lets
/// a value end it and start another: the canary statement the hostile values carry never
/// becomes a statement of its own, on either dialect.
fn nothing_injected(m: &Migration, state: &ProjectState) -> Result<(), TestCaseError> {
    if m.operations.iter().any(|op| matches!(op, teapot::schema::Operation::RunSql { .. })) {
        return Ok(());
    }
    for dialect in [Dialect::Postgres, Dialect::Sqlite] {
        let Ok(sql) = migration_sql(dialect, m, &mut state.clone(), Direction::Forwards) else { continue };
        for s in sql.operations.iter().flat_map(|(_, s)| s).chain(&sql.deferred) {
            for statement in split_statements(s) {
                prop_assert!(
                    !statement.trim_start().to_uppercase().starts_with("DROP TABLE TEAPOT_FUZZ_CANARY"),
                    "{dialect:?} rendered {s:?}: a value became a statement of its own"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn fuzz_sql_splitter() {
    fuzz("sql", |text| {
        let _ = teapot::migrate::check::sql_scan::scan_sql(text);
        for piece in split_statements(text) {
            prop_assert!(!piece.trim().is_empty());
            prop_assert!(!has_statement_separator(&piece), "{piece:?} still holds a separator");
            prop_assert_eq!(split_statements(&piece), vec![piece.clone()]);
        }
        Ok(true)
    });
}

#[test]
fn fuzz_migration_files() {
    let base = corpus("migrations");
    let initial = Migration::parse("blog", "0001_initial", &base[0], None).expect("the corpus's first migration reads");
    let mut state = ProjectState::default();
    for op in &initial.operations {
        op.apply("blog", &mut state).expect("the corpus's first migration replays");
    }
    fuzz("migrations", |text| match Migration::parse("blog", "0002_fuzzed", text, None) {
        Ok(m) => {
            let again = Migration::parse("blog", "0002_fuzzed", &m.to_toml(), None);
            prop_assert!(
                again.is_ok(),
                "an accepted migration wrote back to a file that does not read: {:?}\n{}",
                again.err(),
                m.to_toml()
            );
            prop_assert_eq!(again.as_ref().ok().map(|a| &a.operations), Some(&m.operations));
            nothing_injected(&m, &state)?;
            nothing_injected(&m, &ProjectState::default())?;
            Ok(true)
        }
        Err(e) => {
            prop_assert!(!e.message.trim().is_empty(), "an error with no message");
            Ok(false)
        }
    });
}

#[test]
fn fuzz_model_declarations() {
    use teapot::migrate::autodetector::Autodetector;
    use teapot::migrate::declared::RenameHints;
    use teapot::migrate::questioner::FlagQuestioner;
    fuzz("models", |text| {
        let decls = match teapot::schema::reader::read_source(text, Some("shop")) {
            Ok(d) => d,
            Err(e) => {
                prop_assert!(!e.message.trim().is_empty(), "an error with no message");
                return Ok(false);
            }
        };
        if decls.iter().any(|d| teapot::schema::text::check_model(&d.model).is_err()) {
            return Ok(false);
        }
        let mut sourced: Vec<_> =
            decls.into_iter().map(|decl| teapot::schema::resolve::SourcedDeclaration { file: "fuzzed.rs".into(), decl }).collect();
        let Ok(to) = teapot::schema::resolve::resolve(&mut sourced) else { return Ok(false) };
        let apps: Vec<String> = to.models().map(|m| m.app.clone()).collect();
        let empty = ProjectState::default();
        let hints = RenameHints::default();
        let mut q = FlagQuestioner::new(&[], false, &[]).expect("questioner");
        let Ok(made) = Autodetector::new(&empty, &to, &hints, &apps).detect(&mut q, &Default::default()) else { return Ok(false) };
        let mut state = ProjectState::default();
        for (i, new) in made.iter().enumerate() {
            let m = Migration {
                app: new.app.clone(),
                name: format!("{:04}_fuzzed", i + 1),
                dependencies: vec![],
                operations: new.operations.clone(),
                atomic: true,
                path: None,
                allows: vec![],
            };
            nothing_injected(&m, &state)?;
            for op in &m.operations {
                if op.apply(&m.app, &mut state).is_err() {
                    return Ok(true);
                }
            }
        }
        Ok(true)
    });
}
