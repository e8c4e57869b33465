//! Callable defaults (`#[teapot(default = uuid4)]` and the like): the value a new instance gets
//! from `Model::defaults()`, called afresh each time, as Django calls `default=uuid.uuid4` when a
//! model is instantiated. The column has no database default; a migration that adds it fills
//! the rows there (see `teapot_migrate::backend::lower::default_fn_sql`).

use teapot_schema::DefaultFn;

use super::AutoNow;

#[doc(hidden)]
/// The types a callable default gives values of (the reader checks the pairing; the derive
/// calls [`CallableDefault::call`] with the callable's name).
pub trait CallableDefault: Sized {
    /// The callable's value, or None when it gives no value of this type.
    fn of(callable: DefaultFn) -> Option<Self>;

    /// The value of the callable named `name` (`uuid4`, `now`, `today`, `dict`, `list`).
    fn call(name: &str) -> Option<Self> {
        DefaultFn::parse(name).and_then(Self::of)
    }
}

impl CallableDefault for uuid::Uuid {
    fn of(callable: DefaultFn) -> Option<Self> {
        (callable == DefaultFn::Uuid4).then(uuid::Uuid::new_v4)
    }
}

impl CallableDefault for chrono::DateTime<chrono::Utc> {
    fn of(callable: DefaultFn) -> Option<Self> {
        (callable == DefaultFn::Now).then(<Self as AutoNow>::now)
    }
}

impl CallableDefault for chrono::NaiveDateTime {
    fn of(callable: DefaultFn) -> Option<Self> {
        (callable == DefaultFn::Now).then(<Self as AutoNow>::now)
    }
}

impl CallableDefault for chrono::NaiveDate {
    fn of(callable: DefaultFn) -> Option<Self> {
        (callable == DefaultFn::Today).then(<Self as AutoNow>::now)
    }
}

impl CallableDefault for serde_json::Value {
    fn of(callable: DefaultFn) -> Option<Self> {
        match callable {
            DefaultFn::Dict => Some(serde_json::Value::Object(serde_json::Map::new())),
            DefaultFn::List => Some(serde_json::Value::Array(Vec::new())),
            _ => None,
        }
    }
}

impl<T: CallableDefault> CallableDefault for Option<T> {
    fn of(callable: DefaultFn) -> Option<Self> {
        T::of(callable).map(Some)
    }
}
