//! The page shell and the app: which page the path shows, and the
//! realtime client provided as context to every component.

use crate::client::RealtimeClient;
use crate::components::{THEME_BOOT_SCRIPT, provide_clock};
use crate::pages::{Admin, Workspace, page_path, preconnect_script};
use leptos::prelude::*;

/// Module scripts the page's JS imports, preloaded in the `<head>` so they
/// load beside it rather than after it (the server provides it: the
/// loader of a `--split` build's WASM chunks).
#[derive(Clone, Debug, Default)]
pub struct PreloadModules(pub Vec<String>);

/// The HTML document around the app (server-rendered).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"Tidings"</title>
                // Before the style sheet, which would hold it back until it loads.
                {(page_path() == "/").then(|| view! { <script inner_html=preconnect_script()></script> })}
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <link rel="stylesheet" id="leptos" href="/pkg/tidings.css"/>
                <script inner_html=THEME_BOOT_SCRIPT></script>
                {use_context::<PreloadModules>()
                    .unwrap_or_default()
                    .0
                    .into_iter()
                    .map(|href| view! { <link rel="modulepreload" href=href/> })
                    .collect_view()}
                <HydrationScripts options/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The site's pages: `/` the workspace, `/admin` the admin page; any other
/// path says so (the server answers it with 404).
#[component]
pub fn App() -> impl IntoView {
    frame(|| match page_path().as_str() {
        "/" => Workspace().into_any(),
        "/admin" => Admin().into_any(),
        _ => not_found(),
    })
}

/// What every page sits in: the realtime client and the clock, as context.
fn frame(page: impl FnOnce() -> AnyView) -> AnyView {
    provide_context(RealtimeClient::new());
    provide_clock();
    page()
}

fn not_found() -> AnyView {
    "Page not found.".into_any()
}

/// Hydrates the page the server rendered: the same [`App`], page by page,
/// so the admin page's code sits in a WASM chunk of its own (`cargo leptos
/// build --split`) that a visit to the workspace never downloads.
#[cfg(feature = "hydrate")]
pub fn hydrate_page() {
    use leptos::mount::hydrate_body;
    match page_path().as_str() {
        "/" => hydrate_body(|| frame(|| Workspace().into_any())),
        "/admin" => wasm_bindgen_futures::spawn_local(hydrate_admin()),
        _ => hydrate_body(|| frame(not_found)),
    }
}

/// The admin page's hydration, loaded when the admin page is opened.
#[cfg(feature = "hydrate")]
#[lazy]
async fn hydrate_admin() {
    leptos::mount::hydrate_body(|| frame(|| Admin().into_any()));
}
