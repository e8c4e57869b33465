//! Column types as the catalogs print them, mapped to the Rust type (and the options) that
//! declares them. A type teapot has no field for is a reason, never a guess.

use teapot_core::Dialect;

/// A column type teapot can declare.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mapped {
    /// The Rust type, without `Option`.
    pub(crate) rust: String,
    /// Options the type needs (`max_length = 100`, `max_digits = 8, decimal_places = 2`, `positive`).
    pub(crate) options: Vec<String>,
    /// Whether it is an integer (a key may be an identity, a CHECK `>= 0` may be `positive`).
    pub(crate) integer: bool,
    /// Whether a `_like` index goes with it when it is indexed (PostgreSQL's varchar and text).
    pub(crate) textual: bool,
    /// Something the reader should know about the mapping.
    pub(crate) note: Option<String>,
}

fn mapped(rust: &str) -> Mapped {
    Mapped { rust: rust.to_string(), options: Vec::new(), integer: false, textual: false, note: None }
}

fn int(rust: &str) -> Mapped {
    Mapped { integer: true, ..mapped(rust) }
}

/// `name(a, b)` -> (`name`, [a, b]).
fn split_args(ty: &str) -> (String, Vec<String>) {
    match ty.find('(') {
        Some(i) => {
            let args = ty[i + 1..].trim_end_matches(')').split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
            (ty[..i].trim().to_string(), args)
        }
        None => (ty.trim().to_string(), Vec::new()),
    }
}

/// The Rust type of a column of type `ty` (as the catalog prints it), or why there is none.
pub(crate) fn map_type(dialect: Dialect, ty: &str) -> Result<Mapped, String> {
    let lower = ty.trim().to_lowercase();
    let (base, args) = split_args(&lower);
    let string = |args: &[String]| -> Result<Mapped, String> {
        let mut m = Mapped { textual: dialect == Dialect::Postgres, ..mapped("String") };
        match args.first().map(|a| a.parse::<u32>()) {
            Some(Ok(n)) => m.options.push(format!("max_length = {n}")),
            Some(Err(_)) => return Err(format!("type {ty}: a length teapot cannot read")),
            None => {}
        }
        Ok(m)
    };
    let decimal = |args: &[String]| -> Result<Mapped, String> {
        match (args.first().map(|a| a.parse::<u32>()), args.get(1).map(|a| a.parse::<u32>())) {
            (Some(Ok(p)), Some(Ok(s))) => {
                Ok(Mapped { options: vec![format!("max_digits = {p}, decimal_places = {s}")], ..mapped("Decimal") })
            }
            (Some(Ok(p)), None) => Ok(Mapped { options: vec![format!("max_digits = {p}, decimal_places = 0")], ..mapped("Decimal") }),
            _ if dialect == Dialect::Sqlite => Ok(Mapped {
                options: vec!["max_digits = 20, decimal_places = 10".to_string()],
                note: Some(
                    "SQLite keeps no precision for a decimal: max_digits and decimal_places are placeholders, set the real ones"
                        .to_string(),
                ),
                ..mapped("Decimal")
            }),
            _ => Err(format!("type {ty}: a numeric without precision and scale; teapot's Decimal has both (numeric(p, s))")),
        }
    };
    match dialect {
        Dialect::Postgres => match base.as_str() {
            "smallint" => Ok(int("i16")),
            "integer" => Ok(int("i32")),
            "bigint" => Ok(int("i64")),
            "boolean" => Ok(mapped("bool")),
            "double precision" => Ok(mapped("f64")),
            "character varying" => {
                if args.is_empty() {
                    Err(format!("type {ty}: a varchar without a length; teapot declares text (String) or varchar(n) (max_length = n)"))
                } else {
                    string(&args)
                }
            }
            "text" => string(&[]),
            "numeric" => decimal(&args),
            "date" => Ok(mapped("NaiveDate")),
            "time without time zone" => Ok(mapped("NaiveTime")),
            "timestamp with time zone" => Ok(mapped("DateTime<Utc>")),
            "timestamp without time zone" => Ok(mapped("NaiveDateTime")),
            "uuid" => Ok(mapped("Uuid")),
            "jsonb" => Ok(mapped("serde_json::Value")),
            "bytea" => Ok(mapped("Vec<u8>")),
            "interval" => Ok(mapped("TimeDelta")),
            "inet" => Ok(mapped("IpAddr")),
            _ => Err(format!("type {ty}: teapot has no field of this type")),
        },
        Dialect::Sqlite => {
            let positive = base.ends_with(" unsigned");
            let base = base.trim_end_matches(" unsigned");
            let mut out = match base {
                "smallint" => int("i16"),
                // Every integer is "integer" in teapot's SQLite tables but for the positive ones,
                // whose type names the width (`integer unsigned` is an i32's).
                "integer" | "int" if positive => int("i32"),
                "integer" | "int" => int("i64"),
                "bigint" => Mapped {
                    note: Some(
                        "bigint on SQLite: teapot's i64 is `integer` there (check reports the type), and its TimeDelta is `bigint` \
                         (microseconds): if the column holds a duration, declare it TimeDelta"
                            .to_string(),
                    ),
                    ..int("i64")
                },
                "bool" | "boolean" => mapped("bool"),
                "real" | "double" | "double precision" | "float" => mapped("f64"),
                "varchar" | "character varying" => {
                    if args.is_empty() {
                        return Err(format!("type {ty}: a varchar without a length; teapot declares text or varchar(n)"));
                    }
                    string(&args)?
                }
                "text" => string(&[])?,
                "decimal" | "numeric" => decimal(&args)?,
                "date" => mapped("NaiveDate"),
                "time" => mapped("NaiveTime"),
                "datetime" | "timestamp" => mapped("DateTime<Utc>"),
                "char" if args.first().map(String::as_str) == Some("32") => mapped("Uuid"),
                "char" if args.first().map(String::as_str) == Some("39") => mapped("IpAddr"),
                "blob" => mapped("Vec<u8>"),
                _ => return Err(format!("type {ty}: teapot has no field of this type")),
            };
            if positive {
                if !out.integer {
                    return Err(format!("type {ty}: unsigned, but not an integer"));
                }
                out.options.push("positive".to_string());
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_types() {
        let m = map_type(Dialect::Postgres, "character varying(100)").unwrap();
        assert_eq!((m.rust.as_str(), m.options.clone(), m.textual), ("String", vec!["max_length = 100".to_string()], true));
        let m = map_type(Dialect::Postgres, "numeric(8,2)").unwrap();
        assert_eq!(m.options, vec!["max_digits = 8, decimal_places = 2".to_string()]);
        assert_eq!(map_type(Dialect::Postgres, "interval").unwrap().rust, "TimeDelta");
        assert_eq!(map_type(Dialect::Postgres, "inet").unwrap().rust, "IpAddr");
        assert!(map_type(Dialect::Postgres, "integer[]").unwrap_err().contains("no field"));
        assert!(map_type(Dialect::Postgres, "numeric").is_err());
        assert!(map_type(Dialect::Postgres, "character varying").is_err());
    }

    #[test]
    fn sqlite_types() {
        let m = map_type(Dialect::Sqlite, "integer unsigned").unwrap();
        assert_eq!((m.rust.as_str(), m.options.clone()), ("i32", vec!["positive".to_string()]));
        assert_eq!(map_type(Dialect::Sqlite, "char(32)").unwrap().rust, "Uuid");
        assert!(map_type(Dialect::Sqlite, "decimal").unwrap().note.is_some());
        assert!(!map_type(Dialect::Sqlite, "varchar(5)").unwrap().textual);
    }
}
