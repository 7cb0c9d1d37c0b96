//! ~/.aws files (being written)
pub mod ini;
