//! Screening inputs: a photo whose own metadata or content credentials declare that generative AI
//! made it (IPTC digital source type `trainedAlgorithmicMedia` or
//! `compositeWithTrainedAlgorithmicMedia`, in XMP or in a C2PA action) is not a real photograph.

use serde::Serialize;

use crate::xmp;

/// The IPTC / C2PA digital source type terms that mean "made with generative AI".
pub const GENERATIVE_TERMS: [&str; 2] = [
    "trainedAlgorithmicMedia",
    "compositeWithTrainedAlgorithmicMedia",
];

/// Where a photo says it was made by AI, and the value it gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AiDeclaration {
    /// `XMP` or `C2PA`.
    pub declared_in: &'static str,
    /// The full digital source type value.
    pub source_type: String,
    /// For C2PA: the action and the tool that signed it.
    pub detail: Option<String>,
}

impl AiDeclaration {
    /// A sentence for reports and `check`.
    pub fn describe(&self) -> String {
        let term = self.source_type.rsplit('/').next().unwrap_or_default();
        match (&self.declared_in, &self.detail) {
            (&"C2PA", Some(d)) => format!(
                "its content credentials declare it was made by generative AI ({term}, {d})"
            ),
            _ => format!(
                "its {} metadata declares it was made by generative AI (IPTC digital source type {term})",
                self.declared_in
            ),
        }
    }
}

fn generative(value: &str) -> bool {
    let term = value.trim().rsplit('/').next().unwrap_or_default();
    GENERATIVE_TERMS
        .iter()
        .any(|t| t.eq_ignore_ascii_case(term))
}

/// Looks for a generative-AI declaration in the photo's XMP, then in its C2PA manifests.
pub fn screen(bytes: &[u8]) -> Option<AiDeclaration> {
    screen_xmp(bytes).or_else(|| screen_c2pa(bytes))
}

/// The digital source types an XMP packet states (attribute, element or `rdf:resource` form).
fn xmp_source_types(packet: &[u8]) -> Vec<String> {
    let key = memchr::memmem::Finder::new(b"DigitalSourceType");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = key.find(&packet[from..]) {
        let at = from + i + b"DigitalSourceType".len();
        from = at;
        // the value follows within a few hundred bytes: the next URI or term up to `"`, `'` or `<`
        let window = &packet[at..(at + 400).min(packet.len())];
        let text = String::from_utf8_lossy(window);
        let text = text.trim_start_matches(['"', '\'', '=', '>', ' ', '\n', '\r', '\t']);
        let text = text
            .strip_prefix("rdf:resource=")
            .map(|t| t.trim_start_matches(['"', '\'']))
            .unwrap_or(text);
        let value: String = text
            .chars()
            .take_while(|c| !matches!(c, '"' | '\'' | '<' | ' ' | '\n' | '\r' | '\t'))
            .collect();
        if !value.is_empty() {
            out.push(value);
        }
    }
    out
}

fn screen_xmp(bytes: &[u8]) -> Option<AiDeclaration> {
    xmp::packets(bytes, 8)
        .into_iter()
        .flat_map(xmp_source_types)
        .find(|v| generative(v))
        .map(|v| AiDeclaration {
            declared_in: "XMP",
            source_type: v,
            detail: None,
        })
}

fn screen_c2pa(bytes: &[u8]) -> Option<AiDeclaration> {
    // Cheap test first: every embedded manifest store carries the JUMBF label `c2pa`.
    memchr::memmem::find(bytes, b"c2pa")?;
    let format = crate::sniff(bytes)?;
    // The declaration counts whether or not the signature is valid: no hashing needed.
    let context = c2pa::Context::new()
        .with_settings(r#"{"verify": {"verify_after_reading": false}}"#)
        .ok()?;
    // C2PA parses untrusted containers: a panic in it must not take the batch down.
    let reader = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c2pa::Reader::from_context(context).with_stream(format.mime(), std::io::Cursor::new(bytes))
    }))
    .ok()?
    .ok()?;
    let store: serde_json::Value = serde_json::from_str(&reader.json()).ok()?;
    for manifest in store["manifests"].as_object()?.values() {
        let tool = manifest["claim_generator_info"][0]["name"]
            .as_str()
            .or(manifest["claim_generator"].as_str())
            .unwrap_or("an unnamed tool");
        for assertion in manifest["assertions"].as_array().into_iter().flatten() {
            if !assertion["label"]
                .as_str()
                .is_some_and(|l| l.starts_with("c2pa.actions"))
            {
                continue;
            }
            for action in assertion["data"]["actions"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(dst) = action["digitalSourceType"]
                    .as_str()
                    .filter(|d| generative(d))
                {
                    return Some(AiDeclaration {
                        declared_in: "C2PA",
                        source_type: dst.to_string(),
                        detail: Some(format!(
                            "action {} signed by {tool}",
                            action["action"].as_str().unwrap_or("?")
                        )),
                    });
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_xmp_form() {
        let forms = [
            r#"<rdf:Description Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>"#,
            "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>",
            r#"<Iptc4xmpExt:DigitalSourceType rdf:resource="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>"#,
        ];
        for f in forms {
            let packet = format!("<x:xmpmeta>{f}</x:xmpmeta>");
            let d = screen_xmp(packet.as_bytes()).expect(f);
            assert_eq!(d.declared_in, "XMP");
        }
        // real captures and algorithmic edits are not generative
        for term in [
            "digitalCapture",
            "compositeCapture",
            "algorithmicallyEnhanced",
        ] {
            let packet = format!(
                r#"<x:xmpmeta><rdf:Description Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/{term}"/></x:xmpmeta>"#
            );
            assert_eq!(screen_xmp(packet.as_bytes()), None, "{term}");
        }
    }
}
