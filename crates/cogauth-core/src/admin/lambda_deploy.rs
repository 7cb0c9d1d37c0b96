//! Lambda proxy deployment (placeholder: being written)
