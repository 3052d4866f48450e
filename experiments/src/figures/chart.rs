//! Two chart shapes, drawn with plotters into PNG and SVG alike: an x-y
//! chart of point and line series, and a grouped bar chart. Text uses the
//! DejaVu Sans font embedded in the binary, never a system font.

use std::ops::Range;
use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

const SIZE: (u32, u32) = (960, 600);
const FONT: &str = "sans-serif";

/// Registers the embedded font once per process.
fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    Points,
    Line,
    /// Consecutive pairs of points, each drawn as its own segment (a spread:
    /// the lowest and highest value at one x).
    Whiskers,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub mark: Mark,
    /// Series sharing a colour index share a colour (a function's points
    /// and its fitted line).
    pub colour: usize,
}

#[derive(Debug, Clone)]
pub struct XyChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone)]
pub struct BarChart {
    pub title: String,
    pub y_label: String,
    pub categories: Vec<String>,
    /// One bar per category in each group, side by side.
    pub groups: Vec<(String, Vec<f64>)>,
}

type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn range(values: impl Iterator<Item = f64>) -> Range<f64> {
    let (lo, hi) = values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo.min(0.0))..(hi + pad)
}

fn draw_xy<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, c: &XyChart) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let x = range(c.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let y = range(c.series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let mut chart = ChartBuilder::on(&root)
        .caption(&c.title, (FONT, 22))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)?;
    chart.configure_mesh().x_desc(&c.x_label).y_desc(&c.y_label).label_style((FONT, 14)).axis_desc_style((FONT, 16)).draw()?;
    for s in &c.series {
        let colour = Palette99::pick(s.colour).to_rgba();
        match s.mark {
            Mark::Points => chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, colour.mix(0.6).filled())))?
                .label(&s.label)
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, colour.filled())),
            Mark::Line => chart
                .draw_series(LineSeries::new(s.points.iter().copied(), colour.stroke_width(2)))?
                .label(&s.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))),
            Mark::Whiskers => chart
                .draw_series(s.points.chunks_exact(2).map(|pair| PathElement::new(vec![pair[0], pair[1]], colour.stroke_width(1))))?
                .label(&s.label)
                .legend(move |(x, y)| PathElement::new(vec![(x + 8, y - 6), (x + 8, y + 6)], colour.stroke_width(1))),
        };
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, 13))
        .draw()?;
    root.present()
}

fn draw_bars<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, c: &BarChart) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let n = c.categories.len().max(1);
    let top = c.groups.iter().flat_map(|(_, v)| v.iter().copied()).fold(0.0f64, f64::max) * 1.1 + 1e-9;
    let mut chart = ChartBuilder::on(&root)
        .caption(&c.title, (FONT, 22))
        .margin(14)
        .x_label_area_size(60)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..top)?;
    let categories = c.categories.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() < 0.01 && i >= 0.0 { categories.get(i as usize).cloned().unwrap_or_default() } else { String::new() }
        })
        .y_desc(&c.y_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 16))
        .draw()?;
    let width = 0.8 / c.groups.len().max(1) as f64;
    for (g, (label, values)) in c.groups.iter().enumerate() {
        let colour = Palette99::pick(g).to_rgba();
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                let left = i as f64 - 0.4 + g as f64 * width;
                Rectangle::new([(left, 0.0), (left + width * 0.95, v)], colour.filled())
            }))?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.85)).border_style(BLACK.mix(0.4)).label_font((FONT, 13)).draw()?;
    root.present()
}

/// Writes `<stem>.png` and `<stem>.svg`.
pub fn save_xy(stem: &Path, chart: &XyChart) -> anyhow::Result<()> {
    fonts();
    let (png, svg) = (stem.with_extension("png"), stem.with_extension("svg"));
    draw_xy(BitMapBackend::new(&png, SIZE).into_drawing_area(), chart).map_err(|e| anyhow::anyhow!("{}: {e}", png.display()))?;
    draw_xy(SVGBackend::new(&svg, SIZE).into_drawing_area(), chart).map_err(|e| anyhow::anyhow!("{}: {e}", svg.display()))
}

pub fn save_bars(stem: &Path, chart: &BarChart) -> anyhow::Result<()> {
    fonts();
    let (png, svg) = (stem.with_extension("png"), stem.with_extension("svg"));
    draw_bars(BitMapBackend::new(&png, SIZE).into_drawing_area(), chart).map_err(|e| anyhow::anyhow!("{}: {e}", png.display()))?;
    draw_bars(SVGBackend::new(&svg, SIZE).into_drawing_area(), chart).map_err(|e| anyhow::anyhow!("{}: {e}", svg.display()))
}
