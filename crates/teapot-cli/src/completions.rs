//! `teapot completions SHELL`: the shell completion script, generated from the same argument
//! definitions the command parses with, so it never lists a flag that is not there.

use clap::CommandFactory;
use clap_complete::Shell;

use teapot_core::Result;

/// Print a completion script for a shell on standard output.
///
/// bash: `teapot completions bash > ~/.local/share/bash-completion/completions/teapot`;
/// zsh: `teapot completions zsh > "${fpath[1]}/_teapot"`;
/// fish: `teapot completions fish > ~/.config/fish/completions/teapot.fish`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    shell: CompletionShell,
}

/// The shells a script is written for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CompletionShell {
    /// bash (with bash-completion).
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

pub(super) fn run(a: Args) -> Result<i32> {
    let shell = match a.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut cmd = super::Cli::command();
    clap_complete::generate(shell, &mut cmd, "teapot", &mut std::io::stdout());
    Ok(0)
}
