//! `cargo xtask` and `cargo test --workspace` must compile every crate they share with the same
//! features, or CI compiles the AWS SDK twice (see the shared-build entries in
//! `xtask/Cargo.toml`). `cargo tree` resolves features as the builds do, without building.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Package (name and version) → its features, from `cargo tree` with `args`.
fn features(args: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args([
            "tree", "--locked", "--prefix", "none", "--format", "{p}|{f}",
        ])
        .args(args)
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        // A package already shown is marked " (*)" at the end of its line.
        let line = line.trim_end_matches(" (*)");
        let Some((package, list)) = line.split_once('|') else {
            continue;
        };
        map.entry(package.trim().to_owned())
            .or_default()
            .extend(list.split(',').filter(|f| !f.is_empty()).map(str::to_owned));
    }
    map
}

#[test]
fn xtask_builds_its_dependencies_with_the_features_the_tests_use() {
    let xtask = features(&["-p", "xtask", "--edges", "normal,build"]);
    let tests = features(&["--workspace", "--edges", "normal,build,dev"]);
    let drift: Vec<String> = xtask
        .iter()
        .filter_map(|(package, own)| {
            let theirs = tests.get(package)?;
            (own != theirs).then(|| {
                format!(
                    "{package}: the tests add {:?}, xtask adds {:?}",
                    theirs.difference(own).collect::<Vec<_>>(),
                    own.difference(theirs).collect::<Vec<_>>()
                )
            })
        })
        .collect();
    assert!(
        drift.is_empty(),
        "xtask would compile these crates with other features than `cargo test --workspace`, \
         so CI would compile them (and everything above them) twice; turn the same features on \
         in xtask/Cargo.toml's shared-build entries:\n{}",
        drift.join("\n")
    );
}
