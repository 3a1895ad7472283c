//! The filters the matting stages are built from, on planes the size the corporate headshots
//! use (the web headshot's coefficients at a third of 1200×1500, and its full size).

use trueshot_matte::Plane;

fn main() {
    divan::main();
}

fn textured(w: usize, h: usize) -> Plane {
    Plane::from_fn(w, h, |x, y| {
        (((x * 7 + y * 13) % 29) as f32 / 29.0) * 0.5 + ((x / 40 + y / 50) % 2) as f32 * 0.5
    })
}

#[divan::bench(args = [2, 6, 22])]
fn box_mean_400x500(bencher: divan::Bencher, r: usize) {
    let p = textured(400, 500);
    bencher.bench(|| p.box_mean(r).data[0]);
}

#[divan::bench]
fn box_mean_1200x1500_r6(bencher: divan::Bencher) {
    let p = textured(1200, 1500);
    bencher.bench(|| p.box_mean(6).data[0]);
}
