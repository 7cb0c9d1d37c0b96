//! The log filter both binaries use: their own verbosity, with the crates that could log
//! request or response bodies (which carry passwords and tokens) capped at `info` whatever
//! `RUST_LOG` asks for. Secrets are never logged, at any level.
//!
//! `EnvFilter` lets a more specific directive win: a longer target
//! (`aws_smithy_runtime::client::orchestrator=trace`) out-ranks the cap on its crate, and a
//! span or field filter (`[{rpc.service}]=trace`) enables every event inside the matching
//! spans, whatever their crate. So the user's directives for the capped crates, and every span
//! or field filter, are dropped before the caps are added.
//!
//! Below `-v`, the AWS credential chain (`aws_config`) is quiet: it warns about every source it
//! tries and fails (an instance metadata service that answers 403 off EC2, with a dump of the
//! whole response), and the caller turns "no credentials" into one line of its own.

/// Target prefixes of the crates whose debug/trace output may include HTTP bodies, headers,
/// signing inputs or configuration values: every crate of the AWS SDK (`aws_*`), HTTP, TLS and
/// the Lambda runtime. A prefix caps every target that starts with it, as in `EnvFilter`.
const CAPPED: &[&str] = &[
    "aws_",
    "hyper",
    "h2",
    "tower",
    "rustls",
    "reqwest",
    "lambda_runtime",
];

/// The filter directives for `-v` count `verbose` and the user's `RUST_LOG`, as a string for
/// `tracing_subscriber::EnvFilter::new`.
pub fn directives(verbose: u8, rust_log: Option<&str>) -> String {
    let base = match rust_log {
        Some(r) if !r.trim().is_empty() => r
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty() && !could_uncap(d))
            .collect::<Vec<_>>()
            .join(","),
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
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&format!("{target}=info"));
    }
    let quiet = verbose == 0 && rust_log.is_none_or(|r| r.trim().is_empty());
    if quiet {
        out.push_str(",aws_config=error");
    }
    out
}

/// Whether a user's directive could out-rank a cap: a span or field filter, or a target in a
/// capped crate.
fn could_uncap(directive: &str) -> bool {
    let target = directive
        .split(['=', '['])
        .next()
        .unwrap_or_default()
        .trim();
    directive.contains('[') || CAPPED.iter().any(|capped| target.starts_with(capped))
}

/// Whether log lines on stderr get ANSI colour: only when stderr is a terminal, and never when
/// `NO_COLOR` is set to anything but the empty string (<https://no-color.org>). Escape codes in a
/// file, a pipe or a CI log are noise.
pub fn colour(stderr_is_terminal: bool, no_color: Option<&str>) -> bool {
    stderr_is_terminal && no_color.is_none_or(str::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("")));
        assert!(!colour(true, Some("1")));
        assert!(!colour(false, None));
    }

    #[test]
    fn caps_sdk_crates_even_when_asked_for_trace() {
        let d = directives(0, Some("trace,aws_smithy_runtime=trace"));
        assert!(d.starts_with("trace,aws_=info,"), "{d}");
        assert!(d.ends_with(",lambda_runtime=info"), "{d}");
        assert_eq!(directives(2, None).split(',').next(), Some("debug"));
        assert!(directives(1, None).starts_with("info,cogauth_core=debug,"));
    }

    #[test]
    fn the_credential_chain_is_quiet_below_v() {
        assert!(directives(0, None).ends_with(",aws_config=error"));
        assert!(!directives(1, None).contains("aws_config=error"));
        assert!(!directives(0, Some("debug")).contains("aws_config=error"));
    }

    #[test]
    fn directives_that_could_out_rank_a_cap_are_dropped() {
        let d = directives(
            0,
            Some(
                "debug, aws_smithy_runtime::client::orchestrator=trace,[invoke]=trace,\
                 cogauth_core[{op}]=trace,hyper_util=trace,cogauth_core=trace,aws=trace",
            ),
        );
        let user: Vec<&str> = d.split(',').take_while(|p| !p.ends_with("=info")).collect();
        assert_eq!(user, ["debug", "cogauth_core=trace", "aws=trace"], "{d}");
        assert_eq!(
            directives(0, Some("[x]=trace")),
            CAPPED
                .iter()
                .map(|c| format!("{c}=info"))
                .collect::<Vec<_>>()
                .join(",")
        );
    }
}
