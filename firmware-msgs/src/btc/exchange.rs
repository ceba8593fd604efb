//! Host-side operations as state machines: one [`Exchange`] per Bitcoin app command, from the
//! first APDU to the typed result.
//!
//! The caller owns the transport. It sends [`Exchange::first_command`], then feeds every
//! response to [`Exchange::advance`], which either returns the next APDU (a CONTINUE answering
//! an interruption) or the decoded result:
//!
//! ```
//! use firmware_msgs::btc::{exchange, Step};
//! use firmware_msgs::{ApduResponse, Bip32Path};
//!
//! # // Replays the device's answers recorded in fixtures/speculos/btc-signmessage-short-84.json.
//! # let recorded = [
//! #     "41ddbf9cf4dfba035438dbe1b632e2d4dafb2724c91bfa3983b1fb84b5533fe5cb0100e000",
//! #     "4000ddbf9cf4dfba035438dbe1b632e2d4dafb2724c91bfa3983b1fb84b5533fe5cbe000",
//! #     "205dfe129d783a4532ab69f573c95252ea7b073857b8aa744094fa6381319a6d237ca5bc36013072ddd3bd8d96153343af31e372721d6f693e5e67619cb6ab32319000",
//! # ];
//! # let mut replies = recorded.iter().map(|h| ApduResponse::decode(&hex::decode(h).unwrap()).unwrap());
//! # let mut transport = |_apdu: &[u8]| replies.next().ok_or("no reply");
//! let path: Bip32Path = "m/84'/0'/0'/0/0".parse()?;
//! let mut op = exchange::sign_message(&path, b"porsign test challenge")?;
//! let mut command = op.first_command();
//! let signature = loop {
//!     let response = transport(&command.encode())?; // the caller's I/O
//!     match op.advance(&response)? {
//!         Step::Send(next) => command = next,
//!         Step::Done(signature) => break signature,
//!     }
//! };
//! assert_eq!(signature.header, 32);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::marker::PhantomData;

use crate::apdu::{ApduCommand, ApduResponse};
use crate::bolos::{self, AppAndVersion};
use crate::error::DecodeError;
use crate::merkle::{Hash, EMPTY_ROOT};
use crate::path::Bip32Path;
use crate::status::StatusWord;

use super::client_command::{HostInterpreter, InterpreterError};
use super::commands::{
    BtcCommand, BtcCommandError, GetExtendedPubkey, GetWalletAddress, RegisterWallet, SignMessage,
    SignPsbt,
};
use super::psbt::{MerkleizedMap, PsbtError, PsbtMaps};
use super::replies::{
    ExtendedPubkey, MasterFingerprint, MessageSignature, RegisteredWallet, SignPsbtReply,
    WalletAddress, YieldedItem,
};
use super::wallet_policy::WalletPolicy;
use super::{CLA_FRAMEWORK, INS_CONTINUE, PROTOCOL_VERSION};

/// SIGN_MESSAGE splits the message into chunks of this size.
pub const MESSAGE_CHUNK_LEN: usize = 64;

/// A reply type an [`Exchange`] finishes with.
pub trait Reply: Sized {
    /// Decodes the final `9000` data, given the values yielded during the exchange.
    fn from_reply(data: &[u8], yielded: &[Vec<u8>]) -> Result<Self, DecodeError>;
}

macro_rules! plain_reply {
    ($($t:ty),*) => {$(
        impl Reply for $t {
            fn from_reply(data: &[u8], _yielded: &[Vec<u8>]) -> Result<Self, DecodeError> {
                Self::decode(data)
            }
        }
    )*};
}

plain_reply!(
    MasterFingerprint,
    ExtendedPubkey,
    WalletAddress,
    RegisteredWallet,
    MessageSignature,
    AppAndVersion
);

impl Reply for SignPsbtReply {
    fn from_reply(data: &[u8], yielded: &[Vec<u8>]) -> Result<Self, DecodeError> {
        if !data.is_empty() {
            return Err(DecodeError::TrailingBytes {
                what: "sign_psbt reply",
                extra: data.len(),
            });
        }
        let yielded = yielded
            .iter()
            .map(|y| YieldedItem::decode(y))
            .collect::<Result<_, _>>()?;
        Ok(Self { yielded })
    }
}

/// Errors preparing an operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The message is 2^32 bytes or longer, which the app refuses.
    #[error("message of {len} bytes is too long to sign")]
    MessageTooLong {
        /// The message length.
        len: usize,
    },
    /// The PSBT maps are invalid.
    #[error("invalid psbt")]
    Psbt(#[from] PsbtError),
    /// The command could not be encoded.
    #[error("command does not encode")]
    Command(#[from] BtcCommandError),
}

/// Errors while running an operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The device answered a status other than `9000`/`E000`.
    #[error("device answered {status}")]
    Device {
        /// The status word.
        status: StatusWord,
        /// Any data sent with it (app error codes since 2.4.0).
        data: Vec<u8>,
    },
    /// The host cannot answer the device's request.
    #[error("cannot answer the device's request")]
    Interpreter(#[from] InterpreterError),
    /// The final reply is malformed.
    #[error("malformed reply")]
    Reply(#[from] DecodeError),
    /// The answer to a request does not fit a short APDU (never with this crate's interpreter).
    #[error("answer does not fit an apdu")]
    Apdu(#[from] crate::apdu::ApduError),
    /// `advance` was called after the exchange ended.
    #[error("the exchange already ended")]
    Finished,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<R> {
    /// Send this APDU and feed its response to [`Exchange::advance`].
    Send(ApduCommand),
    /// The operation is complete.
    Done(R),
}

/// One host-side operation: its first APDU, what the host knows to answer interruptions, and
/// the reply type it finishes with.
#[derive(Debug, Clone)]
pub struct Exchange<R> {
    first: ApduCommand,
    interpreter: HostInterpreter,
    finished: bool,
    reply: PhantomData<fn() -> R>,
}

impl<R: Reply> Exchange<R> {
    /// An exchange starting with `first`, answering interruptions from `interpreter`.
    pub fn new(first: ApduCommand, interpreter: HostInterpreter) -> Self {
        Self {
            first,
            interpreter,
            finished: false,
            reply: PhantomData,
        }
    }

    /// The APDU that starts the operation.
    pub fn first_command(&self) -> ApduCommand {
        self.first.clone()
    }

    /// The interpreter (e.g. to inspect yielded values).
    pub fn interpreter(&self) -> &HostInterpreter {
        &self.interpreter
    }

    /// Consumes one device response; returns the next APDU or the result. Any error ends the
    /// exchange.
    pub fn advance(&mut self, response: &ApduResponse) -> Result<Step<R>, ExchangeError> {
        if self.finished {
            return Err(ExchangeError::Finished);
        }
        let step = self.advance_internal(response);
        if !matches!(step, Ok(Step::Send(_))) {
            self.finished = true;
        }
        step
    }

    fn advance_internal(&mut self, response: &ApduResponse) -> Result<Step<R>, ExchangeError> {
        match response.status {
            StatusWord::Ok => Ok(Step::Done(R::from_reply(
                &response.data,
                self.interpreter.yielded(),
            )?)),
            StatusWord::InterruptedExecution => {
                let answer = self.interpreter.answer_bytes(&response.data)?;
                Ok(Step::Send(continue_command(answer)?))
            }
            status => Err(ExchangeError::Device {
                status,
                data: response.data.clone(),
            }),
        }
    }
}

/// The CONTINUE APDU carrying an interruption answer.
pub fn continue_command(answer: Vec<u8>) -> Result<ApduCommand, crate::apdu::ApduError> {
    ApduCommand::new(CLA_FRAMEWORK, INS_CONTINUE, 0, PROTOCOL_VERSION, answer)
}

fn simple<R: Reply>(command: &BtcCommand) -> Result<Exchange<R>, RequestError> {
    Ok(Exchange::new(command.encode()?, HostInterpreter::new()))
}

/// GET_APP_AND_VERSION (`B0 01`), answered by whichever app is open.
pub fn get_app_and_version() -> Exchange<AppAndVersion> {
    Exchange::new(bolos::get_app_and_version(), HostInterpreter::new())
}

/// GET_MASTER_FINGERPRINT.
pub fn get_master_fingerprint() -> Exchange<MasterFingerprint> {
    Exchange::new(
        ApduCommand::without_data(
            super::CLA_BITCOIN,
            super::commands::BtcIns::GetMasterFingerprint.byte(),
            0,
            PROTOCOL_VERSION,
        ),
        HostInterpreter::new(),
    )
}

/// GET_EXTENDED_PUBKEY, optionally shown on the device.
pub fn get_extended_pubkey(
    path: &Bip32Path,
    display: bool,
) -> Result<Exchange<ExtendedPubkey>, RequestError> {
    simple(&BtcCommand::GetExtendedPubkey(GetExtendedPubkey {
        display,
        path: path.clone(),
    }))
}

/// An interpreter that can answer every question about `policy`: its serialization (by id), its
/// descriptor template (by hash) and its keys (by Merkle proof).
pub fn policy_interpreter(policy: &WalletPolicy) -> HostInterpreter {
    let mut interpreter = HostInterpreter::new();
    interpreter.add_preimage(policy.serialize());
    interpreter.add_list(&policy.key_strings());
    interpreter.add_preimage(policy.descriptor_template().as_bytes().to_vec());
    interpreter
}

/// REGISTER_WALLET: the user approves the policy on the device, which returns its id and HMAC.
pub fn register_wallet(policy: &WalletPolicy) -> Result<Exchange<RegisteredWallet>, RequestError> {
    let command = BtcCommand::RegisterWallet(RegisterWallet {
        policy: policy.header(),
    });
    Ok(Exchange::new(command.encode()?, policy_interpreter(policy)))
}

/// GET_WALLET_ADDRESS for a default policy (`hmac = None`) or a registered one.
pub fn get_wallet_address(
    policy: &WalletPolicy,
    hmac: Option<&Hash>,
    change: bool,
    address_index: u32,
    display: bool,
) -> Result<Exchange<WalletAddress>, RequestError> {
    let command = BtcCommand::GetWalletAddress(GetWalletAddress {
        display,
        wallet_id: policy.id(),
        wallet_hmac: hmac.copied().unwrap_or(EMPTY_ROOT),
        change,
        address_index,
    });
    Ok(Exchange::new(command.encode()?, policy_interpreter(policy)))
}

/// SIGN_PSBT with `policy` (`hmac = None` for a default policy); the signatures arrive as
/// yields. BIP-322 proofs go through here, with the `to_sign` PSBT.
pub fn sign_psbt(
    psbt: &PsbtMaps,
    policy: &WalletPolicy,
    hmac: Option<&Hash>,
) -> Result<Exchange<SignPsbtReply>, RequestError> {
    let mut interpreter = policy_interpreter(policy);
    let global_map = MerkleizedMap::new(psbt.global.clone())?.register(&mut interpreter);
    let mut commit_all = |maps: &[Vec<(Vec<u8>, Vec<u8>)>]| -> Result<Hash, PsbtError> {
        let mut commitments = Vec::with_capacity(maps.len());
        for map in maps {
            let commitment = MerkleizedMap::new(map.clone())?.register(&mut interpreter);
            commitments.push(commitment.encode());
        }
        Ok(interpreter.add_list(&commitments))
    };
    let inputs_root = commit_all(&psbt.inputs)?;
    let outputs_root = commit_all(&psbt.outputs)?;
    let command = BtcCommand::SignPsbt(SignPsbt {
        global_map,
        n_inputs: psbt.inputs.len() as u64,
        inputs_root,
        n_outputs: psbt.outputs.len() as u64,
        outputs_root,
        wallet_id: policy.id(),
        wallet_hmac: hmac.copied().unwrap_or(EMPTY_ROOT),
    });
    Ok(Exchange::new(command.encode()?, interpreter))
}

/// SIGN_MESSAGE (BIP-137-style signature; the header is always 31 or 32). An empty message is
/// valid: its Merkle root is 32 zero bytes and the device asks for nothing.
pub fn sign_message(
    path: &Bip32Path,
    message: &[u8],
) -> Result<Exchange<MessageSignature>, RequestError> {
    let message_len = u32::try_from(message.len())
        .map_err(|_| RequestError::MessageTooLong { len: message.len() })?;
    let chunks: Vec<&[u8]> = message.chunks(MESSAGE_CHUNK_LEN).collect();
    let mut interpreter = HostInterpreter::new();
    let message_root = interpreter.add_list(&chunks);
    let command = BtcCommand::SignMessage(SignMessage {
        path: path.clone(),
        message_len: u64::from(message_len),
        message_root,
    });
    Ok(Exchange::new(command.encode()?, interpreter))
}
