//! What can go wrong, as the command line words it, and the Python
//! exception each kind becomes (the classes live in `xlogdec/_errors.py`).

use pyo3::prelude::*;
use pyo3::types::PyAnyMethods;

/// Why a call failed. The message is the command line's error line without
/// its `xlogdec: ` prefix (`NAME: reason` for an input).
#[derive(Debug, Clone)]
pub enum Failure {
    /// The input is missing, unreadable, or failed while being read.
    Input {
        /// The input as named.
        file: String,
        /// The reason, worded as the command line words it.
        reason: String,
    },
    /// The input holds no valid block.
    NotXlog {
        /// The input as named.
        file: String,
    },
    /// The private key is not usable.
    Key(String),
    /// A record filter is not usable.
    Filter(String),
    /// A `diagnose` rules file is not usable.
    Rules(String),
    /// A decoding thread stopped unexpectedly.
    Internal(String),
}

/// The command line's words for a file that is not an xlog.
pub const NOT_XLOG: &str = "not an xlog file (no valid block found)";

impl Failure {
    /// The message, as the command line prints it after `xlogdec: `.
    pub fn message(&self) -> String {
        match self {
            Failure::Input { file, reason } => format!("{file}: {reason}"),
            Failure::NotXlog { file } => format!("{file}: {NOT_XLOG}"),
            Failure::Key(m) | Failure::Filter(m) | Failure::Rules(m) | Failure::Internal(m) => {
                m.clone()
            }
        }
    }

    /// The Python exception.
    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        let (class, file, reason) = match &self {
            Failure::Input { file, reason } => ("InputError", Some(file.clone()), reason.clone()),
            Failure::NotXlog { file } => ("NotAnXlogError", Some(file.clone()), NOT_XLOG.into()),
            Failure::Key(m) => ("InvalidKeyError", None, m.clone()),
            Failure::Filter(m) => ("FilterError", None, m.clone()),
            Failure::Rules(m) => ("RulesError", None, m.clone()),
            Failure::Internal(m) => ("XlogError", None, m.clone()),
        };
        let made = py
            .import("xlogdec._errors")
            .and_then(|m| m.getattr(class))
            .and_then(|c| c.call1((self.message(), file, reason)));
        match made {
            Ok(e) => PyErr::from_value(e),
            Err(e) => e,
        }
    }
}

/// A `Result` whose error becomes a Python exception.
pub trait OrRaise<T> {
    /// The value, or the failure as a Python exception.
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, Failure> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|f| f.into_pyerr(py))
    }
}
