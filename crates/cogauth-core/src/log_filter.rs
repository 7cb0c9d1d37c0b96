//! The log filter both binaries use: their own verbosity, with the crates that could log
//! request or response bodies (which carry passwords and tokens) capped at `info` whatever
//! `RUST_LOG` asks for. Secrets are never logged, at any level.

/// Crates whose debug/trace output may include HTTP bodies or headers.
const CAPPED: &[&str] = &[
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "aws_smithy_types",
    "aws_sigv4",
    "aws_sdk_cognitoidentityprovider",
    "aws_sdk_cognitoidentity",
    "aws_sdk_sts",
    "aws_sdk_iam",
    "aws_sdk_lambda",
    "aws_config",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
    "reqwest",
    "lambda_runtime",
    "lambda_runtime_api_client",
];

/// The filter directives for `-v` count `verbose` and the user's `RUST_LOG`, as a string for
/// `tracing_subscriber::EnvFilter::new`.
pub fn directives(verbose: u8, rust_log: Option<&str>) -> String {
    let base = match rust_log {
        Some(r) if !r.trim().is_empty() => r.to_owned(),
        _ => match verbose {
            0 => "warn",
            // -v shows each AWS call (operation, endpoint, duration): cogauth logs them at debug.
            1 => "info,cogauth_core=debug",
            2 => "debug",
            _ => "trace",
        }
        .to_owned(),
    };
    // Later directives for the same target win in EnvFilter, so the caps come last.
    let mut out = base;
    for target in CAPPED {
        out.push_str(&format!(",{target}=info"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_sdk_crates_even_when_asked_for_trace() {
        let d = directives(0, Some("trace,aws_smithy_runtime=trace"));
        assert!(d.starts_with("trace,aws_smithy_runtime=trace"));
        assert!(d.ends_with(",lambda_runtime_api_client=info"));
        assert!(d.contains(",aws_smithy_runtime=info"));
        assert_eq!(directives(2, None).split(',').next(), Some("debug"));
        assert!(directives(1, None).starts_with("info,cogauth_core=debug,"));
    }
}
