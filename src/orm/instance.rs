//! Instances: create, save, delete, refresh; bulk_create and bulk_update in batches that fit the
//! backend's bind-parameter limit; get_or_create and update_or_create; and the helpers the derive
//! uses to prefetch relations with one query each.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use super::expression::{ColRef, Cond, Subquery};
use super::sql::value;
use super::statement::{execute, fetch_all, render};
use super::{Model, PrefetchPath, QuerySet};
use sea_query::{Alias, Expr, ExprTrait, Query};
use teapot_core::value::{FieldValue, Value};
use teapot_core::{Db, DbRow};
use teapot_core::{ErrorKind, Result};

fn key_unset<M: Model>(m: &M) -> bool {
    M::PK_AUTO && matches!(m.key().to_value(), Value::I16(0) | Value::I32(0) | Value::I64(0))
}

fn pk_index<M: Model>() -> usize {
    M::COLUMNS.iter().position(|c| *c == M::PK).unwrap_or(0)
}

/// Where a column named by the caller is among the model's, or an error listing them.
fn column_index<M: Model>(c: &str) -> Result<usize> {
    M::COLUMNS.iter().position(|x| *x == c).ok_or_else(|| {
        crate::Error::new(ErrorKind::Usage, format!("{} has no column {c}", M::NAME))
            .hint(format!("the columns are: {}", M::COLUMNS.join(", ")))
    })
}

/// `key = value`.
fn by_key<M: Model>(key: Value) -> Expr {
    Expr::col(Alias::new(M::PK)).eq(value(key))
}

/// `UPDATE table SET column = value, ... WHERE key = value`: the number of rows it changed.
async fn update_by_key<M: Model>(db: &Db, sets: Vec<(&str, Value)>, key: Value) -> Result<u64> {
    let mut u = Query::update();
    u.table(Alias::new(M::TABLE));
    for (c, v) in sets {
        u.value(Alias::new(c), value(v));
    }
    u.and_where(by_key::<M>(key));
    execute(db, &u).await
}

/// `UPDATE table SET column = value, ... WHERE key = value RETURNING generated columns`: the
/// generated values are set on `m`; false when no row has the key.
async fn update_returning_generated<M: Model>(db: &Db, m: &mut M, sets: Vec<(&str, Value)>, key: Value) -> Result<bool> {
    let mut u = Query::update();
    u.table(Alias::new(M::TABLE));
    for (c, v) in sets {
        u.value(Alias::new(c), value(v));
    }
    u.and_where(by_key::<M>(key));
    u.returning(Query::returning().columns(M::GENERATED_COLUMNS.iter().map(|c| Alias::new(*c))));
    let rows = fetch_all(db, &u).await?;
    let Some(row) = rows.first() else { return Ok(false) };
    for (i, c) in M::GENERATED_COLUMNS.iter().enumerate() {
        m.set_column(c, row, i)?;
    }
    Ok(true)
}

/// An error when `columns` name a generated column, which no write may set.
fn refuse_generated<M: Model>(columns: &[&str], what: &str) -> Result<()> {
    match columns.iter().find(|c| M::GENERATED_COLUMNS.contains(c)) {
        Some(c) => Err(crate::Error::new(ErrorKind::Usage, format!("{what} writes {}.{c}, a generated column", M::NAME))
            .hint("the database computes a generated column from its expression: leave it out (its value is read back after a write)")),
        None => Ok(()),
    }
}

/// One INSERT's worth of rows: the same column list for all of them.
struct Batch {
    /// Leave the generated key to the database.
    skip_pk: bool,
    /// db_default columns left to the database (and read back).
    omitted: Vec<&'static str>,
    /// Indexes into the rows.
    rows: Vec<usize>,
}

/// Splits rows into statements. Rows go together when they send the same columns: with or
/// without a key, and leaving the same db_default columns unset. Sending a column for every row
/// of a statement once any row sets it would store the unset rows' placeholder value (an empty
/// string, a zero) instead of the database's default. Rows with and without a key go apart
/// whatever their order (one statement each, not one per alternation: as Django); rows without
/// one stay in the order given, so the keys the database makes follow it.
fn plan<M: Model>(db: &Db, rows: &[&mut M], batch_size: Option<usize>) -> Vec<Batch> {
    let fit = (db.max_binds() / M::COLUMNS.len().max(1)).clamp(1, 1000);
    let per_batch = batch_size.map_or(fit, |n| n.clamp(1, fit));
    let mut groups: Vec<(bool, Vec<&'static str>, Vec<usize>)> = Vec::new();
    // Rows with their key first, then those whose key the database makes (as Django does), each
    // in the order given; within each, neighbours leaving the same columns unset go together.
    for with_key in [true, false] {
        for (i, m) in rows.iter().enumerate() {
            let skip_pk = key_unset(&**m);
            if skip_pk == with_key {
                continue;
            }
            // Generated columns are never sent: the database computes them, and they are read back.
            let mut omitted: Vec<&'static str> = M::GENERATED_COLUMNS.to_vec();
            omitted.extend(M::DB_DEFAULT_COLUMNS.iter().copied().filter(|c| m.is_unset(c)));
            match groups.last_mut().filter(|(k, o, _)| *k == skip_pk && *o == omitted) {
                Some(g) => g.2.push(i),
                None => groups.push((skip_pk, omitted, vec![i])),
            }
        }
    }
    let mut out = Vec::new();
    for (skip_pk, omitted, members) in groups {
        for chunk in members.chunks(per_batch) {
            out.push(Batch { skip_pk, omitted: omitted.clone(), rows: chunk.to_vec() });
        }
    }
    out
}

impl Batch {
    /// Whether the batch sends the column at index `i` (not a db_default column it leaves to the
    /// database, nor a key the database makes).
    fn sends<M: Model>(&self, i: usize) -> bool {
        !(self.omitted.contains(&M::COLUMNS[i]) || (self.skip_pk && i == pk_index::<M>()))
    }
}

/// How many statements a plan runs (DEFAULT VALUES inserts one row per statement).
fn statements<M: Model>(plan: &[Batch]) -> usize {
    plan.iter().map(|b| if (0..M::COLUMNS.len()).any(|i| b.sends::<M>(i)) { 1 } else { b.rows.len() }).sum()
}

/// Inserts rows (keys generated when unset) in as few statements as the bind limit allows, and
/// sets the keys the database gave.
async fn insert_rows<M: Model>(db: &Db, rows: &mut [&mut M]) -> Result<()> {
    rows.iter_mut().for_each(|m| m.pre_save(true, None));
    let batches = plan(db, rows, None);
    insert_planned(db, rows, &batches, &OnConflict::Fail).await
}

async fn insert_planned<M: Model>(db: &Db, rows: &mut [&mut M], batches: &[Batch], on_conflict: &OnConflict) -> Result<()> {
    for m in rows.iter() {
        if let Some(field) = m.left_to_defaults() {
            return Err(crate::Error::new(
                ErrorKind::Usage,
                format!(
                    "{}.{field} was left to {}::defaults(), which has no value for it: it is required and declares no default",
                    M::NAME,
                    M::NAME
                ),
            )
            .hint(format!("set {field} in the struct, declare #[teapot(default = ...)] on it, or make it an Option")));
        }
    }
    let conflict = on_conflict.clause::<M>()?;
    for b in batches {
        let keep = |i: usize| b.sends::<M>(i);
        let cols: Vec<usize> = (0..M::COLUMNS.len()).filter(|&i| keep(i)).collect();
        let mut ins = Query::insert();
        ins.into_table(Alias::new(M::TABLE));
        if cols.is_empty() {
            // Nothing to send but defaults: one row at a time.
            ins.or_default_values();
        } else {
            ins.columns(cols.iter().map(|&i| Alias::new(M::COLUMNS[i])));
            for &r in &b.rows {
                // The values move into the statement: nothing is copied twice.
                let row = rows[r].to_values().into_iter().enumerate().filter(|(i, _)| keep(*i)).map(|(_, v)| value(v));
                ins.values_panic(row);
            }
        }
        if let Some(c) = &conflict {
            ins.on_conflict(c.clone());
        }
        if matches!(on_conflict, OnConflict::Ignore) {
            // The rows skipped return nothing, so what returns cannot be matched to the rows
            // given: their keys are left as they were (as Django leaves them).
            fetch_all(db, &ins).await?;
            continue;
        }
        let mut returning = vec![Alias::new(M::PK)];
        returning.extend(b.omitted.iter().map(|c| Alias::new(*c)));
        ins.returning(Query::returning().columns(returning));
        let (sql, values) = render(db, &ins);
        let returned = if cols.is_empty() {
            let mut out = Vec::with_capacity(b.rows.len());
            for _ in 0..b.rows.len() {
                out.extend(db.fetch_all(&sql, &[]).await?);
            }
            out
        } else {
            db.fetch_all_owned(&sql, values).await?
        };
        for (&r, row) in b.rows.iter().zip(returned.iter()) {
            let m = &mut rows[r];
            m.set_key(M::Key::decode(row, 0)?);
            for (i, c) in b.omitted.iter().enumerate() {
                m.set_column(c, row, i + 1)?;
            }
        }
    }
    Ok(())
}

/// What every model can do with a database.
pub trait ModelExt: Model {
    /// Inserts the row; a generated key is set on `self` (one query).
    fn create<'a>(&'a mut self, db: &'a Db) -> impl Future<Output = Result<()>> + Send + 'a {
        async move { insert_rows(db, &mut [self]).await }
    }

    /// Inserts the row if its generated key is unset, else updates it (inserting it if no row
    /// has its key). One query, two when the key is set but the row is gone.
    fn save<'a>(&'a mut self, db: &'a Db) -> impl Future<Output = Result<()>> + Send + 'a {
        async move {
            if key_unset(self) {
                return insert_rows(db, &mut [self]).await;
            }
            self.pre_save(false, None);
            let pk = pk_index::<Self>();
            let mut values = self.to_values();
            let key = std::mem::replace(&mut values[pk], Value::Null);
            let mut sets = Vec::new();
            for (i, (c, v)) in Self::COLUMNS.iter().zip(values).enumerate() {
                // An unset db_default column keeps what the row has (its placeholder is no value);
                // a generated one is the database's to compute.
                if i != pk && !(Self::DB_DEFAULT_COLUMNS.contains(c) && self.is_unset(c)) && !Self::GENERATED_COLUMNS.contains(c) {
                    sets.push((*c, v));
                }
            }
            if sets.is_empty() {
                // Nothing but the key to write: the row is saved when it is there.
                let mut s = Query::select();
                s.expr(Expr::cust("1")).from(Alias::new(Self::TABLE)).and_where(by_key::<Self>(key));
                if fetch_all(db, &s).await?.is_empty() {
                    insert_rows(db, &mut [self]).await?;
                }
                return Ok(());
            }
            let updated = if Self::GENERATED_COLUMNS.is_empty() {
                update_by_key::<Self>(db, sets, key).await? > 0
            } else {
                update_returning_generated(db, self, sets, key).await?
            };
            if !updated {
                insert_rows(db, &mut [self]).await?;
            }
            Ok(())
        }
    }

    /// Writes only these columns of the row (Django's `save(update_fields=[...])`; one query):
    /// other columns keep what the database has, so two tasks changing different columns of one
    /// row do not undo each other. A row that is not there is an error of kind NotFound (Django:
    /// "did not affect any rows"), never an insert. An `auto_now` field is set only when its
    /// column is listed, as Django does.
    fn save_fields<'a>(&'a mut self, db: &'a Db, columns: &'a [&'a str]) -> impl Future<Output = Result<()>> + Send + 'a {
        async move {
            if columns.is_empty() {
                return Ok(());
            }
            refuse_generated::<Self>(columns, "save_fields")?;
            self.pre_save(false, Some(columns));
            let values = self.to_values();
            let mut sets = Vec::new();
            for c in columns {
                sets.push((*c, values[column_index::<Self>(c)?].clone()));
            }
            let updated = if Self::GENERATED_COLUMNS.is_empty() {
                update_by_key::<Self>(db, sets, self.key().to_value()).await?
            } else {
                u64::from(update_returning_generated(db, self, sets, self.key().to_value()).await?)
            };
            match updated {
                0 => Err(crate::Error::new(ErrorKind::NotFound, format!("save_fields: no {} has the key {:?}", Self::NAME, self.key()))
                    .hint("create() the row first; save_fields only updates")),
                _ => Ok(()),
            }
        }
    }

    /// Deletes the row (one query), and does the `on_delete` of each foreign key pointing at it
    /// that the database does not do itself (see [`super::deletion`]): then in one transaction.
    fn delete<'a>(&'a self, db: &'a Db) -> impl Future<Output = Result<u64>> + Send + 'a {
        async move {
            if super::deletion::needs_collector(db, Self::TABLE).await? {
                let origin = super::deletion::Origin { model: Self::NAME, table: Self::TABLE, pk: Self::PK };
                return super::deletion::delete_collected(db, origin, super::deletion::Keys::Known(vec![self.key().to_value()])).await;
            }
            let mut d = Query::delete();
            d.from_table(Alias::new(Self::TABLE)).and_where(by_key::<Self>(self.key().to_value()));
            execute(db, &d).await
        }
    }

    /// Reads the row again (one query); relations come back not loaded.
    fn refresh<'a>(&'a mut self, db: &'a Db) -> impl Future<Output = Result<()>> + Send + 'a {
        async move {
            let cond = Cond::Cmp(ColRef::own(Self::PK), super::Op::Eq, self.key().to_value());
            *self = QuerySet::<Self>::new().filter(cond).get(db).await?;
            Ok(())
        }
    }
}

impl<M: Model> ModelExt for M {}

/// What an insert does with a row that breaks a unique constraint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OnConflict {
    /// Fails (the default): UniqueViolation, and nothing of the call is kept.
    #[default]
    Fail,
    /// Skips the row (`ON CONFLICT DO NOTHING`, Django's `ignore_conflicts`). The keys of the
    /// rows given are not set: which were inserted is not known.
    Ignore,
    /// Updates the row that is there (`ON CONFLICT (unique) DO UPDATE SET ...`, Django's
    /// `update_conflicts`): `unique` are the columns of the unique constraint met, `update` the
    /// columns to take from the new row. Keys are set, to the rows inserted or updated.
    Update {
        /// The columns of the unique constraint (or key) that decides a conflict.
        unique: Vec<&'static str>,
        /// The columns set from the new row on a conflict.
        update: Vec<&'static str>,
    },
}

impl OnConflict {
    /// The `ON CONFLICT` clause (None: fail).
    fn clause<M: Model>(&self) -> Result<Option<sea_query::OnConflict>> {
        let check =
            |cols: &[&'static str]| -> Result<Vec<Alias>> { cols.iter().map(|c| column_index::<M>(c).map(|_| Alias::new(*c))).collect() };
        Ok(match self {
            OnConflict::Fail => None,
            OnConflict::Ignore => Some(sea_query::OnConflict::new().do_nothing().to_owned()),
            OnConflict::Update { unique, update } => {
                if unique.is_empty() || update.is_empty() {
                    return Err(crate::Error::new(ErrorKind::Usage, "OnConflict::Update needs unique and update columns")
                        .hint("unique: the columns of the constraint a conflict is about; update: the columns to set from the new row"));
                }
                refuse_generated::<M>(update, "OnConflict::Update")?;
                if update.contains(&M::PK) {
                    return Err(crate::Error::new(
                        ErrorKind::Usage,
                        format!("OnConflict::Update sets {}'s key {} on a conflict", M::NAME, M::PK),
                    )
                    .hint("a conflict keeps the row that is there, key and all: list the other columns to update"));
                }
                Some(sea_query::OnConflict::columns(check(unique)?).update_columns(check(update)?).to_owned())
            }
        })
    }
}

/// How `bulk_create_with` inserts.
#[derive(Debug, Clone, Default)]
pub struct BulkOptions {
    /// At most this many rows per INSERT (None: as many as the bind-parameter limit allows).
    pub batch_size: Option<usize>,
    /// What a row that breaks a unique constraint does.
    pub on_conflict: OnConflict,
}

/// Inserts many rows in batches that fit the bind-parameter limit; sets their keys. All or
/// nothing: when it takes more than one statement they run in a transaction (a savepoint when
/// `db` is one, so a failure leaves the transaction usable), and on failure the keys are as
/// they were.
pub async fn bulk_create<M: Model>(db: &Db, rows: &mut [M]) -> Result<()> {
    bulk_create_with(db, rows, &BulkOptions::default()).await
}

/// [`bulk_create`] with a batch size and what to do on a conflict (skip the row, or update the
/// row that is there: an upsert).
pub async fn bulk_create_with<M: Model>(db: &Db, rows: &mut [M], options: &BulkOptions) -> Result<()> {
    if options.batch_size == Some(0) {
        return Err(crate::Error::new(ErrorKind::Usage, format!("bulk_create of {} with batch_size 0", M::NAME))
            .hint("a batch holds at least one row: give a positive batch_size, or None for as many as fit"));
    }
    rows.iter_mut().for_each(|m| m.pre_save(true, None));
    let mut refs: Vec<&mut M> = rows.iter_mut().collect();
    let batches = plan(db, &refs, options.batch_size);
    if statements::<M>(&batches) <= 1 {
        return insert_planned(db, &mut refs, &batches, &options.on_conflict).await;
    }
    let keys: Vec<M::Key> = refs.iter().map(|m| m.key()).collect();
    let tx = db.begin().await?;
    match insert_planned(&tx, &mut refs, &batches, &options.on_conflict).await {
        Ok(()) => tx.commit().await,
        Err(e) => {
            for (m, k) in refs.iter_mut().zip(keys) {
                m.set_key(k);
            }
            tx.rollback().await?;
            Err(e)
        }
    }
}

/// Updates the given columns of many rows, in batches (one `UPDATE ... CASE` per batch).
pub async fn bulk_update<M: Model>(db: &Db, rows: &[M], columns: &[&str]) -> Result<u64> {
    // Refused as Django refuses them: they could only do nothing, or the wrong thing.
    if columns.is_empty() {
        return Err(
            crate::Error::new(ErrorKind::Usage, format!("bulk_update of {} with no column", M::NAME)).hint("name the columns to write")
        );
    }
    if columns.contains(&M::PK) {
        return Err(crate::Error::new(ErrorKind::Usage, format!("bulk_update of {}'s key column {}", M::NAME, M::PK))
            .hint("rows are found by their key: a key is changed with an update() of the one row"));
    }
    if rows.iter().any(|m| key_unset(m)) {
        return Err(crate::Error::new(ErrorKind::Usage, format!("bulk_update of a {} that was never saved (its key is unset)", M::NAME))
            .hint("create() or bulk_create() the new rows first"));
    }
    refuse_generated::<M>(columns, "bulk_update")?;
    let idx: Vec<usize> = columns.iter().map(|c| column_index::<M>(c)).collect::<Result<_>>()?;
    let pk = pk_index::<M>();
    let per_row = idx.len() * 2 + 1;
    let per_batch = (db.max_binds() / per_row.max(1)).clamp(1, 1000);
    let mut total = 0;
    for batch in rows.chunks(per_batch) {
        let vals: Vec<Vec<Value>> = batch.iter().map(|m| m.to_values()).collect();
        let mut u = Query::update();
        u.table(Alias::new(M::TABLE));
        for &c in &idx {
            let mut case = sea_query::CaseStatement::new();
            for v in &vals {
                case = case.case(by_key::<M>(v[pk].clone()), value(v[c].clone()));
            }
            u.value(Alias::new(M::COLUMNS[c]), case.finally(Expr::col(Alias::new(M::COLUMNS[c]))));
        }
        u.and_where(Expr::col(Alias::new(M::PK)).is_in(vals.iter().map(|v| value(v[pk].clone()))));
        total += execute(db, &u).await?;
    }
    Ok(total)
}

/// The row matching `cond`, or `defaults` created (true when created). Safe under a race for
/// the same new row when a unique constraint covers `cond`: the task whose insert loses gets the
/// row the winner made. In a transaction the insert runs in a savepoint, so losing the race
/// leaves the transaction usable (as Django does).
pub async fn get_or_create<M: Model>(db: &Db, cond: Cond, mut defaults: M) -> Result<(M, bool)> {
    match QuerySet::<M>::new().filter(cond.clone()).get(db).await {
        Ok(m) => return Ok((m, false)),
        Err(e) if e.kind == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let created = if db.in_transaction() {
        let sp = db.begin().await?;
        match defaults.create(&sp).await {
            Ok(()) => sp.commit().await,
            Err(e) => {
                sp.rollback().await?;
                Err(e)
            }
        }
    } else {
        defaults.create(db).await
    };
    match created {
        Ok(()) => Ok((defaults, true)),
        // Another task inserted the row between our get and our insert: it is there now.
        Err(e) if e.is_unique_violation() => match QuerySet::<M>::new().filter(cond).get(db).await {
            Ok(m) => Ok((m, false)),
            Err(_) => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// The row matching `cond` updated by `change`, or `defaults` (changed too) created.
pub async fn update_or_create<M: Model>(db: &Db, cond: Cond, defaults: M, change: impl FnOnce(&mut M) + Send) -> Result<(M, bool)> {
    match QuerySet::<M>::new().filter(cond).get(db).await {
        Ok(mut m) => {
            change(&mut m);
            m.save(db).await?;
            Ok((m, false))
        }
        Err(e) if e.kind == ErrorKind::NotFound => {
            let mut m = defaults;
            change(&mut m);
            m.create(db).await?;
            Ok((m, true))
        }
        Err(e) => Err(e),
    }
}

#[doc(hidden)]
/// Fills a foreign key on many rows with one `IN` query (used by the derive).
pub async fn prefetch_fk<M: Model, T: Model>(
    db: &Db,
    rows: &mut [M],
    base: Option<&Subquery>,
    rests: &[PrefetchPath],
    key_of: impl Fn(&M) -> Option<T::Key>,
    take: impl Fn(&mut M) -> Option<Arc<T>>,
    set: impl Fn(&mut M, Arc<T>),
) -> Result<()> {
    // Rows whose related row a join already brought (select_related) keep it: only the relations
    // below it are fetched, so `select_related("a").prefetch_related("a__b")` is two queries. A
    // prefetch_with query may keep fewer rows than the join did: then every row is fetched anew.
    let mut joined: Vec<(usize, T)> = Vec::new();
    if base.is_none() {
        for (i, r) in rows.iter_mut().enumerate() {
            if let Some(a) = take(r) {
                match Arc::try_unwrap(a) {
                    Ok(t) => joined.push((i, t)),
                    Err(shared) => set(r, shared),
                }
            }
        }
    }
    let mut keys: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut is_joined = vec![false; rows.len()];
    for (i, _) in &joined {
        is_joined[*i] = true;
    }
    for (r, _) in rows.iter().zip(&is_joined).filter(|(_, j)| !**j) {
        if let Some(k) = key_of(r) {
            if seen.insert(k.clone()) {
                keys.push(k.to_value());
            }
        }
    }
    let mut targets = Vec::new();
    for chunk in keys.chunks(db.max_binds().min(10_000)) {
        let cond = Cond::In(ColRef::own(T::PK), chunk.to_vec());
        targets.extend(QuerySet::<T>::from_base(base)?.filter(cond).all(db).await?);
    }
    let fetched = targets.len();
    let (at, mut own): (Vec<usize>, Vec<T>) = joined.into_iter().unzip();
    targets.append(&mut own);
    super::prefetch_paths(db, &mut targets, rests).await?;
    let joined_rows = targets.split_off(fetched);
    for (i, t) in at.into_iter().zip(joined_rows) {
        set(&mut rows[i], Arc::new(t));
    }
    let by_key: HashMap<T::Key, Arc<T>> = targets.into_iter().map(|t| (t.key(), Arc::new(t))).collect();
    for (r, _) in rows.iter_mut().zip(&is_joined).filter(|(_, j)| !**j) {
        if let Some(t) = key_of(r).and_then(|k| by_key.get(&k).cloned()) {
            set(r, t);
        }
    }
    Ok(())
}

#[doc(hidden)]
/// Fills a many-to-many on many rows with one query over the join table (used by the derive).
#[allow(clippy::too_many_arguments)]
pub async fn prefetch_m2m<M: Model, T: Model>(
    db: &Db,
    rows: &mut [M],
    base: Option<&Subquery>,
    rests: &[PrefetchPath],
    join_table: &str,
    from_col: &str,
    to_col: &str,
    set: impl Fn(&mut M, Vec<Arc<T>>),
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let pairs = linked_rows::<M, T>(db, rows, base, join_table, (from_col, to_col)).await?;
    // One target may belong to many owners: nested relations are fetched once per target.
    let mut unique: Vec<T> = Vec::new();
    let mut index: HashMap<T::Key, usize> = HashMap::new();
    let mut links: Vec<(M::Key, usize)> = Vec::with_capacity(pairs.len());
    for (owner, row) in pairs {
        let t = T::from_row(&row, 1)?;
        let i = *index.entry(t.key()).or_insert_with(|| {
            unique.push(t);
            unique.len() - 1
        });
        links.push((owner, i));
    }
    super::prefetch_paths(db, &mut unique, rests).await?;
    let shared: Vec<Arc<T>> = unique.into_iter().map(Arc::new).collect();
    let mut grouped: HashMap<M::Key, Vec<Arc<T>>> = HashMap::new();
    for (owner, i) in links {
        grouped.entry(owner).or_default().push(shared[i].clone());
    }
    // Every row gets its links, copies of one row too (a row reached twice, through two owners).
    for r in rows.iter_mut() {
        let got = grouped.get(&r.key()).cloned().unwrap_or_default();
        set(r, got);
    }
    Ok(())
}

#[doc(hidden)]
/// Fills a reverse relation (the rows of `T` whose foreign key named by `accessor` points at each
/// row) with one `IN` query, then nested relations one query per level (used by the derive).
pub async fn prefetch_reverse<M: Model, T: Model>(
    db: &Db,
    rows: &mut [M],
    base: Option<&Subquery>,
    accessor: &str,
    rests: &[PrefetchPath],
    set: impl Fn(&mut M, Vec<T>),
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let Some(column) = T::reverse_fk(accessor, M::TABLE) else {
        let (jt, from_col, to_col) = T::reverse_m2m(accessor, M::TABLE).ok_or_else(|| {
            crate::Error::new(
                ErrorKind::Usage,
                format!("{} has no foreign key or many-to-many to {} with related_name \"{accessor}\"", T::NAME, M::NAME),
            )
            .hint(format!("declare #[teapot(related_name = \"{accessor}\")] on the relation of {} to {}", T::NAME, M::NAME))
        })?;
        return prefetch_reverse_m2m(db, rows, base, rests, jt, (from_col, to_col), set).await;
    };
    let keys: Vec<Value> = unique_keys(rows);
    let at = T::COLUMNS.iter().position(|c| *c == column).unwrap_or(0);
    let mut raw = Vec::new();
    for chunk in keys.chunks(db.max_binds().min(10_000)) {
        let cond = Cond::In(ColRef::own(column), chunk.to_vec());
        let q = QuerySet::<T>::from_base(base)?.filter(cond).order_by(super::Order::own(T::PK, false));
        for row in q.fetch_rows(db).await? {
            raw.push((M::Key::decode(&row, at)?, row));
        }
    }
    fill_each::<M, T>(db, rows, raw, 0, rests, set).await
}

/// Each row's key once, in the order of the rows.
fn unique_keys<M: Model>(rows: &[M]) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    rows.iter().map(|r| r.key()).filter(|k| seen.insert(k.clone())).map(|k| k.to_value()).collect()
}

/// Gives each row here the rows there that `raw` links to its key (`raw`: key here, a row of
/// `T` starting at column `at`), decoded for each row apart: a row that comes twice (reached
/// through two owners) gets its own copy, nested relations and all, never an empty slot. The
/// nested relations (`rests`) of all of them are fetched together, one query per level.
async fn fill_each<M: Model, T: Model>(
    db: &Db,
    rows: &mut [M],
    raw: Vec<(M::Key, DbRow)>,
    at: usize,
    rests: &[PrefetchPath],
    set: impl Fn(&mut M, Vec<T>),
) -> Result<()> {
    let mut by_key: HashMap<M::Key, Vec<usize>> = HashMap::new();
    for (i, (k, _)) in raw.iter().enumerate() {
        by_key.entry(k.clone()).or_default().push(i);
    }
    let mut children: Vec<T> = Vec::with_capacity(raw.len());
    let mut counts = Vec::with_capacity(rows.len());
    for r in rows.iter() {
        let idx = by_key.get(&r.key()).map(Vec::as_slice).unwrap_or_default();
        for &i in idx {
            children.push(T::from_row(&raw[i].1, at)?);
        }
        counts.push(idx.len());
    }
    super::prefetch_paths(db, &mut children, rests).await?;
    let mut it = children.into_iter();
    for (r, n) in rows.iter_mut().zip(counts) {
        set(r, it.by_ref().take(n).collect());
    }
    Ok(())
}

/// Each link of a join table from the rows here (`near` is the join table's column to them) to
/// the rows of `T` (`far`), as (key here, row there), in the order the links were made. One row
/// there linked from several rows here comes once per link.
async fn linked_rows<M: Model, T: Model>(
    db: &Db,
    rows: &[M],
    base: Option<&Subquery>,
    join_table: &str,
    (near, far): (&str, &str),
) -> Result<Vec<(M::Key, DbRow)>> {
    let keys = unique_keys(rows);
    let query = QuerySet::<T>::from_base(base)?;
    let mut out = Vec::new();
    for chunk in keys.chunks(db.max_binds().min(10_000) / 2) {
        for row in query.linked(db, join_table, (near, far), chunk).await? {
            out.push((M::Key::decode(&row, 0)?, row));
        }
    }
    Ok(out)
}

/// The other side of a many-to-many: for each row here, the rows there that link to it. A row
/// linked from several rows here is decoded once per link (a `Reverse<T>` holds its rows, not
/// shared ones).
async fn prefetch_reverse_m2m<M: Model, T: Model>(
    db: &Db,
    rows: &mut [M],
    base: Option<&Subquery>,
    rests: &[PrefetchPath],
    join_table: &str,
    (from_col, to_col): (&str, &str),
    set: impl Fn(&mut M, Vec<T>),
) -> Result<()> {
    // The join table read the other way: this side is its `to` column.
    let raw = linked_rows::<M, T>(db, rows, base, join_table, (to_col, from_col)).await?;
    fill_each::<M, T>(db, rows, raw, 1, rests, set).await
}

#[doc(hidden)]
/// Adds links to a many-to-many, by the keys of the rows at the other end (used by the derive's
/// `<field>_add` and `<field>_add_keys`). A link that exists already is left as it is, as Django
/// does. A symmetrical relation (a many-to-many of a model to itself) links both ways.
pub async fn m2m_add<M: Model>(
    db: &Db,
    owner: &M,
    join_table: &str,
    (from_col, to_col): (&str, &str),
    keys: Vec<Value>,
    symmetrical: bool,
) -> Result<()> {
    // In the order given (the join table's ids keep it), each link once.
    let me = owner.key().to_value();
    let mut pairs: Vec<(Value, Value)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        let pair = (me.clone(), k);
        let back = (symmetrical && pair.0 != pair.1).then(|| (pair.1.clone(), pair.0.clone()));
        for p in std::iter::once(pair).chain(back) {
            if seen.insert(p.clone()) {
                pairs.push(p);
            }
        }
    }
    if pairs.is_empty() {
        return Ok(());
    }
    let mut ins = Query::insert();
    ins.into_table(Alias::new(join_table)).columns([Alias::new(from_col), Alias::new(to_col)]);
    for (a, b) in pairs {
        ins.values_panic([value(a), value(b)]);
    }
    ins.on_conflict(sea_query::OnConflict::new().do_nothing().to_owned());
    execute(db, &ins).await.map(|_| ())
}

#[doc(hidden)]
/// Adds links to a many-to-many through a model (used by the derive's `<field>_add` and
/// `<field>_add_with`): one row of `Th` per key not linked yet, from `Th`'s defaults, then `fill`
/// (Django's `through_defaults`), with its two foreign keys set. A required field of `Th` that
/// `fill` leaves to a placeholder is refused before anything is written.
pub async fn m2m_add_through<M: Model, T: Model, Th: Model>(
    db: &Db,
    owner: &M,
    (from_col, to_col): (&'static str, &'static str),
    keys: Vec<Value>,
    fill: &(dyn Fn(&mut Th) + Send + Sync),
) -> Result<()> {
    let me = owner.key().to_value();
    let mut wanted: Vec<Value> = Vec::new();
    for k in keys {
        if !wanted.contains(&k) {
            wanted.push(k);
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    // The links there are already stay as they are (Django adds only the missing ones).
    let mut q = Query::select();
    q.column(Alias::new(to_col))
        .from(Alias::new(Th::TABLE))
        .and_where(Expr::col(Alias::new(from_col)).eq(value(me.clone())))
        .and_where(Expr::col(Alias::new(to_col)).is_in(wanted.iter().cloned().map(value)));
    let mut have = Vec::new();
    for row in fetch_all(db, &q).await? {
        have.push(T::Key::decode(&row, 0)?.to_value());
    }
    let missing: Vec<Value> = wanted.into_iter().filter(|k| !have.contains(k)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut template = Th::with_defaults();
    fill(&mut template);
    template.pre_save(true, None);
    if let Some(field) = template.left_to_defaults() {
        return Err(crate::Error::new(
            ErrorKind::Usage,
            format!("{}.{field} has no default, and adding a link to {} makes a {} row", Th::NAME, M::NAME, Th::NAME),
        )
        .hint(format!("give it with the `_add_with` method of the many-to-many: |row: &mut {}| row.{field} = ...", Th::NAME)));
    }
    let values = template.to_values();
    let mut columns = Vec::new();
    let mut at = Vec::new();
    for (i, c) in Th::COLUMNS.iter().enumerate() {
        let generated_key = *c == Th::PK && Th::PK_AUTO;
        let left_to_db = Th::DB_DEFAULT_COLUMNS.contains(c) && template.is_unset(c);
        if !generated_key && !left_to_db {
            columns.push(Alias::new(*c));
            at.push(i);
        }
    }
    let mut ins = Query::insert();
    ins.into_table(Alias::new(Th::TABLE)).columns(columns);
    for k in missing {
        let row: Vec<_> = at
            .iter()
            .map(|&i| match Th::COLUMNS[i] {
                c if c == from_col => value(me.clone()),
                c if c == to_col => value(k.clone()),
                _ => value(values[i].clone()),
            })
            .collect();
        ins.values_panic(row);
    }
    execute(db, &ins).await.map(|_| ())
}

#[doc(hidden)]
/// Which links of a many-to-many a removal takes.
pub enum Links {
    /// These keys.
    Only(Vec<Value>),
    /// All but these keys (`set`).
    AllBut(Vec<Value>),
    /// Every one (`clear`).
    All,
}

#[doc(hidden)]
/// Removes links from a many-to-many (used by the derive's `<field>_remove`, `_clear` and
/// `_set`); a symmetrical relation loses both directions.
pub async fn m2m_remove<M: Model>(
    db: &Db,
    owner: &M,
    join_table: &str,
    (from_col, to_col): (&str, &str),
    links: Links,
    symmetrical: bool,
) -> Result<u64> {
    let me = owner.key().to_value();
    let (from, to) = (|| Expr::col(Alias::new(from_col)), || Expr::col(Alias::new(to_col)));
    let (keys, negate) = match links {
        Links::Only(keys) if keys.is_empty() => return Ok(0),
        Links::Only(keys) => (Some(keys), false),
        Links::AllBut(keys) if keys.is_empty() => (None, false),
        Links::AllBut(keys) => (Some(keys), true),
        Links::All => (None, false),
    };
    // `near = me AND far [NOT] IN (keys)`, both ways round for a symmetrical relation.
    let side = |near: Expr, far: Expr| {
        let mine = near.eq(value(me.clone()));
        match &keys {
            Some(k) if negate => mine.and(far.is_not_in(k.iter().cloned().map(value))),
            Some(k) => mine.and(far.is_in(k.iter().cloned().map(value))),
            None => mine,
        }
    };
    let cond = if symmetrical { side(from(), to()).or(side(to(), from())) } else { side(from(), to()) };
    let mut d = Query::delete();
    d.from_table(Alias::new(join_table)).and_where(cond);
    execute(db, &d).await
}
