-- 005_worker_image_limits.sql -- per-image container limits of the worker-image allowlist.
-- NULL means the runtime's default (512 MiB, 1 CPU, 128 processes). cpus_milli is in
-- thousandths of a CPU (the API shows it as "cpus", a number like 0.5).
ALTER TABLE worker_images ADD COLUMN memory_mb INTEGER;
ALTER TABLE worker_images ADD COLUMN cpus_milli INTEGER;
ALTER TABLE worker_images ADD COLUMN pids_limit INTEGER;
