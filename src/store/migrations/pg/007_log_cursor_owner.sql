-- 007_log_cursor_owner.sql -- log_cursors (from 001) gets how many bytes its fingerprint
-- covers and the job that committed it. A cursor is written only in the transaction that
-- ends a log_triage job as success, so a failed run never moves the window.
ALTER TABLE log_cursors ADD COLUMN fingerprint_len INTEGER NOT NULL DEFAULT 0;
ALTER TABLE log_cursors ADD COLUMN run_id BIGINT REFERENCES runs(id) ON DELETE SET NULL;
ALTER TABLE log_cursors ADD COLUMN job_id BIGINT REFERENCES jobs(id) ON DELETE SET NULL;
