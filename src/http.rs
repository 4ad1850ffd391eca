//! `/healthz` (the process is up), `/readyz` (the database answers) and `/metrics` (Prometheus text).

use crate::store::Store;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use std::future::Future;

#[derive(Clone)]
struct AppState {
    store: Store,
    metrics: Option<PrometheusHandle>,
}

pub fn router(store: Store, metrics: Option<PrometheusHandle>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(AppState { store: store.clone(), metrics })
        .merge(crate::web::router(store))
}

/// How long `/readyz` waits for the database. The pool would wait 30 s for a connection; a probe
/// must answer well within its own timeout (Kubernetes and Docker default to 1 s and 30 s).
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(800);

/// 200 when the database answers within [`READY_TIMEOUT`], else 503 with a short reason. The error
/// itself goes to the log, not to whoever can reach the port.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready\n"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: the database refused");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        Err(_) => {
            tracing::warn!(
                timeout_ms = READY_TIMEOUT.as_millis() as u64,
                "readiness check: the database did not answer"
            );
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

async fn render_metrics(State(state): State<AppState>) -> String {
    state.metrics.as_ref().map(PrometheusHandle::render).unwrap_or_default()
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}
