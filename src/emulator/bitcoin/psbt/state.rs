//! What every pass reads: the command's counts and Merkle roots, the global map (transaction
//! version, fallback locktime), the wallet policy with its keys, and which of those keys are
//! ours.

use firmware_msgs::btc::commands::SignPsbt;
use firmware_msgs::btc::wallet_policy::WalletPolicyHeader;
use firmware_msgs::merkle::Hash;
use firmware_msgs::StatusWord;

use super::error_codes;
use super::fields::{check_sorted, u32_le, GLOBAL_FALLBACK_LOCKTIME, GLOBAL_TX_VERSION};
use crate::emulator::bitcoin::policy::{KeyExpr, KeyList, Template};
use crate::emulator::bitcoin::{fetch_policy, Ctx};
use crate::emulator::session::{Host, Refusal};

/// A key expression of the policy that is one of our keys.
#[derive(Clone, Debug)]
pub(super) struct InternalKey {
    pub(super) expr: KeyExpr,
    pub(super) fingerprint: [u8; 4],
    pub(super) origin: Vec<u32>,
    pub(super) to_sign: bool,
}

/// What every pass reads: the command's counts and roots, the wallet policy, and which policy
/// keys are ours (found by the input pass).
pub(super) struct State<'a> {
    pub(super) ctx: &'a Ctx,
    pub(super) header: WalletPolicyHeader,
    pub(super) template: Template,
    pub(super) keys: KeyList,
    pub(super) is_default: bool,
    pub(super) version: u32,
    pub(super) locktime: u32,
    pub(super) n_inputs: u64,
    pub(super) inputs_root: Hash,
    pub(super) n_outputs: u64,
    pub(super) outputs_root: Hash,
    pub(super) internal: Vec<InternalKey>,
}

impl<'a> State<'a> {
    /// Reads the global map and the wallet policy, and checks the policy is one we sign for.
    pub(super) async fn read(
        ctx: &'a Ctx,
        host: &Host,
        command: &SignPsbt,
    ) -> Result<Self, Refusal> {
        let global = command.global_map;
        check_sorted(host, global.keys_root, global.size).await?;
        let version = host
            .map_value(&global, &[GLOBAL_TX_VERSION], 9)
            .await?
            .and_then(|v| u32_le(&v))
            .ok_or(StatusWord::IncorrectData)?;
        // Like the app: a fallback locktime that cannot be read counts as absent (0); one of the
        // wrong size is refused.
        let locktime = match host
            .map_value(&global, &[GLOBAL_FALLBACK_LOCKTIME], 9)
            .await
        {
            Ok(Some(v)) => u32_le(&v).ok_or(StatusWord::IncorrectData)?,
            Ok(None) | Err(_) => 0,
        };
        let is_default = command.wallet_hmac == [0u8; 32];
        if !is_default && ctx.signer.wallet_policy_hmac(&command.wallet_id) != command.wallet_hmac {
            return Err(StatusWord::SignatureFail.into());
        }
        let (header, _, template) = fetch_policy(host, command.wallet_id).await?;
        let keys = KeyList::of(&header);
        if is_default
            && !keys
                .is_standard(host, &template, &ctx.signer, ctx.chain)
                .await?
        {
            return Err(Refusal::coded(
                StatusWord::IncorrectData,
                error_codes::MISSING_HMAC_FOR_NONDEFAULT_POLICY,
            ));
        }
        if is_default && !header.name.is_empty() {
            return Err(Refusal::coded(
                StatusWord::IncorrectData,
                error_codes::NO_NAME_FOR_DEFAULT_POLICY,
            ));
        }
        Ok(State {
            ctx,
            header,
            template,
            keys,
            is_default,
            version,
            locktime,
            n_inputs: command.n_inputs,
            inputs_root: command.inputs_root,
            n_outputs: command.n_outputs,
            outputs_root: command.outputs_root,
            internal: Vec::new(),
        })
    }
}
