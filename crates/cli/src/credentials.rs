//! Who signs the content credentials of a run: `--sign-cert` and `--sign-key`, or the
//! environment, or a local test certificate.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use trueshot_pipeline::Signing;

#[derive(Args, Clone, Default)]
pub struct SignArgs {
    /// Certificate chain (PEM, signer first) that signs the content credentials
    /// [default: $TRUESHOT_SIGN_CERT, else a local test certificate created on first use]
    #[arg(long, value_name = "PEM", requires = "sign_key")]
    pub sign_cert: Option<PathBuf>,
    /// Private key (PEM) of --sign-cert [default: $TRUESHOT_SIGN_KEY]
    #[arg(long, value_name = "PEM", requires = "sign_cert")]
    pub sign_key: Option<PathBuf>,
}

impl SignArgs {
    pub fn load(&self) -> Result<Signing> {
        let env = |k: &str| std::env::var_os(k).map(PathBuf::from);
        Ok(
            match (
                self.sign_cert.clone().or_else(|| env("TRUESHOT_SIGN_CERT")),
                self.sign_key.clone().or_else(|| env("TRUESHOT_SIGN_KEY")),
            ) {
                (Some(cert), Some(key)) => Signing::from_files(&cert, &key)?,
                (None, None) => Signing::test()?,
                _ => anyhow::bail!(
                    "a signing certificate needs its key and the other way round: set both --sign-cert and --sign-key (or TRUESHOT_SIGN_CERT and TRUESHOT_SIGN_KEY)"
                ),
            },
        )
    }
}
