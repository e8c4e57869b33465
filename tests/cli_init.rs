//! `teapot init`: the files it writes, the three commands it prints and that they work as
//! printed (makemigrations, migrate, then the generated program against SQLite), that it never
//! overwrites a file, and that a PostgreSQL project is zero-downtime by default.
//!
//! The generated program is run as the repository's `first_hour` example: examples/first_hour/
//! holds init's output for the default app, compared here byte for byte with what init writes,
//! and built with the repository's own build (a fresh crate would compile teapot's whole
//! dependency tree again: minutes). With TEAPOT_TEST_CARGO_RUN=1 the test also runs the printed
//! `cargo run` in the generated crate itself, as a newcomer would.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::cli::{teapot, teapot_bin, Out};
use common::db::TestDb;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The commands under "Next:" in init's output, comments dropped.
fn next_commands(stdout: &str) -> Vec<String> {
    stdout
        .split_once("\nNext:\n")
        .map(|(_, next)| next)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split_once('#').map_or(l, |(cmd, _)| cmd).trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(d: &Path, root: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).expect("list").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.push(p.strip_prefix(root).expect("under root").display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Runs a command, returning what it did.
fn run(cmd: &mut Command) -> Out {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The `first_hour` example's binary, built with the repository's build.
fn first_hour_example() -> PathBuf {
    let profile_dir = teapot_bin().parent().expect("target/<profile>").to_path_buf();
    let target_dir = profile_dir.parent().expect("target").to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    // The features scripts/test.sh builds the workspace with: nothing is compiled twice.
    cmd.args(["build", "--offline", "--workspace", "--features", "teapot-cli/test-hooks", "--example", "first_hour", "--manifest-path"])
        .arg(repo().join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    run(&mut cmd).ok();
    profile_dir.join("examples").join(format!("first_hour{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn init_then_the_printed_commands_work_on_sqlite() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = teapot(tmp.path(), &["init", "first_hour", "--teapot-path", repo().to_str().expect("utf-8 path")]);
    let stdout = out.ok().to_string();
    let commands = next_commands(&stdout);
    assert_eq!(commands, ["cd first_hour", "teapot makemigrations", "teapot migrate", "cargo run"], "{out}");
    let dir = tmp.path().join("first_hour");
    assert_eq!(files(&dir), [".gitignore", "Cargo.toml", "src/main.rs", "src/notes/mod.rs", "src/notes/models.rs", "teapot.toml"], "{out}");
    assert!(dir.join("migrations/notes").is_dir(), "the migrations folder");
    // What init wrote is the example the repository builds (and so compiles, and is formatted).
    for f in ["teapot.toml", "src/main.rs", "src/notes/mod.rs", "src/notes/models.rs"] {
        let written = std::fs::read_to_string(dir.join(f)).expect("read");
        let example = std::fs::read_to_string(repo().join("examples/first_hour").join(f)).expect("read the example");
        assert_eq!(written, example, "{f} differs from examples/first_hour/{f}: run `teapot init` anew and copy its output there");
    }
    let cargo_toml = std::fs::read_to_string(dir.join("Cargo.toml")).expect("read");
    let canonical = std::fs::canonicalize(repo()).expect("canonical repo");
    assert!(cargo_toml.contains(&format!("teapot = {{ path = \"{}\" }}", canonical.display())), "{cargo_toml}");
    assert!(cargo_toml.contains("name = \"first_hour\"") && cargo_toml.contains("tokio"), "{cargo_toml}");
    assert!(std::fs::read_to_string(dir.join(".gitignore")).expect("read").contains("/db.sqlite3"));

    // The commands, as printed.
    let mut cwd = tmp.path().to_path_buf();
    for c in &commands {
        let words: Vec<&str> = c.split_whitespace().collect();
        match words.as_slice() {
            ["cd", to] => cwd = cwd.join(to),
            ["teapot", args @ ..] => {
                let out = teapot(&cwd, args);
                out.ok();
                if args == ["makemigrations"] {
                    assert!(out.stdout.contains("migrations/notes/0001_initial.toml"), "{out}");
                }
            }
            ["cargo", "run"] => {
                let out = run(Command::new(first_hour_example()).current_dir(&cwd).env_remove("DATABASE_URL"));
                let said = out.ok();
                assert!(said.contains("created note 1 \"Hello, teapot\""), "{out}");
                assert!(said.contains("1 note(s) not pinned") && said.contains("pinned: 1 note(s)"), "{out}");
                // Rows last: a second run adds to them.
                let out = run(Command::new(first_hour_example()).current_dir(&cwd).env_remove("DATABASE_URL"));
                assert!(out.ok().contains("created note 2") && out.stdout.contains("pinned: 2 note(s)"), "{out}");
                if std::env::var("TEAPOT_TEST_CARGO_RUN").is_ok_and(|v| v == "1") {
                    let target = teapot_bin().parent().and_then(Path::parent).expect("target").to_path_buf();
                    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
                    let out = run(Command::new(cargo).args(["run", "--offline"]).current_dir(&cwd).env("CARGO_TARGET_DIR", target));
                    assert!(out.ok().contains("created note 3"), "{out}");
                }
            }
            other => panic!("init printed a command this test does not know: {other:?}\n{out}"),
        }
    }
    assert!(dir.join("db.sqlite3").is_file());
    let out = teapot(&dir, &["check"]);
    assert!(out.ok().contains("no findings"), "{out}");
    assert!(teapot(&dir, &["showmigrations"]).ok().contains("[X] 0001_initial"));
}

#[test]
fn init_refuses_to_overwrite_and_names_every_file_in_the_way() {
    let tmp = tempfile::tempdir().expect("temp dir");
    teapot(tmp.path(), &["init", "-q"]).ok();
    let before: Vec<(String, Vec<u8>)> =
        files(tmp.path()).into_iter().map(|f| (f.clone(), std::fs::read(tmp.path().join(&f)).expect("read"))).collect();
    let out = teapot(tmp.path(), &["init"]);
    out.fails_with(2);
    out.says(&["would overwrite", "teapot.toml", "src/notes/models.rs", "src/notes/mod.rs", "nothing was written", "--app NAME"]);
    let after: Vec<(String, Vec<u8>)> =
        files(tmp.path()).into_iter().map(|f| (f.clone(), std::fs::read(tmp.path().join(&f)).expect("read"))).collect();
    assert_eq!(before, after, "a refused init changed files");

    // One file in the way is enough, and nothing else is written.
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(tmp.path().join("src")).expect("mkdir");
    std::fs::write(tmp.path().join("src/main.rs"), "fn main() {}\n").expect("write");
    let out = teapot(tmp.path(), &["init"]);
    out.fails_with(2);
    out.says(&["src/main.rs"]);
    assert!(!out.stderr.contains("teapot.toml"), "{out}");
    assert_eq!(files(tmp.path()), ["src/main.rs"]);

    // Another app label beside the first is no conflict for its own files, but teapot.toml is.
    let tmp = tempfile::tempdir().expect("temp dir");
    teapot(tmp.path(), &["init", "-q"]).ok();
    teapot(tmp.path(), &["init", "--app", "blog"]).fails_with(2).contains("teapot.toml");
}

#[test]
fn init_in_an_existing_crate_leaves_its_cargo_toml_and_main_alone() {
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::write(tmp.path().join("Cargo.toml"), "[package]\nname = \"mine\"\n").expect("write");
    let out = teapot(tmp.path(), &["init", "--app", "blog"]);
    let stdout = out.ok();
    assert_eq!(files(tmp.path()), ["Cargo.toml", "src/blog/mod.rs", "src/blog/models.rs", "teapot.toml"], "{out}");
    assert_eq!(std::fs::read_to_string(tmp.path().join("Cargo.toml")).expect("read"), "[package]\nname = \"mine\"\n");
    assert!(stdout.contains("mod blog;") && stdout.contains("teapot = \"0.1\"") && stdout.contains("tokio"), "{out}");
    assert_eq!(next_commands(stdout), ["teapot makemigrations", "teapot migrate", "cargo build"], "{out}");
    let models = std::fs::read_to_string(tmp.path().join("src/blog/models.rs")).expect("read");
    assert!(models.contains("#[teapot(app = \"blog\")]"), "{models}");
    // The project it wrote is one teapot reads.
    let out = teapot(tmp.path(), &["makemigrations"]);
    assert!(out.ok().contains("migrations/blog/0001_initial.toml"), "{out}");
}

#[test]
fn init_refuses_a_label_or_url_it_cannot_use() {
    let tmp = tempfile::tempdir().expect("temp dir");
    for (args, says) in [
        (&["init", "--app", "My-App"][..], "--app My-App: an app label is lower-case letters, digits and _"),
        (&["init", "--app", "type"], "`type` is taken"),
        (&["init", "--database-url", "mysql://x"], "--database-url"),
        (&["init", "--teapot-path", "/nonexistent/teapot"], "--teapot-path /nonexistent/teapot"),
    ] {
        let out = teapot(tmp.path(), args);
        out.fails_with(2);
        out.says(&[says]);
    }
    assert!(files(tmp.path()).is_empty(), "a refused init wrote {:?}", files(tmp.path()));
}

#[tokio::test]
async fn init_for_postgres_makes_migrate_online_by_default() {
    let db = TestDb::postgres().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = teapot(tmp.path(), &["init", "--database-url", &db.url]);
    assert!(out.ok().contains("migrate runs online by default"), "{out}");
    let toml = std::fs::read_to_string(tmp.path().join("teapot.toml")).expect("read");
    assert!(toml.contains("\n[migrate]\nonline = true\n"), "{toml}");
    assert!(!toml.contains("# [migrate]"), "{toml}");
    teapot(tmp.path(), &["makemigrations"]).ok();
    let out = teapot(tmp.path(), &["migrate", "-v"]);
    let said = out.ok();
    assert!(said.contains("Mode: online ([migrate] online = true in teapot.toml; --plain opts out)"), "{out}");
    assert!(said.contains("step 1/"), "online migrate prints its steps\n{out}");
    // And a SQLite project has the setting explained, not set.
    let tmp = tempfile::tempdir().expect("temp dir");
    teapot(tmp.path(), &["init", "-q"]).ok();
    let toml = std::fs::read_to_string(tmp.path().join("teapot.toml")).expect("read");
    assert!(toml.contains("# [migrate]\n# online = true\n"), "{toml}");
}
