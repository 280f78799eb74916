-- 010_llm_calls_counts.sql -- llm_calls keeps token counts only, and null when the server
-- reported none (never an invented 0); it names the run's directive and task(s) for the
-- token-usage aggregates. No column may hold prompt or answer text: every text column is a
-- short name with a length check (SQLite).
DROP TRIGGER llm_calls_totals_insert;
DROP TRIGGER llm_calls_totals_delete;
DROP TRIGGER llm_calls_totals_update;

CREATE TABLE llm_calls_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    job_id INTEGER REFERENCES jobs(id) ON DELETE CASCADE,
    directive_id INTEGER,
    task TEXT CHECK (task IS NULL OR length(task) <= 64),
    model TEXT NOT NULL CHECK (length(model) <= 128),
    endpoint_host TEXT CHECK (endpoint_host IS NULL OR length(endpoint_host) <= 255),
    api TEXT CHECK (api IS NULL OR api IN ('openai', 'ollama')),
    prompt_tokens INTEGER CHECK (prompt_tokens IS NULL OR prompt_tokens >= 0),
    completion_tokens INTEGER CHECK (completion_tokens IS NULL OR completion_tokens >= 0),
    total_tokens INTEGER CHECK (total_tokens IS NULL OR total_tokens >= 0),
    duration_ms INTEGER,
    status TEXT NOT NULL CHECK (status IN ('success', 'error', 'refused', 'cancelled')),
    created_at TEXT NOT NULL CHECK (length(created_at) <= 32)
);
INSERT INTO llm_calls_new (id, run_id, job_id, model, endpoint_host, prompt_tokens,
                           completion_tokens, total_tokens, duration_ms, status, created_at)
    SELECT id, run_id, job_id, substr(model, 1, 128), substr(endpoint_host, 1, 255),
           prompt_tokens, completion_tokens, total_tokens, duration_ms,
           CASE WHEN status IN ('success', 'error', 'refused', 'cancelled') THEN status
                ELSE 'error' END,
           created_at
    FROM llm_calls;
DROP TABLE llm_calls;
ALTER TABLE llm_calls_new RENAME TO llm_calls;
CREATE INDEX llm_calls_run_id_idx ON llm_calls (run_id);
CREATE INDEX llm_calls_created_at_idx ON llm_calls (created_at);

CREATE TRIGGER llm_calls_totals_insert AFTER INSERT ON llm_calls
WHEN NEW.run_id IS NOT NULL
BEGIN
    UPDATE runs SET
        prompt_tokens = prompt_tokens + COALESCE(NEW.prompt_tokens, 0),
        completion_tokens = completion_tokens + COALESCE(NEW.completion_tokens, 0),
        total_tokens = total_tokens + COALESCE(NEW.total_tokens,
            COALESCE(NEW.prompt_tokens, 0) + COALESCE(NEW.completion_tokens, 0))
    WHERE id = NEW.run_id;
END;

CREATE TRIGGER llm_calls_totals_delete AFTER DELETE ON llm_calls
WHEN OLD.run_id IS NOT NULL
BEGIN
    UPDATE runs SET
        prompt_tokens = prompt_tokens - COALESCE(OLD.prompt_tokens, 0),
        completion_tokens = completion_tokens - COALESCE(OLD.completion_tokens, 0),
        total_tokens = total_tokens - COALESCE(OLD.total_tokens,
            COALESCE(OLD.prompt_tokens, 0) + COALESCE(OLD.completion_tokens, 0))
    WHERE id = OLD.run_id;
END;

CREATE TRIGGER llm_calls_totals_update AFTER UPDATE ON llm_calls
BEGIN
    UPDATE runs SET
        prompt_tokens = prompt_tokens - COALESCE(OLD.prompt_tokens, 0),
        completion_tokens = completion_tokens - COALESCE(OLD.completion_tokens, 0),
        total_tokens = total_tokens - COALESCE(OLD.total_tokens,
            COALESCE(OLD.prompt_tokens, 0) + COALESCE(OLD.completion_tokens, 0))
    WHERE id = OLD.run_id;
    UPDATE runs SET
        prompt_tokens = prompt_tokens + COALESCE(NEW.prompt_tokens, 0),
        completion_tokens = completion_tokens + COALESCE(NEW.completion_tokens, 0),
        total_tokens = total_tokens + COALESCE(NEW.total_tokens,
            COALESCE(NEW.prompt_tokens, 0) + COALESCE(NEW.completion_tokens, 0))
    WHERE id = NEW.run_id;
END;
