-- 001_init.sql -- the initial schema (SQLite). Timestamps are ISO 8601 UTC text.
CREATE TABLE directives (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    description TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT '{}',
    is_active BOOLEAN NOT NULL DEFAULT 1,
    deleted_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (key, version)
);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    status TEXT NOT NULL DEFAULT 'queued',
    tasks TEXT NOT NULL,
    directive_id INTEGER REFERENCES directives(id) ON DELETE SET NULL,
    directive_snapshot TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    error TEXT,
    report_md TEXT,
    report_json TEXT,
    cancel_requested BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX runs_status_idx ON runs (status);
CREATE INDEX runs_created_at_idx ON runs (created_at);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    task TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    window_start TEXT,
    window_end TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    deadline_at TEXT,
    error TEXT,
    summary TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT
);
CREATE INDEX jobs_status_id_idx ON jobs (status, id);
CREATE INDEX jobs_run_id_idx ON jobs (run_id);
CREATE INDEX jobs_task_status_idx ON jobs (task, status);

-- Token counts only: no LLM message content is ever stored here.
CREATE TABLE llm_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    job_id INTEGER REFERENCES jobs(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    endpoint_host TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    total_tokens INTEGER,
    duration_ms INTEGER,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX llm_calls_run_id_idx ON llm_calls (run_id);

CREATE TABLE worker_images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    image_name TEXT NOT NULL,
    image_tag TEXT NOT NULL,
    digest TEXT,
    requires_gpu BOOLEAN NOT NULL DEFAULT 0,
    min_vram_mb INTEGER,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    UNIQUE (image_name, image_tag)
);

CREATE TABLE container_allowlist (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    container_ref TEXT NOT NULL UNIQUE,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    note TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE worker_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    action TEXT NOT NULL,
    image TEXT,
    container_id TEXT,
    run_id INTEGER,
    job_id INTEGER,
    reason TEXT
);

CREATE TABLE container_inventory (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    captured_at TEXT NOT NULL,
    data TEXT NOT NULL
);

CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT,
    content_type TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (run_id, name)
);

CREATE TABLE schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    cron TEXT NOT NULL,
    tasks TEXT NOT NULL,
    directive_id INTEGER REFERENCES directives(id) ON DELETE SET NULL,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    last_run_at TEXT,
    next_run_at TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    is_active BOOLEAN NOT NULL DEFAULT 1
);

CREATE TABLE log_cursors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    device INTEGER,
    inode INTEGER,
    fingerprint TEXT,
    offset_bytes INTEGER NOT NULL DEFAULT 0,
    last_ts TEXT,
    updated_at TEXT NOT NULL
);
