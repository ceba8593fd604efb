//! Device code on recorded transcripts: the host drivers must send exactly what Ledger's own
//! client sent to the real apps, and decode what the apps answered.

mod replay;
