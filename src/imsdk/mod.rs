//! The IM SDK lens: what the Tencent IM SDK's log lines mean.
//!
//! [`rules`] holds the knowledge as data (which function names and codes
//! mean a login, a kick, a failed send; the error-code table), [`fields`]
//! reads the SDK's `key:value|key:value` messages, [`line`](mod@line) says what a record
//! of decoded text is (from the one record model), and [`engine`] turns the lines of one input into a
//! timeline of [`Finding`]s and a [`Summary`]. [`scan`] picks, out of
//! decoded text, the lines the rules can match and reads them ahead (on
//! the decoder's worker threads), and [`sink`] drives the engine from the
//! decoder's event stream.
//!
//! ```
//! use std::sync::Arc;
//! use xlogdec::imsdk::{Engine, Kind, RuleSet};
//! let mut engine = Engine::new(Arc::new(RuleSet::builtin()));
//! let text = "TIM: 2024-03-12 11:30:29.387 E 9014-9226       |-im_manager.cpp:96                       CheckInit                               |error_code:6013|error_message:sdk not init";
//! engine.record(1, text.as_bytes());
//! let summary = engine.finish();
//! let found: Vec<_> = engine.drain().collect();
//! assert_eq!(found[1].kind, Kind::Error);
//! assert_eq!(found[1].name.as_deref(), Some("ERR_SDK_NOT_INITIALIZED"));
//! assert_eq!(summary.codes, vec![(6013, 1)]);
//! ```

pub mod engine;
pub mod fields;
pub mod line;
pub mod rules;
pub mod scan;
pub mod sink;

pub use engine::{Engine, Finding, Kind, Summary};
pub use rules::{Confidence, RuleSet, RulesError};
