//! The flags of `cogadmin lambda deploy`, defined once: `cargo xtask deploy-lambda` flattens
//! the same [`DeployArgs`], so the two commands cannot drift apart. Only where the package comes
//! from differs (`--zip` for cogadmin; xtask builds it). [`RotateArgs`] are those of
//! `cogadmin lambda rotate-key`.

use secrecy::SecretString;

use super::{DeployRequest, KeySource};
use crate::target::TargetFlags;

#[derive(clap::Args, Debug)]
pub struct DeployArgs {
    /// Create the proxy's IAM user if it does not exist (cogauth then manages its access key).
    #[arg(long, conflicts_with = "access_key_id")]
    pub create_user: bool,
    /// Use this existing access key instead of one cogauth manages; the secret comes from stdin.
    #[arg(long, requires = "secret_access_key_stdin")]
    pub access_key_id: Option<String>,
    /// Read the secret access key of --access-key-id from stdin (one line).
    #[arg(long, requires = "access_key_id")]
    pub secret_access_key_stdin: bool,
    /// The original's flag, refused: a secret on the command line shows up in /proc and in the
    /// shell's history. Its parser fails before a value is kept, so `Debug` never shows one.
    #[arg(long, hide = true, value_name = "KEY", value_parser = RefuseSecretFlag)]
    pub secret_access_key: Option<String>,
    /// Replace the deployed access key with a new one (create, deploy, then delete the old).
    #[arg(long, conflicts_with = "access_key_id")]
    pub rotate_key: bool,
    /// The user pool whose ID tokens the proxy accepts (default: the profile given with
    /// --profile, else the last `cogadmin setup`, else the default cogauth profile). The
    /// function goes into its region unless --region says otherwise.
    #[arg(long, value_name = "ID")]
    pub user_pool_id: Option<String>,
    /// An app client whose tokens the proxy accepts; repeat for several (default: from where
    /// the user pool came from).
    #[arg(long = "client-id", value_name = "ID")]
    pub client_ids: Vec<String>,
    /// The identity pool whose authenticated role gets permission to invoke the proxy
    /// (default: from where the user pool came from).
    #[arg(long, value_name = "ID")]
    pub identity_pool_id: Option<String>,
    /// Take the user pool, app client and identity pool from this cogauth profile.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// The function's name (default: admin config, `cognito-credential-proxy`).
    #[arg(long, value_name = "NAME")]
    pub function_name: Option<String>,
    /// The IAM user's name (default: admin config, `CognitoCredentialProxyUser`).
    #[arg(long, value_name = "NAME")]
    pub iam_user_name: Option<String>,
    /// The execution role's name (default: admin config, `CognitoCredentialProxyRole`).
    #[arg(long, value_name = "NAME")]
    pub execution_role_name: Option<String>,
    /// The long-lived role's name (default: admin config, `CognitoLongLivedRole`).
    #[arg(long, value_name = "NAME")]
    pub long_lived_role_name: Option<String>,
    /// Take over what the deploy finds by name but did not create (it lacks the tag
    /// `cogauth:managed = true`; e.g. a deployment of an earlier cogadmin): tag it, then deploy.
    /// Also accepts the names a ./admin-config.json sets.
    #[arg(long)]
    pub adopt: bool,
    /// Show what would be created or updated, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl DeployArgs {
    /// The request, with the function's `region` (`--region`, where the command has it).
    /// `read_secret` is called only for --access-key-id, so stdin is read only then.
    pub fn request<E>(
        self,
        region: Option<String>,
        read_secret: impl FnOnce() -> Result<SecretString, E>,
    ) -> Result<DeployRequest, E> {
        let keys = KeySource::from_flags(
            self.access_key_id.as_deref(),
            self.create_user,
            self.rotate_key,
            read_secret,
        )?;
        Ok(DeployRequest {
            targets: TargetFlags {
                user_pool_id: self.user_pool_id,
                client_ids: self.client_ids,
                identity_pool_id: self.identity_pool_id,
                profile: self.profile,
            },
            region,
            function_name: self.function_name,
            iam_user_name: self.iam_user_name,
            execution_role_name: self.execution_role_name,
            long_lived_role_name: self.long_lived_role_name,
            keys,
            adopt: self.adopt,
            dry_run: self.dry_run,
        })
    }
}

/// The flags of `cogadmin lambda rotate-key`.
#[derive(clap::Args, Debug)]
pub struct RotateArgs {
    /// The function whose key to rotate (default: admin config, `cognito-credential-proxy`).
    #[arg(long, value_name = "NAME")]
    pub function_name: Option<String>,
    /// The IAM user whose key it is, when IAM no longer knows the key in the secret (default:
    /// the owner of that key, else admin config, `CognitoCredentialProxyUser`).
    #[arg(long, value_name = "NAME")]
    pub iam_user_name: Option<String>,
    /// The user pool the proxy serves, for the function's region (default: as for `deploy`);
    /// --region overrides.
    #[arg(long, value_name = "ID")]
    pub user_pool_id: Option<String>,
    /// Take the user pool from this cogauth profile (for the function's region).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Take over a secret or IAM user that cogadmin did not create: tag it, then rotate.
    #[arg(long)]
    pub adopt: bool,
    /// Show what would be done, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl RotateArgs {
    /// The options: the flags, then the admin config; the region is `region` (`--region`),
    /// else the user pool's (flags > profile > last setup > default profile), else
    /// `fallback_region` (the AWS config chain's).
    pub fn options(
        self,
        region: Option<String>,
        fallback_region: Option<&str>,
        admin: &crate::config::LoadedAdminConfig,
        env: &dyn cogauth_core::env::Env,
    ) -> Result<super::RotateOptions, crate::AdminError> {
        let names = &admin.config.aws_service_names;
        let region = match region {
            Some(region) => region,
            None => {
                let flags = TargetFlags {
                    user_pool_id: self.user_pool_id,
                    profile: self.profile,
                    ..TargetFlags::default()
                };
                let pool = crate::target::Resolver::new(flags, admin, env)?.user_pool_id();
                match (pool, fallback_region) {
                    (Ok(pool), _) => cogauth_core::config::ids::region_of_user_pool(&pool.value)
                        .unwrap_or_default()
                        .to_owned(),
                    (Err(_), Some(region)) => region.to_owned(),
                    (Err(e), None) => return Err(e.into()),
                }
            }
        };
        Ok(super::RotateOptions {
            function: self
                .function_name
                .unwrap_or_else(|| names.lambda_function_name.clone()),
            iam_user: self
                .iam_user_name
                .unwrap_or_else(|| names.iam_user_name.clone()),
            region,
            adopt: self.adopt,
            dry_run: self.dry_run,
        })
    }
}

/// The parser of `--secret-access-key`: always an error that says what to do instead, and
/// never repeats the value (clap's own "invalid value" errors would print it).
#[derive(Debug, Clone, Copy)]
struct RefuseSecretFlag;

impl clap::builder::TypedValueParser for RefuseSecretFlag {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        _value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let mut err = clap::Error::raw(
            clap::error::ErrorKind::ArgumentConflict,
            "--secret-access-key is not accepted: a secret on the command line shows up in \
             /proc and in the shell's history. Give --access-key-id ID and pipe the secret in \
             with --secret-access-key-stdin, e.g. `printf '%s\\n' \"$SECRET\" | cogadmin lambda \
             deploy --access-key-id ID --secret-access-key-stdin`\n",
        );
        // The command only styles the message; the usage would repeat the secret-less flags.
        err = err.with_cmd(cmd);
        Err(err)
    }
}
