//! makemigrations for choices enums, NaiveDateTime and auto_now fields: what the migration files
//! record (choices as Django's `choices=[...]`), the SQL they render on both backends (none for a
//! change of choices or auto_now, as Django's non_db_attrs), and the errors for declarations that
//! cannot work, each naming file, line, field and what was expected.

mod common;

use common::{described, only, Project};
use teapot::migrate::backend::render;
use teapot::migrate::make::MakeOptions;
use teapot::migrate::Operation;
use teapot::schema::{FieldType, Literal, ProjectState};
use teapot::Dialect;

const HEADER: &str = "use teapot::prelude::*;\n";

const STATUS: &str = "#[derive(Debug, Clone, Copy, PartialEq, Choices)]\npub enum Status {\n    #[teapot(value = \"d\")]\n    Draft,\n    #[teapot(value = \"p\", label = \"Published\")]\n    Published,\n}\n";
const PRIORITY: &str = "#[derive(Debug, Clone, Copy, PartialEq, Choices)]\npub enum Priority {\n    #[teapot(value = 1, label = \"Low\")]\n    Low,\n    #[teapot(value = 5, label = \"High\")]\n    High,\n}\n";

fn post(fields: &str) -> String {
    format!("#[derive(Model)]\npub struct Post {{\n    pub id: i64,\n{fields}}}\n")
}

const POST_FIELDS: &str = "    #[teapot(max_length = 1)]\n    pub status: Status,\n    pub review: Option<Status>,\n    pub priority: Priority,\n    pub at: NaiveDateTime,\n    #[teapot(auto_now_add)]\n    pub created: DateTime<Utc>,\n    #[teapot(auto_now)]\n    pub updated: Option<NaiveDate>,\n";

/// Every statement an operation renders, on one backend, from the state before it.
fn sql(dialect: Dialect, op: &Operation, before: &ProjectState) -> Vec<String> {
    let mut after = before.clone();
    op.apply("blog", &mut after).expect("apply");
    let r = render(dialect, "blog", op, before, &after).expect("render");
    r.now.into_iter().chain(r.deferred).collect()
}

fn state_of(p: &Project) -> ProjectState {
    teapot::migrate::declared::read_declared(&p.config).expect("declared").state
}

#[test]
fn choices_are_recorded_as_django_records_them_and_make_plain_columns() {
    let p = Project::new(&[("blog", &format!("{HEADER}{STATUS}{PRIORITY}{}", post(POST_FIELDS)))]);
    let out = p.make();
    let m = only(&out);
    let text = std::fs::read_to_string(p.migrations_dir("blog").join("0001_initial.toml")).expect("file");
    // Django: models.CharField(choices=[("d", "Draft"), ("p", "Published")], max_length=1)
    assert!(text.contains(r#"type = "string", max_length = 1, choices = [["d", "Draft"], ["p", "Published"]] }"#), "{text}");
    assert!(text.contains(r#"type = "string", null = true, choices = [["d", "Draft"], ["p", "Published"]] }"#), "{text}");
    // Django: models.IntegerField(choices=[(1, "Low"), (5, "High")])
    assert!(text.contains(r#"type = "integer", choices = [[1, "Low"], [5, "High"]] }"#), "{text}");
    assert!(text.contains(r#"type = "naive_datetime" }"#), "{text}");
    assert!(text.contains(r#"type = "datetime", auto_now_add = true }"#), "{text}");
    assert!(text.contains(r#"type = "date", null = true, auto_now = true }"#), "{text}");

    let Operation::CreateModel { fields, .. } = &m.operations[0] else { panic!("create_model") };
    let status = &fields.iter().find(|f| f.name == "status").expect("status").field;
    assert_eq!(status.ty, FieldType::String);
    assert_eq!(status.choices, Some(vec![(Literal::Str("d".into()), "Draft".into()), (Literal::Str("p".into()), "Published".into())]));

    let pg = sql(Dialect::Postgres, &m.operations[0], &ProjectState::new()).join("\n");
    // Django 5.2's CREATE TABLE for these fields (fixtures/django-fields/0001_initial.postgres.sql):
    // no CHECK for choices, and auto_now changes nothing.
    for part in [
        r#""status" varchar(1) NOT NULL"#,
        r#""review" text NULL"#,
        r#""priority" integer NOT NULL"#,
        r#""at" timestamp without time zone NOT NULL"#,
        r#""created" timestamp with time zone NOT NULL"#,
        r#""updated" date NULL"#,
    ] {
        assert!(pg.contains(part), "{part} missing from:\n{pg}");
    }
    assert!(!pg.contains("CHECK"), "{pg}");
    let lite = sql(Dialect::Sqlite, &m.operations[0], &ProjectState::new()).join("\n");
    assert!(lite.contains(r#""at" datetime NOT NULL"#) && lite.contains(r#""priority" integer NOT NULL"#), "{lite}");
    assert!(!lite.contains("CHECK"), "{lite}");
}

#[test]
fn a_change_of_choices_or_auto_now_is_an_alter_field_that_runs_no_sql() {
    let v1 = format!("{HEADER}{STATUS}{PRIORITY}{}", post(POST_FIELDS));
    let p = Project::new(&[("blog", &v1)]);
    p.make();
    let before = state_of(&p);
    // A new variant (Django: AlterField with the new choices), a new label, auto_now dropped.
    let status2 = STATUS.replace("    Published,\n", "    Published,\n    #[teapot(value = \"a\")]\n    Archived,\n");
    let priority2 = PRIORITY.replace("label = \"High\"", "label = \"Urgent\"");
    let fields2 = POST_FIELDS.replace("    #[teapot(auto_now)]\n", "");
    p.set("blog", &format!("{HEADER}{status2}{priority2}{}", post(&fields2)));
    let out = p.make();
    let m = only(&out);
    // fixtures/django-fields/: Django 5.2 makes the same four AlterFields under this name, each a
    // no-op on PostgreSQL.
    assert_eq!(m.name, "0002_alter_post_priority_alter_post_review_and_more");
    assert_eq!(
        described(&m.operations),
        ["Alter field priority on Post", "Alter field review on Post", "Alter field status on Post", "Alter field updated on Post"]
    );
    let mut state = before;
    for op in &m.operations {
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            assert_eq!(sql(dialect, op, &state), Vec::<String>::new(), "{dialect:?}: {op:?}");
        }
        op.apply("blog", &mut state).expect("apply");
    }
    let text = std::fs::read_to_string(p.migrations_dir("blog").join(format!("{}.toml", m.name))).expect("file");
    assert!(text.contains(r#"choices = [["d", "Draft"], ["p", "Published"], ["a", "Archived"]]"#), "{text}");
    assert!(text.contains(r#"choices = [[1, "Low"], [5, "Urgent"]]"#), "{text}");
    assert!(p.make().made.is_empty());
}

#[test]
fn a_choices_enum_in_another_model_file_of_the_app_is_found() {
    let p = Project::new(&[(
        "blog",
        &format!("{HEADER}{}", post("    #[teapot(max_length = 1, default = \"p\")]\n    pub status: Status,\n")),
    )]);
    std::fs::write(p.root().join("models/choices.rs"), format!("{HEADER}{STATUS}")).expect("write");
    std::fs::write(p.root().join("teapot.toml"), "[apps.blog]\nmodels = [\"models/blog.rs\", \"models/choices.rs\"]\n").expect("write");
    let p = Project { config: teapot::migrate::Config::load(Some(&p.root().join("teapot.toml"))).expect("config"), dir: p.dir };
    let out = p.make();
    let Operation::CreateModel { fields, .. } = &only(&out).operations[0] else { panic!("create_model") };
    let status = &fields.iter().find(|f| f.name == "status").expect("status").field;
    assert_eq!(
        (status.ty, status.default.clone(), status.choices.as_ref().map(Vec::len)),
        (FieldType::String, Some(Literal::Str("p".into())), Some(2))
    );
}

#[test]
fn declarations_that_cannot_work_are_errors_naming_the_field() {
    let cases: &[(String, &[&str])] = &[
        (post("    pub status: Stat,\n"), &["models/blog.rs:5:9", "field `status` of Post has type `Stat`", "#[derive(Choices)]"]),
        (
            format!("{STATUS}{}", post("    #[teapot(max_length = 1, default = \"x\")]\n    pub status: Status,\n")),
            &["default \"x\" of field `status` of Post is not a value of Status", "\"d\", \"p\""],
        ),
        (
            post("    #[teapot(auto_now)]\n    pub count: i32,\n"),
            &["`auto_now` does not apply to field `count`", "DateTime<Utc>, NaiveDateTime and NaiveDate"],
        ),
        (
            post("    #[teapot(auto_now, auto_now_add)]\n    pub at: DateTime<Utc>,\n"),
            &["more than one of auto_now, auto_now_add and default"],
        ),
        (
            post("    #[teapot(default = \"2024-01-31T09:30:00\")]\n    pub at: NaiveDateTime,\n"),
            &["default \"2024-01-31T09:30:00\" does not fit field `at` of type naive_datetime", "\"2024-01-31 09:30:00\""],
        ),
        (
            "#[derive(Choices)]\npub enum Mixed {\n    #[teapot(value = 1)]\n    A,\n    B,\n}\n".to_string(),
            &["variant Mixed::B has no value, and other variants of Mixed are integers"],
        ),
        (
            "#[derive(Choices)]\npub enum Twice {\n    #[teapot(value = \"a\")]\n    A,\n    #[teapot(value = \"a\")]\n    B,\n}\n"
                .to_string(),
            &["variants Twice::A and Twice::B both have the value \"a\""],
        ),
    ];
    for (src, says) in cases {
        let p = Project::new(&[("blog", &format!("{HEADER}{src}"))]);
        let e = p.try_make(&MakeOptions::default(), &[], false, &[]).expect_err(src);
        let text = e.to_string();
        for s in *says {
            assert!(text.contains(s), "{s:?} missing from: {text}\nfor:\n{src}");
        }
    }
    let p = Project::new(&[(
        "blog",
        &format!("{HEADER}{STATUS}{PRIORITY}{}", post("    #[teapot(max_length = 2)]\n    pub priority: Priority,\n")),
    )]);
    let e = p.try_make(&MakeOptions::default(), &[], false, &[]).expect_err("max_length on integers");
    assert!(e.to_string().contains("`max_length` does not apply to field `priority` of Post: Priority has integer values"), "{e}");
    let p2 = Project::new(&[(
        "blog",
        &format!("{HEADER}{}{}", STATUS.replace("\"p\"", "\"pub\""), post("    #[teapot(max_length = 1)]\n    pub status: Status,\n")),
    )]);
    let e = p2.try_make(&MakeOptions::default(), &[], false, &[]).expect_err("max_length too small");
    assert!(e.to_string().contains("max_length = 1 of field `status` of Post is too small for the value \"pub\" of Status"), "{e}");
    assert!(e.to_string().contains("max_length = 3 or more"), "{e}");
}
