//! Reachability of the three login endpoints, and the clock skew read from their answers.
//!
//! Each endpoint gets one unsigned request to an operation that needs no AWS credentials, with
//! a value AWS rejects at once (an invalid access token, the nil identity, a malformed web
//! identity token): any answer from the service, even an error, proves the endpoint is
//! reachable, and its HTTP `Date` header gives the server's time. Only an unreachable or
//! silent endpoint fails.

use std::sync::{Arc, Mutex};

use aws_config::retry::RetryConfig;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};

use super::{Check, Outcome, fail, names, skipped};
use crate::aws::{self, Failure, Service};
use crate::env::{Env, vars};

/// AWS rejects signed requests more than 5 minutes off; cogauth's expiry logic trusts the clock.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// What the probes found.
#[derive(Debug)]
pub(crate) struct Probes {
    pub checks: Vec<Check>,
    /// The first `Date` header seen (STS's, else another service's).
    pub server_date: Option<DateTime<Utc>>,
}

/// Records the `Date` header of the HTTP response.
#[derive(Debug, Clone, Default)]
struct DateRecorder(Arc<Mutex<Option<String>>>);

impl DateRecorder {
    fn date(&self) -> Option<DateTime<Utc>> {
        let raw = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()?;
        parse_http_date(&raw)
    }
}

impl Intercept for DateRecorder {
    fn name(&self) -> &'static str {
        "cogauth-doctor-date"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(date) = context.response().headers().get("date") {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(date.to_owned());
        }
        Ok(())
    }
}

/// An HTTP date (`Thu, 26 Nov 2026 10:58:27 GMT`).
pub(crate) fn parse_http_date(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(raw.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// How one probe went: a service error is a reachable endpoint.
fn reached<T, E, R>(result: &Result<T, SdkError<E, R>>) -> Result<(), Failure>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(e) => match aws::classify(e) {
            Failure::Service { .. } => Ok(()),
            other => Err(other),
        },
    }
}

/// One request to each login endpoint, concurrently, without retries (a doctor answers fast).
pub(crate) async fn probe_endpoints(env: &dyn Env, region: &str) -> Probes {
    let idp_date = DateRecorder::default();
    let identity_date = DateRecorder::default();
    let sts_date = DateRecorder::default();

    let idp = aws::cognito_idp(env, region);
    let idp_call = idp
        .get_user()
        .access_token("cogauth-doctor-probe")
        .customize()
        .interceptor(idp_date.clone())
        .config_override(
            aws_sdk_cognitoidentityprovider::config::Builder::default()
                .retry_config(RetryConfig::disabled()),
        )
        .send();
    let identity = aws::cognito_identity(env, region);
    let identity_call = identity
        .get_credentials_for_identity()
        .identity_id(format!("{region}:00000000-0000-0000-0000-000000000000"))
        .customize()
        .interceptor(identity_date.clone())
        .config_override(
            aws_sdk_cognitoidentity::config::Builder::default()
                .retry_config(RetryConfig::disabled()),
        )
        .send();
    let sts = aws::sts(env, region, None);
    let sts_call = sts
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::000000000000:role/cogauth-doctor-probe")
        .role_session_name("cogauth-doctor-probe")
        .web_identity_token("cogauth-doctor-probe")
        .customize()
        .interceptor(sts_date.clone())
        .config_override(
            aws_sdk_sts::config::Builder::default().retry_config(RetryConfig::disabled()),
        )
        .send();
    let (idp_result, identity_result, sts_result) = tokio::join!(idp_call, identity_call, sts_call);

    let outcomes = [
        (
            names::COGNITO_IDP_ENDPOINT,
            Service::CognitoIdentityProvider,
            reached(&idp_result),
        ),
        (
            names::COGNITO_IDENTITY_ENDPOINT,
            Service::CognitoIdentity,
            reached(&identity_result),
        ),
        (names::STS_ENDPOINT, Service::Sts, reached(&sts_result)),
    ];
    let checks = outcomes
        .into_iter()
        .map(|(name, service, result)| Check {
            name: name.to_owned(),
            outcome: match result {
                Ok(()) => Outcome::Pass,
                Err(failure) => unreachable_outcome(env, service, region, &failure),
            },
        })
        .collect();
    Probes {
        checks,
        server_date: sts_date
            .date()
            .or_else(|| idp_date.date())
            .or_else(|| identity_date.date()),
    }
}

fn unreachable_outcome(
    env: &dyn Env,
    service: Service,
    region: &str,
    failure: &Failure,
) -> Outcome {
    let endpoint = aws::effective_endpoint(env, service, region);
    let problem = match failure {
        Failure::BadResponse { detail } => {
            format!("`{endpoint}` answered, but not as AWS does: {detail}")
        }
        other => format!("cannot reach `{endpoint}`: {other}"),
    };
    let fix = match aws::endpoint_override(env, service) {
        Some(_) => format!(
            "the endpoint comes from {} or {}: point it at a running endpoint, or unset it to \
             use AWS",
            per_service_var(service),
            vars::AWS_ENDPOINT_URL
        ),
        None => format!(
            "check the network, DNS and any proxy (HTTPS_PROXY) for `{endpoint}`, and that \
             `{region}` is the region of your pools"
        ),
    };
    fail(problem, fix)
}

fn per_service_var(service: Service) -> &'static str {
    match service {
        Service::CognitoIdentityProvider => vars::AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
        Service::CognitoIdentity => vars::AWS_ENDPOINT_URL_COGNITO_IDENTITY,
        Service::Sts => vars::AWS_ENDPOINT_URL_STS,
        Service::Lambda => vars::AWS_ENDPOINT_URL_LAMBDA,
        Service::Iam => vars::AWS_ENDPOINT_URL_IAM,
        Service::SecretsManager => vars::AWS_ENDPOINT_URL_SECRETS_MANAGER,
    }
}

/// Compares the local clock with the time an AWS endpoint reported.
pub(crate) fn clock_skew(server: Option<&DateTime<Utc>>, local: DateTime<Utc>) -> Outcome {
    let Some(server) = server else {
        return skipped("no AWS endpoint answered with its time");
    };
    let skew = (local - *server).num_seconds();
    if skew.abs() <= MAX_SKEW_SECONDS {
        return Outcome::Pass;
    }
    let direction = if skew > 0 { "ahead of" } else { "behind" };
    fail(
        format!(
            "the local clock is {} {direction} AWS's ({} UTC here, {} UTC at AWS): AWS refuses \
             signed requests more than 5 minutes off, and credentials would look fresh or \
             expired at the wrong time",
            human_duration(skew.unsigned_abs()),
            local.format("%Y-%m-%d %H:%M:%S"),
            server.format("%Y-%m-%d %H:%M:%S"),
        ),
        "set the clock right and keep it synchronised: `sudo timedatectl set-ntp true` (systemd), \
         or `sudo chronyc makestep`, or your system's time settings",
    )
}

fn human_duration(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn http_dates_parse() {
        let d = parse_http_date("Thu, 26 Nov 2026 10:58:27 GMT").unwrap();
        assert_eq!(d, Utc.with_ymd_and_hms(2026, 11, 26, 10, 58, 27).unwrap());
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn skew_within_five_minutes_passes() {
        let server = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let local = server + chrono::Duration::seconds(299);
        assert_eq!(clock_skew(Some(&server), local), Outcome::Pass);
        let local = server - chrono::Duration::seconds(300);
        assert_eq!(clock_skew(Some(&server), local), Outcome::Pass);
    }

    #[test]
    fn skew_beyond_five_minutes_fails_with_a_fix() {
        let server = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let local = server - chrono::Duration::minutes(7);
        let Outcome::Fail { problem, fix } = clock_skew(Some(&server), local) else {
            panic!("7 minutes behind must fail")
        };
        assert!(problem.contains("7 min behind"), "{problem}");
        assert!(fix.contains("timedatectl set-ntp true"), "{fix}");
        let local = server + chrono::Duration::hours(3);
        let Outcome::Fail { problem, .. } = clock_skew(Some(&server), local) else {
            panic!("3 hours ahead must fail")
        };
        assert!(problem.contains("3 h 0 min ahead of"), "{problem}");
    }

    #[test]
    fn no_date_is_a_skip() {
        assert!(matches!(
            clock_skew(None, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
            Outcome::Skipped { .. }
        ));
    }
}
