#!/usr/bin/env bash
# Import throughput against the Python baselines, timed in the same run (docs/performance.md):
# `newsdedup import FILE` into a fresh database (PostgreSQL included), three times, and the TF-IDF
# baseline (`tfidf_online.py`, tau 0.25, 14-day window) and the datasketch MinHash baseline on the
# same file. Prints articles/s of each and the ratio.
#
#     tools/perf_import.sh [FILE.jsonl]          # default: the GVA development set
#
# Needs the release binary (cargo build --release), python3 with scikit-learn, numpy and datasketch,
# and PostgreSQL at DATABASE_URL's server.
set -euo pipefail
cd "$(dirname "$0")/.."

FILE="${1:-../shared/data/clustering/gva_dev.jsonl}"
SERVER="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BASELINE=../shared/tools/baseline
OUT=target/perf
mkdir -p "$OUT"
: >"$OUT/defaults.toml"
n=$(wc -l <"$FILE")

rates=()
for run in 1 2 3; do
    db="newsdedup_perf_$$_$run"
    url="${SERVER%/*}/$db"
    start=$(date +%s.%N)
    DATABASE_URL="$url" target/release/newsdedup import "$FILE" --config "$OUT/defaults.toml" >"$OUT/summary"
    end=$(date +%s.%N)
    psql "${SERVER%/*}/postgres" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
    inner=$(sed -E 's/.*; ([0-9.]+) articles\/s.*/\1/' "$OUT/summary")
    wall=$(python3 -c "print(f'{$n / ($end - $start):.0f}')")
    echo "newsdedup import run $run: $inner articles/s (import loop), $wall articles/s wall (process start, database creation and migrations included)"
    rates+=("$wall")
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p)

tfidf=$(python3 "$BASELINE/tfidf_online.py" "$FILE" "$OUT/tfidf.json" 0.25:14 | sed -E 's/.*\| ([0-9]+) docs\/s.*/\1/')
echo "tfidf_online.py 0.25:14: $tfidf docs/s (its clustering loop; vectorising not counted)"
minhash=$(python3 "$BASELINE/minhash_baseline.py" "$FILE" "$OUT/minhash.json" | head -1 |
    sed -E 's/.*sig ([0-9]+) docs\/s.*/\1/')
echo "minhash_baseline.py k=5 th=0.5: $minhash docs/s (shingling + signatures only)"
python3 -c "print(f'newsdedup median wall {$median} articles/s = {$median / $tfidf:.1f}x the TF-IDF baseline, {$median / $minhash:.1f}x the MinHash baseline')"
