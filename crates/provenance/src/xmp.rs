//! XMP written into every output: IPTC's digital source type, creator and copyright from the
//! guideline, an instance id. Nothing from the original's metadata is carried over (no GPS, no
//! device serials, no names the guideline did not give).

use crate::{Error, Format};

/// IPTC's vocabulary for how a picture came to be.
pub const IPTC_SOURCE_TYPES: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/";

/// What the XMP packet of an output says.
#[derive(Clone, Debug, Default)]
pub struct XmpFields {
    /// IPTC digital source type term, e.g. `compositeCapture` (background replaced) or
    /// `algorithmicallyEnhanced` (a real capture with algorithmic edits).
    pub digital_source_type: String,
    pub creator: Option<String>,
    pub copyright: Option<String>,
    /// `xmp.iid:…`
    pub instance_id: String,
    /// A sentence about what the picture is.
    pub description: Option<String>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The XMP packet (UTF-8, with a wrapper).
pub fn packet(f: &XmpFields) -> String {
    let mut body = String::new();
    if let Some(c) = f.creator.as_deref().filter(|c| !c.is_empty()) {
        body += &format!(
            "   <dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>\n",
            esc(c)
        );
    }
    if let Some(c) = f.copyright.as_deref().filter(|c| !c.is_empty()) {
        body += &format!(
            "   <dc:rights><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:rights>\n",
            esc(c)
        );
    }
    if let Some(d) = f.description.as_deref().filter(|c| !c.is_empty()) {
        body += &format!(
            "   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:description>\n",
            esc(d)
        );
    }
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
 <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
  <rdf:Description rdf:about=\"\"\n\
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n\
    xmlns:xmpMM=\"http://ns.adobe.com/xap/1.0/mm/\"\n\
    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n\
    xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\"\n\
   xmpMM:InstanceID=\"{iid}\"\n\
   xmp:CreatorTool=\"trueshot {version}\"\n\
   Iptc4xmpExt:DigitalSourceType=\"{IPTC_SOURCE_TYPES}{dst}\">\n\
{body}  </rdf:Description>\n\
 </rdf:RDF>\n\
</x:xmpmeta>\n\
<?xpacket end=\"r\"?>",
        iid = esc(&f.instance_id),
        version = env!("CARGO_PKG_VERSION"),
        dst = esc(&f.digital_source_type),
    )
}

/// Puts an XMP packet into an encoded JPEG (APP1 after the JFIF header), PNG (iTXt before the
/// pixel data) or WebP (an `XMP ` chunk, flagged in VP8X).
pub fn embed(bytes: &[u8], format: Format, xmp: &str) -> Result<Vec<u8>, Error> {
    match format {
        Format::Jpeg => embed_jpeg(bytes, xmp),
        Format::Png => embed_png(bytes, xmp),
        Format::Webp => embed_webp(bytes, xmp),
        other => Err(bad(
            other,
            "trueshot writes XMP into JPEG, PNG and WebP only",
        )),
    }
}

fn bad(format: Format, why: &str) -> Error {
    Error::Embed(format!("{}: {why}", format.mime()))
}

fn embed_jpeg(bytes: &[u8], xmp: &str) -> Result<Vec<u8>, Error> {
    const NS: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
    if bytes.len() < 4 || bytes[..2] != [0xFF, 0xD8] {
        return Err(bad(Format::Jpeg, "no start of image"));
    }
    let len = NS.len() + xmp.len() + 2;
    if len > 65535 {
        return Err(bad(Format::Jpeg, "XMP packet too large"));
    }
    // after SOI and an APP0 (JFIF) if there is one
    let mut at = 2;
    if bytes[2..4] == [0xFF, 0xE0] && bytes.len() >= 6 {
        at = 4 + u16::from_be_bytes([bytes[4], bytes[5]]) as usize;
        if at > bytes.len() {
            return Err(bad(Format::Jpeg, "truncated APP0"));
        }
    }
    let mut out = Vec::with_capacity(bytes.len() + len + 2);
    out.extend_from_slice(&bytes[..at]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(NS);
    out.extend_from_slice(xmp.as_bytes());
    out.extend_from_slice(&bytes[at..]);
    Ok(out)
}

fn embed_png(bytes: &[u8], xmp: &str) -> Result<Vec<u8>, Error> {
    const SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIG) {
        return Err(bad(Format::Png, "no PNG signature"));
    }
    // find the first IDAT
    let mut at = SIG.len();
    loop {
        if at + 8 > bytes.len() {
            return Err(bad(Format::Png, "no pixel data"));
        }
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap_or_default()) as usize;
        if &bytes[at + 4..at + 8] == b"IDAT" {
            break;
        }
        at += 12 + len;
    }
    // iTXt: keyword, NUL, compression flag 0, method 0, empty language tag and translated keyword
    let mut data = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    data.extend_from_slice(xmp.as_bytes());
    let mut chunk = Vec::with_capacity(data.len() + 12);
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    chunk.extend_from_slice(b"iTXt");
    chunk.extend_from_slice(&data);
    let crc = crc32fast::hash(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    let mut out = Vec::with_capacity(bytes.len() + chunk.len());
    out.extend_from_slice(&bytes[..at]);
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&bytes[at..]);
    Ok(out)
}

fn embed_webp(bytes: &[u8], xmp: &str) -> Result<Vec<u8>, Error> {
    if bytes.len() < 30 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WEBP" {
        return Err(bad(Format::Webp, "not a RIFF WEBP file"));
    }
    // The encoder writes VP8X (extended format) whenever there is an ICC profile, which trueshot
    // always embeds.
    if &bytes[12..16] != b"VP8X" {
        return Err(bad(Format::Webp, "no extended-format header"));
    }
    let mut out = bytes.to_vec();
    out[20] |= 0x04; // XMP metadata present
    let mut chunk = b"XMP ".to_vec();
    chunk.extend_from_slice(&(xmp.len() as u32).to_le_bytes());
    chunk.extend_from_slice(xmp.as_bytes());
    if xmp.len() % 2 == 1 {
        chunk.push(0);
    }
    out.extend_from_slice(&chunk);
    let riff = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    Ok(out)
}

/// The XMP packets in a file of any format (they are stored as plain text in JPEG, PNG, WebP,
/// TIFF, HEIF and AVIF), at most `max` of them.
pub fn packets(bytes: &[u8], max: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut from = 0;
    let open = memchr::memmem::Finder::new(b"<x:xmpmeta");
    let close = memchr::memmem::Finder::new(b"</x:xmpmeta>");
    while out.len() < max {
        let Some(s) = open.find(&bytes[from..]) else {
            break;
        };
        let s = from + s;
        let Some(e) = close.find(&bytes[s..]) else {
            break;
        };
        let e = s + e + b"</x:xmpmeta>".len();
        out.push(&bytes[s..e]);
        from = e;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_escapes_and_is_found_again() {
        let p = packet(&XmpFields {
            digital_source_type: "compositeCapture".into(),
            creator: Some("Ann & <Bob>".into()),
            copyright: Some("© 2026 Example \"Corp\"".into()),
            instance_id: "xmp.iid:1".into(),
            description: None,
        });
        assert!(p.contains("Ann &amp; &lt;Bob&gt;"));
        assert!(p.contains("&quot;Corp&quot;"));
        let file = [b"junk".as_slice(), p.as_bytes(), b"more"].concat();
        let found = packets(&file, 4);
        assert_eq!(found.len(), 1);
        assert!(std::str::from_utf8(found[0])
            .unwrap()
            .contains("digitalsourcetype/compositeCapture"));
    }
}
