//! What the ORM does to the rows that point at the rows it deletes: each foreign key's
//! `on_delete` (CASCADE, SET NULL, SET DEFAULT, PROTECT, RESTRICT, DO NOTHING), where the
//! database's constraint does not do it itself.
//!
//! A teapot project keeps the action in the constraint by default (`ON DELETE CASCADE`): the
//! delete is then one statement. Under `[project] on_delete = "orm"` — and on a database Django
//! built — the constraints have NO ACTION and the ORM does the action, as Django's deletion
//! collector does: it reads the keys of the rows deleted, follows every foreign key in the program
//! that points at them, and deletes, updates or refuses in one transaction (a savepoint inside a
//! caller's transaction). PROTECT is always checked here (its constraint has NO ACTION in both
//! modes, as Django leaves it).
//!
//! The derive sees one model at a time, so each model registers its foreign keys (and its join
//! tables') in a registry collected when the program starts (the `inventory` crate); which of them
//! the database already acts on is read from the catalog once per [`Db`]
//! ([`Db::delete_actions`]). A foreign key whose table has no such constraint in the database (a
//! model of another database, a table not made) is left alone.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use sea_query::{Alias, Expr, ExprTrait, Query};
pub use teapot_core::catalog::DbAction;
use teapot_core::catalog::DeleteActions;
use teapot_core::{Db, DbRow, Error, ErrorKind, Result, Value};
use teapot_schema::OnDelete;

use super::sql::value;
use super::statement::{execute, fetch_all};
use super::BoxFuture;

/// One foreign key of a model in the program, as the derive registers it: the rows of `table`
/// whose `column` holds a key of `to_table`.
#[derive(Debug)]
pub struct Relation {
    /// The referring model's name (`Book`; a join table's is `Book_tags`, as Django names it).
    pub model: &'static str,
    /// The field (`author`; a join table's column's model, `book` or `tag`).
    pub field: &'static str,
    /// The referring table.
    pub table: &'static str,
    /// Its key column.
    pub pk: &'static str,
    /// The foreign key column.
    pub column: &'static str,
    /// The model pointed at.
    pub to_model: &'static str,
    /// Its table.
    pub to_table: &'static str,
    /// What happens to the referring rows.
    pub on_delete: OnDelete,
    /// Whether the referring table is a many-to-many join table (nothing points at its rows).
    pub join: bool,
    /// Decodes the referring table's key from a row's column.
    pub decode_key: fn(&DbRow, usize) -> Result<Value>,
    /// The field's place in its model (the order Django's collector names fields in).
    pub order: u32,
    /// The value SET NULL / SET DEFAULT writes: a NULL of the key's type, or the field's declared
    /// default.
    pub set_to: fn() -> Value,
}

inventory::collect!(Relation);

/// Every registered foreign key pointing at a table, by that table (once per `(table, column)`).
fn relations_to(table: &str) -> &'static [&'static Relation] {
    static BY_TARGET: OnceLock<HashMap<&'static str, Vec<&'static Relation>>> = OnceLock::new();
    let map = BY_TARGET.get_or_init(|| {
        let mut map: HashMap<&'static str, Vec<&'static Relation>> = HashMap::new();
        let mut seen = HashSet::new();
        for r in inventory::iter::<Relation> {
            if seen.insert((r.table, r.column)) {
                map.entry(r.to_table).or_default().push(r);
            }
        }
        for rels in map.values_mut() {
            rels.sort_by_key(|r| (r.model, r.order));
        }
        map
    });
    map.get(table).map(Vec::as_slice).unwrap_or(&[])
}

/// What deleting rows of a table takes, for one foreign key pointing at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    /// Nothing for the ORM: the database acts, or nothing is to be done.
    Database,
    /// The database cascades; rows further down may need the ORM, so the rows are followed.
    DatabaseCascade,
    /// The ORM does the declared action.
    Orm,
}

fn edge(actions: &DeleteActions, r: &Relation) -> Edge {
    let Some(db) = actions.action(r.table, r.column) else { return Edge::Database };
    match (r.on_delete, db) {
        (OnDelete::Protect, _) => Edge::Orm,
        (OnDelete::DoNothing, _) => Edge::Database,
        (_, DbAction::NoAction) => Edge::Orm,
        // The database's RESTRICT refuses at once, even where the referring rows go by a cascade
        // of the same delete: the ORM applies Django's rule and deletes those rows first.
        (OnDelete::Restrict, DbAction::Restrict) => Edge::Orm,
        (_, DbAction::Cascade) => Edge::DatabaseCascade,
        _ => Edge::Database,
    }
}

/// Whether deleting rows of `table` needs the ORM to do anything (an ORM action on a foreign key
/// pointing at it, or below a cascade the database does, or rows a cascade reaches that a
/// RESTRICT may be waiting for).
fn needs_orm(actions: &DeleteActions, table: &str, seen: &mut HashSet<String>) -> bool {
    if !seen.insert(table.to_string()) {
        return false;
    }
    relations_to(table).iter().any(|r| match edge(actions, r) {
        Edge::Orm => true,
        Edge::DatabaseCascade => restricts(r.table) || needs_orm(actions, r.table, seen),
        Edge::Database => false,
    })
}

/// Whether rows of `table` may be kept by a RESTRICT foreign key of theirs (then the collector
/// must know which of them it deletes).
fn restricts(table: &str) -> bool {
    static SOURCES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SOURCES
        .get_or_init(|| inventory::iter::<Relation>.into_iter().filter(|r| r.on_delete == OnDelete::Restrict).map(|r| r.table).collect())
        .contains(table)
}

/// Whether a delete from `table` may need the ORM to act: decided without a query when no
/// foreign key in the program points at it with an action (DO NOTHING needs nothing), else from
/// the catalog (read once per [`Db`]).
pub(crate) async fn needs_collector(db: &Db, table: &str) -> Result<bool> {
    if relations_to(table).iter().all(|r| r.on_delete == OnDelete::DoNothing) {
        return Ok(false);
    }
    let actions = db.delete_actions().await?;
    Ok(needs_orm(&actions, table, &mut HashSet::new()))
}

/// The rows to delete: a table, its key column, and the model's name.
pub(crate) struct Origin {
    /// The model.
    pub(crate) model: &'static str,
    /// Its table.
    pub(crate) table: &'static str,
    /// Its key column.
    pub(crate) pk: &'static str,
}

/// The keys of the rows to delete: known (an instance's), or read by a query in the transaction.
pub(crate) enum Keys {
    /// These.
    Known(Vec<Value>),
    /// `SELECT key ...`, and how to decode a row's key.
    Select(Box<sea_query::SelectStatement>, fn(&DbRow) -> Result<Value>),
}

/// Deletes the rows of `origin` with these keys and does every `on_delete` action the database
/// does not, in one transaction (a savepoint in a caller's): the number of `origin`'s rows
/// deleted. A PROTECT or RESTRICT refusal deletes nothing.
pub(crate) async fn delete_collected(db: &Db, origin: Origin, keys: Keys) -> Result<u64> {
    let actions = db.delete_actions().await?;
    db.atomic(|tx| async move {
        let keys = match keys {
            Keys::Known(k) => k,
            Keys::Select(s, decode) => fetch_all(&tx, &*s).await?.iter().map(decode).collect::<Result<Vec<_>>>()?,
        };
        let mut c =
            Collector { db: tx.clone(), actions, order: Vec::new(), seen: HashSet::new(), updates: Vec::new(), restricted: Vec::new() };
        if let Err(p) = c.collect(origin.table, origin.pk, keys).await? {
            return Err(p.error(origin.model));
        }
        c.check_restricted(origin.model)?;
        for (r, keys) in &c.updates {
            let v = (r.set_to)();
            for chunk in keys.chunks(chunk_size(&tx)) {
                let mut u = Query::update();
                u.table(Alias::new(r.table)).value(Alias::new(r.column), value(v.clone())).and_where(is_in(r.column, chunk));
                execute(&tx, &u).await?;
            }
        }
        let mut deleted = 0;
        for i in deletion_order(&c.order) {
            let (table, pk, keys) = &c.order[i];
            let mut n = 0;
            for chunk in keys.chunks(chunk_size(&tx)) {
                let mut d = Query::delete();
                d.from_table(Alias::new(*table)).and_where(is_in(pk, chunk));
                n += execute(&tx, &d).await?;
            }
            if *table == origin.table && *pk == origin.pk {
                deleted += n;
            }
        }
        Ok(deleted)
    })
    .await
}

/// The order to delete the collected rows in: a table's rows after the rows of every other
/// collected table that point at it, as a RESTRICT constraint (checked at once, not at commit)
/// needs (Django's collector sorts its models so too); in a cycle, the rows found last first.
fn deletion_order(order: &[(&'static str, &'static str, Vec<Value>)]) -> Vec<usize> {
    let mut tables: Vec<&str> = Vec::new();
    for (t, _, _) in order.iter().rev() {
        if !tables.contains(t) {
            tables.push(t);
        }
    }
    let mut sorted: Vec<&str> = Vec::new();
    while !tables.is_empty() {
        let free = tables.iter().position(|t| !relations_to(t).iter().any(|r| r.table != *t && tables.contains(&r.table))).unwrap_or(0);
        sorted.push(tables.remove(free));
    }
    let mut out = Vec::new();
    for t in sorted {
        out.extend((0..order.len()).rev().filter(|&i| order[i].0 == t));
    }
    out
}

/// Keys bound in one statement (well under both backends' limits).
fn chunk_size(db: &Db) -> usize {
    db.max_binds().min(10_000)
}

fn is_in(column: &str, keys: &[Value]) -> Expr {
    Expr::col(Alias::new(column)).is_in(keys.iter().cloned().map(value))
}

/// Rows that a PROTECT foreign key keeps from being deleted.
struct Refusal {
    /// `Model.field` of each protecting foreign key (or, below a cascade, of the foreign key the
    /// cascade followed first, as Django names it).
    fields: Vec<String>,
    /// The protecting rows: model, and key.
    rows: Vec<(&'static str, Value)>,
}

impl Refusal {
    fn error(self, model: &str) -> Error {
        protected_error(model, &self.fields, &self.rows)
    }
}

/// `ErrorKind::Protected`, in Django's words, with how many rows and a few of their keys.
fn protected_error(model: &str, fields: &[String], rows: &[(&'static str, Value)]) -> Error {
    let fields: Vec<String> = fields.iter().map(|f| format!("'{f}'")).collect();
    Error::new(
        ErrorKind::Protected,
        format!(
            "Cannot delete some instances of model '{model}' because they are referenced through protected foreign keys: {}. \
             {} protecting row(s): {}",
            fields.join(", "),
            rows.len(),
            some_rows(rows)
        ),
    )
    .hint("delete or repoint the protecting rows first; nothing was deleted")
}

/// A few rows, `Model key`.
fn some_rows(rows: &[(&'static str, Value)]) -> String {
    let mut shown: Vec<String> = rows.iter().take(5).map(|(m, k)| format!("{m} {}", key_text(k))).collect();
    if rows.len() > 5 {
        shown.push("...".into());
    }
    shown.join(", ")
}

fn key_text(v: &Value) -> String {
    match v {
        Value::I16(i) => i.to_string(),
        Value::I32(i) => i.to_string(),
        Value::I64(i) => i.to_string(),
        Value::String(s) => format!("{s:?}"),
        other => format!("{other:?}"),
    }
}

/// Django's collector: the rows to delete by table, the updates to make, the rows RESTRICT keeps.
struct Collector {
    db: Db,
    actions: std::sync::Arc<DeleteActions>,
    /// Tables and keys in the order found.
    order: Vec<(&'static str, &'static str, Vec<Value>)>,
    /// `(table, key)` of every row to delete.
    seen: HashSet<(&'static str, String)>,
    /// SET NULL / SET DEFAULT: the foreign key and the keys it must stop pointing at.
    updates: Vec<(&'static Relation, Vec<Value>)>,
    /// RESTRICT: the foreign key and the referring rows' keys.
    restricted: Vec<(&'static Relation, Vec<Value>)>,
}

fn key_id(v: &Value) -> String {
    format!("{v:?}")
}

impl Collector {
    /// Adds rows to delete and follows what points at them; `Ok(Err(_))` when PROTECT refuses.
    fn collect<'a>(
        &'a mut self,
        table: &'static str,
        pk: &'static str,
        keys: Vec<Value>,
    ) -> BoxFuture<'a, Result<std::result::Result<(), Refusal>>> {
        Box::pin(async move {
            let new: Vec<Value> = keys.into_iter().filter(|k| self.seen.insert((table, key_id(k)))).collect();
            if new.is_empty() {
                return Ok(Ok(()));
            }
            self.order.push((table, pk, new.clone()));
            let mut refused = Refusal { fields: Vec::new(), rows: Vec::new() };
            for r in relations_to(table) {
                let how = edge(&self.actions, r);
                let below = |a: &DeleteActions| restricts(r.table) || needs_orm(a, r.table, &mut HashSet::new());
                if how == Edge::Database || (how == Edge::DatabaseCascade && !below(&self.actions)) {
                    continue;
                }
                // A cascade the database does is followed for what lies below it.
                let action = if how == Edge::DatabaseCascade { OnDelete::Cascade } else { r.on_delete };
                match action {
                    OnDelete::SetNull | OnDelete::SetDefault => self.updates.push((r, new.clone())),
                    OnDelete::Cascade if r.join || !below(&self.actions) => {
                        // Nothing below these rows needs the ORM (a join table's, or a table
                        // nothing points at but what the database handles): deleted by their
                        // column, without reading their keys (Django's fast delete).
                        self.order.push((r.table, r.column, new.clone()));
                    }
                    OnDelete::Cascade => {
                        let sub = self.referring(r, &new).await?;
                        if let Err(below) = self.collect(r.table, r.pk, sub).await? {
                            refused.fields.push(format!("{}.{}", r.model, r.field));
                            refused.rows.extend(below.rows);
                        }
                    }
                    OnDelete::Protect => {
                        let sub = self.referring(r, &new).await?;
                        if !sub.is_empty() {
                            refused.fields.push(format!("{}.{}", r.model, r.field));
                            refused.rows.extend(sub.into_iter().map(|k| (r.model, k)));
                        }
                    }
                    OnDelete::Restrict => {
                        let sub = self.referring(r, &new).await?;
                        if !sub.is_empty() {
                            self.restricted.push((r, sub));
                        }
                    }
                    OnDelete::DoNothing => {}
                }
            }
            Ok(if refused.fields.is_empty() { Ok(()) } else { Err(refused) })
        })
    }

    /// The keys of the rows of `r.table` pointing at `keys`.
    async fn referring(&self, r: &Relation, keys: &[Value]) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(chunk_size(&self.db)) {
            let mut s = Query::select();
            s.column(Alias::new(r.pk)).from(Alias::new(r.table)).and_where(is_in(r.column, chunk));
            for row in fetch_all(&self.db, &s).await? {
                out.push((r.decode_key)(&row, 0)?);
            }
        }
        Ok(out)
    }

    /// RESTRICT refuses unless the referring rows are deleted by the same delete (Django's rule).
    fn check_restricted(&self, model: &str) -> Result<()> {
        let mut fields: Vec<String> = Vec::new();
        let mut rows: Vec<(&'static str, Value)> = Vec::new();
        for (r, keys) in &self.restricted {
            let left: Vec<&Value> = keys.iter().filter(|k| !self.seen.contains(&(r.table, key_id(k)))).collect();
            if left.is_empty() {
                continue;
            }
            let f = format!("{}.{}", r.model, r.field);
            if !fields.contains(&f) {
                fields.push(f);
            }
            rows.extend(left.into_iter().map(|k| (r.model, k.clone())));
        }
        if fields.is_empty() {
            return Ok(());
        }
        let fields: Vec<String> = fields.iter().map(|f| format!("'{f}'")).collect();
        Err(Error::new(
            ErrorKind::ForeignKeyViolation,
            format!(
                "Cannot delete some instances of model '{model}' because they are referenced through restricted foreign keys: {}. \
                 {} restricting row(s): {}",
                fields.join(", "),
                rows.len(),
                some_rows(&rows)
            ),
        )
        .hint("delete the restricting rows first, or delete them in the same delete through a cascade; nothing was deleted"))
    }
}
