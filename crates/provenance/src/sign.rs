//! Content credentials for one output: the original photo as the parent ingredient (by hash; its
//! pixels are not embedded), every edit as a C2PA action, trueshot's own assertion with the
//! guideline and the authenticity measures, and XMP; then signed into the file.

use std::io::Cursor;

use serde_json::{json, Value};

use crate::{xmp, Error, Format};

/// Label of trueshot's own assertion: guideline, verification measures and bounds.
pub const ASSERTION: &str = "org.trueshot.headshot";

/// A file that went into the output: the original photo, or a background picture.
#[derive(Clone, Debug)]
pub struct Source {
    /// File name (no folders: nothing about the user's disk).
    pub title: String,
    /// MIME type.
    pub format: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

/// One edit, in the order they were made.
#[derive(Clone, Debug)]
pub enum Edit {
    /// `c2pa.cropped`: levelling and the crop.
    Cropped(String),
    /// `c2pa.resized`.
    Resized(String),
    /// `c2pa.color_adjustments`: exposure and white balance.
    ColorAdjusted(String),
    /// `c2pa.placed` with digital source type `compositeCapture`: a new background behind the
    /// person. `component` is the background picture, or a description of a rendered one.
    BackgroundPlaced {
        description: String,
        component: Source,
    },
    /// `c2pa.edited`: retouching, or any other edit, with what was done.
    Edited(String),
}

/// Everything the credentials of one output say.
#[derive(Clone, Debug)]
pub struct Claim {
    /// The output's file name.
    pub title: String,
    pub format: Format,
    pub original: Source,
    pub edits: Vec<Edit>,
    pub xmp: xmp::XmpFields,
    /// trueshot's own assertion (`org.trueshot.headshot`).
    pub assertion: Value,
}

fn ingredient(s: &Source, relationship: &str, label: &str, description: &str) -> Value {
    json!({
        "title": s.title,
        "format": s.format,
        "relationship": relationship,
        "label": label,
        // The ingredient assertion has no field for the file's own hash: it is its instance id
        // (and the hash field, which the C2PA builder uses only for de-duplication).
        "hash": format!("sha256:{}", s.sha256),
        "instance_id": format!("sha256:{}", s.sha256),
        "description": description,
    })
}

/// The manifest definition (JSON the C2PA builder reads).
pub fn definition(c: &Claim) -> Value {
    let agent = json!({ "name": "trueshot", "version": env!("CARGO_PKG_VERSION") });
    let mut ingredients = vec![ingredient(
        &c.original,
        "parentOf",
        "original",
        "the real photograph this headshot was made from (identified by its SHA-256; not embedded)",
    )];
    let mut actions = vec![json!({
        "action": "c2pa.opened",
        "softwareAgent": agent,
        "description": "opened the original photograph",
        "parameters": { "ingredientIds": ["original"] },
    })];
    for e in &c.edits {
        let (name, description) = match e {
            Edit::Cropped(d) => ("c2pa.cropped", d),
            Edit::Resized(d) => ("c2pa.resized", d),
            Edit::ColorAdjusted(d) => ("c2pa.color_adjustments", d),
            Edit::Edited(d) => ("c2pa.edited", d),
            Edit::BackgroundPlaced {
                description,
                component,
            } => {
                ingredients.push(ingredient(
                    component,
                    "componentOf",
                    "background",
                    "the new background behind the person",
                ));
                actions.push(json!({
                    "action": "c2pa.placed",
                    "softwareAgent": agent,
                    "description": description,
                    "digitalSourceType": format!("{}compositeCapture", xmp::IPTC_SOURCE_TYPES),
                    "parameters": { "ingredientIds": ["background"] },
                }));
                continue;
            }
        };
        actions.push(json!({ "action": name, "softwareAgent": agent, "description": description }));
    }
    json!({
        "claim_generator_info": [agent],
        "title": c.title,
        "format": c.format.mime(),
        "ingredients": ingredients,
        "assertions": [
            { "label": "c2pa.actions", "data": { "actions": actions } },
            { "label": ASSERTION, "data": c.assertion },
        ],
    })
}

/// Puts XMP into an encoded output and signs content credentials into it.
pub fn sign(encoded: &[u8], claim: &Claim, signer: &dyn c2pa::Signer) -> Result<Vec<u8>, Error> {
    let with_xmp = xmp::embed(encoded, claim.format, &xmp::packet(&claim.xmp))?;
    let context = c2pa::Context::new()
        .with_settings(r#"{"builder": {"thumbnail": {"enabled": false}}}"#)
        .map_err(|e| Error::Sign(e.to_string()))?;
    let mut builder = c2pa::Builder::from_context(context)
        .with_definition(definition(claim).to_string())
        .map_err(|e| Error::Sign(format!("manifest: {e}")))?;
    let mut source = Cursor::new(with_xmp);
    let mut dest = Cursor::new(Vec::new());
    builder
        .sign(signer, claim.format.mime(), &mut source, &mut dest)
        .map_err(|e| Error::Sign(e.to_string()))?;
    Ok(dest.into_inner())
}
