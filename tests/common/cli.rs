//! The real `teapot` binary, run in a project folder.

use std::path::Path;
use std::process::Command;

/// What one run of the binary did.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts exit 0 and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success\n{self}");
        &self.stdout
    }

    /// Asserts this exit code and returns stderr.
    pub fn fails_with(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "expected exit code {code}\n{self}");
        &self.stderr
    }

    /// Asserts that stderr holds every piece.
    pub fn says(&self, pieces: &[&str]) {
        for p in pieces {
            assert!(self.stderr.contains(p), "stderr lacks {p:?}\n{self}");
        }
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit code {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// The `teapot` binary beside this test's own executable (it belongs to the teapot-cli crate, so
/// Cargo neither builds it for this crate's tests nor hands them its path: scripts/test.sh builds it).
pub fn teapot_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/<test> -> target/<profile>/teapot
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("the test runs from target/<profile>/deps");
    let bin = dir.join(format!("teapot{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the tests with scripts/test.sh, or build it first: cargo build -p teapot-cli --features test-hooks",
        bin.display()
    );
    bin
}

/// Runs `teapot ARGS` in `dir`, with no DATABASE_URL from the environment and stdin closed (not a terminal).
pub fn teapot(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(teapot_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the teapot binary");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
