-- 010_llm_calls_counts.sql -- llm_calls keeps token counts only, and null when the server
-- reported none (never an invented 0); it names the run's directive and task(s) for the
-- token-usage aggregates. No column may hold prompt or answer text: every text column is a
-- short name with a length check (PostgreSQL).
ALTER TABLE llm_calls
    ALTER COLUMN prompt_tokens DROP NOT NULL,
    ALTER COLUMN prompt_tokens DROP DEFAULT,
    ALTER COLUMN completion_tokens DROP NOT NULL,
    ALTER COLUMN completion_tokens DROP DEFAULT,
    ADD COLUMN directive_id BIGINT,
    ADD COLUMN task TEXT CHECK (task IS NULL OR char_length(task) <= 64),
    ADD COLUMN api TEXT CHECK (api IS NULL OR api IN ('openai', 'ollama'));
UPDATE llm_calls SET model = substr(model, 1, 128) WHERE char_length(model) > 128;
UPDATE llm_calls SET endpoint_host = substr(endpoint_host, 1, 255)
    WHERE char_length(endpoint_host) > 255;
UPDATE llm_calls SET status = 'error'
    WHERE status NOT IN ('success', 'error', 'refused', 'cancelled');
ALTER TABLE llm_calls
    ADD CONSTRAINT llm_calls_model_len CHECK (char_length(model) <= 128),
    ADD CONSTRAINT llm_calls_host_len CHECK (endpoint_host IS NULL OR char_length(endpoint_host) <= 255),
    ADD CONSTRAINT llm_calls_status_ok CHECK (status IN ('success', 'error', 'refused', 'cancelled')),
    ADD CONSTRAINT llm_calls_created_len CHECK (char_length(created_at) <= 32),
    ADD CONSTRAINT llm_calls_counts_ok CHECK ((prompt_tokens IS NULL OR prompt_tokens >= 0)
        AND (completion_tokens IS NULL OR completion_tokens >= 0)
        AND (total_tokens IS NULL OR total_tokens >= 0));
CREATE INDEX llm_calls_created_at_idx ON llm_calls (created_at);

CREATE OR REPLACE FUNCTION llm_calls_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.run_id IS NOT NULL THEN
        UPDATE runs SET
            prompt_tokens = prompt_tokens - COALESCE(OLD.prompt_tokens, 0),
            completion_tokens = completion_tokens - COALESCE(OLD.completion_tokens, 0),
            total_tokens = total_tokens - COALESCE(OLD.total_tokens,
                COALESCE(OLD.prompt_tokens, 0) + COALESCE(OLD.completion_tokens, 0))
        WHERE id = OLD.run_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.run_id IS NOT NULL THEN
        UPDATE runs SET
            prompt_tokens = prompt_tokens + COALESCE(NEW.prompt_tokens, 0),
            completion_tokens = completion_tokens + COALESCE(NEW.completion_tokens, 0),
            total_tokens = total_tokens + COALESCE(NEW.total_tokens,
                COALESCE(NEW.prompt_tokens, 0) + COALESCE(NEW.completion_tokens, 0))
        WHERE id = NEW.run_id;
    END IF;
    RETURN NULL;
END
$$;
