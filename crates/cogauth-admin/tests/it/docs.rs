//! docs/configuration.md names every key of the admin config (from serializing it), as the
//! core's docs test checks the user config's keys.

use std::path::Path;

use cogauth_admin::config::{AdminConfig, RecordedSetup};

fn configuration_page() -> String {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ));
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every key of a TOML value, as (dotted path, leaf name).
fn toml_keys(prefix: &str, value: &toml::Value, out: &mut Vec<(String, String)>) {
    if let toml::Value::Table(table) = value {
        for (key, inner) in table {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            out.push((path.clone(), key.clone()));
            toml_keys(&path, inner, out);
        }
    }
}

fn mentions(page: &str, word: &str) -> bool {
    page.contains(&format!("`{word}`"))
}

#[test]
fn the_configuration_page_names_every_admin_key() {
    let page = configuration_page();
    let admin = AdminConfig {
        last_setup: Some(RecordedSetup::default()),
        ..AdminConfig::default()
    };
    let admin: toml::Value = toml::Value::try_from(&admin).expect("serialize the admin config");
    let mut keys = Vec::new();
    toml_keys("", &admin, &mut keys);
    assert!(keys.len() >= 20, "the serialization lost keys: {keys:?}");
    let missing: Vec<String> = keys
        .iter()
        .filter(|(path, leaf)| {
            !mentions(&page, path) && !mentions(&page, leaf) && !page.contains(&format!("[{path}]"))
        })
        .map(|(path, _)| path.clone())
        .collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md lacks admin config keys: {missing:?}"
    );
}
