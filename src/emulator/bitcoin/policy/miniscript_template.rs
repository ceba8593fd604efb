//! Miniscript in wallet policies, under `wsh()` and in tap leaves. The `miniscript` crate parses
//! and type-checks the text with the key expressions (`@0/**`, `@1/<2;3>/*`) kept as string
//! keys, and later encodes the script once every key expression is replaced by its derived key.
//! What the crate does not decide is done as the app does it (`src/common/wallet.c`,
//! `src/handler/lib/policy.c` of LedgerHQ/app-bitcoin-new 2.4.6): which characters and hash
//! spellings the parser takes, the order in which keys are derived (the order the script bytes
//! are emitted, so `andor(X,Y,Z)` derives X's keys, then Z's, then Y's), and the sanity rules
//! (segwit v0 resource limits even in tapscript, `older()` ranges).

use std::collections::HashMap;
use std::str::FromStr;

use bitcoin::hashes::{hash160, ripemd160, sha256};
use bitcoin::secp256k1::{PublicKey, XOnlyPublicKey};
use bitcoin::ScriptBuf;
use miniscript::{Miniscript, ScriptContext, Segwitv0, Tap, Terminal, TranslatePk, Translator};

use super::template::{parse_key_expr, KeyExpr, TemplateError};

/// The app's limits for a sane miniscript (`MAX_STANDARD_P2WSH_STACK_ITEMS`,
/// `MAX_OPS_PER_SCRIPT`, `MAX_STANDARD_P2WSH_SCRIPT_SIZE`), applied to tapscript too.
const MAX_STACK_ITEMS: usize = 100;
const MAX_OPS: usize = 201;
const MAX_SCRIPT_SIZE: usize = 3600;
/// BIP-68's type flag: `older(n)` counts time, not blocks.
const SEQUENCE_TYPE_FLAG: u32 = 1 << 22;

/// A miniscript whose keys are still the policy's key expressions, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PolicyMs<Ctx: ScriptContext> {
    ms: Miniscript<String, Ctx>,
}

/// One thing a walk over the fragments meets.
enum Item<'m> {
    Key(&'m str),
    Hash(&'m str, usize),
    Older(u32),
}

/// In which order a walk visits the children of `andor(X,Y,Z)`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// As written: X, Y, Z (the app's key-expression numbering).
    Written,
    /// As the script is emitted, `[X] NOTIF [Z] ELSE [Y] ENDIF` (the app's derivation order).
    Emitted,
}

impl<Ctx: ScriptContext> PolicyMs<Ctx> {
    /// Parses and type-checks `text`; any failure is the app's parse failure (6A80).
    pub(crate) fn parse(text: &str) -> Result<Self, TemplateError> {
        // The app's tokens, hashes and key expressions use only these characters.
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_:(),@/*<;>".contains(c);
        if !text.chars().all(allowed) {
            return Err(TemplateError::Invalid);
        }
        let ms =
            Miniscript::<String, Ctx>::from_str_insane(text).map_err(|_| TemplateError::Invalid)?;
        let parsed = PolicyMs { ms };
        for item in parsed.items(Order::Written) {
            match item {
                Item::Key(text) => {
                    parse_key_expr(text)?;
                }
                Item::Hash(hex, len) => {
                    if hex.len() != 2 * len {
                        return Err(TemplateError::Invalid);
                    }
                }
                Item::Older(_) => {}
            }
        }
        Ok(parsed)
    }

    fn items(&self, order: Order) -> Vec<Item<'_>> {
        let mut out = Vec::new();
        walk(&self.ms, order, &mut out);
        out
    }

    fn keys(&self, order: Order) -> Vec<&str> {
        self.items(order)
            .into_iter()
            .filter_map(|item| match item {
                Item::Key(k) => Some(k),
                _ => None,
            })
            .collect()
    }

    /// The key expressions in the order written.
    pub(crate) fn key_exprs(&self) -> Vec<KeyExpr> {
        self.keys(Order::Written)
            .into_iter()
            .filter_map(|k| parse_key_expr(k).ok())
            .collect()
    }

    /// The app's `is_miniscript_sane`: non-malleable, always needs a signature, no timelock
    /// mix, and within segwit v0's stack, op-count and size limits (the app applies those to
    /// tapscript as well).
    pub(crate) fn is_sane(&self) -> bool {
        let ms = &self.ms;
        ms.is_non_malleable()
            && ms.requires_sig()
            && !ms.has_mixed_timelocks()
            && ms
                .ext
                .stack_elem_count_sat
                .is_some_and(|n| n <= MAX_STACK_ITEMS)
            && ms.ext.ops.op_count().is_some_and(|n| n <= MAX_OPS)
            && ms.script_size() <= MAX_SCRIPT_SIZE
    }

    /// Every `older(n)` is 1..=65535 blocks or 1..=65535 units of 512 s: other bits have no
    /// consensus meaning, so `older(65536)` would be `older(0)` (the app's `check_older_node_cb`).
    pub(crate) fn older_in_safe_range(&self) -> bool {
        self.items(Order::Written).iter().all(|item| match item {
            Item::Older(n) => (1..=65535).contains(&(n & !SEQUENCE_TYPE_FLAG)),
            _ => true,
        })
    }

    /// The script with every key expression replaced by `keys[text]`.
    fn concrete<Q>(&self, keys: &HashMap<String, PublicKey>) -> Option<Miniscript<Q, Ctx>>
    where
        Q: miniscript::MiniscriptKey<
            Sha256 = sha256::Hash,
            Hash256 = miniscript::hash256::Hash,
            Ripemd160 = ripemd160::Hash,
            Hash160 = hash160::Hash,
        >,
        for<'k> Concrete<'k>: Translator<String, Q, ()>,
    {
        self.ms.translate_pk(&mut Concrete { keys }).ok()
    }
}

impl PolicyMs<Segwitv0> {
    /// The witness script, from the derived key of every key expression.
    pub(crate) fn encode(&self, keys: &HashMap<String, PublicKey>) -> Option<ScriptBuf> {
        Some(self.concrete::<bitcoin::PublicKey>(keys)?.encode())
    }
}

impl PolicyMs<Tap> {
    /// The leaf script, from the derived key of every key expression (x-only in tapscript).
    pub(crate) fn encode(&self, keys: &HashMap<String, PublicKey>) -> Option<ScriptBuf> {
        Some(self.concrete::<XOnlyPublicKey>(keys)?.encode())
    }
}

impl<Ctx: ScriptContext> PolicyMs<Ctx> {
    /// Every key expression, once per appearance, in the order the app derives them when it
    /// builds the script: its text (the map handed to `encode` is keyed by it) and its parsed
    /// form.
    pub(crate) fn derivation_texts(&self) -> Vec<(String, KeyExpr)> {
        self.keys(Order::Emitted)
            .into_iter()
            .filter_map(|k| Some((k.to_owned(), parse_key_expr(k).ok()?)))
            .collect()
    }
}

/// Replaces the key-expression texts by their derived keys and the hash texts by hashes (the
/// parser kept them as text; they were checked to be lowercase hex of the right size).
struct Concrete<'k> {
    keys: &'k HashMap<String, PublicKey>,
}

impl Concrete<'_> {
    fn key(&self, text: &String) -> Result<PublicKey, ()> {
        self.keys.get(text).copied().ok_or(())
    }
}

macro_rules! hashes_from_text {
    () => {
        fn sha256(&mut self, h: &String) -> Result<sha256::Hash, ()> {
            sha256::Hash::from_str(h).map_err(|_| ())
        }
        fn hash256(&mut self, h: &String) -> Result<miniscript::hash256::Hash, ()> {
            miniscript::hash256::Hash::from_str(h).map_err(|_| ())
        }
        fn ripemd160(&mut self, h: &String) -> Result<ripemd160::Hash, ()> {
            ripemd160::Hash::from_str(h).map_err(|_| ())
        }
        fn hash160(&mut self, h: &String) -> Result<hash160::Hash, ()> {
            hash160::Hash::from_str(h).map_err(|_| ())
        }
    };
}

impl Translator<String, bitcoin::PublicKey, ()> for Concrete<'_> {
    fn pk(&mut self, pk: &String) -> Result<bitcoin::PublicKey, ()> {
        Ok(bitcoin::PublicKey::new(self.key(pk)?))
    }
    hashes_from_text!();
}

impl Translator<String, XOnlyPublicKey, ()> for Concrete<'_> {
    fn pk(&mut self, pk: &String) -> Result<XOnlyPublicKey, ()> {
        Ok(XOnlyPublicKey::from(self.key(pk)?))
    }
    hashes_from_text!();
}

/// Collects keys, hashes and relative timelocks, children in `order`.
fn walk<'m, Ctx: ScriptContext>(
    ms: &'m Miniscript<String, Ctx>,
    order: Order,
    out: &mut Vec<Item<'m>>,
) {
    use Terminal as T;
    match &ms.node {
        T::True | T::False | T::After(_) | T::RawPkH(_) => {}
        T::PkK(k) | T::PkH(k) => out.push(Item::Key(k)),
        T::Older(n) => out.push(Item::Older(n.to_consensus_u32())),
        T::Sha256(h) | T::Hash256(h) => out.push(Item::Hash(h, 32)),
        T::Ripemd160(h) | T::Hash160(h) => out.push(Item::Hash(h, 20)),
        T::Alt(x)
        | T::Swap(x)
        | T::Check(x)
        | T::DupIf(x)
        | T::Verify(x)
        | T::NonZero(x)
        | T::ZeroNotEqual(x) => walk(x, order, out),
        T::AndV(x, y)
        | T::AndB(x, y)
        | T::OrB(x, y)
        | T::OrD(x, y)
        | T::OrC(x, y)
        | T::OrI(x, y) => {
            walk(x, order, out);
            walk(y, order, out);
        }
        T::AndOr(x, y, z) => {
            walk(x, order, out);
            if order == Order::Emitted {
                walk(z, order, out);
                walk(y, order, out);
            } else {
                walk(y, order, out);
                walk(z, order, out);
            }
        }
        T::Thresh(subs) => subs.iter().for_each(|x| walk(x, order, out)),
        T::Multi(keys) => keys.iter().for_each(|k| out.push(Item::Key(k))),
        T::MultiA(keys) => keys.iter().for_each(|k| out.push(Item::Key(k))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wsh(text: &str) -> PolicyMs<Segwitv0> {
        PolicyMs::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    #[test]
    fn andor_derives_its_third_branch_before_its_second() {
        let ms = wsh("andor(pk(@0/**),pk(@1/**),pk(@2/**))");
        let written: Vec<u32> = ms.key_exprs().iter().map(|k| k.index).collect();
        let derived: Vec<u32> = ms.derivation_texts().iter().map(|(_, k)| k.index).collect();
        assert_eq!(written, vec![0, 1, 2]);
        assert_eq!(derived, vec![0, 2, 1]);
    }

    /// The refusals of LedgerHQ/app-bitcoin-new's `test_register_wallet_not_sane_policy`.
    #[test]
    fn insane_miniscript_is_found() {
        assert!(wsh("or_d(pk(@0/**),and_v(v:pkh(@1/**),older(65535)))").is_sane());
        // Timelock mixing.
        assert!(!wsh(
            "thresh(2,c:pk_k(@0/**),ac:pk_k(@1/**),altv:after(1000000000),altv:after(100))"
        )
        .is_sane());
        // A branch without a signature.
        assert!(
            !wsh("or_d(multi(1,@0/**),or_b(multi(3,@1/**,@2/**,@3/**),su:after(500000)))")
                .is_sane()
        );
        // Malleable.
        assert!(!wsh("c:andor(ripemd160(6ad07d21fd5dfc646f0b30577045ce201616b9ba),pk_h(@0/**),and_v(v:hash256(8a35d9ca92a48eaade6f53a64985e9e2afeb74dcf8acb4c3721e0dc7e4294b25),pk_h(@1/**)))").is_sane());
        for n in [65536, SEQUENCE_TYPE_FLAG, SEQUENCE_TYPE_FLAG + 65536] {
            let ms = wsh(&format!("and_v(v:pk(@0/**),older({n}))"));
            assert!(!ms.older_in_safe_range(), "older({n})");
        }
        assert!(wsh("and_v(v:pk(@0/**),older(4259839))").older_in_safe_range());
    }

    #[test]
    fn uppercase_hashes_and_bad_key_expressions_do_not_parse() {
        let upper = "and_v(v:pk(@0/**),sha256(AE253CA2A54DEBCAC7ECF414F6734F48C56421A08BB59182FF9F39A6FFFDB588))";
        assert!(PolicyMs::<Segwitv0>::parse(upper).is_err());
        assert!(PolicyMs::<Segwitv0>::parse("pk(@0)").is_err());
        assert!(PolicyMs::<Segwitv0>::parse("pk(xpub)").is_err());
    }
}
