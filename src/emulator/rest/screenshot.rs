//! `GET /screenshot`: a PNG of the screen shown now, at the Nano S Plus's size (128×64, RGB
//! like Speculos's), drawn from the screen's text lines with an 8×8 bitmap font: light text on
//! black, each line centred and wrapped at 16 characters. It is a picture of the texts, not of
//! the device's own font and layout (those are in the texts `/events` reports).

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Api, ApiError};
use crate::emulator::screens::Screen;

/// The Nano S Plus screen, as Speculos's `nanosp` model sizes it.
const WIDTH: u32 = 128;
const HEIGHT: u32 = 64;
/// Glyph cell of the bitmap font.
const GLYPH: u32 = 8;
const COLUMNS: usize = (WIDTH / GLYPH) as usize;
const ROWS: usize = (HEIGHT / GLYPH) as usize;
/// Speculos draws a Nano's lit pixels in this grey.
const INK: [u8; 3] = [0xdd, 0xdd, 0xdd];

/// Why a screenshot could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode the screenshot as PNG")]
struct ScreenshotError(#[from] png::EncodingError);

pub(super) async fn get(State(api): State<Api>) -> Result<Response, ApiError> {
    let png = render(&api.ui.current_screen())
        .map_err(|e| ApiError::message(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok((
        [
            (CONTENT_TYPE, "image/png"),
            (CACHE_CONTROL, "no-cache,no-store"),
        ],
        png,
    )
        .into_response())
}

/// Cuts `line` into rows of at most [`COLUMNS`] characters, at a space where there is one.
fn wrap(line: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut rest: Vec<char> = line.chars().collect();
    while rest.len() > COLUMNS {
        let cut = rest
            .iter()
            .take(COLUMNS + 1)
            .rposition(|c| *c == ' ')
            .filter(|&at| at > 0)
            .unwrap_or(COLUMNS);
        let tail = rest.split_off(cut);
        rows.push(rest.into_iter().collect());
        rest = tail.into_iter().skip_while(|c| *c == ' ').collect();
    }
    rows.push(rest.into_iter().collect());
    rows
}

/// The 8×8 glyph of `c`: one byte per row, least significant bit leftmost; `?` for characters
/// the font lacks.
fn glyph(c: char) -> [u8; 8] {
    let index = usize::try_from(u32::from(c)).unwrap_or(usize::MAX);
    font8x8::legacy::BASIC_LEGACY
        .get(index)
        .or_else(|| font8x8::legacy::BASIC_LEGACY.get(usize::from(b'?')))
        .copied()
        .unwrap_or_default()
}

/// The RGB pixels of `screen`, row-major.
fn pixels(screen: &Screen) -> Vec<u8> {
    let width = WIDTH as usize;
    let mut pixels = vec![0u8; width * HEIGHT as usize * 3];
    let rows: Vec<String> = screen
        .lines()
        .iter()
        .flat_map(|line| wrap(line))
        .take(ROWS)
        .collect();
    // The block of rows is centred vertically, each row horizontally, as the Nano centres text.
    let top = (ROWS - rows.len()) * GLYPH as usize / 2;
    for (row, text) in rows.iter().enumerate() {
        let left = (COLUMNS - text.chars().count().min(COLUMNS)) * GLYPH as usize / 2;
        for (column, c) in text.chars().enumerate() {
            for (dy, bits) in glyph(c).iter().enumerate() {
                for dx in 0..GLYPH as usize {
                    if bits & (1 << dx) == 0 {
                        continue;
                    }
                    let x = left + column * GLYPH as usize + dx;
                    let y = top + row * GLYPH as usize + dy;
                    let at = (y * width + x) * 3;
                    if let Some(pixel) = pixels.get_mut(at..at + 3) {
                        pixel.copy_from_slice(&INK);
                    }
                }
            }
        }
    }
    pixels
}

/// `screen` as a PNG file.
fn render(screen: &Screen) -> Result<Vec<u8>, ScreenshotError> {
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels(screen))?;
    writer.finish()?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_spaces_and_fit_the_screen() {
        assert_eq!(
            wrap("Message porsign test challenge"),
            ["Message porsign", "test challenge"]
        );
        assert_eq!(
            wrap("bc1qwqdg6squsna38e46795at95yu9atm8azzmyvckulcc7kytlcckxswvvzej"),
            [
                "bc1qwqdg6squsna3",
                "8e46795at95yu9at",
                "m8azzmyvckulcc7k",
                "ytlcckxswvvzej"
            ]
        );
        assert_eq!(wrap(""), [""]);
    }

    #[test]
    fn text_lights_pixels_and_an_empty_screen_stays_dark() {
        let lit = |screen: &Screen| pixels(screen).iter().filter(|&&b| b != 0).count();
        assert_eq!(lit(&Screen::default()), 0);
        let one = lit(&Screen::new(vec!["I".into()]));
        let two = lit(&Screen::new(vec!["II".into()]));
        assert!(one > 0);
        assert_eq!(two, 2 * one);
    }
}
