//! `teapot inspectdb`: model declarations written from a live database, to adopt a database
//! teapot did not build (very often one Django built).
//!
//! The live schema comes from the same introspection drift reads ([`introspect::schema`]); each
//! table becomes a model (one file per app, tables named `app_model` grouped into the app
//! `app`), each column a field, and what the field implies (its index, its `_like` index, its
//! UNIQUE, its positive CHECK, its foreign key) is matched against the objects the table has, so
//! that only what is left is declared by hand (`index(...)`, `unique(...)`, `check(...)`). A join
//! table shaped like the one a many-to-many field makes becomes that field. What has no
//! declaration is written as a comment saying why, never guessed.
//!
//! The declarations are then read back with the reader the CLI and the derive use, the schema
//! they imply is rendered ([`crate::check::expected`]) and compared with the live one
//! ([`crate::check::drift::compare`]): what still differs is returned, so the caller can say
//! what `check --database-url` will report after adopting.

mod render;
mod types;

use std::collections::{BTreeMap, BTreeSet};

use teapot_core::{Connection as Conn, Dialect, Error, ErrorKind, Result};
use teapot_schema::{read_source_items, resolve_with_choices, FieldType, OnDelete, SchemaError, SourcedDeclaration};

use crate::backend::introspect::{self, Schema, Table};
use crate::check::drift::{compare, Context, Difference};
use crate::check::expected::expected_schema;

/// What to inspect.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// Only these tables (all but teapot's and Django's bookkeeping when empty).
    pub tables: Vec<String>,
    /// Put every model in this app, instead of grouping tables named `app_model` by their prefix.
    pub app: Option<String>,
}

/// The declarations written, and what they leave unsaid.
#[derive(Debug, Clone, Default)]
pub struct Inspected {
    /// One model file per app.
    pub apps: Vec<InspectedApp>,
    /// Tables left out, and columns or objects that have no declaration, one line each.
    pub notes: Vec<String>,
    /// What the live schema still has that the declarations do not imply (or the other way
    /// round): what `teapot check --database-url` reports once the models are adopted.
    pub remaining: Vec<Difference>,
    /// The database has a `django_migrations` table (a Django project made it, or shares it).
    pub django: bool,
}

/// The model file of one app.
#[derive(Debug, Clone, Default)]
pub struct InspectedApp {
    /// The app's label.
    pub label: String,
    /// The Rust source of its models.
    pub source: String,
    /// The `default_auto_field` its join tables' keys need (`AutoField` when they are integer);
    /// None for bigint, the default.
    pub default_auto_field: Option<String>,
    /// How many models it declares.
    pub models: usize,
    /// Its join tables' foreign keys have NO ACTION (Django's way): the app needs
    /// `on_delete = "orm"` (a join table's constraint otherwise has ON DELETE CASCADE).
    pub on_delete_orm: bool,
}

/// Tables that are bookkeeping, never models: teapot's own, and Django's record of its migrations.
fn bookkeeping(table: &str) -> bool {
    table.starts_with("teapot_") || table == "django_migrations"
}

/// Reads the connected database and writes model declarations for its tables.
pub async fn inspect(conn: &mut Conn, opts: &InspectOptions) -> Result<Inspected> {
    let live = introspect::schema(conn).await?;
    inspect_schema(&live, conn.dialect(), opts)
}

/// Where a table goes: its app and its model's name.
#[derive(Debug, Clone)]
struct Plan {
    app: String,
    name: String,
}

/// A join table shaped like the one a many-to-many field makes.
#[derive(Debug, Clone)]
struct M2m {
    owner: String,
    field: String,
    target: String,
    join: String,
    key_type: String,
    /// Its foreign keys have NO ACTION.
    no_action: bool,
}

/// The declarations for a schema already read (see [`inspect`]).
pub fn inspect_schema(live: &Schema, dialect: Dialect, opts: &InspectOptions) -> Result<Inspected> {
    let django = live.tables.contains_key("django_migrations");
    let mut notes = Vec::new();
    let chosen: BTreeSet<String> = if opts.tables.is_empty() {
        live.tables.keys().filter(|t| !bookkeeping(t)).cloned().collect()
    } else {
        for t in &opts.tables {
            if !live.tables.contains_key(t) {
                let some: Vec<&str> = live.tables.keys().filter(|t| !bookkeeping(t)).take(20).map(String::as_str).collect();
                return Err(Error::new(ErrorKind::Usage, format!("the database has no table {t:?}"))
                    .hint(format!("its tables are: {}", some.join(", "))));
            }
        }
        opts.tables.iter().cloned().collect()
    };
    if let Some(app) = &opts.app {
        if !render::is_identifier(app) {
            return Err(Error::new(ErrorKind::Usage, format!("--app {app:?} is not an app label"))
                .hint("an app label is a lowercase identifier, e.g. --app legacy"));
        }
    }
    let mut plans: BTreeMap<String, Plan> = BTreeMap::new();
    let mut taken: BTreeSet<(String, String)> = BTreeSet::new();
    for table in &chosen {
        let app = opts.app.clone().unwrap_or_else(|| app_of(table));
        let base = render::struct_name(table.strip_prefix(&format!("{app}_")).unwrap_or(table));
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert((app.clone(), name.to_lowercase())) {
            name = format!("{base}{n}");
            n += 1;
        }
        plans.insert(table.clone(), Plan { app, name });
    }
    let m2ms = join_tables(live, &plans);
    for m in &m2ms {
        plans.remove(&m.join);
    }
    // Relations to the same model twice (or more) each need a related_name, as Django requires.
    let mut relations: BTreeMap<(String, String), usize> = BTreeMap::new();
    for table in plans.keys() {
        for fk in &live.tables[table].foreign_keys {
            *relations.entry((table.clone(), fk.to_table.clone())).or_default() += 1;
        }
    }
    for m in &m2ms {
        *relations.entry((m.owner.clone(), m.target.clone())).or_default() += 1;
    }
    let mut by_app: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, plan) in &plans {
        by_app.entry(plan.app.clone()).or_default().push(table.clone());
    }
    let ctx = render::Ctx { live, dialect, plans: &plans, m2ms: &m2ms, relations: &relations };
    let mut apps = Vec::new();
    for (app, tables) in &by_app {
        let mut body = String::new();
        let mut models = 0;
        for table in tables {
            let (text, declared, mut table_notes) = render::model(&ctx, table, &live.tables[table]);
            body.push_str(&text);
            body.push('\n');
            models += usize::from(declared);
            notes.append(&mut table_notes);
        }
        let own: Vec<&M2m> = m2ms.iter().filter(|m| plans.get(&m.owner).is_some_and(|p| &p.app == app)).collect();
        let keys: BTreeSet<&str> = own.iter().map(|m| m.key_type.as_str()).collect();
        // Django's database: NO ACTION everywhere, so the ORM does the actions (unless this app's
        // constraints have actions of their own: then the database does them).
        let actions = tables.iter().flat_map(|t| &live.tables[t].foreign_keys).any(|f| f.on_delete != "NO ACTION");
        let on_delete_orm = own.iter().any(|m| m.no_action) || (django && !actions);
        // SQLite's join tables are keyed `integer` whatever the setting: nothing to read there.
        let default_auto_field = match keys.iter().next().filter(|_| dialect == Dialect::Postgres) {
            Some(&"integer") => Some("AutoField".to_string()),
            Some(&"smallint") => Some("SmallAutoField".to_string()),
            _ => None,
        };
        if keys.len() > 1 && dialect == Dialect::Postgres {
            notes.push(format!(
                "app {app}: its join tables have keys of different types ({}): one default_auto_field fits only some",
                keys.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        }
        let source = format!("{}{body}", render::header(app, dialect, django));
        apps.push(InspectedApp {
            label: app.clone(),
            source: source.trim_end().to_string() + "\n",
            default_auto_field,
            models,
            on_delete_orm,
        });
    }
    let mut covered: BTreeSet<String> = plans.keys().cloned().collect();
    covered.extend(m2ms.iter().map(|m| m.join.clone()));
    let remaining = verify(&apps, live, &covered, dialect)?;
    Ok(Inspected { apps, notes, remaining, django })
}

/// The app of a table named like Django's (`library_book` -> `library`); `main` for a table
/// with no prefix.
fn app_of(table: &str) -> String {
    match table.split_once('_') {
        Some((app, rest))
            if !rest.is_empty() && render::is_identifier(app) && app.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) =>
        {
            app.to_string()
        }
        _ => "main".to_string(),
    }
}

/// Tables shaped like the join table of a many-to-many field: `id`, two key columns pointing at
/// two other tables' keys, unique together; named `{owner table}_{field}`, the columns
/// `{owner}_id` and `{target}_id` (the models' names lowercased).
fn join_tables(live: &Schema, plans: &BTreeMap<String, Plan>) -> Vec<M2m> {
    let mut out = Vec::new();
    for (table, t) in &live.tables {
        if !plans.contains_key(table) || t.columns.len() != 3 || t.foreign_keys.len() != 2 {
            continue;
        }
        let Some(id) = t.columns.get("id") else { continue };
        if !id.identity || t.primary_key.as_ref().map(|k| k.columns.as_slice()) != Some(&["id".to_string()][..]) {
            continue;
        }
        let pair = |a: &str, b: &str| {
            let cols = [a.to_string(), b.to_string()];
            t.uniques.iter().any(|u| u.columns == cols) || t.indexes.iter().any(|i| i.unique && i.condition.is_none() && i.columns == cols)
        };
        let (f1, f2) = (&t.foreign_keys[0], &t.foreign_keys[1]);
        for (from, to) in [(f1, f2), (f2, f1)] {
            let ([a], [b]) = (from.columns.as_slice(), to.columns.as_slice()) else { continue };
            if from.to_table == to.to_table || from.to_table == *table || to.to_table == *table {
                continue;
            }
            let (Some(owner), Some(target)) = (plans.get(&from.to_table), plans.get(&to.to_table)) else { continue };
            let Some(field) = table.strip_prefix(&format!("{}_", from.to_table)) else { continue };
            if !render::is_identifier(field) || render::is_keyword(field) {
                continue;
            }
            let (ca, cb) = teapot_schema::naming::m2m_columns(&owner.name, &target.name);
            let points_at_keys = [(from, &from.to_table), (to, &to.to_table)].iter().all(|(fk, to_table)| {
                live.tables.get(*to_table).and_then(|tt| tt.primary_key.as_ref()).is_some_and(|k| k.columns == fk.to_columns)
            });
            let linked = t.columns.get(a).is_some_and(|c| !c.null) && t.columns.get(b).is_some_and(|c| !c.null);
            if *a == ca && *b == cb && pair(a, b) && points_at_keys && linked {
                out.push(M2m {
                    owner: from.to_table.clone(),
                    field: field.to_string(),
                    target: to.to_table.clone(),
                    join: table.clone(),
                    key_type: id.ty.clone(),
                    no_action: from.on_delete == "NO ACTION" && to.on_delete == "NO ACTION",
                });
                break;
            }
        }
    }
    out
}

/// Reads the declarations back as `teapot makemigrations` would, and compares the schema they
/// imply with the live tables they cover.
fn verify(apps: &[InspectedApp], live: &Schema, covered: &BTreeSet<String>, dialect: Dialect) -> Result<Vec<Difference>> {
    let mut decls = Vec::new();
    for a in apps {
        let file = std::path::PathBuf::from(format!("{}.rs", a.label));
        let found = read_source_items(&a.source, Some(&a.label)).map_err(|e| {
            Error::from(SchemaError::from_read(&e, Some(file.clone())))
                .context("inspectdb wrote a declaration teapot cannot read back (a bug in inspectdb: please report it with the table)")
        })?;
        decls.extend(found.models.into_iter().map(|decl| SourcedDeclaration { file: file.clone(), decl }));
    }
    let mut state = resolve_with_choices(&mut decls, &[])
        .map_err(|e| Error::from(e).context("inspectdb wrote declarations teapot cannot resolve (a bug in inspectdb: please report it)"))?;
    // The settings the printed teapot.toml gives each app, applied as makemigrations applies them.
    for m in state.models_mut() {
        let app = apps.iter().find(|a| a.label == m.app);
        let key = match app.and_then(|a| a.default_auto_field.as_deref()) {
            Some("AutoField") => Some(FieldType::Integer),
            Some("SmallAutoField") => Some(FieldType::Smallint),
            _ => None,
        };
        let orm = app.is_some_and(|a| a.on_delete_orm);
        for (_, f) in m.fields.iter_mut() {
            if f.makes_join_table() {
                f.join_key = key;
            }
            let no_action = matches!(f.on_delete, Some(OnDelete::DoNothing | OnDelete::Protect));
            if f.ty.is_relation() && f.through.is_none() && !no_action {
                f.orm_on_delete = orm;
            }
        }
    }
    let expected = expected_schema(&state, dialect)?;
    let mut sub = Schema::default();
    for t in covered {
        let table: Table = live.tables.get(t).cloned().unwrap_or_default();
        sub.tables.insert(t.clone(), table);
    }
    Ok(compare(&expected, &sub, &Context::default()))
}
