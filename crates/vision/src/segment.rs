//! The top of the head, from a person mask.
//!
//! ID photos are sized by the head's height from the chin to the crown (the top of the hair),
//! which the face mesh cannot see: it stops at the hairline. MediaPipe's selfie segmentation net
//! is run on a levelled square around the head (4 eye-to-chin units wide, the eyes a little
//! below its middle), where a 256-pixel mask gives the head's outline at about 1/60 of the
//! eye-to-chin distance. The crown is where the mask, followed up the face's axis in a band as
//! wide as the eye distance, last holds the person.

use trueshot_geom::{Affine, Point};

use crate::ort_net::Engine;
use crate::{Face, PhotoView, VisionError};

const SIDE: usize = 256;
/// Crop side in eye-to-chin units, and where the eye midpoint sits (fraction from the top).
const CROP_UNITS: f32 = 4.0;
const EYE_AT: f32 = 0.5;

pub(crate) struct Segmenter {
    pub net: Engine,
}

/// Where the crown was found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CrownSource {
    /// The person mask's top along the face's axis.
    Mask,
    /// The mask reaches the top of the photo: the head is cut off, its top is not in the picture.
    CutOff,
    /// No usable mask: a geometric estimate from the mesh.
    Estimate,
}

impl Segmenter {
    /// Eye-to-crown distance in photo pixels, measured on the person mask.
    pub fn eye_to_crown(
        &self,
        view: &PhotoView,
        face: &Face,
    ) -> Result<(f32, CrownSource), VisionError> {
        let e2c = face.eye_to_chin().max(1.0);
        let up = face.up();
        let right = Point::new(-up.y, up.x);
        let mid = face.eye_midpoint();
        let side = CROP_UNITS * e2c; // photo pixels
        let k = side / SIDE as f32; // photo pixels per tensor pixel
                                    // tensor (u, v) → photo: mid + right·k(u − S/2) − up·k(v − EYE_AT·S)
        let cu = SIDE as f32 / 2.0;
        let cv = EYE_AT * SIDE as f32;
        let to_photo = Affine {
            a: right.x * k,
            b: -up.x * k,
            c: mid.x - right.x * k * cu + up.x * k * cv,
            d: right.y * k,
            e: -up.y * k,
            f: mid.y - right.y * k * cu + up.y * k * cv,
        };
        let to_analysis =
            Affine::scale_translate(view.scale, view.scale, 0.0, 0.0).then_after(&to_photo);
        let input = view.sample(&to_analysis, SIDE, SIDE, 0.0, 1.0);
        let mask = &self.net.run(input)?[0].values;
        if mask.len() != SIDE * SIDE {
            return Err(VisionError::Internal("segmentation output size".into()));
        }
        // Band around the face's axis, as wide as the eye distance.
        let half = (0.5 * face.eye_distance() / k).clamp(2.0, 60.0) as usize;
        let (u0, u1) = (SIDE / 2 - half, SIDE / 2 + half);
        let eye_row = cv as usize;
        // Rows from the top of the crop down to the eyes: the first where most of the band is
        // person.
        let mut top = None;
        for v in 0..eye_row {
            let person = (u0..u1).filter(|&u| mask[v * SIDE + u] > 0.5).count();
            if person * 2 > u1 - u0 {
                top = Some(v);
                break;
            }
        }
        let estimate = (face.estimated_eye_to_crown(), CrownSource::Estimate);
        let Some(v) = top else {
            return Ok(estimate);
        };
        // Sub-pixel: where the band's mean crosses 0.5 between rows v-1 and v.
        let band_mean =
            |v: usize| (u0..u1).map(|u| mask[v * SIDE + u]).sum::<f32>() / (u1 - u0) as f32;
        let frac = if v > 0 {
            let (a, b) = (band_mean(v - 1), band_mean(v));
            if b > a {
                ((0.5 - a) / (b - a)).clamp(0.0, 1.0)
            } else {
                0.5
            }
        } else {
            0.0
        };
        let row = v as f32 - 1.0 + frac + 0.5;
        let dist = (cv - row) * k;
        // The crop's top row, or a row beyond the photo's top edge: the head is cut off.
        let crown_point = to_photo.apply(Point::new(cu, row));
        if v == 0 || crown_point.y <= 1.0 {
            return Ok((dist.max(estimate.0), CrownSource::CutOff));
        }
        // A mask top closer to the eyes than the forehead, or absurdly far, is not a head.
        let units = dist / e2c;
        if !(0.5..=1.6).contains(&units) {
            return Ok(estimate);
        }
        Ok((dist, CrownSource::Mask))
    }
}
