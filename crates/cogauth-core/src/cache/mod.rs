//! Session cache (placeholder: being written)
