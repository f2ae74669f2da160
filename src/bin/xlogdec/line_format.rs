//! `--line-format FILE`: a user-defined line shape, else the one in the
//! user's configuration directory.

use std::path::PathBuf;

use xlogdec::record::formats::custom::{self, CustomFormat};

/// The flag that names a user-defined line shape.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LineFormatArgs {
    /// A user-defined line shape (a TOML file: regex with named groups, level
    /// map, time format; see the README). Default:
    /// $XDG_CONFIG_HOME/xlogdec/line-format.toml (or
    /// ~/.config/xlogdec/line-format.toml) when that file exists.
    #[arg(long, value_name = "FILE")]
    pub line_format: Option<PathBuf>,
}

impl LineFormatArgs {
    /// Loads and installs the shape, if one is given or configured; an
    /// error names the file and the problem.
    pub fn install(&self) -> Result<(), String> {
        let path = match &self.line_format {
            Some(p) => p.clone(),
            None => match config_file() {
                Some(p) if p.is_file() => p,
                _ => return Ok(()),
            },
        };
        let format = CustomFormat::load(&path).map_err(|e| e.to_string())?;
        custom::install(format);
        Ok(())
    }
}

/// Where a user's line shape is looked for when no flag names one.
fn config_file() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(base.join("xlogdec").join("line-format.toml"))
}
