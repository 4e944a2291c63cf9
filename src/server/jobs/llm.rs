//! The LLM relay (`--llm-url`): the assistant's answer comes from an
//! OpenAI-compatible chat-completions endpoint, requested with
//! `"stream": true` and read as server-sent events, one Tidings stream
//! chunk per content delta. Dropping the future (Stop, shutdown) drops the
//! upstream request, which closes its connection: the model stops too.

use crate::server::config::Config;
use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::StreamExt;
use std::time::Duration;

/// How to reach the model, and the bounds of one answer.
#[derive(Clone)]
pub struct Llm {
    client: reqwest::Client,
    /// `{base}/chat/completions`.
    endpoint: String,
    model: String,
    api_key: Option<String>,
    /// Bytes of one answer's event stream read at most.
    max_bytes: usize,
}

/// The HTTP client for `--llm-url` cannot be set up (e.g. no TLS roots).
#[derive(Debug, thiserror::Error)]
#[error("--llm-url: cannot set up the HTTP client: {0}")]
pub struct LlmSetupError(#[source] pub reqwest::Error);

/// Why an answer stopped before `[DONE]`; the message is shown to users.
#[derive(Debug, PartialEq)]
pub struct LlmError(pub String);

impl Llm {
    /// The relay configured by `--llm-url`, or None for the demo answer.
    pub fn from_config(c: &Config) -> Result<Option<Llm>, LlmSetupError> {
        let Some(base) = c.llm_url.as_deref() else {
            return Ok(None);
        };
        let base = base.trim_end_matches('/');
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_millis(c.llm_timeout_ms))
            .build()
            .map_err(LlmSetupError)?;
        Ok(Some(Llm {
            client,
            endpoint: format!("{base}/chat/completions"),
            model: c.llm_model.clone(),
            api_key: c.llm_api_key.clone(),
            max_bytes: c.llm_max_bytes as usize,
        }))
    }

    /// Asks the model to answer `prompt` and calls `on_text` with every
    /// piece of content as it arrives. Ok at `[DONE]` (or the end of the
    /// event stream); Err with a message fit for users otherwise.
    pub async fn answer(
        &self,
        prompt: &str,
        mut on_text: impl FnMut(String),
    ) -> Result<(), LlmError> {
        let body = serde_json::json!({
            "model": self.model,
            "stream": true,
            "messages": [{ "role": "user", "content": prompt }],
        });
        let mut req = self.client.post(&self.endpoint).json(&body);
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| LlmError(format!("the model could not be reached ({})", kind(&e))))?;
        if !resp.status().is_success() {
            return Err(LlmError(format!(
                "the model answered HTTP {}",
                resp.status().as_u16()
            )));
        }
        let max = self.max_bytes;
        let mut read = 0usize;
        // Bytes are counted before they reach the event parser, so neither
        // a long answer nor a line that never ends grows without bound.
        let bytes = resp.bytes_stream().map(move |chunk| {
            let chunk = chunk.map_err(|_| LlmError("the model's stream broke off".into()))?;
            read += chunk.len();
            if read > max {
                return Err(LlmError(format!("the answer passed {max} bytes")));
            }
            Ok(chunk)
        });
        let mut events = bytes.eventsource();
        while let Some(event) = events.next().await {
            let event = event.map_err(|e| match e {
                EventStreamError::Transport(e) => e,
                _ => LlmError("the model sent a malformed event stream".into()),
            })?;
            if event.data.trim() == "[DONE]" {
                return Ok(());
            }
            if let Some(text) = delta_text(&event.data)? {
                on_text(text);
            }
        }
        Ok(())
    }
}

/// The content of one chat-completion chunk (`choices[0].delta.content`);
/// None for chunks without content (role, finish reason). An `error`
/// object in the stream is an Err.
pub fn delta_text(data: &str) -> Result<Option<String>, LlmError> {
    let v: serde_json::Value = serde_json::from_str(data)
        .map_err(|_| LlmError("the model sent a chunk that is not JSON".into()))?;
    if let Some(e) = v.get("error") {
        let message = e["message"].as_str().unwrap_or("unknown error");
        let message: String = message.chars().take(200).collect();
        return Err(LlmError(format!("the model failed: {message}")));
    }
    Ok(v["choices"][0]["delta"]["content"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_string))
}

/// A short, internals-free word for a request error.
fn kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection refused"
    } else {
        "request failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_give_their_content_and_errors_say_why() {
        let chunk = r#"{"choices":[{"index":0,"delta":{"content":"Hel"}}]}"#;
        assert_eq!(delta_text(chunk), Ok(Some("Hel".into())));
        let role = r#"{"choices":[{"index":0,"delta":{"role":"assistant"}}]}"#;
        assert_eq!(delta_text(role), Ok(None));
        let done = r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#;
        assert_eq!(delta_text(done), Ok(None));
        let err = r#"{"error":{"message":"overloaded"}}"#;
        assert_eq!(
            delta_text(err),
            Err(LlmError("the model failed: overloaded".into()))
        );
        assert!(delta_text("not json").is_err());
    }
}
