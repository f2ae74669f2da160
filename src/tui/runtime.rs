//! The terminal edge: raw mode and the alternate screen on the way in,
//! always undone on the way out (`q`, Ctrl-C, SIGTERM, SIGHUP, a panic).

use std::io::{self, Stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::{keymap, view};

/// Puts the terminal back as it was. Safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped, also while unwinding.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

fn setup() -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// Runs the viewer until the user quits or a termination signal arrives.
pub fn run(mut app: App) -> io::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    let _guard = Guard;
    let mut terminal = setup()?;
    loop {
        let size = terminal.size()?;
        app.update(Action::Resize(size.width, size.height));
        app.pump();
        terminal.draw(|f| view::draw(f, &app))?;
        if app.quit || stop.load(Ordering::Relaxed) {
            break;
        }
        let wait = if app.busy() {
            Duration::from_millis(5)
        } else {
            Duration::from_millis(100)
        };
        if !event::poll(wait)? {
            continue;
        }
        // Take every waiting event before drawing again.
        loop {
            let action = match event::read()? {
                Event::Key(k) => keymap::key(app.key_context(), k),
                Event::Mouse(m) => keymap::mouse(m),
                _ => None,
            };
            if let Some(a) = action {
                app.update(a);
            }
            if app.quit || !event::poll(Duration::ZERO)? {
                break;
            }
        }
    }
    drop(terminal);
    Ok(())
}
