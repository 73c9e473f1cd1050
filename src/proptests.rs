//! Property tests: the parsers and HAL accessors never panic on any input, and what they
//! return keeps its promises.
//!
//! The normal test run uses a fixed seed and 512 cases per target. For a long run:
//!
//!     PROPTEST_CASES=1000000 cargo test --release --lib proptests
//!
//! (`PROPTEST_RNG_SEED=<n>` picks another seed.)

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::hal::{self, Multiplicity, Pick};
use crate::params::{ListStyle, merge_query, to_query};
use crate::status::StatusCodes;
use crate::{config_file, template};

/// The shared proptest settings: a fixed seed and 512 cases unless the environment says
/// otherwise.
pub(crate) fn config() -> Config {
    let mut c = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = RngSeed::Fixed(0x4841_4c21);
    }
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 512;
    }
    c
}

/// Keys HAL code looks at, mixed with arbitrary ones.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "_links", "_embedded", "self", "href", "templated", "name", "title", "item", "_items",
            "_etag", "child", "list", "a",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[/{}a-z?&=%*:.,;+#-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn template_text() -> impl Strategy<Value = String> {
    let expression = (
        prop::sample::select(vec!["", "+", "#", ".", "/", ";", "?", "&", "=", "!", "|"]),
        prop::collection::vec(
            (
                "[a-z_%.0-9]{0,4}",
                prop::sample::select(vec!["", "*", ":3", ":0", ":99999", ":x", "**"]),
            ),
            0..4,
        ),
    )
        .prop_map(|(op, vars)| {
            let list: Vec<String> = vars.into_iter().map(|(n, m)| format!("{n}{m}")).collect();
            format!("{{{op}{}}}", list.join(","))
        });
    let piece = prop_oneof![
        3 => expression,
        2 => "[a-z/?&=#%{}-]{0,6}",
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..5).prop_map(|p| p.concat())
}

fn values_for_templates() -> impl Strategy<Value = Value> {
    prop::collection::vec(("[a-z_%.0-9]{0,4}", json()), 0..6)
        .prop_map(|kv| Value::Object(kv.into_iter().collect()))
}

fn status_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[0-9<>=, -]{0,24}",
        1 => any::<String>(),
    ]
}

fn ini_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        prop::sample::select(vec![
            "[halchemy]",
            "[headers]",
            "[error_handling]",
            "[other]",
            "[",
            "]",
            "# c",
            "; c",
            "",
        ])
        .prop_map(str::to_owned),
        (
            prop::sample::select(vec![
                "base_url",
                "parameters_list_style",
                "etag_field",
                "raise_on_network_error",
                "raise_on_status_codes",
                "Accept",
                "Authorization",
                "X-A",
            ]),
            prop::sample::select(vec![" = ", "=", ": ", " "]),
            prop_oneof![
                "[ -~]{0,16}",
                any::<String>(),
                prop::sample::select(vec!["http://x", "true", "0", ">399", "comma", "a\u{1}b"])
                    .prop_map(str::to_owned),
            ],
        )
            .prop_map(|(k, sep, v)| format!("{k}{sep}{v}")),
        any::<String>(),
    ];
    prop::collection::vec(line, 0..10).prop_map(|l| l.join("\n"))
}

fn style() -> impl Strategy<Value = ListStyle> {
    prop::sample::select(vec![
        ListStyle::RepeatKey,
        ListStyle::Bracket,
        ListStyle::Index,
        ListStyle::Comma,
        ListStyle::Pipe,
    ])
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn template_expansion_never_panics(t in template_text(), values in values_for_templates()) {
        match template::expand(&t, &values) {
            // Every expression was replaced, and values were encoded: no brace survives.
            Ok(expanded) => prop_assert!(!expanded.contains(['{', '}']), "{} -> {}", t, expanded),
            Err(Error::UriTemplate { template, .. }) => prop_assert_eq!(template, crate::url::redacted_template(&t)),
            Err(other) => prop_assert!(false, "unexpected error {:?}", other),
        }
    }

    #[test]
    fn parameter_serialization_never_panics(params in json(), style in style(), url in "[a-z/?&#=]{0,10}") {
        match to_query(&params, style) {
            Ok(query) => {
                prop_assert!(params.is_object() || params.is_null());
                prop_assert!(!query.contains(' ') && !query.contains('#'), "{}", query);
                prop_assert!(query.is_ascii());
                let mut u = url.clone();
                merge_query(&mut u, &query);
                prop_assert!(u.len() >= url.len());
            }
            Err(Error::Parameters(_)) => prop_assert!(!params.is_object() && !params.is_null()),
            Err(other) => prop_assert!(false, "unexpected error {:?}", other),
        }
    }

    #[test]
    fn status_code_sets_never_panic(spec in status_text(), status in any::<u16>()) {
        if let Ok(set) = spec.parse::<StatusCodes>() {
            let again: StatusCodes = set.as_str().parse().unwrap();
            prop_assert_eq!(again.contains(status), set.contains(status));
        }
    }

    #[test]
    fn config_files_never_panic(text in ini_text()) {
        match config_file::parse(Path::new("/p/.halchemy"), &text) {
            Ok(_) => {}
            Err(Error::Config { file, .. }) => prop_assert_eq!(file, Path::new("/p/.halchemy")),
            Err(other) => prop_assert!(false, "unexpected error {:?}", other),
        }
    }

    #[test]
    fn headers_and_urls_never_panic(name in any::<String>(), value in any::<String>(), base in any::<String>(), href in any::<String>()) {
        match crate::headers::pair(&name, &value) {
            Ok((n, v)) => prop_assert!(n.as_str().eq_ignore_ascii_case(&name) && v.as_bytes() == value.as_bytes()),
            Err(Error::InvalidHeader { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error {:?}", other),
        }
        for mode in [crate::LinkResolution::Base, crate::LinkResolution::Document] {
            if let Ok(u) = crate::url::resolve(&base, Some("http://h.example/a/b"), &href, mode)
                && let Ok(uri) = crate::url::to_uri(&u)
            {
                prop_assert!(matches!(uri.scheme_str(), Some("http" | "https")));
            }
        }
    }

    #[test]
    fn hal_access_never_panics(doc in json(), header in json(), rel in key(), index in 0usize..4, name in key()) {
        let links = hal::Links::new(&doc, header.as_object());
        let _ = links.rels();
        let _ = links.has_rel(&rel);
        let _ = links.link(&rel);
        let _ = links.links_of(&rel);
        if let Some(map) = doc.get("_links").and_then(Value::as_object)
            && let Some((key, _)) = hal::find_rel(map, &rel)
        {
            prop_assert!(map.contains_key(key));
        }
        let _ = hal::rel_documentation(&doc, &rel);
        if let Ok(items) = hal::page_items(&doc, &rel) {
            let _ = items.len();
        }
        for pick in [None, Some(Pick::At(index)), Some(Pick::Named(name.clone())), Some(Pick::Titled(name.clone()))] {
            if let Ok(t) = links.target(&rel, pick.as_ref()) {
                prop_assert!(links.has_rel(&rel));
                let quoted = &serde_json::to_string(t.href).unwrap()[1..];
                prop_assert!(doc.to_string().contains(quoted) || header.to_string().contains(quoted));
            }
        }
        let _ = hal::embedded_rels(&doc);
        for expect in [None, Some(Multiplicity::One), Some(Multiplicity::Many)] {
            if let Ok((items, found)) = hal::embedded(&doc, &rel, expect) {
                prop_assert!(expect.is_none_or(|e| e == found));
                prop_assert!(found == Multiplicity::Many || items.len() == 1);
            }
        }
        if let Ok(items) = hal::collection(&doc, &rel) {
            prop_assert!(items.iter().all(|i| hal::not_hal(i).is_none()));
        }
        let r = crate::Resource::from(doc);
        let _ = (r.embedded_many(&rel), r.collection(&rel), r.embedded(&rel, None));
        if let Ok(items) = r.embedded_many(&rel) {
            for item in items {
                let _ = (item.etag().map(str::len), item.links().len(), item.embedded_rels().len());
                let _ = item.into_data();
            }
        }
    }

    #[test]
    fn link_headers_never_panic(
        any_text in any::<String>(),
        shaped in prop::collection::vec(
            prop_oneof![
                Just("<".to_owned()), Just(">".to_owned()), Just(";".to_owned()),
                Just(",".to_owned()), Just("\"".to_owned()), Just("\\".to_owned()),
                Just("=".to_owned()), Just(" ".to_owned()), Just("rel".to_owned()),
                Just("title*".to_owned()), Just("anchor".to_owned()), Just("UTF-8''%c3%a4".to_owned()),
                "[a-zA-Z/?#%:.é-]{0,6}",
            ],
            0..24,
        ),
    ) {
        for text in [any_text, shaped.concat()] {
            for link in hal::parse_link_header(&text) {
                prop_assert!(!link.rel.is_empty());
                prop_assert!(!link.rel.contains(char::is_whitespace));
                prop_assert_eq!(link.rel.to_ascii_lowercase(), link.rel.clone());
                prop_assert!(!link.href.contains('>'));
                prop_assert!(link.attributes.get("href").is_none());
            }
            if let Ok(value) = ureq::http::HeaderValue::from_str(&text) {
                let mut headers = ureq::http::HeaderMap::new();
                headers.insert(ureq::http::header::LINK, value);
                for (rel, links) in hal::header_links(&headers, "http://h.example/a/b?c=d") {
                    prop_assert_eq!(rel.to_ascii_lowercase(), rel);
                    let links = match links { Value::Array(a) => a, one => vec![one] };
                    for l in links {
                        let href = l["href"].as_str().unwrap_or("");
                        prop_assert!(::url::Url::parse(href).is_ok(), "{}", href);
                    }
                }
            }
        }
    }
}
