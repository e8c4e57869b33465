//! `migrations/teapot.sum`: a checksum per migration file, so an edited migration is caught.
//! Line endings are normalised first, so a checkout on another OS gives the same sums.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use teapot_core::{Error, ErrorKind, Result};

/// The checksum of a migration file's text: `sha256:<hex>` of the text with `\r\n` as `\n`.
pub fn checksum(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n");
    let digest = Sha256::digest(normalised.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The sums, keyed by the file's path relative to the project root (with `/`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SumFile {
    /// path -> checksum.
    pub entries: BTreeMap<String, String>,
}

const HEADER: &str = "# teapot.sum: one checksum per migration file. Written by `teapot makemigrations`;\n# `teapot check` fails when a file no longer matches its line. Do not edit by hand.\n";

impl SumFile {
    /// Reads the file; a missing file is an empty one.
    pub fn read(path: &Path) -> Result<SumFile> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SumFile::default()),
            Err(e) => return Err(Error::new(ErrorKind::Io, format!("cannot read {}: {e}", path.display()))),
        };
        let mut entries = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (file, sum) = line.split_once(' ').ok_or_else(|| {
                Error::new(ErrorKind::MigrationFile, format!("{}:{}: expected `<file> sha256:<hex>`", path.display(), i + 1))
                    .hint("delete the line and run `teapot makemigrations` to write it again")
            })?;
            entries.insert(file.to_string(), sum.trim().to_string());
        }
        Ok(SumFile { entries })
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut out = String::from(HEADER);
        for (f, s) in &self.entries {
            out.push_str(&format!("{f} {s}\n"));
        }
        out
    }

    /// Writes the file (creating its folder).
    pub fn write(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::new(ErrorKind::Io, format!("cannot create {}: {e}", dir.display())))?;
        }
        std::fs::write(path, self.render()).map_err(|e| Error::new(ErrorKind::Io, format!("cannot write {}: {e}", path.display())))
    }
}
