//! Which version of each app's models this program was built with, so that its sessions see the
//! tables those models were written for while `migrate --online` has a change expanded (both the
//! old and the new shape live then, each behind views in a schema named after its version; see
//! docs/online.md).
//!
//! The derive registers, for each model, the schema of its app's latest migration when it was
//! compiled. A PostgreSQL [`crate::Db`] puts those schemas first in every session's search_path.
//! A schema that does not exist is skipped by PostgreSQL, so outside an expand (and once it is
//! completed or aborted) the plain tables are used: no setting, and nothing to switch off.

/// The version of one app's models compiled into this program (registered by the derive).
#[derive(Debug)]
pub struct AppVersion {
    /// The schema of views of that version (`teapot_v_<app>_<latest migration>`).
    pub schema: &'static str,
}

inventory::collect!(AppVersion);

/// The version schemas of every app compiled into this program, each once, in name order.
pub fn compiled_versions() -> Vec<String> {
    let mut out: Vec<String> = inventory::iter::<AppVersion>.into_iter().map(|v| v.schema.to_string()).collect();
    out.sort();
    out.dedup();
    out
}

/// The statement that puts `schemas` in front of a session's search_path (None for none).
pub(crate) fn search_path_sql(schemas: &[String]) -> Option<String> {
    if schemas.is_empty() {
        return None;
    }
    let list = schemas.iter().map(|s| crate::quote(s)).collect::<Vec<_>>().join(", ");
    Some(format!("SELECT set_config('search_path', '{}' || ', ' || current_setting('search_path'), false)", list.replace('\'', "''")))
}
