//! Sans-io APDU commands and replies for the Ledger Bitcoin app (protocol v2) and the Ethereum app.
