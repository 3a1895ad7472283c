//! When a photo was taken, for putting a shoot's frames in the order they were shot.
//!
//! Read from the EXIF data of any container the reader knows (JPEG, TIFF, PNG, WebP, HEIF):
//! `DateTimeOriginal` with its `SubSecTimeOriginal`, falling back to `DateTime`. Nothing else of
//! the EXIF data is kept (no camera serial, no GPS).

use std::io::Cursor;

use exif::{In, Tag, Value};

/// When a frame was taken, as the camera wrote it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaptureTime {
    /// `YYYY-MM-DD HH:MM:SS.fffffffff`, the camera's local time: sorting the text sorts the time.
    pub local: String,
}

impl CaptureTime {
    /// Seconds between two capture times (positive when `later` is later), when both are on the
    /// same day; a burst is never split across midnight in practice.
    pub fn seconds_until(&self, later: &CaptureTime) -> Option<f64> {
        fn secs(t: &CaptureTime) -> Option<(&str, f64)> {
            let (day, time) = t.local.split_once(' ')?;
            let mut parts = time.split(':');
            let h: f64 = parts.next()?.parse().ok()?;
            let m: f64 = parts.next()?.parse().ok()?;
            let s: f64 = parts.next()?.parse().ok()?;
            Some((day, h * 3600.0 + m * 60.0 + s))
        }
        let (d0, s0) = secs(self)?;
        let (d1, s1) = secs(later)?;
        (d0 == d1).then_some(s1 - s0)
    }
}

/// The capture time in a photo's EXIF data, when it has one that parses.
pub fn capture_time(bytes: &[u8]) -> Option<CaptureTime> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()?;
    let ascii = |tag: Tag| -> Option<&[u8]> {
        match &exif.get_field(tag, In::PRIMARY)?.value {
            Value::Ascii(v) => v.first().map(Vec::as_slice),
            _ => None,
        }
    };
    let (stamp, subsec) = match ascii(Tag::DateTimeOriginal) {
        Some(s) => (s, ascii(Tag::SubSecTimeOriginal)),
        None => (ascii(Tag::DateTime)?, ascii(Tag::SubSecTime)),
    };
    let mut t = exif::DateTime::from_ascii(stamp).ok()?;
    if let Some(sub) = subsec {
        // A damaged sub-second field only loses the sub-seconds.
        let _ = t.parse_subsec(sub);
    }
    let valid = (1..=12).contains(&t.month)
        && (1..=31).contains(&t.day)
        && t.hour < 24
        && t.minute < 60
        && t.second < 61;
    valid.then(|| CaptureTime {
        local: format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:09}",
            t.year,
            t.month,
            t.day,
            t.hour,
            t.minute,
            t.second,
            t.nanosecond.unwrap_or(0)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(rel: &str) -> Vec<u8> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../photos");
        std::fs::read(root.join(rel)).expect("bundled photo")
    }

    #[test]
    fn the_camera_time_of_a_real_photo_is_read() {
        // The Situation Room photo's EXIF: a Canon EOS 5D Mark II, 1 May 2011.
        let t = capture_time(&photo("test/situation_room.jpg")).expect("has EXIF time");
        assert!(t.local.starts_with("2011-05-01 "), "{}", t.local);
    }

    #[test]
    fn photos_without_exif_time_have_none() {
        assert_eq!(capture_time(&photo("samples/astronaut.png")), None);
        assert_eq!(capture_time(b"not a photo"), None);
        assert_eq!(capture_time(&[]), None);
    }

    #[test]
    fn seconds_between_times_of_one_day() {
        let a = CaptureTime {
            local: "2026-12-07 10:59:59.500000000".into(),
        };
        let b = CaptureTime {
            local: "2026-12-07 11:00:01.000000000".into(),
        };
        assert_eq!(a.seconds_until(&b), Some(1.5));
        let c = CaptureTime {
            local: "2026-12-08 11:00:01.000000000".into(),
        };
        assert_eq!(a.seconds_until(&c), None);
    }
}
