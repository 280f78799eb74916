-- 004_settings.sql -- small key/value facts the orchestrator keeps about itself
-- (the installation's instance id, one-time seeding flags). Never secrets.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
