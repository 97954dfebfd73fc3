//! `cargo xtask zones [DIR]`: regenerates `crates/protocol/src/router/zones.rs`, the router's
//! time zone → country table, from tzdata's `zone.tab`, `zone1970.tab`, `iso3166.tab` and
//! `tzdata.zi` in DIR (default `/usr/share/zoneinfo`, Debian's `tzdata` package). The logic
//! lives in the protocol crate (`router/zones_gen.rs`, included here by path) so its tests can
//! check the committed table against it without a second copy.

#[path = "../../crates/protocol/src/router/zones_gen.rs"]
mod zones_gen;

use crate::util::root;
use std::path::{Path, PathBuf};

/// Where Debian (and most Linux systems) keep tzdata's text files.
pub const DEFAULT_DIR: &str = "/usr/share/zoneinfo";

fn read(dir: &Path, name: &str) -> Result<String, String> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

pub fn run(args: &[String]) -> Result<(), String> {
    let dir = PathBuf::from(args.first().map_or(DEFAULT_DIR, String::as_str));
    let (zone_tab, zone1970_tab, iso3166_tab, tzdata_zi) = (
        read(&dir, "zone.tab")?,
        read(&dir, "zone1970.tab")?,
        read(&dir, "iso3166.tab")?,
        read(&dir, "tzdata.zi")?,
    );
    let generated = zones_gen::generate(&zones_gen::Tzdata {
        zone_tab: &zone_tab,
        zone1970_tab: &zone1970_tab,
        iso3166_tab: &iso3166_tab,
        tzdata_zi: &tzdata_zi,
    })?;
    let out = root().join("crates/protocol/src/router/zones.rs");
    std::fs::write(&out, &generated.source)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!(
        "zones: wrote {} from tzdata {} in {} ({} lines, {} bytes)",
        out.display(),
        generated.version,
        dir.display(),
        generated.source.lines().count(),
        generated.source.len()
    );
    for alias in &generated.unreviewed_aliases {
        println!(
            "zones: {alias}: the target is shared by several countries, so the alias gets no \
             country; add it to REVIEWED_ALIASES in zones_gen.rs if you know its country"
        );
    }
    Ok(())
}
