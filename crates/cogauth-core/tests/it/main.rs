//! The core's integration tests, in one binary (each test binary links the AWS SDK: one link
//! instead of ten). The tests that must run alone keep their own binaries: the crash and
//! concurrency stress tests (`hardening_crash.rs`, `hardening_concurrency.rs`, which start
//! hundreds of processes) and the fuzzers (`fuzz_config.rs`, `fuzz_ini.rs`).

mod common;

mod awsfiles;
mod cache;
mod docs;
mod doctor;
mod embed_example;
mod emulator;
mod hardening_debug;
mod pipeline;
mod srp_vectors;
mod userpool;
