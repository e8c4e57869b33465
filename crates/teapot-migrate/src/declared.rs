//! The declared state: every `#[derive(Model)]` struct in the files teapot.toml lists, read with
//! syn (the user's crate is never compiled), resolved into one [`ProjectState`].

use teapot_schema::{
    read_abstracts, read_source_items_with, resolve_with_choices, AbstractDecl, ProjectState, SchemaError, SourcedChoices,
    SourcedDeclaration,
};

use crate::config::Config;
use teapot_core::{Error, ErrorKind, Result};

/// Renames declared in code with `renamed_from`: decided without a question.
#[derive(Debug, Clone, Default)]
pub struct RenameHints {
    /// `(app, new model, old model)`.
    pub models: Vec<(String, String, String)>,
    /// `(app, model, new field, old field)`.
    pub fields: Vec<(String, String, String, String)>,
}

/// What the source files declare.
#[derive(Debug, Clone)]
pub struct Declared {
    /// The state.
    pub state: ProjectState,
    /// Renames declared in code.
    pub hints: RenameHints,
    /// Every declaration with its file, for messages that point at a line.
    pub declarations: Vec<SourcedDeclaration>,
}

impl Declared {
    /// A many-to-many field the history has already made keeps the join key it was made with:
    /// a changed `default_auto_field` applies to join tables made from then on, as Django leaves
    /// the join tables it has made alone when DEFAULT_AUTO_FIELD changes.
    pub fn keep_join_keys_of(&mut self, history: &ProjectState) {
        for m in self.state.models_mut() {
            let Some(old) = history.get(&m.app, &m.name) else { continue };
            for (name, f) in m.fields.iter_mut().filter(|(_, f)| f.ty == teapot_schema::FieldType::ManyToMany) {
                if let Some(of) = old.field(name).filter(|of| of.ty == teapot_schema::FieldType::ManyToMany) {
                    f.join_key = of.join_key;
                }
            }
        }
    }
}

/// The declarations of one model file: its models and its choices enums.
type FileItems = (Vec<SourcedDeclaration>, Vec<SourcedChoices>);

/// An abstract base, the file it is declared in and that file's app.
struct SourcedAbstract {
    file: std::path::PathBuf,
    app: String,
    base: AbstractDecl,
}

fn shown(config: &Config, file: &std::path::Path) -> std::path::PathBuf {
    file.strip_prefix(&config.root).unwrap_or(file).to_path_buf()
}

fn read_text(file: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(file).map_err(|e| Error::new(ErrorKind::Io, format!("cannot read {}: {e}", file.display())))
}

/// The abstract bases of one model file (a file that never says `abstract` declares none, and is
/// not parsed twice).
fn read_file_abstracts(config: &Config, app: &str, file: &std::path::Path) -> Result<Vec<SourcedAbstract>> {
    let text = read_text(file)?;
    if !text.contains("abstract") {
        return Ok(Vec::new());
    }
    let shown = shown(config, file);
    let found = read_abstracts(&text).map_err(|e| Error::from(SchemaError::from_read(&e, Some(shown.clone()))))?;
    Ok(found.into_iter().map(|base| SourcedAbstract { file: shown.clone(), app: app.to_string(), base }).collect())
}

/// The base a flatten field of a model in `file` (of `app`) names: in the same file, else the one
/// of that name in the app, else the one of that name in the project.
fn find_base(all: &[SourcedAbstract], file: &std::path::Path, app: &str, written: &str) -> std::result::Result<AbstractDecl, String> {
    let name = written.rsplit("::").next().unwrap_or(written);
    let candidates: Vec<&SourcedAbstract> = all.iter().filter(|a| a.base.name == name).collect();
    let same_app: Vec<&&SourcedAbstract> = candidates.iter().filter(|a| a.app == app).collect();
    let pick = candidates
        .iter()
        .find(|a| a.file == file)
        .or(if same_app.len() == 1 { same_app.first().copied() } else { None })
        .or(if candidates.len() == 1 { candidates.first() } else { None });
    match pick {
        Some(a) => Ok(a.base.clone()),
        None if candidates.len() > 1 => {
            let places: Vec<String> = candidates.iter().map(|c| format!("{}:{}", c.file.display(), c.base.location.line)).collect();
            Err(format!("several abstract bases are named `{written}` ({}): one per app, or the base in the model's own file", places.join(", ")))
        }
        None => Err(format!(
            "`{written}` is not an abstract base declared in a file teapot.toml lists (a base is #[derive(Model)] #[teapot(abstract)]; a model is not one)"
        )),
    }
}

fn read_file(config: &Config, app: &str, file: &std::path::Path, bases: &[SourcedAbstract]) -> Result<FileItems> {
    let text = read_text(file)?;
    let shown = shown(config, file);
    let lookup = |written: &str| find_base(bases, &shown, app, written);
    let found =
        read_source_items_with(&text, Some(app), &lookup).map_err(|e| Error::from(SchemaError::from_read(&e, Some(shown.clone()))))?;
    let models = found.models.into_iter().map(|decl| SourcedDeclaration { file: shown.clone(), decl }).collect();
    let enums = found.choices.into_iter().map(|choices| SourcedChoices { file: shown.clone(), app: app.to_string(), choices }).collect();
    Ok((models, enums))
}

/// Reads and resolves the models of every app in the configuration.
pub fn read_declared(config: &Config) -> Result<Declared> {
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    for app in config.apps.values() {
        for file in config.model_files(app)? {
            // One file, one app: a model read for two apps would be created in both.
            if let Some((other, _)) = files.iter().find(|(_, f)| *f == file) {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("{}: {} is listed by both [apps.{other}] and [apps.{}]", config.path.display(), file.display(), app.label),
                )
                .hint("list each model file in one app's models only"));
            }
            files.push((app.label.clone(), file));
        }
    }
    // Parsing is most of the work on a big project, and each file parses on its own: the files
    // are shared out between the cores, and put back in their order.
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(files.len()).max(1);
    let per_thread = files.len().div_ceil(threads).max(1);
    // Abstract bases first: a model may flatten one declared in another file.
    let found: Vec<Result<Vec<SourcedAbstract>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(|(app, file)| read_file_abstracts(config, app, file)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    let mut bases = Vec::new();
    for f in found {
        bases.extend(f?);
    }
    let bases = &bases;
    let parsed: Vec<Result<FileItems>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(|(app, file)| read_file(config, app, file, bases)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    let mut decls = Vec::new();
    let mut enums = Vec::new();
    for found in parsed {
        let (models, choices) = found?;
        decls.extend(models);
        enums.extend(choices);
    }
    for d in &decls {
        teapot_schema::text::check_model(&d.decl.model).map_err(|why| {
            let at = d.decl.location;
            Error::new(ErrorKind::Declaration, format!("{}:{}:{}: {why}", d.file.display(), at.line, at.column))
                .hint("names are identifiers; a check or db_default is one SQL expression")
        })?;
    }
    // Index and constraint names live in one namespace per database schema.
    let mut names: std::collections::BTreeMap<String, (&SourcedDeclaration, String)> = std::collections::BTreeMap::new();
    for d in &decls {
        let m = &d.decl.model;
        for name in m.indexes.iter().map(|i| &i.name).chain(m.constraints.iter().map(|c| &c.name)) {
            if let Some((other, other_model)) = names.insert(name.to_lowercase(), (d, m.label())) {
                let at = d.decl.location;
                return Err(Error::new(
                    ErrorKind::Declaration,
                    format!(
                        "{}:{}:{}: index or constraint name {name:?} of {} is used by {other_model} too ({})",
                        d.file.display(),
                        at.line,
                        at.column,
                        m.label(),
                        other.file.display()
                    ),
                )
                .hint("give each index and constraint a name of its own"));
            }
        }
    }
    let mut state = resolve_with_choices(&mut decls, &enums)?;
    // The join tables teapot keys by itself follow the app's default_auto_field; who does the
    // on_delete actions follows the app's on_delete (recorded on each relation, so a change of the
    // setting is an AlterField that re-creates the constraints).
    for m in state.models_mut() {
        let key = config.auto_field(&m.app).join_key();
        let orm = config.on_delete_by(&m.app) == crate::config::DoneBy::Orm;
        let orm_defaults = config.defaults_by(&m.app) == crate::config::DoneBy::Orm;
        for (_, f) in m.fields.iter_mut() {
            f.orm_default = orm_defaults && f.default.is_some() && f.db_default.is_none();
        }
        // A many-to-many through a model has no join table: neither setting touches it (the
        // through model's own foreign keys carry the on_delete).
        for (_, f) in m.fields.iter_mut().filter(|(_, f)| f.through.is_none()) {
            if f.ty == teapot_schema::FieldType::ManyToMany {
                f.join_key = key;
            }
            // Only where it changes the constraint: DO_NOTHING and PROTECT have NO ACTION anyway.
            let no_action = matches!(f.on_delete, Some(teapot_schema::OnDelete::DoNothing | teapot_schema::OnDelete::Protect));
            if f.ty.is_relation() && !no_action {
                f.orm_on_delete = orm;
            }
        }
    }
    let mut hints = RenameHints::default();
    for d in &decls {
        let m = &d.decl.model;
        if let Some(old) = &d.decl.renamed_from {
            hints.models.push((m.app.clone(), m.name.clone(), old.clone()));
        }
        for (new, old) in &d.decl.field_renames {
            hints.fields.push((m.app.clone(), m.name.clone(), new.clone(), old.clone()));
        }
    }
    Ok(Declared { state, hints, declarations: decls })
}
