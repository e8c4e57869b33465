//! Abstract bases in the derive. A derive sees one struct; a model that flattens a base needs the
//! base's fields. So each abstract base's derive defines a `macro_rules!` of the base's own name
//! (macros have a namespace of their own, so `use base::Stamped` brings it along with the type)
//! that hands on the base's declaration, and its bases' ones. The model's derive calls the macro
//! of each base it flattens, through [`gather`], which collects the declarations and then expands
//! the model with all of them in hand. Nothing is looked up by module path: each macro is called
//! where its name is in scope (the model's site, or the base's own).

use proc_macro2::{Delimiter, TokenStream as Tokens, TokenTree};
use quote::{format_ident, quote, ToTokens};

/// The macro an abstract base's derive defines: it calls `::teapot::__gather!` with what it was
/// given and the declarations it carries.
fn define(name: &syn::Ident, decls: &[Tokens]) -> Tokens {
    let mac = format_ident!("__teapot_abstract_{}", name);
    quote! {
        #[doc(hidden)]
        #[allow(unused_macros)]
        macro_rules! #mac {
            ($($args:tt)*) => { ::teapot::__gather! { $($args)* #({ #decls })* } };
        }
        #[doc(hidden)]
        #[allow(unused_imports)]
        pub(crate) use #mac as #name;
    }
}

/// The flatten fields' types, as written.
fn flatten_types(item: &syn::ItemStruct) -> Vec<syn::Type> {
    item.fields.iter().filter(|f| teapot_schema::reader::is_flatten(f)).map(|f| f.ty.clone()).collect()
}

/// Calls the first base's macro with the rest to gather, or `None` when there is no base.
fn call_next(mode: Tokens, pending: &[syn::Type], collected: &[Tokens]) -> Option<Tokens> {
    let (first, rest) = pending.split_first()?;
    Some(quote!(#first! { #mode [#(#rest),*] #({ #collected })* }))
}

/// `#[derive(Model)]` on a struct with `#[teapot(abstract)]`: checks it with the reader, lets
/// models build it from its fields' values and name its fields' types, and defines its macro.
pub(crate) fn expand_abstract(item: &syn::ItemStruct) -> syn::Result<Tokens> {
    let base = teapot_schema::read_abstract(item).map_err(|e| syn::Error::new(e.span, e.describe()))?;
    let ident = &item.ident;
    let fields: Vec<&syn::Field> = item.fields.iter().collect();
    let tys: Vec<&syn::Type> = fields.iter().map(|f| &f.ty).collect();
    let ids: Vec<&syn::Ident> = fields.iter().filter_map(|f| f.ident.as_ref()).collect();
    let idx: Vec<syn::Index> = (0..fields.len()).map(syn::Index::from).collect();
    let ns: Vec<usize> = (0..fields.len()).collect();
    // Choices enums are named where the base is: their checks are made here.
    let mut checks = Vec::new();
    for bf in &base.fields {
        let (Some(written), Some(f)) = (&bf.choices, &bf.field) else { continue };
        let enum_ty: syn::Type = syn::parse_str(written)?;
        checks.push(crate::choice_check(&enum_ty, &format!("{}.{}", base.name, bf.name), f));
    }
    let own = item.to_token_stream();
    let pending = flatten_types(item);
    let mac = match call_next(quote!(define #ident), &pending, std::slice::from_ref(&own)) {
        Some(call) => call,
        None => define(ident, &[own]),
    };
    Ok(quote! {
        impl ::teapot::orm::bases::Abstract for #ident {
            type Parts = (#(#tys,)*);
            fn from_parts(parts: Self::Parts) -> Self {
                #ident { #(#ids: parts.#idx),* }
            }
        }
        #(impl ::teapot::orm::bases::BaseField<#ns> for #ident { type Ty = #tys; })*
        #(#checks)*
        #mac
    })
}

/// A model that flattens bases: the call that gathers their declarations, then expands it.
pub(crate) fn gather_for_model(item: &syn::ItemStruct) -> Option<Tokens> {
    let pending = flatten_types(item);
    let own = item.to_token_stream();
    call_next(quote!(model), &pending, &[own])
}

/// `__gather! { model [Next, ...] {struct} {decl}... }` or `__gather! { define Name [Next, ...]
/// {struct} {decl}... }`: calls the next base's macro, or, with every declaration in hand,
/// expands the model (the first struct) or defines the base's macro.
pub(crate) fn gather(input: Tokens) -> syn::Result<Tokens> {
    let mut it = input.into_iter().peekable();
    let mode = match it.next() {
        Some(TokenTree::Ident(i)) => i.to_string(),
        _ => return Err(syn::Error::new(proc_macro2::Span::call_site(), "teapot: a base's macro was called with what it does not take")),
    };
    let name = if mode == "define" {
        match it.next() {
            Some(TokenTree::Ident(i)) => Some(i),
            _ => return Err(syn::Error::new(proc_macro2::Span::call_site(), "teapot: define needs the base's name")),
        }
    } else {
        None
    };
    let pending: Vec<syn::Type> = match it.next() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket => {
            let parser = syn::punctuated::Punctuated::<syn::Type, syn::Token![,]>::parse_terminated;
            syn::parse::Parser::parse2(parser, g.stream())?.into_iter().collect()
        }
        _ => return Err(syn::Error::new(proc_macro2::Span::call_site(), "teapot: the bases still to gather are missing")),
    };
    let decls: Vec<Tokens> = it
        .filter_map(|t| match t {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => Some(g.stream()),
            _ => None,
        })
        .collect();
    let mode_tokens = match &name {
        Some(n) => quote!(define #n),
        None => quote!(model),
    };
    if let Some(call) = call_next(mode_tokens, &pending, &decls) {
        return Ok(call);
    }
    if let Some(n) = name {
        return Ok(define(&n, &decls));
    }
    let mut structs = Vec::new();
    for d in &decls {
        structs.push(syn::parse2::<syn::ItemStruct>(d.clone())?);
    }
    let (item, bases) =
        structs.split_first().ok_or_else(|| syn::Error::new(proc_macro2::Span::call_site(), "teapot: no model to expand"))?;
    crate::expand(item, bases)
}

/// Where a field of the model lives: in the struct itself, or in a base it flattens.
pub(crate) struct Site {
    /// The field as declared.
    pub field: syn::Field,
    /// The path to it from the model (`named.stamped.created`), after `self.`.
    pub acc: Tokens,
    /// Its type, as the model's site can name it.
    pub ty: syn::Type,
    /// Whether a base declares it.
    pub inherited: bool,
}

fn last_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        _ => String::new(),
    }
}

fn field_named<'a>(s: &'a syn::ItemStruct, name: &str) -> Option<(usize, &'a syn::Field)> {
    s.fields.iter().enumerate().find(|(_, f)| f.ident.as_ref().is_some_and(|i| i.to_string().trim_start_matches("r#") == name))
}

/// The site of an inherited field: its declaration, and its type reached through each base's
/// `BaseField<N>` from the flatten field's type as the model writes it.
pub(crate) fn inherited_site(
    item: &syn::ItemStruct,
    bases: &[syn::ItemStruct],
    inh: &teapot_schema::reader::Inherited,
) -> syn::Result<Site> {
    let missing = |what: &str| syn::Error::new(item.ident.span(), format!("teapot: {what} of an abstract base was not found"));
    let (_, first) = field_named(item, &inh.path[0]).ok_or_else(|| missing(&inh.path[0]))?;
    let mut ty = first.ty.clone();
    let base_of = |ty_name: &str| bases.iter().find(|b| b.ident == ty_name);
    let mut cur = base_of(&last_name(&first.ty)).ok_or_else(|| missing(&last_name(&first.ty)))?;
    for step in &inh.path[1..] {
        let (n, f) = field_named(cur, step).ok_or_else(|| missing(step))?;
        ty = syn::parse_quote!(<#ty as ::teapot::orm::bases::BaseField<#n>>::Ty);
        cur = base_of(&last_name(&f.ty)).ok_or_else(|| missing(&last_name(&f.ty)))?;
    }
    let (n, f) = field_named(cur, &inh.field).ok_or_else(|| missing(&inh.field))?;
    let ty: syn::Type = syn::parse_quote!(<#ty as ::teapot::orm::bases::BaseField<#n>>::Ty);
    let path: Vec<syn::Ident> = inh.path.iter().map(|p| format_ident!("{}", p)).collect();
    let fid = f.ident.clone().ok_or_else(|| missing(&inh.field))?;
    Ok(Site { field: f.clone(), acc: quote!(#(#path.)* #fid), ty, inherited: true })
}

/// The value of a flatten field: its base built from the values of its fields (`inits`: `name:
/// expr` of each inherited field), its own bases likewise.
pub(crate) fn build_base(base_ty: &syn::Type, bases: &[syn::ItemStruct], inits: &[Tokens]) -> syn::Result<Tokens> {
    let name = last_name(base_ty);
    let base = bases
        .iter()
        .find(|b| b.ident == name)
        .ok_or_else(|| syn::Error::new_spanned(base_ty, format!("teapot: abstract base {name} was not gathered")))?;
    let mut parts = Vec::new();
    for f in &base.fields {
        let fname = f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
        if teapot_schema::reader::is_flatten(f) {
            parts.push(build_base(&f.ty, bases, inits)?);
            continue;
        }
        let expr = inits
            .iter()
            .find_map(|t| {
                let mut toks = t.clone().into_iter();
                match toks.next() {
                    Some(TokenTree::Ident(i)) if i == fname => Some(toks.skip(1).collect::<Tokens>()),
                    _ => None,
                }
            })
            .ok_or_else(|| syn::Error::new_spanned(f, format!("teapot: no value for `{fname}` of {name}")))?;
        parts.push(expr);
    }
    Ok(quote!(::teapot::orm::bases::Abstract::from_parts((#(#parts,)*))))
}
