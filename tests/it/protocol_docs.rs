//! docs/protocol.md stays true: every example frame decodes with the real
//! decoder, has the type of its heading, and every type is documented.

use tidings::protocol::*;

fn examples(side: &str) -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/protocol.md"))
        .expect("docs/protocol.md");
    let section = doc.split(&format!("## {side}")).nth(1).expect("section");
    let section = section.split("\n## ").next().unwrap();
    let mut out = Vec::new();
    for part in section.split("### `").skip(1) {
        let name = part.split('`').next().unwrap().to_string();
        let json = part
            .split("```json\n")
            .nth(1)
            .and_then(|s| s.split("```").next())
            .unwrap_or_else(|| panic!("{name}: no example"));
        out.push((name, json.to_string()));
    }
    out
}

#[test]
fn client_examples_decode_and_cover_every_type() {
    let ex = examples("Client → server");
    for (name, json) in &ex {
        let frame = decode_client(json).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["type"], name.as_str());
        assert_eq!(serde_json::to_value(&frame).unwrap()["type"], name.as_str());
    }
    let mut documented: Vec<_> = ex.iter().map(|(n, _)| n.as_str()).collect();
    documented.sort();
    let mut all = ClientMsg::TYPES.to_vec();
    all.sort();
    assert_eq!(documented, all);
}

#[test]
fn server_examples_decode_and_cover_every_type() {
    let ex = examples("Server → client");
    for (name, json) in &ex {
        let frame = decode_server(json).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(frame.msg.type_name(), name);
    }
    assert_eq!(ex.len(), 23, "every ServerMsg variant has an example");
    let mut names: Vec<_> = ex.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 23, "each documented once");
}

#[test]
fn every_error_code_is_documented() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/protocol.md")).unwrap();
    for code in ErrorCode::ALL {
        assert!(
            doc.contains(&format!("| `{}` |", code.as_str())),
            "{code:?}"
        );
    }
}
