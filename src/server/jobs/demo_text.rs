//! The demo assistant's answer: deterministic, multi-paragraph, split into
//! word tokens so it streams word by word.

/// The assistant's answer to `prompt`, always the same for the same prompt.
pub fn answer(prompt: &str) -> String {
    let asked: String = prompt.trim().chars().take(160).collect();
    let mut text = format!("You asked: \"{asked}\". Here is how Tidings handles it.\n\n");
    text.push_str(BODY);
    text
}

/// Splits text into tokens of one word each, keeping the whitespace that
/// follows a word with it, so concatenating the tokens gives the text back.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            out.push(std::mem::take(&mut current));
            in_space = false;
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

const BODY: &str = "\
Every connection to the hub starts with a welcome frame that names the protocol version, \
the connection and the heartbeat interval. From then on the server and the browser speak \
the same typed frames, defined once in Rust and compiled into both the server binary and \
the WebAssembly bundle, so a field renamed on one side cannot silently break the other.

When you subscribe to a topic, the hub answers with everything a late joiner needs: who is \
present, who is typing, the current state of every operation and the text of every stream \
so far. Live frames follow the snapshot without a gap, because the snapshot and the \
broadcast happen under the same lock. Each message is serialized exactly once and the same \
bytes are shared with every subscriber, which keeps fan-out cheap even for large rooms.

Connections fail all the time: laptops sleep, trains enter tunnels, proxies reset idle \
sockets. The client notices a dead connection when no frame arrives for two heartbeat \
intervals, then retries with exponential backoff and full jitter, so a thousand clients \
do not stampede a server that has just restarted. When the browser reports that the \
network is back, or the tab becomes visible again, it tries at once instead of waiting.

Anything you send while disconnected waits in a bounded outbox and goes out in order after \
the next welcome, once your topics are subscribed again. Long jobs report named stages, a \
percentage and an estimate of the time left, and anybody in the room can cancel them. \
Streams like this one arrive token by token; pressing Stop ends the generation on the \
server, not just the rendering in your tab.

Every queue in the system has a bound with a documented default. A client that cannot keep \
up is disconnected with a named reason instead of growing the server's memory without \
limit, and it comes back through the same reconnect path as everyone else. That is the \
whole idea: realtime features that behave well when the network does not.";
