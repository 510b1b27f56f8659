//! A report as a PDF: a title, the window, a bar chart of impressions per
//! row with clicks as a line, and the table, continued over as many A4
//! pages as it needs. Text is set in Helvetica (one of PDF's standard
//! fonts, so nothing is embedded); characters outside ASCII are shown as
//! `?`.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};

use super::report::{Report, Row};

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 48.0;
const FONT: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
/// Table rows on the first page (under the chart) and on the next ones.
const FIRST_PAGE_ROWS: usize = 22;
const PAGE_ROWS: usize = 44;
const ROW_HEIGHT: f32 = 15.0;

/// The columns of the table: heading, width, and the cell of a row.
type Column = (&'static str, f32, fn(&Row) -> String);

const COLUMNS: [Column; 7] = [
    ("Period / campaign", 150.0, |r| r.label.clone()),
    ("Impressions", 62.0, |r| r.totals.impressions.to_string()),
    ("Clicks", 48.0, |r| r.totals.clicks.to_string()),
    ("CTR %", 48.0, |r| format!("{:.2}", r.ctr())),
    ("Conversions", 62.0, |r| r.totals.conversions.to_string()),
    ("Spend $", 62.0, |r| {
        format!("{:.3}", r.totals.spend.to_dollars())
    }),
    ("CPC $", 50.0, |r| {
        r.cpc().map_or("-".into(), |cpc| format!("{cpc:.3}"))
    }),
];

/// Text as the standard encoding shows it.
fn ascii(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c as u8
            } else {
                b'?'
            }
        })
        .collect()
}

fn text(content: &mut Content, font: Name, size: f32, x: f32, y: f32, value: &str) {
    content.begin_text();
    content.set_font(font, size);
    content.next_line(x, y);
    content.show(Str(&ascii(value)));
    content.end_text();
}

/// The chart: one bar per row (impressions), clicks as a line on their own
/// scale; `top` is its upper edge.
fn chart(content: &mut Content, rows: &[Row], top: f32) {
    let height = 200.0;
    let width = WIDTH - 2.0 * MARGIN;
    let bottom = top - height;
    text(
        content,
        BOLD,
        11.0,
        MARGIN,
        top + 8.0,
        "Impressions (bars) and clicks (line)",
    );
    content.set_stroke_rgb(0.7, 0.7, 0.7);
    content.set_line_width(0.5);
    content
        .move_to(MARGIN, bottom)
        .line_to(MARGIN + width, bottom)
        .stroke();
    content
        .move_to(MARGIN, bottom)
        .line_to(MARGIN, top)
        .stroke();
    if rows.is_empty() {
        return;
    }
    let max_impressions = rows
        .iter()
        .map(|r| r.totals.impressions)
        .max()
        .unwrap_or(0)
        .max(1) as f32;
    let max_clicks = rows
        .iter()
        .map(|r| r.totals.clicks)
        .max()
        .unwrap_or(0)
        .max(1) as f32;
    let slot = width / rows.len() as f32;
    content.set_fill_rgb(0.12, 0.44, 0.92);
    for (index, row) in rows.iter().enumerate() {
        let bar = (row.totals.impressions as f32 / max_impressions) * (height - 10.0);
        let x = MARGIN + index as f32 * slot + slot * 0.15;
        content.rect(x, bottom, slot * 0.7, bar).fill_nonzero();
    }
    content.set_stroke_rgb(0.85, 0.33, 0.1);
    content.set_line_width(1.5);
    for (index, row) in rows.iter().enumerate() {
        let x = MARGIN + (index as f32 + 0.5) * slot;
        let y = bottom + (row.totals.clicks as f32 / max_clicks) * (height - 10.0);
        if index == 0 {
            content.move_to(x, y);
        } else {
            content.line_to(x, y);
        }
    }
    content.stroke();
    content.set_fill_rgb(0.0, 0.0, 0.0);
    text(
        content,
        FONT,
        8.0,
        MARGIN + 4.0,
        top - 10.0,
        &format!("max {} impressions", max_impressions as i64),
    );
    text(
        content,
        FONT,
        8.0,
        MARGIN + 4.0,
        top - 20.0,
        &format!("max {} clicks", max_clicks as i64),
    );
    let first = rows.first().map(|r| r.label.as_str()).unwrap_or_default();
    let last = rows.last().map(|r| r.label.as_str()).unwrap_or_default();
    text(content, FONT, 8.0, MARGIN, bottom - 12.0, first);
    text(
        content,
        FONT,
        8.0,
        MARGIN + width - 60.0,
        bottom - 12.0,
        last,
    );
}

/// The table's rows from `top` down, with its heading.
fn table(content: &mut Content, rows: &[Row], top: f32, totals: Option<&Row>) {
    let mut y = top;
    let mut x = MARGIN;
    for (heading, width, _) in COLUMNS {
        text(content, BOLD, 9.0, x, y, heading);
        x += width;
    }
    y -= 4.0;
    content.set_stroke_rgb(0.5, 0.5, 0.5);
    content.set_line_width(0.5);
    content
        .move_to(MARGIN, y)
        .line_to(WIDTH - MARGIN, y)
        .stroke();
    for (row, font) in rows
        .iter()
        .map(|r| (r, FONT))
        .chain(totals.map(|t| (t, BOLD)))
    {
        y -= ROW_HEIGHT;
        let mut x = MARGIN;
        for (_, width, cell) in COLUMNS {
            text(content, font, 9.0, x, y, &cell(row));
            x += width;
        }
    }
}

/// The report as PDF bytes.
pub fn render(report: &Report) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let pages = Ref::new(2);
    let font = Ref::new(3);
    let bold = Ref::new(4);
    let mut next = 5;
    let mut chunks: Vec<&[Row]> = Vec::new();
    let (first, rest) = report.rows.split_at(report.rows.len().min(FIRST_PAGE_ROWS));
    chunks.push(first);
    chunks.extend(rest.chunks(PAGE_ROWS));
    let mut page_ids = Vec::new();
    let count = chunks.len();
    for (index, rows) in chunks.into_iter().enumerate() {
        let page = Ref::new(next);
        let content_id = Ref::new(next + 1);
        next += 2;
        page_ids.push(page);
        let mut content = Content::new();
        let mut top = HEIGHT - MARGIN;
        if index == 0 {
            text(&mut content, BOLD, 18.0, MARGIN, top - 10.0, &report.title);
            text(
                &mut content,
                FONT,
                10.0,
                MARGIN,
                top - 28.0,
                &report.subtitle,
            );
            chart(&mut content, &report.rows, top - 60.0);
            top -= 300.0;
        }
        let last = index + 1 == count;
        table(&mut content, rows, top, last.then_some(&report.totals));
        text(
            &mut content,
            FONT,
            8.0,
            MARGIN,
            MARGIN / 2.0,
            &format!("adspin - page {} of {count}", index + 1),
        );
        pdf.stream(content_id, &content.finish());
        let mut writer = pdf.page(page);
        writer
            .media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
            .parent(pages)
            .contents(content_id);
        writer.resources().fonts().pair(FONT, font).pair(BOLD, bold);
    }
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
    pdf.type1_font(font).base_font(Name(b"Helvetica"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold"));
    pdf.finish()
}
