//! A generated project of many models (shared by the big-project tests and `schema_bench`): each
//! model has 10 fields and a foreign key to the model before it (halving), an index on every tenth,
//! 100 models to a file.

use std::fmt::Write as _;
use std::path::Path;

pub fn model_source(i: usize) -> String {
    let target = if i == 0 { "Self".to_string() } else { format!("Model{}", i / 2) };
    let mut s = String::new();
    let index =
        if i.is_multiple_of(10) { format!(", index(fields = [\"f1\", \"-f2\"], name = \"m{i}_f1_f2_idx\")") } else { String::new() };
    let _ = writeln!(s, "#[derive(Model)]\n#[teapot(app = \"bench\"{index})]\npub struct Model{i} {{");
    let _ = writeln!(s, "    pub id: i64,");
    let _ = writeln!(s, "    #[teapot(max_length = 100)]\n    pub f1: String,");
    let _ = writeln!(s, "    pub f2: i32,\n    pub f3: Option<i64>,\n    pub f4: bool,\n    pub f5: f64,");
    let _ = writeln!(s, "    pub f6: Option<String>,\n    pub f7: NaiveDate,\n    pub f8: DateTime<Utc>,");
    let _ = writeln!(s, "    #[teapot(max_digits = 10, decimal_places = 2)]\n    pub f9: Decimal,");
    let _ = writeln!(
        s,
        "    #[teapot(on_delete = \"cascade\", related_name = \"children_{i}\")]\n    pub parent: Option<ForeignKey<{target}>>,"
    );
    let _ = writeln!(s, "}}\n");
    s
}

pub fn generate(dir: &Path, models: usize) {
    std::fs::create_dir_all(dir.join("models")).expect("create models dir");
    let files = models.div_ceil(100);
    for f in 0..files {
        let mut src = String::from("use teapot::prelude::*;\n\n");
        for i in (f * 100)..((f + 1) * 100).min(models) {
            src.push_str(&model_source(i));
        }
        std::fs::write(dir.join(format!("models/part{f:03}.rs")), src).expect("write models");
    }
    std::fs::write(dir.join("teapot.toml"), "[database]\nurl = \"sqlite://bench.db\"\n\n[apps.bench]\nmodels = [\"models/*.rs\"]\n")
        .expect("write teapot.toml");
}
