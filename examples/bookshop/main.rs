//! The bookshop example: the models of teapot.toml's example project, declared with
//! `#[derive(Model)]`. Run with `cargo run --example bookshop`.
#![allow(dead_code)]

mod library;
mod shop;

use teapot::Model;

fn main() {
    for state in [
        library::Author::model_state(),
        library::Publisher::model_state(),
        library::Tag::model_state(),
        library::Book::model_state(),
        shop::Customer::model_state(),
        shop::Order::model_state(),
        shop::OrderLine::model_state(),
    ] {
        let fields: Vec<&str> = state.fields.iter().map(|(n, _)| n.as_str()).collect();
        println!("{:<10} {:<20} {}", state.app, state.table_name(), fields.join(", "));
    }
}
