use super::*;

#[test]
fn presets_parse_with_the_issue_numbers() {
    let g = Guideline::default_preset();
    let web = &g.variant[0];
    assert_eq!(
        (web.name.as_str(), web.width, web.height),
        ("web", 1200, 1500)
    );
    assert_eq!((web.eye_line, web.eye_to_chin), (Some(0.38), Some(0.21)));
    let square = &g.variant[1];
    assert_eq!((square.width, square.height), (800, 800));
    assert_eq!(
        (square.eye_line, square.eye_to_chin),
        (Some(0.42), Some(0.20))
    );

    let us = Guideline::preset("passport-us").unwrap();
    let photo = us.primary();
    assert_eq!((photo.width, photo.height, photo.dpi), (600, 600, 300));
    assert_eq!(photo.head_height, Some(Band { lo: 0.50, hi: 0.69 }));
    assert_eq!(us.checks.expression, Expression::Neutral);
    assert_eq!(us.background.color, Some(Color([255, 255, 255])));
    // two 2×2 in copies fit on a 6×4 in sheet at 300 dpi
    assert_eq!(us.sheet[0].copies(photo), (2, 1, 1800, 1200));

    let icao = Guideline::preset("icao").unwrap();
    let p = icao.primary();
    // 35×45 mm at 600 dpi
    assert_eq!((p.width, p.height), (827, 1063));
    assert!(icao.sheet[0].copies(p).0 * icao.sheet[0].copies(p).1 >= 4);
}

#[test]
fn limits_judge_both_directions() {
    let at_most = Limit {
        most: true,
        warn: 8.0,
        fail: 15.0,
    };
    assert_eq!(at_most.judge(3.0), Status::Pass);
    assert_eq!(at_most.judge(9.0), Status::Warn);
    assert_eq!(at_most.judge(16.0), Status::Fail);
    let at_least = Limit {
        most: false,
        warn: 90.0,
        fail: 60.0,
    };
    assert_eq!(at_least.judge(100.0), Status::Pass);
    assert_eq!(at_least.judge(70.0), Status::Warn);
    assert_eq!(at_least.judge(f32::NAN), Status::Fail);
}

/// The error for `text` with `from` replaced by `to`.
fn error_after(from: &str, to: &str) -> String {
    let text = include_str!("presets/corporate.toml");
    assert!(text.contains(from), "{from}");
    let text = text.replacen(from, to, 1);
    Guideline::parse(&text, "mine.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_guidelines_name_the_line_and_column() {
    // line 14 of corporate.toml is `eye_line = 0.38` (the web variant)
    let line = include_str!("presets/corporate.toml")
        .lines()
        .position(|l| l == "eye_line = 0.38")
        .unwrap()
        + 1;
    let err = error_after("eye_line = 0.38", "eye_line = \"high\"");
    assert!(
        err.starts_with(&format!(
            "mine.toml:{line}:12: variant[1].eye_line: expected a number"
        )),
        "{err}"
    );
    let err = error_after("eye_line = 0.38", "eye_line = 1.38");
    assert!(
        err.starts_with(&format!("mine.toml:{line}:12:")) && err.contains("between 0.05 and 0.95"),
        "{err}"
    );
    let err = error_after("eye_line = 0.38", "eye_lin = 0.38");
    assert!(
        err.starts_with(&format!("mine.toml:{line}:1:"))
            && err.contains("unknown setting `variant[1].eye_lin`"),
        "{err}"
    );
    let err = error_after("format = \"jpeg\"", "format = \"gif\"");
    assert!(
        err.contains("must be one of \"jpeg\", \"png\", \"webp\""),
        "{err}"
    );
    let err = error_after(
        "mode = \"gradient\"\ncolor = \"#B9BDC2\"",
        "mode = \"color\"",
    );
    assert!(
        err.contains("background.color") && err.contains("needs color"),
        "{err}"
    );
    let err = error_after("[framing]", "[framing\n");
    assert!(err.starts_with("mine.toml:"), "{err}");
    let err = error_after("yaw_deg = { most = true, warn = 8.0, fail = 15.0 }", "");
    assert!(err.contains("`checks.yaw_deg` is missing"), "{err}");
}

#[test]
fn listing_and_schema_come_from_the_declarations() {
    let g = Guideline::default_preset();
    let listing = g.to_toml();
    // the listing is itself a valid guideline equal to the original
    let again = Guideline::parse(&listing, "listing").unwrap();
    assert_eq!(again, g);
    assert!(listing
        .contains("# Eye line (iris-centre midpoint), as a fraction of the height from the top."));
    assert!(listing.contains("# range: 0.05 to 0.95"));
    let us = Guideline::preset("passport-us").unwrap();
    assert_eq!(Guideline::parse(&us.to_toml(), "listing").unwrap(), us);

    let schema = Guideline::json_schema();
    let eye_line = &schema["properties"]["variant"]["items"]["properties"]["eye_line"];
    assert_eq!(eye_line["minimum"], 0.05);
    assert!(eye_line["description"]
        .as_str()
        .unwrap()
        .starts_with("Eye line"));
    assert_eq!(schema["required"], serde_json::json!(["name", "checks"]));
}

#[test]
fn id_photo_target_puts_the_head_in_range() {
    let us = Guideline::preset("passport-us").unwrap();
    let v = us.primary();
    // eye-to-chin 100 px, eye-to-crown 110 px
    let t = v.target(100.0, 110.0);
    let crop_h = 100.0 / t.eye_to_chin;
    let head = 210.0 / crop_h;
    assert!((head - 0.595).abs() < 1e-3, "{head}");
    let eye_from_bottom = 1.0 - t.eye_line;
    assert!(
        v.eye_from_bottom.unwrap().contains(eye_from_bottom),
        "{eye_from_bottom}"
    );
}

#[test]
fn framing_tolerances_are_read_checked_and_default_for_old_files() {
    let g = Guideline::default_preset();
    let web = g.primary().tolerance();
    assert_eq!(
        (web.eye_line, web.eye_to_chin, web.center_x),
        (0.04, 0.03, 0.03)
    );
    assert_eq!(web.crown_crop, 0.1);
    assert_eq!(g.primary().limit().eye_to_chin, 0.15);
    // A guideline file written before tolerances existed is still valid and gets the defaults.
    let old = "name = \"old\"\n[[variant]]\nname = \"web\"\nwidth = 1200\nheight = 1500\neye_line = 0.38\neye_to_chin = 0.21\n[checks]\n"
        .to_string()
        + &include_str!("presets/corporate.toml")
            .lines()
            .skip_while(|l| *l != "[checks]")
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n");
    let g = Guideline::parse(&old, "old.toml").unwrap();
    let t = g.primary().tolerance();
    assert_eq!((t.eye_line, t.eye_to_chin, t.crown_crop), (0.04, 0.03, 0.0));
    // A tolerance wider than its limit is refused at its line and column.
    let line = include_str!("presets/corporate.toml")
        .lines()
        .position(|l| l == "eye_line_tolerance = 0.04")
        .unwrap()
        + 1;
    let err = error_after("eye_line_tolerance = 0.04", "eye_line_tolerance = 0.2");
    assert!(
        err.starts_with(&format!("mine.toml:{line}:"))
            && err.contains("variant[1].eye_line_tolerance")
            && err.contains("wider than its limit"),
        "{err}"
    );
    let err = error_after("crown_crop = 0.1", "crown_crop = 0.9");
    assert!(err.contains("between 0 and 0.4"), "{err}");
    // The listing and the schema know the new keys.
    assert!(g.to_toml().contains("eye_to_chin_tolerance = 0.03"));
    let schema = Guideline::json_schema();
    let props = &schema["properties"]["variant"]["items"]["properties"];
    for key in [
        "eye_line_tolerance",
        "eye_to_chin_tolerance",
        "center_x_tolerance",
        "crown_crop",
        "eye_line_limit",
        "eye_to_chin_limit",
        "center_x_limit",
    ] {
        assert!(props[key]["description"].is_string(), "{key}");
    }
}

#[test]
fn a_left_out_verify_section_gives_the_declared_bounds() {
    let g = Guideline::default_preset();
    assert_eq!(g.verify, Verify::default());
    let d = Verify::default();
    assert_eq!((d.identity_distance, d.landmark_drift), (0.2, 0.01));
    assert_eq!(
        RetouchLevel::Natural
            .weaker()
            .and_then(RetouchLevel::weaker),
        Some(RetouchLevel::None)
    );
    assert_eq!(RetouchLevel::None.weaker(), None);
}
