//! Challenge.
