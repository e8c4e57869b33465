//! Golden tests: each model set in fixtures/ gives exactly the migration files checked in beside
//! it, and the example project's models give exactly the migrations in migrations/.

use std::path::{Path, PathBuf};

use teapot::migrate::config::Config;
use teapot::migrate::make::{make_migrations, MakeOptions};
use teapot::migrate::questioner::FlagQuestioner;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_rs(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("models dir");
    for e in std::fs::read_dir(to).expect("list models") {
        std::fs::remove_file(e.expect("entry").path()).expect("clear models");
    }
    for e in std::fs::read_dir(from).expect("list step") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "rs") {
            std::fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy model file");
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Runs every step of a fixture set; returns (relative path, text) of every migration written.
fn run_set(set: &Path) -> Vec<(String, String)> {
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::copy(set.join("teapot.toml"), tmp.path().join("teapot.toml")).expect("copy teapot.toml");
    let mut steps: Vec<PathBuf> = std::fs::read_dir(set)
        .expect("list set")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('v')))
        .collect();
    steps.sort();
    assert!(!steps.is_empty(), "{} has no v1/ step", set.display());
    for step in &steps {
        copy_rs(step, &tmp.path().join("models"));
        let config = Config::load(Some(&tmp.path().join("teapot.toml"))).expect("config");
        let mut q = FlagQuestioner::default();
        let outcome = make_migrations(&config, &MakeOptions::default(), &mut q)
            .unwrap_or_else(|e| panic!("{}: makemigrations failed: {e}", step.display()));
        assert!(!outcome.made.is_empty(), "{}: no migration made", step.display());
    }
    let migrations = tmp.path().join("migrations");
    files_under(&migrations)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let rel = p.strip_prefix(&migrations).expect("under migrations").to_string_lossy().replace('\\', "/");
            (rel, std::fs::read_to_string(&p).expect("read migration"))
        })
        .collect()
}

fn compare(got: &[(String, String)], expected_dir: &Path) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(expected_dir);
        for (rel, text) in got {
            let p = expected_dir.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write golden");
        }
        return;
    }
    let expected: Vec<(String, String)> = files_under(expected_dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let rel = p.strip_prefix(expected_dir).expect("under expected").to_string_lossy().replace('\\', "/");
            (rel, std::fs::read_to_string(&p).expect("read golden").replace("\r\n", "\n"))
        })
        .collect();
    let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(got), names(&expected), "migration files differ from {}", expected_dir.display());
    for ((name, g), (_, e)) in got.iter().zip(&expected) {
        assert!(
            g == e,
            "{name} differs from the golden file:\n{}",
            similar::TextDiff::from_lines(e, g).unified_diff().header("expected", "got")
        );
    }
}

#[test]
fn fixture_sets_give_their_golden_migrations() {
    let fixtures = root().join("fixtures");
    let mut sets = 0;
    for e in std::fs::read_dir(&fixtures).expect("fixtures/") {
        let set = e.expect("entry").path();
        if !set.join("teapot.toml").is_file() {
            continue;
        }
        let got = run_set(&set);
        compare(&got, &set.join("expected"));
        sets += 1;
    }
    assert!(sets >= 1, "no fixture set found");
}

#[test]
fn example_project_models_give_the_checked_in_migrations() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let examples = tmp.path().join("examples/bookshop");
    std::fs::create_dir_all(&examples).expect("mkdir");
    for f in ["library.rs", "shop.rs"] {
        std::fs::copy(root().join("examples/bookshop").join(f), examples.join(f)).expect("copy");
    }
    std::fs::copy(root().join("teapot.toml"), tmp.path().join("teapot.toml")).expect("copy toml");
    let config = Config::load(Some(&tmp.path().join("teapot.toml"))).expect("config");
    make_migrations(&config, &MakeOptions::default(), &mut FlagQuestioner::default()).expect("makemigrations");
    for app in ["library", "shop"] {
        let got = files_under(&tmp.path().join("migrations").join(app));
        let want = files_under(&root().join("migrations").join(app));
        assert_eq!(got.len(), want.len(), "{app}: number of migrations");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.file_name(), w.file_name());
            let (g, w) = (std::fs::read_to_string(g).expect("read"), std::fs::read_to_string(w).expect("read"));
            assert!(g == w.replace("\r\n", "\n"), "{app}: a fresh makemigrations differs from the checked-in file");
        }
    }
    let sums = std::fs::read_to_string(tmp.path().join("migrations/teapot.sum")).expect("teapot.sum");
    let checked_in = std::fs::read_to_string(root().join("migrations/teapot.sum")).expect("teapot.sum");
    assert_eq!(sums, checked_in.replace("\r\n", "\n"));
}
