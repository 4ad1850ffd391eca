#!/usr/bin/env bash
# Bounded fuzzing of feed parsing and article extraction (issue 10, docs/reliability.md). cargo-fuzz
# on the stable toolchain, without a sanitizer (`-s none`: safe Rust, so the crashes worth finding are
# panics, hangs and runaway memory). Seeds: the feedparser corpus and the extraction benchmark pages.
#
#   fuzz/run.sh            # 120 s per target
#   SECS=600 fuzz/run.sh
#   TARGETS=extract_article fuzz/run.sh
#
# A finding is written under fuzz/artifacts/<target>/; fix it and keep the input as a fixture under
# tests/fixtures/fuzz/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${SECS:-120}"
shared="${SHARED:-../shared/data}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
run() {
    local target=$1
    shift
    mkdir -p "fuzz/corpus/$target"
    cargo fuzz run -s none -O "$target" "fuzz/corpus/$target" "$@" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=1048576
    echo "fuzz: $target ran $secs s without a finding"
}
# The extraction pages are stored gzipped; libFuzzer wants the HTML itself.
pages=fuzz/seeds/extract_article
if [ -z "$(ls -A "$pages" 2>/dev/null)" ]; then
    mkdir -p "$pages"
    for f in "$shared"/extraction-benchmark/html/*.gz "$shared"/extraction-wcxb-dev/html/*.gz; do
        zcat "$f" > "$pages/$(basename "$(dirname "$(dirname "$f")")")-$(basename "$f" .gz)"
    done
fi
only="${TARGETS:-feed_parse extract_article}"
case " $only " in *" feed_parse "*) run feed_parse "$shared/feedparser-corpus" ;; esac
case " $only " in *" extract_article "*) run extract_article "$pages" ;; esac
