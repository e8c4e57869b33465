//! A model field as the state knows it: its logical type and the options that shape its column.
//!
//! This is what migration files store (`field = { type = "integer", null = true }`), so every
//! attribute has a stable serialised name and defaults that are left out when written.

use serde::{Deserialize, Serialize};

/// The logical type of a field; each backend maps it to a column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// `i16`: smallint.
    Smallint,
    /// `i32`: integer.
    Integer,
    /// `i64`: bigint.
    Bigint,
    /// `bool`: boolean.
    Boolean,
    /// `f64`: double precision.
    Float,
    /// `String`: varchar(max_length), or text without a max_length.
    String,
    /// `Decimal`: numeric(max_digits, decimal_places).
    Decimal,
    /// `NaiveDate`: date.
    Date,
    /// `NaiveTime`: time.
    Time,
    /// `DateTime<Utc>`: timestamp with time zone.
    Datetime,
    /// `NaiveDateTime`: timestamp without time zone on PostgreSQL. A teapot extension: Django's
    /// DateTimeField is always `timestamp with time zone` (with USE_TZ); a Django project sharing
    /// the table sees a column it would not have made. On SQLite it is stored as `DateTime<Utc>`
    /// is: `datetime`, text in the form `YYYY-MM-DD HH:MM:SS[.ffffff]`.
    NaiveDatetime,
    /// `Uuid`: uuid.
    Uuid,
    /// `serde_json::Value`: jsonb.
    Json,
    /// `Vec<u8>`: bytea.
    Binary,
    /// `TimeDelta` (chrono's `Duration`): interval on PostgreSQL, bigint microseconds on SQLite,
    /// as Django's DurationField.
    Duration,
    /// `std::net::IpAddr`: inet on PostgreSQL, char(39) on SQLite, as Django's
    /// GenericIPAddressField.
    IpAddress,
    /// `ForeignKey<T>`: a column `{name}_id` of T's key type, with a constraint.
    ForeignKey,
    /// `ManyToMany<T>`: no column; a join table `{table}_{name}`.
    ManyToMany,
}

impl FieldType {
    /// The name used in migration files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Smallint => "smallint",
            FieldType::Integer => "integer",
            FieldType::Bigint => "bigint",
            FieldType::Boolean => "boolean",
            FieldType::Float => "float",
            FieldType::String => "string",
            FieldType::Decimal => "decimal",
            FieldType::Date => "date",
            FieldType::Time => "time",
            FieldType::Datetime => "datetime",
            FieldType::NaiveDatetime => "naive_datetime",
            FieldType::Uuid => "uuid",
            FieldType::Json => "json",
            FieldType::Binary => "binary",
            FieldType::Duration => "duration",
            FieldType::IpAddress => "ip_address",
            FieldType::ForeignKey => "foreign_key",
            FieldType::ManyToMany => "many_to_many",
        }
    }

    /// Whether a value of this type is an integer (the types an identity key may have).
    pub fn is_integer(self) -> bool {
        matches!(self, FieldType::Smallint | FieldType::Integer | FieldType::Bigint)
    }

    /// Whether a value of this type is a date or a moment (the types `auto_now` applies to).
    pub fn is_date_like(self) -> bool {
        matches!(self, FieldType::Date | FieldType::Datetime | FieldType::NaiveDatetime)
    }

    /// Whether this field points at another model.
    pub fn is_relation(self) -> bool {
        matches!(self, FieldType::ForeignKey | FieldType::ManyToMany)
    }
}

/// What happens to referring rows when the referred row is deleted (Django's `on_delete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum OnDelete {
    /// Delete the referring rows too.
    Cascade,
    /// Refuse the delete while referring rows exist, unless the same delete removes them by a
    /// cascade (Django's RESTRICT).
    Restrict,
    /// Refuse the delete while referring rows exist, whatever else the delete removes (Django's
    /// PROTECT). Always checked by the ORM; the database has NO ACTION, as Django leaves it.
    Protect,
    /// Set the referring column to NULL (the field must be nullable).
    SetNull,
    /// Set the referring column to its database default.
    SetDefault,
    /// Do nothing (the deferred constraint check fails at commit if rows still refer).
    DoNothing,
}

impl OnDelete {
    /// All actions, in the spelling declarations and migration files use.
    pub const ALL: [&'static str; 6] = ["cascade", "protect", "restrict", "set_null", "set_default", "do_nothing"];

    /// Parses the spelling used in declarations.
    pub fn parse(s: &str) -> Option<OnDelete> {
        Some(match s {
            "cascade" => OnDelete::Cascade,
            "restrict" => OnDelete::Restrict,
            "protect" => OnDelete::Protect,
            "set_null" => OnDelete::SetNull,
            "set_default" => OnDelete::SetDefault,
            "do_nothing" => OnDelete::DoNothing,
            _ => return None,
        })
    }

    /// The spelling used in declarations and migration files.
    pub fn as_str(self) -> &'static str {
        match self {
            OnDelete::Cascade => "cascade",
            OnDelete::Restrict => "restrict",
            OnDelete::Protect => "protect",
            OnDelete::SetNull => "set_null",
            OnDelete::SetDefault => "set_default",
            OnDelete::DoNothing => "do_nothing",
        }
    }

    /// The SQL action, as it follows `ON DELETE`, when the database does it (PROTECT is done by
    /// the ORM: NO ACTION).
    pub fn sql(self) -> &'static str {
        match self {
            OnDelete::Cascade => "CASCADE",
            OnDelete::Restrict => "RESTRICT",
            OnDelete::Protect => "NO ACTION",
            OnDelete::SetNull => "SET NULL",
            OnDelete::SetDefault => "SET DEFAULT",
            OnDelete::DoNothing => "NO ACTION",
        }
    }
}

/// A literal default: used by the ORM on create and as the value existing rows get when a migration
/// adds the column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (also dates, times, uuids and decimals, in their text form).
    Str(String),
}

impl Literal {
    /// The literal as SQL text: strings quoted with `'` doubled, numbers and booleans as written.
    pub fn to_sql(&self) -> String {
        match self {
            Literal::Bool(true) => "true".into(),
            Literal::Bool(false) => "false".into(),
            Literal::Int(i) => i.to_string(),
            Literal::Float(f) => format_float(*f),
            Literal::Str(s) => format!("'{}'", s.replace('\'', "''")),
        }
    }
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Literal::Str(s) => write!(f, "{s:?}"),
            other => f.write_str(&other.to_sql()),
        }
    }
}

/// Formats a float so it reads back as a float (`0` becomes `0.0`).
pub fn format_float(f: f64) -> String {
    let s = f.to_string();
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

/// A default computed when a value is needed, one of Django's well-known callables: the ORM calls
/// it for each new instance (`Model::defaults()`); the column has no database default, as in
/// Django; a migration that adds the column (or makes it NOT NULL) fills the rows there with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultFn {
    /// `uuid.uuid4`: a new random UUID.
    Uuid4,
    /// `timezone.now`: the current moment.
    Now,
    /// `date.today`: the current date.
    Today,
    /// `dict`: an empty JSON object.
    Dict,
    /// `list`: an empty JSON array.
    List,
}

impl DefaultFn {
    /// Every callable, as declared (`#[teapot(default = uuid4)]`).
    pub const ALL: [&'static str; 5] = ["uuid4", "now", "today", "dict", "list"];

    /// The callable a declaration names.
    pub fn parse(s: &str) -> Option<DefaultFn> {
        Some(match s {
            "uuid4" => DefaultFn::Uuid4,
            "now" => DefaultFn::Now,
            "today" => DefaultFn::Today,
            "dict" => DefaultFn::Dict,
            "list" => DefaultFn::List,
            _ => return None,
        })
    }

    /// Its name in declarations and migration files.
    pub fn as_str(self) -> &'static str {
        match self {
            DefaultFn::Uuid4 => "uuid4",
            DefaultFn::Now => "now",
            DefaultFn::Today => "today",
            DefaultFn::Dict => "dict",
            DefaultFn::List => "list",
        }
    }

    /// Whether it gives values of a field type.
    pub fn fits(self, ty: FieldType) -> bool {
        matches!(
            (self, ty),
            (DefaultFn::Uuid4, FieldType::Uuid)
                | (DefaultFn::Now, FieldType::Datetime | FieldType::NaiveDatetime)
                | (DefaultFn::Today, FieldType::Date)
                | (DefaultFn::Dict | DefaultFn::List, FieldType::Json)
        )
    }

    /// The field types it gives values of, for messages.
    pub fn types(self) -> &'static str {
        match self {
            DefaultFn::Uuid4 => "Uuid",
            DefaultFn::Now => "DateTime<Utc> or NaiveDateTime",
            DefaultFn::Today => "NaiveDate",
            DefaultFn::Dict | DefaultFn::List => "serde_json::Value",
        }
    }
}

/// One choice of a field declared with a `#[derive(Choices)]` enum: the value stored, and its
/// label. Written in migration files as `["d", "Draft"]`, as Django writes `("d", "Draft")`.
pub type Choice = (Literal, String);

fn is_false(b: &bool) -> bool {
    !*b
}

/// One field of a model. The name is kept beside it (in [`crate::ModelState::fields`]), so two
/// fields that differ only in name compare equal: that is what makes a rename candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// The logical type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// varchar(n); text when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// numeric precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_digits: Option<u32>,
    /// numeric scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimal_places: Option<u32>,
    /// NULL allowed (`Option<T>`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub null: bool,
    /// The primary key.
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary_key: bool,
    /// The database generates the value (an identity column).
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto: bool,
    /// A UNIQUE constraint on the column.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// An index on the column.
    #[serde(default, skip_serializing_if = "is_false")]
    pub db_index: bool,
    /// The column name when it is not the default one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_column: Option<String>,
    /// A literal the ORM uses on create and a migration uses to fill existing rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Literal>,
    /// An SQL expression kept as the column's default in the database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_default: Option<String>,
    /// The choices of a field whose type is a `#[derive(Choices)]` enum, as Django records
    /// `choices=[...]`: kept in the migration state (a change is an AlterField), with no effect on
    /// the database (no CHECK constraint; altering them runs no SQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<Choice>>,
    /// The ORM sets the field to the current moment on every save (Django's `auto_now`). No
    /// effect on the database.
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_now: bool,
    /// The ORM sets the field to the current moment when the row is inserted (Django's
    /// `auto_now_add`). No effect on the database.
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_now_add: bool,
    /// For relations: the model pointed at, as `app.Model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// For foreign keys: what happens to the referring rows on delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<OnDelete>,
    /// For foreign keys and many-to-many fields: the ORM does the `on_delete` action and the
    /// database's constraint has NO ACTION (Django's way, `[project] on_delete = "orm"`), rather
    /// than the constraint doing it. Recorded from the setting when the field is migrated, so the
    /// history replays the same whatever the setting says later.
    #[serde(default, skip_serializing_if = "is_false")]
    pub orm_on_delete: bool,
    /// For a field with a literal `default`: the ORM alone fills it in and the column has no
    /// DEFAULT (Django's way, `[project] defaults = "orm"`); the default still fills the rows a
    /// migration adding the column finds, and is dropped right after, as Django does. Recorded
    /// from the setting, so the history replays the same whatever the setting says later.
    #[serde(default, skip_serializing_if = "is_false")]
    pub orm_default: bool,
    /// For relations: the name of the reverse accessor on the target model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_name: Option<String>,
    /// For relations: the name of the reverse relation in filters (Django's `related_query_name`);
    /// when absent, the related_name, else the model's name lowercased. No effect on the database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_query_name: Option<String>,
    /// For foreign keys: at most one referring row per target (a unique foreign key).
    #[serde(default, skip_serializing_if = "is_false")]
    pub one_to_one: bool,
    /// For many-to-many fields: the model (`app.Model`) whose rows are the links, with a foreign
    /// key to each side and fields of its own (Django's `through`). No join table is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<String>,
    /// For many-to-many fields with `through`: the through model's foreign keys to this model and
    /// to the target, when it has more than one to either (Django's `through_fields`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through_fields: Option<(String, String)>,
    /// For many-to-many fields: the type of the join table's `id` when it is not bigint
    /// (`integer` or `smallint`), from the project's `default_auto_field` when the join table was
    /// made (Django's DEFAULT_AUTO_FIELD / AppConfig.default_auto_field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_key: Option<FieldType>,
    /// For integer fields: never below 0, as Django's PositiveSmallIntegerField /
    /// PositiveIntegerField / PositiveBigIntegerField: a `CHECK ("col" >= 0)` on the column.
    #[serde(default, skip_serializing_if = "is_false")]
    pub positive: bool,
    /// A callable default (Django's `default=uuid.uuid4`, ...): called by the ORM for new
    /// instances; no database default. Written `default_fn = "uuid4"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_fn: Option<DefaultFn>,
    /// A stored generated column (Django's `GeneratedField(db_persist=True)`): the SQL
    /// expression, as Django compiles it (`("price" * "qty")`); the column is
    /// `GENERATED ALWAYS AS (expr) STORED`, never written by the ORM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
}

impl Field {
    /// A field of the given type with every option off.
    pub fn new(ty: FieldType) -> Field {
        Field {
            ty,
            null: false,
            primary_key: false,
            auto: false,
            unique: false,
            db_index: false,
            max_length: None,
            max_digits: None,
            decimal_places: None,
            db_column: None,
            default: None,
            db_default: None,
            choices: None,
            auto_now: false,
            auto_now_add: false,
            to: None,
            on_delete: None,
            orm_on_delete: false,
            orm_default: false,
            related_name: None,
            related_query_name: None,
            one_to_one: false,
            through: None,
            through_fields: None,
            join_key: None,
            positive: false,
            default_fn: None,
            generated: None,
        }
    }

    /// The column this field is stored in, or None for a many-to-many field.
    pub fn column(&self, name: &str) -> Option<String> {
        if self.ty == FieldType::ManyToMany {
            return None;
        }
        if let Some(c) = &self.db_column {
            return Some(c.clone());
        }
        Some(if self.ty == FieldType::ForeignKey { format!("{name}_id") } else { name.to_string() })
    }

    /// Whether the two fields make the same column: they differ at most in what only the ORM and
    /// the migration state use (choices, auto_now, auto_now_add, related_query_name, an on_delete
    /// the ORM does), as Django's `non_db_attrs`. An AlterField between such fields runs no SQL.
    pub fn same_in_database(&self, other: &Field) -> bool {
        // A callable default is the ORM's (and fills rows only when a migration adds the column or
        // makes it NOT NULL, which the alter's own null change says); related_query_name is the ORM's.
        let strip = |f: &Field| Field {
            choices: None,
            auto_now: false,
            auto_now_add: false,
            default_fn: None,
            related_query_name: None,
            on_delete: f.database_on_delete(),
            orm_on_delete: false,
            ..f.clone()
        };
        strip(self) == strip(other)
    }

    /// The action the foreign key constraint has in the database: None for NO ACTION (no
    /// `ON DELETE` clause), which is what a DO_NOTHING or PROTECT field has, and every field whose
    /// action the ORM does (`orm_on_delete`).
    pub fn database_on_delete(&self) -> Option<OnDelete> {
        match self.on_delete {
            Some(OnDelete::DoNothing | OnDelete::Protect) | None => None,
            Some(_) if self.orm_on_delete => None,
            Some(a) => Some(a),
        }
    }

    /// The ` ON DELETE ...` clause of the foreign key constraint, or "" for NO ACTION.
    pub fn on_delete_clause(&self) -> String {
        self.database_on_delete().map(|a| format!(" ON DELETE {}", a.sql())).unwrap_or_default()
    }

    /// The foreign key of a many-to-many field's join table to `to` (`app.Model`): CASCADE, done
    /// by the database or, when the field records it, by the ORM.
    pub fn join_foreign_key(&self, to: String) -> Field {
        let mut fk = Field::new(FieldType::ForeignKey);
        fk.to = Some(to);
        fk.on_delete = Some(OnDelete::Cascade);
        fk.orm_on_delete = self.orm_on_delete;
        fk
    }

    /// The condition a positive field's column has: Django's `data_type_check_constraints`.
    pub fn column_check(&self, column: &str) -> Option<String> {
        self.positive.then(|| format!("\"{}\" >= 0", column.replace('"', "\"\"")))
    }

    /// Whether this is a many-to-many field whose join table teapot makes (no `through` model).
    pub fn makes_join_table(&self) -> bool {
        self.ty == FieldType::ManyToMany && self.through.is_none()
    }

    /// The type of a many-to-many field's join table `id`: bigint unless recorded otherwise.
    pub fn join_key_type(&self) -> FieldType {
        self.join_key.unwrap_or(FieldType::Bigint)
    }

    /// Whether the column is UNIQUE (declared unique, or a one-to-one key).
    pub fn is_unique(&self) -> bool {
        self.unique || self.one_to_one || self.primary_key
    }

    /// The default the column has in the database: its `db_default`, else its literal `default`.
    /// A declared default is kept in the database (in both modes of migrate), so a writer that does
    /// not set the column — code still deployed while the migration runs — gets it; unless the
    /// field records `orm_default` (Django's way), where only [`Field::fill_default`] fills the
    /// rows a migration finds. A one-off value given to makemigrations is not part of the model:
    /// it only fills the rows that exist.
    pub fn database_default(&self) -> Option<String> {
        if self.ty == FieldType::ManyToMany {
            return self.db_default.clone();
        }
        self.db_default.clone().or_else(|| if self.orm_default { None } else { self.default.as_ref().map(Literal::to_sql) })
    }

    /// The literal default that fills existing rows without staying in the column: a field's
    /// `default` under `orm_default` (Django sets it as the column's DEFAULT for the statement that
    /// adds the column, or makes it NOT NULL, and drops it right after).
    pub fn fill_default(&self) -> Option<String> {
        self.default.as_ref().filter(|_| self.orm_default && self.db_default.is_none()).map(Literal::to_sql)
    }

    /// Whether the column gets its own index (declared, or a foreign key as Django gives it one;
    /// a unique column already has one).
    pub fn has_index(&self) -> bool {
        (self.db_index || self.ty == FieldType::ForeignKey) && !self.is_unique()
    }

    /// The target model as `(app, Model)`, for relations.
    pub fn target(&self) -> Option<(&str, &str)> {
        self.to.as_deref().and_then(|t| t.split_once('.'))
    }

    /// A short human description, e.g. `varchar(200) NOT NULL`, for questions and messages.
    pub fn describe(&self) -> String {
        let mut s = match self.ty {
            FieldType::String => match self.max_length {
                Some(n) => format!("string(max_length = {n})"),
                None => "string (text)".into(),
            },
            FieldType::Decimal => format!("decimal({}, {})", self.max_digits.unwrap_or(0), self.decimal_places.unwrap_or(0)),
            FieldType::ForeignKey | FieldType::ManyToMany => {
                format!("{} to {}", self.ty.as_str(), self.to.as_deref().unwrap_or("?"))
            }
            other => other.as_str().to_string(),
        };
        if self.null {
            s.push_str(", null");
        }
        if self.unique {
            s.push_str(", unique");
        }
        if self.db_index {
            s.push_str(", db_index");
        }
        if let Some(c) = &self.choices {
            s.push_str(&format!(", {} choices", c.len()));
        }
        if self.auto_now {
            s.push_str(", auto_now");
        }
        if self.auto_now_add {
            s.push_str(", auto_now_add");
        }
        if let Some(d) = self.default_fn {
            s.push_str(&format!(", default = {}", d.as_str()));
        }
        if let Some(g) = &self.generated {
            s.push_str(&format!(", generated = {g}"));
        }
        s
    }
}
