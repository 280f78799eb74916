-- 008_triage_templates.sql -- log_triage's template history, so that "new since the last
-- run" and rate spikes are real. One row per stable template key (the miner's FNV-1a
-- hash of the template text): its redacted text, the highest level seen, when it was
-- first and last seen, and an exponentially weighted rate in lines per hour over the
-- successful log_triage jobs (rate_ewma, last folded in at job sequence number ewma_seq;
-- the jobs where it was absent decay it lazily). Rows are written only in the
-- transaction that ends a log_triage job as success; at most 50,000 are kept (the least
-- recently seen are evicted). triage_seq numbers those jobs.
CREATE TABLE triage_templates (
    key TEXT PRIMARY KEY,
    template TEXT NOT NULL,
    level TEXT NOT NULL DEFAULT 'info',
    first_seen_job_id BIGINT REFERENCES jobs(id) ON DELETE SET NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    jobs_seen BIGINT NOT NULL DEFAULT 1,
    total_count BIGINT NOT NULL DEFAULT 0,
    rate_ewma DOUBLE PRECISION NOT NULL DEFAULT 0,
    ewma_seq BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX triage_templates_seen_idx ON triage_templates (ewma_seq, total_count, key);
CREATE INDEX triage_templates_first_idx ON triage_templates (first_seen_at);
CREATE TABLE triage_seq (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO triage_seq (id, seq) VALUES (1, 0);
