-- A claimed feed's lease, renewed by the poller's heartbeat while the poll runs (src/lease.rs). The
-- claim still moves `next_check_at` to the lease's end, so a poll whose process died is due again
-- when the lease runs out; `lease_until` tells a live lease (renewable) from a recorded poll (NULL).
ALTER TABLE feeds ADD COLUMN lease_until timestamptz;
