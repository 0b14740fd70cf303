//! SVG charts drawn in Rust for the load report: one frame (axes with round ticks, grid, axis
//! labels with their units, a legend above the plot) and the marks drawn in it (lines with gaps,
//! points, bars, steps). Plain inline SVG: a page needs no script to show them. Text goes through
//! [`crate::page::escape`].

use std::fmt::Write as _;

use crate::page::escape as esc;

/// A full-width chart's width, in the SVG's units (pixels at 860 px wide).
pub const WIDE: f64 = 860.0;
/// A chart of a pair, side by side.
pub const HALF: f64 = 430.0;

const HEIGHT: f64 = 250.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 40.0;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// A line through the points; a point whose y is not finite is a gap, and a lone point
    /// between gaps a dot.
    Line,
    /// A dot at each point, faint.
    Points,
    /// A bar from 0 up to each point, centred on its x, this wide (in x's units).
    Bars(f64),
    /// The outline of bars this wide, as a step line.
    Steps(f64),
}

/// One series: its name in the legend, colour, mark and points `(x, y)`.
#[derive(Debug, Clone)]
pub struct Series {
    /// The legend's text.
    pub name: String,
    /// A CSS colour.
    pub color: &'static str,
    /// How it is drawn.
    pub mark: Mark,
    /// The points, in x order.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series.
    pub fn new(name: &str, color: &'static str, mark: Mark, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.to_string(),
            color,
            mark,
            points,
        }
    }
}

/// A chart: title, axes and series. The y axis runs from 0; the x axis over `x_range`.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The caption, also the SVG's accessible name.
    pub title: String,
    /// The x axis' label with its unit.
    pub x_label: String,
    /// The y axis' label with its unit.
    pub y_label: String,
    /// The x axis' range.
    pub x_range: (f64, f64),
    /// [`WIDE`] or [`HALF`].
    pub width: f64,
    /// The series, drawn in order (the legend in the same order).
    pub series: Vec<Series>,
    /// A line under the chart, when some reading of it needs saying.
    pub note: Option<String>,
}

/// A round step for about `ticks` ticks up to `span` (1, 2 or 5 times a power of ten).
pub fn nice_step(span: f64, ticks: f64) -> f64 {
    let raw = (span / ticks).max(f64::MIN_POSITIVE);
    let power = 10f64.powf(raw.log10().floor());
    let m = raw / power;
    let m = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * power
}

/// A tick's label: no decimals for whole numbers, few for small ones.
pub fn fmt_tick(v: f64) -> String {
    if v.fract() == 0.0 || v.abs() >= 10.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

impl Chart {
    /// A chart with no series yet.
    pub fn new(
        title: &str,
        x_label: &str,
        y_label: &str,
        x_range: (f64, f64),
        width: f64,
    ) -> Chart {
        Chart {
            title: title.to_string(),
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            x_range,
            width,
            series: Vec::new(),
            note: None,
        }
    }

    /// Adds a series.
    pub fn with(mut self, series: Series) -> Chart {
        self.series.push(series);
        self
    }

    /// Adds a note under the chart.
    pub fn note(mut self, note: String) -> Chart {
        self.note = Some(note);
        self
    }

    /// The chart as a `<figure>` with its caption and inline SVG.
    pub fn render(&self) -> String {
        let (width, plot_w, plot_h) =
            (self.width, self.width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
        let (x0, mut x1) = self.x_range;
        if x1 <= x0 || !x1.is_finite() {
            x1 = x0 + 1.0;
        }
        let y_data = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let y_step = nice_step(if y_data > 0.0 { y_data } else { 1.0 }, 5.0);
        let y_max = (y_data / y_step).ceil().max(1.0) * y_step;
        let px = |x: f64| LEFT + (x - x0) / (x1 - x0) * plot_w;
        let py = |y: f64| TOP + plot_h - y / y_max * plot_h;
        let mut svg = String::new();
        let _ = write!(
            svg,
            "<figure><figcaption>{title}</figcaption><svg viewBox=\"0 0 {width} {HEIGHT}\" \
             role=\"img\" aria-label=\"{title}\" xmlns=\"http://www.w3.org/2000/svg\">",
            title = esc(&self.title)
        );
        // Grid and y ticks.
        let mut y = 0.0;
        while y <= y_max + y_step / 2.0 {
            let _ = write!(
                svg,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
                 <text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                width - RIGHT,
                py(y),
                py(y),
                LEFT - 5.0,
                py(y) + 4.0,
                fmt_tick(y)
            );
            y += y_step;
        }
        // X ticks, on round values inside the range.
        let ticks = if width < WIDE { 5.0 } else { 10.0 };
        let x_step = nice_step(x1 - x0, ticks);
        let mut x = (x0 / x_step).ceil() * x_step;
        while x <= x1 + x_step * 1e-9 {
            let _ = write!(
                svg,
                "<line class=\"axis\" x1=\"{p:.1}\" x2=\"{p:.1}\" y1=\"{}\" y2=\"{}\"/>\
                 <text class=\"tick\" x=\"{p:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                TOP + plot_h,
                TOP + plot_h + 4.0,
                TOP + plot_h + 16.0,
                fmt_tick(x),
                p = px(x),
            );
            x += x_step;
        }
        let _ = write!(
            svg,
            "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{bottom}\"/>\
             <line class=\"axis\" x1=\"{LEFT}\" x2=\"{right}\" y1=\"{bottom}\" y2=\"{bottom}\"/>\
             <text class=\"label\" x=\"{mid_x}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
             <text class=\"label\" x=\"13\" y=\"{mid_y}\" text-anchor=\"middle\" \
             transform=\"rotate(-90 13 {mid_y})\">{}</text>",
            HEIGHT - 6.0,
            esc(&self.x_label),
            esc(&self.y_label),
            bottom = TOP + plot_h,
            right = width - RIGHT,
            mid_x = LEFT + plot_w / 2.0,
            mid_y = TOP + plot_h / 2.0,
        );
        for s in &self.series {
            let name = esc(&s.name);
            match s.mark {
                Mark::Line => {
                    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
                    for &(x, y) in &s.points {
                        if y.is_finite() {
                            runs.last_mut().expect("one run").push((px(x), py(y)));
                        } else if !runs.last().is_some_and(Vec::is_empty) {
                            runs.push(Vec::new());
                        }
                    }
                    for run in runs.iter().filter(|r| !r.is_empty()) {
                        if let [(x, y)] = run.as_slice() {
                            let _ = write!(
                                svg,
                                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\" fill=\"{}\"><title>{name}</title></circle>",
                                s.color
                            );
                            continue;
                        }
                        let points: Vec<String> =
                            run.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                        let _ = write!(
                            svg,
                            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"><title>{name}</title></polyline>",
                            s.color,
                            points.join(" ")
                        );
                    }
                }
                Mark::Points => {
                    for &(x, y) in s.points.iter().filter(|p| p.1.is_finite()) {
                        let _ = write!(
                            svg,
                            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\" fill=\"{}\" fill-opacity=\"0.35\"/>",
                            px(x),
                            py(y),
                            s.color
                        );
                    }
                }
                Mark::Bars(w) => {
                    for &(x, y) in s.points.iter().filter(|p| p.1.is_finite() && p.1 > 0.0) {
                        let (left, right) = (px(x - w / 2.0), px(x + w / 2.0));
                        let _ = write!(
                            svg,
                            "<rect x=\"{left:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" fill-opacity=\"0.6\"><title>{name}: {}</title></rect>",
                            py(y),
                            (right - left - 0.5).max(0.8),
                            py(0.0) - py(y),
                            s.color,
                            fmt_tick((y * 100.0).round() / 100.0)
                        );
                    }
                }
                Mark::Steps(w) => {
                    let mut points = Vec::new();
                    for &(x, y) in s.points.iter().filter(|p| p.1.is_finite()) {
                        points.push(format!("{:.1},{:.1}", px(x - w / 2.0), py(y)));
                        points.push(format!("{:.1},{:.1}", px(x + w / 2.0), py(y)));
                    }
                    let _ = write!(
                        svg,
                        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"><title>{name}</title></polyline>",
                        s.color,
                        points.join(" ")
                    );
                }
            }
        }
        // The legend, above the plot, from the left.
        let mut lx = LEFT;
        for s in self.series.iter().filter(|s| !s.name.is_empty()) {
            let _ = write!(
                svg,
                "<rect x=\"{lx:.1}\" y=\"9\" width=\"14\" height=\"8\" fill=\"{}\"{}/>\
                 <text class=\"legend\" x=\"{:.1}\" y=\"17\">{}</text>",
                s.color,
                if s.mark == Mark::Points {
                    " fill-opacity=\"0.35\""
                } else {
                    ""
                },
                lx + 18.0,
                esc(&s.name)
            );
            lx += 18.0 + 6.5 * s.name.chars().count() as f64 + 16.0;
        }
        svg.push_str("</svg>");
        if let Some(note) = &self.note {
            let _ = write!(svg, "<p class=\"note\">{}</p>", esc(note));
        }
        svg.push_str("</figure>\n");
        svg
    }
}

/// Horizontal bars `width` wide ([`WIDE`] or [`HALF`]): label, count, colour; each with its
/// count and share.
pub fn bar_chart(title: &str, bars: &[(String, u64, &str)], width: f64) -> String {
    let row = 26.0;
    let height = (16.0 + row * bars.len().max(1) as f64 + 8.0).max(HEIGHT / 2.0);
    let label_w = if width < WIDE { 150.0 } else { 190.0 };
    let plot_w = width - label_w - 110.0;
    let total: u64 = bars.iter().map(|b| b.1).sum();
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title),
        esc(title)
    );
    if bars.is_empty() {
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"{LEFT}\" y=\"30\">no requests</text>"
        );
    }
    for (i, (label, n, color)) in bars.iter().enumerate() {
        let y = 16.0 + row * i as f64;
        let w = (*n as f64 / max * plot_w).max(1.0);
        let share = if total > 0 {
            *n as f64 * 100.0 / total as f64
        } else {
            0.0
        };
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"18\" fill=\"{color}\"><title>{}: {n}</title></rect>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\">{n} ({share:.1} %)</text>",
            label_w - 8.0,
            y + 13.0,
            esc(label),
            y,
            esc(label),
            label_w + w + 6.0,
            y + 13.0,
        );
    }
    svg.push_str("</svg></figure>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_without_a_value_is_a_gap_in_its_line_not_a_drop_to_zero() {
        let line = |values: &[f64]| {
            Chart::new("t", "s", "ms", (0.0, 5.0), WIDE)
                .with(Series::new(
                    "p50",
                    "#000",
                    Mark::Line,
                    values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (i as f64, *v))
                        .collect(),
                ))
                .render()
        };
        let svg = line(&[5.0, 6.0, f64::NAN, 7.0, 8.0]);
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        let svg = line(&[f64::NAN, 4.0, f64::NAN, f64::NAN, f64::NAN]);
        assert_eq!(svg.matches("<polyline").count(), 0, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 1, "{svg}");
        assert!(!svg.contains("NaN"), "{svg}");
    }

    #[test]
    fn a_chart_has_its_title_axes_labels_and_legend() {
        let svg = Chart::new("Latency <all>", "seconds", "ms", (0.0, 10.0), HALF)
            .with(Series::new("p95", "#e08a1e", Mark::Line, vec![(0.5, 3.0)]))
            .with(Series::new(
                "baseline",
                "#888",
                Mark::Steps(1.0),
                vec![(0.5, 2.0)],
            ))
            .render();
        assert!(
            svg.contains("<figcaption>Latency &lt;all&gt;</figcaption>"),
            "{svg}"
        );
        assert!(
            svg.contains(">seconds</text>") && svg.contains(">ms</text>"),
            "{svg}"
        );
        assert!(
            svg.contains(">p95</text>") && svg.contains(">baseline</text>"),
            "{svg}"
        );
        assert!(
            svg.contains(">10</text>"),
            "the x axis reaches its end: {svg}"
        );
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(nice_step(97.0, 5.0), 20.0);
        assert_eq!(nice_step(0.9, 5.0), 0.2);
        assert_eq!(fmt_tick(0.25), "0.25");
    }
}
