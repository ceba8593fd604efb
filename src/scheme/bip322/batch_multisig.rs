//! Multisig inputs of a batch proof (P2WSH and P2SH-P2WSH `multi`/`sortedmulti`): the witness
//! from the cosigners' signatures, and the merge of cosigners' partial proofs.
//!
//! A cosigner alone cannot complete an input, so its proof is written in **slot form**: the
//! witness `<> slot_0 … slot_{n-1} <witnessScript>`, one slot per key in script order, empty
//! where that key's signature is missing. It does not verify (fail closed) until a merge fills
//! `threshold` slots; then it is written in the complete form CHECKMULTISIG takes:
//! `<> sig… <witnessScript>` with the first `threshold` signatures in key order. Which slot a
//! signature belongs to is known when it is made (the device names the key), so a merge needs
//! no signature hash: it unions slots.

use bitcoin::{ScriptBuf, Witness};

use super::batch::{decode_input, encode_input};
use super::SchemeError;

/// The proof of a multisig input from its slots: complete once `threshold` are filled, else in
/// slot form.
pub fn multisig_input(
    script_sig: &ScriptBuf,
    slots: &[Option<Vec<u8>>],
    witness_script: &ScriptBuf,
    threshold: usize,
) -> String {
    let filled: Vec<&[u8]> = slots.iter().flatten().map(Vec::as_slice).collect();
    let mut items: Vec<&[u8]> = vec![&[]];
    if filled.len() >= threshold {
        items.extend(filled.iter().take(threshold));
    } else {
        items.extend(slots.iter().map(|s| s.as_deref().unwrap_or(&[])));
    }
    items.push(witness_script.as_bytes());
    encode_input(script_sig, &Witness::from_slice(&items))
}

/// A multisig input's proof, read: its scriptSig, witness script, and slots when it is partial
/// (`None` when it is complete).
struct Read {
    script_sig: ScriptBuf,
    witness_script: Vec<u8>,
    slots: Option<Vec<Option<Vec<u8>>>>,
}

/// Reads a multisig input's proof; its key count and threshold come from its witness script.
fn read(proof: &str) -> Result<Read, SchemeError> {
    let (script_sig, witness) = decode_input(proof)?;
    let items: Vec<&[u8]> = witness.iter().collect();
    let bad = |why: &str| SchemeError::Bip322Invalid(format!("multisig input proof: {why}"));
    let (first, rest) = items.split_first().ok_or_else(|| bad("empty witness"))?;
    let (script, middle) = rest.split_last().ok_or_else(|| bad("no witness script"))?;
    let parsed = crate::scheme::multisig::parse_script(&ScriptBuf::from_bytes(script.to_vec()))
        .map_err(|_| bad("the witness script is not a multisig script"))?;
    let (keys, threshold) = (parsed.keys.len(), parsed.threshold);
    if !first.is_empty() {
        return Err(bad(
            "the first witness item must be empty (CHECKMULTISIG's extra pop)",
        ));
    }
    let filled = middle.iter().filter(|s| !s.is_empty()).count();
    let slots = (middle.len() == keys && filled < threshold).then(|| {
        middle
            .iter()
            .map(|s| (!s.is_empty()).then(|| s.to_vec()))
            .collect()
    });
    Ok(Read {
        script_sig,
        witness_script: script.to_vec(),
        slots,
    })
}

/// For a multisig input's proof that still waits for other cosigners: how many signatures it
/// holds and how many the script needs. `None` when it is complete.
pub fn partial_multisig_input(proof: &str) -> Result<Option<(usize, usize)>, SchemeError> {
    let r = read(proof)?;
    let Some(slots) = r.slots else {
        return Ok(None);
    };
    let threshold =
        crate::scheme::multisig::parse_script(&ScriptBuf::from_bytes(r.witness_script))?.threshold;
    Ok(Some((slots.iter().flatten().count(), threshold)))
}

/// Merges two cosigners' proofs of the same multisig input. A complete proof wins (the first,
/// if both are); two partial ones are united slot by slot, and two different signatures in one
/// slot, another witness script or another scriptSig are a conflict.
pub fn merge_multisig_inputs(a: &str, b: &str) -> Result<String, String> {
    let ra = read(a).map_err(|e| e.to_string())?;
    let rb = read(b).map_err(|e| e.to_string())?;
    let script = ScriptBuf::from_bytes(ra.witness_script.clone());
    let threshold = crate::scheme::multisig::parse_script(&script)
        .map_err(|e| e.to_string())?
        .threshold;
    if ra.script_sig != rb.script_sig || ra.witness_script != rb.witness_script {
        return Err("the two proofs spend another script".into());
    }
    let (Some(sa), Some(sb)) = (&ra.slots, &rb.slots) else {
        return Ok(if ra.slots.is_none() { a } else { b }.to_owned());
    };
    let mut slots = Vec::with_capacity(sa.len());
    for (x, y) in sa.iter().zip(sb) {
        slots.push(match (x, y) {
            (Some(x), Some(y)) if x != y => {
                return Err("two different signatures by one key".into())
            }
            (Some(x), _) => Some(x.clone()),
            (None, y) => y.clone(),
        });
    }
    Ok(multisig_input(&ra.script_sig, &slots, &script, threshold))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // tests index what they built; a panic is a test failure.
mod tests {
    use super::*;
    use bitcoin::secp256k1::{PublicKey, SecretKey, SECP256K1};

    /// A 2-of-3 `multi` script of fixed keys.
    fn script() -> ScriptBuf {
        let mut b = bitcoin::script::Builder::new().push_int(2);
        for n in 1u8..=3 {
            let key =
                PublicKey::from_secret_key(SECP256K1, &SecretKey::from_slice(&[n; 32]).unwrap());
            b = b.push_slice(key.serialize());
        }
        b.push_int(3)
            .push_opcode(bitcoin::opcodes::all::OP_CHECKMULTISIG)
            .into_script()
    }

    fn share(slots: &[Option<u8>]) -> String {
        let slots: Vec<Option<Vec<u8>>> = slots.iter().map(|s| s.map(|b| vec![b; 71])).collect();
        multisig_input(&ScriptBuf::new(), &slots, &script(), 2)
    }

    #[test]
    fn shares_merge_slot_by_slot_into_the_complete_form() {
        let a = share(&[Some(1), None, None]);
        let c = share(&[None, None, Some(3)]);
        assert_eq!(partial_multisig_input(&a).unwrap(), Some((1, 2)));
        let merged = merge_multisig_inputs(&a, &c).unwrap();
        assert_eq!(partial_multisig_input(&merged).unwrap(), None);
        let (_, witness) = decode_input(&merged).unwrap();
        let items: Vec<&[u8]> = witness.iter().collect();
        // <> sig(key 0) sig(key 2) <script>: CHECKMULTISIG's form, signatures in key order.
        assert_eq!(items.len(), 4);
        assert!(items[0].is_empty());
        assert_eq!((items[1][0], items[2][0]), (1, 3));
        // A complete proof wins over a share.
        assert_eq!(merge_multisig_inputs(&merged, &a).unwrap(), merged);
    }

    #[test]
    fn conflicting_shares_are_refused() {
        let a = share(&[Some(1), None, None]);
        let other_sig = share(&[Some(9), None, None]);
        assert!(merge_multisig_inputs(&a, &other_sig)
            .unwrap_err()
            .contains("two different signatures"));
        let other_script = multisig_input(
            &ScriptBuf::from_bytes(vec![0x00]),
            &[Some(vec![2; 71]), None, None],
            &script(),
            2,
        );
        assert!(merge_multisig_inputs(&a, &other_script).is_err());
    }
}
