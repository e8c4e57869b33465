//! Names of tables, indexes and constraints, built the way Django builds them so that a teapot
//! service and a Django project can share one PostgreSQL database.

/// PostgreSQL's identifier limit (NAMEDATALEN - 1).
pub const MAX_NAME_LENGTH: usize = 63;

/// `{app}_{model lowercased}`.
pub fn default_table(app: &str, model: &str) -> String {
    format!("{}_{}", app, model.to_lowercase())
}

/// The first `length` hex digits of the md5 of the parts, fed one after the other.
pub fn names_digest(parts: &[&str], length: usize) -> String {
    let mut ctx = md5::Context::new();
    for p in parts {
        ctx.consume(p.as_bytes());
    }
    let hex = format!("{:x}", ctx.compute());
    hex[..length].to_string()
}

/// Cuts a name longer than `length` and ends it with a 4-digit digest of the whole name.
pub fn truncate_name(name: &str, length: usize) -> String {
    if name.len() <= length {
        return name.to_string();
    }
    let digest = names_digest(&[name], 4);
    format!("{}{}", byte_prefix(name, length - 4), digest)
}

/// `{table}_{col1}_{col2}_{digest8}{suffix}`, shortened past 63 bytes as Django shortens it.
pub fn index_name(table: &str, columns: &[&str], suffix: &str) -> String {
    let mut parts = vec![table];
    parts.extend_from_slice(columns);
    let mut hash_suffix = format!("{}{}", names_digest(&parts, 8), suffix);
    let joined = columns.join("_");
    let name = format!("{table}_{joined}_{hash_suffix}");
    if name.len() <= MAX_NAME_LENGTH {
        return name;
    }
    if hash_suffix.len() > MAX_NAME_LENGTH / 3 {
        hash_suffix = byte_prefix(&hash_suffix, MAX_NAME_LENGTH / 3).to_string();
    }
    let other = (MAX_NAME_LENGTH - hash_suffix.len()) / 2 - 1;
    let mut name = format!("{}_{}_{}", byte_prefix(table, other), byte_prefix(&joined, other), hash_suffix);
    if name.starts_with('_') || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.pop();
        name = format!("D{name}");
    }
    name
}

/// The name of a foreign key constraint: `{table}_{col}_{digest}_fk_{to_table}_{to_col}`.
pub fn foreign_key_name(table: &str, column: &str, to_table: &str, to_column: &str) -> String {
    index_name(table, &[column], &format!("_fk_{to_table}_{to_column}"))
}

/// The name a `unique(fields = [...])` without a name gets (Django's unique_together name).
pub fn unique_together_name(table: &str, columns: &[&str]) -> String {
    index_name(table, columns, "_uniq")
}

/// The join table of a many-to-many field: `{table}_{field}`, cut to 63 bytes.
pub fn m2m_table(table: &str, field: &str) -> String {
    truncate_name(&format!("{table}_{field}"), MAX_NAME_LENGTH)
}

/// The two columns of a join table: `{from}_id` and `{to}_id`, or `from_{m}_id` / `to_{m}_id`
/// when a model relates to itself.
pub fn m2m_columns(from_model: &str, to_model: &str) -> (String, String) {
    let (f, t) = (from_model.to_lowercase(), to_model.to_lowercase());
    if f == t {
        (format!("from_{f}_id"), format!("to_{t}_id"))
    } else {
        (format!("{f}_id"), format!("{t}_id"))
    }
}

/// The longest prefix of `s` no longer than `n` bytes that ends on a character boundary.
fn byte_prefix(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_django_reference() {
        // Names from the DDL Django 5.2 emitted for the reference blog app.
        assert_eq!(index_name("blog_category", &["name"], "_like"), "blog_category_name_92eb1483_like");
        assert_eq!(index_name("blog_post", &["title"], ""), "blog_post_title_adf2f203");
        assert_eq!(foreign_key_name("blog_post", "site_id", "blog_site", "id"), "blog_post_site_id_76bd1633_fk_blog_site_id");
        assert_eq!(
            unique_together_name("blog_post_categories", &["post_id", "category_id"]),
            "blog_post_categories_post_id_category_id_ed4f1727_uniq"
        );
        assert_eq!(
            foreign_key_name("blog_post_categories", "category_id", "blog_category", "id"),
            "blog_post_categories_category_id_2211dae5_fk_blog_category_id"
        );
    }

    #[test]
    fn long_names_are_shortened_to_63_bytes() {
        let n = foreign_key_name("inventory_warehouselocation", "storage_bin_identifier_id", "inventory_storagebinidentifier", "id");
        assert!(n.len() <= 63, "{n}");
        let t = m2m_table("a_very_long_application_label_with_a_long_model_name", "some_relation_field");
        assert_eq!(t.len(), 63);
    }
}
