//! makemigrations scenarios, after Django's autodetector tests and the Django 5.2 oracle runs
//! (/work/django-oracle/RESULTS.md, cited as S1..S22): each test writes model sources into a temp
//! project, runs makemigrations for real, changes the sources (v1 -> v2) and runs again.
//! The helper checks after every run that the history replays to the declared models and that a
//! second run finds nothing.

mod common;

use common::{described, keys, only, summary, Project};
use teapot::migrate::checksum::checksum;
use teapot::migrate::make::{MakeOptions, MakeOutcome};
use teapot::migrate::Operation;
use teapot::schema::{naming, Literal};
use teapot::ErrorKind;

// ---------------------------------------------------------------- model sources

const HEADER: &str = "use teapot::prelude::*;\n";
const AUTHOR: &str = "#[derive(Model)]\npub struct Author {\n    pub id: i64,\n    #[teapot(max_length = 100)]\n    pub name: String,\n}\n";
const TITLE: &str = "#[teapot(max_length = 200)] pub title: String,";
const AUTHOR_FK: &str = "#[teapot(on_delete = \"cascade\")] pub author: ForeignKey<Author>,";

/// A model struct with optional `#[teapot(...)]` options and the fields after `id`.
fn model(name: &str, opts: &str, fields: &str) -> String {
    let attr = if opts.is_empty() { String::new() } else { format!("#[teapot({opts})]\n") };
    format!("#[derive(Model)]\n{attr}pub struct {name} {{\n    pub id: i64,\n    {fields}\n}}\n")
}

/// Django's B: Author(name) and Book(title, author FK), with Book options and extra Book fields.
fn b_with(book_opts: &str, extra: &str) -> String {
    format!("{HEADER}{AUTHOR}{}", model("Book", book_opts, &format!("{TITLE} {AUTHOR_FK} {extra}")))
}

fn b(extra: &str) -> String {
    b_with("", extra)
}

/// B with the Book fields given in full (title and author included or not).
fn b_fields(fields: &str) -> String {
    format!("{HEADER}{AUTHOR}{}", model("Book", "", fields))
}

/// A library project at B with its 0001_initial made.
fn library_at_b() -> Project {
    let p = Project::new(&[("library", &b(""))]);
    assert_eq!(keys(&p.make()), ["library/0001_initial"]);
    p
}

/// A library project at `v1` with its 0001_initial made, then moved to `v2` and made again.
fn library_v1_v2(v1: &str, v2: &str) -> (Project, MakeOutcome) {
    let p = Project::new(&[("library", v1)]);
    p.make();
    p.set("library", v2);
    let out = p.make();
    (p, out)
}

fn opts() -> MakeOptions {
    MakeOptions::default()
}

fn add_field(op: &Operation) -> (&str, Option<&Literal>) {
    match op {
        Operation::AddField { name, one_off_default, .. } => (name.as_str(), one_off_default.as_ref()),
        other => panic!("expected add_field, got {other:?}"),
    }
}

// ---------------------------------------------------------------- initial migrations

#[test]
fn initial_creates_models_after_the_models_they_point_at() {
    // S1: Book is written first in the source; models go alphabetically, then Book moves after
    // what it references. The FK and the M2M stay inline in create_model.
    let src = format!(
        "{HEADER}{}{AUTHOR}{}{}",
        model(
            "Book",
            "",
            &format!("{TITLE} {AUTHOR_FK} #[teapot(on_delete = \"set_null\")] pub publisher: Option<ForeignKey<Publisher>>, pub tags: ManyToMany<Tag>,"),
        ),
        model("Publisher", "", "#[teapot(max_length = 120)] pub name: String,"),
        model("Tag", "", "#[teapot(max_length = 50)] pub name: String,"),
    );
    let p = Project::new(&[("library", &src)]);
    let out = p.make();
    let m = only(&out);
    assert_eq!(m.key(), "library/0001_initial");
    assert!(m.dependencies.is_empty());
    assert_eq!(described(&m.operations), ["Create model Author", "Create model Publisher", "Create model Tag", "Create model Book"]);
    let Operation::CreateModel { fields, .. } = &m.operations[3] else { panic!("create_model") };
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["id", "title", "author", "publisher", "tags"]);
}

#[test]
fn second_run_without_changes_makes_nothing() {
    let p = library_at_b();
    assert!(p.make().made.is_empty());
    assert_eq!(p.names("library"), ["0001_initial"]);
}

#[test]
fn name_flag_replaces_the_suggested_name() {
    let p = library_at_b();
    p.set("library", &b("pub pages: Option<i32>,"));
    let out = p.make_opts(&MakeOptions { name: Some("pages_count".into()), ..opts() });
    assert_eq!(keys(&out), ["library/0002_pages_count"]);
}

// ---------------------------------------------------------------- adding and removing fields

#[test]
fn add_nullable_field_is_named_after_model_and_field() {
    // S2
    let (p, out) = library_v1_v2(&b(""), &b("pub pages: Option<i32>,"));
    let m = only(&out);
    assert_eq!(m.key(), "library/0002_book_pages");
    assert_eq!(m.dependencies, ["library/0001_initial"]);
    assert_eq!(described(&m.operations), ["Add field pages to Book"]);
    assert_eq!(add_field(&m.operations[0]), ("pages", None));
    assert_eq!(p.names("library"), ["0001_initial", "0002_book_pages"]);
}

#[test]
fn remove_field() {
    // S3
    let (_, out) = library_v1_v2(&b("pub pages: Option<i32>,"), &b(""));
    assert_eq!(summary(&out), [("library/0002_remove_book_pages".into(), vec!["Remove field pages from Book".into()])]);
}

#[test]
fn removed_and_added_fields_of_different_types_are_not_a_rename() {
    // S4: no question is asked (a FlagQuestioner without flags would fail on one); removals
    // come before additions, and the third migration depends on the second.
    let p = library_at_b();
    p.set("library", &b("pub pages: Option<i32>,"));
    p.make();
    p.set("library", &b("pub weight: Option<f64>,"));
    let m = only(&p.make()).clone();
    assert_eq!(m.key(), "library/0003_remove_book_pages_book_weight");
    assert_eq!(m.dependencies, ["library/0002_book_pages"]);
    assert_eq!(described(&m.operations), ["Remove field pages from Book", "Add field weight to Book"]);
}

#[test]
fn not_null_field_without_default_is_an_error_naming_the_flag() {
    // S11 with --noinput: nothing is written, the message names the --default that answers it.
    let p = library_at_b();
    p.set("library", &b("pub pages: i32,"));
    let err = p.try_make(&opts(), &[], false, &[]).expect_err("needs a default");
    assert_eq!(err.kind, ErrorKind::NeedsAnswer);
    assert!(err.message.contains("--default library.Book.pages=<value>"), "{}", err.message);
    assert!(err.message.contains("added NOT NULL with no default"), "{}", err.message);
    assert_eq!(p.names("library"), ["0001_initial"]);
}

#[test]
fn not_null_field_with_default_flag_gets_a_one_off_default() {
    // S11 answered with 0: the value fills existing rows and is not kept as the field's default.
    let p = library_at_b();
    p.set("library", &b("pub pages: i32,"));
    let out = p.try_make(&opts(), &[], false, &["library.Book.pages=0"]).expect("answered");
    let m = only(&out);
    assert_eq!(m.key(), "library/0002_book_pages");
    assert_eq!(add_field(&m.operations[0]), ("pages", Some(&Literal::Int(0))));
    let Operation::AddField { field, .. } = &p.read("library", "0002_book_pages").operations[0] else { panic!("add_field") };
    assert_eq!(field.default, None);
    assert!(!field.null);
}

#[test]
fn field_with_default_or_db_default_needs_no_answer() {
    // S20: default = 0, then db_default = "0"; no --default is asked for either.
    let p = library_at_b();
    p.set("library", &b("#[teapot(default = 0)] pub copies: i32,"));
    assert_eq!(add_field(&only(&p.make()).operations[0]), ("copies", None));
    p.set("library", &b("#[teapot(default = 0)] pub copies: i32, #[teapot(db_default = \"0\")] pub stock: i32,"));
    let m = only(&p.make()).clone();
    assert_eq!(m.key(), "library/0003_book_stock");
    assert_eq!(m.dependencies, ["library/0002_book_copies"]);
}

// ---------------------------------------------------------------- field renames

#[test]
fn rename_field_answered_by_flag() {
    // S5 answered yes: one rename_field, fragment rename_<old>_<model>_<new>.
    let p = library_at_b();
    p.set("library", &b_fields(&format!("#[teapot(max_length = 200)] pub name: String, {AUTHOR_FK}")));
    let m = only(&p.make_renaming(&["library.Book.title=name"])).clone();
    assert_eq!(m.key(), "library/0002_rename_title_book_name");
    assert_eq!(described(&m.operations), ["Rename field title on Book to name"]);
}

#[test]
fn rename_field_declared_with_renamed_from() {
    // Declared in code: no flag, no question.
    let p = library_at_b();
    p.set("library", &b_fields(&format!("#[teapot(max_length = 200, renamed_from = \"title\")] pub name: String, {AUTHOR_FK}")));
    let m = only(&p.make()).clone();
    assert_eq!(m.key(), "library/0002_rename_title_book_name");
    assert_eq!(m.operations, [Operation::RenameField { model: "Book".into(), old_name: "title".into(), new_name: "name".into() }]);
}

#[test]
fn rename_candidate_without_an_answer_is_an_error_listing_candidates_and_flags() {
    // Django with --noinput answers "no" silently (S4c, S5n); teapot refuses to guess and names
    // the flags that decide (a design choice: CI never loses a column to a silent drop + add).
    let p = Project::new(&[("library", &b("pub pages: Option<i32>,"))]);
    p.make();
    p.set("library", &b("pub count: Option<i32>,"));
    let err = p.try_make(&opts(), &[], false, &[]).expect_err("unanswered rename");
    assert_eq!(err.kind, ErrorKind::NeedsAnswer);
    for want in ["--rename library.Book.pages=count", "(field Book.pages renamed to count, integer, null)", "--no-rename"] {
        assert!(err.message.contains(want), "missing {want:?} in:\n{}", err.message);
    }
    assert_eq!(p.names("library"), ["0001_initial"]);
}

#[test]
fn rename_refused_with_no_rename_is_remove_and_add() {
    // S4c: the answer "no" gives a removal and an addition.
    let p = Project::new(&[("library", &b("pub pages: Option<i32>,"))]);
    p.make();
    p.set("library", &b("pub count: Option<i32>,"));
    let out = p.try_make(&opts(), &[], true, &[]).expect("--no-rename");
    assert_eq!(keys(&out), ["library/0002_remove_book_pages_book_count"]);
    // A --rename naming another target is a "no" too.
    let q = Project::new(&[("library", &b("pub pages: Option<i32>,"))]);
    q.make();
    q.set("library", &b("pub count: Option<i32>,"));
    let out = q.try_make(&opts(), &["library.Book.pages=other"], false, &[]).expect("answered no");
    assert_eq!(keys(&out), ["library/0002_remove_book_pages_book_count"]);
}

#[test]
fn rename_field_keeping_its_column_with_db_column() {
    // A field renamed with db_column = the old column is still a rename candidate. Django writes
    // alter_field(title, db_column) then rename_field (0002_alter_book_title_rename_title_book_name);
    // teapot renames first and then alters the renamed field: the same schema, another order.
    let p = library_at_b();
    p.set("library", &b_fields(&format!("#[teapot(max_length = 200, db_column = \"title\")] pub name: String, {AUTHOR_FK}")));
    let m = only(&p.make_renaming(&["library.Book.title=name"])).clone();
    assert_eq!(m.key(), "library/0002_rename_title_book_name_alter_book_name");
    assert_eq!(described(&m.operations), ["Rename field title on Book to name", "Alter field name on Book"]);
}

// ---------------------------------------------------------------- model renames and deletes

fn b_with_volume(opts: &str) -> String {
    format!("{HEADER}{AUTHOR}{}", model("Volume", opts, &format!("{TITLE} {AUTHOR_FK}")))
}

#[test]
fn rename_model_answered_by_flag() {
    // S6
    let p = library_at_b();
    p.set("library", &b_with_volume(""));
    let m = only(&p.make_renaming(&["library.Book=Volume"])).clone();
    assert_eq!(m.key(), "library/0002_rename_book_volume");
    assert_eq!(m.operations, [Operation::RenameModel { old_name: "Book".into(), new_name: "Volume".into() }]);
}

#[test]
fn rename_model_declared_with_renamed_from() {
    let p = library_at_b();
    p.set("library", &b_with_volume("renamed_from = \"Book\""));
    assert_eq!(keys(&p.make()), ["library/0002_rename_book_volume"]);
}

#[test]
fn rename_model_pointed_at_by_a_foreign_key_needs_no_alter_field() {
    // Book.author follows the renamed Author: the rename alone brings the history up to date.
    let p = library_at_b();
    let writer = AUTHOR.replace("Author", "Writer");
    let book = model("Book", "", &format!("{TITLE} #[teapot(on_delete = \"cascade\")] pub author: ForeignKey<Writer>,"));
    p.set("library", &format!("{HEADER}{writer}{book}"));
    let out = p.make_renaming(&["library.Author=Writer"]);
    assert_eq!(summary(&out), [("library/0002_rename_author_writer".into(), vec!["Rename model Author to Writer".into()])]);
}

#[test]
fn rename_model_refused_is_delete_and_create() {
    // S6n. Django gives 0002_volume_delete_book (create first): it splits Book.author off the
    // deleted model and its topological sort happens to put the create first. teapot deletes
    // first, as Django itself does for a deleted model without relations: the same schema.
    let p = library_at_b();
    p.set("library", &b_with_volume(""));
    let out = p.try_make(&opts(), &[], true, &[]).expect("--no-rename");
    assert_eq!(summary(&out), [("library/0002_delete_book_volume".into(), vec!["Delete model Book".into(), "Create model Volume".into()])]);
}

#[test]
fn delete_model_pointed_at_removes_the_foreign_key_first() {
    // S15
    let (_, out) = library_v1_v2(&b(""), &format!("{HEADER}{}", model("Book", "", TITLE)));
    let m = only(&out);
    assert_eq!(m.key(), "library/0002_remove_book_author_delete_author");
    assert_eq!(described(&m.operations), ["Remove field author from Book", "Delete model Author"]);
}

#[test]
fn alter_model_table() {
    // S7
    let (_, out) = library_v1_v2(&b(""), &b_with("table = \"books\"", ""));
    let m = only(&out);
    assert_eq!(m.key(), "library/0002_alter_book_table");
    assert_eq!(described(&m.operations), ["Rename table for Book to books"]);
}

// ---------------------------------------------------------------- altered fields

/// Book declared with `v1_fields`, made, then with `v2_fields`: the one operation must be
/// alter_field `field`, in 0002_alter_book_<field>.
fn assert_alter(v1_fields: &str, v2_fields: &str, field: &str) {
    let (_, out) = library_v1_v2(&b_fields(v1_fields), &b_fields(v2_fields));
    let m = only(&out);
    assert_eq!(m.key(), format!("library/0002_alter_book_{field}"));
    assert_eq!(described(&m.operations), [format!("Alter field {field} on Book")]);
}

#[test]
fn alter_field_max_length() {
    // S8
    assert_alter("#[teapot(max_length = 200)] pub title: String,", "#[teapot(max_length = 250)] pub title: String,", "title");
}

#[test]
fn alter_field_type() {
    // S21 (varchar -> text), and integer -> bigint.
    assert_alter("#[teapot(max_length = 200)] pub title: String,", "pub title: String,", "title");
    assert_alter("pub pages: i32,", "pub pages: i64,", "pages");
}

#[test]
fn alter_field_decimal_digits() {
    assert_alter(
        "#[teapot(max_digits = 8, decimal_places = 2)] pub price: Decimal,",
        "#[teapot(max_digits = 10, decimal_places = 3)] pub price: Decimal,",
        "price",
    );
}

#[test]
fn alter_field_default_and_db_default() {
    assert_alter("#[teapot(default = 0)] pub copies: i32,", "#[teapot(default = 1)] pub copies: i32,", "copies");
    assert_alter("pub copies: i32,", "#[teapot(db_default = \"0\")] pub copies: i32,", "copies");
}

#[test]
fn alter_field_unique_and_db_index() {
    // S16
    assert_alter("#[teapot(max_length = 200)] pub title: String,", "#[teapot(max_length = 200, db_index)] pub title: String,", "title");
    assert_alter("#[teapot(max_length = 200)] pub title: String,", "#[teapot(max_length = 200, unique)] pub title: String,", "title");
}

#[test]
fn alter_field_db_column() {
    assert_alter(
        "#[teapot(max_length = 200)] pub title: String,",
        "#[teapot(max_length = 200, db_column = \"book_title\")] pub title: String,",
        "title",
    );
}

#[test]
fn alter_foreign_key_on_delete() {
    // S17: on_delete is part of the definition, so it is an operation.
    let restrict = AUTHOR_FK.replace("cascade", "restrict");
    let (_, out) = library_v1_v2(&b(""), &b_fields(&format!("{TITLE} {restrict}")));
    assert_eq!(keys(&out), ["library/0002_alter_book_author"]);
}

#[test]
fn nullable_field_made_not_null_needs_a_one_off_default() {
    // Django's --noinput leaves existing NULLs to fail at migrate time; teapot asks for a value.
    let p = Project::new(&[("library", &b("pub pages: Option<i32>,"))]);
    p.make();
    p.set("library", &b("pub pages: i32,"));
    let err = p.try_make(&opts(), &[], false, &[]).expect_err("needs a value for NULL rows");
    assert!(err.message.contains("--default library.Book.pages=<value>"), "{}", err.message);
    assert!(err.message.contains("becomes NOT NULL"), "{}", err.message);
    let out = p.try_make(&opts(), &[], false, &["library.Book.pages=0"]).expect("answered");
    let m = only(&out);
    assert_eq!(m.key(), "library/0002_alter_book_pages");
    assert!(matches!(&m.operations[0], Operation::AlterField { one_off_default: Some(Literal::Int(0)), .. }));
}

// ---------------------------------------------------------------- indexes and constraints

const IDX: &str = "index(fields = [\"author\", \"-title\"], name = \"book_author_title_idx\")";

#[test]
fn add_index_then_rename_it() {
    // S9 and S9b: a new name for the same fields is a rename_index, with no question asked.
    let (p, out) = library_v1_v2(&b(""), &b_with(IDX, ""));
    assert_eq!(
        summary(&out),
        [(
            "library/0002_book_book_author_title_idx".into(),
            vec!["Create index book_author_title_idx on field(s) author, -title of model Book".into()],
        )]
    );
    p.set("library", &b_with(&IDX.replace("book_author_title_idx", "book_at_idx"), ""));
    let m = only(&p.make()).clone();
    assert_eq!(m.key(), "library/0003_rename_book_author_title_idx_book_at_idx");
    assert_eq!(m.dependencies, ["library/0002_book_book_author_title_idx"]);
    assert_eq!(described(&m.operations), ["Rename index book_author_title_idx on Book to book_at_idx"]);
}

#[test]
fn index_in_the_initial_model_can_be_renamed() {
    // S9y
    let (_, out) = library_v1_v2(&b_with(IDX, ""), &b_with(&IDX.replace("book_author_title_idx", "book_at_idx"), ""));
    assert_eq!(keys(&out), ["library/0002_rename_book_author_title_idx_book_at_idx"]);
}

#[test]
fn remove_index_and_change_its_fields() {
    let (p, out) = library_v1_v2(&b_with(IDX, ""), &b(""));
    assert_eq!(keys(&out), ["library/0002_remove_book_book_author_title_idx"]);
    // Same name, other fields: removed and added back (indexes are removed early, added late).
    p.set("library", &b_with(IDX, ""));
    p.make();
    p.set("library", &b_with(&IDX.replace("\"-title\"", "\"title\""), ""));
    let m = only(&p.make()).clone();
    assert_eq!(m.key(), "library/0004_remove_book_book_author_title_idx_and_more");
    assert_eq!(
        described(&m.operations),
        ["Remove index book_author_title_idx from Book", "Create index book_author_title_idx on field(s) author, title of model Book"]
    );
}

const UNIQ: &str = "unique(fields = [\"title\", \"author\"], name = \"book_title_author_uniq\")";
const CHECK: &str = "check(name = \"book_title_nonempty\", expr = \"title > ''\")";

#[test]
fn add_unique_and_check_constraints() {
    // S10: in declaration order; the name is exactly 52 characters, so no _and_more.
    let (_, out) = library_v1_v2(&b(""), &b_with(&format!("{UNIQ}, {CHECK}"), ""));
    let m = only(&out);
    assert_eq!(m.key(), "library/0002_book_book_title_author_uniq_book_book_title_nonempty");
    assert_eq!(
        described(&m.operations),
        ["Create constraint book_title_author_uniq on model Book", "Create constraint book_title_nonempty on model Book"]
    );
}

#[test]
fn change_and_remove_constraints() {
    let (p, _) = library_v1_v2(&b(""), &b_with(&format!("{UNIQ}, {CHECK}"), ""));
    // A changed check is removed and added again under its name.
    p.set("library", &b_with(&format!("{UNIQ}, {}", CHECK.replace("title > ''", "length(title) > 0")), ""));
    let m = only(&p.make()).clone();
    assert_eq!(m.key(), "library/0003_remove_book_book_title_nonempty_and_more");
    assert_eq!(
        described(&m.operations),
        ["Remove constraint book_title_nonempty from model Book", "Create constraint book_title_nonempty on model Book"]
    );
    p.set("library", &b(""));
    let m = only(&p.make()).clone();
    assert_eq!(m.key(), "library/0004_remove_book_book_title_author_uniq_and_more");
    assert_eq!(m.operations.len(), 2);
}

#[test]
fn unnamed_unique_gets_the_unique_together_name() {
    let (_, out) = library_v1_v2(&b(""), &b_with("unique(fields = [\"title\", \"author\"])", ""));
    let expected = naming::unique_together_name("library_book", &["title", "author_id"]);
    let m = only(&out);
    assert_eq!(m.key(), format!("library/0002_book_{expected}"));
    assert!(matches!(&m.operations[0], Operation::AddConstraint { constraint, .. } if constraint.name == expected));
}

// ---------------------------------------------------------------- many-to-many

#[test]
fn many_to_many_added_with_its_target_then_removed() {
    // S18: the target model is created before the field that needs it.
    let tag = model("Tag", "", "#[teapot(max_length = 50)] pub name: String,");
    let (p, out) = library_v1_v2(&b(""), &format!("{}{tag}", b("pub tags: ManyToMany<Tag>,")));
    let m = only(&out);
    assert_eq!(m.key(), "library/0002_tag_book_tags");
    assert_eq!(described(&m.operations), ["Create model Tag", "Add field tags to Book"]);
    p.set("library", &format!("{}{tag}", b("")));
    assert_eq!(keys(&p.make()), ["library/0003_remove_book_tags"]);
}

#[test]
fn self_referential_many_to_many() {
    // S22 and S22b: inline in the initial create_model, or added later; no one-off default asked.
    let person =
        |extra: &str| format!("{HEADER}{}", model("Person", "", &format!("#[teapot(max_length = 100)] pub name: String, {extra}")));
    let p = Project::new(&[("library", &person("pub friends: ManyToMany<Self>,"))]);
    let out = p.make();
    let Operation::CreateModel { fields, .. } = &only(&out).operations[0] else { panic!("create_model") };
    assert_eq!(fields.last().map(|f| (f.name.as_str(), f.field.to.as_deref())), Some(("friends", Some("library.Person"))));
    let (_, out) = library_v1_v2(&person(""), &person("pub friends: ManyToMany<Person>,"));
    assert_eq!(keys(&out), ["library/0002_person_friends"]);
}

// ---------------------------------------------------------------- relations across apps and cycles

const ORDER: &str =
    "#[derive(Model)]\npub struct Order {\n    pub id: i64,\n    #[teapot(on_delete = \"restrict\")] pub book: ForeignKey<Book>,\n}\n";

#[test]
fn foreign_key_into_an_app_made_in_the_same_run() {
    // S12: shop depends on the migration that creates library.Book.
    let p = Project::new(&[("library", &b("")), ("shop", &format!("{HEADER}{ORDER}"))]);
    let out = p.make();
    assert_eq!(keys(&out), ["library/0001_initial", "shop/0001_initial"]);
    assert_eq!(out.made[1].migration.dependencies, ["library/0001_initial"]);
}

#[test]
fn foreign_key_into_an_existing_model_depends_on_the_apps_latest_migration() {
    // S12b: library gets 0002 in the same run; shop depends on the leaf library has after it.
    let p = Project::new(&[("library", &b("")), ("shop", HEADER)]);
    assert_eq!(keys(&p.make()), ["library/0001_initial"]);
    p.set("library", &b("pub pages: Option<i32>,"));
    p.set("shop", &format!("{HEADER}{ORDER}"));
    let out = p.make();
    assert_eq!(keys(&out), ["library/0002_book_pages", "shop/0001_initial"]);
    assert_eq!(out.made[1].migration.dependencies, ["library/0002_book_pages"]);
    // Later: a key into the other app's existing model depends on that app's leaf and its own.
    p.set("shop", &format!("{HEADER}{}", model("Order", "", "#[teapot(on_delete = \"restrict\")] pub book: ForeignKey<Book>, #[teapot(on_delete = \"set_null\")] pub writer: Option<ForeignKey<Author>>,")));
    let m = only(&p.make()).clone();
    assert_eq!(m.key(), "shop/0002_order_writer");
    assert_eq!(m.dependencies, ["library/0002_book_pages", "shop/0001_initial"]);
}

#[test]
fn foreign_key_into_an_app_sorted_later_waits_for_its_migration() {
    // As S12b with the apps the other way round: "alpha" points into "zoo", which sorts after it.
    let zoo_v1 = format!("{HEADER}{}", model("Animal", "", "pub name: String,"));
    let p = Project::new(&[("zoo", &zoo_v1), ("alpha", &format!("{HEADER}{}", model("Keeper", "", "pub name: String,")))]);
    p.make();
    p.set("zoo", &format!("{HEADER}{}", model("Animal", "", "pub name: String, pub legs: Option<i32>,")));
    p.set(
        "alpha",
        &format!("{HEADER}{}", model("Keeper", "", "pub name: String, #[teapot(on_delete = \"cascade\")] pub animal: ForeignKey<Animal>,")),
    );
    let out = p.try_make(&opts(), &[], false, &["alpha.Keeper.animal=1"]).expect("answered");
    assert_eq!(keys(&out), ["zoo/0002_animal_legs", "alpha/0002_keeper_animal"]);
    assert_eq!(out.made[1].migration.dependencies, ["alpha/0001_initial", "zoo/0002_animal_legs"]);
}

#[test]
fn foreign_keys_both_ways_into_existing_models_wait_then_chop() {
    // Each app points into the other's existing model: neither can wait for the other, so (as
    // Django's chop mode) the first app takes the other's old leaf and the second its new one.
    let p = Project::new(&[("library", &b("")), ("shop", &format!("{HEADER}{ORDER}"))]);
    p.make();
    p.set("library", &b("#[teapot(on_delete = \"set_null\", related_name = \"+\")] pub last_order: Option<ForeignKey<Order>>,"));
    p.set("shop", &format!("{HEADER}{}", model("Order", "", "#[teapot(on_delete = \"restrict\")] pub book: ForeignKey<Book>, #[teapot(on_delete = \"set_null\")] pub writer: Option<ForeignKey<Author>>,")));
    let out = p.make();
    assert_eq!(keys(&out), ["library/0002_book_last_order", "shop/0002_order_writer"]);
    assert_eq!(out.made[0].migration.dependencies, ["library/0001_initial", "shop/0001_initial"]);
    assert_eq!(out.made[1].migration.dependencies, ["library/0002_book_last_order", "shop/0001_initial"]);
}

#[test]
fn circular_foreign_keys_in_one_app_add_one_key_after_the_creates() {
    // S13: the key on the alphabetically first model is split out.
    let author = model("Author", "", "#[teapot(max_length = 100)] pub name: String, #[teapot(on_delete = \"set_null\", related_name = \"+\")] pub favorite_book: Option<ForeignKey<Book>>,");
    let p = Project::new(&[("library", &format!("{HEADER}{author}{}", model("Book", "", &format!("{TITLE} {AUTHOR_FK}"))))]);
    let m = only(&p.make()).clone();
    assert_eq!(m.key(), "library/0001_initial");
    assert_eq!(described(&m.operations), ["Create model Author", "Create model Book", "Add field favorite_book to Author"]);
    let Operation::CreateModel { fields, .. } = &m.operations[1] else { panic!("create_model") };
    assert!(fields.iter().any(|f| f.name == "author"), "Book.author stays inline");
}

#[test]
fn circular_foreign_keys_across_apps_need_a_second_migration() {
    // S14: library/0001 creates Author and Book, shop/0001 creates Order (book inline),
    // library/0002_initial adds Author.fav_order and, as Django (its chopper cuts the whole tail
    // of the app's list), Book.author.
    let author = model("Author", "", "#[teapot(max_length = 100)] pub name: String, #[teapot(on_delete = \"set_null\", related_name = \"+\")] pub fav_order: Option<ForeignKey<Order>>,");
    let library = format!("{HEADER}{author}{}", model("Book", "", &format!("{TITLE} {AUTHOR_FK}")));
    let p = Project::new(&[("library", &library), ("shop", &format!("{HEADER}{ORDER}"))]);
    let out = p.make();
    assert_eq!(
        summary(&out),
        [
            ("library/0001_initial".into(), vec!["Create model Author".into(), "Create model Book".into()]),
            ("shop/0001_initial".into(), vec!["Create model Order".into()]),
            ("library/0002_initial".into(), vec!["Add field fav_order to Author".into(), "Add field author to Book".into()]),
        ]
    );
    assert_eq!(out.made[1].migration.dependencies, ["library/0001_initial"]);
    assert_eq!(out.made[2].migration.dependencies, ["library/0001_initial", "shop/0001_initial"]);
}

// ---------------------------------------------------------------- names

#[test]
fn long_names_end_in_and_more() {
    // S19: fragments in detection order (added fields by model then field, altered fields, added
    // indexes); site_language would make it 61 > 52 characters.
    let v = |extra_comment: &str, extra_post: &str, extra_site: &str, len: [u32; 3], opts: &str| {
        format!(
            "{HEADER}{}{}{}",
            model("Site", "", &format!("#[teapot(max_length = {})] pub title: String, {extra_site}", len[0])),
            model("Post", opts, &format!("#[teapot(max_length = 200)] pub title: String, #[teapot(max_length = {})] pub summary: String, #[teapot(on_delete = \"cascade\")] pub site: ForeignKey<Site>, {extra_post}", len[1])),
            model("Comment", "", &format!("#[teapot(on_delete = \"cascade\")] pub post: ForeignKey<Post>, #[teapot(max_length = {})] pub author: String, {extra_comment}", len[2])),
        )
    };
    let v1 = v("", "", "", [100, 300, 50], "");
    let v2 = v(
        "pub rating: Option<i32>,",
        "pub editor_note: Option<String>, pub word_count: Option<i32>,",
        "pub language: Option<String>,",
        [150, 500, 80],
        "index(fields = [\"-title\"], name = \"post_pub_idx\")",
    );
    let (_, out) = library_v1_v2(&v1, &v2);
    let m = only(&out);
    assert_eq!(m.key(), "library/0002_comment_rating_post_editor_note_post_word_count_and_more");
    assert_eq!(
        described(&m.operations),
        [
            "Add field rating to Comment",
            "Add field editor_note to Post",
            "Add field word_count to Post",
            "Add field language to Site",
            "Alter field author on Comment",
            "Alter field summary on Post",
            "Alter field title on Site",
            "Create index post_pub_idx on field(s) -title of model Post",
        ]
    );
}

fn is_auto_timestamp(suffix: &str) -> bool {
    // auto_YYYYMMDD_HHMM
    let Some(rest) = suffix.strip_prefix("auto_") else { return false };
    rest.len() == 13 && rest.char_indices().all(|(i, c)| if i == 8 { c == '_' } else { c.is_ascii_digit() })
}

#[test]
fn empty_migration_on_a_new_app_is_initial() {
    let p = Project::new(&[("library", &b(""))]);
    let empty = MakeOptions { apps: vec!["library".into()], empty: true, ..opts() };
    // An app with no migrations: its first migration is 0001_initial even when empty.
    let first = only(&p.make_opts(&empty)).clone();
    assert_eq!(first.key(), "library/0001_initial");
    assert!(first.operations.is_empty());
    // The app still has no model in its history, so the next migration is initial too (Django's
    // rule: initial = the app has no model yet, not "has no migration").
    let m = only(&p.make()).clone();
    assert_eq!(m.key(), "library/0002_initial");
    assert_eq!(m.dependencies, ["library/0001_initial"]);
}

#[test]
fn empty_migration_on_an_app_with_migrations_is_auto_timestamp() {
    let p = library_at_b();
    let out = p.make_opts(&MakeOptions { apps: vec!["library".into()], empty: true, ..opts() });
    let m = only(&out);
    let suffix = m.name.strip_prefix("0002_").expect("numbered 0002");
    assert!(is_auto_timestamp(suffix), "{}", m.name);
    assert_eq!(m.dependencies, ["library/0001_initial"]);
    assert!(m.operations.is_empty());
}

// ---------------------------------------------------------------- conflicts and merges

const BRANCH_A: &str = "dependencies = [\"library/0001_initial\"]\n\n[[operations]]\nop = \"add_field\"\nmodel = \"Book\"\nname = \"pages\"\nfield = { type = \"integer\", null = true }\n";
const BRANCH_B: &str = "dependencies = [\"library/0001_initial\"]\n\n[[operations]]\nop = \"add_field\"\nmodel = \"Book\"\nname = \"weight\"\nfield = { type = \"float\", null = true }\n";

/// B at 0001, then two branches 0002_`a` and 0002_`b` (pages and weight), as after a git merge.
fn two_leaves(a: &str, b_name: &str) -> Project {
    let p = library_at_b();
    p.write_migration("library", a, BRANCH_A);
    p.write_migration("library", b_name, BRANCH_B);
    p.set("library", &b("pub pages: Option<i32>, pub weight: Option<f64>,"));
    p
}

#[test]
fn two_leaves_without_merge_is_a_conflict_error() {
    let p = two_leaves("0002_a", "0002_b");
    let err = p.try_make(&opts(), &[], false, &[]).expect_err("conflict");
    assert_eq!(err.kind, ErrorKind::Graph);
    assert!(err.message.contains("(0002_a, 0002_b in library)"), "{}", err.message);
    assert!(err.hint.as_deref().is_some_and(|h| h.contains("--merge")), "{:?}", err.hint);
}

#[test]
fn merge_joins_two_leaves() {
    let p = two_leaves("0002_a", "0002_b");
    let out = p.make_opts(&MakeOptions { merge: true, ..opts() });
    let m = only(&out);
    assert_eq!(m.key(), "library/0003_merge_0002_a_0002_b");
    assert_eq!(m.dependencies, ["library/0002_a", "library/0002_b"]);
    assert!(m.operations.is_empty());
    // Merged: no conflict left, and --merge again has nothing to do.
    assert!(p.make_opts(&MakeOptions { merge: true, ..opts() }).made.is_empty());
}

#[test]
fn merge_of_long_leaf_names_uses_a_timestamp() {
    let p = two_leaves("0002_add_some_fairly_long_name_here", "0002_other_long_branch_name_x");
    let out = p.make_opts(&MakeOptions { merge: true, ..opts() });
    let name = &only(&out).name;
    let stamp = name.strip_prefix("0003_merge_").expect("0003_merge_");
    assert!(is_auto_timestamp(&format!("auto_{stamp}")), "{name}");
}

// ---------------------------------------------------------------- files

/// A run of the bookshop-like steps in a fresh project; returns every file under migrations/.
fn bookshop_history() -> Vec<(String, Vec<u8>)> {
    let tag = model("Tag", "", "#[teapot(max_length = 50, unique)] pub name: String,");
    let v1 = format!(
        "{}{tag}",
        b_with(
            &format!("{IDX}, {UNIQ}, {CHECK}"),
            "#[teapot(max_digits = 8, decimal_places = 2, default = \"0.00\")] pub price: Decimal, pub tags: ManyToMany<Tag>,"
        )
    );
    let p = Project::new(&[("library", &v1), ("shop", &format!("{HEADER}{ORDER}"))]);
    p.make();
    p.set("library", &format!("{}{tag}", b_with(UNIQ, "pub pages: Option<i32>, #[teapot(default = 1.5)] pub weight: f64,")));
    p.make();
    p.snapshot()
}

#[test]
fn output_is_deterministic() {
    let (first, second) = (bookshop_history(), bookshop_history());
    let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "migrations/library/0001_initial.toml",
            "migrations/library/0002_remove_book_book_title_nonempty_and_more.toml",
            "migrations/shop/0001_initial.toml",
            "migrations/teapot.sum",
        ]
    );
    assert!(first == second, "two runs gave different bytes");
}

#[test]
fn sum_file_has_one_line_per_migration_file() {
    let p = library_at_b();
    p.set("library", &b("pub pages: Option<i32>,"));
    p.make();
    let text = std::fs::read_to_string(p.config.sum_file()).expect("teapot.sum written");
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect();
    let mut expected = Vec::new();
    for name in p.names("library") {
        let body = std::fs::read_to_string(p.migrations_dir("library").join(format!("{name}.toml"))).expect("file");
        expected.push(format!("migrations/library/{name}.toml {}", checksum(&body)));
    }
    assert_eq!(lines, expected);
}
