//! The auditor's report: one self-contained HTML page that shows what a verification proved.
//!
//! It is built from what the verifiers hand out as they run (every entry's or row's result,
//! then their report: the same numbers `--json` prints) and rendered with a template, with no
//! request to the network of any kind:
//!
//! - [`collect`]: the rows, as they are verified (the table's rows within a limit, the first
//!   failures, the listing for `--previous`);
//! - [`from_bundle`], [`from_okx`]: the page of each kind of input ([`model`] says what it
//!   shows; [`signed`] the challenge; [`diff`] the changes since the previous file);
//! - [`charts`]: SVG charts drawn with `plotters`;
//! - [`html`]: the template, the Content-Security-Policy and the table's JSON data.
//!
//! Every string from the input goes through [`shown`] (control, bidi and invisible characters
//! become visible escapes) and is then escaped for HTML by the template engine.

pub mod charts;
pub mod collect;
pub mod diff;
pub mod from_bundle;
pub mod from_okx;
pub mod html;
pub mod model;
pub mod rows;
pub mod signed;

pub use collect::{Collected, Collector};
pub use diff::{read_previous, Listing};
pub use from_bundle::{bundle_page, BundleSource};
pub use from_okx::{okx_page, OkxSource};
pub use html::render;
pub use model::{Page, PageOptions};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    #[error("--previous {path}")]
    PreviousBundle {
        path: String,
        #[source]
        source: crate::bundle::BundleError,
    },
    #[error("--previous {path}")]
    PreviousOkx {
        path: String,
        #[source]
        source: crate::okx::OkxError,
    },
    #[error("cannot draw a chart: {0}")]
    Chart(String),
    #[error("cannot render the page")]
    Template(#[from] minijinja::Error),
    #[error("cannot encode the table's data")]
    Data(#[source] serde_json::Error),
    #[error("cannot write the report {path}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Untrusted text as the page shows it: control, bidi and invisible characters as visible
/// escapes (`\u{202e}`), exactly as on the terminal, so that an address cannot reorder or hide
/// what is around it. HTML escaping is the template engine's job.
pub fn shown(text: &str) -> String {
    crate::escape::for_terminal(text).into_owned()
}

/// Writes the page to `path` (replacing an earlier report): to a temporary file beside it,
/// then renamed, so a reader never sees half a report.
pub fn write_page(path: &std::path::Path, html: &str) -> Result<(), ReportError> {
    let err = |source| ReportError::Write {
        path: path.display().to_string(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    // A report is for others to read: the usual mode of a new file, not a temporary file's.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut tmp = builder.tempfile_in(dir).map_err(err)?;
    std::io::Write::write_all(&mut tmp, html.as_bytes()).map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
