//! The page shell and the app: routes, and the realtime client provided
//! as context to every component.

use crate::client::RealtimeClient;
use crate::components::{THEME_BOOT_SCRIPT, provide_clock};
use crate::pages::{Admin, Workspace};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};

/// The HTML document around the app (server-rendered).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <script inner_html=THEME_BOOT_SCRIPT></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(RealtimeClient::new());
    provide_clock();
    view! {
        <Stylesheet id="leptos" href="/pkg/tidings.css"/>
        <Title text="Tidings"/>
        <Router>
            <Routes fallback=|| "Page not found.".into_view()>
                <Route path=StaticSegment("") view=Workspace/>
                <Route path=StaticSegment("admin") view=Admin/>
            </Routes>
        </Router>
    }
}
