//! Scheme known-answer tests.
