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
    DATABASE_URL="$url" target/release/newsdedup import "$FILE" --config "$OUT/defaults.toml" >"$OUT/summary" 2>"$OUT/import.log"
    end=$(date +%s.%N)
    psql "${SERVER%/*}/postgres" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
    inner=$(sed -E 's/.*; ([0-9.]+) articles\/s.*/\1/' "$OUT/summary")
    wall=$(python3 -c "print(f'{$n / ($end - $start):.0f}')")
    echo "newsdedup import run $run: $inner articles/s (import loop), $wall articles/s wall (process start, database creation and migrations included)"
    rates+=("$wall")
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p)

start=$(date +%s.%N)
python3 "$BASELINE/tfidf_online.py" "$FILE" "$OUT/tfidf.json" 0.25:14 >"$OUT/tfidf.out"
end=$(date +%s.%N)
tfidf=$(sed -E 's/.*\| ([0-9]+) docs\/s.*/\1/' "$OUT/tfidf.out")
tfidf_wall=$(python3 -c "print(f'{$n / ($end - $start):.0f}')")
echo "tfidf_online.py 0.25:14: $tfidf docs/s (its clustering loop; vectorising not counted), $tfidf_wall docs/s wall (start-up, vectorising and scoring included)"
python3 "$BASELINE/minhash_baseline.py" "$FILE" "$OUT/minhash.json" >"$OUT/minhash.out"
minhash=$(head -1 "$OUT/minhash.out" | sed -E 's/.*sig ([0-9]+) docs\/s.*/\1/')
echo "minhash_baseline.py k=5 th=0.5: $minhash docs/s (shingling + signatures only)"
loop=$(sed -E 's/.*; ([0-9.]+) articles\/s.*/\1/' "$OUT/summary")
python3 -c "print(f'loop vs loop: newsdedup {$loop:.0f} articles/s = {$loop / $tfidf:.1f}x the TF-IDF baseline, {$loop / $minhash:.1f}x the MinHash baseline')"
python3 -c "print(f'wall vs wall: newsdedup median {$median} articles/s = {$median / $tfidf_wall:.1f}x the TF-IDF baseline; against its loop only: {$median / $tfidf:.1f}x')"
