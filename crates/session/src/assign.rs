//! Whose frame is it: shoot cards say who comes next, and faces always have the last word.
//!
//! Distances are between identity descriptors, on dlib's scale (the same person is below 0.6).
//! Below [`SAME`] a frame is given to a person with confidence; from [`SAME`] to [`DIFFERENT`] it
//! is uncertain and goes to review; from [`DIFFERENT`] up it is someone else.
//!
//! - **After a card**, a person's frames (and the face on the card frame, usually the person
//!   holding it) are grouped by face; the group that matches the reference photo, or the largest
//!   group when there is no reference, is the person. Each frame is then measured against that
//!   group: a stranger who stepped in before the next card is not given to the person.
//! - **Without a card** (frames before the first card, or a shoot without cards), frames are
//!   grouped by face (average linkage, cut at [`SAME`]); a group is given to the roster person
//!   whose reference photo or carded frames it matches with a clear margin, and is called
//!   `unknown-N` otherwise. A roster of one (a photographer's single client) without cards or
//!   a reference photo is the face most frames show.

use std::collections::BTreeMap;

use trueshot_vision::identity_distance;

/// Below this identity distance two faces are the same person, confidently.
pub const SAME: f32 = 0.5;
/// From this distance up two faces are different people (dlib's threshold).
pub const DIFFERENT: f32 = 0.6;

/// What one frame shows, in capture order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sighting<'a> {
    /// Ids on the shoot cards in the frame.
    pub cards: &'a [String],
    /// The main face's identity descriptor.
    pub face: Option<&'a [f32]>,
}

/// Who a frame belongs to.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// A shoot card: the frames after it are `id`'s until the next card.
    Card { id: String },
    /// A frame of a roster person. `distance`: from the person's face (their other frames or
    /// reference photo); `None` when the frame is the only face seen of them.
    Person { id: String, distance: Option<f32> },
    /// A frame of someone not recognised as a roster person: group `unknown-N`.
    Unknown { group: usize, distance: Option<f32> },
    /// Not given to anyone: listed for review. `near`: who it most resembles.
    Review {
        near: Option<String>,
        reason: String,
    },
    /// No face was found. `after_card`: the card it follows, if any.
    NoFace { after_card: Option<String> },
}

/// Decides whose each frame is. `roster` lists every roster id with its reference photo's
/// descriptor when there is one.
pub fn assign(sightings: &[Sighting], roster: &[(String, Option<Vec<f32>>)]) -> Vec<Verdict> {
    let mut verdicts: Vec<Option<Verdict>> = vec![None; sightings.len()];
    let listed = |id: &str| roster.iter().any(|(r, _)| r == id);
    let reference = |id: &str| {
        roster
            .iter()
            .find(|(r, _)| r == id)
            .and_then(|(_, d)| d.as_deref())
    };

    // Cards first: who each frame follows.
    let mut current: Option<String> = None;
    let mut carded: BTreeMap<String, Carded> = BTreeMap::new();
    let mut pool: Vec<usize> = Vec::new();
    for (i, s) in sightings.iter().enumerate() {
        match s.cards {
            [] => match (&current, s.face) {
                (_, None) => {
                    verdicts[i] = Some(Verdict::NoFace {
                        after_card: current.clone(),
                    })
                }
                (Some(id), Some(_)) => carded.entry(id.clone()).or_default().frames.push(i),
                (None, Some(_)) => pool.push(i),
            },
            [id] if listed(id) => {
                current = Some(id.clone());
                let entry = carded.entry(id.clone()).or_default();
                if s.face.is_some() {
                    entry.card_faces.push(i);
                }
                verdicts[i] = Some(Verdict::Card { id: id.clone() });
            }
            [id] => {
                current = None;
                verdicts[i] = Some(Verdict::Review {
                    near: None,
                    reason: format!(
                        "a shoot card for \"{id}\", who is not on the roster: the frames after it are grouped by face"
                    ),
                });
            }
            several => {
                current = None;
                verdicts[i] = Some(Verdict::Review {
                    near: None,
                    reason: format!(
                        "{} shoot cards in one frame ({}): the frames after it are grouped by face",
                        several.len(),
                        several.join(", ")
                    ),
                });
            }
        }
    }
    let face = |i: usize| sightings[i].face.unwrap_or_default();
    let d = |a: usize, b: usize| identity_distance(face(a), face(b));

    // Each carded person: their face is the group of frames that agrees with the reference, or
    // the largest group.
    let mut cores: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (id, c) in &carded {
        let members: Vec<usize> = c.frames.iter().chain(&c.card_faces).copied().collect();
        let groups = group(&members, &d);
        let core = match reference(id) {
            Some(r) => groups
                .iter()
                .map(|g| (g, median(g.iter().map(|&i| identity_distance(face(i), r)))))
                .filter(|(_, m)| *m < DIFFERENT)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(g, _)| g.clone()),
            None => {
                // Frames count first; the face on the card frame breaks a tie.
                let size = |g: &Vec<usize>| {
                    let frames = g.iter().filter(|i| c.frames.contains(i)).count();
                    (frames, g.len() - frames)
                };
                let largest = groups.iter().map(size).max().unwrap_or((0, 0));
                let mut biggest = groups.iter().filter(|g| size(g) == largest);
                match (biggest.next(), biggest.next()) {
                    (Some(g), None) if largest.0 > 0 => Some(g.clone()),
                    _ => None,
                }
            }
        };
        let Some(core) = core else {
            for &i in &c.frames {
                verdicts[i] = Some(Verdict::Review {
                    near: Some(id.clone()),
                    reason: match reference(id) {
                        Some(_) => format!(
                            "after {id}'s card, but no face there matches {id}'s reference photo"
                        ),
                        None => format!(
                            "after {id}'s card, but the faces there differ and none can be told to be {id}"
                        ),
                    },
                });
            }
            continue;
        };
        for &i in &c.frames {
            let others: Vec<usize> = core.iter().copied().filter(|&j| j != i).collect();
            let to_core = (!others.is_empty()).then(|| median(others.iter().map(|&j| d(i, j))));
            let to_ref = reference(id).map(|r| identity_distance(face(i), r));
            let distance = match (to_core, to_ref) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let far_from_ref = to_ref.is_some_and(|r| r >= DIFFERENT);
            verdicts[i] = Some(match distance {
                Some(x) if x < SAME && !far_from_ref => Verdict::Person {
                    id: id.clone(),
                    distance: Some(x),
                },
                None => Verdict::Person {
                    id: id.clone(),
                    distance: None,
                },
                Some(x) if x < DIFFERENT && !far_from_ref => Verdict::Review {
                    near: Some(id.clone()),
                    reason: format!(
                        "after {id}'s card, but not surely {id}: identity distance {x:.2} from {id}'s face (same person below {SAME})"
                    ),
                },
                Some(x) => Verdict::Review {
                    near: None,
                    reason: format!(
                        "after {id}'s card, but someone else: identity distance {x:.2} from {id}'s face (different from {DIFFERENT})"
                    ),
                },
            });
        }
        cores.insert(id.clone(), core);
    }

    // Frames without a card: grouped by face, each group given to the person it matches.
    let groups = group(&pool, &d);
    // A photographer's single client: a roster of one, no card and no reference photo. The
    // client is the face most frames show, when one group is clearly the largest.
    let sole = match roster {
        [(id, None)] if cores.is_empty() => {
            let mut sizes: Vec<(usize, usize)> = groups
                .iter()
                .enumerate()
                .map(|(k, g)| (g.len(), k))
                .collect();
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            match sizes.as_slice() {
                [(n, k), rest @ ..] if rest.first().is_none_or(|r| r.0 < *n) => {
                    Some((*k, id.clone()))
                }
                _ => None,
            }
        }
        _ => None,
    };
    let mut unknown = 0;
    for (k, g) in groups.iter().enumerate() {
        // How far the group is from each roster person's face.
        let mut matches: Vec<(String, f32)> = roster
            .iter()
            .filter_map(|(id, r)| {
                let to_core = cores.get(id).map(|core| {
                    median(
                        g.iter()
                            .flat_map(|&i| core.iter().map(move |&j| (i, j)))
                            .map(|(i, j)| d(i, j)),
                    )
                });
                let to_ref = r
                    .as_deref()
                    .map(|r| median(g.iter().map(|&i| identity_distance(face(i), r))));
                let m = match (to_core, to_ref) {
                    (Some(a), Some(b)) => a.min(b),
                    (a, b) => a.or(b)?,
                };
                Some((id.clone(), m))
            })
            .collect();
        matches.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = matches.first().cloned();
        let clear = matches.get(1).is_none_or(|second| second.1 >= DIFFERENT);
        let owner = match &best {
            _ if sole.as_ref().is_some_and(|s| s.0 == k) => {
                Owner::Person(sole.as_ref().map(|s| s.1.clone()).unwrap_or_default())
            }
            Some((id, m)) if *m < SAME && clear => Owner::Person(id.clone()),
            Some((id, m)) if *m < DIFFERENT => Owner::Doubt(id.clone(), *m),
            _ => {
                unknown += 1;
                Owner::Unknown(unknown)
            }
        };
        for &i in g {
            let others: Vec<usize> = g.iter().copied().filter(|&j| j != i).collect();
            let within = (!others.is_empty()).then(|| median(others.iter().map(|&j| d(i, j))));
            // A frame as close to another group as to its own is not sure either way.
            let torn = groups
                .iter()
                .filter(|h| !std::ptr::eq(*h, g))
                .map(|h| median(h.iter().map(|&j| d(i, j))))
                .any(|x| x < SAME);
            let unsure = torn || within.is_some_and(|w| w >= SAME);
            verdicts[i] = Some(match &owner {
                _ if unsure => Verdict::Review {
                    near: None,
                    reason: format!(
                        "no card before it, and its face is not surely one person's: identity distance {:.2} from the frames it resembles most",
                        within.unwrap_or(0.0)
                    ),
                },
                Owner::Person(id) => Verdict::Person {
                    id: id.clone(),
                    distance: within.or(best.as_ref().map(|b| b.1)),
                },
                Owner::Doubt(id, m) => Verdict::Review {
                    near: Some(id.clone()),
                    reason: format!(
                        "no card before it; it may be {id} (identity distance {m:.2}), but not surely"
                    ),
                },
                Owner::Unknown(n) => Verdict::Unknown {
                    group: *n,
                    distance: within,
                },
            });
        }
    }
    verdicts
        .into_iter()
        .map(|v| v.unwrap_or(Verdict::NoFace { after_card: None }))
        .collect()
}

/// A carded person's frames with a face, and the card frames that show a face.
#[derive(Default)]
struct Carded {
    frames: Vec<usize>,
    card_faces: Vec<usize>,
}

enum Owner {
    Person(String),
    Doubt(String, f32),
    Unknown(usize),
}

/// Groups items by average-linkage clustering of their distances, cut at [`SAME`]: in each
/// group the mean distance between its parts was below [`SAME`] when they were joined. Groups
/// are in the order of their first item.
pub fn group(items: &[usize], d: &impl Fn(usize, usize) -> f32) -> Vec<Vec<usize>> {
    let n = items.len();
    if n < 2 {
        return items.iter().map(|&i| vec![i]).collect();
    }
    let mut condensed = Vec::with_capacity(n * (n - 1) / 2);
    for a in 0..n {
        for b in a + 1..n {
            condensed.push(d(items[a], items[b]));
        }
    }
    let dendrogram = kodama::linkage(&mut condensed, n, kodama::Method::Average);
    // Cluster labels: 0..n are the items, n + k the cluster made at step k.
    let mut parent: Vec<usize> = (0..2 * n).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (k, step) in dendrogram.steps().iter().enumerate() {
        if step.dissimilarity >= SAME {
            break;
        }
        for c in [step.cluster1, step.cluster2] {
            let r = root(&mut parent, c);
            parent[r] = n + k;
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut order = Vec::new();
    for (a, &item) in items.iter().enumerate() {
        let r = root(&mut parent, a);
        if !groups.contains_key(&r) {
            order.push(r);
        }
        groups.entry(r).or_default().push(item);
    }
    order
        .into_iter()
        .filter_map(|r| groups.remove(&r))
        .collect()
}

fn median(values: impl Iterator<Item = f32>) -> f32 {
    let mut v: Vec<f32> = values.collect();
    if v.is_empty() {
        return f32::INFINITY;
    }
    v.sort_by(f32::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A descriptor at `x` along one axis: distances are differences of `x`.
    fn at(x: f32) -> Vec<f32> {
        let mut v = vec![0.0; 128];
        v[0] = x;
        v
    }

    #[test]
    fn steps_stop_at_the_cut() {
        // Kodama's steps are sorted by dissimilarity for average linkage; the cut relies on it.
        let xs: [f32; 6] = [0.0, 0.1, 0.2, 2.0, 2.1, 5.0];
        let d = |a: usize, b: usize| (xs[a] - xs[b]).abs();
        let groups = group(&[0, 1, 2, 3, 4, 5], &d);
        assert_eq!(groups, vec![vec![0, 1, 2], vec![3, 4], vec![5]]);
    }

    #[test]
    fn a_stranger_after_a_card_goes_to_review_and_the_rest_to_the_person() {
        let cards = ["ann".to_string()];
        let ann = [at(0.0), at(0.1), at(0.2), at(0.15)];
        let stranger = at(1.5);
        let mut s = vec![Sighting {
            cards: &cards,
            face: None,
        }];
        for f in ann.iter().take(2) {
            s.push(Sighting {
                cards: &[],
                face: Some(f),
            });
        }
        s.push(Sighting {
            cards: &[],
            face: Some(&stranger),
        });
        for f in ann.iter().skip(2) {
            s.push(Sighting {
                cards: &[],
                face: Some(f),
            });
        }
        let v = assign(&s, &[("ann".into(), None), ("bob".into(), None)]);
        assert_eq!(v[0], Verdict::Card { id: "ann".into() });
        assert!(matches!(&v[1], Verdict::Person { id, .. } if id == "ann"));
        assert!(
            matches!(&v[3], Verdict::Review { near: None, .. }),
            "{:?}",
            v[3]
        );
        assert!(matches!(&v[5], Verdict::Person { id, .. } if id == "ann"));
    }

    #[test]
    fn the_face_on_the_card_frame_decides_between_two_frames_that_differ() {
        let cards = ["ann".to_string()];
        let (holder, ann, stranger) = (at(0.0), at(0.1), at(2.0));
        let s = [
            Sighting {
                cards: &cards,
                face: Some(&holder),
            },
            Sighting {
                cards: &[],
                face: Some(&stranger),
            },
            Sighting {
                cards: &[],
                face: Some(&ann),
            },
        ];
        let v = assign(&s, &[("ann".into(), None)]);
        assert!(matches!(&v[1], Verdict::Review { .. }), "{:?}", v[1]);
        assert!(
            matches!(&v[2], Verdict::Person { id, .. } if id == "ann"),
            "{:?}",
            v[2]
        );
        // Without the face on the card, nothing tells them apart: both to review.
        let s = [
            Sighting {
                cards: &cards,
                face: None,
            },
            s[1],
            s[2],
        ];
        let v = assign(&s, &[("ann".into(), None)]);
        assert!(matches!(&v[1], Verdict::Review { .. }) && matches!(&v[2], Verdict::Review { .. }));
    }

    #[test]
    fn cardless_groups_go_to_their_reference_or_are_unknown() {
        let (a, b, c) = (at(0.0), at(3.0), at(6.0));
        let (a2, b2, c2) = (at(0.1), at(3.1), at(6.1));
        let s: Vec<Sighting> = [&a, &b, &a2, &c, &b2, &c2]
            .iter()
            .map(|f| Sighting {
                cards: &[],
                face: Some(f.as_slice()),
            })
            .collect();
        let roster = [("ann".to_string(), Some(at(0.05))), ("bob".into(), None)];
        let v = assign(&s, &roster);
        assert!(matches!(&v[0], Verdict::Person { id, .. } if id == "ann"));
        assert!(matches!(&v[2], Verdict::Person { id, .. } if id == "ann"));
        // Two groups without a reference: unknown-1 and unknown-2, in order of first frame.
        assert!(matches!(v[1], Verdict::Unknown { group: 1, .. }));
        assert!(matches!(v[4], Verdict::Unknown { group: 1, .. }));
        assert!(matches!(v[3], Verdict::Unknown { group: 2, .. }));
    }

    #[test]
    fn a_single_client_is_the_face_most_frames_show() {
        let (a, a2, a3, b, b2) = (at(0.0), at(0.1), at(0.05), at(3.0), at(3.1));
        let run = |fs: &[&Vec<f32>], roster: &[(String, Option<Vec<f32>>)]| {
            let s: Vec<Sighting> = fs
                .iter()
                .map(|f| Sighting {
                    cards: &[],
                    face: Some(f.as_slice()),
                })
                .collect();
            assign(&s, roster)
        };
        let one = [("client".to_string(), None)];
        // Three frames of the client, two of an assistant who stepped in.
        let v = run(&[&b, &a, &a2, &b2, &a3], &one);
        for i in [1, 2, 4] {
            assert!(
                matches!(&v[i], Verdict::Person { id, .. } if id == "client"),
                "{:?}",
                v[i]
            );
        }
        assert!(
            matches!(v[0], Verdict::Unknown { group: 1, .. }),
            "{:?}",
            v[0]
        );
        // Two groups as large as each other: nobody can say which is the client.
        let v = run(&[&a, &a2, &b, &b2], &one);
        assert!(
            v.iter().all(|v| matches!(v, Verdict::Unknown { .. })),
            "{v:?}"
        );
        // With two people on the roster, faces alone name nobody.
        let two = [("client".to_string(), None), ("other".to_string(), None)];
        let v = run(&[&a, &a2, &a3, &b], &two);
        assert!(
            v.iter().all(|v| matches!(v, Verdict::Unknown { .. })),
            "{v:?}"
        );
    }

    #[test]
    fn a_face_between_two_people_is_not_given_to_either() {
        let (a, a2, b, b2, mid) = (at(0.0), at(0.05), at(0.9), at(0.95), at(0.45));
        let s: Vec<Sighting> = [&a, &a2, &b, &b2, &mid]
            .iter()
            .map(|f| Sighting {
                cards: &[],
                face: Some(f.as_slice()),
            })
            .collect();
        let v = assign(&s, &[]);
        assert!(matches!(v[4], Verdict::Review { .. }), "{:?}", v[4]);
        assert!(matches!(v[0], Verdict::Unknown { .. }));
    }
}
