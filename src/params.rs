//! Query-string serialization of `with_parameters` and its list styles.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::error::{Error, Result};

/// How `with_parameters` writes a list such as `{"list": ["a", "b"]}` into the query.
///
/// Lists of objects or lists always use index notation (`list[0].a=1`), whatever the style.
/// An empty list writes nothing.
///
/// # Example
///
/// ```
/// use halchemy::ListStyle;
///
/// let style: ListStyle = "bracket".parse()?;
/// assert_eq!(style, ListStyle::Bracket);
/// assert_eq!(ListStyle::default(), ListStyle::RepeatKey);
/// # Ok::<(), halchemy::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ListStyle {
    /// `list=a&list=b` (the default).
    #[default]
    RepeatKey,
    /// `list[]=a&list[]=b`.
    Bracket,
    /// `list[0]=a&list[1]=b`.
    Index,
    /// `list=a,b`.
    Comma,
    /// `list=a|b`.
    Pipe,
}

impl ListStyle {
    /// The style's name as written in `.halchemy`: `repeat_key`, `bracket`, `index`, `comma`,
    /// `pipe`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(halchemy::ListStyle::Comma.as_str(), "comma");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ListStyle::RepeatKey => "repeat_key",
            ListStyle::Bracket => "bracket",
            ListStyle::Index => "index",
            ListStyle::Comma => "comma",
            ListStyle::Pipe => "pipe",
        }
    }
}

impl fmt::Display for ListStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ListStyle {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "repeat_key" => ListStyle::RepeatKey,
            "bracket" => ListStyle::Bracket,
            "index" => ListStyle::Index,
            "comma" => ListStyle::Comma,
            "pipe" => ListStyle::Pipe,
            _ => {
                return Err(Error::Parameters(format!(
                    "unknown list style `{s}`: use repeat_key, bracket, index, comma or pipe"
                )));
            }
        })
    }
}

/// Everything but ASCII letters, digits, `_ . - ~` and space is percent-encoded; space
/// becomes `+` afterwards.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b' ');

fn encode_into(out: &mut String, s: &str) {
    for chunk in utf8_percent_encode(s, QUERY) {
        if chunk.contains(' ') {
            out.extend(chunk.chars().map(|c| if c == ' ' { '+' } else { c }));
        } else {
            out.push_str(chunk);
        }
    }
}

/// Serializes a JSON object into a query string (without the leading `?`).
///
/// # Errors
///
/// [`Error::Parameters`] when `params` is not an object (`null` is the empty query).
pub(crate) fn to_query(params: &Value, style: ListStyle) -> Result<String> {
    let mut out = String::new();
    match params {
        Value::Null => {}
        Value::Object(map) => {
            for (key, value) in map {
                let mut k = String::new();
                encode_into(&mut k, key);
                write_value(&mut out, &k, value, style);
            }
        }
        other => {
            return Err(Error::Parameters(format!(
                "with_parameters takes a JSON object (json!({{\"page\": 2}})), a map, a struct or (name, value) pairs, not {}",
                json_type(other)
            )));
        }
    }
    Ok(out)
}

/// Writes `&key` (no `&` first), ready for `=value` or nothing.
fn start_pair(out: &mut String, key: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    out.push_str(key);
}

fn scalar(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => encode_into(out, s),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        _ => {}
    }
}

/// `key` is already encoded.
fn write_value(out: &mut String, key: &str, value: &Value, style: ListStyle) {
    match value {
        Value::Null => start_pair(out, key),
        Value::Object(map) => {
            let mut k = String::with_capacity(key.len() + 16);
            for (sub, v) in map {
                k.clear();
                k.push_str(key);
                k.push('.');
                encode_into(&mut k, sub);
                write_value(out, &k, v, style);
            }
        }
        Value::Array(items) => write_list(out, key, items, style),
        _ => {
            start_pair(out, key);
            out.push('=');
            scalar(out, value);
        }
    }
}

fn write_list(out: &mut String, key: &str, items: &[Value], style: ListStyle) {
    let nested = items.iter().any(|v| v.is_object() || v.is_array());
    let style = if nested { ListStyle::Index } else { style };
    match style {
        ListStyle::Comma | ListStyle::Pipe => {
            if items.is_empty() {
                return;
            }
            let sep = if style == ListStyle::Comma { ',' } else { '|' };
            start_pair(out, key);
            out.push('=');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(sep);
                }
                scalar(out, item);
            }
        }
        ListStyle::RepeatKey => {
            for item in items {
                write_value(out, key, item, style);
            }
        }
        ListStyle::Bracket => {
            let k = format!("{key}[]");
            for item in items {
                write_value(out, &k, item, style);
            }
        }
        ListStyle::Index => {
            for (i, item) in items.iter().enumerate() {
                write_value(out, &format!("{key}[{i}]"), item, style);
            }
        }
    }
}

/// Appends `query` to `url`, before any fragment, after a query the URL already has.
pub(crate) fn merge_query(url: &mut String, query: &str) {
    if query.is_empty() {
        return;
    }
    let fragment = url.find('#').map(|i| url.split_off(i));
    match url.find('?') {
        Some(i) if i + 1 < url.len() && !url.ends_with('&') => url.push('&'),
        Some(_) => {}
        None => url.push('?'),
    }
    url.push_str(query);
    if let Some(f) = fragment {
        url.push_str(&f);
    }
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(v: Value) -> String {
        to_query(&v, ListStyle::RepeatKey).unwrap()
    }

    #[test]
    fn strings_are_form_encoded() {
        assert_eq!(q(json!({"name": "John Doe"})), "name=John+Doe");
        assert_eq!(
            q(json!({"s": "$&+,/:;=?@"})),
            "s=%24%26%2B%2C%2F%3A%3B%3D%3F%40"
        );
        assert_eq!(q(json!({"percent": "100%"})), "percent=100%25");
        assert_eq!(q(json!({"emoji": "😀"})), "emoji=%F0%9F%98%80");
        assert_eq!(q(json!({"zh": "中文"})), "zh=%E4%B8%AD%E6%96%87");
        assert_eq!(q(json!({"keep": "a_b.c-d~e"})), "keep=a_b.c-d~e");
        assert_eq!(q(json!({"star": "*"})), "star=%2A");
        assert_eq!(q(json!({"a key": "v"})), "a+key=v");
    }

    #[test]
    fn scalars_nulls_and_nesting() {
        assert_eq!(q(json!({"pretty": null})), "pretty");
        assert_eq!(q(json!({"t": true, "f": false})), "f=false&t=true");
        assert_eq!(q(json!({"n": 43.7, "i": -12})), "i=-12&n=43.7");
        assert_eq!(
            q(json!({"address": {"street": "123 Main", "geo": {"lat": 1}}})),
            "address.geo.lat=1&address.street=123+Main"
        );
        assert_eq!(q(json!({})), "");
        assert_eq!(q(Value::Null), "");
    }

    #[test]
    fn list_styles() {
        let list = json!({"list": ["a", "b c"]});
        let cases = [
            (ListStyle::RepeatKey, "list=a&list=b+c"),
            (ListStyle::Bracket, "list[]=a&list[]=b+c"),
            (ListStyle::Index, "list[0]=a&list[1]=b+c"),
            (ListStyle::Comma, "list=a,b+c"),
            (ListStyle::Pipe, "list=a|b+c"),
        ];
        for (style, expected) in cases {
            assert_eq!(to_query(&list, style).unwrap(), expected, "{style}");
            assert_eq!(style.as_str().parse::<ListStyle>().unwrap(), style);
        }
        assert_eq!(
            to_query(&json!({"l": [{"a": 1}, [2]]}), ListStyle::Comma).unwrap(),
            "l[0].a=1&l[1][0]=2"
        );
        assert_eq!(to_query(&json!({"l": []}), ListStyle::Comma).unwrap(), "");
        assert!("commas".parse::<ListStyle>().is_err());
    }

    #[test]
    fn non_objects_are_rejected() {
        for bad in [json!([1]), json!("x"), json!(3), json!(true)] {
            let err = to_query(&bad, ListStyle::RepeatKey).unwrap_err();
            assert!(err.to_string().contains("takes a JSON object"), "{err}");
        }
    }

    #[test]
    fn merging_keeps_an_existing_query_and_fragment() {
        for (url, expected) in [
            ("/test", "/test?name=John"),
            ("/test?age=50", "/test?age=50&name=John"),
            ("/test?", "/test?name=John"),
            ("/test?a=1&", "/test?a=1&name=John"),
            ("/test#top", "/test?name=John#top"),
            ("/test?a=1#top", "/test?a=1&name=John#top"),
        ] {
            let mut u = url.to_owned();
            merge_query(&mut u, "name=John");
            assert_eq!(u, expected);
        }
    }
}
