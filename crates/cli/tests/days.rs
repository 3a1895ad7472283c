//! Headshot days on the real `trueshot serve`, over HTTP on loopback: an admin creates a day
//! from HR's roster, uploads the shoot as a ZIP, and the queue sorts it; each roster person
//! signs in through their invite, sees only their own best frames as finished headshots,
//! chooses one or asks for a retake; the admin follows the roster, overrides a choice and
//! exports the chosen headshots. A photographer's single client uses the same flow.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;
use common::{add_user, agent, scratch, Server, PASSWORD};

// The shoot builder finds the repository through `crate::photos`.
use common::photos;
#[path = "common/shoot.rs"]
#[allow(dead_code)]
mod shoot;
use shoot::{build, Kind, Plan};

struct Who {
    cookie: String,
    csrf: String,
}

struct Reply {
    status: u16,
    json: Value,
    bytes: Vec<u8>,
}

fn send(base: &str, who: Option<&Who>, method: &str, path: &str, body: Body) -> Reply {
    let url = format!("{base}{path}");
    let agent = agent();
    let with = |mut r: ureq::RequestBuilder<ureq::typestate::WithBody>| {
        if let Some(w) = who {
            r = r
                .header("cookie", &w.cookie)
                .header("x-csrf-token", &w.csrf);
        }
        r
    };
    let mut res = match (method, body) {
        ("GET", _) => {
            let mut r = agent.get(&url);
            if let Some(w) = who {
                r = r.header("cookie", &w.cookie);
            }
            r.call()
        }
        ("DELETE", _) => {
            let mut r = agent.delete(&url);
            if let Some(w) = who {
                r = r
                    .header("cookie", &w.cookie)
                    .header("x-csrf-token", &w.csrf);
            }
            r.call()
        }
        (_, Body::Json(v)) => with(agent.post(&url))
            .header("content-type", "application/json")
            .send(v.to_string()),
        (_, Body::File(name, bytes)) => with(agent.post(&url))
            .header("x-filename", name)
            .send(&bytes[..]),
        (_, Body::None) => with(agent.post(&url)).send_empty(),
    }
    .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = res.status().as_u16();
    let mut bytes = Vec::new();
    res.body_mut().as_reader().read_to_end(&mut bytes).unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        json,
        bytes,
    }
}

enum Body {
    None,
    Json(Value),
    File(String, Vec<u8>),
}

fn session_from(r: &ureq::http::Response<ureq::Body>, body: &Value) -> Who {
    Who {
        cookie: r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string(),
        csrf: body["csrf"].as_str().unwrap().to_string(),
    }
}

fn login(base: &str, email: &str) -> Who {
    let mut r = agent()
        .post(format!("{base}/api/login"))
        .header("content-type", "application/json")
        .send(json!({"email": email, "password": PASSWORD}).to_string())
        .unwrap();
    assert_eq!(r.status(), 200, "login {email}");
    let body: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    session_from(&r, &body)
}

/// Opens an invite link as its person does: sets a password and is signed in.
fn accept_invite(base: &str, link: &str) -> Who {
    let token = link.rsplit('/').next().unwrap();
    let mut r = agent()
        .post(format!("{base}/api/invites/{token}"))
        .header("content-type", "application/json")
        .send(json!({"password": PASSWORD}).to_string())
        .unwrap();
    assert_eq!(r.status(), 200, "invite {link}");
    let body: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    session_from(&r, &body)
}

/// Waits until the day has been sorted; returns it as the admin sees it.
fn sorted(base: &str, admin: &Who, id: i64) -> Value {
    let t = Instant::now();
    loop {
        let r = send(
            base,
            Some(admin),
            "GET",
            &format!("/api/days/{id}"),
            Body::None,
        );
        assert_eq!(r.status, 200, "{}", r.json);
        if !matches!(r.json["state"].as_str(), Some("queued" | "processing")) {
            return r.json;
        }
        assert!(
            t.elapsed() < Duration::from_secs(600),
            "day {id} not sorted"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn person<'a>(day: &'a Value, id: &str) -> &'a Value {
    day["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["person"] == id)
        .unwrap_or_else(|| panic!("{id} not in {day}"))
}

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const ROSTER: &str = "id,name,team,email,reference\n\
e-001,Barack Obama,Policy,barack@example.com,obama-earlier.jpg\n\
e-002,Joe Biden,Policy,joe@example.com,\n\
e-003,Grace Hopper,Research,grace@example.com,\n\
e-004,Eileen Collins,Flight,eileen@example.com,\n\
e-005,Alan Turing,Research,alan@example.com,\n";

#[test]
fn a_headshot_day_on_the_server_from_roster_to_export() {
    let dir = scratch("days");
    let made = build(
        &dir,
        &Plan {
            size: (1200, 1500),
            per_person: 4,
            cards: true,
        },
        Path::new(env!("CARGO_BIN_EXE_trueshot")),
    );
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    add_user(&data, "admin@example.com", true);
    // Joe already has an account: the day links it instead of inviting him.
    add_user(&data, "joe@example.com", false);
    let server = Server::start(&data, &["--workers", "1"]);
    let base = server.base.as_str();
    let admin = login(base, "admin@example.com");
    let joe = login(base, "joe@example.com");

    // ---- a roster that cannot be used is refused with its line ----
    for (roster, want) in [
        (
            "id,name\n1,Ada\n1,Grace\n",
            "line 3: the id 1 is already on line 2",
        ),
        (
            "id,name,reference\n1,Ada,../trueshot.db\n",
            "line 2: 1: the reference \"../trueshot.db\" must be the file name",
        ),
        ("id,name,email\n1,Ada,not an email\n", "roster.csv, line 2"),
        ("id,name\n", "line 1: the roster has nobody in it"),
    ] {
        let r = send(
            base,
            Some(&admin),
            "POST",
            "/api/days",
            Body::Json(json!({"name": "Bad", "roster": roster})),
        );
        assert_eq!(r.status, 422, "{roster:?}: {}", r.json);
        let e = r.json["error"].as_str().unwrap();
        assert!(e.contains(want), "{roster:?}: {e}");
    }
    let r = send(
        base,
        Some(&joe),
        "POST",
        "/api/days",
        Body::Json(json!({"name": "Mine", "roster": ROSTER})),
    );
    assert_eq!(r.status, 403, "a member cannot create a day: {}", r.json);

    // ---- the day, with accounts for the roster ----
    let r = send(
        base,
        Some(&admin),
        "POST",
        "/api/days",
        Body::Json(
            json!({"name": "Policy and research, 7 December", "roster": ROSTER, "picks": 2}),
        ),
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["day"]["id"].as_i64().unwrap();
    let invites: BTreeMap<String, String> = r.json["invites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["person"].as_str().unwrap().to_string(),
                i["invite_url"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        invites.keys().map(String::as_str).collect::<Vec<_>>(),
        ["e-001", "e-003", "e-004", "e-005"],
        "everyone with an email and no account is invited; Joe is linked"
    );
    assert_eq!(person(&r.json["day"], "e-002")["has_account"], true);
    assert_eq!(person(&r.json["day"], "e-001")["status"], "waiting");

    // ---- the shoot, as a ZIP with a folder, the reference photo and some clutter ----
    let mut files: Vec<(String, Vec<u8>)> = made
        .frames
        .keys()
        .map(|n| {
            (
                format!("card-1/{n}"),
                std::fs::read(dir.join("shoot").join(n)).unwrap(),
            )
        })
        .collect();
    files.push((
        "obama-earlier.jpg".into(),
        std::fs::read(dir.join("obama-earlier.jpg")).unwrap(),
    ));
    files.push(("notes.txt".into(), b"battery 2 at 40 %".to_vec()));
    files.push(("__MACOSX/card-1/._DSC_0001.jpg".into(), vec![0; 64]));
    let r = send(
        base,
        Some(&admin),
        "POST",
        &format!("/api/days/{id}/frames"),
        Body::File("shoot.zip".into(), zip_of(&files)),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json["added"].as_array().unwrap().len(),
        made.frames.len() + 1,
        "{}",
        r.json
    );
    let skipped = r.json["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{}", r.json);
    assert_eq!(skipped[0]["name"], "notes.txt");
    // The same frame again is not a second frame; a text file alone is refused.
    let (first, bytes) = (&files[0].0, files[0].1.clone());
    let plain = first.rsplit('/').next().unwrap().to_string();
    let r = send(
        base,
        Some(&admin),
        "POST",
        &format!("/api/days/{id}/frames"),
        Body::File(plain.clone(), bytes),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["added"], json!([]));
    assert_eq!(r.json["skipped"][0]["reason"], "already uploaded");
    assert_eq!(r.json["files"], made.frames.len() + 1);
    let r = send(
        base,
        Some(&admin),
        "POST",
        &format!("/api/days/{id}/frames"),
        Body::File("notes.txt".into(), b"not a photo".to_vec()),
    );
    assert_eq!(r.status, 422, "{}", r.json);
    assert!(
        r.json["error"].as_str().unwrap().starts_with("notes.txt"),
        "{}",
        r.json
    );
    let r = send(
        base,
        Some(&joe),
        "POST",
        &format!("/api/days/{id}/frames"),
        // A few bytes: the answer comes before a large body would be read, and the client
        // would see a broken pipe instead.
        Body::File(plain, files[0].1[..64].to_vec()),
    );
    assert_eq!(r.status, 403, "a member cannot upload a shoot: {}", r.json);

    // ---- sorted by the queue ----
    let r = send(
        base,
        Some(&admin),
        "POST",
        &format!("/api/days/{id}/process"),
        Body::None,
    );
    assert_eq!(r.status, 202, "{}", r.json);
    let day = sorted(base, &admin, id);
    assert_eq!(day["state"], "ready", "{day}");
    for (pid, who) in [
        ("e-001", "e-001"),
        ("e-002", "e-002"),
        ("e-003", "e-003"),
        ("e-004", "e-004"),
    ] {
        let p = person(&day, pid);
        assert_eq!(p["status"], "to_choose", "{p}");
        let offers = p["result"]["offers"].as_array().unwrap();
        assert_eq!(offers.len(), 2, "{p}");
        for o in offers {
            let frame = format!("{}.jpg", o["frame"].as_str().unwrap());
            let (owner, kind) = &made.frames[&frame];
            assert_eq!(owner, who, "{frame} offered to {pid}");
            assert!(
                matches!(kind, Kind::Good | Kind::Burst),
                "{frame} ({kind:?}) offered"
            );
            assert!(!o["headshots"].as_array().unwrap().is_empty(), "{o}");
        }
    }
    assert_eq!(person(&day, "e-005")["status"], "no_frames");
    let review = day["summary"]["review"].as_array().unwrap();
    let stranger = made
        .frames
        .iter()
        .find(|(_, (who, _))| who == "stranger")
        .map(|(n, _)| n.trim_end_matches(".jpg").to_string())
        .unwrap();
    assert!(
        review.iter().any(|f| f["frame"] == stranger.as_str()),
        "the stranger is in review: {review:?}"
    );
    let counts = &day["counts"];
    assert_eq!(counts["to_choose"], 4, "{counts}");
    assert_eq!(counts["no_frames"], 1, "{counts}");
    // The list of days is brief: where the roster stands, not everyone's frames.
    let r = send(base, Some(&admin), "GET", "/api/days", Body::None);
    let listed = &r.json[0];
    assert_eq!(listed["roster"], 5, "{listed}");
    assert_eq!(listed["people"], json!([]), "{listed}");
    assert_eq!(listed["counts"]["to_choose"], 4, "{listed}");
    assert!(listed.get("summary").is_none(), "{listed}");

    // ---- each person sees only their own frames ----
    let barack = accept_invite(base, &invites["e-001"]);
    let r = send(base, Some(&barack), "GET", "/api/days", Body::None);
    assert_eq!(r.status, 200);
    let mine = &r.json[0];
    assert_eq!(mine["people"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine["people"][0]["person"], "e-001");
    assert!(mine.get("summary").is_none(), "{mine}");
    let files_url = mine["files_url"].as_str().unwrap().to_string();
    let own = &mine["people"][0]["result"]["offers"];
    for file in [
        own[0]["headshots"][0]["file"].as_str().unwrap(),
        own[0]["headshots"][0]["before"].as_str().unwrap(),
        own[1]["thumb"].as_str().unwrap(),
    ] {
        let r = send(
            base,
            Some(&barack),
            "GET",
            &format!("{files_url}{file}"),
            Body::None,
        );
        assert_eq!(r.status, 200, "{file}");
        assert!(r.bytes.starts_with(&[0xFF, 0xD8]), "{file} is a JPEG");
    }
    let joes = &person(&day, "e-002")["result"]["offers"];
    for file in [
        joes[0]["headshots"][0]["file"].as_str().unwrap(),
        joes[0]["thumb"].as_str().unwrap(),
        review[0]["thumb"].as_str().unwrap(),
        "session.json",
        "../../../trueshot.db",
    ] {
        let r = send(
            base,
            Some(&barack),
            "GET",
            &format!("{files_url}{file}"),
            Body::None,
        );
        assert_eq!(r.status, 404, "Barack must not get {file}");
    }
    let r = send(
        base,
        Some(&barack),
        "POST",
        &format!("/api/days/{id}/people/e-002/choice"),
        Body::Json(json!({"frame": joes[0]["frame"]})),
    );
    assert_eq!(r.status, 404, "Barack cannot choose for Joe: {}", r.json);
    let r = send(
        base,
        Some(&barack),
        "POST",
        &format!("/api/days/{id}/people/e-001/choice"),
        Body::Json(json!({"frame": joes[0]["frame"]})),
    );
    assert_eq!(r.status, 422, "a frame not offered to him: {}", r.json);
    let second = own[1]["frame"].as_str().unwrap().to_string();
    let r = send(
        base,
        Some(&barack),
        "POST",
        &format!("/api/days/{id}/people/e-001/choice"),
        Body::Json(json!({"frame": second})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "chosen");
    assert_eq!(r.json["chosen_by"], "barack@example.com");
    let r = send(
        base,
        Some(&joe),
        "POST",
        &format!("/api/days/{id}/people/e-002/retake"),
        Body::Json(json!({"comment": "my tie is crooked in every frame"})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "retake");
    // The admin chooses for Grace, who is away.
    let graces = person(&day, "e-003")["result"]["offers"][0]["frame"].clone();
    let r = send(
        base,
        Some(&admin),
        "POST",
        &format!("/api/days/{id}/people/e-003/choice"),
        Body::Json(json!({"frame": graces})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["chosen_by"], "admin@example.com (admin)");
    let day = sorted(base, &admin, id);
    let counts = &day["counts"];
    assert_eq!(
        (
            &counts["chosen"],
            &counts["retake"],
            &counts["to_choose"],
            &counts["no_frames"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(1)),
        "{counts}"
    );

    // ---- the export: chosen headshots by roster id, and day.csv ----
    let r = send(
        base,
        Some(&admin),
        "GET",
        &format!("/api/days/{id}/export.zip"),
        Body::None,
    );
    assert_eq!(r.status, 200);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.bytes)).unwrap();
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    for p in ["e-001", "e-003"] {
        assert!(
            names
                .iter()
                .any(|n| n.starts_with(&format!("{p}.")) && n.ends_with(".jpg")),
            "{p} in {names:?}"
        );
        assert!(names.contains(&format!("{p}.report.json")), "{names:?}");
    }
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("e-002") || n.starts_with("e-004")),
        "only chosen headshots: {names:?}"
    );
    let mut csv = String::new();
    zip.by_name("day.csv")
        .unwrap()
        .read_to_string(&mut csv)
        .unwrap();
    assert_eq!(csv.lines().count(), 6, "{csv}");
    assert!(csv.contains(&second), "{csv}");
    assert!(csv.contains("my tie is crooked"), "{csv}");
    let chosen_report = {
        let mut s = String::new();
        zip.by_name("e-001.report.json")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        serde_json::from_str::<Value>(&s).unwrap()
    };
    assert_eq!(
        chosen_report["input"].as_str().map(|s| s.contains(&second)),
        Some(true),
        "the exported headshot is the chosen frame's: {}",
        chosen_report["input"]
    );
    let r = send(
        base,
        Some(&joe),
        "GET",
        &format!("/api/days/{id}/export.zip"),
        Body::None,
    );
    assert_eq!(r.status, 403);

    // ---- sorting again keeps what people chose ----
    let r = send(
        base,
        Some(&admin),
        "POST",
        &format!("/api/days/{id}/process"),
        Body::None,
    );
    assert_eq!(r.status, 202, "{}", r.json);
    let again = send(
        base,
        Some(&admin),
        "POST",
        &format!("/api/days/{id}/process"),
        Body::None,
    );
    assert!(again.status == 409 || again.status == 202, "{}", again.json);
    let day = sorted(base, &admin, id);
    assert_eq!(person(&day, "e-001")["choice"], second.as_str(), "{day}");
    assert_eq!(person(&day, "e-001")["status"], "chosen");
    assert_eq!(
        person(&day, "e-002")["retake"],
        "my tie is crooked in every frame",
        "the same frames again: Joe's request for a retake stands"
    );

    // ---- a photographer's single client: a roster of one, frames without cards ----
    let r = send(
        base,
        Some(&admin),
        "POST",
        "/api/days",
        Body::Json(
            json!({"name": "Grace, studio", "roster": "id,name,email\nclient,Grace Hopper,grace.h@example.com\n"}),
        ),
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let client_day = r.json["day"]["id"].as_i64().unwrap();
    let mut frames: Vec<&String> = made
        .frames
        .iter()
        .filter(|(_, (who, kind))| who == "e-003" && *kind != Kind::Card)
        .map(|(n, _)| n)
        .collect();
    frames.push(
        made.frames
            .iter()
            .find(|(_, (who, _))| who == "stranger")
            .map(|(n, _)| n)
            .unwrap(),
    );
    for name in &frames {
        let r = send(
            base,
            Some(&admin),
            "POST",
            &format!("/api/days/{client_day}/frames"),
            Body::File(
                (*name).clone(),
                std::fs::read(dir.join("shoot").join(name)).unwrap(),
            ),
        );
        assert_eq!(r.status, 200, "{}", r.json);
    }
    let r = send(
        base,
        Some(&admin),
        "POST",
        &format!("/api/days/{client_day}/process"),
        Body::None,
    );
    assert_eq!(r.status, 202, "{}", r.json);
    let day = sorted(base, &admin, client_day);
    let client = person(&day, "client");
    assert_eq!(client["status"], "to_choose", "{day}");
    for o in client["result"]["offers"].as_array().unwrap() {
        let frame = format!("{}.jpg", o["frame"].as_str().unwrap());
        assert_eq!(made.frames[&frame].0, "e-003", "{frame}");
    }
    // The client's day is not Barack's business.
    let r = send(
        base,
        Some(&barack),
        "GET",
        &format!("/api/days/{client_day}"),
        Body::None,
    );
    assert_eq!(r.status, 404);
    let r = send(
        base,
        Some(&barack),
        "DELETE",
        &format!("/api/days/{client_day}"),
        Body::None,
    );
    assert_eq!(r.status, 403, "a member cannot delete a day");

    // ---- deleting a day takes its frames and headshots with it ----
    let folder = data.join("days").join(client_day.to_string());
    assert!(folder.join("shoot").is_dir() && folder.join("out").is_dir());
    let r = send(
        base,
        Some(&admin),
        "DELETE",
        &format!("/api/days/{client_day}"),
        Body::None,
    );
    assert_eq!(r.status, 204, "{}", r.json);
    assert!(!folder.exists(), "{} is left", folder.display());
    let r = send(
        base,
        Some(&admin),
        "GET",
        &format!("/api/days/{client_day}"),
        Body::None,
    );
    assert_eq!(r.status, 404);
    let _ = std::fs::remove_dir_all(&dir);
}
