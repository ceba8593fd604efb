//! Attestation bundle.
