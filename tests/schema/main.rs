//! docs/protocol.schema.json stays the contract: it is exactly what the
//! Rust types generate (so it is never stale), it is a valid JSON Schema,
//! and every example in docs/protocol.md and docs/http-api.md is valid
//! under it and decodes with the Rust types to the same fields (docs.rs),
//! so neither the docs nor the schema can drift from the code.

mod docs;
mod markdown;

use serde_json::Value;
use std::collections::HashMap;

const SCHEMA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/protocol.schema.json");

/// The schema file as the types generate it now.
fn generated_text() -> String {
    serde_json::to_string_pretty(&tidings::schema::document()).unwrap() + "\n"
}

#[test]
fn committed_schema_is_current() {
    let now = generated_text();
    if std::env::var("TIDINGS_WRITE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(SCHEMA_FILE, &now).expect("write docs/protocol.schema.json");
        return;
    }
    let committed = std::fs::read_to_string(SCHEMA_FILE).unwrap_or_default();
    assert!(
        committed == now,
        "docs/protocol.schema.json is stale (or missing): the protocol's types \
         changed. Regenerate it with\n\n    \
         TIDINGS_WRITE_SCHEMA=1 cargo test --features ssr,schema --test schema\n\n\
         and commit it."
    );
}

#[test]
fn schema_is_valid_draft_2020_12() {
    let doc = tidings::schema::document();
    if let Err(e) = jsonschema::meta::validate(&doc) {
        panic!("not a valid JSON Schema: {e} at {}", e.instance_path());
    }
    assert_eq!(
        doc["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

#[test]
fn frames_document_is_the_document_without_the_http_api() {
    let (frames, full) = (tidings::schema::frames(), tidings::schema::document());
    let defs = |d: &Value| d["$defs"].as_object().unwrap().clone();
    let (mut only_frames, mut all) = (defs(&frames), defs(&full));
    all.retain(|name, _| !name.starts_with("Api"));
    only_frames.retain(|name, _| !name.starts_with("Api"));
    assert_eq!(only_frames, all);
    assert_eq!(frames["anyOf"], full["anyOf"]);
    assert!(defs(&full).keys().any(|name| name == "ApiPublishRequest"));
}

/// Validators for parts of the schema, built once each.
#[derive(Default)]
pub struct Validators(HashMap<String, jsonschema::Validator>);

impl Validators {
    /// The validator of `#/$defs/{def}` (formats such as `uuid` checked).
    pub fn get(&mut self, def: &str) -> &jsonschema::Validator {
        self.at(&format!("/$defs/{def}"))
    }

    /// The validator of the part of the schema at the JSON `pointer`.
    fn at(&mut self, pointer: &str) -> &jsonschema::Validator {
        self.0.entry(pointer.to_string()).or_insert_with(|| {
            let mut schema = tidings::schema::document();
            assert!(
                schema.pointer(pointer).is_some(),
                "the schema has no `{pointer}`"
            );
            let root = schema.as_object_mut().unwrap();
            root.remove("anyOf");
            root.insert("$ref".into(), format!("#{pointer}").into());
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("`{pointer}`: {e}"))
        })
    }

    /// Panics with every error when `value` is not valid as `def`. For a
    /// frame, the errors of the branch of its `type` are listed too (the
    /// frame's own error only says that no branch of `oneOf` fits).
    pub fn check(&mut self, def: &str, value: &Value, place: &str) {
        let mut errors = self.errors(&format!("/$defs/{def}"), value);
        if errors.is_empty() {
            return;
        }
        let doc = tidings::schema::document();
        let branches = doc["$defs"][def]["oneOf"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let kind = &value["type"];
        if let Some(i) = branches
            .iter()
            .position(|b| &b["properties"]["type"]["const"] == kind)
        {
            errors.extend(self.errors(&format!("/$defs/{def}/oneOf/{i}"), value));
        }
        panic!("{place}: not a valid `{def}`:\n{}", errors.join("\n"));
    }

    fn errors(&mut self, pointer: &str, value: &Value) -> Vec<String> {
        self.at(pointer)
            .iter_errors(value)
            .map(|e| format!("  at `{}`: {e}", e.instance_path()))
            .collect()
    }
}
