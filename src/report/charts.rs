//! The page's charts, drawn when the report is made with `plotters`' SVG backend (no fonts are
//! read: plotters estimates text extents, and the browser draws the text with its own fonts).
//! Each chart is embedded as an `<img>` with a `data:` URI, so an SVG can never run script in
//! the page whatever its text holds; labels are already made safe to show and plotters
//! escapes them for XML.

use base64::Engine;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;

use super::model::Totals;
use super::ReportError;

/// One horizontal bar: a label and one value per series, stacked left to right.
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub values: Vec<f64>,
}

/// A chart as the page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Chart {
    pub title: String,
    /// `data:image/svg+xml;base64,…`; None when there is nothing to draw.
    pub data_uri: Option<String>,
    /// What the chart leaves out, or why it is empty.
    pub note: Option<String>,
}

/// Most bars drawn; the rest are in the tables.
pub const MAX_BARS: usize = 30;
const MAX_LABEL_CHARS: usize = 28;
const WIDTH: u32 = 760;
const ROW_PX: u32 = 26;

/// The series colours: valid, failed, owner-attested, status-excluded.
const PALETTE: [RGBColor; 4] = [
    RGBColor(46, 125, 50),
    RGBColor(198, 40, 40),
    RGBColor(240, 160, 20),
    RGBColor(120, 144, 156),
];

fn chart_error(e: impl std::fmt::Display) -> ReportError {
    ReportError::Chart(e.to_string())
}

fn truncate(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        return label.to_owned();
    }
    let mut s: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
    s.push('…');
    s
}

/// Draws stacked horizontal bars; `percent` labels the axis 0–100 %.
fn draw(bars: &[Bar], series: &[&str], x_max: f64, percent: bool) -> Result<String, ReportError> {
    let n = bars.len();
    let label_chars = bars
        .iter()
        .map(|b| truncate(&b.label).chars().count())
        .max()
        .unwrap_or(4) as u32;
    let label_px = (label_chars * 7 + 16).max(70);
    let height = 36 + 32 + ROW_PX * n as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        // The legend, in the top band.
        let font = ("sans-serif", 16).into_font().color(&BLACK);
        for (s, name) in series.iter().enumerate() {
            let color = PALETTE.get(s).copied().unwrap_or(BLACK);
            let x = label_px as i32 + 150 * s as i32;
            root.draw(&Rectangle::new([(x, 10), (x + 12, 22)], color.filled()))
                .map_err(chart_error)?;
            root.draw(&Text::new(
                name.to_string(),
                (x + 17, 16),
                font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(chart_error)?;
        }
        let area = root.margin(32, 4, 8, 16);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(28)
            .y_label_area_size(label_px)
            .build_cartesian_2d(0f64..x_max, 0f64..n as f64)
            .map_err(chart_error)?;
        // Counts are whole numbers: ticks between them are left unlabelled.
        let formatter = |v: &f64| match (percent, v.fract() == 0.0) {
            (true, _) => format!("{v:.0}%"),
            (false, true) => format!("{v:.0}"),
            (false, false) => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(6)
            .x_label_formatter(&formatter)
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(chart_error)?;
        // Top to bottom in the given order.
        let row_y = |i: usize| (n - 1 - i) as f64;
        for s in 0..series.len() {
            let color = PALETTE.get(s).copied().unwrap_or(BLACK);
            chart
                .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
                    let start: f64 = b.values.iter().take(s).sum();
                    let value = b.values.get(s).copied().unwrap_or(0.0);
                    (value > 0.0).then(|| {
                        Rectangle::new(
                            [(start, row_y(i) + 0.18), (start + value, row_y(i) + 0.82)],
                            color.filled(),
                        )
                    })
                }))
                .map_err(chart_error)?;
        }
        for (i, b) in bars.iter().enumerate() {
            // Backend (whole-image) coordinates: drawn on the root area.
            let (px, py) = chart.backend_coord(&(0.0, row_y(i) + 0.5));
            root.draw(&Text::new(
                truncate(&b.label),
                (px - 6, py),
                font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

fn data_uri(svg: &str) -> String {
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

/// Keeps the `MAX_BARS` largest bars (by `size`), in their order; says how many were left out.
fn largest(mut bars: Vec<(Bar, f64)>) -> (Vec<Bar>, Option<String>) {
    let total = bars.len();
    if total <= MAX_BARS {
        return (bars.into_iter().map(|(b, _)| b).collect(), None);
    }
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_by(|a, b| {
        let size = |i: &usize| bars.get(*i).map_or(0.0, |(_, s)| *s);
        size(b).total_cmp(&size(a))
    });
    let keep: std::collections::HashSet<usize> = order.into_iter().take(MAX_BARS).collect();
    let mut i = 0;
    bars.retain(|_| {
        i += 1;
        keep.contains(&(i - 1))
    });
    let note = format!("The {MAX_BARS} largest of {total} are drawn; the tables list all.");
    (bars.into_iter().map(|(b, _)| b).collect(), Some(note))
}

/// A claimed amount as a number for drawing (the tables show the exact decimal).
fn number(amount: Option<&str>) -> f64 {
    amount.and_then(|a| a.parse::<f64>().ok()).unwrap_or(0.0)
}

/// "Claimed amount per asset, by verdict": each asset's bar is 100 % of its claimed amount,
/// split into proven, failed and (OKX) owner-attested and status-excluded shares. Assets are not
/// drawn on one scale: a BTC and an ETH amount cannot be added.
pub fn amounts_chart(totals: &Totals) -> Result<Chart, ReportError> {
    let mut series = vec!["valid (proven)", "failed"];
    if totals.columns.owner_attested {
        series.push("owner-attested");
    }
    if totals.columns.status_excluded {
        series.push("status-excluded");
    }
    let bars: Vec<(Bar, f64)> = totals
        .rows
        .iter()
        .filter_map(|r| {
            let values: Vec<f64> = [
                &r.proven_amount,
                &r.failed_amount,
                &r.owner_attested_amount,
                &r.status_excluded_amount,
            ]
            .iter()
            .take(series.len())
            .map(|a| number(a.as_deref()))
            .collect();
            let sum: f64 = values.iter().sum();
            (sum > 0.0).then(|| {
                let label = if r.unit.is_empty() {
                    r.asset.clone()
                } else {
                    format!("{} ({})", r.asset, r.unit)
                };
                let values = values.iter().map(|v| v * 100.0 / sum).collect();
                (Bar { label, values }, r.addresses as f64)
            })
        })
        .collect();
    let title = "Claimed amount per asset, by verdict (share of each asset's amount)".to_owned();
    if bars.is_empty() {
        return Ok(Chart {
            title,
            data_uri: None,
            note: Some("No amounts are claimed.".into()),
        });
    }
    let (bars, note) = largest(bars);
    Ok(Chart {
        title,
        data_uri: Some(data_uri(&draw(&bars, &series, 100.0, true)?)),
        note,
    })
}

/// "Addresses per scheme (or kind of proof)": counts stacked by verdict.
pub fn counts_chart(title: &str, bars: &[Bar], series: &[&str]) -> Result<Chart, ReportError> {
    let sized: Vec<(Bar, f64)> = bars
        .iter()
        .map(|b| (b.clone(), b.values.iter().sum::<f64>()))
        .filter(|(_, s)| *s > 0.0)
        .collect();
    if sized.is_empty() {
        return Ok(Chart {
            title: title.to_owned(),
            data_uri: None,
            note: Some("No addresses.".into()),
        });
    }
    let x_max = sized.iter().map(|(_, s)| *s).fold(1.0, f64::max) * 1.05;
    let (bars, note) = largest(sized);
    Ok(Chart {
        title: title.to_owned(),
        data_uri: Some(data_uri(&draw(&bars, series, x_max, false)?)),
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_the_largest_bars_kept() {
        let bars: Vec<Bar> = (0..40)
            .map(|i| Bar {
                label: format!("<b{i}>&\"x"),
                values: vec![i as f64, 1.0],
            })
            .collect();
        let chart = counts_chart("t", &bars, &["valid", "failed"]).unwrap();
        let uri = chart.data_uri.unwrap();
        let svg = base64::engine::general_purpose::STANDARD
            .decode(uri.strip_prefix("data:image/svg+xml;base64,").unwrap())
            .unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("&lt;b39&gt;&amp;&quot;x"), "{svg}");
        assert!(!svg.contains("<b39>"));
        // 40 bars, the 30 largest drawn: b10..b39.
        assert!(!svg.contains("&lt;b9&gt;"));
        assert!(chart.note.unwrap().contains("30 largest of 40"));
    }
}
