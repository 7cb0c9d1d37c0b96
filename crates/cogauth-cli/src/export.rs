//! `cogauth export`: the credentials as shell, JSON or dotenv text, for `eval` or files.

use anyhow::Result;
use chrono::SecondsFormat;
use clap::{Args, ValueEnum};
use cogauth_core::credentials::Credentials;

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    #[arg(long, value_enum, default_value_t = Format::Env)]
    pub format: Format,
    /// Refresh when fewer than this many minutes remain.
    #[arg(long, value_name = "MINUTES", default_value_t = 15)]
    pub window: u32,
    /// Do not upgrade through the Lambda proxy when refreshing.
    #[arg(long)]
    pub no_lambda_proxy: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `export KEY='value'` lines for sh, bash and zsh.
    Env,
    /// `KEY='value'` lines, without `export`.
    EnvNoExport,
    /// The credential_process JSON.
    Json,
    /// `set -gx KEY 'value'` lines for fish.
    Fish,
    /// `$Env:KEY = 'value'` lines for PowerShell.
    Powershell,
    /// `KEY=value` lines for .env files.
    Dotenv,
}

/// The credential_process JSON (Version 1).
pub fn process_json(creds: &Credentials) -> String {
    serde_json::json!({
        "Version": 1,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key(),
        "SessionToken": creds.session_token(),
        "Expiration": creds.expiration.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
    .to_string()
}

/// The environment variables the AWS SDKs read, in a stable order.
pub fn variables(creds: &Credentials, region: Option<&str>) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            creds.secret_access_key().to_owned(),
        ),
        ("AWS_SESSION_TOKEN", creds.session_token().to_owned()),
        (
            "AWS_CREDENTIAL_EXPIRATION",
            creds.expiration.to_rfc3339_opts(SecondsFormat::Secs, true),
        ),
    ];
    if let Some(region) = region {
        vars.push(("AWS_REGION", region.to_owned()));
        vars.push(("AWS_DEFAULT_REGION", region.to_owned()));
    }
    vars
}

fn sh_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

fn fish_quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', r"\\").replace('\'', r"\'"))
}

fn powershell_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

pub fn render(format: Format, creds: &Credentials, region: Option<&str>) -> String {
    if format == Format::Json {
        return process_json(creds) + "\n";
    }
    variables(creds, region)
        .iter()
        .map(|(k, v)| match format {
            Format::Env => format!("export {k}={}\n", sh_quote(v)),
            Format::EnvNoExport => format!("{k}={}\n", sh_quote(v)),
            Format::Fish => format!("set -gx {k} {};\n", fish_quote(v)),
            Format::Powershell => format!("$Env:{k} = {}\n", powershell_quote(v)),
            Format::Dotenv => format!("{k}={v}\n"),
            Format::Json => unreachable!("handled above"),
        })
        .collect()
}

pub fn run(args: ExportArgs) -> Result<()> {
    let broker = crate::context::broker(args.profile.profile.clone(), Default::default())?;
    let creds = crate::obtain::credentials(&broker, args.window, !args.no_lambda_proxy)?;
    let region = broker.settings().region.as_ref().map(|r| r.value.as_str());
    print!("{}", render(args.format, &creds, region));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z")
            .unwrap()
            .to_utc();
        Credentials::new("AKID", "se'cret", "tok+/=", at)
    }

    #[test]
    fn every_format_quotes_for_its_shell() {
        let c = creds();
        assert!(
            render(Format::Env, &c, Some("eu-west-1"))
                .contains("export AWS_SECRET_ACCESS_KEY='se'\\''cret'\n")
        );
        assert!(render(Format::EnvNoExport, &c, None).starts_with("AWS_ACCESS_KEY_ID='AKID'\n"));
        assert!(
            render(Format::Fish, &c, None).contains("set -gx AWS_SECRET_ACCESS_KEY 'se\\'cret';")
        );
        assert!(
            render(Format::Powershell, &c, None)
                .contains("$Env:AWS_SECRET_ACCESS_KEY = 'se''cret'")
        );
        assert!(
            render(Format::Dotenv, &c, Some("us-east-1"))
                .contains("AWS_DEFAULT_REGION=us-east-1\n")
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(Format::Json, &c, None)).unwrap();
        assert_eq!(json["Version"], 1);
        assert_eq!(json["Expiration"], "2026-11-26T12:00:00Z");
    }
}
