//! `porsign emulate`: the built-in Ledger emulator behind the Speculos ports, until Ctrl-C.

use std::time::Duration;

use super::output::Output;
use super::{CliError, Exit};
use crate::emulator::{self, AppMode, Approval, EmulatorConfig, Faults};

/// `--app` of `porsign emulate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AppArg {
    Bitcoin,
    BitcoinTest,
    Ethereum,
}

/// Mnemonic words from the command line, kept out of debug output.
#[derive(Clone)]
pub struct Words(String);

impl std::str::FromStr for Words {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Words(s.to_owned()))
    }
}

impl std::fmt::Debug for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Run a Speculos-compatible Ledger emulator (Bitcoin or Ethereum app) for tests and demos.
/// NEVER give it a mnemonic that guards real funds.
#[derive(Debug, clap::Args)]
pub struct EmulateArgs {
    /// The app that is open.
    #[arg(long, value_enum, default_value_t = AppArg::Bitcoin)]
    pub app: AppArg,
    /// BIP-39 words of the emulated seed (default: Speculos's public test mnemonic).
    #[arg(long)]
    pub mnemonic: Option<Words>,
    /// The APDU TCP port (Speculos framing); 0 picks a free port.
    #[arg(long, default_value_t = 9999)]
    pub apdu_port: u16,
    /// The REST API port (Speculos's /events, /button, /finger, /apdu, /screenshot); 0 disables it.
    #[arg(long, default_value_t = 5000)]
    pub api_port: u16,
    /// Listen on this address instead of 127.0.0.1.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Approve every review at once (otherwise wait for button presses).
    #[arg(long, conflicts_with = "auto_reject")]
    pub auto_approve: bool,
    /// Reject every review at once.
    #[arg(long)]
    pub auto_reject: bool,
    /// Ethereum app: turn the "Blind signing" setting on (off by default, as on a fresh
    /// install), so that contract data and EIP-712 hashed messages can be signed.
    #[arg(long)]
    pub blind_signing: bool,
    /// Seconds a review waits for button presses; then, as on the device, its request gets no
    /// reply and the review stays on screen (every new APDU answers 6901) until the buttons
    /// resolve it.
    #[arg(long, default_value_t = 300)]
    pub button_timeout_secs: u64,
    /// Fault: reject the N-th signature request (1-based).
    #[arg(long, value_name = "N")]
    pub reject_nth: Option<u32>,
    /// Fault: the device is locked (every APDU answers 5515).
    #[arg(long)]
    pub locked: bool,
    /// Fault: the other app is open.
    #[arg(long)]
    pub wrong_app: bool,
    /// Fault: drop the link after N APDUs (and stay away).
    #[arg(long, value_name = "N")]
    pub disconnect_after: Option<u32>,
    /// Fault: the N-th reply (1-based) is malformed.
    #[arg(long, value_name = "N")]
    pub malformed_nth: Option<u32>,
    /// Fault: delay every reply by this many milliseconds.
    #[arg(long, value_name = "MS")]
    pub slow_ms: Option<u64>,
}

impl EmulateArgs {
    fn config(&self) -> EmulatorConfig {
        let app = match self.app {
            AppArg::Bitcoin => AppMode::Bitcoin,
            AppArg::BitcoinTest => AppMode::BitcoinTest,
            AppArg::Ethereum => AppMode::Ethereum,
        };
        let mut config = EmulatorConfig::new(app);
        if let Some(Words(words)) = &self.mnemonic {
            config.mnemonic.clone_from(words);
        }
        config.approval = if self.auto_approve {
            Approval::Auto
        } else if self.auto_reject {
            Approval::Reject
        } else {
            Approval::Buttons
        };
        config.faults = Faults {
            reject_nth_signature: self.reject_nth,
            locked: self.locked,
            wrong_app: self.wrong_app,
            disconnect_after_apdus: self.disconnect_after,
            malformed_reply_nth: self.malformed_nth,
            slow_reply: self.slow_ms.map(Duration::from_millis),
        };
        config
    }
}

pub fn run(_out: &Output, args: EmulateArgs) -> Result<Exit, CliError> {
    let config = args.config();
    let app = config.app;
    let apdu_addr = format!("{}:{}", args.host, args.apdu_port);
    let api_addr = format!("{}:{}", args.host, args.api_port);
    let handle = emulator::serve(
        config,
        &apdu_addr,
        (args.api_port != 0).then_some(api_addr.as_str()),
    )
    .map_err(|e| CliError::new(Exit::Input, &e))?;
    {
        let emulator = handle.emulator();
        let mut emulator = crate::sync::lock(&emulator);
        emulator.set_button_timeout(Duration::from_secs(args.button_timeout_secs));
        emulator.set_blind_signing(args.blind_signing);
    }
    let fingerprint = hex::encode(handle.fingerprint());
    // Everything goes to stderr: the emulator produces no results, only a running service.
    eprintln!(
        "porsign emulate: {} app, master fingerprint {fingerprint}",
        app.app_name()
    );
    eprintln!(
        "porsign emulate: APDU port {}:{} (Speculos framing; LEDGER_PROXY_PORT={})",
        args.host,
        handle.apdu_port(),
        handle.apdu_port()
    );
    match handle.api_port() {
        Some(port) => eprintln!("porsign emulate: REST API http://{}:{port}", args.host),
        None => eprintln!("porsign emulate: REST API disabled"),
    }
    if !(args.auto_approve || args.auto_reject) {
        eprintln!(
            "porsign emulate: reviews wait for POST /button/{{left,right,both}}; after {}s without a decision the request gets no reply and the review stays on screen (new APDUs answer 6901) until the buttons resolve it",
            args.button_timeout_secs
        );
    }
    eprintln!("porsign emulate: press Ctrl-C to stop");
    loop {
        // The servers run on their own threads until the process is interrupted.
        std::thread::park();
    }
}
