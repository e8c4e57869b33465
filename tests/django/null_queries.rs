//! Django's `null_queries` tests.

use crate::common::db::TestDb;
use teapot::prelude::*;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, PartialEq, teapot::Model)]
    #[teapot(app = "null_queries")]
    pub struct Poll {
        pub id: i64,
        #[teapot(max_length = 200)]
        pub question: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "null_queries")]
    pub struct Choice {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub poll: ForeignKey<Poll>,
        #[teapot(max_length = 200)]
        pub choice: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "null_queries")]
    pub struct OuterA {
        pub id: i64,
        pub inner_set: Reverse<Inner>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "null_queries")]
    pub struct OuterB {
        pub id: i64,
        #[teapot(max_length = 10)]
        pub data: String,
        pub inner_set: Reverse<Inner>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "null_queries")]
    pub struct Inner {
        pub id: i64,
        #[teapot(on_delete = "cascade")]
        pub first: ForeignKey<OuterA>,
        #[teapot(on_delete = "set_null")]
        pub third: Option<ForeignKey<OuterB>>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "null_queries", MODELS_SRC).await
}

suite!(test_none_as_null, test_reverse_relations);

/// Django: null_queries.tests.NullQueriesTests.test_none_as_null
async fn test_none_as_null(db: Db) -> R {
    let mut p1 = Poll { question: "Why?".into(), ..Poll::defaults() };
    p1.save(&db).await?;
    let mut c1 = Choice { poll: ForeignKey::from(&p1), choice: "Because.".into(), ..Choice::defaults() };
    c1.save(&db).await?;
    let mut c2 = Choice { poll: ForeignKey::from(&p1), choice: "Why Not?".into(), ..Choice::defaults() };
    c2.save(&db).await?;

    // Exact query with value None returns nothing ("is NULL" in sql, but every 'id' field has a
    // value): teapot spells `choice__exact=None` as is_null(true).
    assert!(Choice::objects().filter(Choice::choice().is_null(true)).all(&db).await?.is_empty());
    // `choice__iexact=None`: iexact takes a &str, there is no None to give it.

    // Excluding the previous result returns everything.
    let ids: Vec<i64> = Choice::objects()
        .exclude(Choice::choice().is_null(true))
        .order_by(Choice::id().asc())
        .all(&db)
        .await?
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, [c1.id, c2.id]);

    // `filter(foo__exact=None)` and `filter(id__gt=None)` are compile errors in teapot (no
    // column `foo`; `gt` takes an i64, not an Option).
    Ok(())
}

/// Django: null_queries.tests.NullQueriesTests.test_reverse_relations
async fn test_reverse_relations(db: Db) -> R {
    // Querying across reverse relations and then another relation should insert outer joins
    // correctly so as not to exclude results.
    let mut obj = OuterA::defaults();
    obj.create(&db).await?;
    let a_ids = |v: Vec<OuterA>| v.iter().map(|x| x.id).collect::<Vec<_>>();
    assert_eq!(a_ids(OuterA::objects().filter(OuterA::inner_set().third().is_null(true)).all(&db).await?), [obj.id]);
    assert_eq!(a_ids(OuterA::objects().filter(OuterA::inner_set().third().data().is_null(true)).all(&db).await?), [obj.id]);
    let mut inner = Inner { first: ForeignKey::from(&obj), ..Inner::defaults() };
    inner.create(&db).await?;
    let got = Inner::objects().filter(Inner::first().inner_set().third().is_null(true)).all(&db).await?;
    assert_eq!(got.iter().map(|x| x.id).collect::<Vec<_>>(), [inner.id]);
    // Ticket #13815: <reverse>_isnull=False does not produce faulty empty lists.
    let mut outerb = OuterB { data: "reverse".into(), ..OuterB::defaults() };
    outerb.create(&db).await?;
    assert!(OuterB::objects().filter(OuterB::inner_set().id().is_null(false)).all(&db).await?.is_empty());
    Inner { first: ForeignKey::from(&obj), ..Inner::defaults() }.create(&db).await?;
    let got = OuterB::objects().exclude(OuterB::inner_set().id().is_null(false)).all(&db).await?;
    assert_eq!(got.iter().map(|x| x.id).collect::<Vec<_>>(), [outerb.id]);
    Ok(())
}
