//! Fuzzing the TOML configuration (`ConfigFile::parse`, `write_profile`, `Settings::load`) for
//! a time budget (see `fuzz_support`): every way TOML can spell the same profiles reads back
//! the same values; arbitrary text never panics and errors point inside the text; editing a
//! profile keeps the other profiles and the comments; a file that does not parse is never
//! rewritten.

mod fuzz_support;

use std::collections::BTreeMap;
use std::path::Path;

use cogauth_core::config::file::write_profile;
use cogauth_core::config::{ConfigError, ConfigFile, Overrides, ProfileConfig, Settings};
use cogauth_core::env::MapEnv;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use secrecy::{ExposeSecret, SecretString};

/// The string keys of a profile, as they are spelled in the file.
const STRING_KEYS: &[&str] = &[
    "user_pool_id",
    "client_id",
    "client_secret",
    "identity_pool_id",
    "region",
    "username",
    "role_arn",
    "lambda_function",
    "managed_login_url",
];

/// A profile as plain data: the string keys that are set, and the hours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Profile {
    strings: BTreeMap<&'static str, String>,
    duration_hours: Option<u32>,
    auth_flow: Option<&'static str>,
}

impl Profile {
    fn of(config: &ProfileConfig) -> Self {
        let values = [
            config.user_pool_id.clone(),
            config.client_id.clone(),
            config
                .client_secret
                .as_ref()
                .map(|s| s.expose_secret().to_owned()),
            config.identity_pool_id.clone(),
            config.region.clone(),
            config.username.clone(),
            config.role_arn.clone(),
            config.lambda_function.clone(),
            config.managed_login_url.clone(),
        ];
        Self {
            strings: STRING_KEYS
                .iter()
                .zip(values)
                .filter_map(|(k, v)| Some((*k, v?)))
                .collect(),
            duration_hours: config.duration_hours,
            auth_flow: config.auth_flow.map(|f| match f.to_string().as_str() {
                "srp" => "srp",
                _ => "password",
            }),
        }
    }

    fn to_config(&self) -> ProfileConfig {
        let get = |k: &str| self.strings.get(k).cloned();
        ProfileConfig {
            user_pool_id: get("user_pool_id"),
            client_id: get("client_id"),
            client_secret: get("client_secret").map(SecretString::from),
            identity_pool_id: get("identity_pool_id"),
            region: get("region"),
            username: get("username"),
            role_arn: get("role_arn"),
            lambda_function: get("lambda_function"),
            managed_login_url: get("managed_login_url"),
            duration_hours: self.duration_hours,
            auth_flow: self.auth_flow.map(|f| f.parse().expect("a flow name")),
            ..ProfileConfig::default()
        }
    }

    /// `key = value` pairs in TOML syntax, in a stable order.
    fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .strings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), toml_string(v)))
            .collect();
        if let Some(h) = self.duration_hours {
            pairs.push(("duration_hours".into(), h.to_string()));
        }
        if let Some(f) = self.auth_flow {
            pairs.push(("auth_flow".into(), toml_string(f)));
        }
        pairs
    }
}

fn toml_string(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_owned()
}

fn toml_key(s: &str) -> String {
    toml_edit::Key::new(s).display_repr().into_owned()
}

/// How a profile is spelled in the file.
#[derive(Debug, Clone, Copy)]
enum Spelling {
    /// `[profiles.name]` then `key = value` lines.
    Table,
    /// `name.key = value` under `[profiles]`.
    Dotted,
    /// `profiles.name.key = value` before the first header.
    RootDotted,
    /// `name = { key = value, ... }` under `[profiles]`.
    Inline,
}

#[derive(Debug, Clone)]
struct ConfigModel {
    default_profile: Option<String>,
    profiles: Vec<(String, Profile, Spelling)>,
    comments: Vec<String>,
}

impl ConfigModel {
    /// The file, with the comments spread between its lines.
    fn render(&self) -> String {
        let mut comments = self.comments.iter();
        // Each comment once: a full line, or after a value (then the line ends right after).
        let mut comment = |out: &mut String| {
            if let Some(c) = comments.next() {
                out.push_str(c);
                out.push('\n');
            } else if out.ends_with(' ') {
                out.pop();
            }
        };
        let mut out = String::new();
        comment(&mut out);
        if let Some(p) = &self.default_profile {
            out.push_str(&format!("default_profile = {}\n", toml_string(p)));
        }
        for (name, profile, spelling) in &self.profiles {
            if let Spelling::RootDotted = spelling {
                for (k, v) in profile.pairs() {
                    out.push_str(&format!("profiles.{}.{k} = {v}\n", toml_key(name)));
                }
            }
        }
        for (name, profile, spelling) in &self.profiles {
            if let Spelling::Table = spelling {
                out.push_str(&format!("\n[profiles.{}]\n", toml_key(name)));
                comment(&mut out);
                for (k, v) in profile.pairs() {
                    // Every other comment trails a value, where an edit of the value must keep it.
                    out.push_str(&format!("{k} = {v} "));
                    comment(&mut out);
                    if !out.ends_with('\n') {
                        out.push('\n');
                    }
                    comment(&mut out);
                }
            }
        }
        // Dotted keys and inline tables go under one `[profiles]` header, after the tables
        // (TOML allows a super-table's header after its sub-tables, not a second definition).
        let rest: Vec<_> = self
            .profiles
            .iter()
            .filter(|(_, _, s)| matches!(s, Spelling::Dotted | Spelling::Inline))
            .collect();
        if !rest.is_empty() {
            out.push_str("\n[profiles]\n");
        }
        for (name, profile, spelling) in rest {
            let name = toml_key(name);
            if let Spelling::Dotted = spelling {
                for (k, v) in profile.pairs() {
                    out.push_str(&format!("{name}.{k} = {v}\n"));
                    comment(&mut out);
                }
            } else {
                let body: Vec<String> = profile
                    .pairs()
                    .into_iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect();
                out.push_str(&format!("{name} = {{ {} }}\n", body.join(", ")));
                comment(&mut out);
            }
        }
        out
    }

    fn expected(&self) -> BTreeMap<String, Profile> {
        self.profiles
            .iter()
            .map(|(n, p, _)| (n.clone(), p.clone()))
            .collect()
    }
}

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("us-east-1_AbC123".to_owned()),
        Just("eu-west-1:8f1c2a3b-1234-4abc-9def-0123456789ab".to_owned()),
        "[a-zA-Z0-9_:/.-]{1,20}",
        // Quotes, backslashes, `#`, newlines, tabs and any other character.
        "\\PC{0,16}",
        any::<String>(),
    ]
}

fn profile() -> impl Strategy<Value = Profile> {
    (
        prop::collection::btree_map(prop::sample::select(STRING_KEYS), text_value(), 0..5),
        prop::option::of(0u32..40),
        prop::option::of(prop::sample::select(&["srp", "password"][..])),
    )
        .prop_map(|(strings, duration_hours, auth_flow)| Profile {
            strings,
            duration_hours,
            auth_flow,
        })
}

fn profile_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("default".to_owned()),
        Just("work".to_owned()),
        "[A-Za-z0-9_-]{1,8}",
        // Names that need quoting in TOML.
        "[a-z]{1,4}[. ][a-z]{1,4}",
    ]
}

fn config_model() -> impl Strategy<Value = ConfigModel> {
    let spelling = prop_oneof![
        Just(Spelling::Table),
        Just(Spelling::Dotted),
        Just(Spelling::RootDotted),
        Just(Spelling::Inline)
    ];
    (
        prop::option::of(profile_name()),
        prop::collection::btree_map(profile_name(), (profile(), spelling), 0..4),
        prop::collection::vec("[^\r\n\\x00-\\x08\\x0b-\\x1f\\x7f]{0,20}", 0..8),
    )
        .prop_map(|(default_profile, profiles, comments)| {
            // `profiles.x.k` at the top defines `profiles`: no `[profiles]` header may follow.
            let header = profiles
                .values()
                .any(|(_, s)| matches!(s, Spelling::Dotted | Spelling::Inline));
            ConfigModel {
                default_profile,
                profiles: profiles
                    .into_iter()
                    .map(|(n, (p, s))| {
                        let s = match s {
                            // A dotted profile with no keys would not exist.
                            Spelling::Dotted | Spelling::RootDotted if p.pairs().is_empty() => {
                                Spelling::Table
                            }
                            Spelling::RootDotted if header => Spelling::Dotted,
                            s => s,
                        };
                        (n, p, s)
                    })
                    .collect(),
                comments: comments
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| format!("# c{i} {c}"))
                    .collect(),
            }
        })
}

fn parsed_profiles(file: &ConfigFile) -> BTreeMap<String, Profile> {
    file.profiles
        .iter()
        .map(|(n, p)| (n.clone(), Profile::of(p)))
        .collect()
}

fn check_spellings(model: ConfigModel) -> Result<(), TestCaseError> {
    let text = model.render();
    let path = Path::new("/fuzz/config.toml");
    let file = ConfigFile::parse(path, &text)
        .map_err(|e| TestCaseError::fail(format!("{e}\nin:\n{text}")))?;
    prop_assert_eq!(parsed_profiles(&file), model.expected(), "in:\n{}", text);
    prop_assert_eq!(file.default_profile, model.default_profile);
    Ok(())
}

#[test]
fn every_spelling_of_the_profiles_reads_back_the_same_values() {
    let cases = fuzz_support::fuzz("config spellings", config_model, check_spellings);
    assert!(cases >= 256);
}

/// Writes `new` into profile `name` of a file holding `model`, and checks the result.
fn check_write(
    model: ConfigModel,
    name: String,
    new: Profile,
    dir: &Path,
) -> Result<(), TestCaseError> {
    let text = model.render();
    let path = dir.join("config.toml");
    std::fs::write(&path, &text).unwrap();
    write_profile(&path, &name, &new.to_config())
        .map_err(|e| TestCaseError::fail(format!("{e}\nwriting `{name}` into:\n{text}")))?;
    let written = std::fs::read_to_string(&path).unwrap();
    let file = ConfigFile::parse(&path, &written).map_err(|e| {
        TestCaseError::fail(format!(
            "{e}\nwrote an unreadable file:\n{written}\nfrom:\n{text}"
        ))
    })?;
    let mut expected = model.expected();
    let merged = expected.entry(name.clone()).or_default();
    merged.strings.extend(new.strings.clone());
    if new.duration_hours.is_some() {
        merged.duration_hours = new.duration_hours;
    }
    if new.auth_flow.is_some() {
        merged.auth_flow = new.auth_flow;
    }
    prop_assert_eq!(
        parsed_profiles(&file),
        expected,
        "writing `{}` into:\n{}\ngave:\n{}",
        name,
        text,
        written
    );
    prop_assert_eq!(file.default_profile, model.default_profile);
    for comment in model.comments.iter().filter(|c| text.contains(c.as_str())) {
        prop_assert!(
            written.contains(comment.as_str()),
            "comment {:?} lost:\n{}\ngave:\n{}",
            comment,
            text,
            written
        );
    }
    Ok(())
}

#[test]
fn writing_a_profile_keeps_the_others_and_the_comments() {
    let dir = tempfile::tempdir().unwrap();
    let cases = fuzz_support::fuzz(
        "config write_profile",
        || (config_model(), profile_name(), profile()),
        |(model, name, new)| check_write(model, name, new, dir.path()),
    );
    assert!(cases >= 256);
}

// ---------------------------------------------------------------------------------------------
// Arbitrary and damaged text.

/// A valid file with a few bytes changed, inserted or cut: close to real typos.
fn damaged_text() -> impl Strategy<Value = String> {
    (
        config_model(),
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..4),
    )
        .prop_map(|(model, damage)| {
            let mut chars: Vec<char> = model.render().chars().collect();
            for (at, kind, c) in damage {
                if chars.is_empty() {
                    chars.push(c);
                    continue;
                }
                let i = at.index(chars.len());
                match kind {
                    0 => chars[i] = c,
                    1 => chars.insert(i, c),
                    _ => {
                        chars.remove(i);
                    }
                }
            }
            chars.into_iter().collect()
        })
}

fn check_error_position(text: &str) -> Result<(), TestCaseError> {
    let path = Path::new("/fuzz/config.toml");
    match ConfigFile::parse(path, text) {
        Ok(_) => Ok(()),
        Err(ConfigError::Parse { line, column, .. }) => {
            let lines = text.split('\n').count();
            prop_assert!(
                line >= 1 && line <= lines && column >= 1,
                "line {} column {} outside {:?}",
                line,
                column,
                text
            );
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!("unexpected error {other}"))),
    }
}

#[test]
fn arbitrary_and_damaged_text_never_panics_and_errors_point_inside_it() {
    let text = || prop_oneof![any::<String>(), damaged_text()];
    let cases = fuzz_support::fuzz("config parse", text, |t| check_error_position(&t));
    assert!(cases >= 256);
}

/// A file that does not parse is left byte for byte; one that does can be written. Either way,
/// resolving settings from it never panics.
#[test]
fn damaged_files_are_never_rewritten_and_never_panic_the_resolver() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let env = MapEnv::new()
        .with("COGAUTH_CONFIG", path.to_str().unwrap())
        .with("HOME", dir.path().to_str().unwrap());
    let cases = fuzz_support::fuzz(
        "config damaged write",
        || (damaged_text(), profile_name(), profile()),
        |(text, name, new)| {
            std::fs::write(&path, &text).unwrap();
            let _ = Settings::load(
                &env,
                &Overrides {
                    profile: Some(name.clone()),
                    values: new.to_config(),
                },
            );
            let valid = ConfigFile::parse(&path, &text).is_ok();
            let written = write_profile(&path, &name, &new.to_config());
            if !valid {
                prop_assert!(written.is_err(), "wrote into an invalid file");
                prop_assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
            }
            Ok(())
        },
    );
    assert!(cases >= 256);
}

// ---------------------------------------------------------------------------------------------
// Regressions: the inputs the fuzz targets found, minimized.

fn write_into(text: &str, name: &str, values: &ProfileConfig) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    write_profile(&path, name, values).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    ConfigFile::parse(&path, &written).unwrap();
    written
}

/// Found by `config write_profile`: a profile spelled `name = { ... }` under `[profiles]`
/// panicked `cogauth configure` ("validated: each profile is a table").
#[test]
fn regression_a_profile_spelled_as_an_inline_table_can_be_written() {
    let values = ProfileConfig {
        region: Some("eu-west-1".into()),
        ..ProfileConfig::default()
    };
    let written = write_into("[profiles]\nwork = {  }\n", "work", &values);
    assert!(written.starts_with("[profiles]\nwork = {"), "{written}");
    let file = ConfigFile::parse(Path::new("c"), &written).unwrap();
    assert_eq!(file.profiles["work"].region.as_deref(), Some("eu-west-1"));
    // `profiles` itself inline, and a new profile in it.
    let written = write_into("profiles = { a = { region = \"x\" } }\n", "b", &values);
    let file = ConfigFile::parse(Path::new("c"), &written).unwrap();
    assert_eq!(file.profiles["a"].region.as_deref(), Some("x"));
    assert_eq!(file.profiles["b"].region.as_deref(), Some("eu-west-1"));
}

/// Found by `config write_profile`: replacing a value dropped the comment after it.
#[test]
fn regression_a_replaced_value_keeps_its_comment() {
    let values = ProfileConfig {
        duration_hours: Some(8),
        region: Some("eu-west-1".into()),
        ..ProfileConfig::default()
    };
    let written = write_into(
        "[profiles.work]\n# above\nduration_hours = 0 # c2\nregion   =   \"x\"  # the region\n",
        "work",
        &values,
    );
    assert_eq!(
        written,
        "[profiles.work]\n# above\nduration_hours = 8 # c2\nregion   =   \"eu-west-1\"  # the region\n"
    );
}
