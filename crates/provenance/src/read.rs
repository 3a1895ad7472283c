//! Reading and validating the content credentials of a file, for `trueshot verify`.

use std::io::Cursor;

use serde::Serialize;
use serde_json::{json, Value};

use crate::{credentials::TEST_ORGANISATION, sign::ASSERTION, Error};

/// What a file's credentials amount to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Signed, and the signer chains to a trust anchor given to the reader.
    Trusted,
    /// Intact and validly signed; the signer is not in a trust list given to the reader.
    Valid,
    /// The credentials do not match the file (pixels or manifest changed) or are malformed.
    Invalid,
    /// No content credentials.
    Missing,
}

/// The verdict on one file.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub state: State,
    /// Why it is invalid (validation failure codes with explanations).
    pub problems: Vec<String>,
    /// Source, signer, actions and trueshot's assertion, when there is a manifest.
    pub manifest: Option<Value>,
}

/// Reads and validates a file's content credentials. `trust_anchors`: PEM root certificates to
/// trust. An error means the file is not a picture C2PA can hold (unreadable).
pub fn read(bytes: &[u8], trust_anchors: Option<&str>) -> Result<Verdict, Error> {
    let format = crate::sniff(bytes).ok_or(Error::NotAPicture)?;
    let mut settings = json!({ "verify": { "verify_after_reading": true } });
    if let Some(pem) = trust_anchors {
        settings["trust"] = json!({ "user_anchors": pem });
    }
    let context = c2pa::Context::new()
        .with_settings(settings.to_string())
        .map_err(|e| Error::Read(e.to_string()))?;
    // C2PA parses untrusted containers: a panic in it is this file's fault, never the batch's.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c2pa::Reader::from_context(context).with_stream(format.mime(), Cursor::new(bytes))
    }))
    .map_err(|_| Error::Read("the file's structure could not be read".into()))?;
    let reader = match result {
        Ok(r) => r,
        Err(c2pa::Error::JumbfNotFound) | Err(c2pa::Error::ProvenanceMissing) => {
            return Ok(Verdict {
                state: State::Missing,
                problems: vec!["no content credentials in the file".into()],
                manifest: None,
            })
        }
        // a damaged container: unreadable, not a verdict on credentials
        Err(c2pa::Error::InvalidAsset(why)) => {
            return Err(Error::Read(format!("the file is damaged: {why}")))
        }
        Err(e) => {
            return Ok(Verdict {
                state: State::Invalid,
                problems: vec![format!("the content credentials cannot be read: {e}")],
                manifest: None,
            })
        }
    };
    let store: Value =
        serde_json::from_str(&reader.json()).map_err(|e| Error::Read(e.to_string()))?;
    let problems: Vec<String> = store["validation_results"]["activeManifest"]["failure"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(store["validation_status"].as_array().into_iter().flatten())
        .filter(|s| s["code"].as_str() != Some("signingCredential.untrusted"))
        .map(|s| {
            format!(
                "{}: {}",
                s["code"].as_str().unwrap_or("?"),
                s["explanation"].as_str().unwrap_or("")
            )
        })
        .collect();
    let state = match reader.validation_state() {
        c2pa::ValidationState::Trusted if problems.is_empty() => State::Trusted,
        c2pa::ValidationState::Valid if problems.is_empty() => State::Valid,
        _ => State::Invalid,
    };
    let manifest = store["active_manifest"]
        .as_str()
        .and_then(|label| store["manifests"].get(label))
        .map(summary);
    Ok(Verdict {
        state,
        problems,
        manifest,
    })
}

/// The parts of a manifest a person wants to see.
fn summary(m: &Value) -> Value {
    let assertions = m["assertions"].as_array().cloned().unwrap_or_default();
    let actions: Vec<Value> = assertions
        .iter()
        .filter(|a| {
            a["label"]
                .as_str()
                .is_some_and(|l| l.starts_with("c2pa.actions"))
        })
        .flat_map(|a| a["data"]["actions"].as_array().cloned().unwrap_or_default())
        .map(|a| {
            json!({
                "action": a["action"],
                "description": a["description"],
                "digital_source_type": a["digitalSourceType"],
            })
        })
        .collect();
    let trueshot = assertions
        .iter()
        .find(|a| a["label"] == ASSERTION)
        .map(|a| a["data"].clone());
    let sig = &m["signature_info"];
    let issuer = sig["issuer"].as_str().unwrap_or_default();
    let ingredients: Vec<Value> = m["ingredients"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            json!({
                "title": i["title"],
                "relationship": i["relationship"],
                "format": i["format"],
                "hash": i["hash"].as_str().or_else(|| i["instance_id"].as_str().filter(|id| id.starts_with("sha256:"))),
                "description": i["description"],
            })
        })
        .collect();
    json!({
        "title": m["title"],
        "claim_generator": m["claim_generator_info"][0]["name"],
        "signer": {
            "issuer": issuer,
            "common_name": sig["common_name"],
            "algorithm": sig["alg"],
            "time": sig["time"],
            "test_certificate": issuer.contains(TEST_ORGANISATION),
        },
        "ingredients": ingredients,
        "actions": actions,
        "trueshot": trueshot,
    })
}
