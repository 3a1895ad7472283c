//! Looking for a shoot card in every frame of a headshot day: a 12 MP frame (4032 × 3024, the
//! bundled portrait enlarged) without a card, and with one held up (its code 8 pixels a module).

use image::{Rgb, RgbImage};
use trueshot_session::cards::card_modules;
use trueshot_session::find_cards;

fn main() {
    divan::main();
}

fn frame(with_card: bool) -> RgbImage {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let photo = image::open(root.join("photos/samples/obama.jpg"))
        .expect("bundled photo")
        .to_rgb8();
    let mut big =
        image::imageops::resize(&photo, 3024, 4032, image::imageops::FilterType::Triangle);
    if with_card {
        let (dark, n) = card_modules("e-001").expect("a code");
        let (x0, y0, m) = (1900u32, 2600u32, 8u32);
        let side = (n as u32 + 8) * m;
        for y in 0..side {
            for x in 0..side {
                let (col, row) = ((x / m) as usize, (y / m) as usize);
                let inside = (4..n + 4).contains(&col) && (4..n + 4).contains(&row);
                let black = inside && dark[(row - 4) * n + (col - 4)];
                let v = if black { 20 } else { 235 };
                big.put_pixel(x0 + x, y0 + y, Rgb([v, v, v]));
            }
        }
    }
    big
}

#[divan::bench(args = [false, true], sample_count = 10)]
fn find_cards_12mp(bencher: divan::Bencher, with_card: bool) {
    let f = frame(with_card);
    bencher.bench(|| {
        let found = find_cards(&f);
        assert_eq!(found.len(), usize::from(with_card));
        found.len()
    });
}
