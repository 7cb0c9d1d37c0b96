//! ~/.aws files (placeholder: being written)
