-- 012_service_maps.sql -- the service map of each successful service_map job (SQLite): the
-- checked graph (nodes and typed edges with evidence, redacted), its analysis (single
-- points of failure, the difference from the map before it) and the SVG laid out by
-- Graphviz (NULL when the layout failed).
CREATE TABLE service_maps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    job_id INTEGER NOT NULL UNIQUE REFERENCES jobs(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    node_count INTEGER NOT NULL DEFAULT 0,
    edge_count INTEGER NOT NULL DEFAULT 0,
    graph TEXT NOT NULL,
    analysis TEXT NOT NULL,
    svg TEXT
);
CREATE INDEX service_maps_run_id_idx ON service_maps (run_id);
