//! `#[teapot(...)]` on a struct and on its fields.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;

use super::ReadError;
use crate::field::{DefaultFn, Literal, OnDelete};
use crate::model::{Constraint, ConstraintKind, Index};

const MODEL_OPTIONS: &str = "abstract, app = \"...\", table = \"...\", managed = false, renamed_from = \"...\", ordering = [\"-field\", ...], \
index(fields = [...], name = \"...\", condition = \"...\", include = [...], opclasses = [...], type = \"gin\"), unique(fields = [...] or expressions = [...], name = \"...\", condition = \"...\"), check(name = \"...\", expr = \"...\")";

const FIELD_OPTIONS: &str = "primary_key, max_length = N, max_digits = N, decimal_places = N, unique, db_index, \
db_column = \"...\", renamed_from = \"...\", default = <literal>, default = uuid4 | now | today | dict | list, \
db_default = \"<sql>\", generated = \"<sql>\", db_persist = true, on_delete = \"...\", \
related_name = \"...\", related_query_name = \"...\", one_to_one, auto_now, auto_now_add, positive, \
through = \"Model\", through_fields = [\"to_this\", \"to_target\"], flatten";

/// Options of `#[teapot(...)]` on a struct.
#[derive(Default)]
pub(crate) struct ModelOpts {
    /// `abstract`: shared fields, no table (the span, for messages).
    pub abstract_: Option<Span>,
    pub app: Option<(String, Span)>,
    pub table: Option<String>,
    pub managed: bool,
    pub renamed_from: Option<String>,
    pub indexes: Vec<(Index, Span)>,
    pub constraints: Vec<(Constraint, Span)>,
    pub ordering: Option<(Vec<String>, Span)>,
}

/// Options of `#[teapot(...)]` on a field.
#[derive(Default)]
pub(crate) struct FieldOpts {
    pub primary_key: bool,
    pub max_length: Option<u32>,
    pub max_digits: Option<u32>,
    pub decimal_places: Option<u32>,
    pub unique: bool,
    pub db_index: bool,
    pub db_column: Option<String>,
    pub renamed_from: Option<String>,
    pub default: Option<Literal>,
    pub db_default: Option<String>,
    pub on_delete: Option<OnDelete>,
    pub related_name: Option<String>,
    pub related_query_name: Option<String>,
    pub through: Option<String>,
    pub through_fields: Option<(String, String)>,
    pub flatten: bool,
    pub one_to_one: bool,
    pub auto_now: bool,
    pub auto_now_add: bool,
    pub positive: bool,
    /// `default = uuid4` (a name, not a literal): a callable default.
    pub default_fn: Option<DefaultFn>,
    /// `generated = "<sql>"`.
    pub generated: Option<String>,
    /// `db_persist = true | false`, with `generated`.
    pub db_persist: Option<bool>,
}

pub(crate) fn wrap(e: syn::Error, expected: &str) -> ReadError {
    ReadError::new(e.span(), e.to_string()).expected(expected.to_string())
}

pub(crate) fn teapot_attrs(attrs: &[syn::Attribute]) -> impl Iterator<Item = &syn::Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("teapot"))
}

pub(crate) fn ident_of(meta: &ParseNestedMeta) -> String {
    meta.path
        .get_ident()
        .map(|i| i.to_string())
        .unwrap_or_else(|| meta.path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::"))
}

pub(crate) fn lit_str(meta: &ParseNestedMeta) -> syn::Result<String> {
    let s: syn::LitStr = meta.value()?.parse()?;
    Ok(s.value())
}

fn lit_u32(meta: &ParseNestedMeta) -> syn::Result<u32> {
    let n: syn::LitInt = meta.value()?.parse()?;
    n.base10_parse::<u32>()
}

fn lit_bool(meta: &ParseNestedMeta) -> syn::Result<bool> {
    let b: syn::LitBool = meta.value()?.parse()?;
    Ok(b.value)
}

fn str_list(meta: &ParseNestedMeta) -> syn::Result<Vec<String>> {
    let arr: syn::ExprArray = meta.value()?.parse()?;
    arr.elems
        .iter()
        .map(|e| match e {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Ok(s.value()),
            other => Err(syn::Error::new(other.span(), "expected a string literal, e.g. \"title\"")),
        })
        .collect()
}

/// A literal default: a string, an integer, a float, a bool, or a negated number.
pub(crate) fn literal(meta: &ParseNestedMeta) -> syn::Result<Literal> {
    let expr: syn::Expr = meta.value()?.parse()?;
    expr_literal(&expr, false)
}

/// What `default = ...` gives: a literal, or the name of a callable (`uuid4`, as Django's
/// `default=uuid.uuid4` names a function rather than calling it). A bare name is never a literal,
/// so the form alone tells the two apart.
enum DefaultValue {
    Literal(Literal),
    Callable(DefaultFn),
}

fn default_value(meta: &ParseNestedMeta) -> syn::Result<DefaultValue> {
    let expr: syn::Expr = meta.value()?.parse()?;
    if let syn::Expr::Path(p) = &expr {
        let name = p.path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::");
        return DefaultFn::parse(&name).map(DefaultValue::Callable).ok_or_else(|| {
            syn::Error::new(
                expr.span(),
                format!(
                    "unknown callable default `{name}`; expected a literal, or one of: {} (Django's uuid.uuid4, \
                     timezone.now, date.today, dict, list)",
                    DefaultFn::ALL.join(", ")
                ),
            )
        });
    }
    expr_literal(&expr, false).map(DefaultValue::Literal)
}

fn expr_literal(expr: &syn::Expr, negate: bool) -> syn::Result<Literal> {
    match expr {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Str(s) if !negate => Ok(Literal::Str(s.value())),
            syn::Lit::Bool(b) if !negate => Ok(Literal::Bool(b.value)),
            syn::Lit::Int(i) => {
                let v = i.base10_parse::<i64>()?;
                Ok(Literal::Int(if negate { -v } else { v }))
            }
            syn::Lit::Float(f) => {
                let v = f.base10_parse::<f64>()?;
                Ok(Literal::Float(if negate { -v } else { v }))
            }
            other => Err(syn::Error::new(other.span(), "expected a literal: a string, a number or a bool")),
        },
        syn::Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) if !negate => expr_literal(expr, true),
        other => Err(syn::Error::new(
            other.span(),
            "a default must be a literal (a string, a number or a bool); use db_default = \"<sql>\" for an expression",
        )),
    }
}

pub(crate) fn duplicate(meta: &ParseNestedMeta, name: &str) -> syn::Error {
    meta.error(format!("`{name}` is given twice"))
}

pub(crate) fn read_model_attrs(attrs: &[syn::Attribute], _ident: Span) -> Result<ModelOpts, ReadError> {
    let mut o = ModelOpts { managed: true, ..Default::default() };
    let mut seen_table = false;
    for attr in teapot_attrs(attrs) {
        attr.parse_nested_meta(|meta| {
            let key = ident_of(&meta);
            match key.as_str() {
                "abstract" => o.abstract_ = Some(meta.path.span()),
                "app" => {
                    if o.app.is_some() {
                        return Err(duplicate(&meta, "app"));
                    }
                    o.app = Some((lit_str(&meta)?, meta.path.span()));
                }
                "table" => {
                    if seen_table {
                        return Err(duplicate(&meta, "table"));
                    }
                    seen_table = true;
                    let t = lit_str(&meta)?;
                    if t.is_empty() || t.len() > crate::naming::MAX_NAME_LENGTH {
                        return Err(meta.error("a table name must be 1 to 63 bytes long"));
                    }
                    o.table = Some(t);
                }
                "managed" => o.managed = lit_bool(&meta)?,
                "ordering" => {
                    if o.ordering.is_some() {
                        return Err(duplicate(&meta, "ordering"));
                    }
                    o.ordering = Some((str_list(&meta)?, meta.path.span()));
                }
                "renamed_from" => o.renamed_from = Some(lit_str(&meta)?),
                "index" | "unique" => {
                    let span = meta.path.span();
                    let mut fields = None;
                    let mut name = None;
                    let mut condition = None;
                    let mut include = Vec::new();
                    let mut opclasses = Vec::new();
                    let mut method = None;
                    let mut expressions = Vec::new();
                    let index = key == "index";
                    meta.parse_nested_meta(|inner| {
                        match ident_of(&inner).as_str() {
                            "fields" => fields = Some(str_list(&inner)?),
                            "name" => name = Some(lit_str(&inner)?),
                            "condition" => condition = Some(lit_str(&inner)?),
                            "include" if index => include = str_list(&inner)?,
                            "opclasses" if index => opclasses = str_list(&inner)?,
                            "type" if index => method = Some(lit_str(&inner)?),
                            "expressions" if !index => expressions = str_list(&inner)?,
                            other => {
                                let expected = if index {
                                    "fields = [...], name = \"...\", condition = \"...\", include = [...], opclasses = [...] or type = \"gin\""
                                } else {
                                    "fields = [...], expressions = [...], name = \"...\" or condition = \"...\""
                                };
                                return Err(inner.error(format!("unknown option `{other}` of {key}(...); expected {expected}")));
                            }
                        }
                        Ok(())
                    })?;
                    if index {
                        let fields = fields.ok_or_else(|| meta.error("index(...) needs fields = [\"...\"]"))?;
                        let name =
                            name.ok_or_else(|| meta.error("an index needs a name, e.g. index(fields = [...], name = \"book_title_idx\")"))?;
                        o.indexes.push((Index { name, fields, condition, include, opclasses, method }, span));
                    } else {
                        let fields = fields.unwrap_or_default();
                        if fields.is_empty() == expressions.is_empty() {
                            return Err(meta.error("unique(...) needs fields = [\"...\"] or expressions = [\"...\"], one of the two"));
                        }
                        if (condition.is_some() || !expressions.is_empty()) && name.is_none() {
                            return Err(meta.error(
                                "a unique constraint with a condition or expressions needs a name, e.g. unique(..., name = \"book_live_title_uniq\")",
                            ));
                        }
                        // An empty name is filled in by the reader with Django's unique_together name.
                        let name = name.unwrap_or_default();
                        o.constraints.push((Constraint { name, kind: ConstraintKind::Unique { fields, condition, expressions } }, span));
                    }
                }
                "check" => {
                    let span = meta.path.span();
                    let mut expr = None;
                    let mut name = None;
                    meta.parse_nested_meta(|inner| {
                        match ident_of(&inner).as_str() {
                            "expr" => expr = Some(lit_str(&inner)?),
                            "name" => name = Some(lit_str(&inner)?),
                            other => {
                                return Err(inner.error(format!("unknown option `{other}`; expected name = \"...\" or expr = \"...\"")))
                            }
                        }
                        Ok(())
                    })?;
                    let name =
                        name.ok_or_else(|| meta.error("a check needs a name, e.g. check(name = \"price_gte_0\", expr = \"price >= 0\")"))?;
                    let check = expr.ok_or_else(|| meta.error("a check needs expr = \"<sql boolean expression>\""))?;
                    o.constraints.push((Constraint { name, kind: ConstraintKind::Check { check } }, span));
                }
                other => return Err(meta.error(format!("unknown model option `{other}`"))),
            }
            Ok(())
        })
        .map_err(|e| wrap(e, MODEL_OPTIONS))?;
    }
    Ok(o)
}

pub(crate) fn read_field_attrs(attrs: &[syn::Attribute]) -> Result<FieldOpts, ReadError> {
    let mut o = FieldOpts::default();
    for attr in teapot_attrs(attrs) {
        attr.parse_nested_meta(|meta| {
            let key = ident_of(&meta);
            macro_rules! once {
                ($slot:expr, $val:expr) => {{
                    if $slot.is_some() {
                        return Err(duplicate(&meta, &key));
                    }
                    $slot = Some($val);
                }};
            }
            match key.as_str() {
                "primary_key" => o.primary_key = true,
                "unique" => o.unique = true,
                "db_index" => o.db_index = true,
                "one_to_one" => o.one_to_one = true,
                "flatten" => o.flatten = true,
                "related_query_name" => once!(o.related_query_name, lit_str(&meta)?),
                "through" => once!(o.through, lit_str(&meta)?),
                "through_fields" => {
                    let names = str_list(&meta)?;
                    let [a, b] = <[String; 2]>::try_from(names).map_err(|_| {
                        meta.error("through_fields names two fields of the through model: [\"to_this_model\", \"to_the_target\"]")
                    })?;
                    once!(o.through_fields, (a, b))
                }
                "auto_now" => o.auto_now = true,
                "auto_now_add" => o.auto_now_add = true,
                "positive" => o.positive = true,
                "max_length" => {
                    let n = lit_u32(&meta)?;
                    if n == 0 {
                        return Err(meta.error("max_length must be at least 1"));
                    }
                    once!(o.max_length, n)
                }
                "max_digits" => once!(o.max_digits, lit_u32(&meta)?),
                "decimal_places" => once!(o.decimal_places, lit_u32(&meta)?),
                "db_column" => once!(o.db_column, lit_str(&meta)?),
                "renamed_from" => once!(o.renamed_from, lit_str(&meta)?),
                "default" => {
                    if o.default.is_some() || o.default_fn.is_some() {
                        return Err(duplicate(&meta, &key));
                    }
                    match default_value(&meta)? {
                        DefaultValue::Literal(l) => o.default = Some(l),
                        DefaultValue::Callable(c) => o.default_fn = Some(c),
                    }
                }
                "generated" => once!(o.generated, lit_str(&meta)?),
                "db_persist" => once!(o.db_persist, lit_bool(&meta)?),
                "db_default" => once!(o.db_default, lit_str(&meta)?),
                "related_name" => once!(o.related_name, lit_str(&meta)?),
                "on_delete" => {
                    let s: syn::LitStr = meta.value()?.parse()?;
                    let action = OnDelete::parse(&s.value()).ok_or_else(|| {
                        syn::Error::new(
                            s.span(),
                            format!("unknown on_delete \"{}\"; expected one of: {}", s.value(), OnDelete::ALL.join(", ")),
                        )
                    })?;
                    once!(o.on_delete, action)
                }
                other => return Err(meta.error(format!("unknown field option `{other}`"))),
            }
            Ok(())
        })
        .map_err(|e| wrap(e, FIELD_OPTIONS))?;
    }
    Ok(o)
}
