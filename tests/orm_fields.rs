//! Field kinds Django users reach for daily: choices enums (`#[derive(Choices)]`), naive
//! datetimes (`NaiveDateTime`), `auto_now` / `auto_now_add`, durations (`TimeDelta`), addresses
//! (`IpAddr`), stored generated columns and callable defaults. The same tests on PostgreSQL and
//! SQLite (`postgres::<name>` and `sqlite::<name>`).

#[macro_use]
mod common;

use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use common::db::TestDb;
use teapot::orm::instance::{bulk_create, get_or_create, update_or_create};
use teapot::prelude::*;
use teapot::{Dialect, ErrorKind};

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, Copy, PartialEq, teapot::Choices)]
    pub enum Status {
        #[teapot(value = "d")]
        Draft,
        #[teapot(value = "p", label = "Published")]
        Published,
        #[teapot(value = "a", label = "Archived for good")]
        Archived,
    }

    #[derive(Debug, Clone, Copy, PartialEq, teapot::Choices)]
    pub enum Priority {
        #[teapot(value = 1, label = "Low")]
        Low,
        #[teapot(value = 5)]
        High,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "fl")]
    pub struct Post {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub title: String,
        #[teapot(max_length = 1, default = "d")]
        pub status: Status,
        pub review: Option<Status>,
        pub priority: Priority,
        pub due: Option<Priority>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "fl")]
    pub struct Event {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        pub at: NaiveDateTime,
        pub until: Option<NaiveDateTime>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "fl")]
    pub struct Tick {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub label: String,
        #[teapot(db_default = "CURRENT_TIMESTAMP")]
        pub at: NaiveDateTime,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "fl")]
    pub struct Note {
        pub id: i64,
        #[teapot(max_length = 50, unique)]
        pub text: String,
        #[teapot(default = 0)]
        pub edits: i32,
        #[teapot(auto_now_add)]
        pub created: DateTime<Utc>,
        #[teapot(auto_now)]
        pub updated: DateTime<Utc>,
        #[teapot(auto_now)]
        pub touched: Option<NaiveDateTime>,
        #[teapot(auto_now_add)]
        pub day: NaiveDate,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "fl")]
    pub struct Gadget {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(max_digits = 10, decimal_places = 2)]
        pub price: Decimal,
        pub qty: i32,
        pub lead_time: TimeDelta,
        pub grace: Option<TimeDelta>,
        pub ip: IpAddr,
        pub last_ip: Option<IpAddr>,
        #[teapot(max_digits = 20, decimal_places = 2, generated = "(\"price\" * \"qty\")")]
        pub total: Option<Decimal>,
        #[teapot(default = uuid4, unique)]
        pub uid: Uuid,
        #[teapot(default = now)]
        pub created: DateTime<Utc>,
        #[teapot(default = today)]
        pub day: NaiveDate,
        #[teapot(default = dict)]
        pub attrs: serde_json::Value,
        #[teapot(default = list)]
        pub tags: Option<serde_json::Value>,
    }
}

async fn setup(t: &TestDb) -> Db {
    common::db::orm_db(t, "fl", MODELS_SRC).await
}

suite!(
    choices_round_trip_and_filter,
    unknown_choice_in_the_database_is_an_error_naming_column_value_and_enum,
    naive_datetimes_round_trip_filter_and_transform,
    naive_datetimes_order_with_current_timestamp,
    auto_now_add_and_auto_now_on_create_and_save,
    auto_now_with_save_fields_only_when_listed,
    auto_now_not_on_queryset_update,
    auto_now_on_bulk_create_get_or_create_update_or_create,
    durations_and_addresses_round_trip_and_filter,
    generated_columns_are_read_back_and_never_written,
    callable_defaults_give_each_new_instance_its_own_value,
);

fn post(title: &str, status: Status, priority: Priority) -> Post {
    Post { title: title.into(), status, priority, ..Post::defaults() }
}

fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").expect("a datetime")
}

async fn choices_round_trip_and_filter(db: Db) -> R {
    assert_eq!(Status::CHOICES, &[("d", "Draft"), ("p", "Published"), ("a", "Archived for good")]);
    assert_eq!(Priority::CHOICES, &[(1, "Low"), (5, "High")]);
    assert_eq!((Status::Archived.value(), Status::Archived.label()), ("a", "Archived for good"));
    assert_eq!(Priority::High.value(), 5);
    assert_eq!(Post::defaults().status, Status::Draft, "the declared default");

    let mut a = post("a", Status::Published, Priority::High);
    a.review = Some(Status::Archived);
    a.due = Some(Priority::Low);
    a.create(&db).await?;
    let mut b = post("b", Status::Draft, Priority::Low);
    b.create(&db).await?;
    post("c", Status::Archived, Priority::Low).create(&db).await?;

    let back = Post::objects().filter(Post::id().eq(a.id)).get(&db).await?;
    assert_eq!(
        (back.status, back.review, back.priority, back.due),
        (Status::Published, Some(Status::Archived), Priority::High, Some(Priority::Low))
    );
    let back = Post::objects().filter(Post::id().eq(b.id)).get(&db).await?;
    assert_eq!((back.review, back.due), (None, None));

    let titles = |q: teapot::orm::QuerySet<Post>| {
        let db = db.clone();
        async move {
            Ok::<_, teapot::Error>(
                q.order_by(Post::title().asc()).values_list(&db, (Post::title(),)).await?.into_iter().map(|(t,)| t).collect::<Vec<_>>(),
            )
        }
    };
    assert_eq!(titles(Post::objects().filter(Post::status().eq(Status::Draft))).await?, ["b"]);
    assert_eq!(titles(Post::objects().filter(Post::status().is_in([Status::Draft, Status::Archived]))).await?, ["b", "c"]);
    assert_eq!(titles(Post::objects().filter(Post::priority().eq(Priority::Low))).await?, ["b", "c"]);
    assert_eq!(titles(Post::objects().filter(Post::priority().gt(Priority::Low))).await?, ["a"], "an integer enum compares as its values");
    assert_eq!(titles(Post::objects().filter(Post::review().eq(Status::Archived))).await?, ["a"]);
    assert_eq!(titles(Post::objects().filter(Post::review().is_null(true))).await?, ["b", "c"]);
    assert_eq!(titles(Post::objects().exclude(Post::status().eq(Status::Draft))).await?, ["a", "c"]);

    // Stored as the values: text in a varchar(1), integers in an integer column.
    let raw = db.fetch_all("SELECT status, priority FROM fl_post WHERE title = 'a'", &[]).await?;
    assert_eq!((raw[0].get::<String>(0)?, raw[0].get::<i32>(1)?), ("p".to_string(), 5));

    // An update by a queryset takes the enum too.
    Post::objects().filter(Post::id().eq(b.id)).update(&db, vec![Post::status().set(Status::Published)]).await?;
    b.refresh(&db).await?;
    assert_eq!(b.status, Status::Published);
    b.review = Some(Status::Draft);
    b.save(&db).await?;
    assert_eq!(Post::objects().filter(Post::review().eq(Status::Draft)).count(&db).await?, 1);
    Ok(())
}

async fn unknown_choice_in_the_database_is_an_error_naming_column_value_and_enum(db: Db) -> R {
    let mut a = post("a", Status::Draft, Priority::Low);
    a.create(&db).await?;
    db.execute("UPDATE fl_post SET status = 'x'", &[]).await?;
    let e = Post::objects().get(&db).await.expect_err("an unknown value");
    assert_eq!(e.kind, ErrorKind::Database);
    let text = e.to_string();
    for part in ["\"status\"", "\"x\"", "Status", "\"d\", \"p\", \"a\""] {
        assert!(text.contains(part), "{part} missing from: {text}");
    }
    db.execute("UPDATE fl_post SET status = 'd', due = 7", &[]).await?;
    let e = Post::objects().all(&db).await.expect_err("an unknown integer");
    let text = e.to_string();
    for part in ["\"due\"", "holds 7", "Priority", "1, 5"] {
        assert!(text.contains(part), "{part} missing from: {text}");
    }
    Ok(())
}

async fn naive_datetimes_round_trip_filter_and_transform(db: Db) -> R {
    let times = [("new year", "2024-01-01 00:00:00"), ("leap", "2024-02-29 23:59:59.250000"), ("march", "2024-03-01 12:00:00.000001")];
    for (name, at) in times {
        Event { name: name.into(), at: dt(at), until: None, ..Event::defaults() }.create(&db).await?;
    }
    let mut last =
        Event { name: "late".into(), at: dt("2025-12-31 23:00:00"), until: Some(dt("2026-01-01 01:30:00")), ..Event::defaults() };
    last.create(&db).await?;

    let back = Event::objects().order_by(Event::id().asc()).all(&db).await?;
    let ats: Vec<NaiveDateTime> = back.iter().map(|e| e.at).collect();
    assert_eq!(ats, [dt("2024-01-01 00:00:00"), dt("2024-02-29 23:59:59.25"), dt("2024-03-01 12:00:00.000001"), dt("2025-12-31 23:00:00")]);
    assert_eq!(back[3].until, Some(dt("2026-01-01 01:30:00")));

    let names = |q: teapot::orm::QuerySet<Event>| {
        let db = db.clone();
        async move {
            Ok::<_, teapot::Error>(
                q.order_by(Event::at().asc()).values_list(&db, (Event::name(),)).await?.into_iter().map(|(n,)| n).collect::<Vec<_>>(),
            )
        }
    };
    assert_eq!(names(Event::objects().filter(Event::at().gt(dt("2024-02-29 23:59:59")))).await?, ["leap", "march", "late"]);
    assert_eq!(names(Event::objects().filter(Event::at().lt(dt("2024-03-01 12:00:00.000001")))).await?, ["new year", "leap"]);
    assert_eq!(names(Event::objects().filter(Event::at().eq(dt("2024-02-29 23:59:59.25")))).await?, ["leap"]);
    assert_eq!(names(Event::objects().filter(Event::at().year().eq(2024))).await?, ["new year", "leap", "march"]);
    assert_eq!(names(Event::objects().filter(Event::at().month().eq(2))).await?, ["leap"]);
    assert_eq!(names(Event::objects().filter(Event::at().day().eq(31))).await?, ["late"]);
    let leap_day = NaiveDate::from_ymd_opt(2024, 2, 29).expect("a date");
    assert_eq!(names(Event::objects().filter(Event::at().date().eq(leap_day))).await?, ["leap"], "a wall-clock date, no time zone");
    assert_eq!(names(Event::objects().filter(Event::until().year().eq(2026))).await?, ["late"]);
    assert_eq!(names(Event::objects().filter(Event::until().is_null(true))).await?, ["new year", "leap", "march"]);
    let newest = Event::objects().order_by(Event::at().desc()).values_list(&db, (Event::at().date(),)).await?;
    assert_eq!(newest.first().map(|(d,)| *d), NaiveDate::from_ymd_opt(2025, 12, 31));

    if db.dialect() == Dialect::Sqlite {
        // The text CURRENT_TIMESTAMP writes: a space, micros only when there are some.
        let stored: Vec<String> = db
            .fetch_all("SELECT at FROM fl_event ORDER BY id", &[])
            .await?
            .iter()
            .map(|r| r.get::<String>(0))
            .collect::<teapot::Result<_>>()?;
        assert_eq!(stored, ["2024-01-01 00:00:00", "2024-02-29 23:59:59.250000", "2024-03-01 12:00:00.000001", "2025-12-31 23:00:00"]);
    } else {
        let ty = db
            .fetch_all("SELECT data_type FROM information_schema.columns WHERE table_name = 'fl_event' AND column_name = 'at'", &[])
            .await?;
        assert_eq!(ty[0].get::<String>(0)?, "timestamp without time zone");
    }
    last.at = dt("2023-06-15 08:00:00");
    last.save(&db).await?;
    assert_eq!(names(Event::objects().filter(Event::at().year().eq(2023))).await?, ["late"]);
    Ok(())
}

async fn naive_datetimes_order_with_current_timestamp(db: Db) -> R {
    let mut by_db = Tick { label: "by the database".into(), ..Tick::defaults() };
    by_db.create(&db).await?;
    let t = by_db.at;
    let mut rows = vec![
        Tick { label: "earlier".into(), at: t - Duration::milliseconds(500), ..Tick::defaults() },
        Tick { label: "later".into(), at: t + Duration::milliseconds(250), ..Tick::defaults() },
        Tick { label: "same".into(), at: t, ..Tick::defaults() },
    ];
    bulk_create(&db, &mut rows).await?;
    let order: Vec<String> = Tick::objects()
        .order_by(Tick::at().asc())
        .order_by(Tick::id().asc())
        .values_list(&db, (Tick::label(),))
        .await?
        .into_iter()
        .map(|(l,)| l)
        .collect();
    assert_eq!(order, ["earlier", "by the database", "same", "later"]);
    assert_eq!(Tick::objects().filter(Tick::at().eq(t)).count(&db).await?, 2, "one instant, one form");
    assert_eq!(Tick::objects().filter(Tick::at().gt(t)).count(&db).await?, 1);
    Ok(())
}

async fn pause() {
    tokio::time::sleep(StdDuration::from_millis(20)).await;
}

fn note(text: &str) -> Note {
    Note { text: text.into(), ..Note::defaults() }
}

async fn fetch(db: &Db, id: i64) -> teapot::Result<Note> {
    Note::objects().filter(Note::id().eq(id)).get(db).await
}

async fn auto_now_add_and_auto_now_on_create_and_save(db: Db) -> R {
    let before = Utc::now() - Duration::seconds(1);
    let mut n = note("a");
    // Django's auto_now_add overwrites a value given on insert.
    n.created = before - Duration::days(30);
    n.create(&db).await?;
    assert!(n.created > before && n.updated > before, "both set on create: {n:?}");
    assert!(n.touched.is_some());
    assert_eq!(n.day, n.created.date_naive());
    let stored = fetch(&db, n.id).await?;
    assert_eq!(
        (stored.created, stored.updated, stored.touched, stored.day),
        (n.created, n.updated, n.touched, n.day),
        "the values set are the values stored"
    );

    let (created, updated) = (n.created, n.updated);
    pause().await;
    n.edits = 1;
    n.save(&db).await?;
    assert!(n.updated > updated, "auto_now moves on save");
    assert_eq!(n.created, created, "auto_now_add does not");
    let stored = fetch(&db, n.id).await?;
    assert_eq!((stored.created, stored.updated, stored.edits), (created, n.updated, 1));

    // save() of a new row (no key) inserts it: both set.
    let mut m = Note { text: "b".into(), ..Note::defaults() };
    m.save(&db).await?;
    assert!(m.created > before && fetch(&db, m.id).await?.created == m.created);
    Ok(())
}

async fn auto_now_with_save_fields_only_when_listed(db: Db) -> R {
    let mut n = note("a");
    n.create(&db).await?;
    let (updated, touched) = (n.updated, n.touched);
    pause().await;
    n.edits = 2;
    n.save_fields(&db, &["edits"]).await?;
    assert_eq!((n.updated, n.touched), (updated, touched), "Django: update_fields without it leaves auto_now alone");
    let stored = fetch(&db, n.id).await?;
    assert_eq!((stored.edits, stored.updated, stored.touched), (2, updated, touched));

    n.save_fields(&db, &["edits", "updated"]).await?;
    assert!(n.updated > updated, "listed: set");
    assert_eq!(n.touched, touched, "not listed: left");
    let stored = fetch(&db, n.id).await?;
    assert_eq!((stored.updated, stored.touched), (n.updated, touched));
    Ok(())
}

async fn auto_now_not_on_queryset_update(db: Db) -> R {
    let mut n = note("a");
    n.create(&db).await?;
    pause().await;
    Note::objects().filter(Note::id().eq(n.id)).update(&db, vec![Note::edits().set(9)]).await?;
    let stored = fetch(&db, n.id).await?;
    assert_eq!(
        (stored.edits, stored.updated, stored.created),
        (9, n.updated, n.created),
        "QuerySet.update() leaves auto_now alone, as Django's does"
    );
    Ok(())
}

async fn auto_now_on_bulk_create_get_or_create_update_or_create(db: Db) -> R {
    let before = Utc::now() - Duration::seconds(1);
    let mut rows = vec![note("a"), note("b")];
    bulk_create(&db, &mut rows).await?;
    for r in &rows {
        assert!(r.created > before && r.updated > before);
        let stored = fetch(&db, r.id).await?;
        assert_eq!((stored.created, stored.updated), (r.created, r.updated));
    }

    let (made, created) = get_or_create(&db, Note::text().eq("c"), note("c")).await?;
    assert!(created && made.created > before);
    assert_eq!(fetch(&db, made.id).await?.created, made.created);
    pause().await;
    let (found, created) = get_or_create(&db, Note::text().eq("c"), note("c")).await?;
    assert!(!created);
    assert_eq!((found.created, found.updated), (made.created, made.updated), "getting changes nothing");

    // update_or_create: Django saves the update with the auto_now fields added.
    let (upd, created) = update_or_create(&db, Note::text().eq("c"), note("c"), |n| n.edits = 5).await?;
    assert!(!created);
    assert!(upd.updated > made.updated && upd.created == made.created);
    let stored = fetch(&db, upd.id).await?;
    assert_eq!((stored.edits, stored.updated, stored.created), (5, upd.updated, made.created));
    let (new, created) = update_or_create(&db, Note::text().eq("d"), note("d"), |n| n.edits = 1).await?;
    assert!(created && new.created > before && fetch(&db, new.id).await?.created == new.created);
    Ok(())
}

fn gadget(name: &str, qty: i32, lead: TimeDelta, ip: &str) -> Gadget {
    Gadget {
        name: name.into(),
        price: "2.50".parse().expect("decimal"),
        qty,
        lead_time: lead,
        ip: ip.parse().expect("ip"),
        ..Gadget::defaults()
    }
}

async fn gadget_names(db: &Db, q: teapot::orm::QuerySet<Gadget>) -> teapot::Result<Vec<String>> {
    Ok(q.order_by(Gadget::name().asc()).values_list(db, (Gadget::name(),)).await?.into_iter().map(|(n,)| n).collect())
}

async fn durations_and_addresses_round_trip_and_filter(db: Db) -> R {
    let day_and_a_bit = TimeDelta::days(1) + TimeDelta::microseconds(3_600_000_001);
    let mut a = gadget("a", 1, day_and_a_bit, "192.168.0.1");
    a.grace = Some(TimeDelta::seconds(-90));
    a.last_ip = Some("2001:db8::1".parse().expect("ip"));
    a.create(&db).await?;
    gadget("b", 1, TimeDelta::minutes(5), "::1").create(&db).await?;
    // Sub-microseconds are dropped, as both databases keep microseconds.
    gadget("c", 1, TimeDelta::new(2, 999).expect("delta"), "10.0.0.1").create(&db).await?;

    let back = Gadget::objects().filter(Gadget::id().eq(a.id)).get(&db).await?;
    assert_eq!((back.lead_time, back.grace), (day_and_a_bit, Some(TimeDelta::seconds(-90))));
    assert_eq!((back.ip, back.last_ip), (a.ip, a.last_ip));
    let c = Gadget::objects().filter(Gadget::name().eq("c")).get(&db).await?;
    assert_eq!(c.lead_time, TimeDelta::seconds(2));

    assert_eq!(gadget_names(&db, Gadget::objects().filter(Gadget::lead_time().gt(TimeDelta::minutes(5)))).await?, ["a"]);
    assert_eq!(gadget_names(&db, Gadget::objects().filter(Gadget::lead_time().lte(TimeDelta::minutes(5)))).await?, ["b", "c"]);
    assert_eq!(gadget_names(&db, Gadget::objects().filter(Gadget::grace().lt(TimeDelta::zero()))).await?, ["a"]);
    assert_eq!(gadget_names(&db, Gadget::objects().filter(Gadget::ip().eq("::1".parse::<IpAddr>().expect("ip")))).await?, ["b"]);
    assert_eq!(gadget_names(&db, Gadget::objects().filter(Gadget::last_ip().is_null(true))).await?, ["b", "c"]);

    // Stored as Django stores them: an interval / microseconds, an inet / text.
    let raw = db.fetch_all("SELECT CAST(lead_time AS TEXT), CAST(ip AS TEXT) FROM fl_gadget WHERE name = 'a'", &[]).await?;
    let stored = (raw[0].get::<String>(0)?, raw[0].get::<String>(1)?);
    match db.dialect() {
        Dialect::Postgres => assert_eq!(stored, ("1 day 01:00:00.000001".to_string(), "192.168.0.1/32".to_string())),
        Dialect::Sqlite => assert_eq!(stored, ("90000000001".to_string(), "192.168.0.1".to_string())),
    }

    Gadget::objects().filter(Gadget::name().eq("b")).update(&db, vec![Gadget::grace().set(TimeDelta::hours(2))]).await?;
    let mut b = Gadget::objects().filter(Gadget::name().eq("b")).get(&db).await?;
    assert_eq!(b.grace, Some(TimeDelta::hours(2)));
    b.last_ip = Some("127.0.0.1".parse().expect("ip"));
    b.lead_time = TimeDelta::zero();
    b.save(&db).await?;
    b.refresh(&db).await?;
    assert_eq!((b.lead_time, b.last_ip), (TimeDelta::zero(), Some("127.0.0.1".parse().expect("ip"))));

    // A required address left to defaults() is refused, as a required date is.
    let e = Gadget { name: "d".into(), qty: 1, ..Gadget::defaults() }.create(&db).await.expect_err("no address");
    assert_eq!(e.kind, ErrorKind::Usage, "{e}");
    assert!(e.to_string().contains("Gadget.ip"), "{e}");
    Ok(())
}

async fn generated_columns_are_read_back_and_never_written(db: Db) -> R {
    let two_fifty: Decimal = "2.50".parse().expect("decimal");
    let mut a = gadget("a", 4, TimeDelta::zero(), "::1");
    assert_eq!(a.total, None, "nothing computed before the insert");
    a.create(&db).await?;
    assert_eq!(a.total, Some("10.00".parse().expect("decimal")), "read back by the insert");

    a.qty = 6;
    a.save(&db).await?;
    assert_eq!(a.total, Some("15.00".parse().expect("decimal")), "read back by save");
    a.total = Some(Decimal::ONE);
    a.price = Decimal::ONE;
    a.save_fields(&db, &["price"]).await?;
    assert_eq!(a.total, Some("6.00".parse().expect("decimal")), "save_fields reads it back, whatever the instance held");
    let e = a.save_fields(&db, &["total"]).await.expect_err("a generated column");
    assert_eq!(e.kind, ErrorKind::Usage, "{e}");

    let mut rows = vec![gadget("b", 2, TimeDelta::zero(), "::1"), gadget("c", 3, TimeDelta::zero(), "::1")];
    bulk_create(&db, &mut rows).await?;
    assert_eq!(rows.iter().map(|g| g.total).collect::<Vec<_>>(), [Some(two_fifty * Decimal::TWO), Some(two_fifty * Decimal::from(3))]);
    let e = teapot::orm::instance::bulk_update(&db, &rows, &["total"]).await.expect_err("a generated column");
    assert_eq!(e.kind, ErrorKind::Usage, "{e}");
    rows[0].qty = 10;
    teapot::orm::instance::bulk_update(&db, &rows, &["qty"]).await?;
    let b = Gadget::objects().filter(Gadget::name().eq("b")).get(&db).await?;
    assert_eq!(b.total, Some("25.00".parse().expect("decimal")));

    // Filters and orderings read it as any column.
    assert_eq!(gadget_names(&db, Gadget::objects().filter(Gadget::total().gt("9.00".parse::<Decimal>().expect("decimal")))).await?, ["b"]);
    // The database refuses a write of it.
    let e = Gadget::objects().update(&db, vec![Gadget::total().set(Decimal::ONE)]).await.expect_err("generated");
    assert_eq!(e.kind, ErrorKind::Database, "{e}");
    Ok(())
}

async fn callable_defaults_give_each_new_instance_its_own_value(db: Db) -> R {
    let before = Utc::now() - Duration::seconds(1);
    let (a, b) = (Gadget::defaults(), Gadget::defaults());
    assert_ne!(a.uid, b.uid, "uuid4 is called for each instance");
    assert_eq!(a.uid.get_version_num(), 4);
    assert!(a.created >= before && a.created <= Utc::now(), "now: {}", a.created);
    assert_eq!(a.day, Utc::now().date_naive(), "today (UTC)");
    assert_eq!((a.attrs.clone(), a.tags.clone()), (serde_json::json!({}), Some(serde_json::json!([]))));

    let mut g = gadget("a", 1, TimeDelta::zero(), "::1");
    g.create(&db).await?;
    let back = Gadget::objects().filter(Gadget::uid().eq(g.uid)).get(&db).await?;
    assert_eq!((back.created, back.day, back.attrs, back.tags), (g.created, g.day, serde_json::json!({}), Some(serde_json::json!([]))));
    // A value set by hand is kept.
    let mine = Uuid::from_u128(7);
    let mut h = Gadget { uid: mine, ..gadget("b", 1, TimeDelta::zero(), "::1") };
    h.create(&db).await?;
    assert_eq!(Gadget::objects().filter(Gadget::id().eq(h.id)).get(&db).await?.uid, mine);
    Ok(())
}
