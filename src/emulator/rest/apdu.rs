//! `POST /apdu` with `{"data": "<hex>"}` → `{"data": "<hex reply, status word included>"}`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json_body, Api, ApiError};
use crate::emulator::{server, Reply};

/// Speculos's `apdu.schema`: `data` is one or more hex byte pairs; `tick_timeout` (Speculos's
/// own wait, in emulator ticks) is accepted and left to the emulator's button timeout.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApduBody {
    data: String,
    #[serde(rename = "tick_timeout")]
    _tick_timeout: Option<f64>,
}

pub(super) async fn exchange(
    State(api): State<Api>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body: ApduBody = json_body(body)?;
    let apdu = hex::decode(&body.data)
        .ok()
        .filter(|apdu| !apdu.is_empty())
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "{:?} does not match '^([a-fA-F0-9]{{2}})+$'",
                body.data
            ))
        })?;
    // The command may wait minutes for buttons: it runs on a blocking thread of its own, and
    // is refused (6901) rather than queued while another command's review is on screen.
    let reply =
        tokio::task::spawn_blocking(move || server::handle_or_busy(&api.emulator, &api.ui, &apdu))
            .await
            .map_err(|_| {
                ApiError::message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the emulator failed on this command",
                )
            })?;
    match reply {
        Reply::Data(reply) => Ok(Json(json!({ "data": hex::encode(reply) }))),
        Reply::Disconnect => Err(ApiError::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the device disconnected",
        )),
        Reply::NoReply => Err(ApiError::message(
            StatusCode::GATEWAY_TIMEOUT,
            "no reply: the review is still on screen",
        )),
    }
}
