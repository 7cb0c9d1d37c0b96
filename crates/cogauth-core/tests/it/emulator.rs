//! The emulator harness itself: the SDK reaches moto through the endpoint override, and the
//! harness's SetIdentityPoolRoles / GetIdentityPoolRoles extension round-trips.

use cogauth_test_support::{emulator, fixtures};

#[tokio::test]
async fn sdk_reaches_moto_through_the_endpoint_override() {
    let sts = aws_sdk_sts::Client::new(&emulator().sdk_config().await);
    let me = sts
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity on the emulator");
    assert_eq!(me.account(), Some(cogauth_test_support::ACCOUNT_ID));
}

#[tokio::test]
async fn identity_pool_roles_round_trip_through_the_extension() {
    let pool_id = fixtures::create_identity_pool("us-east-1_Roundtrip1", "client1", true).await;
    let role = fixtures::create_authenticated_role(&pool_id).await;
    let client = fixtures::identity_client().await;

    let before = client
        .get_identity_pool_roles()
        .identity_pool_id(&pool_id)
        .send()
        .await
        .unwrap();
    assert!(before.roles().is_none_or(|r| r.is_empty()));

    client
        .set_identity_pool_roles()
        .identity_pool_id(&pool_id)
        .roles("authenticated", &role)
        .send()
        .await
        .unwrap();
    let after = client
        .get_identity_pool_roles()
        .identity_pool_id(&pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(after.identity_pool_id(), Some(pool_id.as_str()));
    assert_eq!(
        after.roles().and_then(|r| r.get("authenticated")),
        Some(&role)
    );

    let described = client
        .describe_identity_pool()
        .identity_pool_id(&pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(described.allow_classic_flow(), Some(true));
}

#[tokio::test]
async fn set_roles_rejects_unknown_pools_and_bad_arns() {
    let client = fixtures::identity_client().await;
    let err = client
        .set_identity_pool_roles()
        .identity_pool_id("us-east-1:00000000-0000-4000-8000-000000000000")
        .roles("authenticated", "arn:aws:iam::123456789012:role/x")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());

    let pool_id = fixtures::create_identity_pool("us-east-1_Roundtrip2", "client2", false).await;
    let err = client
        .set_identity_pool_roles()
        .identity_pool_id(&pool_id)
        .roles("authenticated", "not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_parameter_exception());
}
