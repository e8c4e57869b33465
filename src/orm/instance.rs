//! Instances: create, save, delete, refresh; bulk_create and bulk_update in batches that fit the
//! backend's bind-parameter limit; get_or_create and update_or_create; and the helpers the derive
//! uses to prefetch relations with one query each.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use super::expression::{ColRef, Cond};
use super::{Model, QuerySet};
use teapot_core::quote;
use teapot_core::value::{FieldValue, Value};
use teapot_core::Db;
use teapot_core::{ErrorKind, Result};

fn key_unset<M: Model>(m: &M) -> bool {
    M::PK_AUTO && matches!(m.key().to_value(), Value::I16(0) | Value::I32(0) | Value::I64(0))
}

fn pk_index<M: Model>() -> usize {
    M::COLUMNS.iter().position(|c| *c == M::PK).unwrap_or(0)
}

fn placeholders(db: &Db, start: usize, n: usize) -> String {
    (start..start + n).map(|i| db.placeholder(i)).collect::<Vec<_>>().join(", ")
}

/// Inserts rows (keys generated when unset) in as few statements as the bind limit allows, and
/// sets the keys the database gave.
async fn insert_rows<M: Model>(db: &Db, rows: &mut [&mut M]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let pk = pk_index::<M>();
    // Rows with and without a key go in separate statements (different column lists).
    let (mut with_key, mut without): (Vec<&mut &mut M>, Vec<&mut &mut M>) = rows.iter_mut().partition(|m| !key_unset(&***m));
    for (group, skip_pk) in [(&mut without, true), (&mut with_key, false)] {
        if group.is_empty() {
            continue;
        }
        let per_batch = (db.max_binds() / M::COLUMNS.len().max(1)).clamp(1, 1000);
        for batch in group.chunks_mut(per_batch) {
            // A db_default column left at its type's default in every row is left out: the
            // database's default applies, and the value is read back.
            let omitted: Vec<&'static str> =
                M::DB_DEFAULT_COLUMNS.iter().copied().filter(|c| batch.iter().all(|m| m.is_unset(c))).collect();
            let keep = |i: usize| !(omitted.contains(&M::COLUMNS[i]) || (skip_pk && i == pk));
            let cols: Vec<usize> = (0..M::COLUMNS.len()).filter(|&i| keep(i)).collect();
            let mut values = Vec::with_capacity(batch.len() * cols.len());
            let col_list: Vec<String> = cols.iter().map(|&i| quote(M::COLUMNS[i])).collect();
            let mut sql = if cols.is_empty() {
                format!("INSERT INTO {} ", quote(M::TABLE))
            } else {
                format!("INSERT INTO {} ({}) VALUES ", quote(M::TABLE), col_list.join(", "))
            };
            if cols.is_empty() {
                // Nothing to send but defaults: one row at a time.
                sql.push_str("DEFAULT VALUES");
            }
            for (row, m) in batch.iter().enumerate() {
                if cols.is_empty() {
                    break;
                }
                // The values move into the statement: nothing is copied twice.
                values.extend(m.to_values().into_iter().enumerate().filter(|(i, _)| keep(*i)).map(|(_, v)| v));
                sql.push_str(if row == 0 { "(" } else { ", (" });
                for c in 0..cols.len() {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&db.placeholder(row * cols.len() + c + 1));
                }
                sql.push(')');
            }
            let mut returning = vec![quote(M::PK)];
            returning.extend(omitted.iter().map(|c| quote(c)));
            sql.push_str(&format!(" RETURNING {}", returning.join(", ")));
            let returned = if cols.is_empty() {
                let mut rows = Vec::with_capacity(batch.len());
                for _ in 0..batch.len() {
                    rows.extend(db.fetch_all(&sql, &[]).await?);
                }
                rows
            } else {
                db.fetch_all_owned(&sql, values).await?
            };
            for (m, row) in batch.iter_mut().zip(returned.iter()) {
                m.set_key(M::Key::decode(row, 0)?);
                for (i, c) in omitted.iter().enumerate() {
                    m.set_column(c, row, i + 1)?;
                }
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
            let pk = pk_index::<Self>();
            let values = self.to_values();
            let mut binds = Vec::new();
            let mut sets = Vec::new();
            for (i, c) in Self::COLUMNS.iter().enumerate() {
                if i != pk {
                    binds.push(values[i].clone());
                    sets.push(format!("{} = {}", quote(c), db.placeholder(binds.len())));
                }
            }
            binds.push(values[pk].clone());
            if sets.is_empty() {
                return Ok(());
            }
            let sql = format!(
                "UPDATE {} SET {} WHERE {} = {}",
                quote(Self::TABLE),
                sets.join(", "),
                quote(Self::PK),
                db.placeholder(binds.len())
            );
            if db.execute(&sql, &binds).await? == 0 {
                insert_rows(db, &mut [self]).await?;
            }
            Ok(())
        }
    }

    /// Deletes the row (one query).
    fn delete<'a>(&'a self, db: &'a Db) -> impl Future<Output = Result<u64>> + Send + 'a {
        async move {
            let sql = format!("DELETE FROM {} WHERE {} = {}", quote(Self::TABLE), quote(Self::PK), db.placeholder(1));
            db.execute(&sql, &[self.key().to_value()]).await
        }
    }

    /// Reads the row again (one query); relations come back not loaded.
    fn refresh<'a>(&'a mut self, db: &'a Db) -> impl Future<Output = Result<()>> + Send + 'a {
        async move {
            let cond = Cond::Cmp(ColRef { path: vec![], column: Self::PK }, super::Op::Eq, self.key().to_value());
            *self = QuerySet::<Self>::new().filter(cond).get(db).await?;
            Ok(())
        }
    }
}

impl<M: Model> ModelExt for M {}

/// Inserts many rows in batches that fit the bind-parameter limit; sets their keys.
pub async fn bulk_create<M: Model>(db: &Db, rows: &mut [M]) -> Result<()> {
    let mut refs: Vec<&mut M> = rows.iter_mut().collect();
    insert_rows(db, &mut refs).await
}

/// Updates the given columns of many rows, in batches (one `UPDATE ... CASE` per batch).
pub async fn bulk_update<M: Model>(db: &Db, rows: &[M], columns: &[&str]) -> Result<u64> {
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| {
            M::COLUMNS.iter().position(|x| x == c).ok_or_else(|| {
                crate::Error::new(ErrorKind::Usage, format!("{} has no column {c}", M::NAME))
                    .hint(format!("the columns are: {}", M::COLUMNS.join(", ")))
            })
        })
        .collect::<Result<_>>()?;
    let pk = pk_index::<M>();
    let per_row = idx.len() * 2 + 1;
    let per_batch = (db.max_binds() / per_row.max(1)).clamp(1, 1000);
    let mut total = 0;
    for batch in rows.chunks(per_batch) {
        let mut binds: Vec<Value> = Vec::new();
        let mut sets = Vec::new();
        let vals: Vec<Vec<Value>> = batch.iter().map(|m| m.to_values()).collect();
        for &c in &idx {
            let mut case = format!("{} = CASE {}", quote(M::COLUMNS[c]), quote(M::PK));
            for v in &vals {
                binds.push(v[pk].clone());
                let k = db.placeholder(binds.len());
                binds.push(v[c].clone());
                case.push_str(&format!(" WHEN {k} THEN {}", db.placeholder(binds.len())));
            }
            case.push_str(&format!(" ELSE {} END", quote(M::COLUMNS[c])));
            sets.push(case);
        }
        let mut keys = Vec::new();
        for v in &vals {
            binds.push(v[pk].clone());
            keys.push(db.placeholder(binds.len()));
        }
        let sql = format!("UPDATE {} SET {} WHERE {} IN ({})", quote(M::TABLE), sets.join(", "), quote(M::PK), keys.join(", "));
        total += db.execute(&sql, &binds).await?;
    }
    Ok(total)
}

/// The row matching `cond`, or `defaults` created (true when created).
pub async fn get_or_create<M: Model>(db: &Db, cond: Cond, mut defaults: M) -> Result<(M, bool)> {
    match QuerySet::<M>::new().filter(cond).get(db).await {
        Ok(m) => Ok((m, false)),
        Err(e) if e.kind == ErrorKind::NotFound => {
            defaults.create(db).await?;
            Ok((defaults, true))
        }
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
    rests: &[&str],
    key_of: impl Fn(&M) -> Option<T::Key>,
    set: impl Fn(&mut M, Arc<T>),
) -> Result<()> {
    let mut keys: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in rows.iter() {
        if let Some(k) = key_of(r) {
            if seen.insert(k.clone()) {
                keys.push(k.to_value());
            }
        }
    }
    if keys.is_empty() {
        return Ok(());
    }
    let mut targets = Vec::new();
    for chunk in keys.chunks(db.max_binds().min(10_000)) {
        let cond = Cond::In(ColRef { path: vec![], column: T::PK }, chunk.to_vec());
        targets.extend(QuerySet::<T>::new().filter(cond).all(db).await?);
    }
    super::prefetch_paths(db, &mut targets, rests).await?;
    let by_key: HashMap<T::Key, Arc<T>> = targets.into_iter().map(|t| (t.key(), Arc::new(t))).collect();
    for r in rows.iter_mut() {
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
    rests: &[&str],
    join_table: &str,
    from_col: &str,
    to_col: &str,
    set: impl Fn(&mut M, Vec<Arc<T>>),
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let keys: Vec<Value> = rows.iter().map(|r| r.key().to_value()).collect();
    let cols: Vec<String> = T::COLUMNS.iter().map(|c| format!("t.{}", quote(c))).collect();
    let mut pairs: Vec<(M::Key, T)> = Vec::new();
    for chunk in keys.chunks(db.max_binds().min(10_000)) {
        let sql = format!(
            "SELECT j.{}, {} FROM {} j JOIN {} t ON t.{} = j.{} WHERE j.{} IN ({}) ORDER BY j.{}",
            quote(from_col),
            cols.join(", "),
            quote(join_table),
            quote(T::TABLE),
            quote(T::PK),
            quote(to_col),
            quote(from_col),
            placeholders(db, 1, chunk.len()),
            quote("id")
        );
        for row in db.fetch_all(&sql, chunk).await? {
            pairs.push((M::Key::decode(&row, 0)?, T::from_row(&row, 1)?));
        }
    }
    // One target may belong to many owners: nested relations are fetched once per target.
    let mut unique: Vec<T> = Vec::new();
    let mut index: HashMap<T::Key, usize> = HashMap::new();
    let mut links: Vec<(M::Key, usize)> = Vec::with_capacity(pairs.len());
    for (owner, t) in pairs {
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
    for r in rows.iter_mut() {
        let got = grouped.remove(&r.key()).unwrap_or_default();
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
    accessor: &str,
    rests: &[&str],
    set: impl Fn(&mut M, Vec<T>),
) -> Result<()> {
    let column = T::reverse_fk(accessor).ok_or_else(|| {
        crate::Error::new(ErrorKind::Usage, format!("{} has no foreign key to {} with related_name \"{accessor}\"", T::NAME, M::NAME))
            .hint(format!("declare #[teapot(related_name = \"{accessor}\")] on the foreign key of {}", T::NAME))
    })?;
    if rows.is_empty() {
        return Ok(());
    }
    let keys: Vec<Value> = rows.iter().map(|r| r.key().to_value()).collect();
    let mut children = Vec::new();
    for chunk in keys.chunks(db.max_binds().min(10_000)) {
        let cond = Cond::In(ColRef { path: vec![], column }, chunk.to_vec());
        let pk = ColRef { path: vec![], column: T::PK };
        children.extend(QuerySet::<T>::new().filter(cond).order_by(super::Order { col: pk, desc: false }).all(db).await?);
    }
    super::prefetch_paths(db, &mut children, rests).await?;
    // Keys compare by their bound value: a child's foreign key and its parent's key.
    let mut grouped: HashMap<Value, Vec<T>> = HashMap::new();
    for c in children {
        grouped.entry(c.value_of(column).unwrap_or(Value::Null)).or_default().push(c);
    }
    for r in rows.iter_mut() {
        set(r, grouped.remove(&r.key().to_value()).unwrap_or_default());
    }
    Ok(())
}

#[doc(hidden)]
/// Adds rows to a many-to-many (used by the derive's `<field>_add`). A link that exists already is
/// left as it is, as Django does. A symmetrical relation (a many-to-many of a model to itself)
/// links both ways.
pub async fn m2m_add<M: Model, T: Model>(
    db: &Db,
    owner: &M,
    join_table: &str,
    (from_col, to_col): (&str, &str),
    targets: &[&T],
    symmetrical: bool,
) -> Result<()> {
    // In the order given (the join table's ids keep it), each link once.
    let mut pairs: Vec<(Value, Value)> = Vec::new();
    for t in targets {
        let pair = (owner.key().to_value(), t.key().to_value());
        let back = (symmetrical && pair.0 != pair.1).then(|| (pair.1.clone(), pair.0.clone()));
        for p in std::iter::once(pair).chain(back) {
            if !pairs.contains(&p) {
                pairs.push(p);
            }
        }
    }
    if pairs.is_empty() {
        return Ok(());
    }
    let mut binds = Vec::new();
    let mut tuples = Vec::new();
    for (a, b) in pairs {
        binds.push(a);
        binds.push(b);
        tuples.push(format!("({}, {})", db.placeholder(binds.len() - 1), db.placeholder(binds.len())));
    }
    let sql = format!(
        "INSERT INTO {} ({}, {}) VALUES {} ON CONFLICT DO NOTHING",
        quote(join_table),
        quote(from_col),
        quote(to_col),
        tuples.join(", ")
    );
    db.execute(&sql, &binds).await.map(|_| ())
}

#[doc(hidden)]
/// Removes links from a many-to-many: the given targets, or all (used by the derive's
/// `<field>_remove` and `<field>_clear`); a symmetrical relation loses both directions.
pub async fn m2m_remove<M: Model, T: Model>(
    db: &Db,
    owner: &M,
    join_table: &str,
    (from_col, to_col): (&str, &str),
    targets: Option<&[&T]>,
    symmetrical: bool,
) -> Result<u64> {
    let mut binds = vec![owner.key().to_value()];
    let me = db.placeholder(1);
    let (from, to) = (quote(from_col), quote(to_col));
    let sql = match targets {
        Some([]) => return Ok(0),
        Some(ts) => {
            let ps: Vec<String> = ts
                .iter()
                .map(|t| {
                    binds.push(t.key().to_value());
                    db.placeholder(binds.len())
                })
                .collect();
            let list = ps.join(", ");
            if symmetrical {
                format!("({from} = {me} AND {to} IN ({list})) OR ({to} = {me} AND {from} IN ({list}))")
            } else {
                format!("{from} = {me} AND {to} IN ({list})")
            }
        }
        None if symmetrical => format!("{from} = {me} OR {to} = {me}"),
        None => format!("{from} = {me}"),
    };
    db.execute(&format!("DELETE FROM {} WHERE {sql}", quote(join_table)), &binds).await
}
