//! Printable shoot cards: one per roster person, six to a page (A4 or Letter), each with a QR
//! code of the person's roster id, their name, team and id, and cut lines. The photographer
//! photographs a person's card before their frames; [`crate::qr::find_cards`] reads it back.
//!
//! Names are printed in any script: the PDF embeds (subsetted, by krilla) DejaVu Sans, or Droid
//! Sans Fallback for a name DejaVu cannot print (Chinese, Japanese, Korean), chosen per name by
//! which font has every letter. The fonts are the system's (`fonts-dejavu-core`,
//! `fonts-droid-fallback`, installed by scripts/setup), or those in `$TRUESHOT_FONT_DIR`.

use std::path::PathBuf;
use std::sync::Arc;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use qrcode::{Color, EcLevel, QrCode};
use skrifa::instance::{LocationRef, Size};
use skrifa::MetadataProvider;

use crate::roster::{Person, Roster};

/// What a card's QR code says: this prefix, then the roster id. A QR code in the scene that is
/// not a trueshot card (a poster, a badge) is never taken for one.
pub const CARD_PREFIX: &str = "trueshot-card:";

/// Paper sizes, in points (1/72 inch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paper {
    A4,
    Letter,
}

impl Paper {
    fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::Letter => (612.0, 792.0),
        }
    }
}

impl std::str::FromStr for Paper {
    type Err = String;
    fn from_str(s: &str) -> Result<Paper, String> {
        match s.to_ascii_lowercase().as_str() {
            "a4" => Ok(Paper::A4),
            "letter" => Ok(Paper::Letter),
            _ => Err(format!("paper {s:?}: expected a4 or letter")),
        }
    }
}

/// Why cards cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// No card font has every letter of the name.
    #[error("line {line}: {id}: the name {name:?} has letters no card font can print (DejaVu Sans, Droid Sans Fallback); give the name as it should be printed")]
    Unprintable { line: u64, id: String, name: String },
    #[error("{id}: cannot make its QR code: {reason}")]
    Qr { id: String, reason: String },
    /// The card fonts are not installed.
    #[error("shoot cards need the font {file}: install fonts-dejavu-core (scripts/setup does), or put it in the folder $TRUESHOT_FONT_DIR names")]
    FontMissing { file: String },
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// Cards across and down a page.
const ACROSS: usize = 2;
const DOWN: usize = 3;
/// Page margin and the padding inside a card, in points.
const MARGIN: f32 = 30.0;
const PAD: f32 = 14.0;

/// A font and its data (for metrics and coverage).
#[derive(Clone)]
struct CardFont {
    font: Font,
    data: Arc<Vec<u8>>,
}

impl CardFont {
    fn load(file: &str, required: bool) -> Result<Option<CardFont>, CardError> {
        let dirs = std::env::var_os("TRUESHOT_FONT_DIR")
            .map(PathBuf::from)
            .into_iter()
            .chain(
                [
                    "/usr/share/fonts/truetype/dejavu",
                    "/usr/share/fonts/truetype/droid",
                    "/usr/share/fonts/TTF",
                    "/usr/local/share/fonts",
                ]
                .map(PathBuf::from),
            );
        for dir in dirs {
            if let Ok(bytes) = std::fs::read(dir.join(file)) {
                let data = Arc::new(bytes);
                if let Some(font) = Font::new(data.clone().into(), 0) {
                    return Ok(Some(CardFont { font, data }));
                }
            }
        }
        if required {
            return Err(CardError::FontMissing { file: file.into() });
        }
        Ok(None)
    }

    fn font_ref(&self) -> Option<skrifa::FontRef<'_>> {
        skrifa::FontRef::new(&self.data).ok()
    }

    /// Whether the font has a glyph for every letter.
    fn prints(&self, text: &str) -> bool {
        let Some(f) = self.font_ref() else {
            return false;
        };
        let map = f.charmap();
        text.chars()
            .all(|c| c.is_whitespace() || map.map(c).is_some_and(|g| g.to_u32() != 0))
    }

    /// The text's width in points at `size` (advances; kerning left out).
    fn width(&self, text: &str, size: f32) -> f32 {
        let Some(f) = self.font_ref() else {
            return f32::INFINITY;
        };
        let map = f.charmap();
        let metrics = f.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|c| {
                map.map(c)
                    .and_then(|g| metrics.advance_width(g))
                    .unwrap_or(size)
            })
            .sum()
    }
}

/// The card fonts: DejaVu Sans and its bold (required), Droid Sans Fallback (when installed).
struct Fonts {
    regular: CardFont,
    bold: CardFont,
    fallback: Option<CardFont>,
}

impl Fonts {
    fn load() -> Result<Fonts, CardError> {
        Ok(Fonts {
            regular: CardFont::load("DejaVuSans.ttf", true)?.ok_or_else(|| {
                CardError::FontMissing {
                    file: "DejaVuSans.ttf".into(),
                }
            })?,
            bold: CardFont::load("DejaVuSans-Bold.ttf", true)?.ok_or_else(|| {
                CardError::FontMissing {
                    file: "DejaVuSans-Bold.ttf".into(),
                }
            })?,
            fallback: CardFont::load("DroidSansFallbackFull.ttf", false)?,
        })
    }

    /// The first font that prints the whole text, preferring `first`.
    fn for_text<'a>(&'a self, first: &'a CardFont, text: &str) -> Option<&'a CardFont> {
        [Some(first), Some(&self.regular), self.fallback.as_ref()]
            .into_iter()
            .flatten()
            .find(|f| f.prints(text))
    }
}

/// The shoot cards of a roster as a PDF.
pub fn cards_pdf(roster: &Roster, paper: Paper) -> Result<Vec<u8>, CardError> {
    let fonts = Fonts::load()?;
    let (pw, ph) = paper.size();
    let (cw, ch) = (
        (pw - 2.0 * MARGIN) / ACROSS as f32,
        (ph - 2.0 * MARGIN) / DOWN as f32,
    );
    // Every name is checked before anything is drawn: an error names the first bad line.
    for p in &roster.people {
        let printable = fonts.for_text(&fonts.bold, &p.name).is_some()
            && p.team
                .as_deref()
                .is_none_or(|t| fonts.for_text(&fonts.regular, t).is_some());
        if !printable {
            return Err(CardError::Unprintable {
                line: p.line,
                id: p.id.clone(),
                name: p.name.clone(),
            });
        }
    }
    let mut document = Document::new();
    for people in roster.people.chunks(ACROSS * DOWN) {
        let settings =
            PageSettings::from_wh(pw, ph).ok_or_else(|| CardError::Pdf("bad page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for (k, person) in people.iter().enumerate() {
            let x = MARGIN + (k % ACROSS) as f32 * cw;
            let top = MARGIN + (k / ACROSS) as f32 * ch;
            card(&mut surface, &fonts, person, x, top, cw, ch)?;
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| CardError::Pdf(format!("{e:?}")))
}

/// The dark modules of a card's QR code (quiet zone not included) and its width in modules.
pub fn card_modules(id: &str) -> Result<(Vec<bool>, usize), CardError> {
    let code = QrCode::with_error_correction_level(format!("{CARD_PREFIX}{id}"), EcLevel::Q)
        .map_err(|e| CardError::Qr {
            id: id.into(),
            reason: e.to_string(),
        })?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((dark, width))
}

fn black() -> Fill {
    Fill {
        paint: rgb::Color::new(0, 0, 0).into(),
        ..Fill::default()
    }
}

/// One card with its top-left corner at (x, top) (y grows downwards).
fn card(
    s: &mut Surface,
    fonts: &Fonts,
    p: &Person,
    x: f32,
    top: f32,
    w: f32,
    h: f32,
) -> Result<(), CardError> {
    let unprintable = || CardError::Unprintable {
        line: p.line,
        id: p.id.clone(),
        name: p.name.clone(),
    };
    // Cut lines: light grey, thin.
    let mut cut = PathBuilder::new();
    if let Some(r) = Rect::from_xywh(x, top, w, h) {
        cut.push_rect(r);
    }
    if let Some(path) = cut.finish() {
        s.set_fill(None);
        s.set_stroke(Some(Stroke {
            paint: rgb::Color::new(191, 191, 191).into(),
            width: 0.5,
            ..Stroke::default()
        }));
        s.draw_path(&path);
        s.set_stroke(None);
    }
    s.set_fill(Some(black()));
    // Below, from the card's bottom edge up: the id, the team and the name (as large as fits, on
    // up to two lines). Above them, the QR code with its quiet zone of four modules.
    let width = w - 2.0 * PAD;
    let mut baseline = top + h - PAD;
    let put = |s: &mut Surface, font: &CardFont, size: f32, text: &str, y: f32| {
        s.draw_text(
            Point::from_xy(x + PAD, y),
            font.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    };
    put(s, &fonts.regular, 9.0, &format!("ID {}", p.id), baseline);
    baseline -= 14.0;
    if let Some(team) = p.team.as_deref().filter(|t| !t.is_empty()) {
        let font = fonts
            .for_text(&fonts.regular, team)
            .ok_or_else(unprintable)?;
        put(s, font, 11.0, team, baseline);
        baseline -= 16.0;
    }
    let font = fonts
        .for_text(&fonts.bold, &p.name)
        .ok_or_else(unprintable)?;
    let (size, lines) = fit_name(font, &p.name, width);
    for line in lines.iter().rev() {
        put(s, font, size, line, baseline);
        baseline -= size * 1.15;
    }
    let text_top = baseline + size * 0.15;
    let (dark, n) = card_modules(&p.id)?;
    let side = (text_top - top - 2.0 * PAD).min(0.6 * w);
    let module = side / (n + 8) as f32;
    let (qx, qy) = (x + PAD, top + PAD);
    let mut code = PathBuilder::new();
    for row in 0..n {
        // Runs of dark modules as one rectangle each.
        let mut col = 0;
        while col < n {
            if !dark[row * n + col] {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && dark[row * n + col] {
                col += 1;
            }
            if let Some(r) = Rect::from_xywh(
                qx + (4 + start) as f32 * module,
                qy + (4 + row) as f32 * module,
                (col - start) as f32 * module,
                module,
            ) {
                code.push_rect(r);
            }
        }
    }
    if let Some(path) = code.finish() {
        s.draw_path(&path);
    }
    // Beside the code: what to do with the card.
    let tx = qx + side + 4.0;
    let mut ty = top + PAD + 12.0;
    for line in [
        "Hold this card up to",
        "the camera for one",
        "frame, then smile.",
    ] {
        s.draw_text(
            Point::from_xy(tx, ty),
            fonts.regular.font.clone(),
            9.0,
            line,
            false,
            TextDirection::Auto,
        );
        ty += 12.0;
    }
    Ok(())
}

/// The name's font size and lines: 18 pt on one line when it fits, else on two lines at the
/// largest size that fits (split at the space nearest the middle), down to 9 pt; longer names
/// are cut with an ellipsis (the id below names the person).
fn fit_name(font: &CardFont, name: &str, width: f32) -> (f32, Vec<String>) {
    let fits = |s: &str, size: f32| font.width(s, size) <= width;
    for size in [18.0, 16.0, 14.0, 12.0, 11.0, 10.0, 9.0] {
        if fits(name, size) {
            return (size, vec![name.to_string()]);
        }
        let chars: Vec<char> = name.chars().collect();
        let spaces = chars.iter().enumerate().filter(|(_, c)| c.is_whitespace());
        if let Some((at, _)) = spaces.min_by_key(|(i, _)| i.abs_diff(chars.len() / 2)) {
            let a: String = chars[..at].iter().collect();
            let b: String = chars[at + 1..].iter().collect();
            if fits(&a, size) && fits(&b, size) {
                return (size, vec![a, b]);
            }
        }
    }
    let mut cut: String = String::new();
    for c in name.chars() {
        if !fits(&format!("{cut}{c}…"), 9.0) {
            break;
        }
        cut.push(c);
    }
    cut.push('…');
    (9.0, vec![cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, line: u64) -> Person {
        Person {
            id: format!("{line}"),
            name: name.into(),
            email: None,
            team: None,
            reference: None,
            line,
        }
    }

    #[test]
    fn names_in_any_script_print_and_the_font_is_chosen_by_its_letters() {
        let fonts = Fonts::load().expect("fonts-dejavu-core (scripts/setup installs it)");
        for name in [
            "José Müller-Øster",
            "Łukasz Dvořák",
            "Şahin Çelik",
            "Ольга Петрова",
            "Σωκράτης Παππάς",
        ] {
            assert!(fonts.bold.prints(name), "{name}");
        }
        assert!(!fonts.bold.prints("李雷"));
        let fallback = fonts.fallback.as_ref().expect("fonts-droid-fallback");
        assert!(fallback.prints("李雷"));
        assert!(std::ptr::eq(
            fonts.for_text(&fonts.bold, "李雷").unwrap(),
            fallback
        ));
        let roster = Roster {
            people: vec![
                person("Łukasz Dvořák", 2),
                person("李雷", 3),
                person("Ольга", 4),
            ],
        };
        let pdf = cards_pdf(&roster, Paper::A4).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // A letter no font has: refused with its line, nothing printed wrong.
        let roster = Roster {
            people: vec![person("Ada", 2), person("\u{1F642} Smiley", 9)],
        };
        let e = cards_pdf(&roster, Paper::A4).unwrap_err().to_string();
        assert!(e.starts_with("line 9: 9: the name"), "{e}");
    }

    #[test]
    fn long_names_fit_on_two_lines() {
        let fonts = Fonts::load().expect("fonts-dejavu-core (scripts/setup installs it)");
        let (size, lines) = fit_name(
            &fonts.bold,
            "Maria Fernanda de los Angeles Gutierrez",
            233.0,
        );
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(size >= 10.0, "{size}");
        let (size, lines) = fit_name(&fonts.bold, "Ada Lovelace", 233.0);
        assert_eq!((size, lines.len()), (18.0, 1));
        let long = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessenschafewarenwohlgepflegeundsorgfaltigkeitbeschutzenvonangreifendurchihrraubgierigfeinde";
        let (size, lines) = fit_name(&fonts.bold, long, 233.0);
        assert_eq!((size, lines.len()), (9.0, 1));
        assert!(lines[0].ends_with('…'));
        assert!(fonts.bold.width(&lines[0], 9.0) <= 233.0);
    }
}
