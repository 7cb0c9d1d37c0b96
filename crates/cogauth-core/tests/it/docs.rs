//! The book in `docs/` is plain Markdown; this test is its build. It checks that:
//! - every relative link (and `#anchor`) in docs/*.md, README.md and ARCHITECTURE.md resolves;
//! - every page in docs/ is linked from the table of contents, docs/README.md;
//! - docs/configuration.md names every config key (from serializing the config types) and
//!   every environment variable (from the `vars` modules of the core and of the Lambda proxy);
//! - docs/usage.md names every `cogauth` and `cogadmin` subcommand (from the CLI sources);
//! - every `--flag` given to `cogauth` or `cogadmin` in a code block exists in the CLI sources,
//!   and every long flag the CLIs define is named in docs/usage.md;
//! - docs/embedding.md shows `examples/embed.rs` word for word.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .canonicalize()
        .expect("the repository root")
}

fn docs_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs"))
        .canonicalize()
        .expect("the docs directory")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn doc_pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(docs_dir())
        .expect("list docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    pages
}

/// Every Markdown file the links are checked in.
fn checked_files() -> Vec<PathBuf> {
    let mut files = doc_pages();
    files.push(repo().join("README.md"));
    files.push(repo().join("ARCHITECTURE.md"));
    files
}

/// The text outside fenced code blocks, with inline code spans blanked out.
fn prose(markdown: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            out.push('\n');
            continue;
        }
        if fenced {
            out.push('\n');
            continue;
        }
        let mut in_code = false;
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
                out.push(' ');
            } else {
                out.push(if in_code { ' ' } else { c });
            }
        }
        out.push('\n');
    }
    out
}

/// The lines of fenced code blocks.
fn code_lines(markdown: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            lines.push(line.to_owned());
        }
    }
    lines
}

/// The targets of `[text](target)` links in prose.
fn link_targets(markdown: &str) -> Vec<String> {
    let text = prose(markdown);
    let mut targets = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        match after.find(')') {
            Some(end) => {
                targets.push(after[..end].trim().to_owned());
                rest = &after[end..];
            }
            None => break,
        }
    }
    targets
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut found = BTreeSet::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced && line.starts_with('#') {
            found.insert(slug(line.trim_start_matches('#')));
        }
    }
    found
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let mut broken = Vec::new();
    for file in checked_files() {
        let text = read(&file);
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let resolved = if path.is_empty() {
                file.clone()
            } else {
                file.parent().expect("a parent").join(path)
            };
            if !resolved.exists() {
                broken.push(format!("{}: `{target}`: no such file", file.display()));
                continue;
            }
            if let Some(anchor) = anchor
                && resolved.extension().is_some_and(|x| x == "md")
                && !anchors(&read(&resolved)).contains(anchor)
            {
                broken.push(format!("{}: `{target}`: no such heading", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_page_is_in_the_table_of_contents() {
    let toc = read(&docs_dir().join("README.md"));
    let linked: BTreeSet<String> = link_targets(&toc)
        .into_iter()
        .map(|t| t.split('#').next().unwrap_or_default().to_owned())
        .collect();
    let missing: Vec<String> = doc_pages()
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
        .filter(|name| name != "README.md" && !linked.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "pages not linked from docs/README.md: {missing:?}"
    );
    assert!(linked.contains("../ARCHITECTURE.md"), "the architecture");
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
fn the_configuration_page_names_every_key() {
    use cogauth_core::config::{AuthFlow, AwsIntegration, ConfigFile, IdentityFlow, ProfileConfig};

    let page = read(&docs_dir().join("configuration.md"));
    let s = |v: &str| Some(v.to_owned());
    let profile = ProfileConfig {
        user_pool_id: s("us-east-1_AbC123"),
        client_id: s("c"),
        client_secret: Some(secrecy::SecretString::from("x".to_owned())),
        identity_pool_id: s("us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab"),
        region: s("us-east-1"),
        username: s("u"),
        auth_flow: Some(AuthFlow::Srp),
        identity_flow: Some(IdentityFlow::Basic),
        role_arn: s("arn:aws:iam::123456789012:role/r"),
        duration_hours: Some(12),
        lambda_function: s("f"),
        aws_integration: Some(AwsIntegration::Process),
        managed_login_url: s("https://example.com"),
        preferred_challenge: Some(cogauth_core::config::PreferredChallenge::EmailOtp),
        custom_with_srp: Some(true),
        redirect_uri: s("http://localhost:28435/callback"),
        identity_provider: s("Google"),
        oauth_scopes: s("openid"),
    };
    let file = ConfigFile {
        default_profile: s("p"),
        profiles: BTreeMap::from([("p".to_owned(), profile)]),
    };
    let user: toml::Value = toml::Value::try_from(&file).expect("serialize the user config");
    let mut keys = Vec::new();
    toml_keys("", &user, &mut keys);
    let user_keys: Vec<String> = keys
        .into_iter()
        .filter(|(path, _)| path != "profiles" && path != "profiles.p")
        .map(|(_, leaf)| leaf)
        .collect();
    assert!(
        user_keys.len() >= 14,
        "the serialization lost keys: {user_keys:?}"
    );
    let missing: Vec<&String> = user_keys.iter().filter(|k| !mentions(&page, k)).collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md lacks config keys: {missing:?}"
    );
    // The admin config's keys: cogauth-admin's tests/it/docs.rs.
}

/// The `&str` constants of the `pub mod vars` block of a source file.
fn vars_of(path: &Path) -> Vec<String> {
    let text = read(path);
    let start = text
        .find("pub mod vars {")
        .unwrap_or_else(|| panic!("no `pub mod vars` in {}", path.display()));
    let block = &text[start..];
    let end = block.find("\n}").unwrap_or(block.len());
    let names: Vec<String> = block[..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split_once(':'))
        .filter(|(_, ty)| ty.trim_start().starts_with("&str"))
        .map(|(name, _)| name.trim().to_owned())
        .collect();
    assert!(!names.is_empty(), "no variables in {}", path.display());
    names
}

#[test]
fn the_configuration_page_names_every_environment_variable() {
    let page = read(&docs_dir().join("configuration.md"));
    let crates = repo().join("crates");
    let mut vars = vars_of(&crates.join("cogauth-core/src/env.rs"));
    vars.extend(vars_of(&crates.join("cogauth-lambda/src/config.rs")));
    vars.extend(
        [
            "COGAUTH_EMULATOR_URL",
            "COGAUTH_SRP_EXTRA_VECTORS",
            "COGAUTH_FUZZ_SECONDS",
        ]
        .map(str::to_owned),
    );
    assert!(vars.contains(&"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER".to_owned()));
    let missing: Vec<&String> = vars.iter().filter(|v| !mentions(&page, v)).collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md lacks environment variables: {missing:?}"
    );
}

/// `CredentialProcess` -> `credential-process`, as clap names subcommands and flags.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '_' {
            out.push('-');
        } else {
            out.push(c);
        }
    }
    out
}

/// The variants of the first `enum Command` in `source`, with whether each is a
/// `#[command(subcommand)]` group and the module its type comes from.
fn subcommands(source: &str) -> Vec<(String, Option<String>)> {
    let start = source.find("enum Command {").expect("an `enum Command`");
    let body = &source[start..];
    let body = &body[..body.find("\n}").expect("the end of the enum")];
    let mut found = Vec::new();
    let mut group = false;
    for line in body.lines().skip(1) {
        let line = line.trim();
        if line.starts_with("#[command(subcommand)]") {
            group = true;
            continue;
        }
        if line.starts_with("///") || line.starts_with("#[") || line.is_empty() {
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
            continue;
        }
        let module = group.then(|| {
            line.split_once('(')
                .and_then(|(_, ty)| ty.split_once("::"))
                .map(|(module, _)| module.to_owned())
                .expect("a group's type is `module::Command`")
        });
        found.push((kebab(&name), module));
        group = false;
    }
    found
}

#[test]
fn the_usage_page_names_every_subcommand() {
    let page = read(&docs_dir().join("usage.md"));
    let crates = repo().join("crates");
    let mut commands = Vec::new();
    for (binary, dir) in [("cogauth", "cogauth-cli"), ("cogadmin", "cogadmin-cli")] {
        let src = crates.join(dir).join("src");
        for (name, module) in subcommands(&read(&src.join("main.rs"))) {
            match module {
                None => commands.push(format!("{binary} {name}")),
                Some(module) => {
                    let nested = subcommands(&read(&src.join(format!("{module}.rs"))));
                    assert!(!nested.is_empty(), "no subcommands in {module}.rs");
                    for (sub, _) in nested {
                        commands.push(format!("{binary} {name} {sub}"));
                    }
                }
            }
        }
    }
    for expected in [
        "cogauth credential-process",
        "cogauth doctor",
        "cogadmin role apply-policy",
    ] {
        assert!(
            commands.iter().any(|c| c == expected),
            "the source parser missed {expected}: {commands:?}"
        );
    }
    let missing: Vec<&String> = commands
        .iter()
        .filter(|c| !page.contains(&format!("### {c}\n")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/usage.md has no section for: {missing:?}"
    );
}

/// Every long flag the two CLIs define: their argument fields, `long = "..."` names, and
/// clap's own.
fn known_flags() -> BTreeSet<String> {
    let mut flags: BTreeSet<String> = ["help", "version", "verbose"]
        .map(str::to_owned)
        .into_iter()
        .collect();
    let mut sources = Vec::new();
    for dir in ["cogauth-cli", "cogadmin-cli"] {
        let src = repo().join("crates").join(dir).join("src");
        for entry in std::fs::read_dir(&src).expect("list the CLI sources") {
            sources.push(entry.expect("entry").path());
        }
    }
    // The flags `cogadmin lambda deploy` shares with `cargo xtask deploy-lambda`.
    sources.push(repo().join("crates/cogauth-admin/src/lambda_deploy/cli.rs"));
    for path in sources {
        let text = read(&path);
        for line in text.lines() {
            let line = line.trim();
            if let Some(at) = line.find("long = \"") {
                let rest = &line[at + 8..];
                flags.insert(rest[..rest.find('"').unwrap_or(0)].to_owned());
            }
            let field = line.strip_prefix("pub ").unwrap_or(line);
            if let Some((name, _)) = field.split_once(':')
                && !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                flags.insert(kebab(name));
            }
        }
    }
    flags
}

/// The long flags given to `cogauth` or `cogadmin` in the code blocks of `markdown`, with the
/// command they appear in.
fn flags_given(markdown: &str) -> Vec<(String, String)> {
    let mut given = Vec::new();
    // Join continued lines, then look at each command of a pipeline.
    let joined = code_lines(markdown).join("\n").replace("\\\n", " ");
    for line in joined.lines() {
        for segment in line.split(['|', ';']).flat_map(|s| s.split("&&")) {
            let words: Vec<&str> = segment.split_whitespace().collect();
            // The command word: first after any `VAR=value`, or inside `$(...)`, or a path to
            // the binary (a `credential_process` line). Elsewhere `cogauth` is an argument
            // (`--client-name cogauth`).
            let assignments = words
                .iter()
                .take_while(|w| w.contains('=') && !w.starts_with('-'))
                .count();
            let Some(start) = words.iter().enumerate().position(|(i, w)| {
                let bare = w.trim_start_matches("\"$(").trim_start_matches("$(");
                let is_binary = bare == "cogauth" || bare == "cogadmin";
                (is_binary && (i == assignments || bare.len() < w.len())) || w.ends_with("/cogauth")
            }) else {
                continue;
            };
            for word in &words[start + 1..] {
                if *word == "--" {
                    break; // the rest belongs to the command `cogauth exec` runs
                }
                if let Some(flag) = word.strip_prefix("--") {
                    let flag = flag.split('=').next().unwrap_or_default().to_owned();
                    given.push((flag, segment.trim().to_owned()));
                }
            }
        }
    }
    given
}

#[test]
fn every_flag_shown_in_the_docs_exists() {
    let known = known_flags();
    let mut unknown = Vec::new();
    let mut checked = 0;
    for file in checked_files() {
        for (flag, command) in flags_given(&read(&file)) {
            checked += 1;
            if !known.contains(&flag) {
                unknown.push(format!("{}: --{flag} in `{command}`", file.display()));
            }
        }
    }
    assert!(checked > 100, "only {checked} flags found in the docs");
    assert!(
        unknown.is_empty(),
        "flags the CLIs do not have:\n{}",
        unknown.join("\n")
    );
}

/// The long flags the CLIs define: every field or `long = "..."` under an `#[arg(...)]` that
/// says `long`, in the CLI sources and the deploy flags they share with xtask.
fn defined_flags() -> BTreeSet<String> {
    let mut sources = Vec::new();
    for dir in ["cogauth-cli", "cogadmin-cli"] {
        let src = repo().join("crates").join(dir).join("src");
        for entry in std::fs::read_dir(&src).expect("list the CLI sources") {
            sources.push(entry.expect("entry").path());
        }
    }
    sources.push(repo().join("crates/cogauth-admin/src/lambda_deploy/cli.rs"));
    let mut flags = BTreeSet::new();
    for path in sources {
        let text = read(&path);
        let mut attribute = String::new();
        let mut pending: Option<String> = None;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[arg(") || !attribute.is_empty() {
                attribute.push_str(line);
                if attribute.matches('(').count() <= attribute.matches(')').count() {
                    let long = attribute.contains("long");
                    pending = long.then(|| match attribute.find("long = \"") {
                        Some(at) => {
                            let rest = &attribute[at + 8..];
                            rest[..rest.find('"').unwrap_or(0)].to_owned()
                        }
                        None => String::new(),
                    });
                    attribute.clear();
                }
                continue;
            }
            if line.starts_with("///") || line.starts_with("#[") || line.is_empty() {
                continue;
            }
            if let Some(named) = pending.take() {
                let field = line.strip_prefix("pub ").unwrap_or(line);
                let name = field.split(':').next().unwrap_or_default().trim();
                flags.insert(if named.is_empty() { kebab(name) } else { named });
            }
        }
    }
    flags
}

#[test]
fn every_flag_is_documented_in_the_usage_page() {
    let page = read(&docs_dir().join("usage.md"));
    let flags = defined_flags();
    for expected in [
        "adopt",
        "password-stdin",
        "client-id",
        "secret-access-key-stdin",
    ] {
        assert!(
            flags.contains(expected),
            "the parser missed --{expected}: {flags:?}"
        );
    }
    assert!(flags.len() > 60, "only {} flags found", flags.len());
    // `-v` is documented as such, with `-vv` and `-vvv`.
    let missing: Vec<&String> = flags
        .iter()
        .filter(|f| *f != "verbose" && !page.contains(&format!("--{f}")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/usage.md does not name these flags: {missing:?}"
    );
}

#[test]
fn the_embedding_page_shows_the_tested_example() {
    let page = read(&docs_dir().join("embedding.md"));
    let example = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/embed.rs"));
    assert!(
        page.contains(&format!("```rust\n{example}```\n")),
        "docs/embedding.md must show crates/cogauth-core/examples/embed.rs word for word"
    );
}

#[test]
fn the_checks_catch_what_they_are_for() {
    assert_eq!(
        slug("The alternative: the basic flow"),
        "the-alternative-the-basic-flow"
    );
    assert_eq!(
        slug("The admin config: `admin.toml`"),
        "the-admin-config-admintoml"
    );
    assert_eq!(
        link_targets("see [a](b.md#c) and `[not](code.md)`\n```\n[no](x.md)\n```\n"),
        ["b.md#c"]
    );
    let given = flags_given(
        "```sh\nAWS_PROFILE=x cogauth doctor --json \\\n  --profile p -- aws --debug\n\
         aws iam x --client-name cogauth --no-way\neval \"$(cogauth export --format fish)\"\n```\n",
    );
    let flags: Vec<&str> = given.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(flags, ["json", "profile", "format"]);
    assert!(known_flags().contains("password-stdin"));
    assert!(!known_flags().contains("no-way"));
    assert_eq!(kebab("CredentialProcess"), "credential-process");
    assert_eq!(kebab("password_stdin"), "password-stdin");
    let parsed = subcommands(
        "enum Command {\n    /// a\n    Setup(setup::Args),\n    #[command(subcommand)]\n    Role(role::Command),\n    Demo,\n}\n",
    );
    assert_eq!(
        parsed,
        [
            ("setup".to_owned(), None),
            ("role".to_owned(), Some("role".to_owned())),
            ("demo".to_owned(), None)
        ]
    );
}
