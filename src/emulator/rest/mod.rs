//! The part of Speculos's REST API that clients drive, with Speculos's JSON shapes and status
//! codes (its `speculos/api/*.py`), served by axum on a small tokio runtime of its own:
//!
//! - `GET /events[?currentscreenonly=true][&stream=true]`, `DELETE /events` ([`events`]);
//! - `POST /button/{left,right,both}`, `POST /finger` ([`input`]);
//! - `POST /apdu` ([`apdu`]);
//! - `GET /screenshot` ([`screenshot`]).
//!
//! Each connection is its own task. No handler waits on the emulator's lock: the screen and the
//! buttons sit behind the [`Ui`]'s own lock, which a review waiting for buttons does not hold,
//! so `/button/*` and `/events` are answered while an APDU waits for approval; `POST /apdu`
//! runs on a blocking thread and is refused (6901) rather than queued while a review is open.
//!
//! Errors keep Speculos's two shapes: a body its JSON schema refuses gets `{"error": …}` (400);
//! what Flask-RESTful itself answers (undecodable JSON, unknown path, wrong method) gets
//! `{"message": …}`.

mod apdu;
mod events;
mod input;
mod screenshot;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::ui::Ui;
use super::Emulator;

/// Largest request body accepted: an APDU in hex is at most a few hundred bytes; a larger body
/// is refused with 413 before it is read.
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// How long stopping waits for the REST tasks to end.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(1);

/// What every handler reaches.
#[derive(Clone)]
struct Api {
    emulator: Arc<Mutex<Emulator>>,
    ui: Ui,
}

/// The REST API, running. Stopping (or dropping) it closes the port and every connection.
#[derive(Debug)]
pub(crate) struct RestServer {
    runtime: Option<tokio::runtime::Runtime>,
}

impl RestServer {
    /// Serves the API on `listener` (already bound, non-blocking).
    pub(crate) fn start(
        listener: std::net::TcpListener,
        emulator: Arc<Mutex<Emulator>>,
        ui: Ui,
    ) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("porsign-rest")
            .enable_all()
            .build()?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let app = router(Api { emulator, ui });
        runtime.spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("porsign emulate: the REST API stopped: {e}");
            }
        });
        Ok(RestServer {
            runtime: Some(runtime),
        })
    }

    /// Closes the port and every connection, event streams included. An APDU still waiting for
    /// buttons on a blocking thread is left to finish on its own.
    pub(crate) fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(SHUTDOWN_WAIT);
        }
    }
}

impl Drop for RestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn router(api: Api) -> Router {
    Router::new()
        .route("/events", get(events::get).delete(events::delete))
        .route("/button/{button}", post(input::button))
        .route("/finger", post(input::finger))
        .route("/apdu", post(apdu::exchange))
        .route("/screenshot", get(screenshot::get))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(refuse_large_bodies))
        .with_state(api)
}

/// Refuses (413) a request whose Content-Length exceeds [`MAX_BODY`] before reading its body;
/// a chunked body is cut off at the limit by [`DefaultBodyLimit`] as it is read.
async fn refuse_large_bodies(request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > MAX_BODY as u64) {
        return ApiError::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body exceeds {MAX_BODY} bytes"),
        )
        .into_response();
    }
    next.run(request).await
}

/// An error answer: a status and a JSON body.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    body: Value,
}

impl ApiError {
    /// Flask-RESTful's shape: `{"message": …}`.
    fn message(status: StatusCode, text: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({ "message": text.into() }),
        }
    }

    /// Speculos's answer to a body its JSON schema refuses: 400 `{"error": …}`.
    fn invalid(text: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "error": text.into() }),
        }
    }

    fn not_found() -> Self {
        // Werkzeug's wording, as Flask-RESTful sends it.
        ApiError::message(
            StatusCode::NOT_FOUND,
            "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::message(
        StatusCode::METHOD_NOT_ALLOWED,
        "The method is not allowed for the requested URL.",
    )
}

/// Decodes a JSON body into `T`, whatever the Content-Type (Speculos reads bodies with
/// `get_json(force=True)`). Too large → 413, not JSON → 400 `{"message"}`, JSON of the wrong
/// shape (missing or unknown fields, wrong types) → 400 `{"error"}`.
fn json_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes =
        body.map_err(|rejection| ApiError::message(rejection.status(), rejection.body_text()))?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::message(
            StatusCode::BAD_REQUEST,
            format!("Failed to decode JSON object: {e}"),
        )
    })?;
    serde_json::from_value(value).map_err(|e| ApiError::invalid(e.to_string()))
}
