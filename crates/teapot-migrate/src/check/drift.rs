//! Drift: the live schema against the schema the applied migrations build. The expected schema is
//! built for real, in a scratch database (an in-memory SQLite, or a temporary PostgreSQL database
//! on the same server), so both sides are read from the catalogs the same way.

use std::collections::BTreeSet;

use teapot_core::{Connection as Conn, Dialect, Error, ErrorKind, Result};

use crate::backend::introspect::schema_lines;
use crate::executor::{execute, Direction, PlanStep};
use crate::graph::Graph;

fn with_database(url: &str, db: &str) -> Result<String> {
    let (head, tail) = url.rsplit_once('/').ok_or_else(|| Error::new(ErrorKind::Config, "the database url names no database"))?;
    let query = tail.find('?').map(|i| &tail[i..]).unwrap_or("");
    Ok(format!("{head}/{db}{query}"))
}

/// The unified diff between the live schema and the expected one, or None when they agree.
pub async fn drift(conn: &mut Conn, url: &str, graph: &Graph, applied: &BTreeSet<String>) -> Result<Option<String>> {
    let live = schema_lines(conn).await?;
    let steps: Vec<PlanStep> = graph
        .order()?
        .into_iter()
        .filter(|m| applied.contains(&m.key()))
        .map(|m| PlanStep { key: m.key(), direction: Direction::Forwards })
        .collect();
    let expected = match conn.dialect() {
        Dialect::Sqlite => {
            let mut scratch = Conn::open("sqlite::memory:").await?;
            execute(&mut scratch, graph, &steps, false, &mut |_| {}).await?;
            let lines = schema_lines(&mut scratch).await?;
            scratch.close().await;
            lines
        }
        Dialect::Postgres => {
            let name = format!(
                "teapot_check_{}_{}",
                std::process::id(),
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
            );
            conn.run(&format!("CREATE DATABASE \"{name}\"")).await.map_err(|e| {
                Error::new(ErrorKind::Database, format!("drift: cannot create a scratch database to build the expected schema in: {e}"))
                    .hint("the role needs CREATEDB for `teapot check --database-url`")
            })?;
            let result = async {
                let mut scratch = Conn::open(&with_database(url, &name)?).await?;
                let r = execute(&mut scratch, graph, &steps, false, &mut |_| {}).await;
                let lines = match r {
                    Ok(()) => schema_lines(&mut scratch).await,
                    Err(e) => Err(e),
                };
                scratch.close().await;
                lines
            }
            .await;
            let _ = conn.run(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
            result?
        }
    };
    if live == expected {
        return Ok(None);
    }
    let (e, l) = (expected.join("\n") + "\n", live.join("\n") + "\n");
    let diff = similar::TextDiff::from_lines(&e, &l);
    Ok(Some(diff.unified_diff().context_radius(2).header("expected (applied migrations)", "live database").to_string()))
}
