//! Asking on a terminal: the questioner used when stdin is a terminal and --noinput is not given.

use std::io::{BufRead, Write};

use teapot_schema::{Field, Literal, ModelState};

use teapot_core::{Error, ErrorKind, Result};
use teapot_migrate::questioner::{parse_literal, FlagQuestioner, Questioner};

/// Asks the user; flags given on the command line answer first.
pub(crate) struct TerminalQuestioner {
    flags: FlagQuestioner,
}

impl TerminalQuestioner {
    pub(crate) fn new(flags: FlagQuestioner) -> Self {
        TerminalQuestioner { flags }
    }
}

fn ask(question: &str) -> Result<String> {
    let mut out = std::io::stderr();
    let _ = write!(out, "{question}");
    let _ = out.flush();
    let mut line = String::new();
    let n = std::io::stdin().lock().read_line(&mut line).map_err(|e| Error::new(ErrorKind::Io, format!("cannot read the answer: {e}")))?;
    if n == 0 {
        return Err(Error::new(ErrorKind::NeedsAnswer, "no answer (end of input); nothing was written"));
    }
    Ok(line.trim().to_string())
}

fn yes_no(question: &str) -> Result<bool> {
    loop {
        match ask(&format!("{question} [y/N] "))?.to_lowercase().as_str() {
            "y" | "yes" => return Ok(true),
            "" | "n" | "no" => return Ok(false),
            _ => eprintln!("Please answer y or n."),
        }
    }
}

impl Questioner for TerminalQuestioner {
    fn rename_model(&mut self, app: &str, old: &ModelState, new: &ModelState) -> Result<bool> {
        if self.flags.has_rename(&format!("{app}.{}", old.name)) {
            return self.flags.rename_model(app, old, new);
        }
        yes_no(&format!("Was the model {app}.{} renamed to {}?", old.name, new.name))
    }

    fn rename_field(&mut self, app: &str, model: &str, old: &str, new: &str, field: &Field) -> Result<bool> {
        if self.flags.has_rename(&format!("{app}.{model}.{old}")) {
            return self.flags.rename_field(app, model, old, new, field);
        }
        yes_no(&format!("Was {model}.{old} renamed to {model}.{new} (a {})?", field.describe()))
    }

    fn not_null_default(&mut self, app: &str, model: &str, field: &str, def: &Field, adding: bool) -> Result<Option<Literal>> {
        if self.flags.default_for(&format!("{app}.{model}.{field}")).is_some() {
            // Checked against the field's type there.
            return self.flags.not_null_default(app, model, field, def, adding);
        }
        let what = if adding {
            format!(
                "It is impossible to add the NOT NULL field {model}.{field} ({}) without a default: rows that exist need a value.",
                def.ty.as_str()
            )
        } else {
            format!("{model}.{field} becomes NOT NULL: rows holding NULL need a value.")
        };
        eprintln!("{what}");
        eprintln!(" 1) Provide a one-off value now (used for existing rows only)");
        eprintln!(" 2) Quit, and declare a default (#[teapot(default = ...)]) or make it Option<...>");
        loop {
            match ask("Select an option: ")?.as_str() {
                "1" => {
                    let v = ask("Value (a literal: 0, 1.5, true, \"text\"): ")?;
                    if v.is_empty() {
                        eprintln!("Please type a value.");
                        continue;
                    }
                    let lit = parse_literal(&v);
                    if let Err(expected) = teapot_schema::literal_fits(def.ty, &lit) {
                        eprintln!("{lit} is not a value of {model}.{field} ({}): give {expected}.", def.ty.as_str());
                        continue;
                    }
                    return Ok(Some(lit));
                }
                "2" => return Err(Error::new(ErrorKind::NeedsAnswer, "quit: nothing was written")),
                _ => eprintln!("Please select 1 or 2."),
            }
        }
    }
}
