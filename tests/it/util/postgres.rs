//! A fresh PostgreSQL database per test on 127.0.0.1:5432 (user `postgres`, trust auth),
//! dropped on Drop (`WITH (FORCE)`, so open connections do not keep it alive).

use super::require_postgres;

const ADMIN_URL: &str = "host=127.0.0.1 port=5432 user=postgres dbname=postgres";

pub struct PgDatabase {
    name: String,
}

impl PgDatabase {
    /// Create `trustctl_test_<random>`. None (after a skip note) when PostgreSQL is not
    /// reachable and `CI` is unset; panics under `CI`.
    #[track_caller]
    pub fn create() -> Option<PgDatabase> {
        if !require_postgres() {
            return None;
        }
        let name = format!("trustctl_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = postgres::Client::connect(ADMIN_URL, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to PostgreSQL ({ADMIN_URL}): {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        Some(PgDatabase { name })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `postgres://postgres@127.0.0.1:5432/<name>` (for `--storage`).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }

    /// A new connection to this database.
    pub fn connect(&self) -> postgres::Client {
        let url = self.url();
        postgres::Client::connect(&url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect {url}: {e}"))
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(ADMIN_URL, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
