//! A line-based model of an AWS INI file that writes back every byte it was not asked to change.
//!
//! No INI crate keeps comments, blank lines and key case, and the one that keeps order drops the
//! `[default]` header when it writes. The AWS files are the user's, often hand-edited, so this
//! model keeps each line's text and line ending as read, and an edit touches only the lines it
//! must: [`Ini::parse`] followed by [`Ini::to_bytes`] gives back the input byte for byte.
//!
//! The grammar is the AWS CLI's (Python `configparser`), minus what it would reject:
//! - `[name]` headers, optionally followed by a `#` or `;` comment;
//! - `key = value` or `key: value` lines, with any whitespace around the delimiter;
//! - full-line `#` and `;` comments and blank lines anywhere;
//! - indented lines after a key continue its value (the config file's sub-sections, such as
//!   `s3 =` followed by `  max_concurrent_requests = 10`);
//! - a key before the first header, a line that is neither of the above, an unterminated `[`,
//!   a NUL byte or bytes that are not UTF-8 are errors with the line number.
//!
//! Keys match case-insensitively (the AWS tools lowercase them) and keep their spelling; section
//! names match exactly, after trimming the whitespace inside the brackets.

use std::fmt;

/// Why a file could not be read as INI, with the 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ParseError {
    pub line: usize,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    #[error("NUL byte (the file looks binary)")]
    NulByte,
    #[error("`[` without a closing `]`")]
    UnterminatedHeader,
    #[error("empty section name `[]`")]
    EmptySectionName,
    #[error("unexpected text after the section header's `]`")]
    TextAfterHeader,
    #[error("`key = value` line before the first `[section]` header")]
    KeyOutsideSection,
    #[error("no key before the `=`")]
    EmptyKey,
    #[error("expected `key = value`, a `[section]` header or a `#` comment")]
    NotKeyValue,
}

/// Text that an edit would have to write but that cannot be written as one INI line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("section name `{0}` cannot be written in an INI header")]
    SectionName(String),
    #[error("key `{0}` cannot be written in an INI file")]
    Key(String),
    #[error("the value for `{0}` contains a line break or surrounding whitespace")]
    Value(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The last line of a file that does not end with a newline.
    None,
    Lf,
    CrLf,
}

impl Ending {
    fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Lf => "\n",
            Self::CrLf => "\r\n",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    Header { name: String },
    Key { key: String, value_start: usize },
    Continuation,
}

#[derive(Debug, Clone)]
struct Line {
    /// The line without its ending, exactly as read.
    text: String,
    ending: Ending,
    kind: Kind,
}

/// A parsed INI file. See the module documentation.
#[derive(Clone)]
pub struct Ini {
    lines: Vec<Line>,
    /// The ending new lines get: the file's own style (CRLF if its first line ends so).
    newline: Ending,
}

// The values may be secrets (aws_secret_access_key): never show them.
impl fmt::Debug for Ini {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ini")
            .field("lines", &self.lines.len())
            .field(
                "sections",
                &self.sections().map(|s| s.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// One `[section]` of a parsed file, for reading.
#[derive(Debug, Clone, Copy)]
pub struct Section<'a> {
    ini: &'a Ini,
    header: usize,
    /// The name between the brackets, trimmed.
    pub name: &'a str,
}

impl<'a> Section<'a> {
    /// The 1-based line number of the header.
    pub fn line(&self) -> usize {
        self.header + 1
    }

    /// The section's keys in file order, as spelled in the file, with their values (the text
    /// after the delimiter on the key's own line, trailing whitespace trimmed; empty for a
    /// sub-section such as `s3 =`).
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let ini = self.ini;
        let end = ini.section_end(self.header);
        ini.lines[self.header + 1..end]
            .iter()
            .filter_map(|line| match &line.kind {
                Kind::Key { key, value_start } => {
                    Some((key.as_str(), line.text[*value_start..].trim_end()))
                }
                _ => None,
            })
    }

    /// The value of `key` (case-insensitive); the first one if the key is repeated.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.entries()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    pub fn has_keys(&self) -> bool {
        self.entries().next().is_some()
    }
}

impl Ini {
    /// Parses `bytes`, which must be UTF-8.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Self::parse(text),
            Err(e) => {
                let valid = &bytes[..e.valid_up_to()];
                let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
                Err(ParseError {
                    line,
                    kind: ParseErrorKind::NotUtf8,
                })
            }
        }
    }

    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let mut lines = Vec::new();
        let mut newline = None;
        let mut in_section = false;
        // Whether an indented line here continues a value (a key was seen in this section and
        // nothing but blank lines and comments came after its value).
        let mut in_value = false;
        for (index, (text, ending)) in split_lines(text).enumerate() {
            if newline.is_none() && ending != Ending::None {
                newline = Some(ending);
            }
            let fail = |kind| ParseError {
                line: index + 1,
                kind,
            };
            if text.contains('\0') {
                return Err(fail(ParseErrorKind::NulByte));
            }
            // A byte-order mark is kept in the text but does not make the first line a key.
            let content = if index == 0 {
                text.strip_prefix('\u{feff}').unwrap_or(text)
            } else {
                text
            };
            let trimmed = content.trim();
            let kind = if trimmed.is_empty() {
                Kind::Blank
            } else if trimmed.starts_with(['#', ';']) {
                Kind::Comment
            } else if in_value && content.starts_with(char::is_whitespace) {
                Kind::Continuation
            } else if let Some(inner) = trimmed.strip_prefix('[') {
                let close = inner
                    .find(']')
                    .ok_or_else(|| fail(ParseErrorKind::UnterminatedHeader))?;
                let name = inner[..close].trim();
                if name.is_empty() {
                    return Err(fail(ParseErrorKind::EmptySectionName));
                }
                let rest = inner[close + 1..].trim_start();
                if !rest.is_empty() && !rest.starts_with(['#', ';']) {
                    return Err(fail(ParseErrorKind::TextAfterHeader));
                }
                in_section = true;
                in_value = false;
                Kind::Header {
                    name: name.to_owned(),
                }
            } else {
                if !in_section {
                    return Err(fail(ParseErrorKind::KeyOutsideSection));
                }
                let delimiter = content
                    .find(['=', ':'])
                    .ok_or_else(|| fail(ParseErrorKind::NotKeyValue))?;
                let key = content[..delimiter].trim();
                if key.is_empty() {
                    return Err(fail(ParseErrorKind::EmptyKey));
                }
                let after = &content[delimiter + 1..];
                let value_offset = after.len() - after.trim_start().len();
                in_value = true;
                Kind::Key {
                    key: key.to_owned(),
                    value_start: (text.len() - content.len()) + delimiter + 1 + value_offset,
                }
            };
            lines.push(Line {
                text: text.to_owned(),
                ending,
                kind,
            });
        }
        Ok(Self {
            lines,
            newline: newline.unwrap_or(Ending::Lf),
        })
    }

    /// The file's bytes: the input unchanged where no edit touched it.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    pub fn sections(&self) -> impl Iterator<Item = Section<'_>> {
        self.lines
            .iter()
            .enumerate()
            .filter_map(move |(header, line)| match &line.kind {
                Kind::Header { name } => Some(Section {
                    ini: self,
                    header,
                    name,
                }),
                _ => None,
            })
    }

    /// The first section named `name`.
    pub fn section(&self, name: &str) -> Option<Section<'_>> {
        self.sections().find(|s| s.name == name)
    }

    /// Sets `key` in the first section named `name`, creating the section at the end of the
    /// file if there is none. An existing key keeps its line, spelling and spacing, and only
    /// its value changes (later repeats of the key are removed); a new key goes after the
    /// section's last key, before the blank lines and comments that lead to the next section.
    pub fn set(&mut self, name: &str, key: &str, value: &str) -> Result<(), EditError> {
        check_key(key)?;
        if value.contains(['\n', '\r']) || value.trim() != value {
            return Err(EditError::Value(key.to_owned()));
        }
        let header = match self.header_index(name) {
            Some(header) => header,
            None => self.create_section(name)?,
        };
        let matching = self.key_lines(header, key);
        if let Some((&first, repeats)) = matching.split_first() {
            // Later lines first, so earlier indexes stay valid.
            for &repeat in repeats.iter().rev() {
                self.remove_key_line(repeat);
            }
            self.remove_continuations(first);
            let line = &mut self.lines[first];
            let Kind::Key {
                key: spelled,
                value_start,
            } = &line.kind
            else {
                unreachable!("key_lines returns key lines")
            };
            let mut text = line.text[..*value_start].to_owned();
            // `key =` with nothing after: keep the value off the delimiter.
            if text.ends_with(['=', ':']) && text[..text.len() - 1].ends_with(char::is_whitespace) {
                text.push(' ');
            }
            line.kind = Kind::Key {
                key: spelled.clone(),
                value_start: text.len(),
            };
            text.push_str(value);
            line.text = text;
        } else {
            let at = self.body_end(header);
            let prefix = format!("{key} = ");
            self.insert_line(
                at,
                Line {
                    kind: Kind::Key {
                        key: key.to_owned(),
                        value_start: prefix.len(),
                    },
                    text: prefix + value,
                    ending: self.newline,
                },
            );
            self.unindent_next_header(at + 1);
        }
        Ok(())
    }

    /// Removes `key` (every repeat, with its continuation lines) from the first section named
    /// `name`. Returns whether anything was removed.
    pub fn remove_key(&mut self, name: &str, key: &str) -> bool {
        let Some(header) = self.header_index(name) else {
            return false;
        };
        let matching = self.key_lines(header, key);
        for &index in matching.iter().rev() {
            self.remove_key_line(index);
        }
        !matching.is_empty()
    }

    /// Removes the first section named `name`: its header and every line up to its last key,
    /// with the blank lines that separated it from the next section (or, at the end of the
    /// file, from the previous one). Comments after its last key belong to what follows and
    /// stay. Returns whether the section existed.
    pub fn remove_section(&mut self, name: &str) -> bool {
        let Some(header) = self.header_index(name) else {
            return false;
        };
        let mut start = header;
        let mut end = self.body_end(header);
        if end < self.lines.len() {
            while end < self.lines.len() && self.lines[end].kind == Kind::Blank {
                end += 1;
            }
        } else {
            while start > 0 && self.lines[start - 1].kind == Kind::Blank {
                start -= 1;
            }
        }
        self.remove_lines(start, end);
        true
    }

    /// Appends an empty `[name]` section, after a blank line, and returns its header's index.
    /// Does nothing but return the index if the section exists.
    fn create_section(&mut self, name: &str) -> Result<usize, EditError> {
        if name.is_empty() || name.trim() != name || name.contains(['[', ']', '\n', '\r', '#', ';'])
        {
            return Err(EditError::SectionName(name.to_owned()));
        }
        if let Some(header) = self.header_index(name) {
            return Ok(header);
        }
        if self.lines.last().is_some_and(|l| l.kind != Kind::Blank) {
            self.insert_line(
                self.lines.len(),
                Line {
                    text: String::new(),
                    ending: self.newline,
                    kind: Kind::Blank,
                },
            );
        }
        let header = self.lines.len();
        self.insert_line(
            header,
            Line {
                text: format!("[{name}]"),
                ending: self.newline,
                kind: Kind::Header {
                    name: name.to_owned(),
                },
            },
        );
        Ok(header)
    }

    /// An indented `[next]` header is a header only while no key precedes it in its keyless
    /// section: after a key it would continue that key's value (so the AWS CLI reads it). Once
    /// a key is inserted before it, the header loses its indentation to stay a header.
    fn unindent_next_header(&mut self, from: usize) {
        let next = self.lines[from..]
            .iter()
            .position(|l| !matches!(l.kind, Kind::Blank | Kind::Comment))
            .map(|offset| from + offset);
        if let Some(line) = next.map(|i| &mut self.lines[i])
            && matches!(line.kind, Kind::Header { .. })
        {
            line.text = line.text.trim_start().to_owned();
        }
    }

    fn header_index(&self, name: &str) -> Option<usize> {
        self.section(name).map(|s| s.header)
    }

    /// Index after the header's section: the next header, or the end of the file.
    fn section_end(&self, header: usize) -> usize {
        self.lines[header + 1..]
            .iter()
            .position(|l| matches!(l.kind, Kind::Header { .. }))
            .map_or(self.lines.len(), |offset| header + 1 + offset)
    }

    /// Index after the section's last key or continuation line (after the header if none).
    fn body_end(&self, header: usize) -> usize {
        let end = self.section_end(header);
        (header + 1..end)
            .rev()
            .find(|&i| matches!(self.lines[i].kind, Kind::Key { .. } | Kind::Continuation))
            .map_or(header + 1, |i| i + 1)
    }

    fn key_lines(&self, header: usize, key: &str) -> Vec<usize> {
        (header + 1..self.section_end(header))
            .filter(|&i| matches!(&self.lines[i].kind, Kind::Key { key: k, .. } if k.eq_ignore_ascii_case(key)))
            .collect()
    }

    /// Index after the key line's continuation lines (blank lines and comments between them
    /// included, as the AWS CLI reads them), or `key_line + 1`.
    fn continuation_end(&self, key_line: usize) -> usize {
        let mut end = key_line + 1;
        for i in key_line + 1..self.lines.len() {
            match self.lines[i].kind {
                Kind::Continuation => end = i + 1,
                Kind::Blank | Kind::Comment => {}
                Kind::Key { .. } | Kind::Header { .. } => break,
            }
        }
        end
    }

    fn remove_continuations(&mut self, key_line: usize) {
        let end = self.continuation_end(key_line);
        self.remove_lines(key_line + 1, end);
    }

    fn remove_key_line(&mut self, key_line: usize) {
        let end = self.continuation_end(key_line);
        self.remove_lines(key_line, end);
    }

    /// Removes `start..end`, keeping the file's missing final newline if the last line goes.
    fn remove_lines(&mut self, start: usize, end: usize) {
        if start >= end {
            return;
        }
        let removes_last = end == self.lines.len();
        let last_ending = self.lines.last().map(|l| l.ending);
        self.lines.drain(start..end);
        if removes_last && let (Some(last), Some(ending)) = (self.lines.last_mut(), last_ending) {
            last.ending = ending;
        }
    }

    /// Inserts `line` before index `at`, keeping the file's missing final newline if it becomes
    /// the last line.
    fn insert_line(&mut self, at: usize, mut line: Line) {
        if at == self.lines.len()
            && let Some(last) = self.lines.last_mut()
            && last.ending == Ending::None
        {
            last.ending = self.newline;
            line.ending = Ending::None;
        }
        self.lines.insert(at, line);
    }
}

fn check_key(key: &str) -> Result<(), EditError> {
    if key.is_empty() || key.trim() != key || key.contains(['=', ':', '[', '\n', '\r', '#', ';']) {
        return Err(EditError::Key(key.to_owned()));
    }
    Ok(())
}

impl fmt::Display for Ini {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            f.write_str(&line.text)?;
            f.write_str(line.ending.as_str())?;
        }
        Ok(())
    }
}

/// Splits `text` into lines and their endings; a final line without a newline has
/// [`Ending::None`], and a text ending with a newline has no empty last line.
fn split_lines(text: &str) -> impl Iterator<Item = (&str, Ending)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, ending, next) = match rest.find('\n') {
            Some(n) => match rest[..n].strip_suffix('\r') {
                Some(line) => (line, Ending::CrLf, &rest[n + 1..]),
                None => (&rest[..n], Ending::Lf, &rest[n + 1..]),
            },
            None => (rest, Ending::None, ""),
        };
        rest = next;
        Some((line, ending))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Ini {
        Ini::parse(text).unwrap_or_else(|e| panic!("{e}: {text:?}"))
    }

    fn edited(text: &str, edit: impl FnOnce(&mut Ini)) -> String {
        let mut ini = parse(text);
        edit(&mut ini);
        ini.to_string()
    }

    #[test]
    fn unedited_files_write_back_byte_for_byte() {
        for text in [
            "",
            "\n",
            "\n\n  \n",
            "[default]",
            "[default]\n",
            "[default]\r\nregion = eu-west-1\r\n",
            "# top\n; also\n[a] # trailing comment\nK=V\n\n  # indented\n[b]\nx : y\n",
            "[profile dev]\ns3 =\n  max_concurrent_requests = 10\n\n  addressing_style = path\nregion=x",
            "\u{feff}[default]\nkey = value with = and : inside   \n",
            "[a]\r\nx = 1\nmixed = endings\r\n\t\n",
        ] {
            assert_eq!(parse(text).to_string(), text);
        }
    }

    #[test]
    fn sections_and_entries_are_read() {
        let ini = parse(
            "[default]\nAWS_Access_Key_Id = AKID\n[ profile  dev ] ; c\ns3 =\n  max = 10\nregion:eu\n",
        );
        let names: Vec<_> = ini.sections().map(|s| (s.name, s.line())).collect();
        assert_eq!(names, [("default", 1), ("profile  dev", 3)]);
        assert_eq!(
            ini.section("default").unwrap().get("aws_access_key_id"),
            Some("AKID")
        );
        let dev = ini.section("profile  dev").unwrap();
        assert_eq!(
            dev.entries().collect::<Vec<_>>(),
            [("s3", ""), ("region", "eu")]
        );
    }

    #[test]
    fn invalid_files_name_the_line() {
        let cases: &[(&[u8], usize, ParseErrorKind)] = &[
            (b"key = value\n", 1, ParseErrorKind::KeyOutsideSection),
            (b"# c\n[a\n", 2, ParseErrorKind::UnterminatedHeader),
            (b"[a]\n[]\n", 2, ParseErrorKind::EmptySectionName),
            (b"[a] b\n", 1, ParseErrorKind::TextAfterHeader),
            (b"[a]\njust words\n", 2, ParseErrorKind::NotKeyValue),
            (b"[a]\n = v\n", 2, ParseErrorKind::EmptyKey),
            (b"[a]\nx = 1\n\xff\xfe\n", 3, ParseErrorKind::NotUtf8),
            (b"[a]\nx = \0\n", 2, ParseErrorKind::NulByte),
        ];
        for (bytes, line, kind) in cases {
            let err = Ini::parse_bytes(bytes).unwrap_err();
            assert_eq!((err.line, err.kind), (*line, *kind), "{bytes:?}");
        }
    }

    #[test]
    fn set_replaces_a_value_in_place() {
        let text = "[a]\n# c\n  Region   =  old  \nx=1\n[b]\nregion = other\n";
        assert_eq!(
            edited(text, |ini| ini.set("a", "region", "new").unwrap()),
            "[a]\n# c\n  Region   =  new\nx=1\n[b]\nregion = other\n"
        );
        assert_eq!(
            edited("[a]\nx=1\n", |ini| ini.set("a", "x", "2").unwrap()),
            "[a]\nx=2\n"
        );
        assert_eq!(
            edited("[a]\nx =\n", |ini| ini.set("a", "x", "2").unwrap()),
            "[a]\nx = 2\n"
        );
    }

    #[test]
    fn set_replaces_a_sub_section_and_drops_repeats() {
        let text = "[a]\nx =\n  sub = 1\n\n  sub2 = 2\ny = 1\nx = again\n";
        assert_eq!(
            edited(text, |ini| ini.set("a", "X", "v").unwrap()),
            "[a]\nx = v\ny = 1\n"
        );
    }

    #[test]
    fn set_appends_after_the_last_key_of_the_section() {
        let text = "[a]\nx = 1\ns3 =\n  m = 2\n\n# about b\n[b]\ny = 2\n";
        assert_eq!(
            edited(text, |ini| ini.set("a", "z", "3").unwrap()),
            "[a]\nx = 1\ns3 =\n  m = 2\nz = 3\n\n# about b\n[b]\ny = 2\n"
        );
        assert_eq!(
            edited("[a]\n\n[b]\n", |ini| ini.set("a", "z", "3").unwrap()),
            "[a]\nz = 3\n\n[b]\n"
        );
    }

    #[test]
    fn set_creates_a_missing_section_at_the_end() {
        assert_eq!(
            edited("", |ini| ini.set("p", "k", "v").unwrap()),
            "[p]\nk = v\n"
        );
        assert_eq!(
            edited("[a]\nx = 1\n", |ini| ini.set("p", "k", "v").unwrap()),
            "[a]\nx = 1\n\n[p]\nk = v\n"
        );
        assert_eq!(
            edited("[a]\nx = 1\n\n", |ini| ini.set("p", "k", "v").unwrap()),
            "[a]\nx = 1\n\n[p]\nk = v\n"
        );
    }

    #[test]
    fn new_lines_follow_the_files_style() {
        assert_eq!(
            edited("[a]\r\nx = 1\r\n", |ini| {
                ini.set("a", "y", "2").unwrap();
                ini.set("b", "z", "3").unwrap();
            }),
            "[a]\r\nx = 1\r\ny = 2\r\n\r\n[b]\r\nz = 3\r\n"
        );
        // No final newline before: none after.
        assert_eq!(
            edited("[a]\nx = 1", |ini| {
                ini.set("a", "y", "2").unwrap();
                ini.set("b", "z", "3").unwrap();
            }),
            "[a]\nx = 1\ny = 2\n\n[b]\nz = 3"
        );
    }

    #[test]
    fn a_key_added_before_an_indented_header_leaves_it_a_header() {
        assert_eq!(
            edited("[a]\n\n  [b] \nx = 1\n", |ini| ini
                .set("a", "k", "v")
                .unwrap()),
            "[a]\nk = v\n\n[b] \nx = 1\n"
        );
    }

    #[test]
    fn remove_key_takes_its_continuations() {
        let text = "[a]\nx = 1\ns3 =\n  m = 2\ny = 3\n";
        let mut ini = parse(text);
        assert!(ini.remove_key("a", "S3"));
        assert!(!ini.remove_key("a", "s3"));
        assert!(!ini.remove_key("missing", "x"));
        assert_eq!(ini.to_string(), "[a]\nx = 1\ny = 3\n");
    }

    #[test]
    fn remove_section_undoes_create() {
        for text in [
            "",
            "[a]\nx = 1\n",
            "[a]\nx = 1",
            "[a]\r\nx = 1\r\n",
            "# only\n",
        ] {
            let mut ini = parse(text);
            ini.set("p", "k", "v").unwrap();
            assert!(ini.remove_section("p"));
            assert_eq!(ini.to_string(), text);
        }
    }

    #[test]
    fn remove_section_keeps_what_belongs_to_the_next() {
        let text =
            "[a]\nx = 1\n\n# p's own\n[p]\nk = v\n# inside\nk2 = v\n\n\n# about b\n[b]\ny = 2\n";
        assert_eq!(
            edited(text, |ini| assert!(ini.remove_section("p"))),
            "[a]\nx = 1\n\n# p's own\n# about b\n[b]\ny = 2\n"
        );
        assert!(!parse(text).remove_section("q"));
    }

    #[test]
    fn edits_refuse_text_that_would_break_the_file() {
        let mut ini = parse("[a]\n");
        assert!(ini.set("a", "k", "two\nlines").is_err());
        assert!(ini.set("a", "k", " padded").is_err());
        assert!(ini.set("a", "k=x", "v").is_err());
        assert!(ini.set("a]\n[b", "k", "v").is_err());
        assert_eq!(ini.to_string(), "[a]\n");
    }

    /// A small deterministic generator (xorshift), so failures reproduce without a crate.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    const PIECES: &[&str] = &[
        "[a]",
        "[b]",
        "[ profile  c ]",
        "[",
        "]",
        "=",
        ":",
        " ",
        "\t",
        "\n",
        "\n",
        "\n",
        "\r\n",
        "\r",
        "#",
        ";",
        "key",
        "Key",
        "x = 1",
        "s3 =\n  m = 2",
        "é",
        "\u{feff}",
        "\0",
    ];

    fn random_text(rng: &mut Rng) -> String {
        (0..rng.below(40))
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect()
    }

    fn entries_of(ini: &Ini) -> Vec<(String, Vec<(String, String)>)> {
        ini.sections()
            .map(|s| {
                let entries = s.entries().map(|(k, v)| (k.to_owned(), v.to_owned()));
                (s.name.to_owned(), entries.collect())
            })
            .collect()
    }

    /// Arbitrary text never panics the parser, and whatever it accepts writes back unchanged.
    /// Every edit leaves a file that parses again, with the edit's effect and nothing else.
    #[test]
    fn random_files_and_edits_keep_the_invariants() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut parsed, mut edits) = (0, 0);
        for _ in 0..60_000 {
            let text = random_text(&mut rng);
            let Ok(mut ini) = Ini::parse(&text) else {
                continue;
            };
            parsed += 1;
            assert_eq!(ini.to_string(), text);
            for _ in 0..rng.below(4) {
                let section = ["a", "b", "profile  c", "new"][rng.below(4)];
                let key = ["key", "KEY", "x", "s3", "fresh"][rng.below(5)];
                let before = entries_of(&ini);
                let duplicated = before.iter().filter(|(n, _)| n == section).count() > 1;
                match rng.below(3) {
                    0 => {
                        ini.set(section, key, "v").unwrap();
                        assert_eq!(ini.section(section).unwrap().get(key), Some("v"));
                    }
                    1 => {
                        ini.remove_key(section, key);
                        if let Some(s) = ini.section(section) {
                            assert_eq!(s.get(key), None, "{text:?}");
                        }
                    }
                    _ => {
                        ini.remove_section(section);
                        if !duplicated {
                            assert!(ini.section(section).is_none(), "{text:?}");
                        }
                    }
                }
                let written = ini.to_string();
                let reparsed = Ini::parse(&written)
                    .unwrap_or_else(|e| panic!("{e} after editing {text:?} into {written:?}"));
                assert_eq!(entries_of(&reparsed), entries_of(&ini), "{written:?}");
                // Sections other than the edited one are untouched.
                let others = |all: Vec<(String, Vec<(String, String)>)>| {
                    all.into_iter()
                        .filter(|(n, _)| n != section)
                        .collect::<Vec<_>>()
                };
                assert_eq!(others(entries_of(&ini)), others(before), "{text:?}");
                ini = reparsed;
                edits += 1;
            }
        }
        assert!(
            parsed > 3_000 && edits > 4_000,
            "{parsed} parsed, {edits} edits"
        );
    }

    #[test]
    fn debug_shows_no_values() {
        let ini = parse("[a]\naws_secret_access_key = canary\n");
        assert!(!format!("{ini:?}").contains("canary"));
    }
}
