//! `teapot check`: findings for people (text), machines (`--format json`) and GitHub Actions
//! (`--format github`). Exit 0 clean, 1 findings, 2 usage or configuration error.

use std::collections::BTreeSet;
use std::io::IsTerminal;

use teapot_core::{Error, ErrorKind, Result};
use teapot_migrate::check::{drift::drift, run_offline, update_sums, CheckOptions, Finding};
use teapot_migrate::config::Config;
use teapot_migrate::loader::load_graph;
use teapot_migrate::recorder;

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Format {
    /// For people.
    Text,
    /// One JSON document (see docs/check.md).
    Json,
    /// GitHub Actions workflow annotations.
    Github,
}

/// Check that models and migrations agree, that nothing unsafe is about to run, that no migration
/// file changed, and (with a database) that the live schema has not drifted.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Lint every migration, not only those not yet applied.
    #[arg(long)]
    all: bool,
    /// Deploys use `migrate --online`: rules it makes safe are not reported.
    #[arg(long)]
    online: bool,
    /// A database to compare with: what is applied, the checksums applied, and drift.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Rewrite migrations/teapot.sum from the files as they are (accepting hand edits), then check.
    #[arg(long)]
    update_sums: bool,
}

pub(super) fn run(config: &Config, a: Args) -> Result<i32> {
    if a.update_sums {
        for c in update_sums(config)? {
            eprintln!("teapot.sum: updated {c}");
        }
    }
    let opts = CheckOptions { all: a.all, online: a.online, database_url: a.database_url.clone() };
    let mut findings: Vec<Finding>;
    if let Some(url) = &a.database_url {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start the async runtime: {e}")))?;
        findings = rt.block_on(async {
            let mut conn = teapot_core::Connection::open(url).await?;
            let applied = recorder::applied(&mut conn).await?;
            let mut out = run_offline(config, &opts, Some(&applied))?;
            if let Ok(graph) = load_graph(config) {
                let keys: BTreeSet<String> = applied.iter().map(|x| x.key()).collect();
                if let Some(diff) = drift(&mut conn, url, &graph, &keys).await? {
                    out.push(Finding {
                        rule: "drift".into(),
                        name: "schema-drift".into(),
                        file: None,
                        line: None,
                        migration: None,
                        operation: None,
                        message: format!("the live schema differs from what the applied migrations build:\n{diff}"),
                        fix: Some("find who changed the database by hand; put the change in a migration, or undo it".into()),
                        online_safe: None,
                    });
                }
            }
            conn.close().await;
            Ok::<_, Error>(out)
        })?;
    } else {
        findings = run_offline(config, &opts, None)?;
    }
    findings.sort_by_key(|f| (f.file.clone(), f.line, f.rule.clone()));
    match a.format {
        Format::Json => {
            let doc = serde_json::json!({ "version": 1, "findings": findings, "count": findings.len() });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        Format::Github => {
            for f in &findings {
                let mut props = Vec::new();
                if let Some(file) = &f.file {
                    props.push(format!("file={file}"));
                }
                if let Some(l) = f.line {
                    props.push(format!("line={l}"));
                }
                props.push(format!("title={} {}", f.rule, f.name));
                let msg = format!("{}{}", f.message, f.fix.as_ref().map(|x| format!(" Fix: {x}")).unwrap_or_default());
                println!("::error {}::{}", props.join(","), escape_github(&msg));
            }
        }
        Format::Text => print_text(&findings),
    }
    Ok(if findings.is_empty() { 0 } else { 1 })
}

fn escape_github(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn print_text(findings: &[Finding]) {
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let (red, bold, dim, reset) = if colour { ("\x1b[31m", "\x1b[1m", "\x1b[2m", "\x1b[0m") } else { ("", "", "", "") };
    if findings.is_empty() {
        println!("teapot check: no findings");
        return;
    }
    for f in findings {
        let place = match (&f.file, f.line) {
            (Some(file), Some(l)) => format!("{file}:{l}: "),
            (Some(file), None) => format!("{file}: "),
            _ => String::new(),
        };
        println!("{place}{red}{bold}{} {}{reset}: {}", f.rule, f.name, f.message);
        if let Some(op) = &f.operation {
            println!("  {dim}operation {op}{reset}");
        }
        if let Some(fix) = &f.fix {
            println!("  fix: {fix}");
        }
        if f.online_safe == Some(true) {
            println!("  {dim}`migrate --online` makes this safe (pass --online to check if you deploy with it){reset}");
        }
    }
    println!("teapot check: {} finding(s)", findings.len());
}
