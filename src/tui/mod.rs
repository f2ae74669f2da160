//! The terminal viewer behind `xlogdec view`: one more sink of the
//! decoder's event stream.
//!
//! The shape is a model plus a pure update: [`app::App`] holds the whole
//! state, [`action::Action`] is what the user asked for,
//! [`app::App::update`] applies it without touching a terminal, and
//! [`view::draw`] only draws. [`keymap`] turns keys into actions;
//! [`runtime`] owns the terminal. Loading runs in a thread
//! ([`loader`]) that decodes with the library's [`crate::Decoder`] into
//! rows of a [`store::Store`], which keeps where each row's text lies and
//! decodes it again on demand (memory stays bounded whatever the file
//! size); filtered views are vectors of row numbers.
//!
//! ```no_run
//! use xlogdec::tui::{action::Action, app::App};
//! let mut app = App::open_file("imsdk_20240131.xlog".as_ref(), Default::default());
//! app.settle(); // wait for the whole file (a terminal run never waits)
//! app.update(Action::MinLevel(Some(xlogdec::record::Level::Error)));
//! app.settle();
//! println!("{} error rows", app.view.len());
//! ```

pub mod action;
pub mod app;
pub mod dir;
pub mod filters;
pub mod keymap;
pub mod lens;
pub mod loader;
pub mod printable;
pub mod retention;
pub mod runtime;
pub mod search;
pub mod store;
pub mod theme;
pub mod view;
