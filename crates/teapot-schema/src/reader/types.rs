//! Rust field types and the logical field types they declare.

use syn::spanned::Spanned;

use super::ReadError;
use crate::field::{FieldType, Literal};

/// The Rust types a model field may have, for messages.
pub const RUST_TYPES: &str = "i16, i32, i64, bool, f64, String, Decimal, NaiveDate, NaiveTime, DateTime<Utc>, \
Uuid, serde_json::Value, Vec<u8>, ForeignKey<T>, ManyToMany<T>, or Option<...> of one of these \
(and Reverse<T>, which holds no column: the rows of T whose foreign key names this field as related_name)";

/// For a `Reverse<T>` field (no column; filled by prefetch_related): T as written.
pub fn reverse_target(ty: &syn::Type) -> Option<String> {
    let seg = last_segment(ty)?;
    if seg.ident != "Reverse" {
        return None;
    }
    single_generic(seg).and_then(path_text)
}

/// What a Rust type declares.
#[derive(Debug, Clone)]
pub(crate) struct ReadType {
    pub ty: FieldType,
    pub null: bool,
    /// For relations, the target as written: `Author`, `library::Author`, `Self`.
    pub target: Option<String>,
}

fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn single_generic(seg: &syn::PathSegment) -> Option<&syn::Type> {
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match a.args.first() {
            Some(syn::GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

fn path_text(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => Some(p.path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")),
        _ => None,
    }
}

fn unsupported(ty: &syn::Type, what: String) -> ReadError {
    ReadError::new(ty.span(), what).expected(RUST_TYPES)
}

pub(crate) fn read_type(ty: &syn::Type) -> Result<ReadType, ReadError> {
    let text = || quote_type(ty);
    let seg = last_segment(ty).ok_or_else(|| unsupported(ty, format!("unsupported field type `{}`", text())))?;
    let name = seg.ident.to_string();
    if name == "Option" {
        let inner = single_generic(seg).ok_or_else(|| unsupported(ty, "Option needs one type argument".into()))?;
        let mut r = read_type(inner)?;
        if r.null {
            return Err(unsupported(ty, "Option<Option<...>> is not a field type".into()));
        }
        if r.ty == FieldType::ManyToMany {
            return Err(ReadError::new(ty.span(), "a ManyToMany cannot be optional: it is a set, possibly empty").expected("ManyToMany<T>"));
        }
        r.null = true;
        return Ok(r);
    }
    let simple = |ft| Ok(ReadType { ty: ft, null: false, target: None });
    match name.as_str() {
        "i16" => simple(FieldType::Smallint),
        "i32" => simple(FieldType::Integer),
        "i64" => simple(FieldType::Bigint),
        "bool" => simple(FieldType::Boolean),
        "f64" => simple(FieldType::Float),
        "String" => simple(FieldType::String),
        "Decimal" => simple(FieldType::Decimal),
        "NaiveDate" => simple(FieldType::Date),
        "NaiveTime" => simple(FieldType::Time),
        "Uuid" => simple(FieldType::Uuid),
        "Value" | "JsonValue" => simple(FieldType::Json),
        "DateTime" => match single_generic(seg).and_then(last_segment) {
            Some(s) if s.ident == "Utc" => simple(FieldType::Datetime),
            _ => Err(unsupported(ty, format!("unsupported field type `{}`: only DateTime<Utc> is stored", text()))),
        },
        "Vec" => match single_generic(seg).and_then(last_segment) {
            Some(s) if s.ident == "u8" => simple(FieldType::Binary),
            _ => Err(unsupported(ty, format!("unsupported field type `{}`: only Vec<u8> is stored (as binary)", text()))),
        },
        "ForeignKey" | "ManyToMany" => {
            let inner =
                single_generic(seg).ok_or_else(|| unsupported(ty, format!("{name} needs the target model, e.g. {name}<Author>")))?;
            let target = path_text(inner).ok_or_else(|| unsupported(inner, format!("`{}` is not a model name", quote_type(inner))))?;
            let ft = if name == "ForeignKey" { FieldType::ForeignKey } else { FieldType::ManyToMany };
            Ok(ReadType { ty: ft, null: false, target: Some(target) })
        }
        "f32" => Err(unsupported(ty, "f32 is not stored; use f64 (double precision)".into())),
        "u8" | "u16" | "u32" | "u64" | "usize" | "isize" | "i8" | "i128" | "u128" => {
            Err(unsupported(ty, format!("`{name}` has no column type; use i16, i32 or i64")))
        }
        _ => Err(unsupported(ty, format!("unsupported field type `{}`", text()))),
    }
}

fn quote_type(ty: &syn::Type) -> String {
    let text = quote::ToTokens::to_token_stream(ty).to_string();
    text.replace(" < ", "<").replace(" <", "<").replace("< ", "<").replace(" >", ">")
}

/// A default must fit its field's type.
pub(crate) fn check_default(ty: FieldType, d: &Literal, span: proc_macro2::Span, name: &str) -> Result<(), ReadError> {
    let ok = matches!(
        (ty, d),
        (FieldType::Smallint | FieldType::Integer | FieldType::Bigint, Literal::Int(_))
            | (FieldType::Float, Literal::Int(_) | Literal::Float(_))
            | (FieldType::Decimal, Literal::Int(_) | Literal::Float(_) | Literal::Str(_))
            | (FieldType::Boolean, Literal::Bool(_))
            | (
                FieldType::String | FieldType::Date | FieldType::Time | FieldType::Datetime | FieldType::Uuid | FieldType::Json,
                Literal::Str(_),
            )
            | (FieldType::ForeignKey, Literal::Int(_) | Literal::Str(_))
    );
    if ok {
        Ok(())
    } else {
        Err(ReadError::new(span, format!("default {d} does not fit field `{name}` of type {}", ty.as_str())).expected(match ty {
            FieldType::Boolean => "default = true or false",
            FieldType::Smallint | FieldType::Integer | FieldType::Bigint => "an integer, e.g. default = 0",
            FieldType::Float | FieldType::Decimal => "a number, e.g. default = 0.0",
            FieldType::Binary => "no literal default; use db_default = \"<sql>\"",
            _ => "a string literal, e.g. default = \"x\"",
        }))
    }
}
