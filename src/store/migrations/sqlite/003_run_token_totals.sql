-- 003_run_token_totals.sql -- token totals kept on the run row (SQLite).
-- Lists read three integers per run instead of summing llm_calls for every row; the
-- triggers keep them equal to the sums whatever writes llm_calls.
ALTER TABLE runs ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN total_tokens INTEGER NOT NULL DEFAULT 0;

UPDATE runs SET
    prompt_tokens = (SELECT COALESCE(SUM(l.prompt_tokens), 0) FROM llm_calls l WHERE l.run_id = runs.id),
    completion_tokens = (SELECT COALESCE(SUM(l.completion_tokens), 0) FROM llm_calls l WHERE l.run_id = runs.id),
    total_tokens = (SELECT COALESCE(SUM(COALESCE(l.total_tokens, l.prompt_tokens + l.completion_tokens)), 0)
                    FROM llm_calls l WHERE l.run_id = runs.id);

CREATE TRIGGER llm_calls_totals_insert AFTER INSERT ON llm_calls
WHEN NEW.run_id IS NOT NULL
BEGIN
    UPDATE runs SET
        prompt_tokens = prompt_tokens + NEW.prompt_tokens,
        completion_tokens = completion_tokens + NEW.completion_tokens,
        total_tokens = total_tokens + COALESCE(NEW.total_tokens, NEW.prompt_tokens + NEW.completion_tokens)
    WHERE id = NEW.run_id;
END;

CREATE TRIGGER llm_calls_totals_delete AFTER DELETE ON llm_calls
WHEN OLD.run_id IS NOT NULL
BEGIN
    UPDATE runs SET
        prompt_tokens = prompt_tokens - OLD.prompt_tokens,
        completion_tokens = completion_tokens - OLD.completion_tokens,
        total_tokens = total_tokens - COALESCE(OLD.total_tokens, OLD.prompt_tokens + OLD.completion_tokens)
    WHERE id = OLD.run_id;
END;

CREATE TRIGGER llm_calls_totals_update AFTER UPDATE ON llm_calls
BEGIN
    UPDATE runs SET
        prompt_tokens = prompt_tokens - OLD.prompt_tokens,
        completion_tokens = completion_tokens - OLD.completion_tokens,
        total_tokens = total_tokens - COALESCE(OLD.total_tokens, OLD.prompt_tokens + OLD.completion_tokens)
    WHERE id = OLD.run_id;
    UPDATE runs SET
        prompt_tokens = prompt_tokens + NEW.prompt_tokens,
        completion_tokens = completion_tokens + NEW.completion_tokens,
        total_tokens = total_tokens + COALESCE(NEW.total_tokens, NEW.prompt_tokens + NEW.completion_tokens)
    WHERE id = NEW.run_id;
END;
