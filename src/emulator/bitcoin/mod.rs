//! The Bitcoin app (2.4.6, protocol v2): every command of `firmware_msgs::btc`, answered as the
//! real app answers, including the order of its client-command requests.

pub(crate) mod chain;
mod policy;
mod psbt;

use std::sync::Arc;

use bitcoin::bip32::{ChildNumber, DerivationPath};
use firmware_msgs::btc::commands::{
    GetExtendedPubkey, GetWalletAddress, RegisterWallet, SignMessage,
};
use firmware_msgs::btc::wallet_policy::WalletPolicyHeader;
use firmware_msgs::btc::{BtcCommand, CLA_BITCOIN, CLA_FRAMEWORK, INS_CONTINUE, PROTOCOL_VERSION};
use firmware_msgs::{ApduCommand, ApduResponse, Bip32Path, StatusWord};

use self::chain::Chain;
use self::policy::{KeyList, ParsedKey, Template, TemplateError};
use super::keys::SoftwareSigner;
use super::screens::ReviewBuilder;
use super::session::{Host, Outcome, Refusal, Session, Step};
use super::ui::{Decision, ReviewKind, Ui};

/// Longest message the app shows as text; longer ones are shown as their SHA-256.
const MAX_DISPLAYABLE_MESSAGE_LEN: u64 = 640;
/// Messages are fetched in chunks of this size.
const MESSAGE_CHUNK_LEN: u64 = 64;
/// The highest address index a default policy may use (`MAX_BIP44_ADDRESS_INDEX_RECOMMENDED`).
const MAX_STANDARD_ADDRESS_INDEX: u32 = 50_000;
/// The longest registered policy name.
const MAX_POLICY_NAME_LEN: usize = 64;
/// The BIP-341 "nothing up my sleeve" key, an unspendable placeholder in policies.
const NUMS_KEY: [u8; 33] = [
    0x02, 0x50, 0x92, 0x9b, 0x74, 0xc1, 0xa0, 0x49, 0x54, 0xb7, 0x8b, 0x4b, 0x60, 0x35, 0xe9, 0x7a,
    0x5e, 0x07, 0x8a, 0x5a, 0x0f, 0x28, 0xec, 0x96, 0xd5, 0x47, 0xbf, 0xee, 0x9a, 0xce, 0x80, 0x3a,
    0xc0,
];

// The error codes REGISTER_WALLET sends before its status word (the app's `error_codes.h`).
const EC_REGISTER_UNACCEPTABLE_POLICY_NAME: u16 = 0x0000;
const EC_REGISTER_POLICY_NOT_SANE: u16 = 0x0001;
const EC_REGISTER_POLICY_HAS_NO_INTERNAL_KEY: u16 = 0x0002;

/// GET_MASTER_FINGERPRINT's INS.
const INS_GET_MASTER_FINGERPRINT: u8 = 0x05;

/// What every handler needs: the keys, the app flavour and the screen.
pub(crate) struct Ctx {
    pub(crate) signer: Arc<SoftwareSigner>,
    pub(crate) chain: Chain,
    pub(crate) ui: Ui,
}

/// The Bitcoin app's state between APDUs: at most one command interrupted by a client command.
pub(crate) struct BitcoinApp {
    ctx: Arc<Ctx>,
    session: Option<Session>,
}

impl BitcoinApp {
    pub(crate) fn new(ctx: Ctx) -> Self {
        BitcoinApp {
            ctx: Arc::new(ctx),
            session: None,
        }
    }

    /// Answers one APDU.
    pub(crate) fn handle(&mut self, command: &ApduCommand) -> ApduResponse {
        let is_continue = command.cla() == CLA_FRAMEWORK && command.ins() == INS_CONTINUE;
        if let Some(session) = self.session.as_mut() {
            if !is_continue {
                // Only CONTINUE may answer an interruption; the app drops the command.
                self.session = None;
                return ApduResponse::status_only(StatusWord::IncorrectData);
            }
            let step = session.resume(command.data().to_vec());
            return self.settle(step);
        }
        if command.p2() > PROTOCOL_VERSION {
            return ApduResponse::status_only(StatusWord::WrongP1P2);
        }
        if is_continue {
            // Nothing was interrupted.
            return ApduResponse::status_only(StatusWord::BadState);
        }
        if command.cla() != CLA_BITCOIN && command.cla() != CLA_FRAMEWORK {
            return ApduResponse::status_only(StatusWord::ClaNotSupported);
        }
        // GET_MASTER_FINGERPRINT reads no data: the app ignores any it is sent (HWI-style
        // `E1 05 00 00 01 00` gets the fingerprint), where the strict decoder would refuse it.
        let stripped;
        let command = if command.cla() == CLA_BITCOIN
            && command.ins() == INS_GET_MASTER_FINGERPRINT
            && !command.data().is_empty()
        {
            stripped =
                ApduCommand::without_data(command.cla(), command.ins(), command.p1(), command.p2());
            &stripped
        } else {
            command
        };
        let decoded = match BtcCommand::decode(command) {
            Ok(decoded) => decoded,
            Err(e) => return ApduResponse::status_only(e.status_word()),
        };
        let ctx = Arc::clone(&self.ctx);
        let (session, step) = match decoded {
            BtcCommand::GetMasterFingerprint => {
                return ApduResponse::new(
                    ctx.signer.fingerprint().to_bytes().to_vec(),
                    StatusWord::Ok,
                )
            }
            BtcCommand::GetExtendedPubkey(c) => {
                return reply(get_extended_pubkey(&ctx, &c));
            }
            BtcCommand::SignMessage(c) => {
                Session::start(move |host| async move { sign_message(&ctx, &host, c).await })
            }
            BtcCommand::GetWalletAddress(c) => {
                Session::start(move |host| async move { wallet_address(&ctx, &host, c).await })
            }
            BtcCommand::RegisterWallet(c) => {
                Session::start(move |host| async move { register_wallet(&ctx, &host, c).await })
            }
            BtcCommand::SignPsbt(c) => {
                Session::start(move |host| async move { psbt::sign_psbt(&ctx, &host, c).await })
            }
            // Decoded above as "nothing interrupted"; other commands are not part of the app.
            _ => return ApduResponse::status_only(StatusWord::InsNotSupported),
        };
        self.session = Some(session);
        self.settle(step)
    }

    fn settle(&mut self, step: Step) -> ApduResponse {
        match step {
            Step::Interrupt(request) => {
                ApduResponse::new(request, StatusWord::InterruptedExecution)
            }
            Step::Done(response) => {
                self.session = None;
                response
            }
        }
    }
}

fn reply(outcome: Outcome) -> ApduResponse {
    match outcome {
        Ok(data) => ApduResponse::new(data, StatusWord::Ok),
        Err(refusal) => refusal.response(),
    }
}

pub(crate) fn derivation_path(steps: &[u32]) -> DerivationPath {
    steps
        .iter()
        .map(|s| ChildNumber::from(*s))
        .collect::<Vec<_>>()
        .into()
}

/// How the app prints a path on screen: `84'/0'/0'/0/0`, or `(Master key)`.
fn shown_path(path: &Bip32Path) -> String {
    if path.depth() == 0 {
        "(Master key)".to_owned()
    } else {
        path.to_unprefixed_string()
    }
}

fn approved(decision: Decision) -> Result<(), StatusWord> {
    match decision {
        Decision::Approved => Ok(()),
        Decision::Rejected | Decision::TimedOut => Err(StatusWord::Deny),
    }
}

fn get_extended_pubkey(ctx: &Ctx, command: &GetExtendedPubkey) -> Outcome {
    let steps = command.path.steps();
    if !command.display && !ctx.chain.safe_for_pubkey_export(steps) {
        return Err(StatusWord::NotSupported.into());
    }
    if !ctx.chain.may_derive(steps) {
        return Err(StatusWord::NotSupported.into());
    }
    let xpub = policy::xpub_at(&ctx.signer, steps, ctx.chain)
        .ok_or(StatusWord::BadState)?
        .to_string();
    if command.display {
        let review = ReviewBuilder::intro("Confirm public key")
            .pair("Path", &shown_path(&command.path))
            .pair("Public key", &xpub)
            .finish(
                "Approve public key",
                "Reject public key",
                "Public key\napproved",
                "Public key rejected",
            );
        approved(ctx.ui.review(&review, ReviewKind::Other))?;
    }
    Ok(xpub.into_bytes())
}

async fn sign_message(ctx: &Ctx, host: &Host, command: SignMessage) -> Outcome {
    if command.message_len >= 1 << 32 {
        return Err(StatusWord::IncorrectData.into());
    }
    let chunks = command.message_len.div_ceil(MESSAGE_CHUNK_LEN);
    let mut message = Vec::new();
    for i in 0..chunks {
        // The app answers B007 when a chunk cannot be had: it "should never happen".
        let chunk = host
            .element(command.message_root, chunks, i, 64)
            .await
            .map_err(|_| StatusWord::BadState)?;
        if chunk.len() as u64 != MESSAGE_CHUNK_LEN && i + 1 != chunks {
            return Err(StatusWord::BadState.into());
        }
        message.extend_from_slice(&chunk);
    }
    if message.len() as u64 != command.message_len {
        return Err(StatusWord::BadState.into());
    }
    let steps = command.path.steps();
    // A path the OS will not derive for this app (another coin type, `m/0'/1`): the app still
    // shows the whole review and only fails when it asks for the key after the approval, with
    // "Message rejected" and B007 (recorded in `btc-hwi-signmessage-refused-*`).
    let derivable = ctx.chain.may_derive(steps);
    let printable = command.message_len <= MAX_DISPLAYABLE_MESSAGE_LEN
        && message
            .iter()
            .all(|b| (0x20..=0x7e).contains(b) || *b == b'\n');
    let builder = ReviewBuilder::intro("Review message").pair("Path", &shown_path(&command.path));
    let builder = if printable {
        builder.pair("Message", &String::from_utf8_lossy(&message))
    } else {
        let hash = firmware_msgs::merkle::sha256(&message);
        builder.pair("Message hash", &hex::encode_upper(hash))
    };
    let review = builder.finish(
        "Sign message",
        "Reject message",
        if derivable {
            "Message signed"
        } else {
            "Message rejected"
        },
        "Message rejected",
    );
    approved(ctx.ui.review(&review, ReviewKind::Signature))?;
    if !derivable {
        return Err(StatusWord::BadState.into());
    }
    let signature = ctx
        .signer
        .sign_bitcoin_message(&derivation_path(steps), &message)
        .map_err(|_| StatusWord::BadState)?;
    Ok(signature.to_vec())
}

/// Reads the policy behind `wallet_id` and its descriptor template (two GET_PREIMAGE).
async fn fetch_policy(
    host: &Host,
    wallet_id: [u8; 32],
) -> Result<(WalletPolicyHeader, String, Template), StatusWord> {
    let serialized = host
        .preimage(wallet_id, policy::MAX_SERIALIZED_POLICY_LEN)
        .await?;
    let header = WalletPolicyHeader::decode(&serialized).map_err(|_| StatusWord::IncorrectData)?;
    let (text, template) = fetch_template(host, &header).await?;
    Ok((header, text, template))
}

async fn fetch_template(
    host: &Host,
    header: &WalletPolicyHeader,
) -> Result<(String, Template), StatusWord> {
    let bytes = host
        .preimage(header.descriptor_template_hash, policy::MAX_TEMPLATE_LEN)
        .await?;
    if bytes.len() as u64 != header.descriptor_template_len {
        return Err(StatusWord::IncorrectData);
    }
    let text = String::from_utf8(bytes).map_err(|_| StatusWord::IncorrectData)?;
    let template = Template::parse(&text).map_err(TemplateError::status_word)?;
    Ok((text, template))
}

async fn wallet_address(ctx: &Ctx, host: &Host, command: GetWalletAddress) -> Outcome {
    if command.address_index >= 0x8000_0000 {
        return Err(StatusWord::IncorrectData.into());
    }
    let (header, _, template) = fetch_policy(host, command.wallet_id).await?;
    let keys = KeyList::of(&header);
    let is_default = command.wallet_hmac == [0u8; 32];
    if is_default {
        if !keys
            .is_standard(host, &template, &ctx.signer, ctx.chain)
            .await?
            || !header.name.is_empty()
            || command.address_index > MAX_STANDARD_ADDRESS_INDEX
        {
            return Err(StatusWord::IncorrectData.into());
        }
    } else if ctx.signer.wallet_policy_hmac(&command.wallet_id) != command.wallet_hmac {
        return Err(StatusWord::SignatureFail.into());
    }
    if header.id() != command.wallet_id {
        return Err(StatusWord::IncorrectData.into());
    }
    let script = keys
        .script(host, &template, command.change, command.address_index)
        .await
        .map_err(|_| StatusWord::BadState)?;
    let address = policy::address(&script, ctx.chain)?;
    if command.display {
        let mut builder = ReviewBuilder::intro("Verify bitcoin\naddress").pair("Address", &address);
        if !is_default {
            builder = builder.pair("Account name", &header.name);
        }
        let review = builder.finish("Confirm", "Reject", "Address verified", "Address rejected");
        approved(ctx.ui.review(&review, ReviewKind::Other))?;
    }
    Ok(address.into_bytes())
}

fn name_acceptable(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_POLICY_NAME_LEN
        && !name.starts_with(' ')
        && !name.ends_with(' ')
        && name.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// The app's `is_policy_sane` for the templates the emulator parses, in its order: every
/// miniscript is sane (no fetch), no two keys share a public key (each pair fetched as the app
/// fetches it), no key expression repeats a derivation, every `older()` is in range.
async fn policy_is_sane(keys: &KeyList, host: &Host, template: &Template) -> bool {
    if !template.scripts_are_sane() {
        return false;
    }
    for i in 0..keys.count.saturating_sub(1) {
        let Ok(index_i) = u32::try_from(i) else {
            return false;
        };
        let Ok(key_i) = keys.fetch(host, index_i).await else {
            return false;
        };
        for j in i + 1..keys.count {
            let Ok(index_j) = u32::try_from(j) else {
                return false;
            };
            let Ok(key_j) = keys.fetch(host, index_j).await else {
                return false;
            };
            if key_i.xpub.public_key == key_j.xpub.public_key {
                return false;
            }
        }
    }
    !template.has_repeated_derivations()
}

async fn register_wallet(ctx: &Ctx, host: &Host, command: RegisterWallet) -> Outcome {
    let header = command.policy;
    let (text, template) = fetch_template(host, &header).await?;
    if header.n_keys > policy::MAX_KEYS {
        return Err(StatusWord::NotSupported.into());
    }
    if template.key_count() != header.n_keys {
        return Err(StatusWord::IncorrectData.into());
    }
    let wallet_id = header.id();
    if !name_acceptable(&header.name) {
        return Err(Refusal::coded(
            StatusWord::IncorrectData,
            EC_REGISTER_UNACCEPTABLE_POLICY_NAME,
        ));
    }
    let keys = KeyList::of(&header);
    if !policy_is_sane(&keys, host, &template).await {
        return Err(Refusal::coded(
            StatusWord::NotSupported,
            EC_REGISTER_POLICY_NOT_SANE,
        ));
    }
    let mut labelled = Vec::new();
    let mut internal = 0usize;
    for i in 0..header.n_keys {
        let index = u32::try_from(i).map_err(|_| StatusWord::IncorrectData)?;
        let key: ParsedKey = keys.fetch(host, index).await?;
        if key.xpub.network != ctx.chain.network_kind() {
            return Err(StatusWord::IncorrectData.into());
        }
        let kind = if key.xpub.public_key.serialize() == NUMS_KEY {
            "Dummy"
        } else {
            match key.is_ours(&ctx.signer, ctx.chain) {
                None => return Err(StatusWord::NotSupported.into()),
                Some(true) => {
                    internal += 1;
                    "Our"
                }
                Some(false) => "Their",
            }
        };
        labelled.push((format!("{kind} key@{i}"), key.text));
    }
    if internal == 0 {
        return Err(Refusal::coded(
            StatusWord::IncorrectData,
            EC_REGISTER_POLICY_HAS_NO_INTERNAL_KEY,
        ));
    }
    let mut builder = ReviewBuilder::intro("Review account\nto register")
        .pair("Account name", &header.name)
        .pair("Wallet policy", &text)
        .info("Review co-signer\npublic keys");
    for (label, key) in &labelled {
        builder = builder.pair(label, key);
    }
    let review = builder.finish(
        "Register account",
        "Reject operation",
        "Account registered",
        "Account rejected",
    );
    approved(ctx.ui.review(&review, ReviewKind::Other))?;
    let hmac = ctx.signer.wallet_policy_hmac(&wallet_id);
    Ok([wallet_id, hmac].concat())
}
