//! Fuzzing the AWS INI model (`cogauth_core::awsfiles::ini::Ini`), for a time budget (see
//! `fuzz_support`): parse, write, parse is the identity; comments survive every edit cogauth
//! makes; edits do what they say and nothing else; arbitrary input never panics.

mod fuzz_support;

use cogauth_core::awsfiles::ini::Ini;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

type Entries = Vec<(String, Vec<(String, String)>)>;

fn entries_of(ini: &Ini) -> Entries {
    ini.sections()
        .map(|s| {
            let entries = s.entries().map(|(k, v)| (k.to_owned(), v.to_owned()));
            (s.name.to_owned(), entries.collect())
        })
        .collect()
}

/// Full-line comments, in order, as written.
fn comments_of(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        .filter(|l| l.starts_with(['#', ';']))
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A model of a well-formed file, rendered with the formatting freedom real files have.

#[derive(Debug, Clone)]
enum Item {
    Key {
        key: String,
        delimiter: &'static str,
        value: String,
        /// Indented sub-keys (`s3 =` then `  max_concurrent_requests = 10`).
        sub: Vec<String>,
    },
    Comment(String),
    Blank(String),
}

#[derive(Debug, Clone)]
struct SectionModel {
    name: String,
    padding: (String, String),
    trailing_comment: Option<String>,
    items: Vec<Item>,
}

#[derive(Debug, Clone)]
struct FileModel {
    bom: bool,
    crlf: bool,
    final_newline: bool,
    preamble: Vec<Item>,
    sections: Vec<SectionModel>,
}

impl FileModel {
    fn render(&self) -> String {
        let mut lines: Vec<String> = Vec::new();
        let push_item = |lines: &mut Vec<String>, item: &Item| match item {
            Item::Key {
                key,
                delimiter,
                value,
                sub,
            } => {
                lines.push(format!("{key}{delimiter}{value}"));
                lines.extend(sub.iter().map(|s| format!("  {s}")));
            }
            Item::Comment(c) => lines.push(c.clone()),
            Item::Blank(b) => lines.push(b.clone()),
        };
        for item in &self.preamble {
            push_item(&mut lines, item);
        }
        for section in &self.sections {
            let (before, after) = &section.padding;
            let mut header = format!("[{before}{}{after}]", section.name);
            if let Some(comment) = &section.trailing_comment {
                header.push(' ');
                header.push_str(comment);
            }
            lines.push(header);
            for item in &section.items {
                push_item(&mut lines, item);
            }
        }
        let newline = if self.crlf { "\r\n" } else { "\n" };
        let mut text = lines.join(newline);
        if self.final_newline && !lines.is_empty() {
            text.push_str(newline);
        }
        if self.bom {
            text.insert(0, '\u{feff}');
        }
        text
    }

    fn entries(&self) -> Entries {
        self.sections
            .iter()
            .map(|s| {
                let entries = s.items.iter().filter_map(|item| match item {
                    Item::Key { key, value, .. } => Some((key.clone(), value.trim().to_owned())),
                    _ => None,
                });
                (s.name.clone(), entries.collect())
            })
            .collect()
    }
}

fn key_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("aws_access_key_id".to_owned()),
        Just("AWS_Secret_Access_Key".to_owned()),
        Just("region".to_owned()),
        Just("s3".to_owned()),
        Just("x_cogauth_managed".to_owned()),
        "[A-Za-z_][A-Za-z0-9_.-]{0,10}",
    ]
}

fn comment() -> impl Strategy<Value = String> {
    // An indented comment is still a comment.
    ("[ \t]{0,2}", "[#;]", "[^\r\n\x00]{0,24}")
        .prop_map(|(indent, mark, text)| format!("{indent}{mark}{text}"))
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        4 => (
            key_name(),
            prop_oneof![Just("="), Just(" = "), Just(":"), Just(" : "), Just("  =\t")],
            "[^\r\n\x00]{0,20}",
            prop::collection::vec("[a-z_]{1,8} = [a-z0-9]{0,4}", 0..3),
        )
            .prop_map(|(key, delimiter, value, sub)| Item::Key {
                key,
                delimiter,
                value,
                sub,
            }),
        2 => comment().prop_map(Item::Comment),
        1 => "[ \t]{0,3}".prop_map(Item::Blank),
    ]
}

fn section_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("default".to_owned()),
        Just("dev".to_owned()),
        Just("profile dev".to_owned()),
        "[A-Za-z0-9_.-]{1,6}( [A-Za-z0-9_.-]{1,6})?",
    ]
}

fn file_model() -> impl Strategy<Value = FileModel> {
    let section = (
        section_name(),
        ("[ ]{0,2}", "[ ]{0,2}"),
        prop::option::weighted(0.2, comment().prop_map(|c| c.trim().to_owned())),
        prop::collection::vec(item(), 0..6),
    )
        .prop_map(|(name, padding, trailing_comment, items)| SectionModel {
            name,
            padding,
            trailing_comment,
            items,
        });
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(
            prop_oneof![
                comment().prop_map(Item::Comment),
                "[ \t]{0,2}".prop_map(Item::Blank)
            ],
            0..3,
        ),
        prop::collection::vec(section, 0..6),
    )
        .prop_map(|(bom, crlf, final_newline, preamble, sections)| FileModel {
            bom,
            crlf,
            final_newline,
            preamble,
            sections,
        })
        .prop_filter("sub-keys need an empty value to follow", |m| {
            m.sections.iter().all(|s| {
                s.items.iter().all(|i| match i {
                    Item::Key { value, sub, .. } => sub.is_empty() || value.trim().is_empty(),
                    _ => true,
                })
            })
        })
}

/// One of the edits cogauth makes to a section.
#[derive(Debug, Clone)]
enum Edit {
    Set {
        section: String,
        key: String,
        value: String,
    },
    RemoveKey {
        section: String,
        key: String,
    },
    /// `release`: the section goes only when no key is left in it.
    RemoveIfKeyless {
        section: String,
    },
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let section = prop_oneof![section_name(), Just("cogauth-new".to_owned())];
    let edit = prop_oneof![
        3 => (section.clone(), key_name(), "[A-Za-z0-9/+=]{1,16}")
            .prop_map(|(section, key, value)| Edit::Set { section, key, value }),
        2 => (section.clone(), key_name()).prop_map(|(section, key)| Edit::RemoveKey { section, key }),
        1 => section.prop_map(|section| Edit::RemoveIfKeyless { section }),
    ];
    prop::collection::vec(edit, 0..6)
}

/// What an edit does to the entries, as the module documents it.
fn apply_to_model(model: &mut Entries, edit: &Edit) {
    match edit {
        Edit::Set {
            section,
            key,
            value,
        } => {
            let index = match model.iter().position(|(n, _)| n == section) {
                Some(i) => i,
                None => {
                    model.push((section.clone(), Vec::new()));
                    model.len() - 1
                }
            };
            let entries = &mut model[index].1;
            match entries
                .iter()
                .position(|(k, _)| k.eq_ignore_ascii_case(key))
            {
                Some(first) => {
                    entries[first].1 = value.clone();
                    let mut seen = 0;
                    entries.retain(|(k, _)| {
                        let matching = k.eq_ignore_ascii_case(key);
                        seen += usize::from(matching);
                        !matching || seen == 1
                    });
                }
                None => entries.push((key.clone(), value.clone())),
            }
        }
        Edit::RemoveKey { section, key } => {
            if let Some((_, entries)) = model.iter_mut().find(|(n, _)| n == section) {
                entries.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
            }
        }
        Edit::RemoveIfKeyless { section } => {
            if let Some(i) = model.iter().position(|(n, _)| n == section)
                && model[i].1.is_empty()
            {
                model.remove(i);
            }
        }
    }
}

fn apply(ini: &mut Ini, edit: &Edit) {
    match edit {
        Edit::Set {
            section,
            key,
            value,
        } => ini.set(section, key, value).expect("valid names and value"),
        Edit::RemoveKey { section, key } => {
            ini.remove_key(section, key);
        }
        Edit::RemoveIfKeyless { section } => {
            if ini.section(section).is_some_and(|s| !s.has_keys()) {
                ini.remove_section(section);
            }
        }
    }
}

fn check_model_file(model: FileModel, edits: Vec<Edit>) -> Result<(), TestCaseError> {
    let text = model.render();
    let mut ini = Ini::parse(&text)
        .map_err(|e| TestCaseError::fail(format!("{e} in a well-formed file {text:?}")))?;
    prop_assert_eq!(ini.to_string(), text.clone(), "write gives the input back");
    prop_assert_eq!(entries_of(&ini), model.entries());
    let comments = comments_of(&text);
    let mut expected = model.entries();
    for edit in &edits {
        apply(&mut ini, edit);
        apply_to_model(&mut expected, edit);
        let written = ini.to_string();
        let reparsed = Ini::parse(&written)
            .map_err(|e| TestCaseError::fail(format!("{e} after {edit:?}: {written:?}")))?;
        prop_assert_eq!(reparsed.to_string(), written.clone(), "parse, write, parse");
        prop_assert_eq!(entries_of(&reparsed), expected.clone(), "after {:?}", edit);
        prop_assert_eq!(
            comments_of(&written),
            comments.clone(),
            "comments kept after {:?}",
            edit
        );
        ini = reparsed;
    }
    Ok(())
}

#[test]
fn well_formed_files_round_trip_and_edits_keep_comments() {
    let cases = fuzz_support::fuzz(
        "ini model round trip",
        || (file_model(), edits()),
        |(model, edits)| check_model_file(model, edits),
    );
    assert!(cases >= 256);
}

// ---------------------------------------------------------------------------------------------
// Arbitrary text: no panic, and whatever parses writes back byte for byte and survives edits.

fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("[a]".to_owned()),
        Just("[ profile  b ]".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("=".to_owned()),
        Just(":".to_owned()),
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\r".to_owned()),
        Just("#".to_owned()),
        Just(";".to_owned()),
        Just("key".to_owned()),
        Just("x = 1".to_owned()),
        Just("s3 =\n  m = 2".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("\0".to_owned()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..48).prop_map(|p| p.concat())
}

#[test]
fn arbitrary_text_never_panics_and_round_trips() {
    let cases = fuzz_support::fuzz(
        "ini arbitrary text",
        || (hostile_text(), edits()),
        |(text, edits)| {
            let Ok(mut ini) = Ini::parse(&text) else {
                return Ok(());
            };
            prop_assert_eq!(ini.to_string(), text.clone());
            for edit in &edits {
                apply(&mut ini, edit);
                let written = ini.to_string();
                let reparsed = Ini::parse(&written).map_err(|e| {
                    TestCaseError::fail(format!("{e} after {edit:?} of {text:?}: {written:?}"))
                })?;
                prop_assert_eq!(entries_of(&reparsed), entries_of(&ini));
                ini = reparsed;
            }
            Ok(())
        },
    );
    assert!(cases >= 256);
}

#[test]
fn arbitrary_bytes_never_panic() {
    let cases = fuzz_support::fuzz(
        "ini arbitrary bytes",
        || prop::collection::vec(any::<u8>(), 0..512),
        |bytes| {
            if let Ok(ini) = Ini::parse_bytes(&bytes) {
                prop_assert_eq!(ini.to_bytes(), bytes);
            }
            Ok(())
        },
    );
    assert!(cases >= 256);
}
