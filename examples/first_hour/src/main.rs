//! first_hour: a small program on teapot's async ORM. `teapot migrate` made its tables from the
//! migrations `teapot makemigrations` wrote for src/notes/models.rs; this program reads and
//! writes rows. Every query is an explicit `.await`; nothing is ever loaded behind your back.

mod notes;

use teapot::prelude::*;

use notes::models::Note;

/// teapot.toml's [database] url, for a run without DATABASE_URL (which wins, as for `teapot`).
const DATABASE_URL: &str = "sqlite://db.sqlite3";

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        // The message says what went wrong and where, and its hint what to do.
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> teapot::Result<()> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DATABASE_URL.to_string());
    // A pool of connections: cheap to clone, one for the whole program.
    let db = Db::connect(&url).await?;

    // INSERT: the database gives the id, the ORM sets `created` (auto_now_add).
    let mut note = Note { title: "Hello, teapot".into(), body: "Written through the ORM.".into(), ..Note::defaults() };
    note.create(&db).await.map_err(|e| e.hint("has `teapot migrate` made the tables? run it in this folder"))?;
    println!("created note {} \"{}\" at {}", note.id, note.title, note.created);

    // SELECT ... WHERE NOT pinned ORDER BY created DESC: typed columns, so a typo does not compile.
    let unpinned = Note::objects().filter(Note::pinned().eq(false)).order_by(Note::created().desc()).all(&db).await?;
    println!("{} note(s) not pinned, the newest: \"{}\"", unpinned.len(), unpinned.first().map_or("", |n| n.title.as_str()));

    // UPDATE of one row.
    note.pinned = true;
    note.save(&db).await?;
    println!("pinned: {} note(s)", Note::objects().filter(Note::pinned().eq(true)).count(&db).await?);
    Ok(())
}
