//! Progress on stderr: a bar with rate and ETA when stderr is a terminal, nothing otherwise
//! (logs and CI output stay clean; `--json` never mixes progress into stdout).

use std::io::IsTerminal;

/// Receives progress events from a signing run (called from several device threads).
pub trait Progress: Sync {
    fn start(&self, total: u64);
    fn working_on(&self, address: &str);
    fn advance(&self);
    fn finish(&self);
    /// Something the operator must read before confirming (what a batch's screen will show).
    fn notice(&self, text: &str);
}

/// No output.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _total: u64) {}
    fn working_on(&self, _address: &str) {}
    fn advance(&self) {}
    fn finish(&self) {}
    fn notice(&self, _text: &str) {}
}

/// No bar (stderr is not a terminal), but the operator's notices on stderr, one per line.
pub struct NoticesOnly;

impl Progress for NoticesOnly {
    fn start(&self, _total: u64) {}
    fn working_on(&self, _address: &str) {}
    fn advance(&self) {}
    fn finish(&self) {}
    fn notice(&self, text: &str) {
        eprintln!("{}", crate::escape::for_terminal(text));
    }
}

/// An indicatif bar on stderr.
pub struct Bar(indicatif::ProgressBar);

impl Bar {
    /// A bar when stderr is a terminal, otherwise `None` (use [`Quiet`]).
    pub fn for_terminal() -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} {per_sec} eta {eta} confirm on the device: {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(Bar(bar))
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn working_on(&self, address: &str) {
        self.0
            .set_message(crate::escape::for_terminal(address).into_owned());
    }
    fn advance(&self) {
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
    fn notice(&self, text: &str) {
        self.0.println(crate::escape::for_terminal(text));
    }
}
