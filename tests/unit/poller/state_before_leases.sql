-- The state file schema before leases and the outbox (commit fb99b23), with one feed and one seen entry:
-- opening such a file must add the new columns and tables and keep what it holds.
CREATE TABLE IF NOT EXISTS feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    interval_s REAL,
    category TEXT,
    source TEXT NOT NULL DEFAULT 'cli',
    added_ms INTEGER NOT NULL DEFAULT 0,
    etag TEXT,
    last_modified TEXT,
    body_sha TEXT,
    next_poll_ms INTEGER NOT NULL DEFAULT 0,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_kind TEXT,
    last_status INTEGER,
    last_poll_ms INTEGER,
    last_success_ms INTEGER,
    first_success_ms INTEGER,
    polls INTEGER NOT NULL DEFAULT 0,
    not_modified INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    entries_sent INTEGER NOT NULL DEFAULT 0,
    updates_sent INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    guid_drift INTEGER NOT NULL DEFAULT 0,
    bozo INTEGER NOT NULL DEFAULT 0,
    ttl_s REAL,
    update_period_s REAL,
    max_age_s REAL,
    moved_from TEXT
);
CREATE INDEX IF NOT EXISTS feeds_next_poll ON feeds(next_poll_ms);
CREATE TABLE IF NOT EXISTS seen (
    feed_id INTEGER NOT NULL,
    entry_key TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    link TEXT,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_last ON seen(last_seen_ms);
CREATE INDEX IF NOT EXISTS seen_link ON seen(feed_id, link);
CREATE INDEX IF NOT EXISTS seen_first ON seen(feed_id, first_seen_ms);
INSERT INTO feeds(id, url, next_poll_ms, polls, etag) VALUES (1, 'http://127.0.0.1:1/a.xml', 1000, 3, '"e"');
INSERT INTO seen(feed_id, entry_key, content_hash, link, first_seen_ms, last_seen_ms) VALUES (1, 'g:k', 'h', NULL, 5, 5);
