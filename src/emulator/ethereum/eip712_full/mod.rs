//! EIP-712 in full mode: the host defines the structs (INS `1A`), sends the domain's and the
//! message's values field by field (INS `1C`), and asks for the signature (INS `0C`, P2 = 01);
//! the app computes `typeHash`, `encodeData` and `hashStruct` itself, shows the fields and
//! signs `keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message))`. Clear signing: no
//! blind-signing setting needed.
//!
//! Not recorded from the real app; this follows app-ethereum 1.22.0's source
//! (`commands_712.c`, `typed_data.c`, `field_hash.c`, `path.c`, `encode_field.c`):
//! - any refused command ends the session (`eip712_context_deinit`), so the next `1C` or the
//!   SIGN gets 6980 (`SWO_COMMAND_NOT_ALLOWED`), as does a `1C` before any definition;
//! - malformed definitions and values, values out of order and unknown types get 6A80;
//! - filtering (INS `1E`) is accepted and ignored: the review shows every field, as the app does
//!   without filtering (`hw-app-eth` activates it only for messages Ledger has filters for).
//!
//! The app streams its review while the values arrive; this emulator shows the whole review
//! at SIGN time (same screens, one approval), so a rejection answers the SIGN with 6985.
//!
//! - `schema`: the definitions, `encodeType`, `typeHash`;
//! - `walk`: the values in definition order, into `hashStruct`;
//! - `encode`: one value's word and text.

mod encode;
mod schema;
mod walk;

use firmware_msgs::eth::{Eip712Command, SW_COMMAND_NOT_ALLOWED};
use firmware_msgs::{Bip32Path, StatusWord};

use super::super::bitcoin::derivation_path;
use super::super::screens::ReviewBuilder;
use super::eip712::eip712_digest;
use super::{may_derive, EthereumApp};
use encode::{encode_value, is_dynamic, shown_value};
use schema::Schema;
use walk::{Expect, Walk};

/// The root struct the app treats as the domain.
const DOMAIN_STRUCT: &str = "EIP712Domain";

/// One EIP-712 full-mode exchange, from the first definition to the signature.
#[derive(Default)]
pub(crate) struct Eip712Session {
    schema: Schema,
    /// The definitions are closed once values start (`struct_state == DEFINED`).
    defined: bool,
    root: Option<String>,
    walk: Option<Walk>,
    /// A value whose chunks are still coming: its bytes so far and how many are missing.
    pending: Option<(Vec<u8>, usize)>,
    domain_hash: Option<[u8; 32]>,
    message_hash: Option<[u8; 32]>,
    /// What the review shows: (field name, value).
    shown: Vec<(String, String)>,
}

impl EthereumApp {
    /// Answers an EIP-712 full-mode command; any refusal ends the session, as in the app.
    pub(super) fn eip712_full(&mut self, command: Eip712Command) -> Result<Vec<u8>, StatusWord> {
        let outcome = self.eip712_step(command);
        if outcome.is_err() {
            self.eip712 = None;
        }
        outcome
    }

    fn eip712_step(&mut self, command: Eip712Command) -> Result<Vec<u8>, StatusWord> {
        if let Eip712Command::Sign(path) = command {
            let session = self.eip712.take().ok_or(SW_COMMAND_NOT_ALLOWED)?;
            return self.sign_eip712_full(&session, &path);
        }
        // Definitions open a session; everything else needs one.
        let defining = matches!(
            command,
            Eip712Command::StructName(_) | Eip712Command::StructField(_)
        );
        if defining && self.eip712.is_none() {
            self.eip712 = Some(Box::default());
        }
        let session = self.eip712.as_mut().ok_or(SW_COMMAND_NOT_ALLOWED)?;
        match command {
            Eip712Command::StructName(_) | Eip712Command::StructField(_) if session.defined => {
                Err(StatusWord::IncorrectData)
            }
            Eip712Command::StructName(name) => {
                session.schema.add_struct(name);
                Ok(Vec::new())
            }
            Eip712Command::StructField(field) => {
                session.schema.add_field(field).map(|()| Vec::new())
            }
            Eip712Command::Root(name) => session.set_root(name).map(|()| Vec::new()),
            Eip712Command::ArraySize(size) => {
                let walk = session.walk.as_mut().ok_or(StatusWord::IncorrectData)?;
                if session.pending.is_some() {
                    return Err(StatusWord::IncorrectData);
                }
                walk.array_size(&session.schema, size)?;
                session.finish_root();
                Ok(Vec::new())
            }
            Eip712Command::FieldValue { partial, data } => {
                session.value_chunk(partial, &data).map(|()| Vec::new())
            }
            // See the module documentation.
            Eip712Command::Filtering { .. } => Ok(Vec::new()),
            _ => Err(StatusWord::IncorrectData),
        }
    }

    /// Shows the fields and signs, if the user approves.
    fn sign_eip712_full(
        &self,
        session: &Eip712Session,
        path: &Bip32Path,
    ) -> Result<Vec<u8>, StatusWord> {
        // The app refuses (6A80) while a hash is missing or a field is still expected.
        let (Some(domain), Some(message)) = (session.domain_hash, session.message_hash) else {
            return Err(StatusWord::IncorrectData);
        };
        if session.walk.is_some() || !may_derive(path.steps()) {
            return Err(StatusWord::IncorrectData);
        }
        // "Sign message" is the Nano flow's last page (`ui_sign_712.c`); the reject wording is
        // this emulator's, the source does not pin it for the Nano S Plus.
        self.approve_message(
            session
                .shown
                .iter()
                .fold(ReviewBuilder::intro("Review typed message"), |r, (k, v)| {
                    r.pair(k, v)
                }),
        )?;
        let digest = eip712_digest(&domain, &message);
        let (recid, rs) = self
            .signer
            .sign_recoverable_digest(&derivation_path(path.steps()), &digest)
            .map_err(|_| StatusWord::IncorrectData)?;
        Ok([&[27u8.wrapping_add(recid)][..], &rs].concat())
    }
}

impl Eip712Session {
    /// Starts the values of `EIP712Domain` or of the primary type. The previous root must be
    /// complete, and the same root twice is refused, as in the app (`path_set_root`).
    fn set_root(&mut self, name: String) -> Result<(), StatusWord> {
        if self.walk.is_some() || self.root.as_deref() == Some(name.as_str()) {
            return Err(StatusWord::IncorrectData);
        }
        self.defined = true;
        let walk = Walk::start(&self.schema, &name)?;
        self.root = Some(name);
        self.walk = Some(walk);
        self.finish_root();
        Ok(())
    }

    /// Stores the root's `hashStruct` once its last field is in.
    fn finish_root(&mut self) {
        let Some(hash) = self.walk.as_ref().and_then(Walk::hash) else {
            return;
        };
        self.walk = None;
        if self.root.as_deref() == Some(DOMAIN_STRUCT) {
            self.domain_hash = Some(hash);
        } else {
            self.message_hash = Some(hash);
        }
    }

    /// One chunk of a value: the first starts with the value's length (u16 BE); only strings
    /// and bytes may span several chunks (`field_hash`).
    fn value_chunk(&mut self, partial: bool, data: &[u8]) -> Result<(), StatusWord> {
        let walk = self.walk.as_mut().ok_or(StatusWord::IncorrectData)?;
        let Expect::Value(field) = walk.expect() else {
            return Err(StatusWord::IncorrectData);
        };
        let (mut value, remaining, chunk) = match self.pending.take() {
            Some((value, remaining)) => (value, remaining, data),
            None => {
                let (len, rest) = data.split_at_checked(2).ok_or(StatusWord::IncorrectData)?;
                let len =
                    u16::from_be_bytes(len.try_into().map_err(|_| StatusWord::IncorrectData)?);
                (Vec::new(), usize::from(len), rest)
            }
        };
        let remaining = remaining
            .checked_sub(chunk.len())
            .ok_or(StatusWord::IncorrectData)?;
        value.extend_from_slice(chunk);
        if remaining > 0 {
            if !partial || !is_dynamic(&field.base) {
                return Err(StatusWord::IncorrectData);
            }
            self.pending = Some((value, remaining));
            return Ok(());
        }
        if partial {
            return Err(StatusWord::IncorrectData);
        }
        let word = encode_value(&field.base, &value)?;
        self.shown
            .push((field.key.clone(), shown_value(&field.base, &value, &word)));
        walk.value(&self.schema, &word)?;
        self.finish_root();
        Ok(())
    }
}
