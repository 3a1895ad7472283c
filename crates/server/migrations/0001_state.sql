-- The service's state in PostgreSQL (the distributed mode): the same tables as the embedded
-- SQLite file (crates/server/src/db.rs), in PostgreSQL's types.
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    password TEXT,
    created TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE TABLE invites (
    token_sha256 TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    expires BIGINT NOT NULL
);
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    created TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE guideline (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    toml TEXT NOT NULL,
    updated TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by TEXT
);
CREATE TABLE photos (
    id BIGSERIAL PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    ext TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'processing', 'ready', 'refused', 'error')),
    decision TEXT CHECK (decision IN ('accepted', 'discarded')),
    review TEXT CHECK (review IN ('approved', 'rejected')),
    review_comment TEXT,
    review_by TEXT,
    review_at TIMESTAMPTZ,
    reason TEXT,
    advice TEXT NOT NULL DEFAULT '[]',
    report TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    completions BIGINT NOT NULL DEFAULT 0,
    created TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX photos_state ON photos (state, id);
CREATE INDEX photos_owner ON photos (owner_id, id);
CREATE TABLE days (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    roster TEXT NOT NULL,
    picks BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'queued', 'processing', 'ready', 'error')),
    reason TEXT,
    summary TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    completions BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX days_state ON days (state, id);
CREATE TABLE day_people (
    day_id BIGINT NOT NULL REFERENCES days(id),
    person TEXT NOT NULL,
    line BIGINT NOT NULL,
    name TEXT NOT NULL,
    team TEXT,
    email TEXT,
    user_id BIGINT REFERENCES users(id),
    result TEXT,
    choice TEXT,
    chosen_by TEXT,
    chosen_at TIMESTAMPTZ,
    retake TEXT,
    retake_at TIMESTAMPTZ,
    PRIMARY KEY (day_id, person)
);
CREATE INDEX day_people_user ON day_people (user_id);
