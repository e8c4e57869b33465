//! The ORM on abstract bases, a many-to-many through a model and related_query_name, on
//! PostgreSQL and SQLite (`postgres::<name>`, `sqlite::<name>`): rows written and read through
//! the flattened bases (a base of a base, a foreign key in a base), filters across the through
//! relation and by reverse query names, prefetch, and add / remove / set / clear making and
//! deleting rows of the through model (with its defaults, or Django's `through_defaults`).

#[macro_use]
mod common;

use common::db::TestDb;
use teapot::prelude::*;
use teapot::ErrorKind;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, Copy, PartialEq, teapot::Choices)]
    pub enum Status {
        #[teapot(value = "d", label = "Draft")]
        Draft,
        #[teapot(value = "l", label = "Live")]
        Live,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(abstract)]
    pub struct Stamped {
        #[teapot(auto_now_add)]
        pub created: DateTime<Utc>,
        #[teapot(auto_now)]
        pub updated: DateTime<Utc>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(abstract)]
    pub struct Named {
        #[teapot(flatten)]
        pub stamped: Stamped,
        #[teapot(max_length = 100, db_index)]
        pub name: String,
        #[teapot(max_length = 1, default = "d")]
        pub status: Status,
        #[teapot(on_delete = "cascade", related_name = "home_%(class)ss")]
        pub home: Option<ForeignKey<Country>>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "club")]
    pub struct Country {
        #[teapot(primary_key, max_length = 8)]
        pub code: String,
        #[teapot(max_length = 100)]
        pub label: String,
        pub clubs: Reverse<Club>,
        pub club: Reverse<Club>,
        pub home_persons: Reverse<Person>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "club")]
    pub struct Person {
        pub id: i64,
        #[teapot(flatten)]
        pub named: Named,
        #[teapot(max_length = 254, unique)]
        pub email: String,
        pub clubs: Reverse<Club>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "club")]
    pub struct Club {
        pub id: i64,
        #[teapot(flatten)]
        pub named: Named,
        #[teapot(on_delete = "cascade", related_name = "clubs", related_query_name = "club")]
        pub country: ForeignKey<Country>,
        #[teapot(through = "Membership", related_name = "clubs")]
        pub members: ManyToMany<Person>,
        pub membership: Reverse<Membership>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "club", unique(fields = ["club", "person"], name = "membership_once"))]
    pub struct Membership {
        pub id: i64,
        #[teapot(flatten)]
        pub stamped: Stamped,
        #[teapot(on_delete = "cascade")]
        pub club: ForeignKey<Club>,
        #[teapot(on_delete = "cascade")]
        pub person: ForeignKey<Person>,
        #[teapot(max_length = 20, default = "member")]
        pub role: String,
        pub since: NaiveDate,
    }
}

async fn setup(t: &TestDb) -> Db {
    common::db::orm_db(t, "club", MODELS_SRC).await
}

suite!(
    rows_are_written_and_read_through_flattened_bases,
    a_through_relation_is_filtered_prefetched_and_changed,
    add_without_a_value_for_a_required_through_field_is_refused,
    reverse_filters_take_the_related_query_name,
);

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, d).expect("a date")
}

async fn country(db: &Db, code: &str) -> teapot::Result<Country> {
    let mut c = Country { code: code.into(), label: code.to_uppercase(), ..Country::defaults() };
    c.create(db).await?;
    Ok(c)
}

async fn person(db: &Db, name: &str, home: Option<&Country>) -> teapot::Result<Person> {
    let mut p = Person { email: format!("{name}@x"), ..Person::defaults() };
    p.named.name = name.into();
    p.named.home = home.map(ForeignKey::from);
    p.create(db).await?;
    Ok(p)
}

async fn club(db: &Db, name: &str, country: &Country) -> teapot::Result<Club> {
    let mut c = Club { country: country.into(), ..Club::defaults() };
    c.named.name = name.into();
    c.named.status = Status::Live;
    c.create(db).await?;
    Ok(c)
}

/// The bases' fields are the model's columns: defaults from the base (`status`), auto_now_add
/// and auto_now set through it, a foreign key in a base of a base, filters on each.
async fn rows_are_written_and_read_through_flattened_bases(db: Db) -> R {
    let fr = country(&db, "fr").await?;
    let ann = person(&db, "ann", Some(&fr)).await?;
    assert_eq!(ann.named.status, Status::Draft, "the base's default");
    assert!(ann.named.stamped.created > DateTime::<Utc>::MIN_UTC, "auto_now_add set through the base");
    let got = Person::objects().filter(Person::name().eq("ann")).get(&db).await?;
    assert_eq!(got.email, "ann@x");
    assert_eq!(got.named.name, "ann");
    assert_eq!(got.named.home.as_ref().map(|h| h.key().clone()), Some("fr".to_string()));
    assert_eq!(got.named.stamped.created, ann.named.stamped.created);
    let first_update = got.named.stamped.updated;

    let mut got = got;
    got.named.status = Status::Live;
    got.save(&db).await?;
    let again = Person::objects().filter(Person::status().eq(Status::Live)).get(&db).await?;
    assert_eq!(again.id, ann.id);
    assert!(again.named.stamped.updated >= first_update, "auto_now on save");
    assert_eq!(again.named.stamped.created, ann.named.stamped.created, "auto_now_add only on insert");

    // A foreign key declared in the base: joined, selected, and reached in reverse by the
    // related_name the base gives each model (`home_%(class)ss`).
    let by_home = Person::objects().filter(Person::home().label().eq("FR")).select_related(&["home"]).all(&db).await?;
    assert_eq!(by_home.len(), 1);
    assert_eq!(by_home[0].named.home.as_ref().map(|h| h.get().map(|c| c.label.clone())).transpose()?, Some("FR".into()));
    let homes = Country::objects().filter(Country::home_persons().name().eq("ann")).all(&db).await?;
    assert_eq!(homes.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["fr"]);
    let recent = Person::objects().filter(Person::created().gte(ann.named.stamped.created)).count(&db).await?;
    assert_eq!(recent, 1);
    Ok(())
}

/// Django's m2m_through tests, in short: add makes rows of the through model (its defaults, or
/// through_defaults), filters go through its table, remove / set / clear delete its rows.
async fn a_through_relation_is_filtered_prefetched_and_changed(db: Db) -> R {
    let fr = country(&db, "fr").await?;
    let (jim, bob, jane) = (person(&db, "jim", None).await?, person(&db, "bob", None).await?, person(&db, "jane", None).await?);
    let mut rock = club(&db, "rock", &fr).await?;
    let mut roll = club(&db, "roll", &fr).await?;
    rock.members_add_with(&db, &[&jim, &bob], |m: &mut Membership| m.since = day(1)).await?;
    rock.members_add_with(&db, &[&jane], |m: &mut Membership| {
        m.since = day(2);
        m.role = "owner".into();
    })
    .await?;
    // A link that is there already stays as it is (its role is not overwritten).
    rock.members_add_with(&db, &[&jim], |m: &mut Membership| {
        m.since = day(3);
        m.role = "owner".into();
    })
    .await?;
    roll.members_add_with(&db, &[&jim], |m: &mut Membership| m.since = day(4)).await?;

    let rows = Membership::objects().order_by(Membership::id().asc()).all(&db).await?;
    let roles: Vec<(i64, &str)> = rows.iter().map(|m| (*m.person.key(), m.role.as_str())).collect();
    assert_eq!(roles, [(jim.id, "member"), (bob.id, "member"), (jane.id, "owner"), (jim.id, "member")]);
    assert!(rows.iter().all(|m| m.stamped.created > DateTime::<Utc>::MIN_UTC), "the through row's auto_now_add");

    // Across the relation, both ways, and by a field of the through model.
    let of_jim = Club::objects().filter(Club::members().name().eq("jim")).order_by(Club::id().asc()).all(&db).await?;
    assert_eq!(of_jim.iter().map(|c| c.named.name.as_str()).collect::<Vec<_>>(), ["rock", "roll"]);
    let in_rock = Person::objects().filter(Person::clubs().name().eq("rock")).order_by(Person::id().asc()).all(&db).await?;
    assert_eq!(in_rock.iter().map(|p| p.named.name.as_str()).collect::<Vec<_>>(), ["jim", "bob", "jane"]);
    let owned = Club::objects().filter(Club::membership().role().eq("owner")).all(&db).await?;
    assert_eq!(owned.iter().map(|c| c.id).collect::<Vec<_>>(), [rock.id]);

    // Prefetch: one query per relation, through the through model's table.
    let clubs = Club::objects().order_by(Club::id().asc()).prefetch_related(&["members"]).all(&db).await?;
    let names: Vec<Vec<String>> =
        clubs.iter().map(|c| c.members.get().map(|ms| ms.iter().map(|p| p.named.name.clone()).collect())).collect::<teapot::Result<_>>()?;
    assert_eq!(names, [vec!["jim", "bob", "jane"], vec!["jim"]]);
    let people = Person::objects().filter(Person::name().eq("jim")).prefetch_related(&["clubs"]).all(&db).await?;
    assert_eq!(people[0].clubs.get()?.len(), 2);

    // remove, set, clear: rows of the through model go (and come, from the closure's values).
    assert_eq!(rock.members_remove(&db, &[&bob]).await?, 1);
    rock.members_set_with(&db, &[&jane, &bob], |m: &mut Membership| m.since = day(5)).await?;
    let mut left: Vec<i64> =
        Membership::objects().filter(Membership::club().eq(rock.id)).all(&db).await?.iter().map(|m| *m.person.key()).collect();
    left.sort();
    let mut want = vec![bob.id, jane.id];
    want.sort();
    assert_eq!(left, want, "set keeps jane (still the owner), adds bob, takes jim out");
    let jane_row = Membership::objects().filter(Membership::person().eq(jane.id)).filter(Membership::club().eq(rock.id)).get(&db).await?;
    assert_eq!((jane_row.role.as_str(), jane_row.since), ("owner", day(2)));
    assert_eq!(rock.members_clear(&db).await?, 2);
    assert_eq!(Membership::objects().count(&db).await?, 1, "roll's link stays");
    Ok(())
}

/// `since` has no default: a link made without a value for it is refused, naming the field and
/// the way to give it; nothing is written.
async fn add_without_a_value_for_a_required_through_field_is_refused(db: Db) -> R {
    let fr = country(&db, "fr").await?;
    let jim = person(&db, "jim", None).await?;
    let mut rock = club(&db, "rock", &fr).await?;
    let err = rock.members_add(&db, &[&jim]).await.expect_err("since has no default");
    assert_eq!(err.kind, ErrorKind::Usage, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("Membership.since") && msg.contains("_add_with"), "{msg}");
    assert_eq!(Membership::objects().count(&db).await?, 0);
    Ok(())
}

/// `related_query_name = "club"` names the reverse side in filters, as the related_name
/// (`clubs`) still does; a model's lowercased name is the default one (`membership`, above).
async fn reverse_filters_take_the_related_query_name(db: Db) -> R {
    let (fr, de) = (country(&db, "fr").await?, country(&db, "de").await?);
    club(&db, "chess", &fr).await?;
    club(&db, "go", &de).await?;
    let by_query_name = Country::objects().filter(Country::club().name().eq("chess")).all(&db).await?;
    assert_eq!(by_query_name.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["fr"]);
    let by_accessor = Country::objects().filter(Country::clubs().name().eq("go")).all(&db).await?;
    assert_eq!(by_accessor.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["de"]);
    let none = Country::objects().exclude(Country::club().name().eq("chess")).order_by(Country::code().asc()).all(&db).await?;
    assert_eq!(none.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["de"]);
    let fetched = Country::objects().filter(Country::code().eq("fr")).prefetch_related(&["club"]).all(&db).await?;
    assert_eq!(fetched[0].club.get()?.len(), 1);
    Ok(())
}
