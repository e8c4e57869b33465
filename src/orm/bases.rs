//! What the derive needs for abstract bases and many-to-many fields through a model: a base is
//! built from its fields' values ([`Abstract`]), a model reaches the type of a field its base
//! declares without naming the modules the base's types come from ([`BaseField`],
//! [`RelationTarget`]), and a through model's two foreign keys are found when the crate compiles
//! ([`through_columns`]).

use super::{ForeignKey, ManyToMany, Model};

#[doc(hidden)]
/// An abstract base (`#[derive(Model)] #[teapot(abstract)]`): built from its fields' values in
/// declaration order (a flattened base of its own is one value).
pub trait Abstract: Sized {
    /// The fields' types, as a tuple.
    type Parts;
    /// The base from its fields' values.
    fn from_parts(parts: Self::Parts) -> Self;
}

#[doc(hidden)]
/// The type of the base's field number `N` (in declaration order): a model that flattens the base
/// names its fields' types through it, so the base's imports need not be the model's.
pub trait BaseField<const N: usize> {
    /// The field's type.
    type Ty;
}

#[doc(hidden)]
/// The model a relation field points at.
pub trait RelationTarget {
    /// That model.
    type Target: Model;
}

impl<T: Model> RelationTarget for ForeignKey<T> {
    type Target = T;
}

impl<T: Model> RelationTarget for Option<ForeignKey<T>> {
    type Target = T;
}

impl<T: Model> RelationTarget for ManyToMany<T> {
    type Target = T;
}

#[doc(hidden)]
/// Why a through model's columns could not be found (the derive turns each into its message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThroughError {
    /// No foreign key to the model that declares the many-to-many.
    NoneToOwner,
    /// No foreign key to the target.
    NoneToTarget,
    /// Several to the owner or to the target, and no `through_fields` to choose.
    Ambiguous,
    /// A `through_fields` name that is not a foreign key to the side it stands for.
    NotAKey,
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The column of the one foreign key to `table` (the one named `field` when given).
const fn column_to(
    fks: &[(&'static str, &'static str, &'static str)],
    table: &str,
    field: Option<&str>,
) -> Result<&'static str, ThroughError> {
    let mut found: Option<&'static str> = None;
    let mut i = 0;
    while i < fks.len() {
        let (name, column, to) = fks[i];
        let named = match field {
            Some(f) => same(f, name),
            None => true,
        };
        if named && same(to, table) {
            if found.is_some() {
                return Err(ThroughError::Ambiguous);
            }
            found = Some(column);
        }
        i += 1;
    }
    match found {
        Some(c) => Ok(c),
        None if field.is_some() => Err(ThroughError::NotAKey),
        None => Err(ThroughError::NoneToOwner),
    }
}

#[doc(hidden)]
/// The through model's columns to the owner and to the target: the foreign keys named by
/// `through_fields`, else the one foreign key to each side. Evaluated in a const, so a through
/// model that does not fit is a compile error.
pub const fn through_columns(
    fks: &[(&'static str, &'static str, &'static str)],
    owner: &str,
    target: &str,
    fields: Option<(&str, &str)>,
) -> Result<(&'static str, &'static str), ThroughError> {
    let (from_field, to_field) = match fields {
        Some((a, b)) => (Some(a), Some(b)),
        None => (None, None),
    };
    if from_field.is_none() && same(owner, target) {
        return Err(ThroughError::Ambiguous);
    }
    let from = match column_to(fks, owner, from_field) {
        Ok(c) => c,
        Err(e) => return Err(e),
    };
    match column_to(fks, target, to_field) {
        Ok(to) => Ok((from, to)),
        Err(ThroughError::NoneToOwner) => Err(ThroughError::NoneToTarget),
        Err(e) => Err(e),
    }
}
