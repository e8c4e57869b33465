//! The declaration reader: turns `#[derive(Model)]` structs into [`ModelState`]s.
//!
//! The CLI runs it over source files (without compiling them) and `#[derive(Model)]` runs it over
//! the struct it is given, so the two can never disagree about what a declaration means.
//! [`read_struct`] reads one struct; [`read_source`] finds the models in a file; cross-model rules
//! (relation targets, reverse-name clashes) live in [`crate::resolve`].

mod attrs;
pub mod bases;
pub mod choices;
mod types;

use proc_macro2::Span;

use crate::field::{Field, FieldType};
use crate::model::{ConstraintKind, ModelState};
use crate::naming;

pub use bases::{is_abstract, is_flatten, no_bases, read_abstract, AbstractDecl, BaseField, BaseLookup, Inherited};
pub use choices::{derives_choices, read_enum, ChoiceVariant, ChoicesEnum};
pub use types::{literal_fits, parse_naive_datetime, reverse_target, RUST_TYPES};

/// Where something was declared: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Location {
    /// The start of a span (line and column are known when read from a file).
    pub fn of(span: Span) -> Location {
        let lc = span.start();
        Location { line: lc.line, column: lc.column + 1 }
    }
}

/// A declaration the reader does not accept: what was wrong, the form it expected, and where.
#[derive(Debug, Clone)]
pub struct ReadError {
    /// What was wrong.
    pub message: String,
    /// The form the reader expected there.
    pub expected: Option<String>,
    /// Where (for the derive macro, which reports through the compiler).
    pub span: Span,
}

impl ReadError {
    pub(crate) fn new(span: Span, message: impl Into<String>) -> ReadError {
        ReadError { message: message.into(), expected: None, span }
    }

    pub(crate) fn expected(mut self, expected: impl Into<String>) -> ReadError {
        self.expected = Some(expected.into());
        self
    }

    /// Where the error is, as line and column.
    pub fn location(&self) -> Location {
        Location::of(self.span)
    }

    /// The message with the expected form, on one or two lines.
    pub fn describe(&self) -> String {
        match &self.expected {
            Some(e) => format!("{}\n  expected: {}", self.message, e),
            None => self.message.clone(),
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A model as declared, with what only the declaration knows: renames declared in code and the
/// places of things, for messages about them.
#[derive(Debug, Clone)]
pub struct Declaration {
    /// The model.
    pub model: ModelState,
    /// `#[teapot(renamed_from = "Old")]` on the struct.
    pub renamed_from: Option<String>,
    /// `(field, old name)` for fields with `renamed_from`.
    pub field_renames: Vec<(String, String)>,
    /// Where the struct name is.
    pub location: Location,
    /// Where each field is, by field name.
    pub field_locations: Vec<(String, Location)>,
    /// Relation targets as written (`Author`, `library::Author`, `Self`), by field name; the
    /// resolver turns them into `app.Model`.
    pub targets: Vec<(String, String)>,
    /// `Reverse<T>` fields (no column): `(field, T as written)`.
    pub reverse_fields: Vec<(String, String)>,
    /// `#[teapot(ordering = ["-published", "title"])]`: the ORM's order when a query gives none
    /// (`-` for descending). Not part of the schema: no migration carries it.
    pub ordering: Vec<String>,
    /// Fields whose type is none of the known ones: `(field, type as written)`, to be found as a
    /// `#[derive(Choices)]` enum by the resolver (until then such a field's type and choices are
    /// provisional: a string without choices).
    pub choice_types: Vec<(String, String)>,
    /// The fields taken from abstract bases, with the flatten fields that reach them.
    pub inherited: Vec<Inherited>,
    /// `#[teapot(flatten)]` fields of the struct itself: `(field, base as written)`.
    pub flattens: Vec<(String, String)>,
}

impl Declaration {
    /// Where a field is declared (the struct's place if unknown).
    pub fn field_location(&self, name: &str) -> Location {
        self.field_locations.iter().find(|(n, _)| n == name).map(|(_, l)| *l).unwrap_or(self.location)
    }
}

/// Reads every struct with `#[derive(..., Model, ...)]` in a source file, including inline modules.
/// `default_app` is the app the file is listed under in teapot.toml.
pub fn read_source(source: &str, default_app: Option<&str>) -> Result<Vec<Declaration>, ReadError> {
    read_source_items(source, default_app).map(|items| items.models)
}

/// What a source file declares: its models, its abstract bases and its `#[derive(Choices)]` enums.
#[derive(Debug, Clone, Default)]
pub struct SourceItems {
    /// The `#[derive(Model)]` structs.
    pub models: Vec<Declaration>,
    /// The `#[derive(Choices)]` enums.
    pub choices: Vec<ChoicesEnum>,
    /// The `#[derive(Model)] #[teapot(abstract)]` structs.
    pub abstracts: Vec<AbstractDecl>,
}

fn parse_file(source: &str) -> Result<syn::File, ReadError> {
    syn::parse_file(source)
        .map_err(|e| ReadError::new(e.span(), format!("this file is not valid Rust: {e}")).expected("a Rust source file that compiles"))
}

/// Reads every model struct and every choices enum in a source file, including inline modules.
/// A model's abstract bases are found in the same file.
pub fn read_source_items(source: &str, default_app: Option<&str>) -> Result<SourceItems, ReadError> {
    read_source_items_with(source, default_app, &no_bases)
}

/// [`read_source_items`], with the abstract bases of other files: `bases` finds one the file does
/// not declare itself.
pub fn read_source_items_with(source: &str, default_app: Option<&str>, bases: BaseLookup<'_>) -> Result<SourceItems, ReadError> {
    let file = parse_file(source)?;
    let mut out = SourceItems::default();
    let mut structs = Vec::new();
    collect_items(&file.items, &mut structs, &mut out)?;
    let (abstracts, models): (Vec<&syn::ItemStruct>, Vec<&syn::ItemStruct>) = structs.into_iter().partition(|s| is_abstract(&s.attrs));
    for a in abstracts {
        out.abstracts.push(read_abstract(a)?);
    }
    let model_names: Vec<String> = models.iter().map(|s| s.ident.to_string()).collect();
    let own = out.abstracts.clone();
    let lookup = |written: &str| {
        let name = written.rsplit("::").next().unwrap_or(written);
        if let Some(a) = own.iter().find(|a| a.name == name) {
            return Ok(a.clone());
        }
        if model_names.iter().any(|m| m == name) {
            return Err(format!("`{written}` is a model, not an abstract base: a model's fields are not flattened into another"));
        }
        bases(written)
    };
    for s in models {
        out.models.push(read_struct_with(s, default_app, &lookup)?);
    }
    Ok(out)
}

/// The abstract bases a source file declares (nothing else is read).
pub fn read_abstracts(source: &str) -> Result<Vec<AbstractDecl>, ReadError> {
    let file = parse_file(source)?;
    let mut structs = Vec::new();
    collect_items(&file.items, &mut structs, &mut SourceItems::default())?;
    structs.into_iter().filter(|s| is_abstract(&s.attrs)).map(read_abstract).collect()
}

fn collect_items<'a>(items: &'a [syn::Item], structs: &mut Vec<&'a syn::ItemStruct>, out: &mut SourceItems) -> Result<(), ReadError> {
    for item in items {
        match item {
            syn::Item::Struct(s) if derives_model(&s.attrs) => structs.push(s),
            syn::Item::Enum(e) if derives_choices(&e.attrs) => out.choices.push(read_enum(e)?),
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect_items(items, structs, out)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether the attributes hold `#[derive(Model)]` (or `teapot::Model`).
pub fn derives_model(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("derive")).any(|a| {
        let mut found = false;
        let _ = a.parse_nested_meta(|meta| {
            if meta.path.segments.last().is_some_and(|s| s.ident == "Model") {
                found = true;
            }
            Ok(())
        });
        found
    })
}

/// Reads one model struct. The struct's own `#[teapot(app = ...)]` wins over `default_app`; one of
/// the two must be given.
pub fn read_struct(item: &syn::ItemStruct, default_app: Option<&str>) -> Result<Declaration, ReadError> {
    read_struct_with(item, default_app, &no_bases)
}

/// [`read_struct`], finding the abstract bases of its flatten fields with `bases`.
pub fn read_struct_with(item: &syn::ItemStruct, default_app: Option<&str>, bases: BaseLookup<'_>) -> Result<Declaration, ReadError> {
    let name = item.ident.to_string();
    let opts = attrs::read_model_attrs(&item.attrs, item.ident.span())?;
    if let Some(span) = opts.abstract_ {
        return Err(ReadError::new(span, format!("{name} is abstract: it is a base, not a model"))
            .expected(format!("#[teapot(flatten)] pub base: {name} in a model (read with the abstract bases)")));
    }
    if !item.generics.params.is_empty() {
        return Err(ReadError::new(item.generics.span_of(), "a model cannot be generic")
            .expected(format!("struct {name} {{ ... }} without type parameters")));
    }
    let app = match (&opts.app, default_app) {
        (Some((a, _)), _) => a.clone(),
        (None, Some(d)) => d.to_string(),
        (None, None) => {
            return Err(ReadError::new(item.ident.span(), format!("model {name} names no app"))
                .expected(format!("#[teapot(app = \"...\")] on struct {name}")))
        }
    };
    if let (Some((a, span)), Some(d)) = (&opts.app, default_app) {
        if a != d {
            return Err(ReadError::new(
                *span,
                format!("model {name} says app = \"{a}\" but teapot.toml lists this file under app \"{d}\""),
            )
            .expected(format!("app = \"{d}\", or list the file under [apps.{a}] in teapot.toml")));
        }
    }
    check_identifier(&app, item.ident.span(), "an app label")?;

    let syn::Fields::Named(named) = &item.fields else {
        return Err(ReadError::new(item.ident.span(), format!("model {name} must have named fields"))
            .expected(format!("struct {name} {{ pub id: i64, ... }}")));
    };

    let mut model = ModelState::new(&app, &name);
    model.table = opts.table.clone();
    model.managed = opts.managed;
    let mut decl_fields = Vec::new();
    let mut field_renames = Vec::new();
    let mut field_locations = Vec::new();
    let mut targets = Vec::new();
    let mut reverse_fields = Vec::new();
    let mut choice_types = Vec::new();
    let mut flattens = Vec::new();
    for f in &named.named {
        let Some(ident) = &f.ident else { continue };
        let fname = ident.to_string().trim_start_matches("r#").to_string();
        if is_flatten(f) {
            let fopts = attrs::read_field_attrs(&f.attrs)?;
            flattens.push((fname.clone(), bases::flatten_type(f, &fname, &fopts)?, ident.span()));
            continue;
        }
        if let Some(target) = reverse_target(&f.ty) {
            if let Some(a) = f.attrs.iter().find(|a| a.path().is_ident("teapot")) {
                return Err(ReadError::new(
                    a.path().get_ident().map(|i| i.span()).unwrap_or_else(Span::call_site),
                    format!("`{fname}` is a Reverse relation: it takes no option"),
                )
                .expected(format!("pub {fname}: Reverse<{target}>, with related_name = \"{fname}\" on {target}'s foreign key")));
            }
            reverse_fields.push((fname, target));
            continue;
        }
        let fopts = attrs::read_field_attrs(&f.attrs)?;
        let read = types::read_type(&f.ty)?;
        let field = build_field(&fname, ident.span(), read.clone(), &fopts)?;
        if let Some(t) = read.target {
            targets.push((fname.clone(), t));
        }
        if let Some(t) = read.choices {
            choice_types.push((fname.clone(), t));
        }
        if let Some(old) = &fopts.renamed_from {
            field_renames.push((fname.clone(), old.clone()));
        }
        field_locations.push((fname.clone(), Location::of(ident.span())));
        decl_fields.push((fname, field, ident.span()));
    }

    // The bases' fields come first, in the order the flatten fields are written (Django puts
    // inherited fields before the model's own).
    let mut inherited = Vec::new();
    let mut from_bases = Vec::new();
    for (fname, written, span) in &flattens {
        let mut got = Vec::new();
        bases::expand(written, vec![fname.clone()], *span, bases, &mut Vec::new(), &mut got)?;
        for (bf, inh) in got {
            let Some(field) = bf.field.clone() else { continue };
            let clash = decl_fields.iter().any(|(n, _, _)| *n == bf.name) || from_bases.iter().any(|(n, _, _)| *n == bf.name);
            if clash {
                let also = inherited
                    .iter()
                    .find(|i: &&Inherited| i.field == bf.name)
                    .map(|i| format!("base {}", i.base))
                    .unwrap_or_else(|| name.clone());
                return Err(ReadError::new(*span, format!("field `{}` of {name} comes from base {} and from {also}", bf.name, inh.base))
                    .expected("one field of each name: rename the model's own field, or take one base out"));
            }
            if let Some(t) = &bf.target {
                targets.push((bf.name.clone(), t.clone()));
            }
            if let Some(t) = &bf.choices {
                choice_types.push((bf.name.clone(), t.clone()));
            }
            if let Some(old) = &bf.renamed_from {
                field_renames.push((bf.name.clone(), old.clone()));
            }
            field_locations.push((bf.name.clone(), Location::of(*span)));
            from_bases.push((bf.name.clone(), field, *span));
            inherited.push(inh);
        }
    }
    from_bases.append(&mut decl_fields);
    let mut decl_fields = from_bases;
    for (_, f, _) in decl_fields.iter_mut() {
        f.related_name = f.related_name.as_deref().map(|r| bases::fill_class(r, &name, &app));
        f.related_query_name = f.related_query_name.as_deref().map(|r| bases::fill_class(r, &name, &app));
    }

    // Primary key: a declared one, else the field named `id`, which becomes an identity key.
    let declared_pks: Vec<_> = decl_fields.iter().filter(|(_, f, _)| f.primary_key).collect();
    if declared_pks.len() > 1 {
        return Err(
            ReadError::new(declared_pks[1].2, format!("model {name} declares two primary keys")).expected("primary_key on one field only")
        );
    }
    if declared_pks.is_empty() {
        match decl_fields.iter_mut().find(|(n, _, _)| n == "id") {
            Some((_, f, span)) => {
                if f.positive {
                    return Err(ReadError::new(*span, "the implicit primary key `id` cannot be positive")
                        .expected("`positive` on a field that is not the key"));
                }
                if !f.ty.is_integer() || f.null {
                    return Err(ReadError::new(*span, "the implicit primary key `id` must be an integer")
                        .expected("pub id: i64 (or i32 / i16), or #[teapot(primary_key)] on another field"));
                }
                f.primary_key = true;
                f.auto = true;
                // Django's implicit auto key is the first field (and column) wherever `id` is written.
                if let Some(at) = decl_fields.iter().position(|(n, _, _)| n == "id") {
                    let id = decl_fields.remove(at);
                    decl_fields.insert(0, id);
                }
            }
            None => {
                return Err(ReadError::new(item.ident.span(), format!("model {name} has no primary key"))
                    .expected("a field `pub id: i64`, or #[teapot(primary_key)] on one field"))
            }
        }
    }
    model.fields = decl_fields.iter().map(|(n, f, _)| (n.clone(), f.clone())).collect();

    // Two fields on one column.
    for (i, (n, f, span)) in decl_fields.iter().enumerate() {
        let Some(col) = f.column(n) else { continue };
        if let Some((other, _, _)) = decl_fields[..i].iter().find(|(on, of, _)| of.column(on).as_deref() == Some(&col)) {
            return Err(ReadError::new(*span, format!("fields `{other}` and `{n}` of {name} both use column \"{col}\""))
                .expected("a distinct db_column for one of them"));
        }
    }

    // Indexes and constraints name fields of this model.
    for (idx, span) in &opts.indexes {
        check_fields_exist(&model, &idx.fields, *span, "index")?;
        if !idx.include.is_empty() {
            check_fields_exist(&model, &idx.include, *span, "include")?;
        }
        model.indexes.push(idx.clone());
    }
    for (mut c, span) in opts.constraints.clone() {
        if let ConstraintKind::Unique { fields, .. } = &c.kind {
            if !fields.is_empty() {
                check_fields_exist(&model, fields, span, "unique")?;
            }
            if c.name.is_empty() {
                let cols: Vec<String> = fields.iter().filter_map(|f| model.column_of(f)).collect();
                let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
                c.name = naming::unique_together_name(&model.table_name(), &cols);
            }
        }
        model.constraints.push(c);
    }
    let ordering = match &opts.ordering {
        Some((fields, span)) => {
            check_fields_exist(&model, fields, *span, "ordering")?;
            fields.clone()
        }
        None => Vec::new(),
    };
    let mut names: Vec<&str> = model.indexes.iter().map(|i| i.name.as_str()).collect();
    names.extend(model.constraints.iter().map(|c| c.name.as_str()));
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(ReadError::new(item.ident.span(), format!("model {name} declares \"{n}\" twice"))
                .expected("one name per index and constraint"));
        }
        if n.len() > naming::MAX_NAME_LENGTH {
            return Err(ReadError::new(item.ident.span(), format!("the name \"{n}\" is longer than 63 bytes"))
                .expected("a name PostgreSQL keeps whole (63 bytes at most)"));
        }
    }

    Ok(Declaration {
        model,
        renamed_from: opts.renamed_from,
        field_renames,
        location: Location::of(item.ident.span()),
        field_locations,
        targets,
        reverse_fields,
        ordering,
        choice_types,
        inherited,
        flattens: flattens.into_iter().map(|(f, w, _)| (f, w)).collect(),
    })
}

fn check_fields_exist(model: &ModelState, fields: &[String], span: Span, what: &str) -> Result<(), ReadError> {
    if fields.is_empty() {
        return Err(ReadError::new(span, format!("{what} on {} lists no field", model.name))
            .expected(format!("{what}(fields = [\"a\", \"b\"], ...)")));
    }
    for f in fields {
        let bare = f.trim_start_matches('-');
        if what != "index" && what != "ordering" && f.starts_with('-') {
            return Err(
                ReadError::new(span, format!("\"{f}\": only an index field can be descending")).expected("field names without a leading -")
            );
        }
        match model.field(bare) {
            None => {
                let known: Vec<&str> = model.fields.iter().map(|(n, _)| n.as_str()).collect();
                return Err(ReadError::new(span, format!("{what} names field \"{bare}\", which {} does not have", model.name))
                    .expected(format!("one of: {}", known.join(", "))));
            }
            Some(fd) if fd.ty == FieldType::ManyToMany => {
                return Err(ReadError::new(span, format!("{what} names many-to-many field \"{bare}\", which has no column"))
                    .expected("fields stored in a column"));
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_identifier(s: &str, span: Span, what: &str) -> Result<(), ReadError> {
    let ok = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !s.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(ReadError::new(span, format!("\"{s}\" is not a valid {what}")).expected("letters, digits and _, not starting with a digit"))
    }
}

fn build_field(name: &str, span: Span, read: types::ReadType, o: &attrs::FieldOpts) -> Result<Field, ReadError> {
    let mut f = Field::new(read.ty);
    f.null = read.null;
    let ty = read.ty;
    let kind = match ty {
        FieldType::ForeignKey => "a ForeignKey",
        FieldType::ManyToMany => "a ManyToMany",
        _ => "this type",
    };
    let only = |ok: bool, opt: &str, for_what: &str| -> Result<(), ReadError> {
        if ok {
            Ok(())
        } else {
            Err(ReadError::new(span, format!("`{opt}` does not apply to field `{name}` ({kind})"))
                .expected(format!("`{opt}` only on {for_what}")))
        }
    };
    if o.max_length.is_some() {
        only(ty == FieldType::String, "max_length", "String fields")?;
    }
    if o.max_digits.is_some() || o.decimal_places.is_some() {
        only(ty == FieldType::Decimal, "max_digits / decimal_places", "Decimal fields")?;
    }
    if ty == FieldType::Decimal {
        match (o.max_digits, o.decimal_places) {
            (Some(d), Some(p)) if p <= d && d > 0 => {}
            _ => {
                return Err(ReadError::new(span, format!("Decimal field `{name}` needs a precision and a scale"))
                    .expected("#[teapot(max_digits = 8, decimal_places = 2)] with decimal_places <= max_digits"))
            }
        }
    }
    if o.on_delete.is_some() || o.one_to_one {
        only(ty == FieldType::ForeignKey, if o.one_to_one { "one_to_one" } else { "on_delete" }, "ForeignKey fields")?;
    }
    if o.related_name.is_some() {
        only(ty.is_relation(), "related_name", "ForeignKey and ManyToMany fields")?;
    }
    if let Some(q) = &o.related_query_name {
        only(ty.is_relation(), "related_query_name", "ForeignKey and ManyToMany fields")?;
        // Django's fields.E308 / E309: a lookup path is split at `__`.
        let bad = q.is_empty()
            || q.ends_with('_')
            || q.contains("__")
            || !q.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '%' || c == '(' || c == ')');
        if bad {
            return Err(ReadError::new(span, format!("related_query_name \"{q}\" of `{name}` cannot be a name in a filter"))
                .expected("an identifier without `__` that does not end with `_`"));
        }
    }
    if o.through.is_some() || o.through_fields.is_some() {
        only(ty == FieldType::ManyToMany, if o.through.is_some() { "through" } else { "through_fields" }, "ManyToMany fields")?;
        if o.through.is_none() {
            return Err(ReadError::new(span, format!("`{name}` gives through_fields without through"))
                .expected("through = \"Model\", through_fields = [\"to_this\", \"to_target\"]"));
        }
    }
    if o.flatten {
        return Err(ReadError::new(span, format!("`{name}` cannot be flattened: only an abstract base's type can"))
            .expected("#[teapot(flatten)] on a field whose type is a #[derive(Model)] #[teapot(abstract)] struct"));
    }
    if ty == FieldType::ManyToMany {
        for (set, opt) in [
            (o.unique, "unique"),
            (o.db_index, "db_index"),
            (o.primary_key, "primary_key"),
            (o.db_column.is_some(), "db_column"),
            (o.default.is_some(), "default"),
            (o.db_default.is_some(), "db_default"),
        ] {
            if set {
                only(false, opt, "fields stored in a column")?;
            }
        }
    }
    if ty == FieldType::ForeignKey {
        match o.on_delete {
            Some(a) => {
                if a == crate::OnDelete::SetNull && !f.null {
                    return Err(ReadError::new(span, format!("`{name}` is set_null on delete but cannot hold NULL"))
                        .expected(format!("pub {name}: Option<ForeignKey<...>>, or another on_delete")));
                }
                f.on_delete = Some(a);
            }
            None => {
                return Err(ReadError::new(span, format!("ForeignKey `{name}` does not say what happens on delete"))
                    .expected(format!("#[teapot(on_delete = \"...\")] with one of: {}", crate::OnDelete::ALL.join(", "))))
            }
        }
    }
    // A field of a choices enum has its type once the resolver finds the enum; its default is
    // checked then.
    if let (Some(d), None) = (&o.default, &read.choices) {
        types::check_default(ty, d, span, name)?;
    }
    if o.auto_now || o.auto_now_add {
        let opt = if o.auto_now { "auto_now" } else { "auto_now_add" };
        if read.choices.is_some() || !ty.is_date_like() {
            return Err(ReadError::new(span, format!("`{opt}` does not apply to field `{name}`: it is not a date or a datetime"))
                .expected(format!("`{opt}` only on DateTime<Utc>, NaiveDateTime and NaiveDate fields (or Option<...> of one)")));
        }
        // Django's fields.E160: the three set the value, each its own way.
        if (o.auto_now && o.auto_now_add) || o.default.is_some() {
            return Err(ReadError::new(span, format!("field `{name}` gives more than one of auto_now, auto_now_add and default"))
                .expected("one of them: auto_now (every save), auto_now_add (the first insert) or default"));
        }
        if o.primary_key {
            return Err(ReadError::new(span, format!("primary key `{name}` cannot be {opt}")).expected("auto_now on another field"));
        }
    }
    f.auto_now = o.auto_now;
    f.auto_now_add = o.auto_now_add;
    check_default_fn(name, span, &read, o)?;
    f.default_fn = o.default_fn;
    check_generated(name, span, &read, o)?;
    f.generated = o.generated.clone();
    if o.positive {
        if read.choices.is_some() || !ty.is_integer() {
            return Err(ReadError::new(span, format!("`positive` does not apply to field `{name}`: it is not an integer"))
                .expected("`positive` on an i16, i32 or i64 field (or Option<...> of one)"));
        }
        if o.primary_key {
            return Err(
                ReadError::new(span, format!("key `{name}` cannot be positive")).expected("`positive` on a field that is not the key")
            );
        }
        if let Some(crate::field::Literal::Int(n)) = &o.default {
            if *n < 0 {
                return Err(ReadError::new(span, format!("positive field `{name}` has the default {n}")).expected("a default of 0 or more"));
            }
        }
    }
    f.positive = o.positive;
    if o.primary_key && f.null {
        return Err(ReadError::new(span, format!("primary key `{name}` cannot be an Option")).expected("a non-optional type"));
    }
    f.primary_key = o.primary_key;
    f.unique = o.unique && !o.primary_key;
    f.db_index = o.db_index;
    f.max_length = o.max_length;
    f.max_digits = o.max_digits;
    f.decimal_places = o.decimal_places;
    f.db_column = o.db_column.clone();
    f.default = o.default.clone();
    f.db_default = o.db_default.clone();
    f.related_name = o.related_name.clone();
    f.related_query_name = o.related_query_name.clone();
    f.through = o.through.clone();
    f.through_fields = o.through_fields.clone();
    f.one_to_one = o.one_to_one;
    if let Some(t) = &read.target {
        // Provisional until the resolver knows every app: `?.Name` or `app.Name`.
        f.to = Some(t.clone());
    }
    Ok(f)
}

/// A callable default gives values of the field's type, and is the field's one way to a value.
fn check_default_fn(name: &str, span: Span, read: &types::ReadType, o: &attrs::FieldOpts) -> Result<(), ReadError> {
    let Some(c) = o.default_fn else { return Ok(()) };
    if read.choices.is_some() || !c.fits(read.ty) {
        return Err(ReadError::new(span, format!("`default = {}` does not fit field `{name}` of type {}", c.as_str(), read.ty.as_str()))
            .expected(format!("`default = {}` on a {} field (or Option<...> of one)", c.as_str(), c.types())));
    }
    for (set, opt) in [(o.db_default.is_some(), "db_default"), (o.auto_now, "auto_now"), (o.auto_now_add, "auto_now_add")] {
        if set {
            return Err(ReadError::new(span, format!("field `{name}` gives both `default = {}` and {opt}", c.as_str()))
                .expected("one way to the value: the callable default, or the other option"));
        }
    }
    if o.primary_key && c != crate::DefaultFn::Uuid4 {
        return Err(ReadError::new(span, format!("primary key `{name}` cannot default to {}", c.as_str()))
            .expected("`default = uuid4` on a Uuid key, or no callable default"));
    }
    Ok(())
}

/// A generated column is computed by the database from its expression: it takes no default, is
/// never the key, and is stored (PostgreSQL has no virtual generated columns; Django refuses
/// `db_persist=False` there too).
fn check_generated(name: &str, span: Span, read: &types::ReadType, o: &attrs::FieldOpts) -> Result<(), ReadError> {
    let Some(expr) = &o.generated else {
        if o.db_persist.is_some() {
            return Err(ReadError::new(span, format!("`db_persist` on field `{name}`, which is not generated"))
                .expected("db_persist only with generated = \"<sql>\""));
        }
        return Ok(());
    };
    if o.db_persist == Some(false) {
        return Err(ReadError::new(span, format!("generated field `{name}` has db_persist = false: a virtual column"))
            .expected("db_persist = true (or leave it out): PostgreSQL stores generated columns, it has no virtual ones, and Django refuses db_persist=False there"));
    }
    if read.ty.is_relation() {
        return Err(ReadError::new(span, format!("`generated` does not apply to field `{name}`: it is a relation"))
            .expected("generated on a field stored in a column of its own"));
    }
    for (set, opt) in [
        (o.default.is_some(), "default"),
        (o.default_fn.is_some(), "default"),
        (o.db_default.is_some(), "db_default"),
        (o.primary_key, "primary_key"),
        (o.auto_now, "auto_now"),
        (o.auto_now_add, "auto_now_add"),
        (o.positive, "positive"),
    ] {
        if set {
            return Err(ReadError::new(span, format!("generated field `{name}` cannot also be {opt}"))
                .expected("the database computes a generated column from its expression: leave the other option out"));
        }
    }
    crate::text::check_expression(&format!("the generated expression of `{name}`"), expr)
        .map_err(|why| ReadError::new(span, why).expected("generated = \"<one SQL expression>\", e.g. \"(\\\"price\\\" * \\\"qty\\\")\""))
}

trait SpanOf {
    fn span_of(&self) -> Span;
}

impl SpanOf for syn::Generics {
    fn span_of(&self) -> Span {
        self.lt_token.map(|t| t.span).unwrap_or_else(Span::call_site)
    }
}

/// Reads one model from its source text (what `#[derive(Model)]` stores for the ORM): the
/// model's struct, then the abstract bases it flattens, if any.
pub fn read_struct_source(source: &str, default_app: Option<&str>) -> Result<Declaration, ReadError> {
    let file: syn::File = syn::parse_str(source)
        .map_err(|e| ReadError::new(e.span(), format!("not a struct declaration: {e}")).expected("struct Name { ... }"))?;
    let mut structs = file.items.iter().filter_map(|i| if let syn::Item::Struct(s) = i { Some(s) } else { None });
    let item =
        structs.next().ok_or_else(|| ReadError::new(Span::call_site(), "no struct in the source").expected("struct Name { ... }"))?;
    let bases: Vec<AbstractDecl> = structs.map(read_abstract).collect::<Result<_, _>>()?;
    let lookup = |written: &str| {
        let name = written.rsplit("::").next().unwrap_or(written);
        bases.iter().find(|a| a.name == name).cloned().ok_or_else(|| format!("no abstract base `{written}` came with the model"))
    };
    read_struct_with(item, default_app, &lookup)
}
