//! Abstract bases: `#[derive(Model)] #[teapot(abstract)]` structs whose fields models take as
//! their own through a `#[teapot(flatten)] pub base: Base` field (Django's `Meta.abstract`).
//!
//! An abstract struct has no table and no key. Its fields are read here as a model's are (every
//! field option applies); a model's reader then puts them in place of the flatten field: first,
//! after the implicit `id`, as Django puts inherited fields before the model's own. A base may
//! flatten another base.

use proc_macro2::Span;

use super::{attrs, build_field, types, Location, ReadError};
use crate::field::Field;

/// One field of an abstract base, as read.
#[derive(Debug, Clone)]
pub struct BaseField {
    /// The field's name.
    pub name: String,
    /// A field with a column or a many-to-many (relation targets and choices types provisional,
    /// as a model's are until the resolver runs); `None` for a flatten field.
    pub field: Option<Field>,
    /// The relation target as written.
    pub target: Option<String>,
    /// The type as written when it may be a `#[derive(Choices)]` enum.
    pub choices: Option<String>,
    /// For a `#[teapot(flatten)]` field: the base's type as written.
    pub flatten: Option<String>,
    /// `renamed_from` on the field.
    pub renamed_from: Option<String>,
}

/// An abstract base: the fields every model that flattens it gets.
#[derive(Debug, Clone)]
pub struct AbstractDecl {
    /// The struct's name.
    pub name: String,
    /// Its fields, in declaration order.
    pub fields: Vec<BaseField>,
    /// Where the struct name is.
    pub location: Location,
}

/// Finds an abstract base by its type as written in a flatten field: the base, or why there is
/// none (the message of the error).
pub type BaseLookup<'a> = &'a dyn Fn(&str) -> Result<AbstractDecl, String>;

/// A lookup that finds nothing (a model read on its own, with no base in reach).
pub fn no_bases(written: &str) -> Result<AbstractDecl, String> {
    Err(format!("no abstract base `{written}` is in reach"))
}

/// Whether the struct's `#[teapot(...)]` says `abstract`.
pub fn is_abstract(attrs: &[syn::Attribute]) -> bool {
    attrs::read_model_attrs(attrs, Span::call_site()).is_ok_and(|o| o.abstract_.is_some())
}

/// Whether a field is `#[teapot(flatten)]` (read without the other options, to tell a model that
/// needs its bases from one that does not).
pub fn is_flatten(field: &syn::Field) -> bool {
    attrs::read_field_attrs(&field.attrs).map(|o| o.flatten).unwrap_or(false)
}

/// The base type of a flatten field, as written: a plain path (`Stamped`, `base::Stamped`).
pub(crate) fn flatten_type(f: &syn::Field, fname: &str, o: &attrs::FieldOpts) -> Result<String, ReadError> {
    let span = f.ident.as_ref().map(|i| i.span()).unwrap_or_else(Span::call_site);
    let others = o.primary_key
        || o.unique
        || o.db_index
        || o.max_length.is_some()
        || o.db_column.is_some()
        || o.default.is_some()
        || o.db_default.is_some()
        || o.related_name.is_some()
        || o.related_query_name.is_some()
        || o.on_delete.is_some()
        || o.through.is_some()
        || o.renamed_from.is_some();
    if others {
        return Err(ReadError::new(span, format!("`{fname}` is flattened: it takes no other option"))
            .expected("#[teapot(flatten)] alone; the options go on the base's fields"));
    }
    match &f.ty {
        syn::Type::Path(p) if p.qself.is_none() && p.path.segments.iter().all(|s| matches!(s.arguments, syn::PathArguments::None)) => {
            Ok(p.path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::"))
        }
        _ => Err(ReadError::new(span, format!("flattened field `{fname}` must have an abstract base's type"))
            .expected(format!("#[teapot(flatten)] pub {fname}: Base, where Base is #[derive(Model)] #[teapot(abstract)]"))),
    }
}

/// Reads an abstract base.
pub fn read_abstract(item: &syn::ItemStruct) -> Result<AbstractDecl, ReadError> {
    let name = item.ident.to_string();
    let opts = attrs::read_model_attrs(&item.attrs, item.ident.span())?;
    let refuse = |what: &str| {
        ReadError::new(item.ident.span(), format!("abstract base {name} declares {what}")).expected(
            "on an abstract base, only `abstract` (and `app`): indexes, constraints, table, ordering and renames are each model's own",
        )
    };
    if !opts.indexes.is_empty() || !opts.constraints.is_empty() {
        return Err(refuse("an index or a constraint"));
    }
    if opts.table.is_some() || !opts.managed || opts.ordering.is_some() || opts.renamed_from.is_some() {
        return Err(refuse("a table option"));
    }
    if !item.generics.params.is_empty() {
        return Err(ReadError::new(item.ident.span(), "an abstract base cannot be generic").expected(format!("struct {name} {{ ... }}")));
    }
    let syn::Fields::Named(named) = &item.fields else {
        return Err(ReadError::new(item.ident.span(), format!("abstract base {name} must have named fields"))
            .expected(format!("struct {name} {{ pub created: DateTime<Utc>, ... }}")));
    };
    let mut fields = Vec::new();
    for f in &named.named {
        let Some(ident) = &f.ident else { continue };
        let fname = ident.to_string().trim_start_matches("r#").to_string();
        if types::reverse_target(&f.ty).is_some() {
            return Err(ReadError::new(ident.span(), format!("abstract base {name} declares the Reverse relation `{fname}`"))
                .expected("Reverse<T> fields on each model"));
        }
        let fopts = attrs::read_field_attrs(&f.attrs)?;
        if fopts.flatten {
            let written = flatten_type(f, &fname, &fopts)?;
            fields.push(BaseField { name: fname, field: None, target: None, choices: None, flatten: Some(written), renamed_from: None });
            continue;
        }
        if fopts.primary_key || fname == "id" {
            return Err(ReadError::new(ident.span(), format!("abstract base {name} declares the key `{fname}`"))
                .expected("the key on each model (`pub id: i64`); the base holds the fields they share"));
        }
        let read = types::read_type(&f.ty)?;
        if read.target.as_deref().is_some_and(|t| t == "Self" || t.ends_with("::Self")) {
            return Err(ReadError::new(ident.span(), format!("`{fname}` of abstract base {name} points at Self"))
                .expected("a relation to a named model"));
        }
        let field = build_field(&fname, ident.span(), read.clone(), &fopts)?;
        fields.push(BaseField {
            name: fname,
            field: Some(field),
            target: read.target,
            choices: read.choices,
            flatten: None,
            renamed_from: fopts.renamed_from,
        });
    }
    Ok(AbstractDecl { name, fields, location: Location::of(item.ident.span()) })
}

/// A field a model takes from a base.
#[derive(Debug, Clone)]
pub struct Inherited {
    /// The field's name (the model's field of that name).
    pub field: String,
    /// The flatten fields from the model down to the base that declares it (`["named",
    /// "stamped"]`: `self.named.stamped.created`).
    pub path: Vec<String>,
    /// The base that declares it.
    pub base: String,
}

/// The fields of the base written `written`, its own bases' first where it flattens them, each
/// with its path from the model.
pub(crate) fn expand(
    written: &str,
    path: Vec<String>,
    span: Span,
    lookup: BaseLookup<'_>,
    seen: &mut Vec<String>,
    out: &mut Vec<(BaseField, Inherited)>,
) -> Result<(), ReadError> {
    let name = written.rsplit("::").next().unwrap_or(written).to_string();
    if seen.contains(&name) {
        return Err(ReadError::new(span, format!("abstract base {name} flattens itself (through {})", seen.join(" -> ")))
            .expected("bases that do not contain each other"));
    }
    let base = lookup(written).map_err(|why| {
        ReadError::new(span, why).expected("#[teapot(flatten)] on a field whose type is a #[derive(Model)] #[teapot(abstract)] struct")
    })?;
    seen.push(name.clone());
    for bf in &base.fields {
        let mut p = path.clone();
        match &bf.flatten {
            Some(w) => {
                p.push(bf.name.clone());
                expand(w, p, span, lookup, seen, out)?;
            }
            None => out.push((bf.clone(), Inherited { field: bf.name.clone(), path: p, base: base.name.clone() })),
        }
    }
    seen.pop();
    Ok(())
}

/// Django's `%(class)s` and `%(app_label)s` in a related name of a field a base declares: the
/// model's name lowercased and its app, so each model gets reverse names of its own.
pub(crate) fn fill_class(name: &str, model: &str, app: &str) -> String {
    name.replace("%(class)s", &model.to_lowercase()).replace("%(app_label)s", &app.to_lowercase())
}
