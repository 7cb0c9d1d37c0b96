//! `cogauth-core`: log in to AWS Cognito and obtain temporary AWS credentials.
//!
//! The [`authenticator`] runs three stages, each behind a trait: the **user pool** stage
//! ([`userpool`], SRP by default, every challenge through a [`prompt::Prompter`]), the
//! **identity** stage ([`identity`], enhanced or basic flow) and an optional **upgrade** stage
//! ([`upgrade`], the Lambda credential proxy). [`awsfiles`] hands the result to the AWS tools,
//! [`cache`] keeps the session for silent refresh, and [`managed_login`] signs in through the
//! browser (a user-pool stage like SRP). The administrator's operations live in the
//! `cogauth-admin` crate, so that an embedder of this one compiles neither IAM nor `zip`.
//!
//! This crate never touches the terminal, and reads the environment and the clock only
//! through [`env::Env`] and [`clock::Clock`].

// The terminal belongs to the binaries (examples and tests may print).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod authenticator;
pub mod aws;
pub mod awsfiles;
pub mod broker;
pub mod cache;
pub mod clock;
pub mod config;
pub mod console;
pub mod credential_server;
pub mod credentials;
pub mod doctor;
pub mod env;
pub mod error;
pub mod fsutil;
pub mod identity;
pub mod log_filter;
pub mod managed_login;
pub mod paths;
pub mod prompt;
pub mod provider;
pub mod roles;
pub mod shell;
pub mod srp;
#[cfg(test)]
mod tidy;
pub mod upgrade;
pub mod userpool;

pub use credentials::{CredentialSource, Credentials, Tokens};
pub use error::{Error, Result};
