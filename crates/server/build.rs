//! sqlx's `migrate!` embeds the migration files when the crate compiles; without this, a new
//! migration file would not make cargo compile it again.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
