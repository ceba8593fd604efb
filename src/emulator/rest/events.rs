//! `GET /events` and `DELETE /events`: the text shown on the screen, as Speculos reports it.
//!
//! - `GET /events` → every line shown since the log was last cleared;
//! - `GET /events?currentscreenonly=true` → the lines of the screen shown now;
//! - `GET /events?stream=true` → a `text/event-stream` that sends each line as it is shown
//!   (`data: {…}` and a blank line per event), from the moment the stream opens;
//! - `DELETE /events` → clears the log (not the current screen), answers `{}`.
//!
//! Each event is `{"text","x","y","w","h","clear"}`; `clear` is always false (Speculos never
//! reports its clear-screen events, it only empties its current-screen list).

use std::collections::HashMap;
use std::convert::Infallible;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{Api, ApiError};
use crate::emulator::ui::TextEvent;

/// Width of an event's box: the text area of the 128-pixel screen.
const EVENT_WIDTH: u32 = 114;
/// Height of an event's box: one line of the 11-pixel font.
const EVENT_HEIGHT: u32 = 11;

/// One event in Speculos's shape (its `TextEvent` dataclass, field order kept).
fn event_json(event: &TextEvent) -> Value {
    json!({
        "text": event.text,
        "x": event.x,
        "y": event.y,
        "w": EVENT_WIDTH,
        "h": EVENT_HEIGHT,
        "clear": false,
    })
}

fn events_json(events: &[TextEvent]) -> Value {
    json!({ "events": events.iter().map(event_json).collect::<Vec<_>>() })
}

/// Flask-RESTful's `inputs.boolean`: `true`/`1` and `false`/`0`, any case; absent is false.
fn flag(query: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    let Some(value) = query.get(name) else {
        return Ok(false);
    };
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "message": { name: format!("Invalid literal for boolean(): {value}") } }),
        }),
    }
}

pub(super) async fn get(
    State(api): State<Api>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|rejection| ApiError::message(rejection.status(), rejection.body_text()))?;
    let stream = flag(&query, "stream")?;
    let current_only = flag(&query, "currentscreenonly")?;
    if stream {
        let receiver = api.ui.subscribe();
        let events = futures_util::stream::unfold(receiver, |mut receiver| async move {
            let event = receiver.recv().await?;
            let data = Event::default().data(event_json(&event).to_string());
            Some((Ok::<_, Infallible>(data), receiver))
        });
        return Ok(Sse::new(events).into_response());
    }
    let events = if current_only {
        api.ui.current_events()
    } else {
        api.ui.events()
    };
    Ok(Json(events_json(&events)).into_response())
}

pub(super) async fn delete(State(api): State<Api>) -> Json<Value> {
    api.ui.clear_events();
    Json(json!({}))
}
