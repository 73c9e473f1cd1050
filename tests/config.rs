//! The `.halchemy` file: what it sets, what wins over it, and bad values.

mod common;

use std::path::PathBuf;

use common::RawServer;
use halchemy::{Api, Error, ListStyle};

fn file_with(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".halchemy");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn every_section_of_the_file_is_applied() {
    let s = RawServer::answering(503, &[], "{}");
    let (_dir, path) = file_with(&format!(
        "# settings for the tests\n\
         [halchemy]\n\
         base_url = {}/api\n\
         parameters_list_style = bracket\n\
         etag_field = version\n\
         \n\
         [headers]\n\
         Accept = application/hal+json, application/json;q=0.9, */*;q=0.8\n\
         X-Team = blue\n\
         Authorization =\n\
         \n\
         [error_handling]\n\
         raise_on_network_error = off\n\
         raise_on_status_codes = >499\n",
        s.base_url()
    ));
    let api = Api::builder()
        .config_file(&path)
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(api.config_file(), Some(path.as_path()));
    assert_eq!(api.base_url(), format!("{}/api", s.base_url()));
    assert_eq!(api.parameters_list_style(), ListStyle::Bracket);
    assert_eq!(api.etag_field(), "version");
    assert!(!api.error_handling().raise_on_network_error);

    let err = api
        .using_endpoint("/x")
        .with_parameters(serde_json::json!({"l": [1, 2]}))
        .get()
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    let req = s.last();
    assert_eq!(req.target, "/api/x?l[]=1&l[]=2");
    assert_eq!(req.header("x-team"), Some("blue"));
    assert_eq!(
        req.header("accept"),
        Some("application/hal+json, application/json;q=0.9, */*;q=0.8")
    );
    assert_eq!(
        req.header("authorization"),
        None,
        "an empty value removes the header"
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
}

#[test]
fn the_builder_wins_over_the_file_and_setters_win_over_both() {
    let s = RawServer::answering(200, &[], "{}");
    let (_dir, path) = file_with(
        "[halchemy]\nbase_url = http://from-file.invalid\n\
         [headers]\nX-Layer = file\nX-File = 1\n\
         [error_handling]\nraise_on_network_error = false\n",
    );
    let mut api = Api::builder()
        .config_file(&path)
        .base_url(s.base_url())
        .header("x-layer", "builder")
        .raise_on_network_error(true)
        .no_proxy()
        .build()
        .unwrap();
    assert!(api.error_handling().raise_on_network_error);
    api.home().get().unwrap();
    let req = s.last();
    assert_eq!(req.header("x-layer"), Some("builder"));
    assert_eq!(req.header("x-file"), Some("1"));

    api.add_headers([("X-LAYER", "setter")]).unwrap();
    api.home()
        .with_headers([("x-file", "request")])
        .get()
        .unwrap();
    let req = s.last();
    assert_eq!(req.header("x-layer"), Some("setter"));
    assert_eq!(req.header("x-file"), Some("request"));
}

#[test]
fn bad_values_are_errors_naming_file_key_and_value() {
    for (text, key, value) in [
        (
            "[error_handling]\nraise_on_network_error = sometimes\n",
            "raise_on_network_error",
            "sometimes",
        ),
        (
            "[error_handling]\nraise_on_status_codes = 4xx\n",
            "raise_on_status_codes",
            "4xx",
        ),
        (
            "[halchemy]\nparameters_list_style = stacked\n",
            "parameters_list_style",
            "stacked",
        ),
        (
            "[halchemy]\nbase_url = localhost:2112\n",
            "base_url",
            "localhost:2112",
        ),
        // A header's value is never shown (any header may carry a credential).
        ("[headers]\nX-Bad = a\u{1}b\n", "X-Bad", "(value not shown)"),
    ] {
        let (_dir, path) = file_with(text);
        let err = Api::builder().config_file(&path).build().unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains(key), "{msg}");
        assert!(msg.contains(value), "{msg}");
    }
}

#[test]
fn a_missing_named_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.ini");
    let err = Api::builder().config_file(&missing).build().unwrap_err();
    assert!(err.to_string().contains("nope.ini"), "{err}");
}

#[test]
fn without_a_file_the_family_defaults_hold() {
    let api = Api::builder().no_config_file().build().unwrap();
    assert_eq!(api.base_url(), "http://localhost:2112");
    assert_eq!(api.parameters_list_style(), ListStyle::RepeatKey);
    assert_eq!(api.etag_field(), "_etag");
    assert_eq!(api.update_attempts(), 40);
    assert_eq!(api.body_limit(), 10 * 1024 * 1024);
    assert!(api.error_handling().raise_on_network_error);
    assert!(api.error_handling().raise_on_status_codes.is_none());
    assert_eq!(api.headers().len(), 3);
}
