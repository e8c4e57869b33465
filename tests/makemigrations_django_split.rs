//! How makemigrations cuts the operations of several new apps into migrations, against what
//! Django 5.2.19 wrote for the same models (fixtures/django-split/, read here, so CI needs no
//! Python): the same files, each with the same operations in the same order (and the same field
//! order in each create_model, which is the column order of its CREATE TABLE), and the same
//! dependencies.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::Project;
use teapot::migrate::Operation;

/// One migration reduced to what both tools must agree on.
#[derive(Debug, PartialEq)]
struct Shape {
    dependencies: Vec<String>,
    operations: Vec<String>,
}

fn quoted(line: &str) -> Vec<String> {
    line.split('\'').skip(1).step_by(2).map(str::to_string).collect()
}

/// Reads a migration file as Django writes it: its dependencies, and its operations as
/// `create Model(field, ...)` / `add model.field`.
fn django_migration(text: &str) -> Shape {
    let mut dependencies = Vec::new();
    let mut operations: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut in_deps = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("dependencies = [") {
            in_deps = true;
            continue;
        }
        if in_deps {
            if t == "]" {
                in_deps = false;
            } else {
                let q = quoted(t);
                dependencies.push(format!("{}/{}", q[0], q[1]));
            }
            continue;
        }
        if t.starts_with("migrations.CreateModel(") {
            operations.push(("create".into(), String::new(), Vec::new()));
        } else if t.starts_with("migrations.AddField(") {
            operations.push(("add".into(), String::new(), Vec::new()));
        } else if t.starts_with("migrations.") {
            panic!("an operation this reader does not know: {t}");
        } else if let Some(op) = operations.last_mut() {
            if t.starts_with("model_name=") || (t.starts_with("name=") && op.0 == "create") {
                op.1 = quoted(t)[0].clone();
            } else if t.starts_with("name=") {
                op.1 = format!("{}.{}", op.1, quoted(t)[0]);
            } else if t.starts_with("('") && t.contains("models.") {
                op.2.push(quoted(t)[0].clone());
            }
        }
    }
    dependencies.sort();
    let operations = operations
        .into_iter()
        .map(|(kind, name, fields)| if kind == "create" { format!("create {name}({})", fields.join(", ")) } else { format!("add {name}") })
        .collect();
    Shape { dependencies, operations }
}

fn teapot_operation(op: &Operation) -> String {
    match op {
        Operation::CreateModel { name, fields, .. } => {
            format!("create {name}({})", fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "))
        }
        Operation::AddField { model, name, .. } => format!("add {}.{name}", model.to_lowercase()),
        other => format!("{other:?}"),
    }
}

/// Django's migrations of a fixture, by `app/name`.
fn django_of(set: &str) -> BTreeMap<String, Shape> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/django-split").join(set).join("django");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("fixture dir") {
        let path = entry.expect("entry").path();
        let file = path.file_name().and_then(|n| n.to_str()).expect("name").to_string();
        let Some((app, rest)) = file.split_once('_') else { continue };
        if rest == "models.py" {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        out.insert(format!("{app}/{}", rest.trim_end_matches(".py")), django_migration(&text));
    }
    out
}

/// What teapot makes for the same models, by `app/name`.
fn teapot_of(set: &str) -> BTreeMap<String, Shape> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/django-split").join(set).join("models");
    let src = |app: &str| std::fs::read_to_string(dir.join(format!("{app}.rs"))).expect("model source");
    let (api, billing, core) = (src("api"), src("billing"), src("core"));
    let p = Project::new(&[("api", &api), ("billing", &billing), ("core", &core)]);
    let out = p.make();
    out.made
        .iter()
        .map(|m| {
            let mut dependencies = m.migration.dependencies.clone();
            dependencies.sort();
            let operations = m.migration.operations.iter().map(teapot_operation).collect();
            (m.migration.key(), Shape { dependencies, operations })
        })
        .collect()
}

#[test]
fn an_app_waits_for_the_apps_it_points_into_and_gets_one_initial_migration() {
    let django = django_of("shape");
    assert_eq!(django.keys().collect::<Vec<_>>(), ["api/0001_initial", "billing/0001_initial", "core/0001_initial"]);
    assert_eq!(teapot_of("shape"), django);
}

#[test]
fn a_cycle_across_apps_is_cut_where_django_cuts_it() {
    let django = django_of("cycle");
    assert_eq!(django.len(), 5);
    assert_eq!(teapot_of("cycle"), django);
}
