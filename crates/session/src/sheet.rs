//! The session report for people: `session.csv` (one row per frame, for a spreadsheet) and
//! `session.html` (the contact sheet, grouped by person: the pick's headshots and why it won,
//! the runners-up, the rejected frames with why, and the frames that matched nobody).

use trueshot_pipeline::batch::{csv_writer, html_escape, neutralised, url_escape};

use crate::day::{FrameRef, PersonReport, PersonStatus, SessionReport};

/// One row per frame, in capture order: who it went to and what became of it.
pub fn csv(report: &SessionReport) -> std::io::Result<Vec<u8>> {
    let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
    let mut row = |f: &FrameRef, person: &str, role: &str, score: Option<f32>, note: &str| {
        rows.push((
            f.order,
            vec![
                f.order.to_string(),
                neutralised(&f.name),
                neutralised(&f.file.display().to_string()),
                f.time.clone().unwrap_or_default(),
                neutralised(person),
                role.to_string(),
                score.map(|s| format!("{s:.3}")).unwrap_or_default(),
                neutralised(note),
            ],
        ));
    };
    for p in report.people.iter().chain(&report.unknown) {
        for (k, pick) in p.picks.iter().enumerate() {
            let role = if k == 0 { "pick" } else { "proof" };
            let note = if k == 0 {
                pick.why.clone()
            } else {
                String::new()
            };
            row(&pick.frame, &p.id, role, Some(pick.score), &note);
        }
        for r in &p.runners_up {
            row(&r.frame, &p.id, "runner-up", Some(r.score), "");
        }
        for n in &p.rejected {
            row(&n.frame, &p.id, "rejected", None, &n.reason);
        }
    }
    for n in &report.cards {
        row(&n.frame, n.near.as_deref().unwrap_or(""), "card", None, "");
    }
    for n in &report.review {
        row(&n.frame, "", "review", None, &n.reason);
    }
    for n in &report.unreadable {
        row(&n.frame, "", "unreadable", None, &n.reason);
    }
    rows.sort_by_key(|(order, _)| *order);
    let mut w = csv_writer();
    let header = [
        "order", "frame", "file", "time", "person", "role", "score", "note",
    ];
    w.write_record(header).map_err(std::io::Error::other)?;
    for (_, r) in rows {
        w.write_record(&r).map_err(std::io::Error::other)?;
    }
    w.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// The contact sheet: one section per roster person, then unknown people, then review.
pub fn html(report: &SessionReport) -> String {
    let c = &report.counts;
    let mut body = format!(
        "<h1>Headshot day: {roster}</h1>\n<p>{frames} frames; guideline {guide}. \
         {done} done, {no_frames} without frames, {unusable} with only unusable frames, \
         {review} in review, {failed} failed; {unknown} people not on the roster; \
         {in_review} frames to review.</p>\n",
        roster = html_escape(&report.roster),
        frames = report.frames,
        guide = html_escape(&report.guideline.name),
        done = c.done,
        no_frames = c.no_frames,
        unusable = c.unusable,
        review = c.review,
        failed = c.failed,
        unknown = report.unknown.len(),
        in_review = report.review.len(),
    );
    for p in &report.people {
        body.push_str(&person(p));
    }
    if !report.unknown.is_empty() {
        body.push_str("<h2>Not on the roster</h2>\n");
        for p in &report.unknown {
            body.push_str(&person(p));
        }
    }
    if !report.review.is_empty() {
        body.push_str("<h2>Frames to review</h2>\n<div class=\"row\">");
        for n in &report.review {
            body.push_str(&figure(&n.frame, &n.reason));
        }
        body.push_str("</div>\n");
    }
    if !report.unreadable.is_empty() {
        body.push_str("<h2>Frames that could not be read</h2>\n<ul>");
        for n in &report.unreadable {
            body.push_str(&format!("<li>{}</li>", html_escape(&n.reason)));
        }
        body.push_str("</ul>\n");
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Headshot day: {}</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n",
        html_escape(&report.roster)
    )
}

const STYLE: &str = "body{font:15px/1.4 system-ui,sans-serif;margin:2rem;color:#1d1d1f;background:#fff}\
section{border-top:1px solid #ccc;padding:1rem 0}\
h2{margin:.2rem 0;font-size:1.2rem}.status{font-weight:600}.done{color:#1a6b2c}.problem{color:#a3121c}\
.row{display:flex;flex-wrap:wrap;gap:.8rem;align-items:flex-start}\
figure{margin:0;max-width:220px}figure img{max-width:220px;max-height:220px;display:block}\
figcaption{font-size:13px;color:#444}.pick img{outline:3px solid #1a6b2c}";

fn person(p: &PersonReport) -> String {
    let (class, status) = match p.status {
        PersonStatus::Done => ("done", "done"),
        PersonStatus::NoFrames => ("problem", "no frames"),
        PersonStatus::Unusable => ("problem", "only unusable frames"),
        PersonStatus::Review => ("problem", "frames in review"),
        PersonStatus::Failed => ("problem", "no headshot could be made"),
    };
    let mut s = format!(
        "<section id=\"{id}\"><h2>{name} <small>({id}{team})</small></h2>\
         <p class=\"status {class}\">{status}{why}</p>\n",
        id = html_escape(&p.id),
        name = html_escape(if p.name.is_empty() { &p.id } else { &p.name }),
        team = p
            .team
            .as_deref()
            .map(|t| format!(", {}", html_escape(t)))
            .unwrap_or_default(),
        why = p
            .why
            .as_deref()
            .map(|w| format!(": {}", html_escape(w)))
            .unwrap_or_default(),
    );
    if let Some(r) = &p.reference {
        s.push_str(&format!("<p>Reference photo {}</p>", html_escape(r)));
    }
    s.push_str("<div class=\"row\">");
    for (k, pick) in p.picks.iter().enumerate() {
        let shown = pick
            .outputs
            .iter()
            .find(|f| f.ends_with(".jpg") || f.ends_with(".png") || f.ends_with(".webp"))
            .cloned()
            .unwrap_or_else(|| pick.frame.thumb.clone());
        let title = if k == 0 { "Pick" } else { "Proof" };
        s.push_str(&format!(
            "<figure class=\"pick\"><a href=\"{file}\"><img src=\"{file}\" alt=\"{title}: headshot from frame {frame}\" loading=\"lazy\"></a>\
             <figcaption>{title} ({score:.2}): frame {frame}<br>{why}</figcaption></figure>",
            file = url_escape(&shown),
            frame = html_escape(&pick.frame.name),
            score = pick.score,
            why = html_escape(&pick.why),
        ));
    }
    for r in &p.runners_up {
        s.push_str(&figure(
            &r.frame,
            &format!("runner-up ({:.2}), burst {}", r.score, r.burst + 1),
        ));
    }
    for n in &p.rejected {
        s.push_str(&figure(&n.frame, &format!("rejected: {}", n.reason)));
    }
    s.push_str("</div></section>\n");
    s
}

fn figure(f: &FrameRef, caption: &str) -> String {
    format!(
        "<figure><img src=\"{thumb}\" alt=\"frame {name}\" loading=\"lazy\">\
         <figcaption>{name}{time}: {caption}</figcaption></figure>",
        thumb = url_escape(&f.thumb),
        name = html_escape(&f.name),
        time = f
            .time
            .as_deref()
            .map(|t| format!(" ({})", html_escape(&t[..t.len().min(19)])))
            .unwrap_or_default(),
        caption = html_escape(caption),
    )
}
