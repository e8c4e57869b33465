//! `#[derive(Model)]`: reads the struct with teapot-schema's declaration reader (the same one the
//! CLI runs over source files) and implements `teapot::Model`: row decoding, typed column handles
//! (`Book::title()`, `Book::author().name()`), relation loading, defaults. A declaration the
//! reader refuses is a compile error at the place it points to.

mod bases;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote, ToTokens};
use syn::parse_macro_input;
use teapot_schema::{naming, FieldType, Literal};

/// Names a field cannot have: the derive gives each field a function of that name on the model,
/// and these are the model's own (`defaults()`, `objects()`, `with_defaults()`).
const RESERVED_FIELD_NAMES: &[&str] = &["defaults", "objects", "with_defaults"];

/// Implements `teapot::Model` for a struct declared as DESIGN.md describes.
#[proc_macro_derive(Model, attributes(teapot))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let item = parse_macro_input!(input as syn::ItemStruct);
    let out = if teapot_schema::reader::is_abstract(&item.attrs) {
        bases::expand_abstract(&item)
    } else if let Some(call) = bases::gather_for_model(&item) {
        Ok(call)
    } else {
        expand(&item, &[])
    };
    match out {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

#[doc(hidden)]
/// Gathers the declarations of a model's abstract bases, then expands the model (called by the
/// macros abstract bases define; see `bases`).
#[proc_macro]
pub fn __gather(input: TokenStream) -> TokenStream {
    match bases::gather(input.into()) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The `T` of `ForeignKey<T>`, `Option<ForeignKey<T>>` or `ManyToMany<T>`, with `Self` made the
/// struct's own name (generated code lives in other impls, where `Self` is something else).
fn relation_target(ty: &syn::Type, own: &syn::Ident) -> Option<syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else { return None };
    let syn::GenericArgument::Type(inner) = args.args.first()? else { return None };
    if seg.ident == "Option" {
        return relation_target(inner, own);
    }
    if seg.ident != "ForeignKey" && seg.ident != "ManyToMany" {
        return None;
    }
    if let syn::Type::Path(ip) = inner {
        if ip.path.is_ident("Self") {
            return Some(syn::parse_quote!(#own));
        }
    }
    Some(inner.clone())
}

/// The field type with `Self` replaced by the struct's name.
fn field_type(ty: &syn::Type, own: &syn::Ident) -> syn::Type {
    let text = ty.to_token_stream().to_string();
    if text.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == "Self") {
        let replaced = text
            .split_inclusive(|c: char| !c.is_alphanumeric() && c != '_')
            .map(|w| {
                let (word, rest) = w.split_at(w.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_').len());
                if word == "Self" {
                    format!("{own}{rest}")
                } else {
                    w.to_string()
                }
            })
            .collect::<String>();
        syn::parse_str(&replaced).unwrap_or_else(|_| ty.clone())
    } else {
        ty.clone()
    }
}

fn literal_tokens(l: &Literal) -> Tokens {
    match l {
        Literal::Bool(b) => quote!(::teapot::schema::Literal::Bool(#b)),
        Literal::Int(i) => quote!(::teapot::schema::Literal::Int(#i)),
        Literal::Float(f) => quote!(::teapot::schema::Literal::Float(#f)),
        Literal::Str(s) => quote!(::teapot::schema::Literal::Str(::std::string::String::from(#s))),
    }
}

/// Checks, when the crate compiles, what the CLI's resolver checks with the enum in hand: the
/// column holds every value (max_length), an integer enum has no max_length, a default is a value.
pub(crate) fn choice_check(enum_ty: &syn::Type, owner: &str, f: &teapot_schema::Field) -> Tokens {
    let mut checks = Vec::new();
    if let Some(n) = f.max_length {
        let n = n as usize;
        let too_small = format!("max_length of {owner} is too small for the longest value of its choices enum");
        let integer = format!("max_length does not apply to {owner}: its choices enum has integer values");
        checks.push(quote! {
            if <#enum_ty as ::teapot::Choices>::INTEGER { ::std::panic!(#integer) }
            if <#enum_ty as ::teapot::Choices>::LONGEST > #n { ::std::panic!(#too_small) }
        });
    }
    if let Some(d) = &f.default {
        let msg = format!("default {d} of {owner} is not a value of its choices enum");
        let test = match d {
            Literal::Str(s) => quote!(::teapot::orm::choices::has_text(<#enum_ty as ::teapot::Choices>::TEXT_VALUES, #s)),
            Literal::Int(i) => quote!(::teapot::orm::choices::has_int(<#enum_ty as ::teapot::Choices>::INT_VALUES, #i)),
            _ => quote!(false),
        };
        checks.push(quote!(if !#test { ::std::panic!(#msg) }));
    }
    if checks.is_empty() {
        return Tokens::new();
    }
    quote!(const _: () = { #(#checks)* };)
}

/// Implements `teapot::Choices` (and what a field type needs) for an enum of unit variants, each
/// with `#[teapot(value = "d")]` or `#[teapot(value = 1)]` and an optional `label = "..."`.
#[proc_macro_derive(Choices, attributes(teapot))]
pub fn derive_choices(input: TokenStream) -> TokenStream {
    let item = parse_macro_input!(input as syn::ItemEnum);
    match expand_choices(&item) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand_choices(item: &syn::ItemEnum) -> syn::Result<Tokens> {
    let ce = teapot_schema::read_enum(item).map_err(|e| syn::Error::new(e.span, e.describe()))?;
    let ident = &item.ident;
    let name = &ce.name;
    let idents: Vec<syn::Ident> = ce.variants.iter().map(|v| format_ident!("{}", v.ident)).collect();
    let labels: Vec<&String> = ce.variants.iter().map(|v| &v.label).collect();
    let longest = ce.longest();
    let integer = ce.integer;
    let shown: Vec<String> = ce.variants.iter().map(|v| v.value.to_string()).collect();
    let (texts, ints): (Vec<String>, Vec<i32>) = if integer {
        (Vec::new(), ce.variants.iter().map(|v| if let Literal::Int(i) = v.value { i as i32 } else { 0 }).collect())
    } else {
        (ce.variants.iter().map(|v| if let Literal::Str(s) = &v.value { s.clone() } else { String::new() }).collect(), Vec::new())
    };
    let first = &idents[0];
    let (value_ty, values, db_value, null_ty, from_lit) = if integer {
        (
            quote!(i32),
            ints.iter().map(|i| quote!(#i)).collect::<Vec<_>>(),
            quote!(::teapot::orm::Value::I32(self.value())),
            quote!(I32),
            quote!(::teapot::schema::Literal::Int(i) => i32::try_from(*i).ok().and_then(<Self as ::teapot::Choices>::from_int),),
        )
    } else {
        (
            quote!(&'static str),
            texts.iter().map(|s| quote!(#s)).collect::<Vec<_>>(),
            quote!(::teapot::orm::Value::String(::std::string::String::from(self.value()))),
            quote!(String),
            quote!(::teapot::schema::Literal::Str(s) => <Self as ::teapot::Choices>::from_text(s),),
        )
    };
    let from_text = if integer {
        quote!(let _ = value; ::std::option::Option::None)
    } else {
        quote!(match value { #(#texts => ::std::option::Option::Some(#ident::#idents),)* _ => ::std::option::Option::None })
    };
    let from_int = if integer {
        quote!(match value { #(#ints => ::std::option::Option::Some(#ident::#idents),)* _ => ::std::option::Option::None })
    } else {
        quote!(let _ = value; ::std::option::Option::None)
    };
    Ok(quote! {
        impl #ident {
            /// `(value, label)` of each variant, in declaration order (Django's `choices`).
            pub const CHOICES: &'static [(#value_ty, &'static str)] = &[#((#values, #labels)),*];

            /// The value stored in the column for this variant.
            pub fn value(&self) -> #value_ty {
                match self { #(#ident::#idents => #values,)* }
            }

            /// The label of this variant (Django's `get_FOO_display()`).
            pub fn label(&self) -> &'static str {
                match self { #(#ident::#idents => #labels,)* }
            }
        }

        impl ::teapot::Choices for #ident {
            const NAME: &'static str = #name;
            const INTEGER: bool = #integer;
            const LONGEST: usize = #longest;
            const TEXT_VALUES: &'static [&'static str] = &[#(#texts),*];
            const INT_VALUES: &'static [i32] = &[#(#ints),*];
            fn db_value(&self) -> ::teapot::orm::Value {
                #db_value
            }
            fn from_text(value: &str) -> ::std::option::Option<Self> {
                #from_text
            }
            fn from_int(value: i32) -> ::std::option::Option<Self> {
                #from_int
            }
            fn values() -> ::std::vec::Vec<::std::string::String> {
                ::std::vec![#(::std::string::String::from(#shown)),*]
            }
        }

        impl ::teapot::orm::FieldValue for #ident {
            type Arg = #ident;
            fn to_value(&self) -> ::teapot::orm::Value {
                <Self as ::teapot::Choices>::db_value(self)
            }
            fn decode(row: &::teapot::orm::DbRow, idx: usize) -> ::teapot::Result<Self> {
                ::teapot::orm::choices::decode::<Self>(row, idx)
            }
            fn null() -> ::teapot::orm::Value {
                ::teapot::orm::Value::NullOf(::teapot::orm::NullType::#null_ty)
            }
        }

        impl ::teapot::orm::FromLiteral for #ident {
            fn from_literal(l: &::teapot::schema::Literal) -> ::std::option::Option<Self> {
                match l {
                    #from_lit
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl ::teapot::orm::Placeholder for #ident {
            /// The first variant: every variant is a value a row may hold.
            fn placeholder() -> Self {
                #ident::#first
            }
        }

        impl ::teapot::orm::expression::Nullable for #ident {
            type Inner = #ident;
        }
    })
}

pub(crate) fn expand(item: &syn::ItemStruct, bases: &[syn::ItemStruct]) -> syn::Result<Tokens> {
    let read_bases: Vec<teapot_schema::AbstractDecl> =
        bases.iter().map(teapot_schema::read_abstract).collect::<Result<_, _>>().map_err(|e| syn::Error::new(e.span, e.describe()))?;
    let lookup = |written: &str| {
        let n = written.rsplit("::").next().unwrap_or(written);
        read_bases.iter().find(|b| b.name == n).cloned().ok_or_else(|| format!("`{written}` is not an abstract base"))
    };
    let decl = teapot_schema::read_struct_with(item, None, &lookup).map_err(|e| syn::Error::new(e.span, e.describe()))?;
    let (ordering_cols, ordering_desc): (Vec<String>, Vec<bool>) = decl
        .ordering
        .iter()
        .map(|f| {
            let bare = f.trim_start_matches('-');
            (decl.model.column_of(bare).unwrap_or_else(|| bare.to_string()), f.starts_with('-'))
        })
        .unzip();
    let model = &decl.model;
    let ident = &item.ident;
    let vis = &item.vis;
    let columns_ident = format_ident!("{}Columns", ident);
    let (pk_name, pk_field) = model.primary_key().ok_or_else(|| syn::Error::new(ident.span(), "model has no primary key"))?;
    let pk_column = pk_field.column(pk_name).unwrap_or_else(|| pk_name.to_string());
    let pk_auto = pk_field.auto;
    let app = &model.app;
    let version = version_registration(app);
    let name = &model.name;
    let table = model.table_name();
    // The model's struct, then its bases: what `Model::model_state` reads again.
    let source = std::iter::once(item).chain(bases).map(|s| s.to_token_stream().to_string()).collect::<Vec<_>>().join("\n");

    let syn_fields: Vec<&syn::Field> = item.fields.iter().collect();
    let find = |n: &str| syn_fields.iter().find(|f| f.ident.as_ref().is_some_and(|i| i.to_string().trim_start_matches("r#") == n)).copied();
    let pk_ty =
        find(pk_name).map(|f| field_type(&f.ty, ident)).ok_or_else(|| syn::Error::new(ident.span(), "primary key field not found"))?;
    let pk_ident = find(pk_name).and_then(|f| f.ident.clone()).expect("found above");

    let mut columns = Vec::new();
    let mut decode = Vec::new();
    let mut to_values = Vec::new();
    let mut col_methods = Vec::new();
    let mut static_methods = Vec::new();
    let mut joins = Vec::new();
    let mut loads = Vec::new();
    let mut prefetches = Vec::new();
    let mut defaults = Vec::new();
    let mut m2m_adds = Vec::new();
    let mut reverse_fks = Vec::new();
    let mut reverse_m2ms = Vec::new();
    let mut placeholder_checks = Vec::new();
    let mut value_arms = Vec::new();
    let mut unset_arms = Vec::new();
    let mut set_arms = Vec::new();
    let mut db_default_cols = Vec::new();
    let mut generated_cols = Vec::new();
    let mut pre_saves = Vec::new();
    let mut choice_checks = Vec::new();
    let mut foreign_keys = Vec::new();
    let mut through_consts = Vec::new();
    let mut inherited_decode = Vec::new();
    let mut inherited_defaults = Vec::new();
    // The foreign keys (and join tables' keys) registered for the ORM's deletes.
    let mut relations = Vec::new();
    let mut idx = 0usize;
    // Each field gets a handle `Model::field()`: a field named like a function every model has
    // would hide it (`Book::objects()` would be a column), so it is refused here, not later.
    for sf in &syn_fields {
        if let Some(id) = &sf.ident {
            let n = id.to_string();
            if RESERVED_FIELD_NAMES.contains(&n.as_str()) {
                return Err(syn::Error::new(
                    id.span(),
                    format!(
                        "a field cannot be named `{n}`: {name}::{n}() is already what every model has; name the field otherwise and keep the column with #[teapot(db_column = \"{n}\")]"
                    ),
                ));
            }
        }
    }
    for (rname, _) in &decl.reverse_fields {
        let sf = find(rname).ok_or_else(|| syn::Error::new(ident.span(), format!("field {rname} not found")))?;
        let fid = sf.ident.clone().expect("named field");
        let syn::Type::Path(tp) = &sf.ty else { continue };
        let Some(syn::PathArguments::AngleBracketed(args)) = tp.path.segments.last().map(|s| &s.arguments) else { continue };
        let Some(syn::GenericArgument::Type(target)) = args.args.first() else { continue };
        let target = if target.to_token_stream().to_string() == "Self" { syn::parse_quote!(#ident) } else { target.clone() };
        let owner = format!("{name}.{rname}");
        decode.push(quote!(#fid: ::teapot::Reverse::of(#owner)));
        defaults.push(quote!(#fid: ::teapot::Reverse::of(#owner)));
        prefetches.push(quote! {
            #rname => ::teapot::orm::instance::prefetch_reverse::<#ident, #target>(db, rows, base, #rname, rests, |r, cs| r.#fid.set_loaded(cs)).await,
        });
        let method = format_ident!("{}", rname);
        col_methods.push(quote! {
            /// The rows that point here through their foreign key; derefs to their columns, joined:
            /// a condition on them asks for some such row (`exclude`: for none).
            pub fn #method(&self) -> ::teapot::orm::Through<<#target as ::teapot::Model>::Columns> {
                let mut path = self.path.clone();
                let me = <#ident as ::teapot::Model>::TABLE;
                if let ::std::option::Option::Some(fk) = <#target as ::teapot::Model>::reverse_fk(#rname, me) {
                    path.push(::teapot::orm::Join { fk_column: #pk_column, table: <#target as ::teapot::Model>::TABLE, pk: fk, many: true, field: #rname });
                } else {
                    // The other side of a many-to-many: through its join table.
                    let (jt, from_col, to_col) = <#target as ::teapot::Model>::reverse_m2m(#rname, me)
                        .expect("a Reverse field names the related_name of a foreign key or a many-to-many to this model");
                    path.push(::teapot::orm::Join { fk_column: #pk_column, table: jt, pk: to_col, many: true, field: #rname });
                    path.push(::teapot::orm::Join { fk_column: from_col, table: <#target as ::teapot::Model>::TABLE, pk: <#target as ::teapot::Model>::PK, many: false, field: "" });
                }
                ::teapot::orm::Through { columns: <#target as ::teapot::Model>::columns_at(path) }
            }
        });
        static_methods.push(quote! {
            /// The rows that point here through their foreign key; derefs to their columns, joined.
            pub fn #method() -> ::teapot::orm::Through<<#target as ::teapot::Model>::Columns> {
                #columns_ident { path: ::std::vec::Vec::new() }.#method()
            }
        });
    }
    for (fname, f) in &model.fields {
        let site = match decl.inherited.iter().find(|i| &i.field == fname) {
            Some(inh) => bases::inherited_site(item, bases, inh)?,
            None => {
                let sf = find(fname).ok_or_else(|| syn::Error::new(ident.span(), format!("field {fname} not found")))?;
                bases::Site { field: sf.clone(), acc: sf.ident.to_token_stream(), ty: field_type(&sf.ty, ident), inherited: false }
            }
        };
        let sf = &site.field;
        let acc = &site.acc;
        let fid = sf.ident.clone().expect("named field");
        let ty = site.ty.clone();
        // A base's field is built into its base's value: its `name: value` goes aside until then.
        let decode = if site.inherited { &mut inherited_decode } else { &mut decode };
        let defaults = if site.inherited { &mut inherited_defaults } else { &mut defaults };
        // A base's relation names its target through its type (the base's imports are not here).
        let target_of = |what: &str| -> syn::Result<syn::Type> {
            if site.inherited {
                Ok(syn::parse_quote!(<#ty as ::teapot::orm::bases::RelationTarget>::Target))
            } else {
                relation_target(&sf.ty, ident).ok_or_else(|| syn::Error::new_spanned(&sf.ty, format!("{what} needs a target model")))
            }
        };
        let owner = format!("{name}.{fname}");
        let method = format_ident!("{}", fname);
        match f.ty {
            FieldType::ManyToMany => {
                let target = target_of("ManyToMany")?;
                let target_name = match relation_target(&sf.ty, ident) {
                    Some(syn::Type::Path(p)) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
                    _ => String::new(),
                };
                let (jt, from_col, to_col) = match &f.through {
                    None => {
                        let jt = naming::m2m_table(&table, fname);
                        let (from_col, to_col) = naming::m2m_columns(name, &target_name);
                        // The join table's two keys, CASCADE both: its rows go with either side.
                        // (A through model registers its own foreign keys.)
                        let through = format!("{name}_{fname}");
                        for (col, to) in [(&from_col, quote!(#ident)), (&to_col, quote!(#target))] {
                            let field = col.trim_end_matches("_id").to_string();
                            relations.push(quote! {
                                ::teapot::__private::inventory::submit! {
                                    ::teapot::orm::deletion::Relation {
                                        model: #through,
                                        field: #field,
                                        table: #jt,
                                        pk: "id",
                                        column: #col,
                                        to_model: <#to as ::teapot::Model>::NAME,
                                        to_table: <#to as ::teapot::Model>::TABLE,
                                        on_delete: ::teapot::schema::OnDelete::Cascade,
                                        join: true,
                                        order: 0,
                                        decode_key: |row, i| <i64 as ::teapot::orm::FieldValue>::decode(row, i).map(|k| ::teapot::orm::FieldValue::to_value(&k)),
                                        set_to: || ::teapot::orm::Value::Null,
                                    }
                                }
                            });
                        }
                        (quote!(#jt), quote!(#from_col), quote!(#to_col))
                    }
                    Some(written) => {
                        let th: syn::Type = syn::parse_str(written).map_err(|e| syn::Error::new_spanned(&sf.ty, e.to_string()))?;
                        through_consts.push(through_const(ident, fname, &th, &target, &table, f));
                        let c = format_ident!("__TEAPOT_THROUGH_{}", fname.trim_start_matches("r#").to_uppercase());
                        (quote!(<#th as ::teapot::Model>::TABLE), quote!(#ident::#c.0), quote!(#ident::#c.1))
                    }
                };
                decode.push(quote!(#fid: ::teapot::ManyToMany::of(#owner)));
                defaults.push(quote!(#fid: ::teapot::ManyToMany::of(#owner)));
                prefetches.push(quote! {
                    #fname => ::teapot::orm::instance::prefetch_m2m::<#ident, #target>(db, rows, base, rests, #jt, #from_col, #to_col, |r, ts| r.#acc.set_loaded(ts)).await,
                });
                let add = format_ident!("{}_add", fname.trim_start_matches("r#"));
                let remove = format_ident!("{}_remove", fname.trim_start_matches("r#"));
                let clear = format_ident!("{}_clear", fname.trim_start_matches("r#"));
                // A many-to-many of a model to itself is symmetrical, as in Django: a link is
                // both ways.
                let symmetrical = &target_name == name && f.through.is_none();
                let accessor = match &f.related_name {
                    Some(r) => r.clone(),
                    None => format!("{}_set", name.to_lowercase()),
                };
                if !symmetrical && !accessor.ends_with('+') {
                    let query = query_name(f, name);
                    reverse_m2ms.push(quote! {
                        if (accessor == #accessor || accessor == #query) && to == <#target as ::teapot::Model>::TABLE {
                            return ::std::option::Option::Some((#jt, #from_col, #to_col));
                        }
                    });
                }
                let add_keys = format_ident!("{}_add_keys", fname.trim_start_matches("r#"));
                let set = format_ident!("{}_set", fname.trim_start_matches("r#"));
                if let Some(written) = &f.through {
                    let th: syn::Type = syn::parse_str(written).map_err(|e| syn::Error::new_spanned(&sf.ty, e.to_string()))?;
                    m2m_adds.push(through_methods(ident, fname, &th, &target, acc, (&from_col, &to_col)));
                } else {
                    m2m_adds.push(quote! {
                        /// Adds rows to this many-to-many (one query); links that exist already stay
                        /// as they are. Rows fetched into the relation are forgotten (they would be stale).
                        pub async fn #add(&mut self, db: &::teapot::orm::Db, targets: &[&#target]) -> ::teapot::Result<()> {
                            let keys = targets.iter().map(|t| ::teapot::orm::FieldValue::to_value(&::teapot::Model::key(*t))).collect();
                            ::teapot::orm::instance::m2m_add::<#ident>(db, self, #jt, (#from_col, #to_col), keys, #symmetrical).await?;
                            self.#acc.unload();
                            ::std::result::Result::Ok(())
                        }

                        /// Adds rows to this many-to-many by their keys, without fetching them (one query).
                        pub async fn #add_keys(&mut self, db: &::teapot::orm::Db, keys: &[<#target as ::teapot::Model>::Key]) -> ::teapot::Result<()> {
                            let keys = keys.iter().map(::teapot::orm::FieldValue::to_value).collect();
                            ::teapot::orm::instance::m2m_add::<#ident>(db, self, #jt, (#from_col, #to_col), keys, #symmetrical).await?;
                            self.#acc.unload();
                            ::std::result::Result::Ok(())
                        }

                        /// Makes these rows the whole of this many-to-many (Django's `set`): links to
                        /// others go, missing ones are added, the rest stay; in one transaction.
                        pub async fn #set(&mut self, db: &::teapot::orm::Db, targets: &[&#target]) -> ::teapot::Result<()> {
                            let keys: ::std::vec::Vec<::teapot::orm::Value> = targets.iter().map(|t| ::teapot::orm::FieldValue::to_value(&::teapot::Model::key(*t))).collect();
                            let tx = db.begin().await?;
                            ::teapot::orm::instance::m2m_remove::<#ident>(&tx, self, #jt, (#from_col, #to_col), ::teapot::orm::instance::Links::AllBut(keys.clone()), #symmetrical).await?;
                            ::teapot::orm::instance::m2m_add::<#ident>(&tx, self, #jt, (#from_col, #to_col), keys, #symmetrical).await?;
                            tx.commit().await?;
                            self.#acc.unload();
                            ::std::result::Result::Ok(())
                        }

                        /// Removes rows from this many-to-many (one query); returns how many links went.
                        /// Rows fetched into the relation are forgotten.
                        pub async fn #remove(&mut self, db: &::teapot::orm::Db, targets: &[&#target]) -> ::teapot::Result<u64> {
                            let keys = targets.iter().map(|t| ::teapot::orm::FieldValue::to_value(&::teapot::Model::key(*t))).collect();
                            let n = ::teapot::orm::instance::m2m_remove::<#ident>(db, self, #jt, (#from_col, #to_col), ::teapot::orm::instance::Links::Only(keys), #symmetrical).await?;
                            self.#acc.unload();
                            ::std::result::Result::Ok(n)
                        }

                        /// Removes every row from this many-to-many (one query); returns how many links
                        /// went. Rows fetched into the relation are forgotten.
                        pub async fn #clear(&mut self, db: &::teapot::orm::Db) -> ::teapot::Result<u64> {
                            let n = ::teapot::orm::instance::m2m_remove::<#ident>(db, self, #jt, (#from_col, #to_col), ::teapot::orm::instance::Links::All, #symmetrical).await?;
                            self.#acc.unload();
                            ::std::result::Result::Ok(n)
                        }
                    });
                }
                col_methods.push(quote! {
                    /// The many-to-many; derefs to the columns of the model at the other end, joined
                    /// through the join table.
                    pub fn #method(&self) -> ::teapot::orm::Through<<#target as ::teapot::Model>::Columns> {
                        let mut path = self.path.clone();
                        path.push(::teapot::orm::Join { fk_column: #pk_column, table: #jt, pk: #from_col, many: true, field: #fname });
                        path.push(::teapot::orm::Join { fk_column: #to_col, table: <#target as ::teapot::Model>::TABLE, pk: <#target as ::teapot::Model>::PK, many: false, field: "" });
                        ::teapot::orm::Through { columns: <#target as ::teapot::Model>::columns_at(path) }
                    }
                });
                static_methods.push(quote! {
                    /// The many-to-many; derefs to the columns of the model at the other end, joined
                    /// through the join table.
                    pub fn #method() -> ::teapot::orm::Through<<#target as ::teapot::Model>::Columns> {
                        #columns_ident { path: ::std::vec::Vec::new() }.#method()
                    }
                });
                continue;
            }
            FieldType::ForeignKey => {
                let col = f.column(fname).unwrap_or_default();
                let target = target_of("ForeignKey")?;
                foreign_keys.push(quote!((#fname, #col, <#target as ::teapot::Model>::TABLE)));
                let i = idx;
                if f.null {
                    decode.push(quote!(#fid: <::std::option::Option<<#target as ::teapot::Model>::Key> as ::teapot::orm::FieldValue>::decode(row, offset + #i)?.map(|k| ::teapot::ForeignKey::of(k, #owner))));
                    set_arms.push(quote!(#col => { self.#acc = <::std::option::Option<<#target as ::teapot::Model>::Key> as ::teapot::orm::FieldValue>::decode(row, idx)?.map(|k| ::teapot::ForeignKey::of(k, #owner)); ::std::result::Result::Ok(()) }));
                    loads.push(quote! {
                        #fname => {
                            if let ::std::option::Option::Some(t) = ::teapot::orm::load_joined::<#target>(row, offsets, #fname)? {
                                if let ::std::option::Option::Some(fk) = self.#acc.as_mut() { fk.set_loaded(::std::sync::Arc::new(t)); }
                            }
                            ::std::result::Result::Ok(())
                        }
                    });
                    prefetches.push(quote! {
                        #fname => ::teapot::orm::instance::prefetch_fk::<#ident, #target>(db, rows, base, rests, |r| r.#acc.as_ref().map(|f| f.key().clone()), |r| r.#acc.as_mut().and_then(|f| f.take_loaded()), |r, t| if let ::std::option::Option::Some(f) = r.#acc.as_mut() { f.set_loaded(t) }).await,
                    });
                } else {
                    decode.push(quote!(#fid: ::teapot::ForeignKey::of(<<#target as ::teapot::Model>::Key as ::teapot::orm::FieldValue>::decode(row, offset + #i)?, #owner)));
                    set_arms.push(quote!(#col => { self.#acc = ::teapot::ForeignKey::of(<<#target as ::teapot::Model>::Key as ::teapot::orm::FieldValue>::decode(row, idx)?, #owner); ::std::result::Result::Ok(()) }));
                    loads.push(quote! {
                        #fname => {
                            if let ::std::option::Option::Some(t) = ::teapot::orm::load_joined::<#target>(row, offsets, #fname)? {
                                self.#acc.set_loaded(::std::sync::Arc::new(t));
                            }
                            ::std::result::Result::Ok(())
                        }
                    });
                    prefetches.push(quote! {
                        #fname => ::teapot::orm::instance::prefetch_fk::<#ident, #target>(db, rows, base, rests, |r| ::std::option::Option::Some(r.#acc.key().clone()), |r| r.#acc.take_loaded(), |r, t| r.#acc.set_loaded(t)).await,
                    });
                }
                let action = format_ident!(
                    "{}",
                    match f.on_delete.unwrap_or(teapot_schema::OnDelete::DoNothing) {
                        teapot_schema::OnDelete::Cascade => "Cascade",
                        teapot_schema::OnDelete::Restrict => "Restrict",
                        teapot_schema::OnDelete::Protect => "Protect",
                        teapot_schema::OnDelete::SetNull => "SetNull",
                        teapot_schema::OnDelete::SetDefault => "SetDefault",
                        teapot_schema::OnDelete::DoNothing => "DoNothing",
                    }
                );
                // SET NULL writes a NULL of the key's type; SET DEFAULT the declared default, or NULL.
                let set_to = match (&f.default, f.on_delete) {
                    (Some(l), Some(teapot_schema::OnDelete::SetDefault)) => {
                        let lit = literal_tokens(l);
                        quote!(|| match <#ty as ::teapot::orm::FromLiteral>::from_literal(&#lit) {
                            ::std::option::Option::Some(v) => ::teapot::orm::FieldValue::to_value(&v),
                            ::std::option::Option::None => <#ty as ::teapot::orm::FieldValue>::null(),
                        })
                    }
                    _ => quote!(|| <#ty as ::teapot::orm::FieldValue>::null()),
                };
                let fname_text = fname.trim_start_matches("r#");
                relations.push(quote! {
                    ::teapot::__private::inventory::submit! {
                        ::teapot::orm::deletion::Relation {
                            model: #name,
                            field: #fname_text,
                            table: #table,
                            pk: #pk_column,
                            column: #col,
                            to_model: <#target as ::teapot::Model>::NAME,
                            to_table: <#target as ::teapot::Model>::TABLE,
                            on_delete: ::teapot::schema::OnDelete::#action,
                            join: false,
                            order: #i as u32,
                            decode_key: |row, i| <#pk_ty as ::teapot::orm::FieldValue>::decode(row, i).map(|k| ::teapot::orm::FieldValue::to_value(&k)),
                            set_to: #set_to,
                        }
                    }
                });
                let accessor = match &f.related_name {
                    Some(r) => r.clone(),
                    None if f.one_to_one => name.to_lowercase(),
                    None => format!("{}_set", name.to_lowercase()),
                };
                if !accessor.ends_with('+') {
                    let query = query_name(f, name);
                    reverse_fks.push(quote! {
                        if (accessor == #accessor || accessor == #query) && to == <#target as ::teapot::Model>::TABLE {
                            return ::std::option::Option::Some(#col);
                        }
                    });
                }
                joins.push(quote! {
                    #fname => ::std::option::Option::Some(::teapot::orm::RelatedJoin {
                        join: ::teapot::orm::Join { fk_column: #col, table: <#target as ::teapot::Model>::TABLE, pk: <#target as ::teapot::Model>::PK, many: false, field: #fname },
                        columns: <#target as ::teapot::Model>::COLUMNS,
                        next: <#target as ::teapot::Model>::relation_join,
                    }),
                });
                col_methods.push(quote! {
                    /// The foreign key; derefs to the columns of the model it points at (joined).
                    pub fn #method(&self) -> ::teapot::orm::Related<#ty, <#target as ::teapot::Model>::Columns> {
                        let mut path = self.path.clone();
                        path.push(::teapot::orm::Join { fk_column: #col, table: <#target as ::teapot::Model>::TABLE, pk: <#target as ::teapot::Model>::PK, many: false, field: #fname });
                        ::teapot::orm::Related { key: ::teapot::orm::Column::named(self.path.clone(), #col, #fname), columns: <#target as ::teapot::Model>::columns_at(path) }
                    }
                });
                static_methods.push(quote! {
                    /// The foreign key; derefs to the columns of the model it points at (joined).
                    pub fn #method() -> ::teapot::orm::Related<#ty, <#target as ::teapot::Model>::Columns> {
                        #columns_ident { path: ::std::vec::Vec::new() }.#method()
                    }
                });
                value_arms.push(quote!(#col => ::std::option::Option::Some(::teapot::orm::FieldValue::to_value(&self.#acc)),));
                if f.db_default.is_some() {
                    db_default_cols.push(col.clone());
                }
                columns.push(col);
                to_values.push(quote!(::teapot::orm::FieldValue::to_value(&self.#acc)));
                defaults.push(match &f.default {
                    Some(l) => {
                        let lit = literal_tokens(l);
                        quote!(#fid: <#ty as ::teapot::orm::FromLiteral>::from_literal(&#lit).expect("the declaration reader checked that this default parses"))
                    }
                    None => quote!(#fid: ::std::default::Default::default()),
                });
                idx += 1;
                continue;
            }
            _ => {}
        }
        let col = f.column(fname).unwrap_or_default();
        let i = idx;
        let choices_type = decl.choice_types.iter().find(|(n, _)| n == fname).map(|(_, t)| t.clone());
        // A base's choices are checked by the base's own derive, where the enum is named.
        if let (Some(written), false) = (&choices_type, site.inherited) {
            let enum_ty: syn::Type = syn::parse_str(written).map_err(|e| syn::Error::new_spanned(&sf.ty, e.to_string()))?;
            choice_checks.push(choice_check(&enum_ty, &owner, f));
        }
        if f.auto_now || f.auto_now_add {
            let when = if f.auto_now { quote!(true) } else { quote!(adding) };
            pre_saves.push(quote! {
                if #when && only.map_or(true, |o| o.contains(&#col)) {
                    self.#acc = <#ty as ::teapot::orm::AutoNow>::now();
                }
            });
        }
        // SQLite keeps no scale (12345.50 comes back as 12345.5, 10.00 as the integer 10): a
        // decimal is brought back to its declared decimal_places, as PostgreSQL returns it.
        let read = match (f.ty, f.decimal_places) {
            (FieldType::Decimal, Some(dp)) => {
                quote!(::teapot::orm::Rescale::rescale_to(<#ty as ::teapot::orm::FieldValue>::decode(row, __idx)?, #dp))
            }
            _ => quote!(<#ty as ::teapot::orm::FieldValue>::decode(row, __idx)?),
        };
        decode.push(quote!(#fid: { let __idx = offset + #i; #read }));
        to_values.push(quote!(::teapot::orm::FieldValue::to_value(&self.#acc)));
        col_methods.push(quote! {
            /// This column, for filters, orderings and updates.
            pub fn #method(&self) -> ::teapot::orm::Column<#ty> { ::teapot::orm::Column::named(self.path.clone(), #col, #fname) }
        });
        static_methods.push(quote! {
            /// This column, for filters, orderings and updates.
            pub fn #method() -> ::teapot::orm::Column<#ty> { #columns_ident { path: ::std::vec::Vec::new() }.#method() }
        });
        // A String left to its db_default is marked by UNSET_TEXT, not "": "" is a value a row may
        // be given on purpose, and must be stored as such.
        let unset_text = f.db_default.is_some()
            && matches!(ty.to_token_stream().to_string().as_str(), "String" | "std :: string :: String" | ":: std :: string :: String");
        // The value an instance holds before it is given one: the type's default, or for an
        // address (which has none) the unspecified address.
        let zero = if f.ty == FieldType::IpAddress && !f.null {
            quote!(<#ty as ::teapot::orm::Placeholder>::placeholder())
        } else {
            quote!(<#ty as ::std::default::Default>::default())
        };
        defaults.push(match &f.default {
            Some(l) => {
                let lit = literal_tokens(l);
                // A choices default is checked when the crate compiles (choice_check).
                quote!(#fid: <#ty as ::teapot::orm::FromLiteral>::from_literal(&#lit).expect("the declaration reader checked that this default parses"))
            }
            None if unset_text => quote!(#fid: ::std::string::String::from(::teapot::orm::UNSET_TEXT)),
            // A callable default is called for each new instance, as Django calls it when a
            // model is instantiated: a fresh uuid, the moment, today, an empty object or list.
            None if f.default_fn.is_some() => {
                let callable = f.default_fn.map(|d| d.as_str()).unwrap_or_default();
                quote!(#fid: <#ty as ::teapot::orm::CallableDefault>::call(#callable).expect("the declaration reader checked that this callable fits the type"))
            }
            // The database computes a generated column: the instance holds the type's default
            // until an insert or save reads the value back.
            None if f.generated.is_some() => quote!(#fid: #zero),
            None if f.db_default.is_none() && !f.null && !f.primary_key => {
                placeholder_checks.push(quote! {
                    if ::teapot::orm::Placeholder::is_placeholder(&self.#acc) {
                        return ::std::option::Option::Some(#fname);
                    }
                });
                quote!(#fid: <#ty as ::teapot::orm::Placeholder>::placeholder())
            }
            None => quote!(#fid: #zero),
        });
        value_arms.push(quote!(#col => ::std::option::Option::Some(::teapot::orm::FieldValue::to_value(&self.#acc)),));
        if unset_text {
            unset_arms.push(quote!(#col => self.#acc == ::teapot::orm::UNSET_TEXT,));
        } else if choices_type.is_some() {
            // Every value of a choices enum is one a row may hold: never unset.
            unset_arms.push(quote!(#col => false,));
        } else {
            unset_arms
                .push(quote!(#col => ::teapot::orm::FieldValue::to_value(&self.#acc) == ::teapot::orm::FieldValue::to_value(&#zero),));
        }
        set_arms.push(quote!(#col => { let __idx = idx; self.#acc = #read; ::std::result::Result::Ok(()) }));
        if f.db_default.is_some() {
            db_default_cols.push(col.clone());
        }
        if f.generated.is_some() {
            generated_cols.push(col.clone());
        }
        columns.push(col);
        idx += 1;
    }
    // Each flatten field's value: its base built from the inherited fields' values.
    for (fname, _) in &decl.flattens {
        let sf = find(fname).ok_or_else(|| syn::Error::new(ident.span(), format!("field {fname} not found")))?;
        let fid = sf.ident.clone().expect("named field");
        let built = bases::build_base(&sf.ty, bases, &inherited_decode)?;
        decode.push(quote!(#fid: #built));
        let built = bases::build_base(&sf.ty, bases, &inherited_defaults)?;
        defaults.push(quote!(#fid: #built));
    }
    let model_name = name.clone();

    Ok(quote! {
        /// Column handles of the model, reached through a path of joins.
        #[derive(Clone, Debug)]
        #vis struct #columns_ident {
            path: ::std::vec::Vec<::teapot::orm::Join>,
        }

        impl ::teapot::orm::expression::ColumnsPath for #columns_ident {
            type Model = #ident;
            fn joins(&self) -> &[::teapot::orm::Join] {
                &self.path
            }
        }

        impl #columns_ident {
            #(#col_methods)*
        }

        impl #ident {
            #(#static_methods)*

            /// A value with every declared default, and the type's default elsewhere.
            pub fn defaults() -> Self {
                #ident { #(#defaults),* }
            }

            #(#m2m_adds)*

            #(#through_consts)*
        }

        #(#choice_checks)*

        #(#relations)*

        #version

        impl ::teapot::Model for #ident {
            type Key = #pk_ty;
            type Columns = #columns_ident;
            const APP: &'static str = #app;
            const NAME: &'static str = #name;
            const TABLE: &'static str = #table;
            const SOURCE: &'static str = #source;
            const PK: &'static str = #pk_column;
            const PK_AUTO: bool = #pk_auto;
            const COLUMNS: &'static [&'static str] = &[#(#columns),*];
            const ORDERING: &'static [(&'static str, bool)] = &[#((#ordering_cols, #ordering_desc)),*];
            const FOREIGN_KEYS: &'static [(&'static str, &'static str, &'static str)] = &[#(#foreign_keys),*];

            fn from_row(row: &::teapot::orm::DbRow, offset: usize) -> ::teapot::Result<Self> {
                ::std::result::Result::Ok(#ident { #(#decode),* })
            }

            fn to_values(&self) -> ::std::vec::Vec<::teapot::orm::Value> {
                ::std::vec![#(#to_values),*]
            }

            fn value_of(&self, column: &str) -> ::std::option::Option<::teapot::orm::Value> {
                match column {
                    #(#value_arms)*
                    _ => ::std::option::Option::None,
                }
            }

            const DB_DEFAULT_COLUMNS: &'static [&'static str] = &[#(#db_default_cols),*];
            const GENERATED_COLUMNS: &'static [&'static str] = &[#(#generated_cols),*];

            fn with_defaults() -> Self {
                Self::defaults()
            }

            fn is_unset(&self, column: &str) -> bool {
                match column {
                    #(#unset_arms)*
                    _ => false,
                }
            }

            #[allow(unused_variables)]
            fn set_column(&mut self, column: &str, row: &::teapot::orm::DbRow, idx: usize) -> ::teapot::Result<()> {
                match column {
                    #(#set_arms)*
                    other => ::std::result::Result::Err(::teapot::Error::new(
                        ::teapot::ErrorKind::Usage,
                        ::std::format!("{} has no column `{}` to set", #model_name, other),
                    )),
                }
            }

            #[allow(unused_variables)]
            fn pre_save(&mut self, adding: bool, only: ::std::option::Option<&[&str]>) {
                #(#pre_saves)*
            }

            fn key(&self) -> Self::Key {
                ::std::clone::Clone::clone(&self.#pk_ident)
            }

            fn set_key(&mut self, key: Self::Key) {
                self.#pk_ident = key;
            }

            fn columns_at(path: ::std::vec::Vec<::teapot::orm::Join>) -> Self::Columns {
                #columns_ident { path }
            }

            fn relation_join(field: &str) -> ::std::option::Option<::teapot::orm::RelatedJoin> {
                match field {
                    #(#joins)*
                    _ => ::std::option::Option::None,
                }
            }

            #[allow(unused_variables)]
            fn load_related(&mut self, field: &str, row: &::teapot::orm::DbRow, offsets: &[(::std::string::String, usize)]) -> ::teapot::Result<()> {
                match field {
                    #(#loads)*
                    other => ::std::result::Result::Err(::teapot::Error::new(
                        ::teapot::ErrorKind::Usage,
                        ::std::format!("{} has no foreign key `{}` to select_related", #model_name, other),
                    )),
                }
            }

            fn left_to_defaults(&self) -> ::std::option::Option<&'static str> {
                #(#placeholder_checks)*
                ::std::option::Option::None
            }

            #[allow(unused_variables)]
            fn reverse_fk(accessor: &str, to: &str) -> ::std::option::Option<&'static str> {
                #(#reverse_fks)*
                ::std::option::Option::None
            }

            #[allow(unused_variables)]
            fn reverse_m2m(accessor: &str, to: &str) -> ::std::option::Option<(&'static str, &'static str, &'static str)> {
                #(#reverse_m2ms)*
                ::std::option::Option::None
            }

            #[allow(unused_variables)]
            fn prefetch<'a>(
                db: &'a ::teapot::orm::Db,
                rows: &'a mut [Self],
                field: &'a str,
                base: ::std::option::Option<&'a ::teapot::orm::expression::Subquery>,
                rests: &'a [::teapot::orm::PrefetchPath],
            ) -> ::teapot::orm::BoxFuture<'a, ::teapot::Result<()>> {
                ::std::boxed::Box::pin(async move {
                    match field {
                        #(#prefetches)*
                        other => ::std::result::Result::Err(::teapot::Error::new(
                            ::teapot::ErrorKind::Usage,
                            ::std::format!("{} has no relation `{}` to prefetch_related", #model_name, other),
                        )),
                    }
                })
            }
        }
    })
}

/// The columns of a through model a many-to-many goes through, found when the crate compiles:
/// a through model without the two foreign keys (or with several to one side and no
/// `through_fields`) is a compile error saying so.
fn through_const(own: &syn::Ident, fname: &str, th: &syn::Type, target: &syn::Type, table: &str, f: &teapot_schema::Field) -> Tokens {
    let c = format_ident!("__TEAPOT_THROUGH_{}", fname.trim_start_matches("r#").to_uppercase());
    let th_text = th.to_token_stream().to_string().replace(' ', "");
    let fields = match &f.through_fields {
        Some((a, b)) => quote!(::std::option::Option::Some((#a, #b))),
        None => quote!(::std::option::Option::None),
    };
    let owner = format!("{own}.{fname}");
    let none_owner =
        format!("{owner} goes through {th_text}, which has no foreign key to {own}: declare one, or name it with through_fields");
    let none_target = format!("{owner} goes through {th_text}, which has no foreign key to the model {owner} points at");
    let ambiguous = format!(
        "{owner} goes through {th_text}, which has several foreign keys to one side: say which link with through_fields = [\"to_this\", \"to_target\"]"
    );
    let not_a_key = format!("the through_fields of {owner} name a field that is not a foreign key of {th_text} to that side");
    quote! {
        #[doc(hidden)]
        /// The through model's columns to this model and to the target.
        pub const #c: (&'static str, &'static str) = match ::teapot::orm::bases::through_columns(
            <#th as ::teapot::Model>::FOREIGN_KEYS, #table, <#target as ::teapot::Model>::TABLE, #fields,
        ) {
            ::std::result::Result::Ok(c) => c,
            ::std::result::Result::Err(::teapot::orm::bases::ThroughError::NoneToOwner) => ::std::panic!(#none_owner),
            ::std::result::Result::Err(::teapot::orm::bases::ThroughError::NoneToTarget) => ::std::panic!(#none_target),
            ::std::result::Result::Err(::teapot::orm::bases::ThroughError::Ambiguous) => ::std::panic!(#ambiguous),
            ::std::result::Result::Err(::teapot::orm::bases::ThroughError::NotAKey) => ::std::panic!(#not_a_key),
        };
    }
}

/// The methods of a many-to-many through a model: `add` makes rows of the through model (from its
/// defaults, or `_add_with`'s closure: Django's `through_defaults`); `remove`, `clear` and `set`
/// work on its rows as on a join table's.
fn through_methods(
    own: &syn::Ident,
    fname: &str,
    th: &syn::Type,
    target: &syn::Type,
    acc: &Tokens,
    (from_col, to_col): (&Tokens, &Tokens),
) -> Tokens {
    let bare = fname.trim_start_matches("r#");
    let add = format_ident!("{}_add", bare);
    let add_with = format_ident!("{}_add_with", bare);
    let add_keys = format_ident!("{}_add_keys", bare);
    let set = format_ident!("{}_set", bare);
    let set_with = format_ident!("{}_set_with", bare);
    let remove = format_ident!("{}_remove", bare);
    let clear = format_ident!("{}_clear", bare);
    quote! {
        /// Links these rows: a row of the through model for each one not linked yet, from its
        /// defaults. Rows fetched into the relation are forgotten (they would be stale).
        pub async fn #add(&mut self, db: &::teapot::orm::Db, targets: &[&#target]) -> ::teapot::Result<()> {
            self.#add_with(db, targets, |_: &mut #th| {}).await
        }

        /// Links these rows, each new row of the through model from its defaults and then `fill`
        /// (Django's `through_defaults`).
        pub async fn #add_with(&mut self, db: &::teapot::orm::Db, targets: &[&#target], fill: impl Fn(&mut #th) + Send + Sync) -> ::teapot::Result<()> {
            let keys = targets.iter().map(|t| ::teapot::orm::FieldValue::to_value(&::teapot::Model::key(*t))).collect();
            ::teapot::orm::instance::m2m_add_through::<#own, #target, #th>(db, self, (#from_col, #to_col), keys, &fill).await?;
            self.#acc.unload();
            ::std::result::Result::Ok(())
        }

        /// Links rows by their keys, without fetching them.
        pub async fn #add_keys(&mut self, db: &::teapot::orm::Db, keys: &[<#target as ::teapot::Model>::Key]) -> ::teapot::Result<()> {
            let keys = keys.iter().map(::teapot::orm::FieldValue::to_value).collect();
            ::teapot::orm::instance::m2m_add_through::<#own, #target, #th>(db, self, (#from_col, #to_col), keys, &|_: &mut #th| {}).await?;
            self.#acc.unload();
            ::std::result::Result::Ok(())
        }

        /// Makes these rows the whole of the relation (Django's `set`): rows of the through model
        /// to others go, missing ones are made from its defaults; in one transaction.
        pub async fn #set(&mut self, db: &::teapot::orm::Db, targets: &[&#target]) -> ::teapot::Result<()> {
            self.#set_with(db, targets, |_: &mut #th| {}).await
        }

        /// [`Self::#set`], the new rows of the through model filled by `fill`.
        pub async fn #set_with(&mut self, db: &::teapot::orm::Db, targets: &[&#target], fill: impl Fn(&mut #th) + Send + Sync) -> ::teapot::Result<()> {
            let keys: ::std::vec::Vec<::teapot::orm::Value> = targets.iter().map(|t| ::teapot::orm::FieldValue::to_value(&::teapot::Model::key(*t))).collect();
            let tx = db.begin().await?;
            ::teapot::orm::instance::m2m_remove::<#own>(&tx, self, <#th as ::teapot::Model>::TABLE, (#from_col, #to_col), ::teapot::orm::instance::Links::AllBut(keys.clone()), false).await?;
            ::teapot::orm::instance::m2m_add_through::<#own, #target, #th>(&tx, self, (#from_col, #to_col), keys, &fill).await?;
            tx.commit().await?;
            self.#acc.unload();
            ::std::result::Result::Ok(())
        }

        /// Unlinks these rows: their rows of the through model go. Returns how many went.
        pub async fn #remove(&mut self, db: &::teapot::orm::Db, targets: &[&#target]) -> ::teapot::Result<u64> {
            let keys = targets.iter().map(|t| ::teapot::orm::FieldValue::to_value(&::teapot::Model::key(*t))).collect();
            let n = ::teapot::orm::instance::m2m_remove::<#own>(db, self, <#th as ::teapot::Model>::TABLE, (#from_col, #to_col), ::teapot::orm::instance::Links::Only(keys), false).await?;
            self.#acc.unload();
            ::std::result::Result::Ok(n)
        }

        /// Unlinks every row: this row's rows of the through model go. Returns how many went.
        pub async fn #clear(&mut self, db: &::teapot::orm::Db) -> ::teapot::Result<u64> {
            let n = ::teapot::orm::instance::m2m_remove::<#own>(db, self, <#th as ::teapot::Model>::TABLE, (#from_col, #to_col), ::teapot::orm::instance::Links::All, false).await?;
            self.#acc.unload();
            ::std::result::Result::Ok(n)
        }
    }
}

/// The name of a relation's reverse side in filters (Django's `related_query_name`): declared,
/// else the related_name, else the model's name lowercased. A `Reverse<T>` field may be named by
/// it or by the reverse accessor.
fn query_name(f: &teapot_schema::Field, model: &str) -> String {
    f.related_query_name.clone().or_else(|| f.related_name.clone()).unwrap_or_else(|| model.to_lowercase())
}

/// Registers the version of the model's app this program is built with: the schema of views of
/// its latest migration, found now, at compile time, from the teapot.toml above the crate (see
/// `teapot_schema::version`). Nothing when there is no such project file, app or migration. The
/// project file is included so that editing it rebuilds the models; a new migration comes with a
/// change to the models, which rebuilds them anyway.
fn version_registration(app: &str) -> proc_macro2::TokenStream {
    use teapot_schema::version::{find_project_file, latest_migration, version_schema};
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else { return quote!() };
    let Some(file) = find_project_file(std::path::Path::new(&dir)) else { return quote!() };
    let Some(latest) = latest_migration(&file, app) else { return quote!() };
    let schema = version_schema(app, Some(&latest));
    let path = file.display().to_string();
    quote! {
        const _: &[u8] = ::std::include_bytes!(#path);
        ::teapot::__private::inventory::submit! {
            ::teapot::__private::AppVersion { schema: #schema }
        }
    }
}
