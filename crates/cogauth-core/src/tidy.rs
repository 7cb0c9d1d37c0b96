//! Tidy tests: the invariants of ARCHITECTURE.md that no compiler checks, checked by reading
//! this crate's `src/` (the way rust-analyzer's `tidy.rs` does). Test code is skipped: a
//! `#[cfg(test)]` item, and the files of `#[cfg(test)] mod name;` declarations.
//!
//! The other invariants are lints: `#![deny(clippy::print_stdout, clippy::print_stderr)]` in
//! `lib.rs`, and the environment and clock seams in `clippy.toml`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Calls that create, replace or link files or directories. Only `fsutil.rs` makes them: its
/// `write_atomic` (temporary file at 0600, fsync, rename, under a `FileLock`) and `ensure_dir`
/// are the one way files holding secrets are written.
const CREATES_FILES: &[&str] = &[
    "File::create",
    "OpenOptions",
    "fs::write(",
    "fs::copy(",
    "fs::rename(",
    "fs::hard_link(",
    "symlink(",
    "tempfile::",
    "NamedTempFile",
    ".persist(",
    "DirBuilder",
    "create_dir",
];

/// Where a pattern of [`CREATES_FILES`] is allowed outside `fsutil.rs`, and why. Keep it short.
const ALLOWED: &[(&str, &str, &str)] = &[
    // (file under src/, pattern, why)
];

/// The terminal belongs to the binaries: the core asks through `prompt::Prompter`.
const TOUCHES_THE_TERMINAL: &[&str] = &["io::stdin(", "\"/dev/tty\""];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The directory that `mod name;` in `file` looks in.
fn module_dir(file: &Path) -> PathBuf {
    let dir = file.parent().unwrap();
    match file.file_stem().and_then(|s| s.to_str()) {
        Some("lib" | "mod" | "main") => dir.to_path_buf(),
        Some(stem) => dir.join(stem),
        None => dir.to_path_buf(),
    }
}

/// The lines of `text` that are not test code, numbered from 1, and the files of the test
/// modules it declares.
fn non_test_lines<'a>(file: &Path, text: &'a str) -> (Vec<(usize, &'a str)>, Vec<PathBuf>) {
    let mut kept = Vec::new();
    let mut test_files = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            kept.push((i + 1, line));
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        let Some((_, item)) = lines.next() else { break };
        if let Some(name) = item
            .trim()
            .strip_prefix("mod ")
            .and_then(|rest| rest.strip_suffix(';'))
        {
            let dir = module_dir(file);
            test_files.push(dir.join(format!("{name}.rs")));
            test_files.push(dir.join(name).join("mod.rs"));
            continue;
        }
        if item.trim_end().ends_with(';') {
            continue;
        }
        // rustfmt closes the item with `}` at the attribute's indentation.
        let end = format!("{indent}}}");
        for (_, line) in lines.by_ref() {
            if line.trim_end() == end {
                break;
            }
        }
    }
    (kept, test_files)
}

/// Every non-test line of the crate: (path under src/, line number, line).
fn crate_lines() -> Vec<(String, usize, String)> {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let texts: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f, text)
        })
        .collect();
    let mut test_files = HashSet::new();
    for (file, text) in &texts {
        test_files.extend(non_test_lines(file, text).1);
    }
    let mut out = Vec::new();
    for (file, text) in &texts {
        if test_files.contains(file) {
            continue;
        }
        let name = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for (n, line) in non_test_lines(file, text).0 {
            // Comments may name what the code must not do.
            if line.trim_start().starts_with("//") {
                continue;
            }
            out.push((name.clone(), n, line.to_owned()));
        }
    }
    out
}

#[test]
fn only_fsutil_creates_files() {
    let mut found = Vec::new();
    for (file, n, line) in crate_lines() {
        if file == "fsutil.rs" {
            continue;
        }
        for pattern in CREATES_FILES {
            let allowed = ALLOWED.iter().any(|(f, p, _)| *f == file && p == pattern);
            if line.contains(pattern) && !allowed {
                found.push(format!("src/{file}:{n}: `{pattern}` in `{}`", line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "files are created only through fsutil (write_atomic under a FileLock, ensure_dir):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_core_never_reads_the_terminal() {
    let found: Vec<String> = crate_lines()
        .into_iter()
        .filter(|(_, _, line)| TOUCHES_THE_TERMINAL.iter().any(|p| line.contains(p)))
        .map(|(file, n, line)| format!("src/{file}:{n}: {}", line.trim()))
        .collect();
    assert!(
        found.is_empty(),
        "questions go through prompt::Prompter:\n{}",
        found.join("\n")
    );
}

/// The field that is a variant's `source()`: `#[from]` or `#[source]`, or named `source`.
fn source_field(variant: &[&str]) -> Option<String> {
    let name_of = |field: &str| {
        let field = field.trim().trim_start_matches("pub ");
        field
            .split_once(':')
            .map(|(name, _)| name.trim().to_owned())
    };
    for (i, line) in variant.iter().enumerate() {
        let line = line.trim();
        if line.contains("(#[from]") || line.contains("(#[source]") {
            return Some("0".to_owned());
        }
        for attribute in ["#[from]", "#[source]"] {
            if let Some(rest) = line.strip_prefix(attribute) {
                return match rest.trim() {
                    "" => variant.get(i + 1).and_then(|next| name_of(next)),
                    rest => name_of(rest),
                };
            }
        }
        if name_of(line).as_deref() == Some("source") {
            return Some("source".to_owned());
        }
    }
    None
}

/// A variant's `source()` printed in its own message shows twice when the chain is printed
/// (`cogauth: error: {e:#}`). Keep one of the two: core keeps the cause in the message, as
/// a field that is not a source (see `fsutil::FsError`), or forwards with `transparent`.
#[test]
fn no_error_message_repeats_its_source() {
    let lines = crate_lines();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (file, n, line) = &lines[i];
        i += 1;
        let Some(at) = line.find("#[error(") else {
            continue;
        };
        // The attribute, to its closing `)]`, then the variant, to the next attribute or
        // the end of the enum.
        let mut attribute = line[at..].to_owned();
        while !attribute.contains(")]") && i < lines.len() {
            attribute.push_str(&lines[i].2);
            i += 1;
        }
        if attribute.contains("transparent") {
            continue;
        }
        let variant: Vec<&str> = lines[i..]
            .iter()
            .take_while(|(f, _, l)| f == file && !l.contains("#[error(") && l.trim() != "}")
            .map(|(_, _, l)| l.as_str())
            .collect();
        if let Some(field) = source_field(&variant)
            && (attribute.contains(&format!("{{{field}}}"))
                || attribute.contains(&format!("{{{field}:")))
        {
            found.push(format!(
                "src/{file}:{n}: `{{{field}}}` in {}",
                attribute.trim()
            ));
        }
    }
    assert!(
        found.is_empty(),
        "these errors print their source in their own message too:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_source_check_sees_each_form() {
    assert_eq!(
        source_field(&["    Io(#[from] std::io::Error),"]).as_deref(),
        Some("0")
    );
    assert_eq!(
        source_field(&[
            "    Read {",
            "        path: PathBuf,",
            "        #[source]",
            "        cause: io::Error,"
        ])
        .as_deref(),
        Some("cause")
    );
    assert_eq!(
        source_field(&["    Read { path: PathBuf, source: io::Error },"]).as_deref(),
        None,
        "one-line struct variants are not parsed"
    );
    assert_eq!(
        source_field(&["    Read {", "        source: io::Error,"]).as_deref(),
        Some("source")
    );
    assert_eq!(source_field(&["    Srp(SrpError),"]), None);
}

#[test]
fn test_code_is_recognised() {
    let text = "fn a() {}\n#[cfg(test)]\nmod tests {\n    fn t() { File::create(x); }\n}\nfn b() {}\n#[cfg(test)]\nmod fakes;\n";
    let (kept, files) = non_test_lines(Path::new("/x/src/broker.rs"), text);
    let kept: Vec<&str> = kept.into_iter().map(|(_, l)| l).collect();
    assert_eq!(kept, ["fn a() {}", "fn b() {}"]);
    assert_eq!(files[0], Path::new("/x/src/broker/fakes.rs"));
}
