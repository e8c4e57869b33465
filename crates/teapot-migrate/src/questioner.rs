//! Questions makemigrations cannot answer alone: is this a rename, and what value do existing rows
//! get. A terminal asks the user (see `cli::prompt`); without one, flags decide, and a question no
//! flag answers stops makemigrations with the candidates and the flags that decide them.

use std::collections::BTreeMap;

use teapot_schema::{Field, Literal, ModelState};

use teapot_core::{Error, ErrorKind, Result};

/// Answers the autodetector's questions.
pub trait Questioner {
    /// Was model `old` renamed to `new` (same app, same fields)?
    fn rename_model(&mut self, app: &str, old: &ModelState, new: &ModelState) -> Result<bool>;
    /// Was field `old` of `model` renamed to `new` (same definition)?
    fn rename_field(&mut self, app: &str, model: &str, old: &str, new: &str, field: &Field) -> Result<bool>;
    /// A one-off value for existing rows of a NOT NULL field with no default, being added
    /// (`adding`) or made NOT NULL. None means "no answer" and fails the run.
    fn not_null_default(&mut self, app: &str, model: &str, field: &str, def: &Field, adding: bool) -> Result<Option<Literal>>;
    /// Called once detection is over: an error if a question was left without an answer.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Answers from command-line flags; never prompts.
#[derive(Debug, Default)]
pub struct FlagQuestioner {
    /// `app.Model=New` and `app.Model.field=new` from `--rename`.
    renames: BTreeMap<String, String>,
    /// `--no-rename`: a candidate is an add and a remove.
    no_rename: bool,
    /// `app.Model.field` -> value from `--default`.
    defaults: BTreeMap<String, Literal>,
    unanswered_renames: Vec<String>,
    unanswered_defaults: Vec<String>,
    used: Vec<String>,
}

impl FlagQuestioner {
    /// A questioner from `--rename`, `--no-rename` and `--default` values.
    pub fn new(renames: &[String], no_rename: bool, defaults: &[String]) -> Result<FlagQuestioner> {
        let mut q = FlagQuestioner { no_rename, ..Default::default() };
        for r in renames {
            let (from, to) = r.split_once('=').ok_or_else(|| bad_flag("--rename", r, "library.Book.title=name or library.Book=Volume"))?;
            let dots = from.matches('.').count();
            if !(1..=2).contains(&dots) || to.is_empty() || to.contains('.') {
                return Err(bad_flag("--rename", r, "library.Book.title=name or library.Book=Volume"));
            }
            q.renames.insert(from.to_string(), to.to_string());
        }
        for d in defaults {
            let (path, value) = d.split_once('=').ok_or_else(|| bad_flag("--default", d, "library.Book.pages=0"))?;
            if path.matches('.').count() != 2 {
                return Err(bad_flag("--default", d, "library.Book.pages=0"));
            }
            q.defaults.insert(path.to_string(), parse_literal(value));
        }
        Ok(q)
    }
}

fn bad_flag(flag: &str, value: &str, form: &str) -> Error {
    Error::new(ErrorKind::Usage, format!("{flag} {value}: not understood")).hint(format!("write it as {flag} {form}"))
}

/// Reads a value typed by a user: a TOML literal (`0`, `1.5`, `true`, `"text"`), else the text itself.
pub fn parse_literal(text: &str) -> Literal {
    let t = text.trim();
    if let Ok(v) = format!("v = {t}").parse::<toml::Table>() {
        match v.get("v") {
            Some(toml::Value::Integer(i)) => return Literal::Int(*i),
            Some(toml::Value::Float(f)) => return Literal::Float(*f),
            Some(toml::Value::Boolean(b)) => return Literal::Bool(*b),
            Some(toml::Value::String(s)) => return Literal::Str(s.clone()),
            _ => {}
        }
    }
    Literal::Str(t.to_string())
}

impl Questioner for FlagQuestioner {
    fn rename_model(&mut self, app: &str, old: &ModelState, new: &ModelState) -> Result<bool> {
        let key = format!("{app}.{}", old.name);
        if let Some(to) = self.renames.get(&key) {
            self.used.push(key.clone());
            return Ok(to == &new.name);
        }
        if !self.no_rename {
            self.unanswered_renames
                .push(format!("--rename {app}.{}={}    (model {} renamed to {})", old.name, new.name, old.name, new.name));
        }
        Ok(false)
    }

    fn rename_field(&mut self, app: &str, model: &str, old: &str, new: &str, field: &Field) -> Result<bool> {
        let key = format!("{app}.{model}.{old}");
        if let Some(to) = self.renames.get(&key) {
            self.used.push(key.clone());
            return Ok(to == new);
        }
        if !self.no_rename {
            self.unanswered_renames
                .push(format!("--rename {app}.{model}.{old}={new}    (field {model}.{old} renamed to {new}, {})", field.describe()));
        }
        Ok(false)
    }

    fn not_null_default(&mut self, app: &str, model: &str, field: &str, def: &Field, adding: bool) -> Result<Option<Literal>> {
        let key = format!("{app}.{model}.{field}");
        if let Some(v) = self.defaults.get(&key) {
            // A foreign key's value is its target's key: any integer or string may be one.
            teapot_schema::literal_fits(def.ty, v).map_err(|expected| {
                Error::new(ErrorKind::Usage, format!("--default {key}={v}: {v} is not a value of {model}.{field} ({})", def.ty.as_str()))
                    .hint(format!("give {expected}"))
            })?;
            return Ok(Some(v.clone()));
        }
        let why = if adding { "is added NOT NULL with no default" } else { "becomes NOT NULL and may hold NULLs" };
        self.unanswered_defaults.push(format!("--default {key}=<value>    ({model}.{field}, {}, {why})", def.ty.as_str()));
        Ok(None)
    }

    fn finish(&mut self) -> Result<()> {
        if self.unanswered_renames.is_empty() && self.unanswered_defaults.is_empty() {
            return Ok(());
        }
        let mut msg = String::from("makemigrations needs answers it was not given (no terminal, or --noinput):");
        if !self.unanswered_renames.is_empty() {
            msg.push_str("\n  rename candidates (a removed and an added model or field that match but for the name):");
            for r in &self.unanswered_renames {
                msg.push_str(&format!("\n    {r}"));
            }
            msg.push_str("\n    or --no-rename to treat every candidate as a removal and an addition");
        }
        if !self.unanswered_defaults.is_empty() {
            msg.push_str("\n  existing rows need a value (a NOT NULL column with no default would fail on a table with rows):");
            for d in &self.unanswered_defaults {
                msg.push_str(&format!("\n    {d}"));
            }
            msg.push_str("\n    or declare the field with #[teapot(default = ...)] or as Option<...>");
        }
        Err(Error::new(ErrorKind::NeedsAnswer, msg).hint("run again with the flags above, or on a terminal to be asked"))
    }
}

impl FlagQuestioner {
    /// Whether `--rename` decides this model or field (`app.Model` or `app.Model.field`).
    pub fn has_rename(&self, key: &str) -> bool {
        self.renames.contains_key(key)
    }

    /// The `--default` value for `app.Model.field`.
    pub fn default_for(&self, key: &str) -> Option<Literal> {
        self.defaults.get(key).cloned()
    }
}
