//! Face detection with MediaPipe's BlazeFace nets: the short-range net (128², faces within about
//! two metres) and the full-range net (192², small and distant faces), merged by weighted
//! non-maximum suppression.
//!
//! Anchor layout and box decoding follow MediaPipe's `face_detection_short_range.pbtxt` and
//! `face_detection_full_range.pbtxt` (SsdAnchorsCalculator, TensorsToDetectionsCalculator):
//! outputs are `(x, y, w, h)` offsets in input pixels relative to fixed-size anchors, followed by
//! six keypoints (the subject's right eye, left eye, nose tip, mouth, right ear, left ear).

use trueshot_geom::{Affine, Point, Rect};

use crate::ort_net::Engine;
use crate::VisionError;

/// One detected face, in analysis-image pixels until the caller maps it.
#[derive(Clone, Debug)]
pub struct Detection {
    pub bbox: Rect,
    pub score: f32,
    /// Subject's right eye, left eye, nose tip, mouth centre, right ear, left ear.
    pub keypoints: [Point; 6],
}

pub(crate) struct Detector {
    net: Engine,
    anchors: Vec<Point>,
    side: usize,
    min_score: f32,
}

impl Detector {
    pub fn short_range(net: Engine) -> Detector {
        // num_layers 4, strides [8, 16, 16, 16], interpolated scale aspect ratio 1 → 2 anchors per
        // cell per layer; the three stride-16 layers share one 8×8 grid.
        let anchors = ssd_anchors(128, &[8, 16, 16, 16], 2);
        Detector {
            net,
            anchors,
            side: 128,
            min_score: 0.5,
        }
    }
    pub fn full_range(net: Engine) -> Detector {
        // num_layers 1, stride 4, no interpolated anchor → one anchor per cell of a 48×48 grid.
        let anchors = ssd_anchors(192, &[4], 1);
        Detector {
            net,
            anchors,
            side: 192,
            min_score: 0.6,
        }
    }

    /// Runs on a letterboxed tensor; `to_analysis` maps tensor pixels to analysis pixels.
    pub fn detect(
        &self,
        tensor: Vec<f32>,
        to_analysis: &Affine,
    ) -> Result<Vec<Detection>, VisionError> {
        let outputs = self.net.run(tensor)?;
        let n = self.anchors.len();
        let sized = |width: usize| outputs.iter().find(|o| o.values.len() == n * width);
        // MediaPipe's TFLite graphs give boxes (n×16) and scores (n×1) apart; the TF.js export of
        // the full-range net gives one n×17 tensor, score first (as vladmandic/human reads it).
        let (boxes, scores): (Vec<&[f32]>, Vec<f32>) = match (sized(16), sized(1), sized(17)) {
            (Some(b), Some(s), _) => (b.values.chunks_exact(16).collect(), s.values.clone()),
            (_, _, Some(c)) => c.values.chunks_exact(17).map(|r| (&r[1..], r[0])).unzip(),
            _ => {
                return Err(VisionError::Internal(format!(
                    "{}: unexpected output layout",
                    self.net.id()
                )))
            }
        };
        let s = self.side as f32;
        let mut found = Vec::new();
        for (i, anchor) in self.anchors.iter().enumerate() {
            // MediaPipe clips raw scores to ±100 before the sigmoid.
            let score = sigmoid(scores[i].clamp(-100.0, 100.0));
            if score < self.min_score {
                continue;
            }
            let r = boxes[i];
            let cx = r[0] + anchor.x * s;
            let cy = r[1] + anchor.y * s;
            let (w, h) = (r[2], r[3]);
            if !(w > 0.0 && h > 0.0) {
                continue;
            }
            let tl = to_analysis.apply(Point::new(cx - w / 2.0, cy - h / 2.0));
            let br = to_analysis.apply(Point::new(cx + w / 2.0, cy + h / 2.0));
            let mut keypoints = [Point::default(); 6];
            for (k, kp) in keypoints.iter_mut().enumerate() {
                *kp = to_analysis.apply(Point::new(
                    r[4 + 2 * k] + anchor.x * s,
                    r[5 + 2 * k] + anchor.y * s,
                ));
            }
            found.push(Detection {
                bbox: Rect::new(tl.x, tl.y, br.x - tl.x, br.y - tl.y),
                score,
                keypoints,
            });
        }
        Ok(found)
    }

    pub fn side(&self) -> usize {
        self.side
    }
}

fn ssd_anchors(input: usize, strides: &[usize], per_layer: usize) -> Vec<Point> {
    let mut anchors = Vec::new();
    let mut layer = 0;
    while layer < strides.len() {
        // consecutive layers with the same stride share a grid
        let mut repeats = 0;
        while layer + repeats < strides.len() && strides[layer + repeats] == strides[layer] {
            repeats += 1;
        }
        let cells = input.div_ceil(strides[layer]);
        for y in 0..cells {
            for x in 0..cells {
                for _ in 0..repeats * per_layer {
                    anchors.push(Point::new(
                        (x as f32 + 0.5) / cells as f32,
                        (y as f32 + 0.5) / cells as f32,
                    ));
                }
            }
        }
        layer += repeats;
    }
    anchors
}

pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// MediaPipe's weighted non-maximum suppression: overlapping detections are averaged, weighted
/// by score, which steadies boxes and keypoints compared with keeping only the best one.
pub fn weighted_nms(mut dets: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    let mut remaining = dets;
    while !remaining.is_empty() {
        let best = remaining[0].clone();
        let (cluster, rest): (Vec<Detection>, Vec<Detection>) = remaining
            .into_iter()
            .partition(|d| best.bbox.iou(&d.bbox) > iou_threshold);
        remaining = rest;
        if cluster.len() <= 1 {
            out.push(best);
            continue;
        }
        let total: f32 = cluster.iter().map(|d| d.score).sum();
        let mut merged = best.clone();
        let (mut x, mut y, mut w, mut h) = (0.0, 0.0, 0.0, 0.0);
        let mut kps = [Point::default(); 6];
        for d in &cluster {
            let wgt = d.score / total;
            x += d.bbox.x * wgt;
            y += d.bbox.y * wgt;
            w += d.bbox.w * wgt;
            h += d.bbox.h * wgt;
            for (k, kp) in kps.iter_mut().enumerate() {
                kp.x += d.keypoints[k].x * wgt;
                kp.y += d.keypoints[k].y * wgt;
            }
        }
        merged.bbox = Rect::new(x, y, w, h);
        merged.keypoints = kps;
        out.push(merged);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_counts_match_mediapipe() {
        assert_eq!(ssd_anchors(128, &[8, 16, 16, 16], 2).len(), 896);
        assert_eq!(ssd_anchors(192, &[4], 1).len(), 2304);
    }

    #[test]
    fn nms_merges_overlaps_and_keeps_separate_faces() {
        let d = |x: f32, s: f32| Detection {
            bbox: Rect::new(x, 0.0, 10.0, 10.0),
            score: s,
            keypoints: [Point::new(x, 0.0); 6],
        };
        let out = weighted_nms(vec![d(0.0, 0.9), d(1.0, 0.6), d(50.0, 0.8)], 0.3);
        assert_eq!(out.len(), 2);
        assert!(out[0].bbox.x > 0.0 && out[0].bbox.x < 1.0);
        assert_eq!(out[1].bbox.x, 50.0);
    }
}
