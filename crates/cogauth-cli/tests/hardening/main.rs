//! Hardening of the real `cogauth` binary: hostile and broken input, faults of the network and
//! of the service, secret hygiene at trace level, and a lock left by a killed process. The
//! library-level hardening (a hundred concurrent writers, SIGKILL at random points, fuzzing)
//! is in `cogauth-core`'s tests; docs/reliability.md has the figures.

mod hostile;
mod hygiene;
mod server;
mod stale_lock;
mod support;
