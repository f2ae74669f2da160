//! `--generate`: shell completions and the man page, from the same clap
//! definition as the parser, so they never drift from the flags.

use std::io::{self, Write};

/// What to generate.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generate {
    /// A man page (roff), e.g. `xlogdec --generate man > xlogdec.1`.
    Man,
    /// Bash completions.
    Bash,
    /// Zsh completions.
    Zsh,
    /// Fish completions.
    Fish,
    /// PowerShell completions.
    Powershell,
    /// Elvish completions.
    Elvish,
}

/// Writes `what` for `cmd` to stdout; returns the exit code.
pub fn run(what: Generate, mut cmd: clap::Command) -> i32 {
    use clap_complete::Shell;
    let mut out = io::stdout().lock();
    let shell = match what {
        Generate::Man => {
            return match clap_mangen::Man::new(cmd)
                .render(&mut out)
                .and_then(|()| out.flush())
            {
                Ok(()) => 0,
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
                Err(e) => {
                    eprintln!("xlogdec: cannot write the man page: {e}");
                    2
                }
            };
        }
        Generate::Bash => Shell::Bash,
        Generate::Zsh => Shell::Zsh,
        Generate::Fish => Shell::Fish,
        Generate::Powershell => Shell::PowerShell,
        Generate::Elvish => Shell::Elvish,
    };
    let name = cmd.get_name().to_string();
    clap_complete::generate(shell, &mut cmd, name, &mut out);
    0
}
