//! Writes a headshot day's shoot for the whole-run benchmark (`scripts/bench`): four people from
//! the bundled photos, each after their shoot card, in 12 MP frames (3024×4032, JPEG q90 with
//! EXIF capture times), N frames each (good ones, bursts, soft and dark copies), a stranger, and
//! the roster. The same generator as the CI shoot (`tests/common/shoot.rs`).
//! Usage: make_shoot DIR N TRUESHOT_BINARY

#[path = "../tests/common/photos.rs"]
#[allow(dead_code)]
mod photos;
#[path = "../tests/common/shoot.rs"]
#[allow(dead_code)]
mod shoot;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, n, trueshot] = args.as_slice() else {
        panic!("usage: make_shoot DIR FRAMES_PER_PERSON TRUESHOT_BINARY");
    };
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir).expect("DIR");
    let made = shoot::build(
        dir,
        &shoot::Plan {
            size: (3024, 4032),
            per_person: n.parse().expect("FRAMES_PER_PERSON"),
            cards: true,
        },
        std::path::Path::new(trueshot),
    );
    eprintln!(
        "{}: {} frames of 12 MP",
        dir.join("shoot").display(),
        made.frames.len()
    );
}
