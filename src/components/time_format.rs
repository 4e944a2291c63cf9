//! How times read on the page: "just now", "5 min ago", "yesterday" for
//! the eye, and the exact time (ISO 8601 in UTC for `datetime`, the
//! reader's local time in the browser) for hover and focus. Pure
//! functions, so the wording is tested natively.

use crate::protocol::Millis;

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// How long ago `ts` was, seen at `now` (both ms since the Unix epoch). A
/// time in the future (another machine's clock) reads "just now".
pub fn relative(now: Millis, ts: Millis) -> String {
    let ago = now.saturating_sub(ts);
    match ago {
        a if a < 45_000 => "just now".into(),
        a if a < HOUR => format!("{} min ago", (a / MINUTE).max(1)),
        a if a < DAY => format!("{} h ago", a / HOUR),
        a if a < 2 * DAY => "yesterday".into(),
        a => format!("{} days ago", a / DAY),
    }
}

/// `2026-12-03T17:40:12Z`: for `<time datetime>`.
pub fn iso_utc(ts: Millis) -> String {
    let secs = ts / 1000;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// The exact time for a tooltip: the reader's local date and time in the
/// browser; `2026-12-03 17:40:12 UTC` where there is no browser.
pub fn exact(ts: Millis) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64));
        String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        iso_utc(ts).replace('T', " ").replace('Z', " UTC")
    }
}

/// Days since 1970-01-01 to a (year, month, day), after Howard Hinnant's
/// `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_796_319_033_655;

    #[test]
    fn relative_reads_like_a_person() {
        assert_eq!(relative(NOW, NOW), "just now");
        assert_eq!(relative(NOW, NOW + 5_000), "just now");
        assert_eq!(relative(NOW, NOW - 44_999), "just now");
        assert_eq!(relative(NOW, NOW - 45_000), "1 min ago");
        assert_eq!(relative(NOW, NOW - 5 * MINUTE - 10), "5 min ago");
        assert_eq!(relative(NOW, NOW - 59 * MINUTE), "59 min ago");
        assert_eq!(relative(NOW, NOW - HOUR), "1 h ago");
        assert_eq!(relative(NOW, NOW - 23 * HOUR), "23 h ago");
        assert_eq!(relative(NOW, NOW - 25 * HOUR), "yesterday");
        assert_eq!(relative(NOW, NOW - 9 * DAY), "9 days ago");
    }

    #[test]
    fn iso_utc_is_the_calendar_date() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso_utc(1_796_319_033_655), "2026-12-03T17:30:33Z");
        assert_eq!(exact(1_796_319_033_655), "2026-12-03 17:30:33 UTC");
    }
}
