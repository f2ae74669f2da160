//! End to end: the real `xlogdec view` in a real terminal (tmux), driven
//! with `send-keys` and read back with `capture-pane`. Skips, saying so,
//! where tmux is not installed (`.ci/run` installs it).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn capture(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Waits until the screen satisfies `ok`; panics with the screen if not.
    fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_up_to(Duration::from_secs(30), what, ok)
    }

    /// `wait` for a step that reads the whole of a big file: loading it or
    /// searching every row (seconds on an idle machine, more while other
    /// tests compete for the cores).
    fn wait_long(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_up_to(Duration::from_secs(240), what, ok)
    }

    fn wait_up_to(&self, limit: Duration, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.capture();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > limit {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

/// Log rows on screen: the lines above the status bar.
fn rows(screen: &str) -> Vec<&str> {
    let lines: Vec<&str> = screen.lines().collect();
    let status = lines
        .iter()
        .position(|l| l.contains(" of ") && l.contains(" V") && l.contains(" F"))
        .expect("status bar");
    lines[..status].to_vec()
}

fn tmux_missing() -> bool {
    if Command::new("tmux").arg("-V").output().is_err() {
        common::skip_loudly("view_tmux", "tmux is not installed (apt-get install tmux)");
        return true;
    }
    false
}

/// A tmux server of its own with a shell whose prompt is `xl$ `.
fn session(name: &str) -> Tmux {
    let t = Tmux {
        socket: format!("xlogdec-test-{name}-{}", std::process::id()),
    };
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "30",
        "env PS1='xl$ ' TERM=xterm-256color sh",
    ]);
    t.wait("the shell prompt", |s| s.contains("xl$"));
    t
}

/// After the viewer ended: a prompt, and the terminal back in cooked mode
/// with echo (raw mode would show `-icanon -echo`).
fn assert_restored(t: &Tmux) {
    t.keys(&[
        "clear; stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo",
        "Enter",
    ]);
    let s = t.wait("stty output", |s| s.lines().any(|l| l.trim() == "echo"));
    assert!(
        s.lines().any(|l| l.trim() == "icanon"),
        "raw mode left on:\n{s}"
    );
    assert!(!s.contains("[E][20"), "viewer residue:\n{s}");
}

/// A tmux session running the viewer on a corpus file; returns the
/// session and the viewer's pid.
fn viewer_with_pid(name: &str) -> (Tmux, String) {
    let bin = env!("CARGO_BIN_EXE_xlogdec");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus/b_async_zlib.xlog");
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let t = session(name);
    let cmd = format!(
        "sh -c 'echo $$ > {}; exec {bin} view {}'",
        pidfile.display(),
        file.display()
    );
    t.keys(&[&cmd, "Enter"]);
    t.wait("the viewer", |s| s.contains(" of ") && s.contains("? help"));
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    (t, pid.trim().to_string())
}

#[test]
fn sigterm_and_ctrl_c_restore_the_terminal() {
    if tmux_missing() {
        return;
    }
    let (t, pid) = viewer_with_pid("signal");
    let bin = env!("CARGO_BIN_EXE_xlogdec");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus/b_async_zlib.xlog");
    let killed = Command::new("kill")
        .args(["-TERM", pid.as_str()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    t.wait("the prompt after SIGTERM", |s| {
        !s.contains("? help") && s.lines().any(|l| l.trim_end() == "xl$")
    });
    assert_restored(&t);

    t.keys(&["clear", "Enter"]);
    // Type the next command only once the screen is cleared: typed ahead,
    // its echo would be wiped and the prompts would share a line.
    t.wait("a cleared screen", |s| {
        let l: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
        l.len() == 1 && l[0].trim_end() == "xl$"
    });
    let cmd = format!("{bin} view {}", file.display());
    t.keys(&[&cmd, "Enter"]);
    t.wait("the viewer", |s| s.contains(" of ") && s.contains("? help"));
    t.keys(&["/"]);
    t.wait("the search prompt", |s| {
        s.lines().any(|l| l.starts_with('/'))
    });
    t.keys(&["C-c"]);
    t.wait("the prompt after Ctrl-C", |s| {
        !s.contains("? help") && s.lines().any(|l| l.trim_end() == "xl$")
    });
    assert_restored(&t);
}

#[test]
fn level_search_and_clean_exit_in_tmux() {
    if tmux_missing() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_xlogdec");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus/b_async_zlib.xlog");
    let t = session("keys");
    let cmd = format!("{bin} view {}", file.display());
    t.keys(&[&cmd, "Enter"]);
    t.wait("the first screen", |s| {
        s.contains("/1525 of") || s.contains(" of 1")
    });
    t.wait("loading to finish", |s| !s.contains("loading"));

    t.keys(&["5"]);
    let s = t.wait("the level filter", |s| s.contains("[>=E]"));
    let shown = rows(&s);
    assert!(shown.len() > 5, "{s}");
    for line in &shown {
        let text = line.get(4..).unwrap_or("");
        assert!(
            text.starts_with("[E]") || text.starts_with("[F]"),
            "a row below E after pressing 5: {line}\n{s}"
        );
    }

    t.keys(&["/"]);
    t.wait("the search prompt", |s| {
        s.lines().any(|l| l.starts_with('/'))
    });
    t.keys(&["-l", "heartbeat"]);
    t.keys(&["Enter"]);
    let s = t.wait("the cursor on a match", |s| {
        rows(s)
            .iter()
            .any(|l| l.starts_with('>') && l.to_lowercase().contains("heartbeat"))
    });
    assert!(!s.contains("pattern not found"), "{s}");

    t.keys(&["q"]);
    let s = t.wait("the shell prompt after quitting", |s| {
        s.lines().filter(|l| l.starts_with("xl$")).count() >= 2
    });
    // The viewer left nothing behind: the command line and a fresh prompt.
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines[0].starts_with("xl$ ") && s.contains("view"), "{s}");
    assert_eq!(lines.last().map(|l| l.trim_end()), Some("xl$"), "{s}");
    assert!(
        !s.contains("[>=E]") && !s.contains("[E][20") && !s.contains("help"),
        "viewer residue after q:\n{s}"
    );
}

/// Guards against a viewer left spinning at full CPU after its terminal
/// went away: on a hung-up terminal, reading input returns end-of-file
/// forever inside the terminal library, so the hang-up signal must still
/// end the process.
#[test]
fn the_viewer_ends_when_its_terminal_goes_away() {
    if tmux_missing() {
        return;
    }
    let (t, pid) = viewer_with_pid("hangup");
    let proc_dir = Path::new("/proc").join(&pid);
    assert!(proc_dir.exists(), "the viewer runs");
    drop(t); // kill-server: the terminal hangs up
    let start = std::time::Instant::now();
    while proc_dir.exists() {
        // A zombie awaiting its parent has ended too.
        let state = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
        if state.split_whitespace().nth(2) == Some("Z") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the viewer still runs 10 s after its terminal went away"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The viewer's peak resident memory, from `/proc/PID/status`, in MiB.
fn peak_rss_mib(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A file of users' size: 3,400 copies of a corpus file (257 MB of xlog,
/// 1.02 GB decoded, 5,134,000 rows), built here. The first screen shows
/// while it loads, `G` follows the end, a search over the whole file
/// answers, Ctrl-C stops a search in its first slice (the viewer stays),
/// and the viewer's peak memory stays at most 200 MiB, a fifth of the text
/// it shows. `benches/view_big.sh` times the same steps on a release build.
#[test]
fn a_big_file_answers_g_search_and_ctrl_c() {
    if tmux_missing() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_xlogdec");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("day.xlog");
    let one = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus/b_async_zlib.xlog"),
    )
    .unwrap();
    const COPIES: usize = 3_400;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for _ in 0..COPIES {
        out.write_all(&one).unwrap();
    }
    out.into_inner().unwrap().sync_all().unwrap();
    let pidfile = dir.path().join("pid");
    let t = session("big");
    let cmd = format!(
        "sh -c 'echo $$ > {}; exec {bin} view {}'",
        pidfile.display(),
        file.display()
    );
    t.keys(&[&cmd, "Enter"]);
    t.wait("the first screen", |s| {
        s.contains(" of ") && s.contains("? help")
    });
    let pid = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .to_string();

    // G at once: the cursor follows the end as the file loads.
    t.keys(&["G"]);
    let total = COPIES * 1_510;
    let s = t.wait_long("the last row after loading", |s| {
        s.contains(&format!("{total}/{total} of {total}")) && !s.contains("loading")
    });
    assert!(rows(&s).iter().any(|l| l.starts_with('>')), "{s}");

    // A search for a word that is nowhere scans every row, then says so.
    t.keys(&["/"]);
    t.wait("the search prompt", |s| {
        s.lines().any(|l| l.starts_with('/'))
    });
    t.keys(&["-l", "no such word"]);
    t.keys(&["Enter"]);
    t.wait_long("the answer", |s| s.contains("pattern not found"));

    // Ctrl-C right after Enter: the search stops in its first slice, and
    // the viewer stays.
    t.keys(&["g", "/"]);
    t.wait("the search prompt", |s| {
        s.lines().any(|l| l.starts_with('/'))
    });
    t.keys(&["-l", "nowhere at all"]);
    t.keys(&["Enter", "C-c"]);
    let s = t.wait("the search stopped", |s| s.contains("cancelled"));
    assert!(s.contains("? help") || s.contains(" of "), "{s}");
    t.keys(&["G"]);
    t.wait("G after Ctrl-C", |s| {
        s.contains(&format!("{total}/{total} of {total}"))
    });

    let rss = peak_rss_mib(&pid).expect("the viewer's memory");
    eprintln!("view_tmux: peak RSS {rss:.1} MiB for 1.02 GB of text");
    assert!(
        rss <= 200.0,
        "peak RSS {rss:.0} MiB for 1.02 GB of text: more than 200 MiB"
    );
    t.keys(&["q"]);
    t.wait("the shell prompt", |s| {
        s.lines().filter(|l| l.starts_with("xl$")).count() >= 2
    });
}

/// Ctrl-Z hands the terminal back to the shell (restored, the job
/// stopped), and `fg` brings the viewer back, still answering keys.
#[test]
fn ctrl_z_suspends_and_fg_resumes() {
    if tmux_missing() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_xlogdec");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus/b_async_zlib.xlog");
    let t = session("suspend");
    let cmd = format!("{bin} view {}", file.display());
    t.keys(&[&cmd, "Enter"]);
    t.wait("the viewer", |s| s.contains(" of ") && s.contains("? help"));
    t.keys(&["C-z"]);
    t.wait("the stopped job", |s| {
        s.contains("Stopped") && !s.contains("? help")
    });
    t.keys(&["fg", "Enter"]);
    t.wait("the viewer again", |s| {
        s.contains(" 1/") && s.contains("? help")
    });
    t.keys(&["j"]);
    t.wait("a key answered", |s| s.contains(" 2/"));
    t.keys(&["q"]);
    t.wait("the shell prompt", |s| {
        s.lines().filter(|l| l.starts_with("xl$")).count() >= 2 && !s.contains("? help")
    });
}

/// An IM SDK day in a real terminal: key `5` leaves only E and F rows (the
/// `TIM:` lines are records with levels, not continuations of the Mars
/// banner), and the status line names the SDK version.
#[test]
fn imsdk_day_by_level_in_tmux() {
    if tmux_missing() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_xlogdec");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imsdk/imsdk_20240312.xlog");
    let t = session("imsdk");
    let cmd = format!("{bin} view {}", file.display());
    t.keys(&[&cmd, "Enter"]);
    let s = t.wait("loading to finish", |s| {
        s.contains(" of 592") && !s.contains("loading")
    });
    assert!(s.contains("SDK 8.1.6108"), "{s}");
    t.keys(&["5"]);
    let s = t.wait("the level filter", |s| s.contains("[>=E]"));
    let shown = rows(&s);
    assert!(shown.len() > 5, "{s}");
    for line in &shown {
        let level = line.get(4 + 29..4 + 30);
        assert!(
            matches!(level, Some("E" | "F")),
            "a row below E after pressing 5: {line}\n{s}"
        );
    }
    assert!(s.contains("SDK 8.1.6108"), "{s}");
    t.keys(&["q"]);
    t.wait("the shell prompt after quitting", |s| {
        s.lines().filter(|l| l.starts_with("xl$")).count() >= 2
    });
}

/// The IM SDK findings pane: `i` opens it, `G` selects the last finding
/// (the day's last failed send, code 8001 at 14:21:42.483), Enter closes
/// it with the cursor on that line.
#[test]
fn imsdk_findings_pane_enter_jumps_to_the_line_in_tmux() {
    if tmux_missing() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_xlogdec");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imsdk/imsdk_20240312.xlog");
    let t = session("findings");
    let cmd = format!("{bin} view {}", file.display());
    t.keys(&[&cmd, "Enter"]);
    t.wait("the viewer", |s| s.contains(" of ") && s.contains("? help"));
    t.wait("loading to finish", |s| !s.contains("loading"));
    t.keys(&["i"]);
    t.wait("the findings pane", |s| s.contains("IM SDK findings ("));
    t.keys(&["G"]);
    t.wait("the last finding selected", |s| {
        s.lines()
            .any(|l| l.contains("> 14:21:42.483 send_failed") && l.contains("code 8001"))
    });
    t.keys(&["Enter"]);
    let s = t.wait("the pane closed", |s| !s.contains("IM SDK findings ("));
    let cursor = rows(&s)
        .into_iter()
        .find(|l| l.starts_with('>'))
        .unwrap_or_else(|| panic!("no cursor row:\n{s}"));
    assert!(
        cursor.contains("14:21:42.483") && cursor.contains("message_sender.cpp:1052"),
        "the cursor is not on the finding's line: {cursor}\n{s}"
    );
    assert_eq!(cursor.chars().nth(2), Some('!'), "code marker: {cursor}");
    t.keys(&["q"]);
    t.wait("the prompt", |s| {
        !s.contains("? help") && s.lines().any(|l| l.trim_end() == "xl$")
    });
}
