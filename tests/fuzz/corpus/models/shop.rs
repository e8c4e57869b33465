//! The bookshop's sales: customers, orders and their lines. Order lines point into the library app.

use teapot::prelude::*;

#[derive(Debug, Model)]
#[teapot(app = "shop")]
pub struct Customer {
    pub id: i64,
    #[teapot(max_length = 254, unique)]
    pub email: String,
    pub name: String,
    pub external_ref: Uuid,
    pub preferences: Option<serde_json::Value>,
    pub avatar: Option<Vec<u8>>,
    #[teapot(db_default = "CURRENT_TIMESTAMP")]
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Model)]
#[teapot(app = "shop", check(name = "order_total_gte_0", expr = "total >= 0"))]
pub struct Order {
    pub id: i64,
    #[teapot(on_delete = "restrict", related_name = "orders")]
    pub customer: ForeignKey<Customer>,
    pub placed_at: DateTime<Utc>,
    #[teapot(max_digits = 10, decimal_places = 2, default = "0.00")]
    pub total: Decimal,
    #[teapot(max_length = 20, default = "open", db_index)]
    pub status: String,
    pub delivery_window: Option<NaiveTime>,
}

#[derive(Debug, Model)]
#[teapot(app = "shop", unique(fields = ["order", "book"]))]
pub struct OrderLine {
    pub id: i64,
    #[teapot(on_delete = "cascade", related_name = "lines")]
    pub order: ForeignKey<Order>,
    #[teapot(on_delete = "restrict", related_name = "order_lines")]
    pub book: ForeignKey<crate::library::Book>,
    #[teapot(default = 1)]
    pub quantity: i16,
    pub discount: f64,
}
