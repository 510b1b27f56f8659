//! The built-in banner renderer: a real image in the requested size and
//! format, drawn from the prompt, with no model. The prompt picks the
//! palette (its words: finance and business are navy, nature and health
//! green, food and fun warm...; a hash of it otherwise) and, with the
//! style, the layout (a vertical gradient, translucent shapes placed from
//! the prompt's hash unless the style is `minimal`, an accent bar); the
//! headline is set in DejaVu Sans Bold (embedded, `assets/fonts`, Bitstream
//! Vera licence), as large as fits in at most four lines, with the
//! prompt's first words below it. The same request draws the same banner.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

/// The embedded font.
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Smallest and largest side, in pixels.
pub const MIN_SIDE: u32 = 64;
pub const MAX_SIDE: u32 = 2048;
/// Most lines of headline.
const MAX_LINES: usize = 4;
/// Quality of JPEG output.
const JPEG_QUALITY: u8 = 90;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
}

impl ImageFormat {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "png" => Some(Self::Png),
            "jpeg" | "jpg" => Some(Self::Jpeg),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpeg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
        }
    }
}

/// What to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner<'a> {
    pub width: u32,
    pub height: u32,
    pub headline: &'a str,
    pub prompt: &'a str,
    /// `minimal` draws no shapes; any other style the full layout.
    pub style: &'a str,
    pub format: ImageFormat,
    /// Varies the layout between banners of one request.
    pub variant: u32,
}

type Rgb = [f32; 3];

struct Palette {
    keywords: &'static [&'static str],
    top: Rgb,
    bottom: Rgb,
    accent: Rgb,
    text: Rgb,
}

const fn rgb(hex: u32) -> Rgb {
    [
        ((hex >> 16) & 0xff) as f32,
        ((hex >> 8) & 0xff) as f32,
        (hex & 0xff) as f32,
    ]
}

const PALETTES: [Palette; 6] = [
    Palette {
        keywords: &[
            "business",
            "finance",
            "accounting",
            "dashboard",
            "professional",
            "office",
            "saas",
            "software",
            "data",
        ],
        top: rgb(0x0f2a4a),
        bottom: rgb(0x1e5a8c),
        accent: rgb(0x4fc3f7),
        text: rgb(0xffffff),
    },
    Palette {
        keywords: &[
            "nature", "green", "eco", "health", "garden", "organic", "fitness", "wellness",
        ],
        top: rgb(0x0b3d2e),
        bottom: rgb(0x2e7d32),
        accent: rgb(0xc5e1a5),
        text: rgb(0xffffff),
    },
    Palette {
        keywords: &[
            "food", "fun", "party", "summer", "sale", "playful", "kids", "coffee",
        ],
        top: rgb(0xff6f00),
        bottom: rgb(0xd84315),
        accent: rgb(0xffe082),
        text: rgb(0xffffff),
    },
    Palette {
        keywords: &["luxury", "fashion", "beauty", "elegant", "premium", "night"],
        top: rgb(0x1a1a1a),
        bottom: rgb(0x3e2723),
        accent: rgb(0xd4af37),
        text: rgb(0xfaf3e0),
    },
    Palette {
        keywords: &[
            "tech", "ai", "startup", "remote", "team", "project", "cloud", "app",
        ],
        top: rgb(0x311b92),
        bottom: rgb(0x6a1b9a),
        accent: rgb(0x80deea),
        text: rgb(0xffffff),
    },
    Palette {
        keywords: &["travel", "ocean", "sky", "water", "calm", "clean", "modern"],
        top: rgb(0x00695c),
        bottom: rgb(0x00838f),
        accent: rgb(0xffd54f),
        text: rgb(0xffffff),
    },
];

/// FNV-1a: a stable hash (the same request draws the same banner).
fn hash(text: &str, variant: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes().chain(variant.to_le_bytes()) {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn palette(prompt: &str, seed: u64) -> &'static Palette {
    let words: Vec<String> = prompt
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .map(String::from)
        .collect();
    PALETTES
        .iter()
        .max_by_key(|p| {
            let score = p
                .keywords
                .iter()
                .filter(|k| words.iter().any(|w| w == *k))
                .count();
            // Ties (no keyword at all) go to the hash's choice.
            (
                score,
                usize::from(std::ptr::eq(*p, &PALETTES[(seed % 6) as usize])),
            )
        })
        .unwrap_or(&PALETTES[0])
}

/// An RGB canvas.
struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<Rgb>,
}

impl Canvas {
    fn blend(&mut self, x: i64, y: i64, color: Rgb, alpha: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let index = (y as usize) * (self.width as usize) + x as usize;
        let alpha = alpha.clamp(0.0, 1.0);
        let pixel = &mut self.pixels[index];
        for channel in 0..3 {
            pixel[channel] = pixel[channel] * (1.0 - alpha) + color[channel] * alpha;
        }
    }

    fn circle(&mut self, cx: f32, cy: f32, r: f32, color: Rgb, alpha: f32) {
        let (x0, x1) = ((cx - r).floor() as i64, (cx + r).ceil() as i64);
        let (y0, y1) = ((cy - r).floor() as i64, (cy + r).ceil() as i64);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                // One pixel of antialiasing at the edge.
                let coverage = (r - d + 0.5).clamp(0.0, 1.0);
                if coverage > 0.0 {
                    self.blend(x, y, color, alpha * coverage);
                }
            }
        }
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb, alpha: f32) {
        for py in y.round() as i64..(y + h).round() as i64 {
            for px in x.round() as i64..(x + w).round() as i64 {
                self.blend(px, py, color, alpha);
            }
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|p| p.map(|c| c.round().clamp(0.0, 255.0) as u8))
            .collect()
    }
}

/// The width of `text` set at `size`.
fn text_width(font: &FontRef<'_>, size: f32, text: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut width = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(previous) = previous {
            width += scaled.kern(previous, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    width
}

/// `text` broken into lines of at most `max_width` at `size`; `None` when a
/// word alone is wider or it takes more than [`MAX_LINES`].
fn wrap(font: &FontRef<'_>, size: f32, text: &str, max_width: f32) -> Option<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if text_width(font, size, &candidate) <= max_width {
            line = candidate;
        } else {
            if line.is_empty() {
                return None;
            }
            lines.push(std::mem::replace(&mut line, word.to_string()));
            if text_width(font, size, &line) > max_width {
                return None;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    (lines.len() <= MAX_LINES).then_some(lines)
}

/// Draws `text` with its left edge at `x` and baseline at `baseline`.
fn draw_text(
    canvas: &mut Canvas,
    font: &FontRef<'_>,
    size: f32,
    text: &str,
    (x, baseline): (f32, f32),
    (color, alpha): (Rgb, f32),
) {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut caret = x;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(previous) = previous {
            caret += scaled.kern(previous, id);
        }
        let glyph = id.with_scale_and_position(PxScale::from(size), point(caret, baseline));
        caret += scaled.h_advance(id);
        previous = Some(id);
        if let Some(outlined) = font.outline_glyph(glyph) {
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                canvas.blend(
                    bounds.min.x as i64 + i64::from(gx),
                    bounds.min.y as i64 + i64::from(gy),
                    color,
                    alpha * coverage,
                );
            });
        }
    }
}

/// Draws `lines` centred horizontally, the first baseline at `top +
/// ascent`; returns where the block ends.
fn draw_block(
    canvas: &mut Canvas,
    font: &FontRef<'_>,
    size: f32,
    lines: &[String],
    top: f32,
    color: Rgb,
    alpha: f32,
) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    let line_height = scaled.height() + scaled.line_gap();
    let mut baseline = top + scaled.ascent();
    for line in lines {
        let x = (canvas.width as f32 - text_width(font, size, line)) / 2.0;
        // A soft shadow keeps the text legible on any palette.
        draw_text(
            canvas,
            font,
            size,
            line,
            (x + size * 0.04, baseline + size * 0.04),
            ([0.0; 3], alpha * 0.35),
        );
        draw_text(canvas, font, size, line, (x, baseline), (color, alpha));
        baseline += line_height;
    }
    top + line_height * lines.len() as f32
}

/// The first words of `prompt`, for the line under the headline.
fn tagline(prompt: &str) -> String {
    let words: Vec<&str> = prompt.split_whitespace().take(8).collect();
    words
        .join(" ")
        .trim_end_matches([',', '.', ';'])
        .to_string()
}

/// Renders `banner`: PNG or JPEG bytes.
pub fn render(banner: &Banner<'_>) -> Result<Vec<u8>, String> {
    let font = FontRef::try_from_slice(FONT).map_err(|error| format!("font: {error}"))?;
    let (width, height) = (banner.width, banner.height);
    let seed = hash(banner.prompt, banner.variant);
    let palette = palette(banner.prompt, seed);
    let mut canvas = Canvas {
        width,
        height,
        pixels: Vec::with_capacity((width as usize) * (height as usize)),
    };
    for y in 0..height {
        let t = y as f32 / (height.max(2) - 1) as f32;
        let row: Rgb = std::array::from_fn(|c| palette.top[c] * (1.0 - t) + palette.bottom[c] * t);
        canvas
            .pixels
            .extend(std::iter::repeat_n(row, width as usize));
    }
    let (w, h) = (width as f32, height as f32);
    let short = w.min(h);
    if !banner.style.eq_ignore_ascii_case("minimal") {
        for i in 0..3u64 {
            let bits = seed.rotate_left((i * 21) as u32);
            let cx = (bits % 1000) as f32 / 1000.0 * w;
            let cy = ((bits >> 10) % 1000) as f32 / 1000.0 * h;
            let r = short * (0.18 + ((bits >> 20) % 100) as f32 / 400.0);
            canvas.circle(cx, cy, r, palette.accent, 0.16);
        }
    }
    // The headline: as large as fits in the middle of the banner.
    let margin = short * 0.08;
    let max_width = w - 2.0 * margin;
    let mut size = short * 0.13;
    let lines = loop {
        let scaled = font.as_scaled(PxScale::from(size));
        let block = (scaled.height() + scaled.line_gap()) * MAX_LINES as f32;
        if let Some(lines) = wrap(&font, size, banner.headline, max_width)
            && (block <= h * 0.7 || size <= 8.0)
        {
            break lines;
        }
        if size <= 8.0 {
            break vec![banner.headline.chars().take(40).collect()];
        }
        size *= 0.9;
    };
    let scaled = font.as_scaled(PxScale::from(size));
    let block_height = (scaled.height() + scaled.line_gap()) * lines.len() as f32;
    let top = (h - block_height) / 2.0 - h * 0.05;
    let end = draw_block(&mut canvas, &font, size, &lines, top, palette.text, 1.0);
    let bar_width = w * 0.2;
    canvas.rect(
        (w - bar_width) / 2.0,
        end + h * 0.03,
        bar_width,
        (h * 0.012).max(2.0),
        palette.accent,
        1.0,
    );
    let small = (size * 0.35).max(short * 0.03);
    let tag = tagline(banner.prompt);
    if let Some(tag_lines) = wrap(&font, small, &tag, max_width) {
        let first = tag_lines.into_iter().take(1).collect::<Vec<_>>();
        draw_block(
            &mut canvas,
            &font,
            small,
            &first,
            h - margin - small * 1.3,
            palette.text,
            0.8,
        );
    }
    encode(&canvas, banner.format)
}

fn encode(canvas: &Canvas, format: ImageFormat) -> Result<Vec<u8>, String> {
    let rgb = canvas.bytes();
    let mut out = Vec::new();
    match format {
        ImageFormat::Png => {
            let mut encoder = png::Encoder::new(&mut out, canvas.width, canvas.height);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().map_err(|e| format!("png: {e}"))?;
            writer
                .write_image_data(&rgb)
                .map_err(|e| format!("png: {e}"))?;
            writer.finish().map_err(|e| format!("png: {e}"))?;
        }
        ImageFormat::Jpeg => {
            let (width, height) = (
                u16::try_from(canvas.width).map_err(|_| "jpeg: too wide")?,
                u16::try_from(canvas.height).map_err(|_| "jpeg: too tall")?,
            );
            jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY)
                .encode(&rgb, width, height, jpeg_encoder::ColorType::Rgb)
                .map_err(|e| format!("jpeg: {e}"))?;
        }
    }
    Ok(out)
}

/// `"1080x1080"` as a width and height within the bounds.
pub fn parse_size(text: &str) -> Option<(u32, u32)> {
    let (w, h) = text
        .trim()
        .to_ascii_lowercase()
        .split_once('x')
        .map(|(w, h)| (w.to_string(), h.to_string()))?;
    let (w, h): (u32, u32) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    let valid = |side: u32| (MIN_SIDE..=MAX_SIDE).contains(&side);
    (valid(w) && valid(h)).then_some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn banner(format: ImageFormat, width: u32, height: u32) -> Banner<'static> {
        Banner {
            width,
            height,
            headline: "Transform Your Business Finances",
            prompt: "Professional business dashboard on laptop, clean modern office",
            style: "photo_realistic",
            format,
            variant: 0,
        }
    }

    #[test]
    fn a_png_banner_has_the_requested_size_and_the_headline_drawn() {
        let bytes = render(&banner(ImageFormat::Png, 320, 200)).expect("rendered");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().expect("png");
        let info = reader.info();
        assert_eq!((info.width, info.height), (320, 200));
        let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
        reader.next_frame(&mut pixels).expect("frame");
        // The business palette's white text: near-white pixels in the middle
        // rows, none in the top rows (a gradient and faint shapes only).
        let row = |y: usize| &pixels[y * 320 * 3..(y + 1) * 320 * 3];
        let white = |row: &[u8]| row.chunks(3).filter(|p| p.iter().all(|c| *c > 230)).count();
        let middle: usize = (80..120).map(|y| white(row(y))).sum();
        assert!(middle > 100, "{middle} white pixels in the headline's rows");
        assert_eq!(white(row(2)), 0);
    }

    #[test]
    fn a_jpeg_banner_is_a_jpeg_and_the_same_request_draws_the_same_banner() {
        let bytes = render(&banner(ImageFormat::Jpeg, 400, 300)).expect("rendered");
        assert_eq!(&bytes[..3], b"\xff\xd8\xff");
        assert_eq!(
            bytes,
            render(&banner(ImageFormat::Jpeg, 400, 300)).expect("again")
        );
        let mut other = banner(ImageFormat::Jpeg, 400, 300);
        other.variant = 1;
        assert_ne!(bytes, render(&other).expect("variant"));
    }

    #[test]
    fn sizes_and_formats_are_parsed_within_bounds() {
        assert_eq!(parse_size("1080x1080"), Some((1080, 1080)));
        assert_eq!(parse_size("1200X628"), Some((1200, 628)));
        for bad in ["0x10", "5000x100", "big", "100x"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        assert_eq!(ImageFormat::parse("JPG"), Some(ImageFormat::Jpeg));
        assert_eq!(ImageFormat::parse("gif"), None);
    }
}
