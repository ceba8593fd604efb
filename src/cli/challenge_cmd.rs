//! `porsign challenge new|show`.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::output::Output;
use super::{ChallengeNewArgs, ChallengeShowArgs, CliError, Exit};
use crate::challenge::{Challenge, ChallengeParams};

#[derive(Serialize)]
struct ChallengeDoc<'a> {
    file: String,
    message: &'a str,
    sha256: String,
    audit: &'a str,
    period: &'a str,
    auditor: Option<&'a str>,
    anchor: Option<&'a str>,
}

pub fn new(out: &Output, args: ChallengeNewArgs) -> Result<Exit, CliError> {
    let challenge = Challenge::new(ChallengeParams {
        audit: args.audit,
        period: args.period,
        auditor: args.auditor,
        anchor: args.anchor,
    })
    .map_err(|e| CliError::new(Exit::Input, &e))?;
    let shown = args.output.display().to_string();
    write_new_atomically(&args.output, challenge.to_json().as_bytes()).map_err(|e| {
        CliError::msg(
            Exit::Input,
            format!("cannot create {shown}: {e} (an existing challenge is never overwritten)"),
        )
    })?;
    print_challenge(out, &challenge, &shown);
    Ok(Exit::Ok)
}

pub fn show(out: &Output, args: ChallengeShowArgs) -> Result<Exit, CliError> {
    let challenge = Challenge::load(&args.file).map_err(|e| CliError::new(Exit::Input, &e))?;
    print_challenge(out, &challenge, &args.file.display().to_string());
    Ok(Exit::Ok)
}

fn print_challenge(out: &Output, c: &Challenge, file: &str) {
    out.line(&format!("challenge: {file}"));
    out.line(&format!("message:   {}", c.message));
    out.line(&format!("sha256:    {}", c.message_sha256()));
    out.document(
        "challenge",
        &ChallengeDoc {
            file: file.to_owned(),
            message: &c.message,
            sha256: c.message_sha256(),
            audit: &c.audit,
            period: &c.period,
            auditor: c.auditor.as_deref(),
            anchor: c.anchor.as_deref(),
        },
    );
}

/// Writes a new file so that it appears whole or not at all: the bytes go to a temporary file
/// beside it, are synced, then linked to the final name (which fails if that name exists, so
/// nothing is overwritten).
fn write_new_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("challenge"),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}
