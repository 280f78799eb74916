-- 003_run_token_totals.sql -- token totals kept on the run row (PostgreSQL).
-- Lists read three integers per run instead of summing llm_calls for every row; the
-- trigger keeps them equal to the sums whatever writes llm_calls.
ALTER TABLE runs
    ADD COLUMN prompt_tokens BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN completion_tokens BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN total_tokens BIGINT NOT NULL DEFAULT 0;

UPDATE runs r SET
    prompt_tokens = t.p, completion_tokens = t.c, total_tokens = t.t
FROM (SELECT run_id, SUM(prompt_tokens) AS p, SUM(completion_tokens) AS c,
             SUM(COALESCE(total_tokens, prompt_tokens + completion_tokens)) AS t
      FROM llm_calls WHERE run_id IS NOT NULL GROUP BY run_id) t
WHERE t.run_id = r.id;

CREATE FUNCTION llm_calls_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.run_id IS NOT NULL THEN
        UPDATE runs SET
            prompt_tokens = prompt_tokens - OLD.prompt_tokens,
            completion_tokens = completion_tokens - OLD.completion_tokens,
            total_tokens = total_tokens
                - COALESCE(OLD.total_tokens, OLD.prompt_tokens + OLD.completion_tokens)
        WHERE id = OLD.run_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.run_id IS NOT NULL THEN
        UPDATE runs SET
            prompt_tokens = prompt_tokens + NEW.prompt_tokens,
            completion_tokens = completion_tokens + NEW.completion_tokens,
            total_tokens = total_tokens
                + COALESCE(NEW.total_tokens, NEW.prompt_tokens + NEW.completion_tokens)
        WHERE id = NEW.run_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER llm_calls_totals AFTER INSERT OR UPDATE OR DELETE ON llm_calls
    FOR EACH ROW EXECUTE FUNCTION llm_calls_totals();
