//! The roster of a headshot day: who is to be photographed, as HR exports it (CSV with a header).
//!
//! `id` and `name` are required; `email`, `team` and `reference` (an existing photo of the
//! person, relative to the roster's folder) are optional; other columns are ignored, so an HR
//! export can be used as it is. Every error names the file and the line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One person to photograph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The roster's id: it names the person's headshots (`<id>.<variant>.jpg`) and is what their
    /// shoot card's QR code says.
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub team: Option<String>,
    /// An existing photo of the person, to recognise them by.
    pub reference: Option<PathBuf>,
    /// The line of the roster file the person is on (1 is the header).
    pub line: u64,
}

/// Everyone to photograph, in the roster's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roster {
    pub people: Vec<Person>,
}

/// Why a roster cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("{}: cannot read the roster: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}, line {line}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

/// Longest roster id: it becomes part of file names.
const MAX_ID: usize = 64;

impl Roster {
    /// Reads a roster file; references are resolved against its folder.
    pub fn read(path: &Path) -> Result<Roster, RosterError> {
        let bytes = std::fs::read(path).map_err(|source| RosterError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Roster::parse(&bytes, path)
    }

    /// Parses a roster's bytes; `path` names it in errors and anchors references, which must
    /// exist.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Roster, RosterError> {
        let base = path.parent().unwrap_or(Path::new(""));
        Roster::parse_with(bytes, path, &|r| {
            let p = base.join(r);
            if p.is_file() {
                Ok(p)
            } else {
                Err(format!(
                    "the reference photo {} does not exist",
                    p.display()
                ))
            }
        })
    }

    /// Parses a roster sent to a server, whose reference photos come with the shoot: a
    /// reference must be a plain file name (no folder, so it cannot point anywhere else on the
    /// server), and it names a file in `folder`, which may not have arrived yet.
    pub fn parse_uploaded(bytes: &[u8], name: &str, folder: &Path) -> Result<Roster, RosterError> {
        Roster::parse_with(bytes, Path::new(name), &|r| {
            let plain = !r.starts_with('.')
                && !r.contains(['/', '\\', ':'])
                && !r.chars().any(char::is_control);
            if plain {
                Ok(folder.join(r))
            } else {
                Err(format!(
                    "the reference {r:?} must be the file name of a photo uploaded with the shoot, without a folder"
                ))
            }
        })
    }

    fn parse_with(
        bytes: &[u8],
        path: &Path,
        resolve: &dyn Fn(&str) -> Result<PathBuf, String>,
    ) -> Result<Roster, RosterError> {
        let invalid = |line: u64, message: String| RosterError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        };
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header = reader
            .headers()
            .map_err(|e| invalid(1, csv_reason(&e)))?
            .clone();
        let column = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
        let (Some(id_col), Some(name_col)) = (column("id"), column("name")) else {
            return Err(invalid(
                1,
                format!(
                    "the header must name the columns `id` and `name` (it has: {})",
                    header.iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        let (email_col, team_col, reference_col) =
            (column("email"), column("team"), column("reference"));
        let mut people = Vec::new();
        let mut lines: HashMap<String, u64> = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                invalid(line, csv_reason(&e))
            })?;
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().all(str::is_empty) {
                continue;
            }
            let field = |col: Option<usize>| {
                col.and_then(|c| record.get(c))
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            let id = field(Some(id_col)).ok_or_else(|| invalid(line, "the id is empty".into()))?;
            check_id(&id).map_err(|m| invalid(line, m))?;
            let name = field(Some(name_col))
                .ok_or_else(|| invalid(line, format!("{id}: the name is empty")))?;
            if let Some(first) = lines.insert(id.clone(), line) {
                return Err(invalid(
                    line,
                    format!(
                        "the id {id} is already on line {first}: every person needs their own id"
                    ),
                ));
            }
            let reference = match field(reference_col) {
                Some(r) => Some(resolve(&r).map_err(|m| invalid(line, format!("{id}: {m}")))?),
                None => None,
            };
            people.push(Person {
                id,
                name,
                email: field(email_col),
                team: field(team_col),
                reference,
                line,
            });
        }
        if people.is_empty() {
            return Err(invalid(1, "the roster has nobody in it".into()));
        }
        Ok(Roster { people })
    }

    /// The person with this roster id.
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }
}

/// A roster id is part of file names and of a QR code: letters, digits, `-`, `_` and `.`, not
/// starting with a dot.
fn check_id(id: &str) -> Result<(), String> {
    if id.len() > MAX_ID {
        return Err(format!("the id {id} is longer than {MAX_ID} characters"));
    }
    let ok = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !id.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the id {id:?} may hold only letters, digits, '-', '_' and '.' (it names the person's headshot files)"
        ))
    }
}

/// What the CSV reader found wrong, without its own position (the error says the line).
fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text: save the roster as CSV UTF-8".into(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} columns where the header has {expected_len}"),
        csv::ErrorKind::Io(e) => format!("cannot read: {e}"),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Roster, RosterError> {
        Roster::parse(text.as_bytes(), Path::new("people.csv"))
    }

    #[test]
    fn a_roster_with_extra_columns_and_a_bom_reads() {
        let r = parse("\u{feff}Name,ID,Team,Cost centre\nAda Lovelace, e-001 ,Research,77\n,,,\nGrace Hopper,e-002,,\n")
            .unwrap();
        assert_eq!(r.people.len(), 2);
        assert_eq!(r.people[0].id, "e-001");
        assert_eq!(r.people[0].team.as_deref(), Some("Research"));
        assert_eq!(r.people[1].team, None);
        assert_eq!(r.people[1].line, 4);
        assert_eq!(
            r.person("e-002").map(|p| p.name.as_str()),
            Some("Grace Hopper")
        );
    }

    #[test]
    fn bad_rosters_name_the_line_and_the_reason() {
        let cases = [
            (
                "id,email\n1,a@b.c\n",
                "line 1: the header must name the columns `id` and `name`",
            ),
            (
                "id,name\n1,Ada\n1,Grace\n",
                "line 3: the id 1 is already on line 2",
            ),
            ("id,name\n1,Ada\n2,\n", "line 3: 2: the name is empty"),
            (
                "id,name\n../x,Ada\n",
                "line 2: the id \"../x\" may hold only",
            ),
            (
                "id,name\n1,Ada,extra\n",
                "line 2: 3 columns where the header has 2",
            ),
            (
                "id,name,reference\n1,Ada,nope.jpg\n",
                "line 2: 1: the reference photo nope.jpg does not exist",
            ),
            ("id,name\n", "line 1: the roster has nobody in it"),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.starts_with("people.csv, "), "{e}");
            assert!(e.contains(want), "{text:?}: {e}");
        }
        for bad in [
            "../users.db",
            "/etc/passwd",
            "a/b.jpg",
            ".hidden.jpg",
            "c:x.jpg",
        ] {
            let text = format!("id,name,reference\n1,Ada,{bad}\n");
            let e = Roster::parse_uploaded(text.as_bytes(), "people.csv", Path::new("/shoot"))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("line 2: 1: the reference") && e.contains("without a folder"),
                "{e}"
            );
        }
        let r = Roster::parse_uploaded(
            b"id,name,reference\n1,Ada,ada 2019.jpg\n",
            "people.csv",
            Path::new("/shoot"),
        )
        .unwrap();
        assert_eq!(
            r.people[0].reference.as_deref(),
            Some(Path::new("/shoot/ada 2019.jpg"))
        );
        let e = Roster::parse(b"id,name\n1,Ad\xe9\n", Path::new("people.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2: not UTF-8"), "{e}");
    }
}
