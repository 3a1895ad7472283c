-- The job stream (NATS JetStream) is fed from these tables, which act as its outbox: a queued
-- photo or day is published with its attempt number, and published again only after another
-- attempt (a redo, a worker that died) or when it has waited five minutes since.
ALTER TABLE photos ADD COLUMN published BIGINT, ADD COLUMN published_at TIMESTAMPTZ;
ALTER TABLE days ADD COLUMN published BIGINT, ADD COLUMN published_at TIMESTAMPTZ;
CREATE INDEX photos_queued ON photos (id) WHERE state = 'queued';
CREATE INDEX days_queued ON days (id) WHERE state = 'queued';
