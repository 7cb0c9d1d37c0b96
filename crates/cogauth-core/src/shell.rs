//! Quoting for command lines that other programs run: `credential_process` in `~/.aws/config`,
//! and the commands `cogauth doctor` suggests.
//!
//! The AWS tools run `credential_process` in one of two ways: botocore (the AWS CLI, boto3)
//! splits it with Python's `shlex.split` and runs the words without a shell; the Rust, Go and
//! JavaScript SDKs hand it to `sh -c`. A word is therefore quoted so that both read it back
//! exactly and neither treats any of it as code. No crate quotes for both readers and for the
//! SDKs' INI parsers at once (below), so this is written here, with tests against real `sh`.

/// `word` as one word for both `sh` and `shlex.split`: as it is when it holds only characters
/// neither gives a meaning to, else single-quoted (the one quoting in which both take every
/// character literally: `$`, backticks, `"`, `\`, `;`, `#`, spaces), with each `'` written as
/// `'\''`.
///
/// A `credential_process` line also has to survive the INI readers of the SDKs: the Rust and
/// JavaScript SDKs cut a value at a `#` or `;` that follows whitespace, as an inline comment,
/// even inside quotes. So such a `#` or `;` gets an empty quoted string `''` in front of it,
/// which both `sh` and `shlex` read as nothing. (A line break cannot be written into an INI
/// value at all; the INI writer refuses it.)
pub fn word(word: &str) -> String {
    // `~` and `=` stay out: a leading `~` is expanded, a `name=` word is an assignment.
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_owned();
    }
    let mut quoted = String::with_capacity(word.len() + 2);
    quoted.push('\'');
    let mut after_whitespace = false;
    for c in word.chars() {
        match c {
            '\'' => quoted.push_str(r"'\''"),
            '#' | ';' if after_whitespace => {
                quoted.push_str("''");
                quoted.push(c);
            }
            _ => quoted.push(c),
        }
        // JavaScript's `\s` also counts U+FEFF.
        after_whitespace = c.is_whitespace() || c == '\u{feff}';
    }
    quoted.push('\'');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile and awkward names, as directory names a binary could be installed under.
    const WORDS: &[&str] = &[
        "/usr/local/bin/cogauth",
        "/opt/with space/cogauth",
        "/opt/it's/cogauth",
        "/opt/say \"hi\"/cogauth",
        "/opt/a$(touch PWNED)b/cogauth",
        "/opt/b`touch PWNED`c/cogauth",
        "/opt/x;touch PWNED;y/cogauth",
        "/opt/x;touch${IFS}PWNED;y/cogauth",
        "/opt/semi ;colon #hash\t#tab/cogauth",
        "/opt/back\\slash\\'/cogauth",
        "/opt/~tilde/a=b/*?[x]/cogauth",
        "/opt/'''/cogauth",
        "/opt/ü nicode\u{a0};nbsp/cogauth",
        "",
    ];

    /// What `sh` makes of `line`: its words, as `"$@"` after `set --`.
    fn sh_words(line: &str) -> Vec<String> {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("set -- {line}; printf '%s\\0' \"$@\""))
            .output()
            .expect("run sh");
        assert!(out.status.success(), "sh failed on {line:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn sh_reads_every_word_back_exactly() {
        for w in WORDS {
            let line = format!("{} credential-process", word(w));
            assert_eq!(
                sh_words(&line),
                vec![w.to_string(), "credential-process".to_owned()],
                "{line}"
            );
        }
    }

    /// The Rust SDK's rule (aws-runtime `prepare_line`): a `#` or `;` after whitespace starts a
    /// comment. The JavaScript SDK's is the same with `\s`.
    fn ini_comment_start(line: &str) -> Option<usize> {
        let mut prev_whitespace = false;
        for (i, c) in line.char_indices() {
            if (c == '#' || c == ';') && prev_whitespace {
                return Some(i);
            }
            prev_whitespace = c.is_whitespace() || c == '\u{feff}';
        }
        None
    }

    #[test]
    fn no_sdk_reads_part_of_the_line_as_a_comment() {
        for w in WORDS {
            let line = format!("{} credential-process --profile dev", word(w));
            assert_eq!(ini_comment_start(&line), None, "{line}");
        }
    }

    #[test]
    fn plain_words_stay_readable() {
        assert_eq!(word("/usr/local/bin/cogauth"), "/usr/local/bin/cogauth");
        assert_eq!(word("/opt/with space/x"), "'/opt/with space/x'");
        assert_eq!(word("/opt/it's"), r"'/opt/it'\''s'");
        assert_eq!(word("a ;b"), "'a '';b'");
        assert_eq!(word("a;b"), "'a;b'");
        assert_eq!(word(""), "''");
    }
}
