-- 006_inventory.sql -- container inventory snapshots (SQLite). Every container the engine
-- lists gets a row with its id, name, image and state; only allowlisted containers carry a
-- details object (a bounded, redacted subset of the inspect answer: variable names only).
-- The container_inventory table of 001 was never used; these two tables replace it.
DROP TABLE IF EXISTS container_inventory;

CREATE TABLE inventory_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    taken_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('manual', 'run')),
    run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    container_count INTEGER NOT NULL DEFAULT 0
);
-- One snapshot per run at most (NULLs, the manual ones, do not collide).
CREATE UNIQUE INDEX inventory_snapshots_run_id_idx ON inventory_snapshots (run_id);

CREATE TABLE inventory_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    snapshot_id INTEGER NOT NULL REFERENCES inventory_snapshots(id) ON DELETE CASCADE,
    container_id TEXT NOT NULL,
    name TEXT NOT NULL,
    image TEXT NOT NULL,
    state TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT '',
    is_allowlisted BOOLEAN NOT NULL DEFAULT 0,
    details TEXT
);
CREATE INDEX inventory_items_snapshot_id_idx ON inventory_items (snapshot_id);
