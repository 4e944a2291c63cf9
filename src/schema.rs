//! The protocol as a JSON Schema (feature `schema`), generated from the
//! Rust types, so backends and clients in other languages can check their
//! frames against the same contract the server and the browser compile.
//!
//! [`document`] (with `ssr`) is the committed `docs/protocol.schema.json`;
//! regenerate it with
//! `TIDINGS_WRITE_SCHEMA=1 cargo test --features ssr,schema --test schema`
//! (the same test, without the variable, fails while the file is stale).
//! [`frames`] is the same without the HTTP API's request bodies, for
//! builds without the server.
//!
//! One document, draft 2020-12: the root is `anyOf` [`ClientFrame`,
//! `ServerFrame`], every type is under `$defs`. Client frames and HTTP
//! request bodies are described as the server *accepts* them (fields with
//! a default may be left out); server frames and what they carry as the
//! server *sends* them (every field it always writes is required). The
//! `AdminSample` def is the `data` of the `message`s on `admin:stats`.

mod envelope;

use crate::protocol::{AdminSample, ClientFrame, PROTOCOL_VERSION, ServerFrame};
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

/// The frames' schema: `anyOf` client frame, server frame, with `$defs`.
pub fn frames() -> Value {
    build(|_| {})
}

/// [`frames`] plus the HTTP API's request bodies as `$defs` (`Api…`, e.g.
/// `ApiPublishRequest` for `POST /api/topics/{topic}/messages`): the
/// committed `docs/protocol.schema.json`.
#[cfg(feature = "ssr")]
pub fn document() -> Value {
    use crate::server::http_api as api;
    build(|g| {
        g.subschema_for::<api::PublishRequest>();
        g.subschema_for::<api::NotifyRequest>();
        g.subschema_for::<api::CreateOperation>();
        g.subschema_for::<api::Progress>();
        g.subschema_for::<api::Finish>();
        g.subschema_for::<api::OpenStream>();
        g.subschema_for::<api::Chunk>();
        g.subschema_for::<api::Failure>();
    })
}

/// The document, with `inputs` adding more types the server accepts.
fn build(inputs: impl FnOnce(&mut SchemaGenerator)) -> Value {
    let mut accepts = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    accepts.subschema_for::<ClientFrame>();
    inputs(&mut accepts);
    let mut sends = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    sends.subschema_for::<ServerFrame>();
    sends.subschema_for::<AdminSample>();

    let mut defs = accepts.take_definitions(true);
    for (name, schema) in sends.take_definitions(true) {
        if let Some(other) = defs.get(&name) {
            // A type in both directions (e.g. `User`) must read the same.
            assert_eq!(other, &schema, "`{name}`: accepted and sent forms differ");
        }
        defs.insert(name, schema);
    }
    defs.sort_keys();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("Tidings protocol, version {PROTOCOL_VERSION}"),
        "description": "Every frame of the Tidings realtime protocol (docs/protocol.md): a \
            client frame or a server frame. Generated from the Rust types \
            (src/protocol/); do not edit by hand. Client frames and the HTTP API's \
            request bodies (the `Api…` definitions, docs/http-api.md) are described as \
            the server accepts them, server frames as the server sends them. \
            `AdminSample` is the `data` of the messages on `admin:stats`.",
        "anyOf": [
            { "$ref": "#/$defs/ClientFrame" },
            { "$ref": "#/$defs/ServerFrame" },
        ],
        "$defs": Value::Object(defs),
    })
}
