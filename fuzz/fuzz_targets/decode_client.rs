//! Fuzzes the client-frame decoder: whatever bytes arrive, decoding must
//! return a frame or a typed error, never panic; an accepted frame must
//! survive an encode/decode round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tidings::protocol::{decode_client, encode_client};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(frame) = decode_client(&text) {
        let again = decode_client(&encode_client(&frame)).expect("an accepted frame re-decodes");
        assert_eq!(again, frame);
    }
});
