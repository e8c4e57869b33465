//! Fields whose type is a `#[derive(Choices)]` enum (Django's `choices`), and the current moment
//! an `auto_now` / `auto_now_add` field takes.
//!
//! ```
//! #[derive(Debug, Clone, Copy, PartialEq, teapot::Choices)]
//! enum Status {
//!     #[teapot(value = "d")]
//!     Draft,
//!     #[teapot(value = "p", label = "Published")]
//!     Published,
//! }
//! assert_eq!(Status::CHOICES, &[("d", "Draft"), ("p", "Published")]);
//! assert_eq!(Status::Published.value(), "p");
//! ```

use teapot_core::{unknown_choice, DbRow, FieldValue, Result, Value};

/// An enum declared with `#[derive(Choices)]`: each variant stands for one value stored in the
/// column (text, or an integer), as Django's `TextChoices` / `IntegerChoices`. The derive also
/// implements [`FieldValue`], so a model field may have the enum (or an `Option` of it) as its type.
pub trait Choices: Sized + Copy + Send + Sync + 'static {
    /// The enum's name, for messages.
    const NAME: &'static str;
    /// Whether the values are integers (an integer column) rather than text.
    const INTEGER: bool;
    /// The longest text value, in characters (0 for integers): what max_length must hold.
    const LONGEST: usize;
    /// The text values (empty for integers).
    const TEXT_VALUES: &'static [&'static str];
    /// The integer values (empty for text).
    const INT_VALUES: &'static [i32];
    /// The value stored for this variant.
    fn db_value(&self) -> Value;
    /// The variant of a text value.
    fn from_text(value: &str) -> Option<Self>;
    /// The variant of an integer value.
    fn from_int(value: i32) -> Option<Self>;
    /// Every value, as a declaration writes it (`"d"`, `1`), for messages.
    fn values() -> Vec<String>;
}

#[doc(hidden)]
/// Decodes column `idx` as a variant (used by the derive): a value no variant has is an error
/// naming the column, the value and the enum.
pub fn decode<C: Choices>(row: &DbRow, idx: usize) -> Result<C> {
    if C::INTEGER {
        let i = <i32 as FieldValue>::decode(row, idx)?;
        C::from_int(i).ok_or_else(|| unknown_choice(row, idx, C::NAME, &i.to_string(), &C::values()))
    } else {
        let s = <String as FieldValue>::decode(row, idx)?;
        C::from_text(&s).ok_or_else(|| unknown_choice(row, idx, C::NAME, &format!("{s:?}"), &C::values()))
    }
}

/// The types an `auto_now` / `auto_now_add` field may have, and the current moment in each.
/// Moments are UTC (a `NaiveDateTime` gets the UTC wall clock, a `NaiveDate` today's date in
/// UTC), cut to microseconds, what both databases keep: the value set on the row equals the one
/// read back.
pub trait AutoNow {
    /// The current moment.
    fn now() -> Self;
}

fn now_micros() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    let micros = now.timestamp_micros();
    chrono::DateTime::from_timestamp_micros(micros).unwrap_or(now)
}

impl AutoNow for chrono::DateTime<chrono::Utc> {
    fn now() -> Self {
        now_micros()
    }
}

impl AutoNow for chrono::NaiveDateTime {
    fn now() -> Self {
        now_micros().naive_utc()
    }
}

impl AutoNow for chrono::NaiveDate {
    fn now() -> Self {
        now_micros().date_naive()
    }
}

impl<T: AutoNow> AutoNow for Option<T> {
    fn now() -> Self {
        Some(T::now())
    }
}

#[doc(hidden)]
/// Whether `value` is in `values` (a const fn: the derive checks a default when the crate compiles).
pub const fn has_text(values: &[&str], value: &str) -> bool {
    let mut i = 0;
    while i < values.len() {
        let (a, b) = (values[i].as_bytes(), value.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return true;
            }
        }
        i += 1;
    }
    false
}

#[doc(hidden)]
/// Whether `value` is in `values` (a const fn, as [`has_text`]).
pub const fn has_int(values: &[i32], value: i64) -> bool {
    let mut i = 0;
    while i < values.len() {
        if values[i] as i64 == value {
            return true;
        }
        i += 1;
    }
    false
}
