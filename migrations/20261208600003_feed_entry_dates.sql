-- The entry dates of a feed's last document (at most the newest 500): a 304 says the document is
-- unchanged, so the poll interval is learned again from these dates at the new time, and a feed that
-- has gone quiet behind conditional requests slows down as one re-read in full would
-- (poll::schedule::observed_interval). NULL: no document yet, or one without dates.
ALTER TABLE feeds ADD COLUMN entry_dates timestamptz[];
