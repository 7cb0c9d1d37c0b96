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
    /// `KEY='value'` lines for .env files, read back exactly by python-dotenv and npm dotenv.
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

/// A value for a `.env` file that python-dotenv (with or without its `${VAR}` interpolation)
/// and npm dotenv (16 to 18) both read back exactly; `Err` says what no quoting can carry.
///
/// Single quotes, in which both take every character literally (spaces, `"`, `$`, `#`,
/// backticks, line breaks), except that python-dotenv reads `\\` as one backslash and a final
/// `\` as escaping the quote. A value with a `'` goes in double quotes instead, where both
/// are literal as long as there is no `"` and no backslash (python-dotenv decodes escapes
/// there, npm dotenv `\n`). `${` is expanded by python-dotenv in any quotes, and a carriage
/// return becomes a line feed in both. AWS credentials never hold any of these; the rule is
/// checked against the real parsers in `tests/data/dotenv/parsers.json`.
fn dotenv_quote(v: &str) -> Result<String, &'static str> {
    if v.contains("${") {
        return Err("`${`, which python-dotenv expands as a variable");
    }
    if v.contains('\r') {
        return Err("a carriage return, which both parsers turn into a line feed");
    }
    if !v.contains('\'') {
        if v.contains(r"\\") || v.ends_with('\\') {
            return Err("a backslash that python-dotenv reads as an escape");
        }
        return Ok(format!("'{v}'"));
    }
    if v.contains('"') {
        return Err("both `'` and `\"`");
    }
    if v.contains('\\') {
        return Err("`'` and a backslash, which the parsers unescape in double quotes");
    }
    Ok(format!("\"{v}\""))
}

pub fn render(format: Format, creds: &Credentials, region: Option<&str>) -> Result<String> {
    if format == Format::Json {
        return Ok(process_json(creds) + "\n");
    }
    let mut out = String::new();
    for (k, v) in variables(creds, region) {
        out.push_str(&match format {
            Format::Env => format!("export {k}={}\n", sh_quote(&v)),
            Format::EnvNoExport => format!("{k}={}\n", sh_quote(&v)),
            Format::Fish => format!("set -gx {k} {};\n", fish_quote(&v)),
            Format::Powershell => format!("$Env:{k} = {}\n", powershell_quote(&v)),
            Format::Dotenv => {
                let quoted = dotenv_quote(&v).map_err(|what| {
                    anyhow::anyhow!(
                        "cannot write {k} for a .env file: its value has {what}, so dotenv parsers would not read it back as it is: use another --format (env, json)"
                    )
                })?;
                format!("{k}={quoted}\n")
            }
            Format::Json => unreachable!("handled above"),
        });
    }
    Ok(out)
}

pub fn run(args: ExportArgs) -> Result<()> {
    let broker = crate::context::broker(args.profile.profile.clone(), Default::default())?;
    let creds = crate::obtain::credentials(&broker, args.window, !args.no_lambda_proxy)?;
    let region = broker.settings().region.as_ref().map(|r| r.value.as_str());
    print!("{}", render(args.format, &creds, region)?);
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
        let render = |f, region| render(f, &c, region).unwrap();
        assert!(
            render(Format::Env, Some("eu-west-1"))
                .contains("export AWS_SECRET_ACCESS_KEY='se'\\''cret'\n")
        );
        assert!(render(Format::EnvNoExport, None).starts_with("AWS_ACCESS_KEY_ID='AKID'\n"));
        assert!(render(Format::Fish, None).contains("set -gx AWS_SECRET_ACCESS_KEY 'se\\'cret';"));
        assert!(
            render(Format::Powershell, None).contains("$Env:AWS_SECRET_ACCESS_KEY = 'se''cret'")
        );
        let dotenv = render(Format::Dotenv, Some("us-east-1"));
        assert!(
            dotenv.contains("AWS_DEFAULT_REGION='us-east-1'\n"),
            "{dotenv}"
        );
        assert!(
            dotenv.contains("AWS_SECRET_ACCESS_KEY=\"se'cret\"\n"),
            "{dotenv}"
        );
        let json: serde_json::Value = serde_json::from_str(&render(Format::Json, None)).unwrap();
        assert_eq!(json["Version"], 1);
        assert_eq!(json["Expiration"], "2026-11-26T12:00:00Z");
    }

    /// The rule against what python-dotenv and npm dotenv really read (see the file's `about`).
    #[test]
    fn dotenv_values_read_back_exactly_or_are_refused() {
        let data: serde_json::Value =
            serde_json::from_str(include_str!("../tests/data/dotenv/parsers.json")).unwrap();
        let vectors = data["vectors"].as_array().unwrap();
        assert!(vectors.len() > 20);
        for v in vectors {
            let value = v["value"].as_str().unwrap();
            let parsed = v["parsed"].as_object().unwrap();
            assert!(
                parsed.len() >= 5,
                "python-dotenv twice, three npm dotenv versions"
            );
            match v["quoted"].as_str() {
                Some(quoted) => {
                    assert_eq!(dotenv_quote(value).as_deref(), Ok(quoted), "{value:?}");
                    for (parser, read) in parsed {
                        assert_eq!(read, value, "{parser} reads {quoted:?} back");
                    }
                }
                None => {
                    assert!(dotenv_quote(value).is_err(), "{value:?} must be refused");
                    assert!(
                        parsed.values().any(|read| read != value),
                        "{value:?} is refused for a reason"
                    );
                }
            }
        }
    }
}
