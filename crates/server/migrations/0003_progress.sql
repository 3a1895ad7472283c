-- A headshot day's progress while a worker runs it (any replica shows the admin's progress bar).
ALTER TABLE days ADD COLUMN progress_stage TEXT, ADD COLUMN progress_done BIGINT,
    ADD COLUMN progress_total BIGINT;
