//! Changing an app client without losing its other settings.
//!
//! UpdateUserPoolClient sets every setting the request leaves out to its default (the API
//! reference: "If you don't provide a value for an attribute, Amazon Cognito sets it to its
//! default value"). A change to one setting must therefore send all the others back as they
//! are, and one list of them kept in one place is what stops a forgotten one (refresh-token
//! rotation was) from being turned off.

use aws_sdk_cognitoidentityprovider as idp;
use idp::operation::update_user_pool_client::builders::UpdateUserPoolClientFluentBuilder;
use idp::types::UserPoolClientType;

/// An UpdateUserPoolClient request that sets every setting of `current` as it is: the caller
/// overrides what it changes, then sends it.
pub fn update_keeping(
    client: &idp::Client,
    user_pool_id: &str,
    current: &UserPoolClientType,
) -> UpdateUserPoolClientFluentBuilder {
    // Cognito refuses some empty lists where it takes "not given": those go as `None`.
    let non_empty = |v: &[String]| (!v.is_empty()).then(|| v.to_vec());
    client
        .update_user_pool_client()
        .user_pool_id(user_pool_id)
        .set_client_id(current.client_id().map(str::to_owned))
        .set_client_name(current.client_name().map(str::to_owned))
        .refresh_token_validity(current.refresh_token_validity())
        .set_access_token_validity(current.access_token_validity())
        .set_id_token_validity(current.id_token_validity())
        .set_token_validity_units(current.token_validity_units().cloned())
        .set_read_attributes(non_empty(current.read_attributes()))
        .set_write_attributes(non_empty(current.write_attributes()))
        .set_explicit_auth_flows(
            (!current.explicit_auth_flows().is_empty())
                .then(|| current.explicit_auth_flows().to_vec()),
        )
        .set_supported_identity_providers(non_empty(current.supported_identity_providers()))
        .set_callback_urls(non_empty(current.callback_urls()))
        .set_logout_urls(non_empty(current.logout_urls()))
        .set_default_redirect_uri(current.default_redirect_uri().map(str::to_owned))
        .set_allowed_o_auth_flows(
            (!current.allowed_o_auth_flows().is_empty())
                .then(|| current.allowed_o_auth_flows().to_vec()),
        )
        .set_allowed_o_auth_scopes(non_empty(current.allowed_o_auth_scopes()))
        .set_allowed_o_auth_flows_user_pool_client(current.allowed_o_auth_flows_user_pool_client())
        .set_analytics_configuration(current.analytics_configuration().cloned())
        .set_prevent_user_existence_errors(current.prevent_user_existence_errors().cloned())
        .set_enable_token_revocation(current.enable_token_revocation())
        .set_enable_propagate_additional_user_context_data(
            current.enable_propagate_additional_user_context_data(),
        )
        .set_auth_session_validity(current.auth_session_validity())
        .set_refresh_token_rotation(current.refresh_token_rotation().cloned())
}
