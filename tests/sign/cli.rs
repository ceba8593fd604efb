//! CLI sign tests (TCP emulator).
