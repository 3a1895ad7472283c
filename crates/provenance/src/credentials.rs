//! Who signs the content credentials: an organisation's own certificate and key, or — for a first
//! run — a local test chain that trueshot creates once (root → intermediate → signer, ES256), which
//! C2PA readers accept as validly signed but never as trusted.

use std::path::{Path, PathBuf};

use c2pa::{BoxedSigner, SigningAlg};

use crate::Error;

/// The files of a local test chain, in its folder.
const ROOT: &str = "test-root.pem";
const CHAIN: &str = "test-signer-chain.pem";
const KEY: &str = "test-signer-key.pem";
/// Marks every certificate of the local chain; `trueshot verify` recognises it by this.
pub const TEST_ORGANISATION: &str = "trueshot local TEST credentials";

/// Where the signing certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The local test chain in this folder (`created`: made by this call).
    Test { dir: PathBuf, created: bool },
    /// An organisation's own certificate chain.
    Own { certificate: PathBuf },
}

/// A certificate chain (signer first) and its private key, ready to sign.
pub struct Credentials {
    chain_pem: Vec<u8>,
    key_pem: Vec<u8>,
    alg: SigningAlg,
    pub origin: Origin,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never the key
        f.debug_struct("Credentials")
            .field("alg", &self.alg)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// An organisation's certificate chain (PEM, signer first, then intermediates) and private key
    /// (PEM). The algorithm is found by trying the ones C2PA allows.
    pub fn from_files(certificate: &Path, key: &Path) -> Result<Self, Error> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| Error::Credentials(format!("{}: {e}", p.display())))
        };
        let chain_pem = read(certificate)?;
        let key_pem = read(key)?;
        let alg = [
            SigningAlg::Es256,
            SigningAlg::Es384,
            SigningAlg::Es512,
            SigningAlg::Ps256,
            SigningAlg::Ps384,
            SigningAlg::Ps512,
            SigningAlg::Ed25519,
        ]
        .into_iter()
        .find(|&alg| {
            // Signing alone does not prove the key belongs to the certificate: sign a tiny
            // picture and validate it.
            c2pa::create_signer::from_keys(&chain_pem, &key_pem, alg, None)
                .is_ok_and(|s| signs_validly(s.as_ref()))
        })
        .ok_or_else(|| {
            Error::Credentials(format!(
                "{} and {}: not a certificate chain and matching private key C2PA can sign with (PEM; ES256/384/512, PS256/384/512 or Ed25519)",
                certificate.display(),
                key.display()
            ))
        })?;
        Ok(Self {
            chain_pem,
            key_pem,
            alg,
            origin: Origin::Own {
                certificate: certificate.to_path_buf(),
            },
        })
    }

    /// The local test chain in `dir`, created there on first use.
    pub fn test(dir: &Path) -> Result<Self, Error> {
        let created = !dir.join(KEY).is_file();
        if created {
            create_test_chain(dir)?;
        }
        let chain_pem = std::fs::read(dir.join(CHAIN))
            .map_err(|e| Error::Credentials(format!("{}: {e}", dir.join(CHAIN).display())))?;
        let key_pem = std::fs::read(dir.join(KEY))
            .map_err(|e| Error::Credentials(format!("{}: {e}", dir.join(KEY).display())))?;
        Ok(Self {
            chain_pem,
            key_pem,
            alg: SigningAlg::Es256,
            origin: Origin::Test {
                dir: dir.to_path_buf(),
                created,
            },
        })
    }

    /// The root certificate of a local test chain (to trust it when verifying, in tests).
    pub fn test_root(dir: &Path) -> Option<String> {
        std::fs::read_to_string(dir.join(ROOT)).ok()
    }

    /// A C2PA signer (no timestamp authority: nothing leaves the machine).
    pub fn signer(&self) -> Result<BoxedSigner, Error> {
        c2pa::create_signer::from_keys(&self.chain_pem, &self.key_pem, self.alg, None)
            .map_err(|e| Error::Credentials(format!("cannot make a signer: {e}")))
    }

    /// One line for the user: who signs, and whether anyone else will trust it.
    pub fn describe(&self) -> String {
        match &self.origin {
            Origin::Test { dir, created } => format!(
                "content credentials are signed with a local TEST certificate ({}{}): readers will show them as valid but not trusted. Use your organisation's certificate with --sign-cert and --sign-key for headshots you publish",
                dir.display(),
                if *created { ", created now" } else { "" }
            ),
            Origin::Own { certificate } => format!(
                "content credentials are signed with {}",
                certificate.display()
            ),
        }
    }
}

/// Whether `signer` makes credentials that validate (its key matches its certificate, and C2PA
/// accepts the certificate's profile), tried on a 1×1 PNG.
fn signs_validly(signer: &dyn c2pa::Signer) -> bool {
    let claim = crate::Claim {
        title: "probe.png".into(),
        format: crate::Format::Png,
        original: crate::Source {
            title: "probe".into(),
            format: "image/png".into(),
            sha256: crate::sha256_hex(b"probe"),
        },
        edits: Vec::new(),
        xmp: crate::XmpFields::default(),
        assertion: serde_json::json!({}),
    };
    crate::sign(&probe_png(), &claim, signer)
        .ok()
        .and_then(|signed| crate::read(&signed, None).ok())
        .is_some_and(|v| matches!(v.state, crate::State::Valid | crate::State::Trusted))
}

/// A 1×1 grey PNG (zlib stored block, no compression library needed).
fn probe_png() -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        let crc = crc32fast::hash(&c[4..]);
        c.extend_from_slice(&crc.to_be_bytes());
        c
    };
    let raw = [0u8, 128, 128, 128]; // filter none, one grey pixel
    let adler = {
        let (mut a, mut b) = (1u32, 0u32);
        for &x in &raw {
            a = (a + x as u32) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    };
    let mut z = vec![0x78, 0x01, 0x01, 4, 0, !4u8, 0xFF];
    z.extend_from_slice(&raw);
    z.extend_from_slice(&adler.to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
    png.extend(chunk(b"IDAT", &z));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// The default folder of the local test chain: `$TRUESHOT_TEST_CREDENTIALS`, else
/// `$XDG_DATA_HOME/trueshot/test-credentials`, else `~/.local/share/trueshot/test-credentials`.
pub fn default_test_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("TRUESHOT_TEST_CREDENTIALS") {
        return PathBuf::from(d);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    data.join("trueshot/test-credentials")
}

/// Root (CA) → intermediate (CA, path length 0) → signer (digital signature, non-repudiation;
/// e-mail protection and document signing usages, as C2PA requires), all ES256, valid from last
/// year for ten years. Written to a temporary folder first and renamed into place.
fn create_test_chain(dir: &Path) -> Result<(), Error> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
        ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    };
    let bad = |e: rcgen::Error| Error::Credentials(format!("cannot create the test chain: {e}"));
    let year = 1970
        + (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            / 31_556_952) as i32;
    let params = |cn: &str, ca: Option<IsCa>| {
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, cn);
        dn.push(DnType::OrganizationName, TEST_ORGANISATION);
        p.distinguished_name = dn;
        p.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
        p.not_after = rcgen::date_time_ymd(year + 10, 1, 1);
        p.use_authority_key_identifier_extension = true;
        match ca {
            Some(is_ca) => {
                p.is_ca = is_ca;
                p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            }
            None => {
                p.is_ca = IsCa::ExplicitNoCa;
                p.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::ContentCommitment,
                ];
                p.extended_key_usages = vec![
                    ExtendedKeyUsagePurpose::EmailProtection,
                    // id-kp-documentSigning
                    ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 36]),
                ];
            }
        }
        p
    };
    let key = || KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(bad);
    let root = CertifiedIssuer::self_signed(
        params(
            "trueshot local test root (for testing only)",
            Some(IsCa::Ca(BasicConstraints::Unconstrained)),
        ),
        key()?,
    )
    .map_err(bad)?;
    let intermediate = CertifiedIssuer::signed_by(
        params(
            "trueshot local test intermediate (for testing only)",
            Some(IsCa::Ca(BasicConstraints::Constrained(0))),
        ),
        key()?,
        &root,
    )
    .map_err(bad)?;
    let signer_key = key()?;
    let signer = params("trueshot local test signer (NOT TRUSTED)", None)
        .signed_by(&signer_key, &intermediate)
        .map_err(bad)?;

    let io = |e: std::io::Error| Error::Credentials(format!("{}: {e}", dir.display()));
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io)?;
    // unique per process and call: two threads may create chains in the same folder at once
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let tmp = parent.join(format!(
        ".test-credentials.{}.{}",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io)?;
    std::fs::write(tmp.join(ROOT), root.pem()).map_err(io)?;
    std::fs::write(
        tmp.join(CHAIN),
        format!("{}{}", signer.pem(), intermediate.pem()),
    )
    .map_err(io)?;
    write_private(&tmp.join(KEY), signer_key.serialize_pem().as_bytes()).map_err(io)?;
    std::fs::write(
        tmp.join("README.txt"),
        "A local TEST certificate chain made by trueshot on its first run, so that headshots carry\n\
         content credentials at once. Readers show them as valid but not trusted: no one else\n\
         trusts this root. Sign published headshots with your organisation's certificate\n\
         (trueshot process --sign-cert CHAIN.pem --sign-key KEY.pem).\n",
    )
    .map_err(io)?;
    match std::fs::rename(&tmp, dir) {
        Ok(()) => Ok(()),
        // another process made it first: use theirs
        Err(_) if dir.join(KEY).is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(io(e))
        }
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
