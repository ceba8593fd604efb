"""Drives a Speculos-compatible Ledger running the Ethereum app (porsign emulate, or Speculos)
with `ledgereth`, the Python Ledger signer built on Ledger's `ledgerblue` (which finds the device
through LEDGER_PROXY_ADDRESS / LEDGER_PROXY_PORT), for tests/wallet_clients.rs.

Each signature is checked here with `eth_account` / `eth_keys`, libraries independent of
porsign: the answer carries the address each signature recovers to, computed from the
transaction, message or typed data itself. The Rust side compares those addresses with the
real app's recorded address for the path.

Reads one JSON request on stdin, prints one JSON answer on stdout:
  {"op": "accounts", "count": 2}
  {"op": "account", "path": "44'/60'/0'/0/1"}
  {"op": "personal_sign", "path": ..., "message": "text"}
  {"op": "transaction", "path": ..., "tx": {...create_transaction arguments...}}
  {"op": "typed_data", "path": ..., "typed_data": {...EIP-712 document...}}
"""

import json
import sys

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_keys import KeyAPI
from eth_utils import keccak
from ledgereth import create_transaction, get_accounts, sign_message, sign_typed_data_draft
from ledgereth.accounts import get_account_by_path


def recover_digest(digest, v, r, s):
    # Ledger's Ethereum app answers v as 27/28 for messages and typed data.
    signature = KeyAPI.Signature(vrs=(v - 27, r, s))
    return signature.recover_public_key_from_msg_hash(digest).to_checksum_address()


def run(request):
    op = request["op"]
    if op == "accounts":
        # Ledger Live's layout: m/44'/60'/i'/0/0 for i = 0, 1, ...
        return [a.address for a in get_accounts(count=request.get("count", 2))]
    if op == "account":
        return get_account_by_path(request["path"]).address
    if op == "personal_sign":
        signed = sign_message(request["message"], sender_path=request["path"])
        message = encode_defunct(text=request["message"])
        return {"v_r_s": f"{signed.v:02x}{signed.r:064x}{signed.s:064x}",
                "recovered": Account.recover_message(
                    message, vrs=(signed.v, signed.r, signed.s))}
    if op == "transaction":
        tx = dict(request["tx"])
        tx["sender_path"] = request["path"]
        if "access_list" in tx:  # JSON has no tuples; ledgereth wants (address, keys) pairs
            tx["access_list"] = [(address, keys) for address, keys in tx["access_list"]]
        signed = create_transaction(**tx)
        raw = signed.raw_transaction()
        # Legacy transactions carry `v`; typed ones (EIP-2930, EIP-1559) `y_parity`.
        parity = getattr(signed, "v", None)
        if parity is None:
            parity = signed.y_parity
        return {"v": parity, "recovered": Account.recover_transaction(raw)}
    if op == "typed_data":
        encoded = encode_typed_data(full_message=request["typed_data"])
        domain_hash, message_hash = encoded.header, encoded.body
        signed = sign_typed_data_draft(domain_hash, message_hash, sender_path=request["path"])
        digest = keccak(b"\x19\x01" + domain_hash + message_hash)
        return {"v": signed.v, "digest": digest.hex(),
                "recovered": recover_digest(digest, signed.v, signed.r, signed.s)}
    raise ValueError(f"unknown op {op!r}")


def main():
    request = json.load(sys.stdin)
    try:
        answer = {"ok": run(request)}
    except Exception as error:  # a device refusal becomes data for the comparison
        answer = {"error": type(error).__name__, "detail": str(error)}
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
