//! The layering ARCHITECTURE.md states, read from the manifests: `cogauth-core` depends on
//! neither the IAM SDK nor `zip` (the admin code that needs them lives here), and `cogauth`
//! takes this crate without the Lambda deploy.

use std::path::Path;

fn manifest(crate_dir: &str) -> toml::Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(crate_dir)
        .join("Cargo.toml");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .parse()
        .expect("a valid manifest")
}

fn dependencies(manifest: &toml::Table) -> Vec<String> {
    manifest
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .map(|deps| deps.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_core_links_no_iam_and_no_zip() {
    let deps = dependencies(&manifest("cogauth-core"));
    assert!(
        deps.iter().any(|d| d == "aws-sdk-lambda"),
        "read the right file: {deps:?}"
    );
    for forbidden in ["aws-sdk-iam", "zip", "cogauth-admin"] {
        assert!(
            !deps.iter().any(|d| d == forbidden),
            "cogauth-core depends on {forbidden}"
        );
    }
}

#[test]
fn cogauth_takes_the_admin_crate_without_the_lambda_deploy() {
    let cli = manifest("cogauth-cli");
    let admin = &cli["dependencies"]["cogauth-admin"];
    let features = admin
        .get("features")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(
        !features.iter().any(|f| f.as_str() == Some("lambda-deploy")),
        "{admin}"
    );
    let workspace: toml::Table =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml"))
            .unwrap()
            .parse()
            .unwrap();
    assert_eq!(
        workspace["workspace"]["dependencies"]["cogauth-admin"]["default-features"].as_bool(),
        Some(false),
        "the workspace dependency must not turn the deploy on"
    );
}

/// `cogauth-ids` has no dependencies (the proxy links it), and the proxy, the core and this
/// crate take their id rules from it rather than keeping copies that drift.
#[test]
fn the_ids_crate_is_dependency_free_and_shared() {
    assert_eq!(
        dependencies(&manifest("cogauth-ids")),
        Vec::<String>::new(),
        "cogauth-ids must stay dependency-free"
    );
    for user in ["cogauth-core", "cogauth-lambda"] {
        assert!(
            dependencies(&manifest(user))
                .iter()
                .any(|d| d == "cogauth-ids"),
            "{user} does not use cogauth-ids"
        );
    }
    // The proxy's old copies of the rules, by name: they must not come back.
    let proxy_config =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../cogauth-lambda/src/config.rs");
    let source = std::fs::read_to_string(&proxy_config).unwrap();
    for copy in [
        "fn is_client_id",
        "fn is_role_arn",
        "fn pool_region",
        "fn is_region",
    ] {
        assert!(
            !source.contains(copy),
            "{} defines `{copy}` again",
            proxy_config.display()
        );
    }
}
