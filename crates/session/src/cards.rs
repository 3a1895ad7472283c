//! Printable shoot cards: one per roster person, six to a page (A4 or Letter), each with a QR
//! code of the person's roster id, their name, team and id, and cut lines. The photographer
//! photographs a person's card before their frames; [`crate::qr::find_cards`] reads it back.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use qrcode::{Color, EcLevel, QrCode};

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
    /// The card's built-in font (Helvetica, Latin-1) cannot print the name.
    #[error("line {line}: {id}: the name {name:?} has letters the card's font cannot print (it prints Latin-1: Western European names); give the name in Latin letters in the roster")]
    Unprintable { line: u64, id: String, name: String },
    #[error("{id}: cannot make its QR code: {reason}")]
    Qr { id: String, reason: String },
}

/// Cards across and down a page.
const ACROSS: usize = 2;
const DOWN: usize = 3;
/// Page margin and the padding inside a card, in points.
const MARGIN: f32 = 30.0;
const PAD: f32 = 14.0;

/// The shoot cards of a roster as a PDF.
pub fn cards_pdf(roster: &Roster, paper: Paper) -> Result<Vec<u8>, CardError> {
    let (pw, ph) = paper.size();
    let per_page = ACROSS * DOWN;
    let pages: Vec<&[Person]> = roster.people.chunks(per_page).collect();
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let page_ref = |i: usize| Ref::new(5 + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(6 + 2 * i as i32);
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids((0..pages.len()).map(page_ref))
        .count(pages.len() as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let (cw, ch) = (
        (pw - 2.0 * MARGIN) / ACROSS as f32,
        (ph - 2.0 * MARGIN) / DOWN as f32,
    );
    for (i, people) in pages.iter().enumerate() {
        let mut c = Content::new();
        for (k, person) in people.iter().enumerate() {
            let x = MARGIN + (k % ACROSS) as f32 * cw;
            // PDF's y goes up: the first row is at the top.
            let y = ph - MARGIN - (k / ACROSS + 1) as f32 * ch;
            card(&mut c, person, x, y, cw, ch)?;
        }
        let mut page = pdf.page(page_ref(i));
        page.media_box(Rect::new(0.0, 0.0, pw, ph))
            .parent(tree)
            .contents(content_ref(i));
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), regular);
        fonts.pair(Name(b"F2"), bold);
        fonts.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_ref(i), &c.finish());
    }
    Ok(pdf.finish())
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

/// One card with its bottom-left corner at (x, y).
fn card(c: &mut Content, p: &Person, x: f32, y: f32, w: f32, h: f32) -> Result<(), CardError> {
    let unprintable = || CardError::Unprintable {
        line: p.line,
        id: p.id.clone(),
        name: p.name.clone(),
    };
    let name = win_ansi(&p.name).ok_or_else(unprintable)?;
    let team = p.team.as_deref().map(win_ansi).unwrap_or(Some(Vec::new()));
    let team = team.ok_or_else(unprintable)?;
    // Cut lines: light grey, thin.
    c.set_stroke_gray(0.75).set_line_width(0.5);
    c.rect(x, y, w, h).stroke();
    // Below, from the card's bottom edge up: the id, the team and the name (as large as fits, on
    // up to two lines). Above them, the QR code with its quiet zone of four modules.
    let width = w - 2.0 * PAD;
    let (size, lines) = fit_name(&name, width);
    let mut ty = y + PAD;
    text(
        c,
        b"F1",
        9.0,
        x + PAD,
        ty,
        format!("ID {}", p.id).as_bytes(),
    );
    ty += 14.0;
    if !team.is_empty() {
        text(c, b"F1", 11.0, x + PAD, ty, &team);
        ty += 16.0;
    }
    for line in lines.iter().rev() {
        text(c, b"F2", size, x + PAD, ty, line);
        ty += size * 1.15;
    }
    let (dark, n) = card_modules(&p.id)?;
    let side = (y + h - PAD - ty).min(0.6 * w);
    let module = side / (n + 8) as f32;
    let (qx, qy) = (x + PAD, y + h - PAD - side);
    c.set_fill_gray(0.0);
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
            c.rect(
                qx + (4 + start) as f32 * module,
                qy + side - (4 + row + 1) as f32 * module,
                (col - start) as f32 * module,
                module,
            );
        }
    }
    c.fill_nonzero();
    // Beside the code: what to do with the card.
    let tx = qx + side + 4.0;
    let hint = [
        "Hold this card up to",
        "the camera for one",
        "frame, then smile.",
    ];
    let mut ty = y + h - PAD - 12.0;
    for line in hint {
        text(c, b"F1", 9.0, tx, ty, line.as_bytes());
        ty -= 12.0;
    }
    Ok(())
}

fn text(c: &mut Content, font: &[u8], size: f32, x: f32, y: f32, bytes: &[u8]) {
    c.begin_text()
        .set_font(Name(font), size)
        .next_line(x, y)
        .show(Str(bytes))
        .end_text();
}

/// The name's font size and lines: 18 pt on one line when it fits, else on two lines at the
/// largest size that fits, down to 9 pt (Helvetica Bold's widest letters are about 0.72 em; its
/// average about 0.6).
fn fit_name(name: &[u8], width: f32) -> (f32, Vec<Vec<u8>>) {
    let fits = |s: &[u8], size: f32| s.len() as f32 * 0.6 * size <= width;
    for size in [18.0, 16.0, 14.0, 12.0, 11.0, 10.0, 9.0] {
        if fits(name, size) {
            return (size, vec![name.to_vec()]);
        }
        // Split at the space nearest the middle.
        let spaces = name.iter().enumerate().filter(|(_, b)| **b == b' ');
        if let Some((at, _)) = spaces.min_by_key(|(i, _)| i.abs_diff(name.len() / 2)) {
            let (a, b) = (&name[..at], &name[at + 1..]);
            if fits(a, size) && fits(b, size) {
                return (size, vec![a.to_vec(), b.to_vec()]);
            }
        }
    }
    // Longer than two lines at 9 pt: cut, with an ellipsis (the id below names the person).
    let keep = (width / (0.6 * 9.0)) as usize;
    let mut cut = name[..keep.min(name.len()).saturating_sub(1)].to_vec();
    cut.push(0x85);
    (9.0, vec![cut])
}

/// A text in the WinAnsi encoding of the built-in PDF fonts; `None` when a character has no
/// place there.
fn win_ansi(s: &str) -> Option<Vec<u8>> {
    s.chars()
        .map(|c| match c as u32 {
            0x20..=0x7e | 0xa0..=0xff => Some(c as u8),
            _ => match c {
                '€' => Some(0x80),
                '‚' => Some(0x82),
                '„' => Some(0x84),
                '…' => Some(0x85),
                '‘' => Some(0x91),
                '’' => Some(0x92),
                '“' => Some(0x93),
                '”' => Some(0x94),
                '–' => Some(0x96),
                '—' => Some(0x97),
                'Š' => Some(0x8a),
                'š' => Some(0x9a),
                'Œ' => Some(0x8c),
                'œ' => Some(0x9c),
                'Ž' => Some(0x8e),
                'ž' => Some(0x9e),
                'Ÿ' => Some(0x9f),
                _ => None,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn western_names_print_and_others_are_refused_by_line() {
        assert_eq!(
            win_ansi("José Müller-Øster"),
            Some(b"Jos\xe9 M\xfcller-\xd8ster".to_vec())
        );
        assert_eq!(win_ansi("Šťastný"), None);
        let roster = Roster {
            people: vec![Person {
                id: "7".into(),
                name: "李雷".into(),
                email: None,
                team: None,
                reference: None,
                line: 9,
            }],
        };
        let e = cards_pdf(&roster, Paper::A4).unwrap_err().to_string();
        assert!(e.starts_with("line 9: 7: the name"), "{e}");
    }

    #[test]
    fn long_names_fit_on_two_lines() {
        let (size, lines) = fit_name(b"Maria Fernanda de los Angeles Gutierrez", 233.0);
        assert_eq!(lines.len(), 2);
        assert!(size >= 11.0, "{size}");
        let (size, lines) = fit_name(b"Ada Lovelace", 233.0);
        assert_eq!((size, lines.len()), (18.0, 1));
    }
}
