//! `cogauth token`: the user-pool ID token (or access token) for APIs behind a Cognito
//! authorizer. Stdout holds the token alone (or, with `--json`, one JSON document); a token
//! that would expire within the window is refreshed silently first.

use anyhow::Result;
use chrono::SecondsFormat;
use clap::Args;
use secrecy::ExposeSecret;

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    /// The ID token (the default): what API Gateway's Cognito authorizers and ALB expect.
    #[arg(long, conflicts_with = "access")]
    pub id: bool,
    /// The access token (for scopes, and for Cognito's own user APIs).
    #[arg(long)]
    pub access: bool,
    /// Print `{"token", "token_use", "expiration"}` instead of the bare token.
    #[arg(long)]
    pub json: bool,
    /// The token stays valid for at least this many minutes (when the pool issues tokens that
    /// last this long); refreshed first otherwise.
    #[arg(long, value_name = "MINUTES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=1440))]
    pub window: u32,
}

/// Which of the two tokens a command hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Id,
    Access,
}

impl TokenUse {
    pub fn from_access_flag(access: bool) -> Self {
        if access { Self::Access } else { Self::Id }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Access => "access",
        }
    }

    /// The token of this use.
    pub fn pick(self, tokens: &cogauth_core::broker::ObtainedTokens) -> &secrecy::SecretString {
        match self {
            Self::Id => &tokens.id_token,
            Self::Access => &tokens.access_token,
        }
    }
}

pub fn run(args: TokenArgs) -> Result<()> {
    let broker = crate::context::broker(args.profile.profile.clone(), Default::default())?;
    let window = chrono::Duration::minutes(i64::from(args.window));
    let tokens = crate::obtain::tokens(&broker, window)?;
    let left = tokens.expires_at - chrono::Utc::now();
    if left < window {
        eprintln!(
            "cogauth: warning: the user pool issues tokens that last less than --window {} min: this one expires in {} s",
            args.window,
            left.num_seconds().max(0)
        );
    }
    let token_use = TokenUse::from_access_flag(args.access);
    let token = token_use.pick(&tokens).expose_secret();
    if args.json {
        let report = serde_json::json!({
            "token": token,
            "token_use": token_use.name(),
            "expiration": tokens.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        });
        println!("{report}");
    } else {
        println!("{token}");
    }
    Ok(())
}
