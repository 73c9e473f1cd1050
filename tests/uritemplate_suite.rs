//! Every case of the official RFC 6570 conformance suite (tests/data/uritemplate-test), run
//! through the public API: `using_endpoint(template).with_template_values(vars).url()`.

mod common;

use serde_json::Value;

const BASE: &str = "http://h.example";

fn expected_url(expansion: &str) -> String {
    let lower = expansion.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        expansion.to_owned()
    } else if expansion.starts_with(['?', '#']) {
        // A query-only or fragment-only reference resolves against the base URL itself.
        format!("{BASE}{expansion}")
    } else {
        format!("{BASE}/{}", expansion.trim_start_matches('/'))
    }
}

#[test]
fn the_official_suite_passes() {
    let api = common::api_at(BASE);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/uritemplate-test");
    let mut passed = 0;
    let mut failures = Vec::new();
    for file in [
        "spec-examples.json",
        "spec-examples-by-section.json",
        "extended-tests.json",
        "negative-tests.json",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        let groups: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
        for (group, spec) in &groups {
            let vars = &spec["variables"];
            for case in spec["testcases"].as_array().unwrap() {
                let template = case[0].as_str().unwrap();
                let result = api
                    .using_endpoint(template)
                    .with_template_values(vars)
                    .url();
                let ok = match (&case[1], &result) {
                    (Value::Bool(false), Err(halchemy::Error::UriTemplate { .. })) => true,
                    (Value::String(e), Ok(url)) => *url == expected_url(e),
                    (Value::Array(alternatives), Ok(url)) => alternatives
                        .iter()
                        .any(|e| *url == expected_url(e.as_str().unwrap())),
                    _ => false,
                };
                if ok {
                    passed += 1;
                } else {
                    failures.push(format!(
                        "{file} / {group}: {template} -> {result:?}, expected {}",
                        case[1]
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{passed} cases passed");
    assert!(passed >= 270, "only {passed} cases ran");
}
