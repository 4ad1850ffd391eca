#!/usr/bin/env bash
# Reliability harness (issue 10, docs/reliability.md): runs the fault tests of the suite at full
# strength and prints how long each took. Needs what the test suite needs (PostgreSQL, psql).
#
#   tools/reliability.sh            # 25 kill -9 rounds
#   KILLS=50 OUTAGE_SECS=120 tools/reliability.sh
#
# 1. kill -9 of the service at KILLS pseudo-random points while it ingests a local site of 300
#    articles, a restart each time, then the SQL invariants (each article stored once and in exactly
#    one story, story counts equal to their members, no orphan URL index rows, no lease left on
#    finished work, every page fetched).
# 2. a killed service's claims taken up within one short lease.
# 3. replicas: two runs over one multi-feed site give identical stories, two replicas at once fetch
#    each page once and make one process's stories, and a standby takes the engine over when its
#    holder dies.
# 4. PostgreSQL crashed (pg_ctl stop -m immediate) and restarted mid-ingest, on a private cluster
#    the test starts (initdb from pg_config --bindir, or NEWSDEDUP_PG_BIN).
# 5. SIGTERM with slow pages in flight, SIGHUP reload, hostile pages and identifiers.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEWSDEDUP_KILLS="${KILLS:-25}"
# Longer than the pool's 30 s acquire timeout, so every loop sees the database fail and retries.
export NEWSDEDUP_OUTAGE_SECS="${OUTAGE_SECS:-45}"
run() {
    local start end
    start=$(date +%s)
    cargo test --release --locked --test it -- --test-threads 1 "$@"
    end=$(date +%s)
    echo "reliability: $* passed in $((end - start)) s"
}
run signals::a_service_killed_repeatedly_while_ingesting_ends_consistent
run signals::work_of_a_killed_service_is_taken_up_within_one_short_lease
run replicas::
run outage::
run signals:: hostile
echo "reliability: all passed (kills: $NEWSDEDUP_KILLS, database outage: $NEWSDEDUP_OUTAGE_SECS s)"
