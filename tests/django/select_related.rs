//! Django's `select_related` tests. Where Django loads a relation lazily (one query per access),
//! teapot reads it as NotLoaded: the tests check that select_related fills exactly the path given.

use crate::common::db::TestDb;
use teapot::orm::instance::get_or_create;
use teapot::prelude::*;
use teapot::ErrorKind;

type R = teapot::Result<()>;

models! {
    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "select_related")]
    pub struct Domain {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "select_related")]
    pub struct Kingdom {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(on_delete = "cascade")]
        pub domain: ForeignKey<Domain>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "select_related")]
    pub struct Phylum {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(on_delete = "cascade")]
        pub kingdom: ForeignKey<Kingdom>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "select_related")]
    pub struct Klass {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(on_delete = "cascade")]
        pub phylum: ForeignKey<Phylum>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "select_related")]
    pub struct Order {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(on_delete = "cascade")]
        pub klass: ForeignKey<Klass>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "select_related")]
    pub struct Family {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(on_delete = "cascade")]
        pub order: ForeignKey<Order>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "select_related")]
    pub struct Genus {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(on_delete = "cascade")]
        pub family: ForeignKey<Family>,
        pub species_set: Reverse<Species>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "select_related")]
    pub struct Species {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(on_delete = "cascade")]
        pub genus: ForeignKey<Genus>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "select_related")]
    pub struct HybridSpecies {
        pub id: i64,
        #[teapot(max_length = 50)]
        pub name: String,
        #[teapot(on_delete = "cascade", related_name = "child_1")]
        pub parent_1: ForeignKey<Species>,
        #[teapot(on_delete = "cascade", related_name = "child_2")]
        pub parent_2: ForeignKey<Species>,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "select_related")]
    pub struct Topping {
        pub id: i64,
        #[teapot(max_length = 30)]
        pub name: String,
    }

    #[derive(Debug, Clone, teapot::Model)]
    #[teapot(app = "select_related")]
    pub struct Pizza {
        pub id: i64,
        #[teapot(max_length = 100)]
        pub name: String,
        pub toppings: ManyToMany<Topping>,
    }
}

async fn setup(t: &TestDb) -> Db {
    crate::common::db::orm_db(t, "select_related", MODELS_SRC).await
}

suite!(
    test_reverse_relation_caching,
    test_access_fks_with_select_related,
    test_list_with_depth,
    test_certain_fields,
    test_more_certain_fields,
    test_field_traversal,
    test_chaining,
    test_non_relational_field,
    test_non_relational_field_nested,
    test_many_to_many_field,
    test_invalid_field,
);

/// SelectRelatedTests.create_tree: each level found by name or made, pointing at the one above.
async fn create_tree(db: &Db, tree: &str) -> R {
    let n: Vec<&str> = tree.split_whitespace().collect();
    assert_eq!(n.len(), 8);
    let name = |s: &str| s.to_string();
    let (d, _) = get_or_create(db, Domain::name().eq(n[0]), Domain { name: name(n[0]), ..Domain::defaults() }).await?;
    let (k, _) =
        get_or_create(db, Kingdom::name().eq(n[1]), Kingdom { name: name(n[1]), domain: ForeignKey::from(&d), ..Kingdom::defaults() })
            .await?;
    let (p, _) =
        get_or_create(db, Phylum::name().eq(n[2]), Phylum { name: name(n[2]), kingdom: ForeignKey::from(&k), ..Phylum::defaults() })
            .await?;
    let (c, _) =
        get_or_create(db, Klass::name().eq(n[3]), Klass { name: name(n[3]), phylum: ForeignKey::from(&p), ..Klass::defaults() }).await?;
    let (o, _) =
        get_or_create(db, Order::name().eq(n[4]), Order { name: name(n[4]), klass: ForeignKey::from(&c), ..Order::defaults() }).await?;
    let (f, _) =
        get_or_create(db, Family::name().eq(n[5]), Family { name: name(n[5]), order: ForeignKey::from(&o), ..Family::defaults() }).await?;
    let (g, _) =
        get_or_create(db, Genus::name().eq(n[6]), Genus { name: name(n[6]), family: ForeignKey::from(&f), ..Genus::defaults() }).await?;
    get_or_create(db, Species::name().eq(n[7]), Species { name: name(n[7]), genus: ForeignKey::from(&g), ..Species::defaults() }).await?;
    Ok(())
}

/// SelectRelatedTests.setUpTestData.
async fn data(db: &Db) -> R {
    create_tree(db, "Eukaryota Animalia Anthropoda Insecta Diptera Drosophilidae Drosophila melanogaster").await?;
    create_tree(db, "Eukaryota Animalia Chordata Mammalia Primates Hominidae Homo sapiens").await?;
    create_tree(db, "Eukaryota Plantae Magnoliophyta Magnoliopsida Fabales Fabaceae Pisum sativum").await?;
    create_tree(db, "Eukaryota Fungi Basidiomycota Homobasidiomycatae Agaricales Amanitacae Amanita muscaria").await
}

fn family(s: &Species) -> teapot::Result<&Family> {
    s.genus.get()?.family.get()
}

/// Django: select_related.tests.SelectRelatedTests.test_access_fks_with_select_related
async fn test_access_fks_with_select_related(db: Db) -> R {
    data(&db).await?;
    let before = db.query_count();
    let person = Species::objects()
        .select_related(&["genus__family__order__klass__phylum__kingdom__domain"])
        .filter(Species::name().eq("sapiens"))
        .get(&db)
        .await?;
    let domain = family(&person)?.order.get()?.klass.get()?.phylum.get()?.kingdom.get()?.domain.get()?;
    assert_eq!(domain.name, "Eukaryota");
    assert_eq!(db.query_count() - before, 1);
    Ok(())
}

/// Django: select_related.tests.SelectRelatedTests.test_list_with_depth
async fn test_list_with_depth(db: Db) -> R {
    data(&db).await?;
    // Django loads the orders lazily (5 queries); teapot fills genus and family only.
    let before = db.query_count();
    let world = Species::objects().select_related(&["genus__family"]).all(&db).await?;
    assert_eq!(db.query_count() - before, 1);
    for o in &world {
        assert_eq!(family(o)?.order.get().expect_err("below the path").kind, ErrorKind::NotLoaded);
    }
    let keys: Vec<i64> = world.iter().map(|o| family(o).map(|f| *f.order.key())).collect::<teapot::Result<_>>()?;
    let mut orders: Vec<String> = Order::objects().filter(Order::id().is_in(keys)).all(&db).await?.into_iter().map(|o| o.name).collect();
    orders.sort();
    assert_eq!(orders, ["Agaricales", "Diptera", "Fabales", "Primates"]);
    Ok(())
}

/// Django: select_related.tests.SelectRelatedTests.test_certain_fields
async fn test_certain_fields(db: Db) -> R {
    data(&db).await?;
    let before = db.query_count();
    let world = Species::objects().select_related(&["genus__family"]).all(&db).await?;
    let mut families: Vec<String> = world.iter().map(|o| family(o).map(|f| f.name.clone())).collect::<teapot::Result<_>>()?;
    families.sort();
    assert_eq!(families, ["Amanitacae", "Drosophilidae", "Fabaceae", "Hominidae"]);
    assert_eq!(db.query_count() - before, 1);
    Ok(())
}

/// Django: select_related.tests.SelectRelatedTests.test_more_certain_fields
async fn test_more_certain_fields(db: Db) -> R {
    data(&db).await?;
    // Two queries in Django (the order read lazily); here the second reads the orders on purpose.
    let before = db.query_count();
    let world = Species::objects().filter(Species::genus().name().eq("Amanita")).select_related(&["genus__family"]).all(&db).await?;
    let keys: Vec<i64> = world.iter().map(|o| family(o).map(|f| *f.order.key())).collect::<teapot::Result<_>>()?;
    let orders: Vec<String> = Order::objects().filter(Order::id().is_in(keys)).all(&db).await?.into_iter().map(|o| o.name).collect();
    assert_eq!(orders, ["Agaricales"]);
    assert_eq!(db.query_count() - before, 2);
    Ok(())
}

/// Django: select_related.tests.SelectRelatedTests.test_field_traversal
async fn test_field_traversal(db: Db) -> R {
    data(&db).await?;
    let before = db.query_count();
    let s = Species::objects().select_related(&["genus__family__order"]).order_by(Species::id().asc()).limit(1).get(&db).await?;
    assert_eq!(family(&s)?.order.get()?.name, "Diptera");
    assert_eq!(db.query_count() - before, 1);
    Ok(())
}

/// Django: select_related.tests.SelectRelatedTests.test_chaining
async fn test_chaining(db: Db) -> R {
    data(&db).await?;
    let two = Species::objects().order_by(Species::id().asc()).limit(2).all(&db).await?;
    let (parent_1, parent_2) = (&two[0], &two[1]);
    HybridSpecies {
        name: "hybrid".into(),
        parent_1: ForeignKey::from(parent_1),
        parent_2: ForeignKey::from(parent_2),
        ..HybridSpecies::defaults()
    }
    .create(&db)
    .await?;
    let queryset = HybridSpecies::objects().select_related(&["parent_1"]).select_related(&["parent_2"]);
    let before = db.query_count();
    let obj = queryset.limit(1).get(&db).await?;
    assert_eq!(obj.parent_1.get()?.id, parent_1.id);
    assert_eq!(obj.parent_2.get()?.id, parent_2.id);
    assert_eq!(db.query_count() - before, 1);
    Ok(())
}

// SelectRelatedValidationTests: Django's FieldError messages list the choices; teapot's Usage
// error names the path and the step, which is what is checked.

fn refused<T: std::fmt::Debug>(r: teapot::Result<T>, path: &str, step: &str) {
    let e = r.expect_err("select_related must refuse");
    assert_eq!(e.kind, ErrorKind::Usage, "{e}");
    assert!(e.message.contains(path) && e.message.contains(step), "{e}");
}

/// Django: select_related.tests.SelectRelatedValidationTests.test_non_relational_field
async fn test_non_relational_field(db: Db) -> R {
    refused(Species::objects().select_related(&["name__some_field"]).all(&db).await, "name__some_field", "`name`");
    refused(Species::objects().select_related(&["name"]).all(&db).await, "name", "`name`");
    refused(Domain::objects().select_related(&["name"]).all(&db).await, "name", "`name`");
    Ok(())
}

/// Django: select_related.tests.SelectRelatedValidationTests.test_non_relational_field_nested
async fn test_non_relational_field_nested(db: Db) -> R {
    refused(Species::objects().select_related(&["genus__name"]).all(&db).await, "genus__name", "`name`");
    Ok(())
}

/// Django: select_related.tests.SelectRelatedValidationTests.test_many_to_many_field
async fn test_many_to_many_field(db: Db) -> R {
    refused(Pizza::objects().select_related(&["toppings"]).all(&db).await, "toppings", "`toppings`");
    Ok(())
}

/// Django: select_related.tests.SelectRelatedValidationTests.test_invalid_field
async fn test_invalid_field(db: Db) -> R {
    refused(Species::objects().select_related(&["invalid_field"]).all(&db).await, "invalid_field", "`invalid_field`");
    refused(
        Species::objects().select_related(&["genus__related_invalid_field"]).all(&db).await,
        "genus__related_invalid_field",
        "`related_invalid_field`",
    );
    refused(Domain::objects().select_related(&["invalid_field"]).all(&db).await, "invalid_field", "`invalid_field`");
    Ok(())
}

/// Django: select_related.tests.SelectRelatedTests.test_reverse_relation_caching
async fn test_reverse_relation_caching(db: Db) -> R {
    data(&db).await?;
    let species = Species::objects()
        .select_related(&["genus"])
        .filter(Species::name().eq("melanogaster"))
        .order_by(Species::id().asc())
        .first(&db)
        .await?
        .expect("melanogaster");
    let before = db.query_count();
    let genus = species.genus.get()?;
    assert_eq!(genus.name, "Drosophila");
    assert_eq!(db.query_count() - before, 0);
    // The species_set reverse relation isn't cached.
    assert_eq!(genus.species_set.get().expect_err("not fetched").kind, teapot::ErrorKind::NotLoaded);
    let before = db.query_count();
    let first = Species::objects().filter(Species::genus().eq(genus.id)).order_by(Species::id().asc()).first(&db).await?;
    assert_eq!(first.expect("a species").name, "melanogaster");
    assert_eq!(db.query_count() - before, 1);
    Ok(())
}
