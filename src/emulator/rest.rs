//! The subset of Speculos's REST API that tools drive, over a minimal HTTP/1.1 server (one
//! request per connection):
//!
//! - `GET /events[?currentscreenonly=true]` → `{"events":[{"text","x","y","w","h","clear"}]}`
//! - `DELETE /events` → clears the event log
//! - `POST /button/{left,right,both}` with `{"action":"press-and-release"}` → `{}`
//! - `POST /apdu` with `{"data":"<hex>"}` → `{"data":"<hex reply incl. status word>"}`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

use super::ui::{Button, TextEvent, Ui};
use super::{Emulator, Reply};

/// Longest request line or header accepted.
const MAX_LINE: usize = 8 * 1024;
/// Largest body accepted (an APDU in hex is at most a few hundred bytes).
const MAX_BODY: usize = 64 * 1024;
/// A client that stalls mid-request is dropped after this long.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

struct Request {
    method: String,
    path: String,
    query: String,
    body: Vec<u8>,
}

/// Reads one request from `stream`, answers it and closes the connection.
pub(crate) fn serve_request(stream: TcpStream, emulator: &Mutex<Emulator>, ui: &Ui) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let (status, body) = match read_request(stream) {
        Some(request) => route(&request, emulator, ui),
        None => (400, json!({"error": "malformed request"})),
    };
    let text = body.to_string();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Error",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = writer.write_all(response.as_bytes());
    let _ = writer.flush();
}

fn read_line(reader: &mut impl BufRead) -> Option<String> {
    let mut line = Vec::new();
    let read = reader
        .take(u64::try_from(MAX_LINE).unwrap_or(u64::MAX))
        .read_until(b'\n', &mut line)
        .ok()?;
    if read == 0 || line.last() != Some(&b'\n') {
        return None;
    }
    let text = String::from_utf8(line).ok()?;
    Some(text.trim_end_matches(['\r', '\n']).to_owned())
}

fn read_request(stream: TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let start = read_line(&mut reader)?;
    let mut parts = start.split(' ');
    let method = parts.next()?.to_owned();
    let target = parts.next()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut content_length = 0usize;
    loop {
        let header = read_line(&mut reader)?;
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().ok()?;
            }
        }
    }
    if content_length > MAX_BODY {
        return None;
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        body,
    })
}

fn events_json(events: &[TextEvent]) -> Value {
    let list: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "text": e.text,
                "x": e.x,
                "y": e.y,
                "w": 114,
                "h": 11,
                "clear": false,
            })
        })
        .collect();
    json!({ "events": list })
}

fn route(request: &Request, emulator: &Mutex<Emulator>, ui: &Ui) -> (u16, Value) {
    let body: Option<Value> = if request.body.is_empty() {
        None
    } else {
        match serde_json::from_slice(&request.body) {
            Ok(v) => Some(v),
            Err(_) => return (400, json!({"error": "body is not JSON"})),
        }
    };
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/events") => {
            let current_only = request
                .query
                .split('&')
                .any(|kv| kv == "currentscreenonly=true");
            let events = if current_only {
                ui.current_events()
            } else {
                ui.events()
            };
            (200, events_json(&events))
        }
        ("DELETE", "/events") => {
            ui.clear_events();
            (200, json!({}))
        }
        ("POST", path) if path.starts_with("/button/") => {
            let name = path.trim_start_matches("/button/");
            let Some(button) = Button::from_name(name) else {
                return (404, json!({"error": format!("no button {name:?}")}));
            };
            let action = body
                .as_ref()
                .and_then(|b| b.get("action"))
                .and_then(Value::as_str)
                .unwrap_or("press-and-release");
            match action {
                // A press takes effect when the button is released, as on the device.
                "press-and-release" | "release" => ui.press(button),
                "press" => {}
                other => return (400, json!({"error": format!("unknown action {other:?}")})),
            }
            (200, json!({}))
        }
        ("POST", "/apdu") => {
            let Some(apdu) = body
                .as_ref()
                .and_then(|b| b.get("data"))
                .and_then(Value::as_str)
                .and_then(|h| hex::decode(h).ok())
            else {
                return (400, json!({"error": "expected {\"data\": \"<hex>\"}"}));
            };
            match super::server::handle_or_busy(emulator, ui, &apdu) {
                Reply::Data(reply) => (200, json!({ "data": hex::encode(reply) })),
                Reply::Disconnect => (500, json!({"error": "the device disconnected"})),
                Reply::NoReply => (
                    504,
                    json!({"error": "no reply: the review is still on screen"}),
                ),
            }
        }
        _ => (404, json!({"error": "not found"})),
    }
}
