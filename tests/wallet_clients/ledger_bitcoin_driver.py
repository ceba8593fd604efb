"""Drives a Speculos-compatible Ledger (porsign emulate, or Speculos) with Ledger's own
`ledger_bitcoin` client, one operation per run, for tests/wallet_clients.rs.

Reads one JSON request on stdin, prints one JSON answer on stdout, in the shape the recorded
transcripts' `result` fields use (fixtures/speculos/btc-hwi-*.json), so that the Rust side can
compare the two directly:

  {"op": "register", "port": 9999, "chain": "main"|"test", "policy": {name, descriptor_template, keys_info}}
  {"op": "address", ..., "policy": ..., "hmac": hex|null, "change": 0, "index": 0, "display": false}
  {"op": "sign_psbt", ..., "policy": ..., "hmac": hex|null, "psbt": base64}
  {"op": "xpub", ..., "path": "m/84'/0'/0'"}
  {"op": "sign_message", ..., "message": str, "path": "m/84'/0'/0'/0/0"}

A device error answers {"error": exception class, "sw": hex, "error_code": hex of the data
sent before the status word, if any}.
"""

import json
import sys

from ledger_bitcoin import Chain, TransportClient, WalletPolicy, createClient


def policy_of(request):
    p = request["policy"]
    return WalletPolicy(p["name"], p["descriptor_template"], p["keys_info"])


def hmac_of(request):
    h = request.get("hmac")
    return bytes.fromhex(h) if h else None


def run(client, request):
    op = request["op"]
    if op == "register":
        wallet_id, hmac = client.register_wallet(policy_of(request))
        return {"wallet_id": wallet_id.hex(), "hmac": hmac.hex()}
    if op == "address":
        return client.get_wallet_address(
            policy_of(request), hmac_of(request), request.get("change", 0),
            request.get("index", 0), request.get("display", False))
    if op == "sign_psbt":
        signed = client.sign_psbt(request["psbt"], policy_of(request), hmac_of(request))
        return {"signatures": [
            [index, {
                "pubkey": part.pubkey.hex(),
                "signature": part.signature.hex(),
                "tapleaf_hash": part.tapleaf_hash.hex() if part.tapleaf_hash else None,
            }] for index, part in signed]}
    if op == "xpub":
        return client.get_extended_pubkey(request["path"])
    if op == "sign_message":
        return client.sign_message(request["message"], request["path"])
    raise ValueError(f"unknown op {op!r}")


def main():
    request = json.load(sys.stdin)
    transport = TransportClient("tcp", server="127.0.0.1", port=request["port"])
    # Remember the last reply so an error can report the bytes the device sent before the
    # status word (the app's 2-byte error code); the client's exceptions drop them.
    last = {}
    exchange = transport.transport.exchange

    def recording_exchange(*args, **kwargs):
        sw, data = exchange(*args, **kwargs)
        last["sw"], last["data"] = sw, data
        return sw, data

    transport.transport.exchange = recording_exchange
    chain = Chain.MAIN if request.get("chain", "main") == "main" else Chain.TEST
    try:
        client = createClient(transport, chain=chain)
        answer = {"ok": run(client, request)}
    except Exception as error:  # every device error becomes data for the comparison
        answer = {"error": type(error).__name__}
        if "sw" in last and last["sw"] != 0x9000:
            answer["sw"] = f"{last['sw']:04x}"
            if last["data"]:
                answer["error_code"] = last["data"].hex()
        answer["detail"] = str(error)
    finally:
        transport.stop()
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
