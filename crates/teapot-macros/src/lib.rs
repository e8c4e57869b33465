//! `#[derive(Model)]`: reads the struct with teapot-schema's declaration reader (the same one the
//! CLI runs over source files) and implements `teapot::Model`. A declaration the reader refuses is
//! a compile error at the place it points to.

use proc_macro::TokenStream;
use quote::{quote, ToTokens};
use syn::parse_macro_input;

/// Implements `teapot::Model` for a struct declared as DESIGN.md describes.
#[proc_macro_derive(Model, attributes(teapot))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let item = parse_macro_input!(input as syn::ItemStruct);
    match expand(&item) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(item: &syn::ItemStruct) -> syn::Result<proc_macro2::TokenStream> {
    let decl = teapot_schema::read_struct(item, None).map_err(|e| syn::Error::new(e.span, e.describe()))?;
    let model = &decl.model;
    let ident = &item.ident;
    let (pk_name, _) = model
        .primary_key()
        .ok_or_else(|| syn::Error::new(ident.span(), "model has no primary key"))?;
    let key_ty = item
        .fields
        .iter()
        .find(|f| f.ident.as_ref().is_some_and(|i| i == pk_name))
        .map(|f| f.ty.clone())
        .ok_or_else(|| syn::Error::new(ident.span(), "primary key field not found"))?;
    let app = &model.app;
    let name = &model.name;
    let table = model.table_name();
    // The struct's own text: `Model::model_state` reads it again with the same reader.
    let source = item.to_token_stream().to_string();
    Ok(quote! {
        impl ::teapot::Model for #ident {
            type Key = #key_ty;
            const APP: &'static str = #app;
            const NAME: &'static str = #name;
            const TABLE: &'static str = #table;
            const SOURCE: &'static str = #source;
        }
    })
}
