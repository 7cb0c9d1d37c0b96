//! Administrator operations shared by `cogadmin` and `xtask` (placeholder: being written).

pub mod lambda_deploy;
