//! Hardening of the real `cogauth` binary: hostile and broken input, faults of the network and
//! of the service, and secret hygiene at trace level. The library-level hardening (a hundred
//! concurrent writers, SIGKILL at random points, fuzzing) is in `cogauth-core`'s tests.

mod hostile;
mod hygiene;
mod support;
