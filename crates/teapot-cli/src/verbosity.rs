//! The one global `-v` / `-q`: how much a command says besides what it is run for. What a
//! command is run for (sqlmigrate's SQL, showmigrations' list, check's findings, a completion
//! script, an error) is printed whatever the level; the rest follows it.

use std::sync::atomic::{AtomicI8, Ordering};

/// -1 quiet, 0 normal, 1 and up verbose. Set once, by `main`, before a command runs.
static LEVEL: AtomicI8 = AtomicI8::new(0);

/// Sets the level from the flags (clap refuses both at once).
pub(crate) fn set(verbose: u8, quiet: bool) {
    let level = if quiet { -1 } else { verbose.min(i8::MAX as u8) as i8 };
    LEVEL.store(level, Ordering::Relaxed);
}

/// `-q`: errors and the command's product only, no progress or summary.
pub(crate) fn quiet() -> bool {
    LEVEL.load(Ordering::Relaxed) < 0
}

/// `-v`: also the details (the files makemigrations writes, the mode migrate and check use and why).
pub(crate) fn verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) > 0
}
