//! `#[derive(Choices)]` enums: the values and labels of a field with choices (Django's
//! `choices=[...]`, or its TextChoices / IntegerChoices). Read by the derive macro and by the
//! CLI with this one reader.

use proc_macro2::Span;
use syn::spanned::Spanned;

use super::attrs::{duplicate, ident_of, lit_str, literal, teapot_attrs, wrap};
use super::{Location, ReadError};
use crate::field::{Choice, FieldType, Literal};

const VARIANT_OPTIONS: &str = "value = \"d\" (stored as text) or value = 1 (stored as an integer), label = \"...\"";

/// One variant of a `#[derive(Choices)]` enum.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceVariant {
    /// The variant's name.
    pub ident: String,
    /// The value stored in the column: `#[teapot(value = ...)]`, else the variant's name (text).
    pub value: Literal,
    /// `#[teapot(label = "...")]`, else the variant's name.
    pub label: String,
}

/// A `#[derive(Choices)]` enum: a field of this type stores the value of its variant.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoicesEnum {
    /// The enum's name.
    pub name: String,
    /// Integer values (an `integer` column, Django's IntegerField with choices); else text (a
    /// `string` column: varchar with max_length, else text).
    pub integer: bool,
    /// The variants, in declaration order.
    pub variants: Vec<ChoiceVariant>,
    /// Where the enum's name is.
    pub location: Location,
}

impl ChoicesEnum {
    /// The field type a field of this enum has.
    pub fn field_type(&self) -> FieldType {
        if self.integer {
            FieldType::Integer
        } else {
            FieldType::String
        }
    }

    /// The choices as the migration state records them: `(value, label)`.
    pub fn choices(&self) -> Vec<Choice> {
        self.variants.iter().map(|v| (v.value.clone(), v.label.clone())).collect()
    }

    /// The longest text value, in characters (what max_length must hold).
    pub fn longest(&self) -> usize {
        self.variants
            .iter()
            .map(|v| match &v.value {
                Literal::Str(s) => s.chars().count(),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }
}

/// Whether the attributes hold `#[derive(Choices)]` (or `teapot::Choices`).
pub fn derives_choices(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("derive")).any(|a| {
        let mut found = false;
        let _ = a.parse_nested_meta(|meta| {
            if meta.path.segments.last().is_some_and(|s| s.ident == "Choices") {
                found = true;
            }
            Ok(())
        });
        found
    })
}

/// Reads a `#[derive(Choices)]` enum: unit variants, each with an optional
/// `#[teapot(value = ..., label = "...")]`; values all text or all integers, each once.
pub fn read_enum(item: &syn::ItemEnum) -> Result<ChoicesEnum, ReadError> {
    let name = item.ident.to_string();
    if !item.generics.params.is_empty() {
        return Err(ReadError::new(item.ident.span(), format!("the choices enum {name} cannot be generic"))
            .expected(format!("enum {name} {{ A, B }} without type parameters")));
    }
    if let Some(a) = teapot_attrs(&item.attrs).next() {
        return Err(ReadError::new(a.path().span(), format!("#[teapot(...)] on enum {name} takes no option"))
            .expected("#[teapot(value = ..., label = \"...\")] on each variant"));
    }
    if item.variants.is_empty() {
        return Err(ReadError::new(item.ident.span(), format!("the choices enum {name} has no variant"))
            .expected("at least one variant: a field of this type must hold one"));
    }
    let mut variants = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut given = 0usize;
    for v in &item.variants {
        let vname = v.ident.to_string();
        if !matches!(v.fields, syn::Fields::Unit) {
            return Err(ReadError::new(v.ident.span(), format!("variant {name}::{vname} holds data"))
                .expected(format!("a unit variant: {vname}, with #[teapot(value = ...)] for the stored value")));
        }
        if v.discriminant.is_some() {
            return Err(ReadError::new(v.ident.span(), format!("variant {name}::{vname} has a discriminant"))
                .expected(format!("#[teapot(value = N)] on {vname} for an integer value")));
        }
        let mut value: Option<Literal> = None;
        let mut label: Option<String> = None;
        for attr in teapot_attrs(&v.attrs) {
            attr.parse_nested_meta(|meta| {
                match ident_of(&meta).as_str() {
                    "value" => {
                        if value.is_some() {
                            return Err(duplicate(&meta, "value"));
                        }
                        let l = literal(&meta)?;
                        match &l {
                            Literal::Str(_) => {}
                            Literal::Int(i) if i32::try_from(*i).is_ok() => {}
                            Literal::Int(_) => {
                                return Err(meta.error("an integer value must fit an integer column (-2147483648 to 2147483647)"))
                            }
                            _ => return Err(meta.error("a value is a string (stored as text) or an integer")),
                        }
                        value = Some(l);
                    }
                    "label" => {
                        if label.is_some() {
                            return Err(duplicate(&meta, "label"));
                        }
                        label = Some(lit_str(&meta)?);
                    }
                    other => return Err(meta.error(format!("unknown variant option `{other}`"))),
                }
                Ok(())
            })
            .map_err(|e| wrap(e, VARIANT_OPTIONS))?;
        }
        if value.is_some() {
            given += 1;
        }
        spans.push(v.ident.span());
        variants.push(ChoiceVariant {
            value: value.unwrap_or_else(|| Literal::Str(vname.clone())),
            label: label.unwrap_or_else(|| vname.clone()),
            ident: vname,
        });
    }
    let ints = variants.iter().filter(|v| matches!(v.value, Literal::Int(_))).count();
    let integer = ints > 0;
    if integer && ints != variants.len() {
        let (i, odd) = variants.iter().enumerate().find(|(_, v)| !matches!(v.value, Literal::Int(_))).expect("a non-integer value exists");
        let why = if given < variants.len() { "has no value" } else { "has a text value" };
        return Err(ReadError::new(spans[i], format!("variant {name}::{} {why}, and other variants of {name} are integers", odd.ident))
            .expected(format!("#[teapot(value = N)] on every variant of {name} (one column type for all)")));
    }
    for (i, v) in variants.iter().enumerate() {
        if let Some(first) = variants[..i].iter().find(|o| o.value == v.value) {
            return Err(ReadError::new(
                spans[i],
                format!("variants {name}::{} and {name}::{} both have the value {}", first.ident, v.ident, v.value),
            )
            .expected("a value of its own for each variant"));
        }
    }
    Ok(ChoicesEnum { name, integer, variants, location: Location::of(item.ident.span()) })
}
