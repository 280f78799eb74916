-- 009_template_examples.sql -- one example message per template (redacted like the
-- template text, at most 512 bytes): the latest job's first message of that template.
ALTER TABLE triage_templates ADD COLUMN example TEXT;
