#!/usr/bin/env bash
# Scale run of the story engine (docs/performance.md, "Flat cost"): a synthetic stream of ARTICLES
# articles (default 1,000,000; dev bodies perturbed and re-dated, 7-day periods) imported in chunks of
# CHUNK into one fresh database with the shipped defaults. Prints, per chunk, the import rate and the
# importer's peak RSS, and at 100k and at the end the engine's start-up (state rebuild) time and the
# peak RSS of a process that only rebuilds.
#
#     tools/scale_run.sh                      # 1M articles, 100k chunks
#     ARTICLES=200000 tools/scale_run.sh      # a shorter run
#
# Needs the release binaries (cargo build --release) and PostgreSQL at DATABASE_URL's server.
set -euo pipefail
cd "$(dirname "$0")/.."

ARTICLES="${ARTICLES:-1000000}"
CHUNK="${CHUNK:-100000}"
SERVER="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB="newsdedup_scale_$$"
OUT="target/scale"
BIN=target/release
mkdir -p "$OUT"
DB_URL="${SERVER%/*}/$DB"
export DATABASE_URL="$DB_URL"

psql "${SERVER%/*}/postgres" -qc "DROP DATABASE IF EXISTS \"$DB\"" -c "CREATE DATABASE \"$DB\""
trap 'psql "${SERVER%/*}/postgres" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

corpus="$OUT/synth-$ARTICLES.jsonl"
if [ ! -s "$corpus" ]; then
    "$BIN/synth-corpus" --articles "$ARTICLES" --out "$corpus"
fi
rm -f "$OUT"/chunk-*
split -l "$CHUNK" -d -a 3 "$corpus" "$OUT/chunk-"
: >"$OUT/empty.jsonl"
config="$OUT/defaults.toml"
: >"$config"

# Start-up: a process that opens the engine (rebuild from the newest snapshot plus the log after it)
# and imports nothing. Its log line carries the rebuild time; /usr/bin/time its peak RSS.
rebuild() {
    local label="$1"
    RUST_LOG=newsdedup=info LOG_FORMAT=json /usr/bin/time -f "%M" -o "$OUT/rss" \
        "$BIN/newsdedup" import "$OUT/empty.jsonl" --config "$config" 2>"$OUT/rebuild.log" >/dev/null
    python3 - "$label" "$(($(cat "$OUT/rss") / 1024))" "$OUT/rebuild.log" <<'PY'
import json, sys
label, rss, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for line in open(log):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    f = e.get("fields", {})
    if f.get("message") == "story engine state rebuilt":
        print(f"{label:<16} rebuild {f['seconds']:>6} s  peak RSS {rss:5d} MiB  "
              f"(snapshot at {f['snapshot_seq']}, {f['replayed']} decisions replayed, {f['articles']} articles held)")
PY
}

stored=0
for chunk in "$OUT"/chunk-*; do
    /usr/bin/time -f "%M" -o "$OUT/rss" "$BIN/newsdedup" import "$chunk" --config "$config" >"$OUT/summary" 2>"$OUT/import.err"
    n=$(wc -l <"$chunk")
    stored=$((stored + n))
    rate=$(sed -E 's/.*; ([0-9.]+) articles\/s.*/\1/' "$OUT/summary")
    printf 'chunk %-3s stored %8d  import %8s articles/s  peak RSS %5d MiB\n' "${chunk##*-}" "$stored" "$rate" \
        $(($(cat "$OUT/rss") / 1024))
    if [ "$stored" -eq "$CHUNK" ]; then
        rebuild "after $stored"
    fi
done
rebuild "after $stored"
psql "$DB_URL" -Atc "SELECT 'database size ' || pg_size_pretty(pg_database_size(current_database()))"
