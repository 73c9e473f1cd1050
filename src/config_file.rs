//! The `.halchemy` INI file: where it is found and what it may say.

use std::path::{Path, PathBuf};

use configparser::ini::{Ini, IniDefault};

use crate::config::Layer;
use crate::error::{Error, Result};
use crate::headers;

pub(crate) const FILE_NAME: &str = ".halchemy";

/// The largest `.halchemy` file read: a configuration file is a few lines; anything bigger is
/// not one.
pub(crate) const MAX_FILE_SIZE: u64 = 64 * 1024;

/// The file to load: the project's `.halchemy` (the first folder up from `start` holding
/// `Cargo.toml`, `.git` or `.halchemy`), else `home/.halchemy`, else none.
pub(crate) fn discover(start: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let project_root = start.ancestors().find(|dir| {
        ["Cargo.toml", ".git", FILE_NAME]
            .iter()
            .any(|marker| dir.join(marker).exists())
    });
    if let Some(root) = project_root {
        let file = root.join(FILE_NAME);
        if file.is_file() {
            return Some(file);
        }
    }
    home.map(|h| h.join(FILE_NAME)).filter(|f| f.is_file())
}

/// The home folder, from `HOME` (or `USERPROFILE` on Windows).
pub(crate) fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// Reads and checks a `.halchemy` file: a regular file of at most [`MAX_FILE_SIZE`] bytes of
/// UTF-8 (a leading byte-order mark is allowed).
pub(crate) fn load(path: &Path) -> Result<Layer> {
    let fail = |message: String| Error::Config {
        file: path.to_owned(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    if !meta.is_file() {
        return Err(fail(
            "not a regular file (a directory, a pipe or a device cannot be a .halchemy file)"
                .to_owned(),
        ));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(fail(format!(
            "the file is {} bytes; a .halchemy file may hold at most {MAX_FILE_SIZE}",
            meta.len()
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    let mut bytes = Vec::new();
    // The size is checked again while reading: the file may grow after the check.
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_FILE_SIZE + 1),
        &mut bytes,
    )
    .map_err(|e| fail(format!("cannot read the file: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(fail(format!(
            "the file holds more than {MAX_FILE_SIZE} bytes, the most a .halchemy file may hold"
        )));
    }
    let text =
        String::from_utf8(bytes).map_err(|_| fail("the file is not UTF-8 text".to_owned()))?;
    parse(path, &text)
}

/// Parses the text of a `.halchemy` file; `path` is only used in error messages. Every value
/// is checked here, so the settings it returns apply without error.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Layer> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let fail = |message: String| Error::Config {
        file: path.to_owned(),
        message,
    };
    let mut defaults = IniDefault::default();
    defaults.case_sensitive = true;
    defaults.enable_inline_comments = false;
    defaults.multiline = true;
    let mut ini = Ini::new_from_defaults(defaults);
    let map = ini
        .read(text.to_owned())
        .map_err(|e| fail(format!("not a valid ini file: {e}")))?;

    let mut out = Layer::default();
    for (section, entries) in &map {
        match section.to_ascii_lowercase().as_str() {
            "halchemy" => {
                for (key, value) in entries {
                    let value = value.as_deref().unwrap_or("").trim();
                    let known = matches!(
                        key.to_ascii_lowercase().as_str(),
                        "base_url" | "link_resolution" | "parameters_list_style" | "etag_field"
                    );
                    let shown = entry(key, value, known);
                    let bad = |why: &str| fail(format!("[{section}] {shown}: {why}"));
                    match key.to_ascii_lowercase().as_str() {
                        "base_url" => {
                            crate::url::parse_base(value).map_err(|e| bad(&e.to_string()))?;
                            out.base_url = Some(value.to_owned());
                        }
                        "link_resolution" => {
                            out.link_resolution =
                                Some(value.parse().map_err(|_| bad("use base or document"))?)
                        }
                        "parameters_list_style" => {
                            out.list_style = Some(value.parse().map_err(|_| {
                                bad("use repeat_key, bracket, index, comma or pipe")
                            })?)
                        }
                        "etag_field" if value.is_empty() => {
                            return Err(bad("the etag field needs a name"));
                        }
                        "etag_field" => out.etag_field = Some(value.to_owned()),
                        _ => {
                            return Err(bad(
                                "unknown key; the section takes base_url, parameters_list_style, etag_field and link_resolution",
                            ));
                        }
                    }
                }
            }
            "headers" => {
                for (key, value) in entries {
                    let value = value.as_deref().unwrap_or("").trim();
                    // Any header may carry a credential (`X-Api-Key`): values are never shown.
                    let shown = entry(key, value, false);
                    // The reason only: the error's own text repeats the key.
                    let bad = |e: Error| {
                        let why = match e {
                            Error::InvalidHeader { message, .. } => message,
                            other => other.to_string(),
                        };
                        fail(format!("[{section}] {shown}: {why}"))
                    };
                    headers::name(key).map_err(bad)?;
                    if value.is_empty() {
                        out.headers.push((key.clone(), None));
                    } else {
                        headers::value(key, value).map_err(bad)?;
                        out.headers.push((key.clone(), Some(value.to_owned())));
                    }
                }
            }
            "error_handling" => {
                for (key, value) in entries {
                    let value = value.as_deref().unwrap_or("").trim();
                    let known = matches!(
                        key.to_ascii_lowercase().as_str(),
                        "raise_on_network_error" | "raise_on_status_codes"
                    );
                    let shown = entry(key, value, known);
                    let bad = |why: String| fail(format!("[{section}] {shown}: {why}"));
                    match key.to_ascii_lowercase().as_str() {
                        "raise_on_network_error" => {
                            out.raise_on_network_error = Some(parse_bool(value).ok_or_else(|| {
                                bad("use true or false (also yes/no, on/off, 1/0)".to_owned())
                            })?)
                        }
                        "raise_on_status_codes" => {
                            out.raise_on_status_codes =
                                Some(value.parse().map_err(|e| bad(format!("{e}")))?)
                        }
                        _ => return Err(bad("unknown key; the section takes raise_on_network_error and raise_on_status_codes".to_owned())),
                    }
                }
            }
            // configparser's default section holds keys written before any section header.
            "default" if entries.is_empty() => {}
            _ => {
                return Err(fail(format!(
                    "unknown section [{section}]; use [halchemy], [headers] and [error_handling]"
                )));
            }
        }
    }
    Ok(out)
}

/// An entry as an error message shows it, never repeating what may be a credential: a key
/// that is not a plain name (a line without `=` is read as one long key) is not shown, nor is
/// the value unless `show_value` (a known setting's); then only its first line, and a URL
/// without its password.
fn entry(key: &str, value: &str, show_value: bool) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if key.is_empty() || !key.chars().all(plain) {
        return "a line that is not `key = value`".to_owned();
    }
    if !show_value {
        return format!("{key} (value not shown)");
    }
    let first = value.lines().next().unwrap_or_default();
    let first = crate::url::redacted(first);
    match value.contains('\n') {
        true => format!("{key} = {first:?} (and the lines after it)"),
        false => format!("{key} = {first:?}"),
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ListStyle;

    fn p(text: &str) -> Result<Layer> {
        parse(Path::new("/x/.halchemy"), text)
    }

    #[test]
    fn all_three_sections() {
        let s = p("[halchemy]\n\
                   base_url = http://example.org/api\n\
                   parameters_list_style = comma\n\
                   etag_field = version\n\
                   [headers]\n\
                   Accept = application/hal+json, application/json;q=0.9, */*;q=0.8\n\
                   X-Trace = a=b;c\n\
                   Authorization =\n\
                   [error_handling]\n\
                   raise_on_network_error = No\n\
                   raise_on_status_codes = 400-403, >404\n")
        .unwrap();
        assert_eq!(s.base_url.as_deref(), Some("http://example.org/api"));
        assert_eq!(s.list_style, Some(ListStyle::Comma));
        assert_eq!(s.etag_field.as_deref(), Some("version"));
        let mut headers = s.headers.clone();
        headers.sort();
        assert_eq!(
            headers,
            [
                (
                    "Accept".to_owned(),
                    Some("application/hal+json, application/json;q=0.9, */*;q=0.8".to_owned())
                ),
                ("Authorization".to_owned(), None),
                ("X-Trace".to_owned(), Some("a=b;c".to_owned())),
            ]
        );
        assert_eq!(s.raise_on_network_error, Some(false));
        let codes = s.raise_on_status_codes.unwrap();
        assert!(codes.contains(401) && !codes.contains(404) && codes.contains(500));
    }

    #[test]
    fn booleans_in_every_spelling() {
        for (text, expected) in [
            ("true", true),
            ("YES", true),
            ("On", true),
            ("1", true),
            ("False", false),
            ("no", false),
            ("OFF", false),
            ("0", false),
        ] {
            let s = p(&format!(
                "[error_handling]\nraise_on_network_error = {text}\n"
            ))
            .unwrap();
            assert_eq!(s.raise_on_network_error, Some(expected), "{text}");
        }
    }

    #[test]
    fn bad_values_name_file_key_and_value() {
        for (text, key, value) in [
            (
                "[error_handling]\nraise_on_network_error = maybe\n",
                "raise_on_network_error",
                "maybe",
            ),
            (
                "[error_handling]\nraise_on_status_codes = 400-\n",
                "raise_on_status_codes",
                "400-",
            ),
            (
                "[halchemy]\nparameters_list_style = commas\n",
                "parameters_list_style",
                "commas",
            ),
        ] {
            let err = p(text).unwrap_err().to_string();
            assert!(err.contains("/x/.halchemy"), "{err}");
            assert!(err.contains(key), "{err}");
            assert!(err.contains(value), "{err}");
        }
        // An unknown key's value is not shown: it may be a credential written in the wrong
        // section.
        let err = p("[halchemy]\nbase_uri = http://x\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("base_uri (value not shown)"), "{err}");
        let err = p("[nonsense]\na = 1\n").unwrap_err().to_string();
        assert!(err.contains("[nonsense]"), "{err}");
    }

    #[test]
    fn a_bad_credential_value_is_not_repeated() {
        let err = p("[headers]\nAuthorization = Bearer s3cret\u{7}x\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Authorization") && !err.contains("s3cret"),
            "{err}"
        );
        let err = p("[halchemy]\nbase_url = ftp://u:pw@h/\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("base_url") && !err.contains("pw"), "{err}");
    }

    #[test]
    fn no_error_repeats_what_may_be_a_credential() {
        for text in [
            // A line without `=` is read as one long key.
            "[headers]\nAuthorization Bearer S3CRET-A\n",
            // An indented line continues the value above it.
            "[headers]\nAccept = application/hal+json\n  Authorization = Bearer S3CRET-B\n",
            "[halchemy]\nAuthorization = Bearer S3CRET-C\n",
            "[error_handling]\nCookie = sid=S3CRET-D\n",
            "[halchemy]\nbase_url = http:/user:S3CRET-E@host:notaport/\n",
            "[error_handling]\nraise_on_network_error = yes\n  Authorization: Bearer S3CRET-F\n",
            "[headers]\nX-Api-Key = S3CRET-G\u{7}\n",
        ] {
            let err = p(text).unwrap_err().to_string();
            assert!(!err.contains("S3CRET"), "{err}");
            assert!(
                err.contains("/x/.halchemy ") || err.contains("/x/.halchemy:"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_byte_order_mark_is_allowed() {
        let s = p("\u{feff}[halchemy]\nbase_url = http://example.org\n").unwrap();
        assert_eq!(s.base_url.as_deref(), Some("http://example.org"));
    }

    #[test]
    fn only_small_regular_files_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        let err = load(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let big = tmp.path().join("big");
        std::fs::write(&big, "; x\n".repeat(20_000)).unwrap();
        let err = load(&big).unwrap_err().to_string();
        assert!(err.contains("at most 65536"), "{err}");
        #[cfg(unix)]
        {
            let err = load(Path::new("/dev/zero")).unwrap_err().to_string();
            assert!(err.contains("not a regular file"), "{err}");
            let fifo = tmp.path().join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                // Reading a FIFO with no writer would block forever: it must be refused first.
                let err = load(&fifo).unwrap_err().to_string();
                assert!(err.contains("not a regular file"), "{err}");
            } else {
                eprintln!("mkfifo is not available: the FIFO case was not run");
            }
        }
    }

    #[test]
    fn this_repositorys_example_file_parses_and_sets_nothing() {
        let s = p(include_str!("../.halchemy")).unwrap();
        assert!(s.base_url.is_none() && s.list_style.is_none() && s.etag_field.is_none());
        assert!(s.headers.is_empty());
        assert!(s.raise_on_network_error.is_none() && s.raise_on_status_codes.is_none());
    }

    #[test]
    fn discovery_prefers_the_project_file_then_home() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let project = tmp.path().join("project");
        let deep = project.join("src/a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(project.join("Cargo.toml"), "").unwrap();

        assert_eq!(discover(&deep, Some(&home)), None);
        std::fs::write(home.join(FILE_NAME), "").unwrap();
        assert_eq!(discover(&deep, Some(&home)), Some(home.join(FILE_NAME)));
        std::fs::write(project.join(FILE_NAME), "").unwrap();
        assert_eq!(discover(&deep, Some(&home)), Some(project.join(FILE_NAME)));
        assert_eq!(discover(&deep, None), Some(project.join(FILE_NAME)));
    }

    #[test]
    fn discovery_stops_at_the_first_project_root() {
        let tmp = tempfile::tempdir().unwrap();
        let outer = tmp.path();
        let inner = outer.join("inner");
        std::fs::create_dir_all(inner.join(".git")).unwrap();
        std::fs::write(outer.join(FILE_NAME), "").unwrap();
        // The inner project has no .halchemy: the outer one is not used, home is.
        assert_eq!(discover(&inner, None), None);
    }
}
