//! The headshots of one photo with the default guideline, in a few lines of the library:
//! `cargo run --release -p trueshot-pipeline --example headshots -- PHOTO OUT_DIR`
//! (models fetched by `trueshot models fetch`; signed with the local test certificate).

use std::path::Path;

use trueshot_pipeline::{Engine, FolderSink, Input, Overrides, Recipe, Signing, Sink};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, photo, out] = &args[..] else {
        return Err("usage: headshots PHOTO OUT_DIR".into());
    };
    let store = trueshot_vision::ModelStore::new(trueshot_vision::ModelStore::default_dir());
    let engine = Engine::load(&store, Signing::test()?)?;
    let recipe = Recipe::new(
        trueshot_guide::Guideline::load_full("corporate")?,
        &Overrides::default(),
    )?;
    let bytes = std::fs::read(photo)?;
    let path = Path::new(photo);
    let name =
        trueshot_pipeline::safe_stem(&path.file_stem().unwrap_or_default().to_string_lossy());
    let mut outcome = engine.process(&recipe, &Input::new(&bytes, path, &name));
    FolderSink::new(Path::new(out))?.deliver(&mut outcome);
    println!(
        "{}: {:?}, files {:?}",
        name, outcome.report.status, outcome.report.outputs
    );
    Ok(())
}
