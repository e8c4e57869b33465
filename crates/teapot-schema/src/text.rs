//! Rules for the text that reaches SQL: names are identifiers (quoted when rendered, so any
//! printable character is fine, but a control character is refused: a line break in a name would
//! end a `--` comment in printed SQL), and the expressions written raw by design — a check, a
//! `db_default`, a backfill's `set` and `where` — are one expression each, never a second statement.

use crate::field::Field;
use crate::model::{Constraint, ConstraintKind, Index, ModelState, INDEX_METHODS};
use crate::operation::Operation;
pub use crate::sql_lexer::has_statement_separator;

/// Why a name cannot be used, if it cannot.
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!("{what} {name:?} holds the control character {:?}", c));
    }
    Ok(())
}

/// Why an expression cannot be written into SQL as it is, if it cannot: it must not end one
/// statement and begin another (a `;` outside quotes, dollar quotes and comments), nor leave a
/// quote, a comment or a parenthesis open (the SQL written after it would be read inside it).
pub fn check_expression(what: &str, expr: &str) -> Result<(), String> {
    if expr.trim().is_empty() {
        return Err(format!("{what} is empty"));
    }
    if has_statement_separator(expr) {
        return Err(format!("{what} {expr:?} holds a `;` outside quotes: it is one SQL expression, not statements"));
    }
    if let Some(open) = crate::sql_lexer::left_open(expr) {
        return Err(format!("{what} {expr:?} leaves {open} open: it must be one whole SQL expression"));
    }
    Ok(())
}

/// PostgreSQL's longest identifier, in bytes; a longer one is cut without a word.
pub const MAX_IDENTIFIER_BYTES: usize = 63;
/// PostgreSQL's largest numeric precision.
pub const MAX_DIGITS: u32 = 1000;
/// PostgreSQL's longest varchar.
pub const MAX_LENGTH: u32 = 10_485_760;

fn check_identifier(what: &str, name: &str) -> Result<(), String> {
    check_name(what, name)?;
    if name.len() > MAX_IDENTIFIER_BYTES {
        return Err(format!(
            "{what} {name:?} is {} bytes long; PostgreSQL keeps {MAX_IDENTIFIER_BYTES} and cuts the rest silently",
            name.len()
        ));
    }
    Ok(())
}

fn check_field(model: &str, name: &str, f: &Field) -> Result<(), String> {
    check_name(&format!("a field name of {model}"), name)?;
    if let Some(c) = &f.db_column {
        check_identifier(&format!("the db_column of {model}.{name}"), c)?;
    } else if f.ty != crate::field::FieldType::ManyToMany {
        let column = f.column(name).unwrap_or_else(|| name.to_string());
        check_identifier(&format!("the column of {model}.{name}"), &column)?;
    }
    if let Some(n) = f.max_digits.filter(|&n| n == 0 || n > MAX_DIGITS) {
        return Err(format!("max_digits = {n} on {model}.{name} is out of range: 1 to {MAX_DIGITS}"));
    }
    if let Some(n) = f.max_length.filter(|&n| n == 0 || n > MAX_LENGTH) {
        return Err(format!("max_length = {n} on {model}.{name} is out of range: 1 to {MAX_LENGTH} (leave it out for text)"));
    }
    if let Some(crate::field::Literal::Float(x)) = &f.default {
        if !x.is_finite() {
            return Err(format!("default = {x} on {model}.{name} is not a number a column can hold (finite floats only)"));
        }
    }
    if let Some(r) = &f.related_name {
        check_name(&format!("the related_name of {model}.{name}"), r)?;
    }
    if let Some(d) = &f.db_default {
        check_expression(&format!("the db_default of {model}.{name}"), d)?;
    }
    if let Some(g) = &f.generated {
        check_expression(&format!("the generated expression of {model}.{name}"), g)?;
    }
    Ok(())
}

/// The names and raw expressions of a model.
pub fn check_model(m: &ModelState) -> Result<(), String> {
    check_name("a model name", &m.name)?;
    check_table(&m.name, &m.table_name())?;
    let keys: Vec<&str> = m.fields.iter().filter(|(_, f)| f.primary_key).map(|(n, _)| n.as_str()).collect();
    if keys.len() > 1 {
        return Err(format!("{} has {} primary keys ({}); a model has one", m.name, keys.len(), keys.join(", ")));
    }
    for (name, f) in &m.fields {
        check_field(&m.name, name, f)?;
    }
    for i in &m.indexes {
        check_index(&m.name, i)?;
    }
    for c in &m.constraints {
        check_constraint(&m.name, c)?;
    }
    Ok(())
}

/// An index's name, its condition (one SQL expression), and the words written raw into its DDL:
/// operator classes and the access method are plain identifiers, the method one PostgreSQL has.
fn check_index(model: &str, i: &Index) -> Result<(), String> {
    check_identifier(&format!("an index name of {model}"), &i.name)?;
    if let Some(c) = &i.condition {
        check_expression(&format!("the condition of index {} of {model}", i.name), c)?;
    }
    for o in &i.opclasses {
        if !is_plain_word(o) {
            return Err(format!("the operator class {o:?} of index {} of {model} is not a plain name (letters, digits, _ and .)", i.name));
        }
    }
    if !i.opclasses.is_empty() && i.opclasses.len() != i.fields.len() {
        return Err(format!(
            "index {} of {model} has {} fields and {} opclasses: give one operator class per field, as Django requires",
            i.name,
            i.fields.len(),
            i.opclasses.len()
        ));
    }
    if let Some(m) = &i.method {
        if !INDEX_METHODS.contains(&m.as_str()) {
            return Err(format!("index {} of {model} has type = {m:?}; expected one of {}", i.name, INDEX_METHODS.join(", ")));
        }
    }
    for f in &i.include {
        check_name(&format!("an include field of index {} of {model}", i.name), f)?;
    }
    Ok(())
}

fn is_plain_word(s: &str) -> bool {
    !s.is_empty() && !s.starts_with(|c: char| c.is_ascii_digit()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// A constraint's name and its SQL: a check's expression, a unique constraint's condition and
/// expressions (fields or expressions, not both, as Django requires).
fn check_constraint(model: &str, c: &Constraint) -> Result<(), String> {
    check_identifier(&format!("a constraint name of {model}"), &c.name)?;
    match &c.kind {
        ConstraintKind::Check { check } => check_expression(&format!("check {} of {model}", c.name), check)?,
        ConstraintKind::Unique { fields, condition, expressions } => {
            if let Some(w) = condition {
                check_expression(&format!("the condition of unique constraint {} of {model}", c.name), w)?;
            }
            for e in expressions {
                check_expression(&format!("an expression of unique constraint {} of {model}", c.name), e)?;
            }
            if fields.is_empty() == expressions.is_empty() {
                return Err(format!("unique constraint {} of {model} needs fields = [...] or expressions = [...], one of the two", c.name));
            }
        }
    }
    Ok(())
}

/// A model's table: an identifier, and not one of teapot's own (`teapot_...`).
fn check_table(model: &str, table: &str) -> Result<(), String> {
    check_identifier(&format!("the table of {model}"), table)?;
    if table.to_lowercase().starts_with("teapot_") {
        return Err(format!("the table of {model}, {table:?}, is in teapot's own namespace (teapot_...)"));
    }
    Ok(())
}

/// The names and raw expressions of an operation (`run_sql` is raw SQL by design, and linted).
pub fn check_operation(op: &Operation) -> Result<(), String> {
    use Operation::*;
    if let Some(m) = op.model_name() {
        check_name("a model name", m)?;
    }
    match op {
        CreateModel { name, table, fields, .. } => {
            if let Some(t) = table {
                check_table(name, t)?;
            }
            for f in fields {
                check_field(name, &f.name, &f.field)?;
            }
        }
        AlterModelTable { table: Some(t), name } => check_table(name, t)?,
        RenameModel { old_name, .. } => check_name("a model name", old_name)?,
        AddField { model, name, field, .. } | AlterField { model, name, field, .. } => check_field(model, name, field)?,
        RenameField { model, old_name, new_name } => {
            check_name(&format!("a field name of {model}"), old_name)?;
            check_name(&format!("a field name of {model}"), new_name)?;
        }
        RemoveField { model, name } => check_name(&format!("a field name of {model}"), name)?,
        AddIndex { model, index } => check_index(model, index)?,
        RemoveIndex { model, name } => check_name(&format!("an index name of {model}"), name)?,
        RenameIndex { model, old_name, new_name } => {
            check_name(&format!("an index name of {model}"), old_name)?;
            check_identifier(&format!("an index name of {model}"), new_name)?;
        }
        AddConstraint { model, constraint } => check_constraint(model, constraint)?,
        RemoveConstraint { model, name } => check_name(&format!("a constraint name of {model}"), name)?,
        Backfill { model, set, filter, .. } => {
            check_expression(&format!("the set of the backfill of {model}"), set)?;
            if let Some(w) = filter {
                check_expression(&format!("the where of the backfill of {model}"), w)?;
            }
        }
        DeleteModel { .. } | AlterModelTable { .. } | RunSql { .. } => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_outside_quotes_only() {
        assert!(!has_statement_separator("qty >= 0"));
        assert!(!has_statement_separator("name <> 'a;b'"));
        assert!(!has_statement_separator("name <> 'it''s; fine'"));
        assert!(!has_statement_separator("x = E'\\\\'';'"));
        assert!(!has_statement_separator("f($$a;b$$) -- c;d"));
        assert!(!has_statement_separator("/* ; */ 1"));
        assert!(has_statement_separator("1); DROP TABLE x; --"));
        assert!(has_statement_separator("E'\\''; DROP TABLE x"));
        assert!(has_statement_separator("'a' ; select 1"));
    }

    #[test]
    fn names_without_control_characters() {
        assert!(check_name("an index name", "idx\nDROP TABLE x").is_err());
        assert!(check_name("an index name", "").is_err());
        assert!(check_name("an index name", "idx é \"q\"").is_ok());
    }
}
