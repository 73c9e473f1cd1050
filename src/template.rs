//! RFC 6570 (level 4) expansion of templated hrefs, over `std-uritemplate`.

use std::collections::HashMap;

use serde_json::Value;
use stduritemplate::Value as TValue;

use crate::error::{Error, Result};
use crate::params::json_type;

/// Whether `template` has an expression outside the query (`{id}`, `{/id}`, `{+path}`):
/// expanded without values, such a variable leaves a hole in the path, not an absent option.
pub(crate) fn has_path_variables(template: &str) -> bool {
    template
        .match_indices('{')
        .any(|(i, _)| !matches!(template.as_bytes().get(i + 1), Some(b'?' | b'&' | b'#')))
}

/// Expands `template` with the JSON object `values`; missing values are left out.
///
/// Numbers go in as their JSON text (`43.7`), booleans as `true`/`false`, arrays as lists,
/// objects as maps (so explode `*` works). `null` counts as missing.
pub(crate) fn expand(template: &str, values: &Value) -> Result<String> {
    let fail = |message: String| Error::UriTemplate {
        template: crate::url::redacted_template(template).into_owned(),
        message,
    };
    let mut substitutions = HashMap::with_capacity(values.as_object().map_or(0, |m| m.len()));
    match values {
        Value::Null => {}
        Value::Object(map) => {
            for (name, value) in map {
                if let Some(v) = convert(value) {
                    substitutions.insert(name.clone(), v);
                }
            }
        }
        other => {
            return Err(fail(format!(
                "with_template_values takes a JSON object (json!({{\"id\": 1}})), a map, a struct or (name, value) pairs, not {}",
                json_type(other)
            )));
        }
    }
    let expanded = stduritemplate::expand(template, &substitutions)
        .map_err(|e| fail(lowercase_first(&e.to_string())))?;
    Ok(encode_disallowed(expanded))
}

/// RFC 6570 allows only unreserved and reserved characters and pct-encoded triplets in an
/// expansion; anything else (from a literal, or from a `+`/`#` expansion, which the expander
/// copies too freely: `{`, `}`, `|`, `^`, non-ASCII...) is percent-encoded here, and a `%` that
/// does not start a triplet becomes `%25`. A correct expansion passes through unchanged.
fn encode_disallowed(expanded: String) -> String {
    let bytes = expanded.as_bytes();
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
    let triplet_at = |i: usize| {
        i + 2 < bytes.len() && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit()
    };
    let ok_at = |i: usize| allowed(bytes[i]) || (bytes[i] == b'%' && triplet_at(i));
    if (0..bytes.len()).all(ok_at) {
        return expanded;
    }
    let mut out = String::with_capacity(expanded.len() + 16);
    for (i, &b) in bytes.iter().enumerate() {
        if ok_at(i) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn convert(value: &Value) -> Option<TValue> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => TValue::Bool(*b),
        Value::Number(n) => TValue::String(n.to_string()),
        Value::String(s) => TValue::String(s.clone()),
        Value::Array(items) => TValue::List(items.iter().filter_map(convert).collect()),
        Value::Object(map) => TValue::Map(
            map.iter()
                .filter_map(|(k, v)| convert(v).map(|v| (k.clone(), v)))
                .collect(),
        ),
    })
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_variables_are_told_from_query_ones() {
        for t in [
            "/c/{id}",
            "/c{/id}",
            "{+base}/c",
            "/c{.fmt}",
            "/c{;x}",
            "/c{?q}{/id}",
        ] {
            assert!(has_path_variables(t), "{t}");
        }
        for t in ["/c", "/c{?q,page}", "/c?x=1{&page}", "/c{#part}"] {
            assert!(!has_path_variables(t), "{t}");
        }
    }

    #[test]
    fn expands_every_value_type() {
        let cases = [
            ("/path/{foo}", json!({"foo": "321"}), "/path/321"),
            ("/n/{x}", json!({"x": 43.7}), "/n/43.7"),
            ("/n/{x}", json!({"x": -12}), "/n/-12"),
            ("/b{?t}", json!({"t": true}), "/b?t=true"),
            ("/l{?l*}", json!({"l": ["a", "b"]}), "/l?l=a&l=b"),
            (
                "/search{?keys*}",
                json!({"keys": {"role": "admin"}}),
                "/search?role=admin",
            ),
            ("/path/{foo}", Value::Null, "/path/"),
            ("/orders{?id}", json!({}), "/orders"),
            ("/o{?id}", json!({"id": null}), "/o"),
        ];
        for (template, values, expected) in cases {
            assert_eq!(expand(template, &values).unwrap(), expected, "{template}");
        }
    }

    #[test]
    fn reserved_expansion_encodes_what_no_uri_may_hold() {
        let v = json!({"v": "}{ |^é", "p": "100%", "ok": "/a?b=c&d#e%20f"});
        assert_eq!(expand("{+v}", &v).unwrap(), "%7D%7B%20%7C%5E%C3%A9");
        assert_eq!(expand("{#v}", &v).unwrap(), "#%7D%7B%20%7C%5E%C3%A9");
        assert_eq!(expand("{+p}", &v).unwrap(), "100%25");
        assert_eq!(expand("{+ok}", &v).unwrap(), "/a?b=c&d#e%20f");
        assert_eq!(expand("{v}", &v).unwrap(), "%7D%7B%20%7C%5E%C3%A9");
    }

    #[test]
    fn bad_templates_and_values_are_errors() {
        for bad in ["{", "{/id*", "{var:0}", "/x}"] {
            let err = expand(bad, &json!({"id": "1", "var": "v"})).unwrap_err();
            assert!(
                matches!(&err, Error::UriTemplate { template, .. } if template == bad),
                "{bad}: {err}"
            );
        }
        let err = expand("/{x}", &json!([1])).unwrap_err();
        assert!(err.to_string().contains("takes a JSON object"));
    }
}
