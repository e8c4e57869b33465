//! Rules across models: relation targets, reverse accessors, tables. Turns the declarations of a
//! whole project into a [`ProjectState`].

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::error::{ErrorKind, SchemaError};
use crate::field::FieldType;
use crate::naming;
use crate::project::ProjectState;
use crate::reader::{ChoicesEnum, Declaration, RUST_TYPES};
use crate::Literal;

/// A declaration and the file it was read from.
#[derive(Debug, Clone)]
pub struct SourcedDeclaration {
    /// The file.
    pub file: PathBuf,
    /// What was declared there.
    pub decl: Declaration,
}

/// A `#[derive(Choices)]` enum, the file it was read from and the app that file is listed under.
#[derive(Debug, Clone)]
pub struct SourcedChoices {
    /// The file.
    pub file: PathBuf,
    /// The app the file is listed under.
    pub app: String,
    /// The enum.
    pub choices: ChoicesEnum,
}

/// Builds the declared project state: resolves relation targets to `app.Model` and checks that
/// models, tables and reverse accessors do not clash. A field of a type none of the known ones
/// is an error here (see [`resolve_with_choices`] for choices enums).
pub fn resolve(decls: &mut [SourcedDeclaration]) -> Result<ProjectState, SchemaError> {
    resolve_with_choices(decls, &[])
}

/// Finds the enum of each field of a choices type (in the same file, else the same app, else the
/// one enum of that name) and gives the field its type (string or integer) and its choices.
fn resolve_choices(decls: &mut [SourcedDeclaration], enums: &[SourcedChoices]) -> Result<(), SchemaError> {
    for d in decls.iter_mut() {
        for (field, written) in d.decl.choice_types.clone() {
            let loc = d.decl.field_location(&field);
            let own = d.decl.model.name.clone();
            let err = |kind, msg: String, exp: String| SchemaError::new(kind, Some(d.file.clone()), loc, msg).expected(exp);
            let name = written.rsplit("::").next().unwrap_or(&written);
            let candidates: Vec<&SourcedChoices> = enums.iter().filter(|e| e.choices.name == name).collect();
            let pick = candidates
                .iter()
                .find(|e| e.file == d.file)
                .or_else(|| {
                    let same_app: Vec<_> = candidates.iter().filter(|e| e.app == d.decl.model.app).collect();
                    if same_app.len() == 1 {
                        same_app.first().copied()
                    } else {
                        None
                    }
                })
                .or_else(|| if candidates.len() == 1 { candidates.first() } else { None });
            let Some(e) = pick else {
                if candidates.len() > 1 {
                    let places: Vec<String> =
                        candidates.iter().map(|c| format!("{}:{}", c.file.display(), c.choices.location.line)).collect();
                    return Err(err(
                        ErrorKind::Clash,
                        format!(
                            "field `{field}` of {own} has type `{written}`, and several choices enums have that name ({})",
                            places.join(", ")
                        ),
                        "one #[derive(Choices)] enum of that name per app, or the enum in the model's own file".into(),
                    ));
                }
                return Err(err(
                    ErrorKind::Declaration,
                    format!(
                        "field `{field}` of {own} has type `{written}`, which is not a field type nor an enum with #[derive(Choices)] in a file teapot.toml lists"
                    ),
                    format!("{RUST_TYPES}; a choices enum is declared in one of the app's model files"),
                ));
            };
            let ce = &e.choices;
            let Some(f) = d.decl.model.field_mut(&field) else { continue };
            f.ty = ce.field_type();
            f.choices = Some(ce.choices());
            if ce.integer {
                if f.max_length.is_some() {
                    return Err(err(
                        ErrorKind::Declaration,
                        format!(
                            "`max_length` does not apply to field `{field}` of {own}: {} has integer values (an integer column)",
                            ce.name
                        ),
                        "no max_length on a field of an integer choices enum".into(),
                    ));
                }
            } else if let Some(n) = f.max_length {
                // Django's fields.E009.
                if ce.longest() > n as usize {
                    let (v, _) = ce
                        .choices()
                        .into_iter()
                        .find(|(v, _)| matches!(v, Literal::Str(s) if s.chars().count() == ce.longest()))
                        .unwrap_or((Literal::Str(String::new()), String::new()));
                    return Err(err(
                        ErrorKind::Declaration,
                        format!("max_length = {n} of field `{field}` of {own} is too small for the value {v} of {}", ce.name),
                        format!("max_length = {} or more", ce.longest()),
                    ));
                }
            }
            if let Some(dflt) = f.default.clone() {
                if !ce.variants.iter().any(|v| v.value == dflt) {
                    let values: Vec<String> = ce.variants.iter().map(|v| v.value.to_string()).collect();
                    return Err(err(
                        ErrorKind::Declaration,
                        format!("default {dflt} of field `{field}` of {own} is not a value of {}", ce.name),
                        format!("default = one of: {}", values.join(", ")),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// [`resolve`], with the `#[derive(Choices)]` enums of the project's model files: a field whose
/// type names one is stored as its values are (text or integer) and records its choices.
pub fn resolve_with_choices(decls: &mut [SourcedDeclaration], enums: &[SourcedChoices]) -> Result<ProjectState, SchemaError> {
    resolve_choices(decls, enums)?;
    // Which models exist, by name.
    let mut by_name: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, d) in decls.iter().enumerate() {
        let m = &d.decl.model;
        if let Some(&j) = seen.get(&(m.app.clone(), m.name_lower())) {
            let other = &decls[j];
            return Err(SchemaError::new(
                ErrorKind::Clash,
                Some(d.file.clone()),
                d.decl.location,
                format!(
                    "model {} is declared twice in app {} (also at {}:{})",
                    m.name,
                    m.app,
                    other.file.display(),
                    other.decl.location.line
                ),
            )
            .expected("one struct per model name in an app"));
        }
        seen.insert((m.app.clone(), m.name_lower()), i);
        by_name.entry(m.name.clone()).or_default().push((m.app.clone(), m.name.clone()));
    }
    let apps: Vec<String> = seen.keys().map(|(a, _)| a.clone()).collect();

    for d in decls.iter_mut() {
        let (app, own) = (d.decl.model.app.clone(), d.decl.model.name.clone());
        for (field, written) in d.decl.targets.clone() {
            let loc = d.decl.field_location(&field);
            let err = |msg: String, exp: String| SchemaError::new(ErrorKind::UnknownModel, Some(d.file.clone()), loc, msg).expected(exp);
            let segs: Vec<&str> = written.split("::").collect();
            let name = *segs.last().unwrap_or(&"");
            let resolved = if name == "Self" {
                format!("{app}.{own}")
            } else {
                let hinted_app = segs.iter().rev().skip(1).find(|s| apps.iter().any(|a| a == *s)).copied();
                let candidates = by_name.get(name).cloned().unwrap_or_default();
                let pick = match hinted_app {
                    Some(h) => candidates.iter().find(|(a, _)| a == h).cloned(),
                    None => candidates.iter().find(|(a, _)| *a == app).cloned().or_else(|| {
                        if candidates.len() == 1 {
                            candidates.first().cloned()
                        } else {
                            None
                        }
                    }),
                };
                match pick {
                    Some((a, n)) => format!("{a}.{n}"),
                    None if candidates.len() > 1 => {
                        let opts: Vec<String> = candidates.iter().map(|(a, n)| format!("{a}::{n}")).collect();
                        return Err(err(
                            format!("field `{field}` of {own} points at `{written}`, which several apps declare"),
                            format!("the app in the path: one of {}", opts.join(", ")),
                        ));
                    }
                    None => {
                        return Err(err(
                            format!("field `{field}` of {own} points at model `{written}`, which no app in teapot.toml declares"),
                            "a model declared with #[derive(Model)] in a file listed in teapot.toml".to_string(),
                        ));
                    }
                }
            };
            if let Some(f) = d.decl.model.field_mut(&field) {
                f.to = Some(resolved);
            }
        }
        // `through = "Membership"`: a model of the same app, else the one of that name.
        let throughs: Vec<(String, String)> =
            d.decl.model.fields.iter().filter_map(|(n, f)| f.through.clone().map(|t| (n.clone(), t))).collect();
        for (field, written) in throughs {
            if written.contains('.') && by_name.values().flatten().any(|(a, n)| format!("{a}.{n}") == written) {
                continue;
            }
            let loc = d.decl.field_location(&field);
            let name = written.rsplit("::").next().unwrap_or(&written);
            let candidates = by_name.get(name).cloned().unwrap_or_default();
            let pick = candidates.iter().find(|(a, _)| *a == app).or(if candidates.len() == 1 { candidates.first() } else { None });
            let Some((a, n)) = pick else {
                return Err(SchemaError::new(
                    ErrorKind::UnknownModel,
                    Some(d.file.clone()),
                    loc,
                    format!("many-to-many `{field}` of {own} goes through model `{written}`, which no app in teapot.toml declares"),
                )
                .expected("through = \"Model\": a model with a foreign key to each side, in a file listed in teapot.toml"));
            };
            if let Some(f) = d.decl.model.field_mut(&field) {
                f.through = Some(format!("{a}.{n}"));
            }
        }
    }
    let mut state = ProjectState::new();
    for d in decls.iter() {
        state.insert(d.decl.model.clone());
    }
    check_throughs(&state, decls)?;
    check_targets_and_accessors(&state, decls)?;
    check_tables(&state, decls)?;
    Ok(state)
}

fn locate<'a>(decls: &'a [SourcedDeclaration], app: &str, model: &str) -> Option<&'a SourcedDeclaration> {
    decls.iter().find(|d| d.decl.model.app == app && d.decl.model.name == model)
}

fn check_targets_and_accessors(state: &ProjectState, decls: &[SourcedDeclaration]) -> Result<(), SchemaError> {
    // (target label, accessor) -> (app, model, field) that claims it
    let mut accessors: BTreeMap<(String, String), (String, String, String)> = BTreeMap::new();
    for m in state.models() {
        for (fname, f) in &m.fields {
            let Some(to) = &f.to else { continue };
            // Where the field is declared: looked up only for an error (a scan of every declaration
            // per relation would make reading a big project quadratic).
            let place = || {
                let d = locate(decls, &m.app, &m.name);
                (d.map(|d| d.file.clone()), d.map(|d| d.decl.field_location(fname)).unwrap_or_default())
            };
            let Some(target) = state.resolve(to) else { continue };
            if f.ty == FieldType::ForeignKey && target.primary_key().is_none() {
                let (file, loc) = place();
                return Err(SchemaError::new(ErrorKind::UnknownModel, file, loc, format!("{to} has no primary key to point at")));
            }
            let accessor = match &f.related_name {
                Some(r) if r.ends_with('+') => continue,
                Some(r) => r.clone(),
                None if f.one_to_one => m.name_lower(),
                None => format!("{}_set", m.name_lower()),
            };
            if target.field(&accessor).is_some() {
                let (file, loc) = place();
                return Err(SchemaError::new(
                    ErrorKind::Clash,
                    file,
                    loc,
                    format!("the reverse accessor `{accessor}` of {}.{fname} clashes with field `{accessor}` of {to}", m.name),
                )
                .expected(format!("#[teapot(related_name = \"...\")] on `{fname}` with another name")));
            }
            let key = (to.clone(), accessor.clone());
            if let Some((oa, om, of)) = accessors.get(&key) {
                let (file, loc) = place();
                return Err(SchemaError::new(
                    ErrorKind::Clash,
                    file,
                    loc,
                    format!("the reverse accessor `{accessor}` on {to} is claimed by both {oa}.{om}.{of} and {}.{}.{fname}", m.app, m.name),
                )
                .expected(format!("#[teapot(related_name = \"...\")] on `{fname}` with a name of its own")));
            }
            accessors.insert(key, (m.app.clone(), m.name.clone(), fname.clone()));
        }
    }
    Ok(())
}

/// The foreign keys of a through model that a many-to-many goes through: `(to this model, to
/// the target)`, by field name. With `through_fields`, those two; else the one foreign key to
/// each side, as Django finds them.
pub fn through_keys(state: &ProjectState, owner: &str, field: &crate::Field) -> Result<(String, String), String> {
    let Some(through) = &field.through else { return Err("the field has no through model".into()) };
    let Some(tm) = state.resolve(through) else { return Err(format!("the through model {through} is not in the project")) };
    let target = field.to.clone().unwrap_or_default();
    let fks_to = |label: &str| -> Vec<String> {
        tm.fields
            .iter()
            .filter(|(_, f)| f.ty == FieldType::ForeignKey && f.to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(label)))
            .map(|(n, _)| n.clone())
            .collect()
    };
    let (mine, theirs) = (fks_to(owner), fks_to(&target));
    if let Some((a, b)) = &field.through_fields {
        for (given, side, fks) in [(a, owner, &mine), (b, target.as_str(), &theirs)] {
            if !fks.contains(given) {
                return Err(format!(
                    "through_fields names `{given}`, which is not a foreign key of {through} to {side} (its foreign keys to {side}: {})",
                    if fks.is_empty() { "none".to_string() } else { fks.join(", ") }
                ));
            }
        }
        return Ok((a.clone(), b.clone()));
    }
    if owner.eq_ignore_ascii_case(&target) {
        return Err(format!("{through} links {owner} to itself: say which foreign key is which with through_fields = [\"from\", \"to\"]"));
    }
    for (side, fks) in [(owner, &mine), (target.as_str(), &theirs)] {
        match fks.len() {
            1 => {}
            0 => return Err(format!("the through model {through} has no foreign key to {side}")),
            _ => {
                return Err(format!(
                    "the through model {through} has several foreign keys to {side} ({}): which one links is ambiguous",
                    fks.join(", ")
                ))
            }
        }
    }
    Ok((mine[0].clone(), theirs[0].clone()))
}

fn check_throughs(state: &ProjectState, decls: &[SourcedDeclaration]) -> Result<(), SchemaError> {
    for m in state.models() {
        for (fname, f) in m.fields.iter().filter(|(_, f)| f.through.is_some()) {
            if let Err(why) = through_keys(state, &m.label(), f) {
                let d = locate(decls, &m.app, &m.name);
                return Err(SchemaError::new(
                    ErrorKind::Declaration,
                    d.map(|d| d.file.clone()),
                    d.map(|d| d.decl.field_location(fname)).unwrap_or_default(),
                    format!("many-to-many `{fname}` of {}: {why}", m.name),
                )
                .expected(
                    "a through model with one foreign key to each side, or through_fields = [\"to_this\", \"to_target\"] naming them",
                ));
            }
        }
    }
    Ok(())
}

fn check_tables(state: &ProjectState, decls: &[SourcedDeclaration]) -> Result<(), SchemaError> {
    let mut tables: BTreeMap<String, String> = BTreeMap::new();
    for m in state.models() {
        let mut mine = vec![m.table_name()];
        for (fname, _) in m.m2m_fields() {
            mine.push(naming::m2m_table(&m.table_name(), fname));
        }
        for t in mine {
            if let Some(other) = tables.get(&t) {
                let place = locate(decls, &m.app, &m.name);
                return Err(SchemaError::new(
                    ErrorKind::Clash,
                    place.map(|d| d.file.clone()),
                    place.map(|d| d.decl.location).unwrap_or_default(),
                    format!("{} and {other} both use table \"{t}\"", m.label()),
                )
                .expected("#[teapot(table = \"...\")] with a table of its own"));
            }
            tables.insert(t, m.label());
        }
    }
    Ok(())
}
