-- 002_seed_directives.sql -- the built-in directives D1..D4 (SQLite).
INSERT INTO directives (key, name, version, description, text, config, is_active, created_at, updated_at)
VALUES
('D1', 'Log triage defaults', 1,
 'Default settings of the log_triage task.',
 'Triage the container logs of the last 24 hours. Read at most 64 MiB per file, keep error and warning lines, group them into templates and report the most frequent and the newest ones first.',
 '{"lookback_hours":24,"max_bytes_per_file":67108864,"levels":["error","warn"]}',
 TRUE, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
('D2', 'GPU thresholds', 1,
 'Warning thresholds of the gpu_report task.',
 'Report every GPU. Warn when VRAM use is above 85 percent, the temperature above 80 degrees Celsius or the power draw above 90 percent of the limit.',
 '{"vram_used_pct_warn":85,"temp_c_warn":80,"power_pct_warn":90}',
 TRUE, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
('D3', 'Service map settings', 1,
 'Settings of the service_map task.',
 'Map the running containers, their published ports, networks and volumes. Include stopped containers too.',
 '{"include_stopped":true}',
 TRUE, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
('D4', 'Custom', 1,
 'A directive of your own: edit its text.',
 '',
 '{}',
 TRUE, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
