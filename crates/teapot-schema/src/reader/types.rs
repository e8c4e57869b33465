//! Rust field types and the logical field types they declare.

use syn::spanned::Spanned;

use super::ReadError;
use crate::field::{FieldType, Literal};

/// The Rust types a model field may have, for messages.
pub const RUST_TYPES: &str = "i16, i32, i64, bool, f64, String, Decimal, NaiveDate, NaiveTime, DateTime<Utc>, \
NaiveDateTime, Uuid, serde_json::Value, Vec<u8>, TimeDelta (chrono::Duration), IpAddr, ForeignKey<T>, ManyToMany<T>, an enum with #[derive(Choices)], \
or Option<...> of one of these \
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
    /// A type that is none of the known ones, as written (`Status`, `blog::Status`): an enum with
    /// `#[derive(Choices)]`, found by the resolver (the type is provisional until then).
    pub choices: Option<String>,
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
    let simple = |ft| Ok(ReadType { ty: ft, null: false, target: None, choices: None });
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
        "NaiveDateTime" => simple(FieldType::NaiveDatetime),
        "Uuid" => simple(FieldType::Uuid),
        "Value" | "JsonValue" => simple(FieldType::Json),
        "IpAddr" => simple(FieldType::IpAddress),
        // chrono's TimeDelta, also named chrono::Duration; std's Duration is unsigned and has no
        // column type (a Django timedelta, and an interval, may be negative).
        "TimeDelta" => simple(FieldType::Duration),
        "Duration" if path_text(ty).is_some_and(|p| p.contains("time::Duration") && !p.starts_with("chrono")) => {
            Err(unsupported(ty, format!("`{}` is not stored; use chrono::TimeDelta (an interval, possibly negative)", text())))
        }
        "Duration" => simple(FieldType::Duration),
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
            Ok(ReadType { ty: ft, null: false, target: Some(target), choices: None })
        }
        "f32" => Err(unsupported(ty, "f32 is not stored; use f64 (double precision)".into())),
        "u8" | "u16" | "u32" | "u64" | "usize" | "isize" | "i8" | "i128" | "u128" => {
            Err(unsupported(ty, format!("`{name}` has no column type; use i16, i32 or i64")))
        }
        // A plain type name that is none of the above: an enum with #[derive(Choices)], looked
        // up across the model files by the resolver (stored as text or integer, as it says).
        _ if matches!(seg.arguments, syn::PathArguments::None) && name.starts_with(|c: char| c.is_ascii_uppercase()) => {
            let written = path_text(ty).ok_or_else(|| unsupported(ty, format!("unsupported field type `{}`", text())))?;
            Ok(ReadType { ty: FieldType::String, null: false, target: None, choices: Some(written) })
        }
        _ => Err(unsupported(ty, format!("unsupported field type `{}`", text()))),
    }
}

fn quote_type(ty: &syn::Type) -> String {
    let text = quote::ToTokens::to_token_stream(ty).to_string();
    text.replace(" < ", "<").replace(" <", "<").replace("< ", "<").replace(" >", ">")
}

/// A `NaiveDateTime` literal: `YYYY-MM-DD HH:MM:SS[.f]`, with a space, the one form SQLite's
/// CURRENT_TIMESTAMP writes and teapot stores (SQLite compares datetimes as text: a default
/// written with a `T` would sort after every row written by the ORM on the same day).
pub fn parse_naive_datetime(s: &str) -> Option<chrono::NaiveDateTime> {
    if s.as_bytes().get(10) != Some(&b' ') {
        return None;
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok()
}

/// A default must fit its field's type, and a string default must parse as that type the way the
/// ORM reads it (a default that did not would silently become the type's zero value: 1970-01-01).
pub(crate) fn check_default(ty: FieldType, d: &Literal, span: proc_macro2::Span, name: &str) -> Result<(), ReadError> {
    literal_fits(ty, d).map_err(|expected| {
        ReadError::new(span, format!("default {d} does not fit field `{name}` of type {}", ty.as_str())).expected(expected)
    })
}

/// Whether a literal is a value of a field type (as the ORM parses it); the expected form if not.
pub fn literal_fits(ty: FieldType, d: &Literal) -> Result<(), &'static str> {
    let fits = match (ty, d) {
        (FieldType::Smallint, Literal::Int(i)) => i16::try_from(*i).is_ok(),
        (FieldType::Integer, Literal::Int(i)) => i32::try_from(*i).is_ok(),
        (FieldType::Bigint | FieldType::ForeignKey, Literal::Int(_)) => true,
        (FieldType::Float, Literal::Int(_) | Literal::Float(_)) => true,
        (FieldType::Decimal, Literal::Int(_) | Literal::Float(_)) => true,
        (FieldType::Decimal, Literal::Str(s)) => s.parse::<rust_decimal::Decimal>().is_ok(),
        (FieldType::Boolean, Literal::Bool(_)) => true,
        (FieldType::String | FieldType::ForeignKey, Literal::Str(_)) => true,
        (FieldType::Date, Literal::Str(s)) => s.parse::<chrono::NaiveDate>().is_ok(),
        (FieldType::Time, Literal::Str(s)) => s.parse::<chrono::NaiveTime>().is_ok(),
        (FieldType::Datetime, Literal::Str(s)) => s.parse::<chrono::DateTime<chrono::Utc>>().is_ok(),
        (FieldType::NaiveDatetime, Literal::Str(s)) => parse_naive_datetime(s).is_some(),
        (FieldType::Uuid, Literal::Str(s)) => s.parse::<uuid::Uuid>().is_ok(),
        (FieldType::Json, Literal::Str(s)) => serde_json::from_str::<serde_json::Value>(s).is_ok(),
        (FieldType::IpAddress, Literal::Str(s)) => s.parse::<std::net::IpAddr>().is_ok(),
        _ => false,
    };
    if fits {
        return Ok(());
    }
    Err(match ty {
        FieldType::Boolean => "default = true or false",
        FieldType::Smallint => "an integer from -32768 to 32767, e.g. default = 0",
        FieldType::Integer => "an integer from -2147483648 to 2147483647, e.g. default = 0",
        FieldType::Bigint => "an integer, e.g. default = 0",
        FieldType::Float => "a number, e.g. default = 0.0",
        FieldType::Decimal => "a number, e.g. default = \"0.00\" or default = 0",
        FieldType::Date => "a date, e.g. default = \"2024-01-31\"",
        FieldType::Time => "a time of day, e.g. default = \"09:30:00\"",
        FieldType::Datetime => {
            "an RFC 3339 timestamp, e.g. default = \"2024-01-31T09:30:00Z\"; for the moment each row is inserted, \
             use db_default = \"CURRENT_TIMESTAMP\" (the database fills it in)"
        }
        FieldType::NaiveDatetime => {
            "a timestamp in the form SQLite's CURRENT_TIMESTAMP writes, e.g. default = \"2024-01-31 09:30:00\" \
             (or \"2024-01-31 09:30:00.250000\"); for the moment each row is inserted, use #[teapot(auto_now_add)]"
        }
        FieldType::Uuid => {
            "a UUID, e.g. default = \"67e55044-10b1-426f-9247-bb680e5fe0c8\"; for a new one per row, \
             use db_default = \"gen_random_uuid()\" (PostgreSQL)"
        }
        FieldType::Json => "a JSON document in a string, e.g. default = \"{}\"",
        FieldType::Binary => "no literal default; use db_default = \"<sql>\"",
        FieldType::IpAddress => "an IP address, e.g. default = \"127.0.0.1\" or default = \"::1\"",
        FieldType::Duration => {
            "no literal default: an interval (PostgreSQL) and a count of microseconds (SQLite) share no literal; \
             set the value in Rust (Model::defaults() and then the field), or use db_default per database"
        }
        _ => "a string literal, e.g. default = \"x\"",
    })
}
