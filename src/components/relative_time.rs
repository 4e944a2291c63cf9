//! `<RelativeTime/>`: "5 min ago" that keeps itself current, with the
//! exact time on hover (`title`) and on keyboard focus (a tooltip from
//! `data-exact`), and the machine-readable `datetime`. One [`Clock`] ticks
//! for every time on the page.

use super::time_format::{exact, iso_utc, relative};
use crate::protocol::Millis;
use leptos::prelude::*;

/// How often relative times are brought up to date (ms).
const TICK_MS: u64 = 15_000;

/// The page's "now", shared by every `<RelativeTime/>` below
/// [`provide_clock`]. Without one, a time is worded once, when it renders.
#[derive(Clone, Copy)]
pub struct Clock(ReadSignal<Millis>);

fn now_ms() -> Millis {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::now() as Millis;
    #[cfg(not(feature = "hydrate"))]
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

/// Provides one ticking clock to the components below (call it once, at
/// the top of the app).
pub fn provide_clock() -> Clock {
    let (now, set_now) = signal(now_ms());
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || set_now.set(now_ms()),
        std::time::Duration::from_millis(TICK_MS),
    ) {
        on_cleanup(move || handle.clear());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_now, TICK_MS);
    let clock = Clock(now);
    provide_context(clock);
    clock
}

/// A time, worded relative to now.
#[component]
pub fn RelativeTime(
    #[prop(into)] ts: Signal<Millis>,
    /// `data-testid` of the `<time>` element.
    #[prop(optional)]
    test_id: Option<&'static str>,
) -> impl IntoView {
    let clock = use_context::<Clock>();
    let rendered_at = now_ms();
    let now = move || clock.map_or(rendered_at, |c| c.0.get());
    view! {
        <time class="reltime" tabindex="0" data-testid=test_id
            datetime=move || iso_utc(ts.get())
            title=move || exact(ts.get())
            data-exact=move || exact(ts.get())>
            {move || relative(now(), ts.get())}
        </time>
    }
}
