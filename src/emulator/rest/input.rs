//! `POST /button/{left,right,both}` and `POST /finger`: the user's hands.
//!
//! Bodies follow Speculos's JSON schemas (`button.schema`, `finger.schema`): `action` is
//! `press`, `release` or `press-and-release`, `delay` a number, nothing else allowed. Both
//! answer `{}`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json_body, Api, ApiError};
use crate::emulator::ui::Button;

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum Action {
    Press,
    Release,
    PressAndRelease,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ButtonBody {
    action: Action,
    /// Speculos waits this long between press and release; presses here take effect at once.
    #[serde(rename = "delay")]
    _delay: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FingerBody {
    #[serde(rename = "action")]
    _action: Action,
    #[serde(rename = "x")]
    _x: u64,
    #[serde(rename = "y")]
    _y: u64,
    #[serde(rename = "x2")]
    _x2: Option<u64>,
    #[serde(rename = "y2")]
    _y2: Option<u64>,
    #[serde(rename = "delay")]
    _delay: Option<f64>,
}

pub(super) async fn button(
    State(api): State<Api>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let button = Button::from_name(&name).ok_or_else(ApiError::not_found)?;
    let body: ButtonBody = json_body(body)?;
    match body.action {
        // The device acts when a button is released, as the Nano's OS does; the press alone
        // changes nothing. The `Ui` lock is held only for the step, never across a wait.
        Action::PressAndRelease | Action::Release => api.ui.press(button),
        Action::Press => {}
    }
    Ok(Json(json!({})))
}

/// A Nano S Plus has no touch screen. Speculos still accepts a well-formed `/finger` request and
/// answers `{}` (it hands the touch to the app, which ignores it); so does this: nothing on the
/// screen changes.
pub(super) async fn finger(body: Result<Bytes, BytesRejection>) -> Result<Json<Value>, ApiError> {
    let _: FingerBody = json_body(body)?;
    Ok(Json(json!({})))
}
