//! Makes the fixtures of photos that declare they were made by generative AI, from real sample
//! photos: `photos/ai-labelled/xmp_trained.jpg` (biden.jpg with XMP
//! `Iptc4xmpExt:DigitalSourceType` = `trainedAlgorithmicMedia`, as image generators write it) and
//! `photos/ai-labelled/c2pa_composite_trained.jpg` (grace_hopper.jpg with a C2PA manifest whose
//! `c2pa.created` action has digital source type `compositeWithTrainedAlgorithmicMedia`, signed
//! by "some-image-generator" with a throwaway test chain). The pixels are the real photos'.
//! Run: `cargo run --release -p trueshot-provenance --example make_ai_fixtures`.

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = root.join("photos/ai-labelled");
    std::fs::create_dir_all(&out).unwrap();

    let biden = std::fs::read(root.join("photos/samples/biden.jpg")).unwrap();
    let packet = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"><Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType></rdf:Description></rdf:RDF></x:xmpmeta>"#;
    let labelled =
        trueshot_provenance::xmp::embed(&biden, trueshot_provenance::Format::Jpeg, packet).unwrap();
    std::fs::write(out.join("xmp_trained.jpg"), labelled).unwrap();

    let keys = std::env::temp_dir().join(format!("trueshot-generator-{}", std::process::id()));
    let creds = trueshot_provenance::Credentials::test(&keys).unwrap();
    let hopper = std::fs::read(root.join("photos/samples/grace_hopper.jpg")).unwrap();
    let def = serde_json::json!({
        "claim_generator_info": [{ "name": "some-image-generator", "version": "2.0" }],
        "title": "portrait.jpg",
        "assertions": [{ "label": "c2pa.actions", "data": { "actions": [{
            "action": "c2pa.created",
            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia",
        }]}}],
    });
    let mut builder = c2pa::Builder::default()
        .with_definition(def.to_string())
        .unwrap();
    let mut signed = std::io::Cursor::new(Vec::new());
    builder
        .sign(
            creds.signer().unwrap().as_ref(),
            "image/jpeg",
            &mut std::io::Cursor::new(hopper),
            &mut signed,
        )
        .unwrap();
    std::fs::write(out.join("c2pa_composite_trained.jpg"), signed.into_inner()).unwrap();
    let _ = std::fs::remove_dir_all(&keys);
    println!("wrote {}", out.display());
}
