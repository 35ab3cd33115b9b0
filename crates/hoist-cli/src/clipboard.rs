//! `--copy`: puts a link on the system clipboard.
//!
//! On X11 clipboard content lives only as long as the process that owns it, and a
//! `hoist` command ends right after printing. So, like xclip, `hoist` hands the text
//! to a small background copy of itself (`hoist __clipboard-hold`) that owns the
//! clipboard until another application takes it over or 10 minutes pass (a clipboard
//! manager, when running, keeps it after that). The parent
//! waits for "ok" from it, so a missing display is still reported to the user.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the background holder keeps the link available at most
/// (`HOIST_CLIPBOARD_HOLD_SECS` overrides it, e.g. in tests).
fn hold_for() -> Duration {
    std::env::var("HOIST_CLIPBOARD_HOLD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(10 * 60))
}

fn no_display() -> Option<String> {
    let set = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
    (!set("DISPLAY") && !set("WAYLAND_DISPLAY")).then(|| {
        "cannot copy to the clipboard: no display (DISPLAY and WAYLAND_DISPLAY are not set)"
            .to_owned()
    })
}

/// Copies `text` and returns once it is on the clipboard.
pub fn copy(text: &str) -> Result<(), String> {
    if let Some(e) = no_display() {
        return Err(e);
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the hoist binary: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.arg("__clipboard-hold")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        // Its own process group: a Ctrl-C in the terminal does not end the holder.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start the clipboard holder: {e}"))?;
    {
        let mut stdin = child.stdin.take().expect("piped");
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot hand the link to the clipboard holder: {e}"))?;
    }
    let mut first = String::new();
    let _ = BufReader::new(child.stdout.take().expect("piped")).read_line(&mut first);
    if first.trim() == "ok" {
        return Ok(());
    }
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    let _ = child.wait();
    Err(if err.trim().is_empty() {
        "cannot copy to the clipboard".to_owned()
    } else {
        err.trim().to_owned()
    })
}

/// The holder: reads the text from stdin, owns the clipboard until replaced or timed out.
pub fn hold() -> std::process::ExitCode {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("cannot read the text to copy: {e}");
        return std::process::ExitCode::FAILURE;
    }
    if let Some(e) = no_display() {
        eprintln!("{e}");
        return std::process::ExitCode::FAILURE;
    }
    let mut clipboard = match arboard::Clipboard::new() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot open the clipboard: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("ok");
    let _ = std::io::stdout().flush();
    // arboard's wait does not return when the X server goes away: a watchdog makes
    // sure the holder never outlives its time.
    let limit = hold_for() + Duration::from_secs(2);
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        std::process::exit(0);
    });
    #[cfg(target_os = "linux")]
    {
        use arboard::SetExtLinux;
        if let Err(e) = clipboard
            .set()
            .wait_until(Instant::now() + hold_for())
            .text(text)
        {
            eprintln!("cannot copy to the clipboard: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = hold_for();
        let _ = Instant::now();
        if let Err(e) = clipboard.set_text(text) {
            eprintln!("cannot copy to the clipboard: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    std::process::ExitCode::SUCCESS
}
