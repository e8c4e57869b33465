//! Binding [`Value`](crate::Value)s to a statement of either backend (macros, so that one text
//! serves sqlx's two query types).

macro_rules! bind_null {
    ($q:expr, $t:expr) => {{
        use $crate::value::NullType as N;
        match $t {
            N::Bool => $q.bind(None::<bool>),
            N::I16 => $q.bind(None::<i16>),
            N::I32 => $q.bind(None::<i32>),
            N::I64 => $q.bind(None::<i64>),
            N::F64 => $q.bind(None::<f64>),
            N::String => $q.bind(None::<String>),
            N::Decimal => $q.bind(None::<rust_decimal::Decimal>),
            N::Date => $q.bind(None::<chrono::NaiveDate>),
            N::Time => $q.bind(None::<chrono::NaiveTime>),
            N::DateTime => $q.bind(None::<chrono::DateTime<chrono::Utc>>),
            N::NaiveDateTime => $q.bind(None::<chrono::NaiveDateTime>),
            N::Uuid => $q.bind(None::<uuid::Uuid>),
            N::Json => $q.bind(None::<sqlx::types::Json<serde_json::Value>>),
            N::Bytes => $q.bind(None::<Vec<u8>>),
            N::Duration => $q.bind(None::<sqlx::postgres::types::PgInterval>),
            N::Inet => $q.bind(None::<std::net::IpAddr>),
        }
    }};
}

macro_rules! bind_all {
    ($q:expr, $values:expr, pg) => {{
        let mut q = $q;
        for v in $values {
            q = match v {
                $crate::value::Value::Null => q.bind(None::<i64>),
                $crate::value::Value::NullOf(t) => bind_null!(q, t),
                $crate::value::Value::Bool(b) => q.bind(*b),
                $crate::value::Value::I16(i) => q.bind(*i),
                $crate::value::Value::I32(i) => q.bind(*i),
                $crate::value::Value::I64(i) => q.bind(*i),
                $crate::value::Value::F64(f) => q.bind(*f),
                $crate::value::Value::String(s) => q.bind(s.clone()),
                $crate::value::Value::Decimal(d) => q.bind(*d),
                $crate::value::Value::Date(d) => q.bind(*d),
                $crate::value::Value::Time(t) => q.bind(*t),
                $crate::value::Value::DateTime(t) => q.bind(*t),
                $crate::value::Value::NaiveDateTime(t) => q.bind(*t),
                $crate::value::Value::Uuid(u) => q.bind(*u),
                $crate::value::Value::Json(j) => q.bind(sqlx::types::Json(j.clone())),
                $crate::value::Value::Bytes(b) => q.bind(b.clone()),
                $crate::value::Value::Duration(d) => q.bind($crate::value::pg_interval(d)),
                $crate::value::Value::Inet(a) => q.bind(*a),
                $crate::value::Value::I64List(v) => q.bind(v.clone()),
                $crate::value::Value::I32List(v) => q.bind(v.clone()),
                $crate::value::Value::StringList(v) => q.bind(v.clone()),
                $crate::value::Value::UuidList(v) => q.bind(v.clone()),
            };
        }
        q
    }};
    ($q:expr, $values:expr, sqlite) => {{
        let mut q = $q;
        for v in $values {
            q = match v {
                $crate::value::Value::Null => q.bind(None::<i64>),
                $crate::value::Value::NullOf(_) => q.bind(None::<i64>),
                $crate::value::Value::Bool(b) => q.bind(*b),
                $crate::value::Value::I16(i) => q.bind(*i),
                $crate::value::Value::I32(i) => q.bind(*i),
                $crate::value::Value::I64(i) => q.bind(*i),
                $crate::value::Value::F64(f) => q.bind(*f),
                $crate::value::Value::String(s) => q.bind(s.clone()),
                $crate::value::Value::Decimal(d) => q.bind(d.to_string()),
                $crate::value::Value::Date(d) => q.bind(*d),
                $crate::value::Value::Time(t) => q.bind(*t),
                $crate::value::Value::DateTime(t) => q.bind($crate::value::sqlite_datetime_text(t)),
                $crate::value::Value::NaiveDateTime(t) => q.bind($crate::value::sqlite_naive_datetime_text(t)),
                $crate::value::Value::Uuid(u) => q.bind(u.simple().to_string()),
                $crate::value::Value::Json(j) => q.bind(j.to_string()),
                $crate::value::Value::Bytes(b) => q.bind(b.clone()),
                $crate::value::Value::Duration(d) => q.bind($crate::value::duration_micros(d)),
                $crate::value::Value::Inet(a) => q.bind(a.to_string()),
                // Lists are PostgreSQL arrays; the SQL builder never binds one on SQLite.
                $crate::value::Value::I64List(_)
                | $crate::value::Value::I32List(_)
                | $crate::value::Value::StringList(_)
                | $crate::value::Value::UuidList(_) => q.bind(None::<i64>),
            };
        }
        q
    }};
}

macro_rules! bind_owned {
    ($q:expr, $values:expr, pg) => {{
        let mut q = $q;
        for v in $values {
            q = match v {
                $crate::value::Value::String(s) => q.bind(s),
                $crate::value::Value::Bytes(b) => q.bind(b),
                $crate::value::Value::Json(j) => q.bind(sqlx::types::Json(j)),
                other => bind_all!(q, std::iter::once(&other), pg),
            };
        }
        q
    }};
    ($q:expr, $values:expr, sqlite) => {{
        let mut q = $q;
        for v in $values {
            q = match v {
                $crate::value::Value::String(s) => q.bind(s),
                $crate::value::Value::Bytes(b) => q.bind(b),
                other => bind_all!(q, std::iter::once(&other), sqlite),
            };
        }
        q
    }};
}
