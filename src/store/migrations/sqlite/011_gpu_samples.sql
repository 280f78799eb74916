-- 011_gpu_samples.sql -- gpu_report's history (SQLite): numbers only. One row per GPU per
-- successful gpu_report job (gpu_samples) and one per (GPU, container) the job attributed
-- VRAM to (gpu_container_samples: an allowlisted container's redacted name, or 'other').
-- Unknown values stay NULL, never 0. Written in the transaction that ends the job.
CREATE TABLE gpu_samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    job_id INTEGER REFERENCES jobs(id) ON DELETE CASCADE,
    sampled_at TEXT NOT NULL,
    gpu_index INTEGER NOT NULL,
    gpu_uuid TEXT NOT NULL,
    memory_total_mib INTEGER,
    memory_used_mib INTEGER,
    utilization_gpu_pct INTEGER,
    utilization_memory_pct INTEGER,
    temperature_c INTEGER,
    temperature_margin_c INTEGER,
    power_draw_w REAL,
    power_limit_w REAL
);
CREATE INDEX gpu_samples_time_idx ON gpu_samples (sampled_at, id);
CREATE INDEX gpu_samples_uuid_idx ON gpu_samples (gpu_uuid, sampled_at);
CREATE TABLE gpu_container_samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    job_id INTEGER REFERENCES jobs(id) ON DELETE CASCADE,
    sampled_at TEXT NOT NULL,
    gpu_uuid TEXT NOT NULL,
    container TEXT NOT NULL,
    used_memory_mib INTEGER,
    utilization_gpu_pct INTEGER,
    utilization_estimated INTEGER NOT NULL DEFAULT 1,
    processes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX gpu_container_samples_time_idx ON gpu_container_samples (sampled_at, id);
