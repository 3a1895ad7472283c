//! `trueshot guide list | show NAME|FILE | validate FILE... | schema`

use anyhow::Result;
use clap::Subcommand;
use trueshot_guide::{Guideline, PRESETS};

#[derive(Subcommand)]
pub enum GuideAction {
    /// The built-in guidelines.
    List,
    /// Every setting of a guideline, with its documentation and allowed range, as TOML.
    Show {
        #[arg(value_name = "NAME|FILE")]
        guide: String,
    },
    /// Check guideline files; errors give the line and column. Exit code 0 valid, 1 invalid.
    Validate {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// The JSON schema of guideline files.
    Schema,
}

pub fn run(action: &GuideAction) -> Result<u8> {
    match action {
        GuideAction::List => {
            for (name, _) in PRESETS {
                let g = Guideline::preset(name)?;
                let sizes: Vec<String> = g
                    .variant
                    .iter()
                    .map(|v| format!("{} {}×{}", v.name, v.width, v.height))
                    .collect();
                println!("{name:<12} {} [{}]", g.description, sizes.join(", "));
            }
            Ok(0)
        }
        GuideAction::Show { guide } => {
            let loaded = Guideline::load_full(guide)?;
            println!(
                "# Guideline from {} (sha256 {}).\n# Every setting is listed with its meaning and allowed range.\n",
                loaded.source, loaded.sha256
            );
            print!("{}", loaded.guide.to_toml());
            Ok(0)
        }
        GuideAction::Validate { files } => {
            let mut code = 0;
            for f in files {
                match Guideline::load_full(f) {
                    Ok(l) => println!(
                        "{f}: valid — \"{}\", {} variant(s), {} sheet(s)",
                        l.guide.name,
                        l.guide.variant.len(),
                        l.guide.sheet.len()
                    ),
                    Err(e) => {
                        println!("{e}");
                        code = 1;
                    }
                }
            }
            Ok(code)
        }
        GuideAction::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&Guideline::json_schema())?
            );
            Ok(0)
        }
    }
}
