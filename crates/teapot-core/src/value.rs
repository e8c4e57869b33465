//! Values crossing between Rust fields and the database: [`Value`] for binding, and
//! [`FieldValue`] for every Rust type a model field may have (both backends).

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use sqlx::Row as _;
use uuid::Uuid;

use crate::db::DbRow;
use crate::error::{Error, ErrorKind, Result};

/// A value to bind to a statement.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// NULL of no particular type.
    Null,
    /// NULL of a column type (PostgreSQL checks a parameter's type even when it is NULL).
    NullOf(NullType),
    /// boolean.
    Bool(bool),
    /// smallint.
    I16(i16),
    /// integer.
    I32(i32),
    /// bigint.
    I64(i64),
    /// double precision.
    F64(f64),
    /// text.
    String(String),
    /// numeric.
    Decimal(Decimal),
    /// date.
    Date(NaiveDate),
    /// time.
    Time(NaiveTime),
    /// timestamp with time zone.
    DateTime(DateTime<Utc>),
    /// timestamp without time zone (on SQLite, text as [`sqlite_naive_datetime_text`] writes it).
    NaiveDateTime(NaiveDateTime),
    /// uuid.
    Uuid(Uuid),
    /// jsonb.
    Json(serde_json::Value),
    /// bytea.
    Bytes(Vec<u8>),
    /// interval (PostgreSQL), a bigint of microseconds (SQLite), as Django stores a timedelta.
    /// Sub-microseconds are dropped when bound.
    Duration(TimeDelta),
    /// inet (PostgreSQL), text (SQLite).
    Inet(IpAddr),
    /// A bigint[] (PostgreSQL `= ANY($1)` instead of a long IN list).
    I64List(Vec<i64>),
    /// An integer[].
    I32List(Vec<i32>),
    /// A text[].
    StringList(Vec<String>),
    /// A uuid[].
    UuidList(Vec<Uuid>),
}

impl Value {
    /// Whether it is SQL's NULL (of any type).
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null | Value::NullOf(_))
    }

    /// The values as one array value, when they are all of a type PostgreSQL takes as an array.
    pub fn as_list(values: &[Value]) -> Option<Value> {
        macro_rules! all {
            ($variant:ident, $list:ident) => {{
                let mut out = Vec::with_capacity(values.len());
                for v in values {
                    match v {
                        Value::$variant(x) => out.push(x.clone()),
                        _ => return None,
                    }
                }
                Some(Value::$list(out))
            }};
        }
        match values.first()? {
            Value::I64(_) => all!(I64, I64List),
            Value::I32(_) => all!(I32, I32List),
            Value::String(_) => all!(String, StringList),
            Value::Uuid(_) => all!(Uuid, UuidList),
            _ => None,
        }
    }
}

impl Eq for Value {}

impl std::hash::Hash for Value {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self).hash(h);
        match self {
            Value::Null => {}
            Value::NullOf(t) => (*t as u8).hash(h),
            Value::Bool(b) => b.hash(h),
            Value::I16(i) => i.hash(h),
            Value::I32(i) => i.hash(h),
            Value::I64(i) => i.hash(h),
            Value::F64(f) => f.to_bits().hash(h),
            Value::String(s) => s.hash(h),
            Value::Decimal(d) => d.hash(h),
            Value::Date(d) => d.hash(h),
            Value::Time(t) => t.hash(h),
            Value::DateTime(t) => t.hash(h),
            Value::NaiveDateTime(t) => t.hash(h),
            Value::Uuid(u) => u.hash(h),
            Value::Json(j) => j.to_string().hash(h),
            Value::Bytes(b) => b.hash(h),
            Value::Duration(d) => d.hash(h),
            Value::Inet(a) => a.hash(h),
            Value::I64List(v) => v.hash(h),
            Value::I32List(v) => v.hash(h),
            Value::StringList(v) => v.hash(h),
            Value::UuidList(v) => v.hash(h),
        }
    }
}

/// A datetime as SQLite's CURRENT_TIMESTAMP writes it: UTC, `YYYY-MM-DD HH:MM:SS`, with
/// `.ffffff` only when there are sub-seconds. SQLite compares datetimes as text, so a column
/// holding rows written by a `db_default` and rows written by teapot orders and compares right
/// only when both use this one form (RFC 3339's `T` sorts after the space whatever the time).
pub fn sqlite_datetime_text(t: &DateTime<Utc>) -> String {
    sqlite_naive_datetime_text(&t.naive_utc())
}

/// A `NaiveDateTime` in the one text form SQLite datetimes have here (see
/// [`sqlite_datetime_text`]): `YYYY-MM-DD HH:MM:SS`, `.ffffff` only when there are sub-seconds.
/// Sub-microseconds are dropped, as PostgreSQL's timestamp drops them.
pub fn sqlite_naive_datetime_text(t: &NaiveDateTime) -> String {
    let micros = t.and_utc().timestamp_subsec_micros();
    if micros == 0 {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        format!("{}.{micros:06}", t.format("%Y-%m-%d %H:%M:%S"))
    }
}

/// The type of a NULL parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum NullType {
    Bool,
    I16,
    I32,
    I64,
    F64,
    String,
    Decimal,
    Date,
    Time,
    DateTime,
    NaiveDateTime,
    Uuid,
    Json,
    Bytes,
    Duration,
    Inet,
}

/// A Rust type a model field may have: how it binds and how it decodes.
pub trait FieldValue: Sized + Send + Sync {
    /// What a lookup on the field compares with (`i32` for `Option<i32>`, the key for a foreign key).
    type Arg: FieldValue;
    /// The value to bind.
    fn to_value(&self) -> Value;
    /// Decodes column `idx` of a row.
    fn decode(row: &DbRow, idx: usize) -> Result<Self>;
    /// The argument as the field's own value (for lookups).
    fn arg_value(arg: &Self::Arg) -> Value {
        arg.to_value()
    }
    /// A NULL of this type.
    fn null() -> Value {
        Value::Null
    }
}

/// A NULL where the type has no room for one is an error on both databases (SQLite's driver
/// would read it as `""`, 0 or false). The usual cause is a column reached through a nullable
/// foreign key, or a group of NULLs.
fn present(row: &DbRow, idx: usize) -> Result<()> {
    // PostgreSQL's driver refuses a NULL for a non-Option type itself (see decode_err): only
    // SQLite's needs the look, which costs a second read of the cell.
    if matches!(row, DbRow::Sqlite(_)) && row.is_null(idx) {
        return Err(null_error(idx));
    }
    Ok(())
}

fn null_error(idx: usize) -> Error {
    Error::new(ErrorKind::Database, format!("column {idx} is NULL, and the type it is read as cannot hold NULL"))
        .hint("read it as an Option: a column reached through a nullable foreign key can be NULL (`.nullable()` on the column)")
}

fn decode_err(idx: usize, e: sqlx::Error) -> Error {
    if let sqlx::Error::ColumnDecode { source, .. } = &e {
        if source.is::<sqlx::error::UnexpectedNullError>() {
            return null_error(idx);
        }
    }
    Error::new(ErrorKind::Database, format!("cannot decode column {idx}: {e}"))
}

macro_rules! native {
    ($t:ty, $variant:ident) => {
        impl FieldValue for $t {
            type Arg = $t;
            fn to_value(&self) -> Value {
                Value::$variant(self.clone())
            }
            fn null() -> Value {
                Value::NullOf(NullType::$variant)
            }
            fn decode(row: &DbRow, idx: usize) -> Result<Self> {
                present(row, idx)?;
                match row {
                    DbRow::Pg(r) => r.try_get::<$t, _>(idx).map_err(|e| decode_err(idx, e)),
                    DbRow::Sqlite(r) => r.try_get::<$t, _>(idx).map_err(|e| decode_err(idx, e)),
                }
            }
        }
    };
}

native!(bool, Bool);
native!(i16, I16);
native!(i32, I32);
native!(i64, I64);
native!(f64, F64);
native!(String, String);
native!(NaiveDate, Date);
native!(NaiveTime, Time);
native!(DateTime<Utc>, DateTime);
native!(NaiveDateTime, NaiveDateTime);
native!(Vec<u8>, Bytes);

impl FieldValue for Decimal {
    type Arg = Decimal;
    fn null() -> Value {
        Value::NullOf(NullType::Decimal)
    }
    fn to_value(&self) -> Value {
        Value::Decimal(*self)
    }
    fn decode(row: &DbRow, idx: usize) -> Result<Self> {
        present(row, idx)?;
        match row {
            DbRow::Pg(r) => r.try_get::<Decimal, _>(idx).map_err(|e| decode_err(idx, e)),
            // SQLite keeps decimals as text, or (NUMERIC affinity) as integers and reals: "10.00"
            // is stored as the integer 10. Text keeps every digit.
            DbRow::Sqlite(r) => {
                if let Ok(s) = r.try_get::<String, _>(idx) {
                    return s.parse().map_err(|e| Error::new(ErrorKind::Database, format!("column {idx}: \"{s}\" is not a decimal: {e}")));
                }
                if let Ok(i) = r.try_get::<i64, _>(idx) {
                    return Ok(Decimal::from(i));
                }
                let f: f64 = r.try_get(idx).map_err(|e| decode_err(idx, e))?;
                Decimal::try_from(f).map_err(|e| Error::new(ErrorKind::Database, format!("column {idx}: {e}")))
            }
        }
    }
}

impl FieldValue for Uuid {
    type Arg = Uuid;
    fn null() -> Value {
        Value::NullOf(NullType::Uuid)
    }
    fn to_value(&self) -> Value {
        Value::Uuid(*self)
    }
    fn decode(row: &DbRow, idx: usize) -> Result<Self> {
        present(row, idx)?;
        match row {
            DbRow::Pg(r) => r.try_get::<Uuid, _>(idx).map_err(|e| decode_err(idx, e)),
            // SQLite: 32 hex digits in a char(32), as Django stores them.
            DbRow::Sqlite(r) => {
                let s: String = r.try_get(idx).map_err(|e| decode_err(idx, e))?;
                Uuid::parse_str(&s).map_err(|e| Error::new(ErrorKind::Database, format!("column {idx}: \"{s}\" is not a uuid: {e}")))
            }
        }
    }
}

impl FieldValue for serde_json::Value {
    type Arg = serde_json::Value;
    fn null() -> Value {
        Value::NullOf(NullType::Json)
    }
    fn to_value(&self) -> Value {
        Value::Json(self.clone())
    }
    fn decode(row: &DbRow, idx: usize) -> Result<Self> {
        present(row, idx)?;
        match row {
            DbRow::Pg(r) => r.try_get::<sqlx::types::Json<serde_json::Value>, _>(idx).map(|j| j.0).map_err(|e| decode_err(idx, e)),
            DbRow::Sqlite(r) => {
                let s: String = r.try_get(idx).map_err(|e| decode_err(idx, e))?;
                serde_json::from_str(&s).map_err(|e| Error::new(ErrorKind::Database, format!("column {idx}: not JSON: {e}")))
            }
        }
    }
}

/// A duration as microseconds, what both databases keep (sub-microseconds are dropped, toward
/// zero; a duration past ±292,000 years saturates).
pub fn duration_micros(d: &TimeDelta) -> i64 {
    d.num_microseconds().unwrap_or(if *d < TimeDelta::zero() { i64::MIN } else { i64::MAX })
}

/// The interval PostgreSQL gets for a duration: whole days and the microseconds left (both of
/// the duration's sign), as Django's driver sends a timedelta.
pub fn pg_interval(d: &TimeDelta) -> sqlx::postgres::types::PgInterval {
    const DAY: i64 = 86_400_000_000;
    let micros = duration_micros(d);
    sqlx::postgres::types::PgInterval { months: 0, days: (micros / DAY) as i32, microseconds: micros % DAY }
}

impl FieldValue for TimeDelta {
    type Arg = TimeDelta;
    fn null() -> Value {
        Value::NullOf(NullType::Duration)
    }
    fn to_value(&self) -> Value {
        Value::Duration(*self)
    }
    fn decode(row: &DbRow, idx: usize) -> Result<Self> {
        present(row, idx)?;
        match row {
            // A month counts 30 days, as PostgreSQL counts it when it compares intervals (only
            // an interval written by hand has months: teapot and Django write days and time).
            DbRow::Pg(r) => {
                let i: sqlx::postgres::types::PgInterval = r.try_get(idx).map_err(|e| decode_err(idx, e))?;
                let days = i64::from(i.months) * 30 + i64::from(i.days);
                Ok(TimeDelta::days(days) + TimeDelta::microseconds(i.microseconds))
            }
            DbRow::Sqlite(r) => r.try_get::<i64, _>(idx).map(TimeDelta::microseconds).map_err(|e| decode_err(idx, e)),
        }
    }
}

impl FieldValue for IpAddr {
    type Arg = IpAddr;
    fn null() -> Value {
        Value::NullOf(NullType::Inet)
    }
    fn to_value(&self) -> Value {
        Value::Inet(*self)
    }
    fn decode(row: &DbRow, idx: usize) -> Result<Self> {
        present(row, idx)?;
        match row {
            DbRow::Pg(r) => r.try_get::<IpAddr, _>(idx).map_err(|e| decode_err(idx, e)),
            // SQLite: the address as text in a char(39), as Django stores it.
            DbRow::Sqlite(r) => {
                let s: String = r.try_get(idx).map_err(|e| decode_err(idx, e))?;
                s.trim().parse().map_err(|e| Error::new(ErrorKind::Database, format!("column {idx}: \"{s}\" is not an IP address: {e}")))
            }
        }
    }
}

/// The error for a value in the database that no variant of a choices enum has: names the
/// column, the value and the enum, and the values it knows.
pub fn unknown_choice(row: &DbRow, idx: usize, enum_name: &str, value: &str, known: &[String]) -> Error {
    let column = row.column_name(idx).map(|c| format!("column \"{c}\"")).unwrap_or_else(|| format!("column {idx}"));
    Error::new(ErrorKind::Database, format!("{column} holds {value}, which is not a value of the choices enum {enum_name}"))
        .hint(format!("{enum_name} knows: {}; add a variant with #[teapot(value = {value})], or fix the row", known.join(", ")))
}

impl<T: FieldValue> FieldValue for Option<T> {
    type Arg = T::Arg;
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => T::null(),
        }
    }
    fn null() -> Value {
        T::null()
    }
    fn decode(row: &DbRow, idx: usize) -> Result<Self> {
        if row.is_null(idx) {
            Ok(None)
        } else {
            T::decode(row, idx).map(Some)
        }
    }
}

/// Converts into a field's lookup argument: lets `&str` stand for a `String`.
pub trait IntoArg<A> {
    /// The argument.
    fn into_arg(self) -> A;
}

impl<A> IntoArg<A> for A {
    fn into_arg(self) -> A {
        self
    }
}

impl IntoArg<String> for &str {
    fn into_arg(self) -> String {
        self.to_string()
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::String(s.clone())
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::$variant(v)
            }
        }
    )*};
}

value_from!(String => String, bool => Bool, i16 => I16, i32 => I32, i64 => I64, f64 => F64);
