//! `trueshot verify FILE...`: reads and validates content credentials and says what they claim:
//! the source photo, every edit, and the authenticity measures.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use trueshot_provenance::State;

#[derive(Args)]
pub struct VerifyArgs {
    /// Pictures to verify.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print JSON (an array, one object per file).
    #[arg(long)]
    json: bool,
    /// Root certificates to trust (PEM): signers that chain to one are reported as trusted.
    #[arg(long, value_name = "PEM")]
    trust: Option<PathBuf>,
}

/// Exit code: 0 every file has valid credentials, 1 some are invalid or have none, 2 some could
/// not be read.
pub fn run(args: &VerifyArgs) -> Result<u8> {
    let anchors = match &args.trust {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("--trust {}: cannot read", p.display()))?,
        ),
        None => None,
    };
    let mut code = 0u8;
    let mut all = Vec::new();
    for file in &args.files {
        let verdict = std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                trueshot_provenance::read(&b, anchors.as_deref()).map_err(|e| e.to_string())
            });
        let v = match verdict {
            Ok(v) => v,
            Err(e) => {
                code = 2;
                if args.json {
                    all.push(json!({ "file": file, "state": "unreadable", "problems": [e] }));
                } else {
                    println!("{}: UNREADABLE — {e}", file.display());
                }
                continue;
            }
        };
        if !matches!(v.state, State::Valid | State::Trusted) {
            code = code.max(1);
        }
        if args.json {
            let mut o = serde_json::to_value(&v).unwrap_or_default();
            o["file"] = json!(file);
            all.push(o);
        } else {
            print!("{}", describe(&file.display().to_string(), &v));
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(code)
}

fn describe(file: &str, v: &trueshot_provenance::Verdict) -> String {
    let mut s = String::new();
    let state = match v.state {
        State::Trusted => "VALID and TRUSTED",
        State::Valid => "VALID",
        State::Invalid => "INVALID",
        State::Missing => "NO CONTENT CREDENTIALS",
    };
    let Some(m) = &v.manifest else {
        s += &format!("{file}: {state}\n");
        for p in &v.problems {
            s += &format!("  {p}\n");
        }
        return s;
    };
    let signer = &m["signer"];
    s += &format!(
        "{file}: {state} — signed by {}{}\n",
        signer["common_name"]
            .as_str()
            .unwrap_or("an unnamed signer"),
        match (v.state, signer["test_certificate"].as_bool()) {
            (_, Some(true)) => " (trueshot's local TEST certificate: no one else trusts it)",
            (State::Valid, _) => " (not in a trust list given with --trust)",
            _ => "",
        }
    );
    for p in &v.problems {
        s += &format!("  problem: {p}\n");
    }
    if v.state == State::Invalid {
        s += "  the file was changed after signing, or its credentials are damaged: what follows is only what they claim\n";
    }
    for i in m["ingredients"].as_array().into_iter().flatten() {
        s += &format!(
            "  {}: {} ({}, {})\n",
            if i["relationship"] == "parentOf" {
                "made from"
            } else {
                "with"
            },
            i["title"].as_str().unwrap_or("?"),
            i["format"].as_str().unwrap_or("?"),
            i["hash"].as_str().unwrap_or("no hash")
        );
    }
    s += "  edits:\n";
    for a in m["actions"].as_array().into_iter().flatten() {
        s += &format!(
            "    {}: {}{}\n",
            a["action"].as_str().unwrap_or("?"),
            a["description"].as_str().unwrap_or(""),
            a["digital_source_type"]
                .as_str()
                .map(|d| format!(" [{}]", d.rsplit('/').next().unwrap_or(d)))
                .unwrap_or_default()
        );
    }
    let t = &m["trueshot"];
    if !t.is_null() {
        s += &format!(
            "  guideline {} ({}), variant {}\n",
            t["guideline"]["name"].as_str().unwrap_or("?"),
            t["guideline"]["sha256"]
                .as_str()
                .map(|h| &h[..12.min(h.len())])
                .unwrap_or("?"),
            t["variant"].as_str().unwrap_or("?")
        );
        let ver = &t["verification"];
        if let Some(measures) = ver["measures"].as_object() {
            s += &format!(
                "  verification: {}\n",
                ver["status"].as_str().unwrap_or("?")
            );
            for (k, val) in measures {
                if val.is_number() && k != "ms" {
                    let bound = &ver["bounds"][k];
                    s += &format!(
                        "    {k} {val}{}\n",
                        if bound.is_null() {
                            String::new()
                        } else {
                            format!(" (bound {bound})")
                        }
                    );
                }
            }
        }
    }
    s
}
