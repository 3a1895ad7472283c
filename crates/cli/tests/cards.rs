//! Shoot cards for a headshot day: `trueshot cards` prints a roster's cards to PDF; an
//! independent reader (poppler's `pdftoppm`, installed by scripts/setup) turns the pages into
//! pixels; every card's QR code reads back as its person's id, on the page and photographed
//! small, tilted, in perspective, shadowed, noisy and soft inside a real photo. A bad roster is
//! refused with the line and the reason.

#[path = "common/photos.rs"]
#[allow(dead_code)]
mod photos;
#[path = "common/shoot.rs"]
#[allow(dead_code)]
mod shoot;

use std::path::PathBuf;
use std::process::Command;

use photos::root;
use shoot::{card_at, hold_card, pages};
use trueshot_session::find_cards;

fn trueshot() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trueshot"))
}

fn scratch(name: &str) -> PathBuf {
    shoot::scratch("cards", name)
}

const ROSTER: &str = "id,name,team,email\n\
e-001,Ada Lovelace,Research,ada@example.com\n\
e-002,José Müller-Øster,Sales,jose@example.com\n\
e-003,Maria Fernanda de los Angeles Gutierrez,People,\n\
e-004,Łukasz Dvořák,Praha,\n\
e-005,李雷,北京办公室,\n\
e-006,Ольга Петрова,Flight,\n\
e-007,Dorothy Vaughan,Flight,\n";

#[test]
fn every_card_reads_back_as_its_person_on_paper_and_in_a_photo() {
    let dir = scratch("ok");
    std::fs::write(dir.join("people.csv"), ROSTER).unwrap();
    let pdf = dir.join("cards.pdf");
    shoot::print_cards(
        std::path::Path::new(env!("CARGO_BIN_EXE_trueshot")),
        &dir.join("people.csv"),
        &pdf,
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    // Every name is in the PDF as text in its own script (poppler's pdftotext reads it back
    // through the embedded fonts' Unicode maps), the team too.
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; scripts/setup installs it)");
    let text = String::from_utf8_lossy(&text.stdout);
    for name in [
        "José Müller-Øster",
        "Łukasz Dvořák",
        "李雷",
        "北京办公室",
        "Ольга Петрова",
        "ID e-007",
    ] {
        assert!(text.contains(name), "{name} not in {text}");
    }
    // Letter at 150 dpi: 1275 × 1650 pixels; seven people on two pages.
    let pages = pages(&pdf, 150);
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].dimensions(), (1275, 1650));
    // Each card, cut out as the photographer cuts it: it reads as its person.
    let mut ids: Vec<String> = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        for k in 0..6 {
            let found = find_cards(&card_at(page, k));
            assert!(found.len() <= 1, "page {i} card {k}: {found:?}");
            ids.extend(found.into_iter().map(|c| c.id));
        }
    }
    assert_eq!(
        ids,
        ["e-001", "e-002", "e-003", "e-004", "e-005", "e-006", "e-007"]
    );

    // The first card, held up in front of a real photo: its code about 11 % of the frame's width,
    // turned 20°, in perspective, with a shadow across it, sensor noise and a soft lens.
    let card = card_at(&pages[0], 0);
    // The bundled photo at a camera's resolution (2730 px wide, as a 12 MP frame would show the
    // card): the code's modules are then about 6 pixels, 3 in the 1600-pixel search.
    let small = image::open(root().join("photos/samples/obama.jpg"))
        .unwrap()
        .to_rgb8();
    let mut photo = image::imageops::resize(
        &small,
        3 * small.width(),
        3 * small.height(),
        image::imageops::FilterType::Triangle,
    );
    let (w, h) = (photo.width() as f32, photo.height() as f32);
    let (cx, cy, s) = (0.72 * w, 0.7 * h, 0.17 * w);
    // The card's left edge nearer the camera than its right: a trapezoid.
    hold_card(&mut photo, &card, (0.72, 0.7, 0.17), 20.0, 0.08);
    photo.save(dir.join("card-in-photo.png")).unwrap();
    let found = find_cards(&photo);
    assert_eq!(
        found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["e-001"],
        "see {}",
        dir.join("card-in-photo.png").display()
    );
    // The card's corners are where it was put.
    let (fx, fy) = found[0].corners[0];
    assert!(
        (fx - cx).abs() < s && (fy - cy).abs() < s,
        "{:?}",
        found[0].corners
    );

    // A photo without a card has none.
    for name in ["grace_hopper.jpg", "biden.jpg"] {
        let p = image::open(root().join("photos/samples").join(name))
            .unwrap()
            .to_rgb8();
        assert!(find_cards(&p).is_empty(), "{name}");
    }
}

#[test]
fn a_bad_roster_is_refused_with_its_line() {
    let dir = scratch("bad");
    for (text, want) in [
        (
            "id,name\ne-1,Ada\ne-1,Grace\n",
            "people.csv, line 3: the id e-1 is already on line 2",
        ),
        (
            "name,team\nAda,R\n",
            "people.csv, line 1: the header must name the columns `id` and `name`",
        ),
        (
            "id,name\n7,Ada \u{1F642}\n",
            "line 2: 7: the name \"Ada \u{1F642}\" has letters no card font can print",
        ),
    ] {
        std::fs::write(dir.join("people.csv"), text).unwrap();
        let out = trueshot()
            .args(["cards", "people.csv", "--out", "cards.pdf"])
            .current_dir(&dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
        assert!(
            !dir.join("cards.pdf").exists(),
            "nothing written for a bad roster"
        );
    }
}
