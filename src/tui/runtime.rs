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

/// After a termination signal, gives the event loop a moment to leave on
/// its own, then restores the terminal and ends the process. The loop can
/// be stuck inside the terminal library: on a terminal that hung up
/// (its window closed), reading input returns end-of-file at once, forever.
fn watchdog(stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(500));
        restore();
        std::process::exit(EXIT_SIGNALLED);
    });
}

/// The exit code when a signal ended the viewer before it could leave.
const EXIT_SIGNALLED: i32 = 129;

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

/// Time given to pending work between two looks at the keyboard.
const WORK_PER_DRAW: Duration = Duration::from_millis(40);

/// Ctrl-Z: gives the terminal back, stops the process as the shell's job
/// control expects, and takes the terminal again when continued.
fn suspend(terminal: &mut Terminal<CrosstermBackend<Stdout>>) -> io::Result<()> {
    restore();
    #[cfg(unix)]
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    terminal.clear()
}

/// Input events handled between two draws at most.
const MAX_EVENTS_PER_DRAW: usize = 256;

/// Runs the viewer until the user quits or a termination signal arrives.
pub fn run(app: &mut App) -> io::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    let _guard = Guard;
    watchdog(stop.clone());
    let mut terminal = setup()?;
    loop {
        let size = terminal.size()?;
        app.update(Action::Resize(size.width, size.height));
        // Work in slices for a moment, then read keys again: a long
        // search or filter never holds the keyboard.
        app.pump_for(WORK_PER_DRAW);
        terminal.draw(|f| view::draw(f, app))?;
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
        // Take the waiting events before drawing again, but a bounded
        // number: a terminal that hung up can report input forever, and
        // the stop flag and the terminal checks above must still run.
        for _ in 0..MAX_EVENTS_PER_DRAW {
            let action = match event::read()? {
                Event::Key(k) => keymap::key(app.key_context(), k),
                Event::Mouse(m) => keymap::mouse(m),
                _ => None,
            };
            match action {
                Some(Action::Suspend) => {
                    suspend(&mut terminal)?;
                    break;
                }
                Some(a) => app.update(a),
                None => {}
            }
            if app.quit || stop.load(Ordering::Relaxed) || !event::poll(Duration::ZERO)? {
                break;
            }
        }
    }
    drop(terminal);
    Ok(())
}
