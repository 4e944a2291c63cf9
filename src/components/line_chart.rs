//! `<LineChart/>`: a small inline-SVG line chart of the last N values (no
//! chart library), e.g. the admin page's connections and messages per
//! second. Props only; the geometry is a pure function tested natively.

use leptos::prelude::*;

/// Drawing area of the chart (SVG user units).
const WIDTH: f64 = 300.0;
const HEIGHT: f64 = 80.0;

/// The `points` of an SVG polyline for the last `window` values, scaled to
/// `width` × `height` (newest at the right edge; the y axis starts at 0 and
/// ends at the largest value, at least 1). Also returns that top value.
pub fn polyline_points(values: &[f64], window: usize, width: f64, height: f64) -> (String, f64) {
    let window = window.max(2);
    let shown = &values[values.len().saturating_sub(window)..];
    let top = shown
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(1.0_f64, f64::max);
    let step = width / (window - 1) as f64;
    let offset = window - shown.len();
    let points = shown
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
            let x = (offset + i) as f64 * step;
            let y = height - v / top * height;
            format!("{},{}", fixed(x, 1), fixed(y, 1))
        })
        .collect::<Vec<_>>()
        .join(" ");
    (points, top)
}

/// `v` with `decimals` digits after the point, rounded half away from zero
/// ("12.3"); not finite is "—". Integer formatting only: the browser build
/// then carries no float-to-text code (core's `flt2dec`, tens of KB).
pub fn fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let decimals = decimals.min(6);
    let scale = 10_i64.pow(decimals as u32);
    // Past ±9e12 the value is shown without its fraction (no chart gets there).
    let scaled = (v.abs() * scale as f64).round().min(9e15) as i64;
    let sign = if v < 0.0 && scaled != 0 { "-" } else { "" };
    let (whole, frac) = (scaled / scale, scaled % scale);
    if decimals == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac:0decimals$}")
    }
}

/// A line chart with a title and the current value.
#[component]
pub fn LineChart(
    /// The values, oldest first.
    #[prop(into)]
    values: Signal<Vec<f64>>,
    /// Caption, e.g. "Connections".
    title: &'static str,
    /// How many values span the width. Default: 60.
    #[prop(default = 60)]
    window: usize,
    /// `data-testid` of the figure.
    #[prop(default = "chart")]
    testid: &'static str,
    /// Digits after the point in the current value. Default: 0.
    #[prop(default = 0)]
    decimals: usize,
) -> impl IntoView {
    let geometry = Memo::new(move |_| values.with(|v| polyline_points(v, window, WIDTH, HEIGHT)));
    let current = move || {
        values
            .with(|v| v.last().copied())
            .map(|v| fixed(v, decimals))
            .unwrap_or_else(|| "—".into())
    };
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>
                <span class="chart-title">{title}</span>
                <span class="chart-value" data-testid=format!("{testid}-value")>{current}</span>
            </figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none"
                role="img" aria-label=title class="chart-svg">
                <line x1="0" y1=HEIGHT x2=WIDTH y2=HEIGHT class="chart-axis"/>
                <polyline class="chart-line" fill="none"
                    points=move || geometry.with(|g| g.0.clone())/>
            </svg>
            <div class="chart-scale">
                {move || format!("max {} · last {window} s", geometry.with(|g| fixed(g.1, decimals)))}
            </div>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_matches_std_formatting() {
        for v in [
            0.0, 0.04, 0.05, 1.25, 12.345, 99.95, -0.04, -2.5, 1e6, 123456.789,
        ] {
            for d in 0..4 {
                let ours = fixed(v, d);
                let std = format!("{v:.d$}");
                // std rounds half to even on the exact binary value; ours
                // rounds half away from zero: they may differ by one last digit.
                let (a, b): (f64, f64) = (ours.parse().unwrap(), std.parse().unwrap());
                assert!(
                    (a - b).abs() <= 10f64.powi(-(d as i32)) + 1e-9,
                    "{v} {d}: {ours} vs {std}"
                );
                assert_eq!(ours.split('.').nth(1).map_or(0, str::len), d, "{ours}");
            }
        }
        assert_eq!(fixed(12.345, 1), "12.3");
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(f64::NAN, 1), "—");
    }

    #[test]
    fn scales_to_the_top_value_and_right_aligns() {
        let (points, top) = polyline_points(&[0.0, 5.0, 10.0], 3, 100.0, 50.0);
        assert_eq!(top, 10.0);
        assert_eq!(points, "0.0,50.0 50.0,25.0 100.0,0.0");
        // Fewer values than the window: they sit at the right edge.
        let (points, _) = polyline_points(&[2.0], 3, 100.0, 50.0);
        assert_eq!(points, "100.0,0.0");
    }

    #[test]
    fn keeps_the_last_window_and_survives_odd_input() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let (points, top) = polyline_points(&values, 60, 300.0, 80.0);
        assert_eq!(points.split(' ').count(), 60);
        assert_eq!(top, 99.0);
        let (points, top) = polyline_points(&[f64::NAN, -3.0, 0.0], 60, 300.0, 80.0);
        assert_eq!(top, 1.0, "flat data still has a scale");
        assert!(!points.contains("NaN"));
        assert_eq!(polyline_points(&[], 60, 300.0, 80.0).0, "");
    }
}
