//! The integration tests of `cogauth-admin`, in one binary (one link of the AWS SDK): the admin
//! checks of `cogauth doctor` against the emulator, the policy documents pinned as snapshots,
//! the `Debug` of the types that carry a secret, the docs of the admin config, and the layering.
//!
//! The commands themselves are tested through the real `cogadmin` binary, in cogadmin-cli.

mod debug;
mod docs;
mod doctor;
mod layering;
mod snapshots;
