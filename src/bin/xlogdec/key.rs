//! The private key for encrypted logs: one set of flags, one loader, shared
//! by every command that decodes.

use std::path::PathBuf;
use xlogdec::decode::codec::PrivateKey;

/// Environment variable that may hold the private key (hex).
pub const KEY_ENV: &str = "XLOGDEC_PRIVATE_KEY";

/// Where the private key comes from: `--key-file`, `--key`, or the
/// `XLOGDEC_PRIVATE_KEY` environment variable, in that order.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct KeyArgs {
    /// Read the private key (64 hex characters) for encrypted logs from FILE.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,

    /// The private key in hex. Visible to other users in the process list:
    /// prefer --key-file or the XLOGDEC_PRIVATE_KEY environment variable.
    #[arg(long, value_name = "HEX", hide_short_help = true)]
    pub key: Option<String>,
}

impl KeyArgs {
    /// The key, if one was given; an error names what was wrong with it.
    pub fn load(&self) -> Result<Option<PrivateKey>, String> {
        let text = if let Some(path) = &self.key_file {
            Some(
                std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read key file {}: {e}", path.display()))?,
            )
        } else if let Some(k) = &self.key {
            Some(k.clone())
        } else {
            std::env::var(KEY_ENV).ok().filter(|v| !v.trim().is_empty())
        };
        text.map(|t| PrivateKey::from_hex(&t).map_err(|e| e.to_string()))
            .transpose()
    }

    /// [`KeyArgs::load`] for a command: an error is said on stderr after
    /// `cmd` (`xlogdec info: ...`) and becomes the exit code 2.
    pub fn load_for(&self, cmd: &str) -> Result<Option<PrivateKey>, i32> {
        self.load().map_err(|e| {
            eprintln!("{cmd}: {e}");
            2
        })
    }
}
