//! RFC 6570 (level 4) expansion of templated hrefs, over `std-uritemplate`.

use std::collections::HashMap;

use serde_json::Value;
use stduritemplate::Value as TValue;

use crate::error::{Error, Result};
use crate::params::json_type;

/// Expands `template` with the JSON object `values`; missing values are left out.
///
/// Numbers go in as their JSON text (`43.7`), booleans as `true`/`false`, arrays as lists,
/// objects as maps (so explode `*` works). `null` counts as missing.
pub(crate) fn expand(template: &str, values: &Value) -> Result<String> {
    let fail = |message: String| Error::Template {
        template: template.to_owned(),
        message,
    };
    let mut substitutions = HashMap::new();
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
                "template values must be a JSON object, not {}",
                json_type(other)
            )));
        }
    }
    stduritemplate::expand(template, &substitutions)
        .map_err(|e| fail(lowercase_first(&e.to_string())))
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
    fn bad_templates_and_values_are_errors() {
        for bad in ["{", "{/id*", "{var:0}", "/x}"] {
            let err = expand(bad, &json!({"id": "1", "var": "v"})).unwrap_err();
            assert!(
                matches!(&err, Error::Template { template, .. } if template == bad),
                "{bad}: {err}"
            );
        }
        let err = expand("/{x}", &json!([1])).unwrap_err();
        assert!(err.to_string().contains("must be a JSON object"));
    }
}
