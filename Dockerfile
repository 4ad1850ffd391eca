# newsdedup container: release build in a Rust image, run in a slim Debian image as a non-root user.
#
#   docker build -t newsdedup .
#   docker run --rm -e DATABASE_URL=postgres://… newsdedup            # polls config/feeds.toml
#   docker run --rm -e DATABASE_URL=postgres://… newsdedup run --config /app/config/demo.toml --once
#
# No database is needed to build: queries are not checked at compile time, and the migrations are
# embedded in the binary (sqlx::migrate!) from migrations/.

# ---------------------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# Dependencies first, in a layer of their own, so that a source change recompiles only this crate.
# The manifest is reduced to its package and dependency tables: explicit [[bin]]/[[bench]]/[[test]]/
# [[example]] tables name files that do not exist in this layer, and only the dependencies matter here.
# Dependencies and lock file are unchanged, so --locked still holds and the compiled crates are reused.
COPY Cargo.toml Cargo.lock ./
RUN awk '/^\[\[(bin|bench|test|example)\]\]/ { skip = 1; next } /^\[/ { skip = 0 } !skip' \
        Cargo.toml > Cargo.deps.toml \
    && mv Cargo.deps.toml Cargo.toml \
    && mkdir -p src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked --bin newsdedup \
    && rm -rf src Cargo.toml

# The whole project (filtered by .dockerignore): src/, migrations/ (embedded at compile time), and
# any benches/ or tests/ the manifest names. Touch the crate roots: the dummy build above is newer
# than the copied files, and cargo would otherwise keep its empty binary.
COPY . .
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin newsdedup \
    && install -m 0755 target/release/newsdedup /usr/local/bin/newsdedup

# ---------------------------------------------------------------------------------------------------
FROM debian:bookworm-slim

# rustls verifies servers against the system trust store.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin newsdedup

WORKDIR /app
COPY --from=builder /usr/local/bin/newsdedup /usr/local/bin/newsdedup
# config/ is usually replaced by a mount (docker-compose.yml); demo/ lets the offline demo run here too.
COPY config/ /app/config/
COPY migrations/ /app/migrations/
COPY demo/ /app/demo/

USER newsdedup
ENV RUST_LOG=info
EXPOSE 8080

# The slim image has no curl: the binary checks its own /healthz (exit 0 on HTTP 200).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["newsdedup", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]

ENTRYPOINT ["newsdedup"]
CMD ["run", "--config", "/app/config/feeds.toml"]
