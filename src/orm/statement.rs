//! Renders a statement built on sea-query in the connection's dialect, and carries values across
//! the seam between sea-query and teapot-core.
//!
//! sea-query owns the statement's shape (what goes where, the placeholders, the quoting);
//! teapot-core binds the values. Its binder, not sea-query's sqlx binding, is the one that runs:
//! it writes SQLite's datetimes in the form CURRENT_TIMESTAMP writes and keeps a decimal's scale,
//! and it is where every query is counted. So values go into sea-query as sea-query's and come
//! back out as teapot's, each variant to its own, NULLs keeping their type.

use sea_query::{ArrayType, PostgresQueryBuilder, QueryStatementWriter, SqliteQueryBuilder, Value as Sea};
use teapot_core::value::{NullType, Value};
use teapot_core::{Db, DbRow, Dialect, Result};

/// A statement's text and its values, in placeholder order.
pub(super) fn render<S: QueryStatementWriter>(db: &Db, stmt: &S) -> (String, Vec<Value>) {
    let (sql, values) = match db.dialect() {
        Dialect::Postgres => stmt.build(PostgresQueryBuilder),
        Dialect::Sqlite => stmt.build(SqliteQueryBuilder),
    };
    (sql, values.0.into_iter().map(from_sea).collect())
}

/// Runs a statement that returns rows.
pub(super) async fn fetch_all<S: QueryStatementWriter>(db: &Db, stmt: &S) -> Result<Vec<DbRow>> {
    let (sql, values) = render(db, stmt);
    db.fetch_all_owned(&sql, values).await
}

/// Runs a statement: the number of rows it changed.
pub(super) async fn execute<S: QueryStatementWriter>(db: &Db, stmt: &S) -> Result<u64> {
    let (sql, values) = render(db, stmt);
    db.execute(&sql, &values).await
}

/// A value as sea-query holds it.
pub(super) fn to_sea(v: Value) -> Sea {
    match v {
        // An untyped NULL binds as a bigint NULL (what teapot-core binds it as).
        Value::Null => Sea::BigInt(None),
        Value::NullOf(t) => match t {
            NullType::Bool => Sea::Bool(None),
            NullType::I16 => Sea::SmallInt(None),
            NullType::I32 => Sea::Int(None),
            NullType::I64 => Sea::BigInt(None),
            NullType::F64 => Sea::Double(None),
            NullType::String => Sea::String(None),
            NullType::Decimal => Sea::Decimal(None),
            NullType::Date => Sea::ChronoDate(None),
            NullType::Time => Sea::ChronoTime(None),
            NullType::DateTime => Sea::ChronoDateTimeUtc(None),
            NullType::NaiveDateTime => Sea::ChronoDateTime(None),
            NullType::Uuid => Sea::Uuid(None),
            NullType::Json => Sea::Json(None),
            NullType::Bytes => Sea::Bytes(None),
            NullType::Duration => Sea::Array(DURATION, None),
            NullType::Inet => Sea::Array(INET, None),
        },
        Value::Bool(b) => Sea::Bool(Some(b)),
        Value::I16(i) => Sea::SmallInt(Some(i)),
        Value::I32(i) => Sea::Int(Some(i)),
        Value::I64(i) => Sea::BigInt(Some(i)),
        Value::F64(f) => Sea::Double(Some(f)),
        Value::String(s) => Sea::String(Some(s)),
        Value::Decimal(d) => Sea::Decimal(Some(d)),
        Value::Date(d) => Sea::ChronoDate(Some(d)),
        Value::Time(t) => Sea::ChronoTime(Some(t)),
        Value::DateTime(t) => Sea::ChronoDateTimeUtc(Some(t)),
        Value::NaiveDateTime(t) => Sea::ChronoDateTime(Some(t)),
        Value::Uuid(u) => Sea::Uuid(Some(u)),
        Value::Json(j) => Sea::Json(Some(Box::new(j))),
        Value::Bytes(b) => Sea::Bytes(Some(b)),
        Value::Duration(d) => {
            let parts = vec![Sea::BigInt(Some(d.num_seconds())), Sea::Int(Some(d.subsec_nanos()))];
            Sea::Array(DURATION, Some(Box::new(parts)))
        }
        Value::Inet(a) => Sea::Array(INET, Some(Box::new(vec![Sea::String(Some(a.to_string()))]))),
        Value::I64List(v) => list(ArrayType::BigInt, v.into_iter().map(|x| Sea::BigInt(Some(x)))),
        Value::I32List(v) => list(ArrayType::Int, v.into_iter().map(|x| Sea::Int(Some(x)))),
        Value::StringList(v) => list(ArrayType::String, v.into_iter().map(|x| Sea::String(Some(x)))),
        Value::UuidList(v) => list(ArrayType::Uuid, v.into_iter().map(|x| Sea::Uuid(Some(x)))),
        // Value is non_exhaustive: a variant added to teapot-core must get its form here (the
        // round-trip test below lists every variant).
        other => unreachable!("teapot-core's {other:?} has no sea-query form yet"),
    }
}

/// sea-query has no interval nor inet value: a duration and an address cross the seam as an
/// array under a tag teapot never binds as a list (tinyint[], char[]), which only `from_sea`
/// reads. sea-query keeps a value it is given whole, so the tag comes back as it went.
const DURATION: ArrayType = ArrayType::TinyInt;
/// See [`DURATION`].
const INET: ArrayType = ArrayType::Char;

fn list(t: ArrayType, items: impl Iterator<Item = Sea>) -> Sea {
    Sea::Array(t, Some(Box::new(items.collect())))
}

/// A value sea-query gives back, as teapot-core binds it. Only what `to_sea` makes comes back,
/// plus LIMIT and OFFSET, which sea-query binds as unsigned integers.
fn from_sea(v: Sea) -> Value {
    fn or_null<T>(v: Option<T>, t: NullType, f: impl FnOnce(T) -> Value) -> Value {
        v.map_or(Value::NullOf(t), f)
    }
    match v {
        Sea::Bool(b) => or_null(b, NullType::Bool, Value::Bool),
        Sea::SmallInt(i) => or_null(i, NullType::I16, Value::I16),
        Sea::Int(i) => or_null(i, NullType::I32, Value::I32),
        Sea::BigInt(None) => Value::Null,
        Sea::BigInt(Some(i)) => Value::I64(i),
        Sea::BigUnsigned(u) => or_null(u, NullType::I64, |u| Value::I64(i64::try_from(u).unwrap_or(i64::MAX))),
        Sea::Unsigned(u) => or_null(u, NullType::I64, |u| Value::I64(u.into())),
        Sea::Double(f) => or_null(f, NullType::F64, Value::F64),
        Sea::String(s) => or_null(s, NullType::String, Value::String),
        Sea::Decimal(d) => or_null(d, NullType::Decimal, Value::Decimal),
        Sea::ChronoDate(d) => or_null(d, NullType::Date, Value::Date),
        Sea::ChronoTime(t) => or_null(t, NullType::Time, Value::Time),
        Sea::ChronoDateTimeUtc(t) => or_null(t, NullType::DateTime, Value::DateTime),
        Sea::ChronoDateTime(t) => or_null(t, NullType::NaiveDateTime, Value::NaiveDateTime),
        Sea::Uuid(u) => or_null(u, NullType::Uuid, Value::Uuid),
        Sea::Json(j) => or_null(j, NullType::Json, |j| Value::Json(*j)),
        Sea::Bytes(b) => or_null(b, NullType::Bytes, Value::Bytes),
        Sea::Array(DURATION, None) => Value::NullOf(NullType::Duration),
        Sea::Array(DURATION, Some(parts)) => match parts.as_slice() {
            // num_seconds() and subsec_nanos() both carry the duration's sign: their sum is exact.
            [Sea::BigInt(Some(secs)), Sea::Int(Some(nanos))] => {
                Value::Duration(chrono::TimeDelta::seconds(*secs) + chrono::TimeDelta::nanoseconds(i64::from(*nanos)))
            }
            other => unreachable!("a duration crosses as [seconds, nanoseconds], not {other:?}"),
        },
        Sea::Array(INET, None) => Value::NullOf(NullType::Inet),
        Sea::Array(INET, Some(parts)) => match parts.as_slice() {
            [Sea::String(Some(text))] => Value::Inet(text.parse().unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))),
            other => unreachable!("an address crosses as its text, not {other:?}"),
        },
        Sea::Array(_, items) => {
            let items = items.map(|b| *b).unwrap_or_default();
            let first = items.first().cloned();
            macro_rules! all {
                ($sea:ident, $list:ident) => {
                    Value::$list(items.into_iter().filter_map(|x| if let Sea::$sea(Some(x)) = x { Some(x) } else { None }).collect())
                };
            }
            match first {
                Some(Sea::Int(_)) => all!(Int, I32List),
                Some(Sea::String(_)) => all!(String, StringList),
                Some(Sea::Uuid(_)) => all!(Uuid, UuidList),
                _ => all!(BigInt, I64List),
            }
        }
        other => unreachable!("teapot never gives sea-query a {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_comes_back_as_it_went() {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let values = vec![
            Value::Null,
            Value::NullOf(NullType::String),
            Value::NullOf(NullType::Decimal),
            Value::NullOf(NullType::DateTime),
            Value::Bool(true),
            Value::I16(-3),
            Value::I32(7),
            Value::I64(1 << 40),
            Value::F64(0.5),
            Value::String("it's".into()),
            Value::Decimal("12345.50".parse().unwrap()),
            Value::Date(d),
            Value::Time(chrono::NaiveTime::from_hms_micro_opt(1, 2, 3, 4).unwrap()),
            Value::DateTime(d.and_hms_opt(12, 0, 0).unwrap().and_utc()),
            Value::NaiveDateTime(d.and_hms_micro_opt(23, 59, 59, 5).unwrap()),
            Value::NullOf(NullType::NaiveDateTime),
            Value::Uuid(uuid::Uuid::from_u128(9)),
            Value::Json(serde_json::json!({"a": [1, null]})),
            Value::Bytes(vec![0, 255]),
            Value::I64List(vec![1, 2]),
            Value::I32List(vec![3]),
            Value::StringList(vec!["x".into()]),
            Value::UuidList(vec![uuid::Uuid::from_u128(1)]),
            Value::Duration(chrono::TimeDelta::microseconds(-90_061_000_001)),
            Value::Duration(chrono::TimeDelta::new(5, 7).unwrap()),
            Value::NullOf(NullType::Duration),
            Value::Inet("192.168.0.1".parse().unwrap()),
            Value::Inet("2001:db8::1".parse().unwrap()),
            Value::NullOf(NullType::Inet),
        ];
        for v in values {
            let back = from_sea(to_sea(v.clone()));
            assert_eq!(back, v);
            if let (Value::Decimal(a), Value::Decimal(b)) = (&back, &v) {
                assert_eq!(a.scale(), b.scale(), "a decimal keeps its scale");
            }
        }
    }
}
