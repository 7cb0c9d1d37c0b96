//! The credential proxy's integration tests, in one binary: the handler over fakes (every
//! refusal), the real dependencies against the emulator (verification, GetUser, Secrets
//! Manager, STS), the real `bootstrap` binary under a Lambda Runtime API, and what must never
//! show in `Debug` or the logs. The fuzz targets are a binary of their own (`fuzz_event`).

mod common;

mod audit_identity;
mod emulator;
mod handler;
mod hardening_debug;
mod jwks_limits;
mod logging;
mod revocation;
mod rotation;
mod runtime_api;
