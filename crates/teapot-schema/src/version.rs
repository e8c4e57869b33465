//! Schema versions for expand / contract: while `migrate --online` has a migration expanded, each
//! version of an app's models sees the tables it was written for through views in a schema of
//! its own, named after the app's latest migration that version knows. The migrator makes those
//! schemas; the derive finds, when it compiles a model, which version the model is, so that the
//! ORM can put that schema first in its search_path (a schema that does not exist is skipped, so
//! outside an expand the plain tables are used).

use std::path::{Path, PathBuf};

/// PostgreSQL's longest identifier, in bytes.
const MAX_NAME: usize = 63;

/// A name shortened to fit PostgreSQL's 63 bytes: a prefix and a hash of the whole, so two long
/// names never end up the same.
pub fn short_name(name: &str) -> String {
    if name.len() <= MAX_NAME {
        return name.to_string();
    }
    let hash = format!("{:x}", md5::compute(name.as_bytes()));
    let hash = &hash[..12];
    let mut cut = MAX_NAME - hash.len() - 1;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash}", &name[..cut])
}

/// The schema of views through which the version of an app's models whose latest migration is
/// `migration` sees its tables while an expand is in flight (`zero`: before the app's first).
pub fn version_schema(app: &str, migration: Option<&str>) -> String {
    short_name(&format!("teapot_v_{app}_{}", migration.unwrap_or("zero")).to_lowercase())
}

/// The teapot.toml that governs a crate: the first one found from its folder upwards.
pub fn find_project_file(crate_dir: &Path) -> Option<PathBuf> {
    crate_dir.ancestors().map(|d| d.join("teapot.toml")).find(|p| p.is_file())
}

/// The latest migration of `app` in the project of teapot.toml `project_file` (the highest file
/// name in its migrations folder, which is the last one makemigrations wrote), None when the
/// project has no such app or the app no migration. Read by the derive at compile time.
pub fn latest_migration(project_file: &Path, app: &str) -> Option<String> {
    let text = std::fs::read_to_string(project_file).ok()?;
    let doc: toml::Table = text.parse().ok()?;
    let entry = doc.get("apps")?.as_table()?.get(app)?.as_table()?;
    let folder = entry.get("migrations").and_then(|v| v.as_str()).map(str::to_string).unwrap_or_else(|| format!("migrations/{app}"));
    let dir = project_file.parent()?.join(folder);
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".toml")?;
            stem.chars().take(4).all(|c| c.is_ascii_digit()).then(|| stem.to_string())
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_fit_and_stay_distinct() {
        let a = version_schema(&"a".repeat(40), Some(&format!("0002_{}", "x".repeat(40))));
        let b = version_schema(&"a".repeat(40), Some(&format!("0002_{}", "y".repeat(40))));
        assert!(a.len() <= MAX_NAME && b.len() <= MAX_NAME, "{a} {b}");
        assert_ne!(a, b);
        assert_eq!(version_schema("shop", Some("0002_X")), "teapot_v_shop_0002_x");
        assert_eq!(version_schema("shop", None), "teapot_v_shop_zero");
    }

    #[test]
    fn the_latest_migration_is_the_highest_file() {
        let dir = std::env::temp_dir().join(format!("teapot_version_{}", std::process::id()));
        std::fs::create_dir_all(dir.join("migs")).expect("dir");
        std::fs::write(dir.join("teapot.toml"), "[apps.shop]\nmodels = []\nmigrations = \"migs\"\n").expect("toml");
        for f in ["0001_initial.toml", "0002_b.toml", "teapot.sum", "0002_b.toml~"] {
            std::fs::write(dir.join("migs").join(f), "").expect("file");
        }
        assert_eq!(latest_migration(&dir.join("teapot.toml"), "shop").as_deref(), Some("0002_b"));
        assert_eq!(latest_migration(&dir.join("teapot.toml"), "blog"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
