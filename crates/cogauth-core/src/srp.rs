//! SRP (placeholder: being written)
