//! The workspace's preconnect: a script in the page's `<head>` that opens
//! the WebSocket while the WASM is still downloading and compiling, so the
//! handshake is done by the time the app hydrates (a fresh visit reached
//! Connected about 40 ms sooner on loopback: the first socket of a page
//! took 25–80 ms to open while the page loaded, not 5 ms).
//!
//! It picks the identity the way [`super::Workspace`] does (`?token=`,
//! else a remembered token; `?name=`, else the remembered name, else
//! `Guest-` and four hex digits; the remembered guest id, else a new one)
//! and remembers it, so the app then reads the same values. The frames it
//! hears before the app takes the socket are kept in order. The browser
//! transport adopts the socket only if its URL is the one it would open
//! itself (else it closes it), so a disagreement costs the head start,
//! never the connection. With `?servers=` there is nothing to preconnect.

use crate::client::PRECONNECT_GLOBAL;
use crate::client::storage::{NAME_KEY, TOKEN_KEY, UID_KEY};

/// The `<head>` script of the workspace page.
pub fn preconnect_script() -> String {
    format!(
        "try{{(function(){{var q=new URLSearchParams(location.search),s=localStorage;\
if(q.has('servers'))return;\
function r(n){{for(var x='';x.length<n;)x+=(Math.random()*16|0).toString(16);return x}}\
var t=(q.get('token')||'').trim();if(t)s.setItem('{TOKEN_KEY}',t);t=s.getItem('{TOKEN_KEY}');\
var n=q.get('name');if(!n||!n.trim())n=s.getItem('{NAME_KEY}')||'Guest-'+r(4);s.setItem('{NAME_KEY}',n);\
var u=s.getItem('{UID_KEY}');if(!u){{u=r(32);s.setItem('{UID_KEY}',u)}}\
var w=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+'/ws'\
+(t?'':'?name='+encodeURIComponent(n)+'&uid='+encodeURIComponent(u)));\
w.early=[];w.onmessage=function(e){{w.early.push(e.data)}};window.{PRECONNECT_GLOBAL}=w}})()}}catch(e){{}}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_uses_the_apps_storage_keys_and_global() {
        let script = preconnect_script();
        for key in [NAME_KEY, TOKEN_KEY, UID_KEY] {
            assert!(script.contains(&format!("s.setItem('{key}'")), "{key}");
        }
        assert!(script.contains(&format!("window.{PRECONNECT_GLOBAL}=w")));
        assert!(script.starts_with("try{") && script.ends_with("catch(e){}"));
    }
}
