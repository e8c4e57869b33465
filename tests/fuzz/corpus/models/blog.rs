// The models of ../shared/reference/django-blog/models_v2.py, declared in teapot.
use teapot::prelude::*;

#[derive(Model)]
#[teapot(app = "blog")]
pub struct Site {
    pub id: i64,
    #[teapot(max_length = 100, unique)]
    pub domain: String,
    #[teapot(max_length = 250)]
    pub title: String,
    #[teapot(max_length = 8, default = "en")]
    pub language: String,
}

#[derive(Model)]
#[teapot(app = "blog")]
pub struct Category {
    pub id: i64,
    #[teapot(max_length = 60, unique)]
    pub name: String,
    #[teapot(max_length = 60, db_index)]
    pub slug: String,
}

#[derive(Model)]
#[teapot(app = "blog",
         index(fields = ["site", "-created_at"], name = "post_site_created_idx"),
         index(fields = ["published", "publish_on"], name = "post_pub_idx"),
         unique(fields = ["site", "title"], name = "post_site_title_uniq"),
         check(name = "post_score_gte_0", expr = "\"score\" >= 0.0"))]
pub struct Post {
    pub id: i64,
    #[teapot(on_delete = "cascade", related_name = "posts")]
    pub site: ForeignKey<Site>,
    #[teapot(max_length = 300, db_index)]
    pub title: String,
    pub body: String,
    pub summary: Option<String>,
    #[teapot(default = false)]
    pub published: bool,
    #[teapot(default = 0.0)]
    pub score: f64,
    #[teapot(default = 0)]
    pub views: i64,
    pub rank: Option<i16>,
    pub created_at: DateTime<Utc>,
    pub publish_on: Option<NaiveDate>,
    pub reading_time: Option<NaiveTime>,
    #[teapot(unique)]
    pub r#ref: Uuid,
    #[teapot(default = "{}")]
    pub extra: serde_json::Value,
    pub raw: Option<Vec<u8>>,
    #[teapot(max_digits = 12, decimal_places = 4)]
    pub price: Option<Decimal>,
    #[teapot(related_name = "posts")]
    pub categories: ManyToMany<Category>,
    pub editor_note: Option<String>,
    #[teapot(db_index)]
    pub word_count: Option<i32>,
}

#[derive(Model)]
#[teapot(app = "blog")]
pub struct Profile {
    pub id: i64,
    #[teapot(on_delete = "cascade", one_to_one)]
    pub site: ForeignKey<Site>,
    #[teapot(default = "")]
    pub bio: String,
}

#[derive(Model)]
#[teapot(app = "blog")]
pub struct Comment {
    pub id: i64,
    #[teapot(on_delete = "cascade", related_name = "comments")]
    pub post: ForeignKey<Post>,
    #[teapot(on_delete = "set_null", related_name = "replies")]
    pub parent: Option<ForeignKey<Self>>,
    #[teapot(max_length = 80, db_index)]
    pub author: String,
    pub text: String,
    #[teapot(default = true)]
    pub approved: bool,
    #[teapot(default = 3)]
    pub rating: i32,
}
