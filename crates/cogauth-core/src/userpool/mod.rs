//! User-pool stage (placeholder: being written)
