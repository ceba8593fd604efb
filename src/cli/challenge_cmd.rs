//! `porsign challenge new|show`.

use std::io::Write;

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
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.output)
        .map_err(|e| {
            CliError::msg(
                Exit::Input,
                format!("cannot create {shown}: {e} (an existing challenge is never overwritten)"),
            )
        })?;
    file.write_all(challenge.to_json().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::msg(Exit::Input, format!("cannot write {shown}: {e}")))?;
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
