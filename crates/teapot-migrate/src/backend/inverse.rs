//! The operations that undo an operation, given the state before it. Backwards SQL is the forward
//! SQL of these, so each dialect only renders forwards.

use teapot_schema::ProjectState;

use crate::{NamedField, Operation};
use teapot_core::{Error, ErrorKind, Result};

fn missing(what: String) -> Error {
    Error::new(ErrorKind::MigrationFile, format!("{what} does not exist at this point of the history"))
}

/// The operations that take the state after `op` back to `before`; an error for an operation
/// that cannot be undone (raw SQL without reverse_sql), saying why.
pub fn inverse(app: &str, op: &Operation, before: &ProjectState) -> Result<Vec<Operation>> {
    use Operation::*;
    let model = |name: &str| before.get(app, name).ok_or_else(|| missing(format!("model {app}.{name}")));
    Ok(match op {
        CreateModel { name, .. } => vec![DeleteModel { name: name.clone() }],
        DeleteModel { name } => {
            let m = model(name)?;
            let mut ops = vec![CreateModel {
                name: m.name.clone(),
                table: m.table.clone(),
                managed: m.managed,
                fields: m.fields.iter().map(|(n, f)| NamedField { name: n.clone(), field: f.clone() }).collect(),
            }];
            ops.extend(m.indexes.iter().map(|i| AddIndex { model: m.name.clone(), index: i.clone() }));
            ops.extend(m.constraints.iter().map(|c| AddConstraint { model: m.name.clone(), constraint: c.clone() }));
            ops
        }
        RenameModel { old_name, new_name } => vec![RenameModel { old_name: new_name.clone(), new_name: old_name.clone() }],
        AlterModelTable { name, .. } => vec![AlterModelTable { name: name.clone(), table: model(name)?.table.clone() }],
        AddField { model: m, name, .. } => vec![RemoveField { model: m.clone(), name: name.clone() }],
        RemoveField { model: mn, name } => {
            let f = model(mn)?.field(name).ok_or_else(|| missing(format!("field {app}.{mn}.{name}")))?;
            vec![AddField { model: mn.clone(), name: name.clone(), field: f.clone(), one_off_default: None }]
        }
        AlterField { model: mn, name, .. } => {
            let f = model(mn)?.field(name).ok_or_else(|| missing(format!("field {app}.{mn}.{name}")))?;
            vec![AlterField { model: mn.clone(), name: name.clone(), field: f.clone(), one_off_default: None }]
        }
        RenameField { model: m, old_name, new_name } => {
            vec![RenameField { model: m.clone(), old_name: new_name.clone(), new_name: old_name.clone() }]
        }
        AddIndex { model: m, index } => vec![RemoveIndex { model: m.clone(), name: index.name.clone() }],
        RemoveIndex { model: mn, name } => {
            let i = model(mn)?.indexes.iter().find(|i| &i.name == name).ok_or_else(|| missing(format!("index {name}")))?;
            vec![AddIndex { model: mn.clone(), index: i.clone() }]
        }
        RenameIndex { model: m, old_name, new_name } => {
            vec![RenameIndex { model: m.clone(), old_name: new_name.clone(), new_name: old_name.clone() }]
        }
        AddConstraint { model: m, constraint } => vec![RemoveConstraint { model: m.clone(), name: constraint.name.clone() }],
        RemoveConstraint { model: mn, name } => {
            let c = model(mn)?.constraints.iter().find(|c| &c.name == name).ok_or_else(|| missing(format!("constraint {name}")))?;
            vec![AddConstraint { model: mn.clone(), constraint: c.clone() }]
        }
        // A backfill leaves its data in place when its migration is unapplied.
        Backfill { .. } => vec![],
        RunSql { sql, reverse_sql } => match reverse_sql {
            Some(r) => vec![RunSql { sql: r.clone(), reverse_sql: Some(sql.clone()) }],
            None => {
                return Err(Error::new(
                    ErrorKind::Irreversible,
                    "a run_sql operation without reverse_sql cannot be undone: teapot does not know what SQL reverses it",
                )
                .hint("add reverse_sql = \"...\" to the operation (an empty string if nothing needs undoing)"))
            }
        },
    })
}
