//! What the command line prints: payload text made harmless for a terminal, and a closed pipe
//! ending the command quietly.
//!
//! Payload text comes from whoever can post to the webhook URL or hand over a file to import.
//! Printed raw, an escape sequence in a summary could recolour or clear the screen, move the
//! cursor to rewrite earlier lines, set the window title, or (in some terminals) answer back with
//! typed input. [`visible`] shows every control character except newline and tab as an escape
//! (`\x1b`, `\u{9b}`), and the bidirectional overrides that reorder how a line reads as well.
//! Applied to every human-readable line, on a terminal or not, so what a pager or a log file
//! shows is the same text; `--json` output is JSON-escaped by serde (C0 controls as `\u001b`).
//!
//! `postcall calls | head -1`: once `head` has its line it closes the pipe, and the next write
//! fails with `EPIPE`. That is the reader saying it has enough, not an error: [`emit`] and the
//! panic hook [`quiet_on_closed_pipe`] installs (for `println!`) end the process with status 0
//! and nothing on stderr, as tools killed by `SIGPIPE` do.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

/// Whether `c` is shown as an escape: C0 controls but `\n` and `\t`, DEL, C1 controls, and the
/// bidirectional embeddings, overrides and isolates.
fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with each control character shown as a visible escape (`\x1b`, `\x7f`, `\u{9b}`).
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !is_hidden(c) => out.push(c),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Writes `text` to standard output. A closed pipe ends the process quietly with status 0; any
/// other write error ends it with a message and status 1.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        exit_on_write_error(&e);
    }
}

/// Ends the process after a failed write to standard output: quietly (status 0) when the reader
/// closed the pipe, else with the error (status 1).
pub fn exit_on_write_error(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    let _ = writeln!(std::io::stderr(), "error: cannot write the output: {e}");
    std::process::exit(1);
}

/// Makes a `println!` into a closed pipe end the process quietly, as [`emit`] does, instead of
/// panicking with "failed printing to stdout: Broken pipe". Other panics are reported as before.
pub fn quiet_on_closed_pipe() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.to_string();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        previous(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(visible("plain\ttext\nline two"), "plain\ttext\nline two");
        assert!(matches!(visible("é ü 日本"), Cow::Borrowed(_)));
        assert_eq!(visible("\u{1b}[2J\u{1b}]0;title\u{7}"), "\\x1b[2J\\x1b]0;title\\x07");
        assert_eq!(visible("a\rb\0c\u{7f}"), "a\\x0db\\x00c\\x7f");
        assert_eq!(visible("\u{9b}31m \u{85}"), "\\u{9b}31m \\u{85}", "C1 controls");
        assert_eq!(visible("abc\u{202e}fed"), "abc\\u{202e}fed", "a right-to-left override");
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let shown = visible(&c.to_string()).into_owned();
            assert!(!shown.chars().any(is_hidden), "{c:?} -> {shown:?}");
        }
    }
}
