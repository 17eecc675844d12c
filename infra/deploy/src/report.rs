//! What a deploy prints: steps, stack events with the time since the deploy started, and errors in red on a
//! terminal. Tests print into a buffer and read it back.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Where the deploy's progress goes.
pub struct Printer {
    out: Box<dyn Write + Send>,
    pub color: bool,
    started: Instant,
}

impl std::fmt::Debug for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer").field("color", &self.color).finish_non_exhaustive()
    }
}

impl Printer {
    /// Standard error, colored when it is a terminal.
    pub fn stderr() -> Self {
        use std::io::IsTerminal;
        Printer { out: Box::new(std::io::stderr()), color: std::io::stderr().is_terminal(), started: Instant::now() }
    }

    /// A buffer that the caller reads (`Captured::text`).
    pub fn captured() -> (Self, Captured) {
        let buffer = Captured::default();
        (Printer { out: Box::new(buffer.clone()), color: false, started: Instant::now() }, buffer)
    }

    pub fn step(&mut self, text: &str) {
        let _ = writeln!(self.out, "\n==> {text}");
    }

    pub fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }

    /// A stack event, with the time since the deploy started.
    pub fn event(&mut self, text: &str) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let _ = writeln!(self.out, "    [{elapsed:>6.1}s] {text}");
    }

    pub fn error(&mut self, text: &str) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let line = format!("    [{elapsed:>6.1}s] {text}");
        let _ = match self.color {
            true => writeln!(self.out, "\x1b[31m{line}\x1b[0m"),
            false => writeln!(self.out, "{line}"),
        };
    }
}

/// A shared text buffer.
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        self.0.lock().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
