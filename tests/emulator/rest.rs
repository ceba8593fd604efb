//! The REST API of `porsign emulate`, as Speculos's clients use it: each endpoint's JSON shapes
//! and status codes (Speculos's `speculos/api/*.py` and their JSON schemas), the event stream,
//! the screenshot, a review approved through `/button/*` while its APDU waits, and hostile
//! requests.
#![allow(clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{mpsc, Arc};

use porsign::app::btc;
use porsign::device::{SpeculosTransport, Transport};
use porsign::emulator::keys::path;
use porsign::emulator::{AppMode, Approval, ServerHandle};
use serde_json::{json, Value};

use super::http_client::{connect, http, read_head, read_response, request, send, READ_TIMEOUT};
use super::server::{assert_recorded_signature, current_screen, press, start, wait_for_screen};

const MESSAGE: &[u8] = b"porsign test challenge";

fn api(server: &ServerHandle) -> u16 {
    server.api_port().expect("REST port")
}

/// Asks for a message signature on its own APDU connection; the thread ends with the reply.
fn sign_in_background(
    server: &ServerHandle,
) -> std::thread::JoinHandle<Result<[u8; 65], porsign::app::DeviceError>> {
    let apdu = format!("127.0.0.1:{}", server.apdu_port());
    std::thread::spawn(move || {
        let mut transport = SpeculosTransport::connect(&apdu, READ_TIMEOUT).unwrap();
        btc::sign_message(&mut transport, &path("m/84'/0'/0'/0/0"), MESSAGE)
    })
}

/// Presses right until the screen starts with `page` (a bounded walk), then both.
fn decide_on(port: u16, page: &str) {
    for _ in 0..20 {
        if current_screen(port).starts_with(page) {
            press(port, "both");
            return;
        }
        press(port, "right");
    }
    panic!("the review has no page {page:?}");
}

fn texts(body: &Value) -> Vec<String> {
    body["events"]
        .as_array()
        .expect("an events list")
        .iter()
        .map(|e| e["text"].as_str().expect("a text").to_owned())
        .collect()
}

/// Checks one event has exactly Speculos's fields, in its order, and returns its text.
fn speculos_event(event: &Value) -> String {
    let keys: Vec<&str> = event
        .as_object()
        .expect("an event object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["text", "x", "y", "w", "h", "clear"], "{event}");
    for number in ["x", "y", "w", "h"] {
        assert!(event[number].is_u64(), "{event}");
    }
    assert_eq!(event["clear"], false);
    event["text"].as_str().unwrap().to_owned()
}

#[test]
fn events_have_speculos_shape_and_delete_clears_only_the_log() {
    let server = start(AppMode::Bitcoin, Approval::Auto, true);
    let port = api(&server);
    let (status, body) = http(port, "GET", "/events", None);
    assert_eq!(status, 200);
    let events = body["events"].as_array().unwrap();
    let shown: Vec<String> = events.iter().map(speculos_event).collect();
    assert_eq!(shown, ["Bitcoin", "app is ready"]);

    assert_eq!(
        http(port, "DELETE", "/events", None),
        (200, json!({})),
        "DELETE answers {{}}"
    );
    assert_eq!(
        http(port, "GET", "/events", None),
        (200, json!({"events": []}))
    );
    // The current screen is not the log: it survives DELETE. Flags are read as Flask-RESTful's
    // `inputs.boolean` reads them.
    for flag in ["true", "1", "TRUE"] {
        let (status, body) = http(
            port,
            "GET",
            &format!("/events?currentscreenonly={flag}"),
            None,
        );
        assert_eq!(
            (status, texts(&body)),
            (200, vec!["Bitcoin".into(), "app is ready".into()])
        );
    }
    let (status, body) = http(port, "GET", "/events?currentscreenonly=0", None);
    assert_eq!((status, body), (200, json!({"events": []})));
    let (status, body) = http(port, "GET", "/events?currentscreenonly=maybe", None);
    assert_eq!(status, 400);
    assert!(body["message"]["currentscreenonly"].is_string(), "{body}");
}

#[test]
fn button_bodies_follow_speculos_schema() {
    let server = start(AppMode::Bitcoin, Approval::Buttons, true);
    let port = api(&server);
    for body in [
        json!({"action": "press-and-release"}),
        json!({"action": "press"}),
        json!({"action": "release", "delay": 0.1}),
    ] {
        assert_eq!(
            http(port, "POST", "/button/left", Some(body)),
            (200, json!({}))
        );
    }
    for body in [
        json!({"action": "jump"}),
        json!({}),
        json!({"action": 1}),
        json!({"action": "press", "extra": 1}),
        json!(["press"]),
    ] {
        let (status, answer) = http(port, "POST", "/button/right", Some(body.clone()));
        assert_eq!(status, 400, "{body}");
        assert!(answer["error"].is_string(), "{body} → {answer}");
    }
    for raw in [&b""[..], b"{", b"action=press"] {
        let response = request(port, "POST", "/button/both", raw);
        assert_eq!(response.status, 400);
        let message = response.json()["message"].as_str().unwrap().to_owned();
        assert!(
            message.starts_with("Failed to decode JSON object"),
            "{message}"
        );
    }
    let press = Some(json!({"action": "press-and-release"}));
    let (status, body) = http(port, "POST", "/button/middle", press);
    assert_eq!(status, 404);
    assert!(body["message"].is_string());
    let (status, body) = http(port, "GET", "/button/left", None);
    assert_eq!(status, 405);
    assert!(body["message"].is_string());
    assert_eq!(
        current_screen(port),
        "Bitcoin app is ready",
        "no review, no move"
    );
}

#[test]
fn finger_on_a_nano_is_accepted_and_changes_nothing() {
    let server = start(AppMode::Bitcoin, Approval::Buttons, true);
    let port = api(&server);
    let signer = sign_in_background(&server);
    wait_for_screen(port, "Review message");
    let touch = json!({"action": "press-and-release", "x": 64, "y": 32, "x2": 10, "y2": 5});
    assert_eq!(http(port, "POST", "/finger", Some(touch)), (200, json!({})));
    assert_eq!(
        current_screen(port),
        "Review message",
        "a Nano has no touch screen"
    );
    for body in [
        json!({"action": "press", "x": 1}),
        json!({"action": "press", "x": -1, "y": 2}),
        json!({"action": "tap", "x": 1, "y": 2}),
        json!({"action": "press", "x": 1, "y": 2, "z": 3}),
    ] {
        let (status, answer) = http(port, "POST", "/finger", Some(body.clone()));
        assert_eq!(status, 400, "{body}");
        assert!(answer["error"].is_string(), "{body} → {answer}");
    }
    decide_on(port, "Reject");
    assert!(signer.join().unwrap().is_err(), "rejected on screen");
}

#[test]
fn apdu_bodies_follow_speculos_schema() {
    let server = start(AppMode::Bitcoin, Approval::Auto, true);
    let port = api(&server);
    // B0 01: 01 | len "Bitcoin" | len "2.4.6" | 01 00, then 9000.
    let version = format!(
        "0107{}05{}01009000",
        hex::encode("Bitcoin"),
        hex::encode("2.4.6")
    );
    for data in ["b001000000", "B001000000"] {
        let body = json!({"data": data, "tick_timeout": 0});
        assert_eq!(
            http(port, "POST", "/apdu", Some(body)),
            (200, json!({ "data": version }))
        );
    }
    for body in [
        json!({"data": "zz"}),
        json!({"data": ""}),
        json!({"data": "b00"}),
        json!({"data": 5}),
        json!({}),
        json!({"data": "b001000000", "extra": true}),
    ] {
        let (status, answer) = http(port, "POST", "/apdu", Some(body.clone()));
        assert_eq!(status, 400, "{body}");
        assert!(answer["error"].is_string(), "{body} → {answer}");
    }
}

#[test]
fn a_review_is_approved_through_buttons_while_its_apdu_waits() {
    let server = Arc::new(start(AppMode::Bitcoin, Approval::Buttons, true));
    let port = api(&server);
    let signer = sign_in_background(&server);
    wait_for_screen(port, "Review message");

    // Nothing queues behind the waiting review: a second APDU connection and the REST
    // `/apdu` are refused at once with 6901, and the handle still answers.
    let mut other =
        SpeculosTransport::connect(&format!("127.0.0.1:{}", server.apdu_port()), READ_TIMEOUT)
            .unwrap();
    let refused = other.exchange(&hex::decode("b001000000").unwrap()).unwrap();
    assert_eq!(hex::encode(refused), "6901");
    let body = json!({"data": "b001000000"});
    assert_eq!(
        http(port, "POST", "/apdu", Some(body)),
        (200, json!({"data": "6901"}))
    );
    let (sender, receiver) = mpsc::channel();
    let handle = Arc::clone(&server);
    // Detached: if the handle blocked on the emulator, the test fails instead of hanging.
    std::thread::spawn(move || sender.send(handle.fingerprint()));
    assert_eq!(
        receiver.recv_timeout(READ_TIMEOUT),
        Ok([0xf5, 0xac, 0xc2, 0xfd]),
        "the fingerprint waited for the review"
    );

    decide_on(port, "Sign message");
    let signature = signer.join().unwrap().expect("approved on screen");
    assert_recorded_signature(&signature);
    wait_for_screen(port, "Bitcoin app is ready");
}

/// Reads `data:` events from an event stream until their texts, joined, read `wanted`.
fn read_stream_until(reader: &mut impl BufRead, wanted: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut line = String::new();
    while !seen.join(" ").contains(wanted) {
        line.clear();
        let read = reader.read_line(&mut line).expect("the stream stays open");
        assert!(read > 0, "the stream ended; seen {seen:?}");
        if let Some(data) = line.trim_end().strip_prefix("data: ") {
            let event: Value = serde_json::from_str(data).expect("JSON event");
            seen.push(speculos_event(&event));
        }
    }
    seen
}

#[test]
fn the_event_stream_sends_screens_shown_after_it_opened() {
    let mut server = start(AppMode::Bitcoin, Approval::Buttons, true);
    let port = api(&server);
    let mut stream = connect(port);
    send(&mut stream, "GET", "/events?stream=true", b"", true);
    let mut reader = BufReader::new(stream);
    let (status, headers) = read_head(&mut reader);
    assert_eq!(status, 200);
    let content_type = headers.iter().find(|(n, _)| n == "content-type");
    assert_eq!(
        content_type.map(|(_, v)| v.as_str()),
        Some("text/event-stream")
    );

    // The stream is open; the review starts only now.
    let signer = sign_in_background(&server);
    let first = read_stream_until(&mut reader, "Review message");
    assert_eq!(
        first,
        ["Review message"],
        "nothing from before the stream opened"
    );
    decide_on(port, "Sign message");
    let rest = read_stream_until(&mut reader, "Sign message");
    assert!(rest.join(" ").starts_with("Path 84'/0'/0'/0/0"), "{rest:?}");
    assert!(signer.join().unwrap().is_ok());

    // Stopping the server ends the stream.
    server.stop();
    let mut tail = Vec::new();
    let _ = reader.read_to_end(&mut tail);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the REST port is closed"
    );
}

/// Decodes a PNG: its size and RGB pixels.
fn decode_png(bytes: &[u8]) -> (u32, u32, png::ColorType, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sized image")];
    let info = reader.next_frame(&mut pixels).expect("one frame");
    pixels.truncate(info.buffer_size());
    (info.width, info.height, info.color_type, pixels)
}

#[test]
fn the_screenshot_is_a_nano_sized_png_of_the_screen() {
    let server = start(AppMode::Bitcoin, Approval::Buttons, true);
    let port = api(&server);
    let shot = |port| {
        let response = request(port, "GET", "/screenshot", b"");
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("image/png"));
        decode_png(&response.body)
    };
    let (width, height, color, home) = shot(port);
    assert_eq!((width, height, color), (128, 64, png::ColorType::Rgb));
    assert!(
        home.iter().any(|&b| b != 0),
        "the home screen's text is drawn"
    );
    assert!(home.contains(&0), "on a dark background");

    let signer = sign_in_background(&server);
    wait_for_screen(port, "Review message");
    let (_, _, _, review) = shot(port);
    assert_ne!(home, review, "the picture follows the screen");
    decide_on(port, "Reject");
    assert!(signer.join().unwrap().is_err());
}

#[test]
fn hostile_requests_are_refused_and_the_server_keeps_serving() {
    let server = start(AppMode::Bitcoin, Approval::Auto, true);
    let port = api(&server);

    // A body larger than the limit is refused before it is read.
    let mut stream = connect(port);
    write!(
        stream,
        "POST /apdu HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n"
    )
    .unwrap();
    let response = read_response(&mut BufReader::new(stream));
    assert_eq!(response.status, 413);
    assert!(response.json()["message"].is_string());

    // Not HTTP, and a head with too many headers.
    let mut garbage = connect(port);
    garbage.write_all(b"\x16\x03\x01 hello\r\n\r\n").unwrap();
    let (status, _) = read_head(&mut BufReader::new(garbage));
    assert_eq!(status, 400);
    let mut crowded = connect(port);
    let headers: String = (0..500).map(|i| format!("X-Filler-{i}: {i}\r\n")).collect();
    write!(
        crowded,
        "GET /events HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n"
    )
    .unwrap();
    let (status, _) = read_head(&mut BufReader::new(crowded));
    assert_eq!(status, 431);

    // A client that opens a connection and says nothing holds up no one.
    let _silent = connect(port);
    assert_eq!(current_screen(port), "Bitcoin app is ready");
}

#[test]
fn one_connection_serves_several_requests() {
    let server = start(AppMode::Bitcoin, Approval::Auto, true);
    let port = api(&server);
    let stream = connect(port);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let apdu = json!({"data": "b001000000"}).to_string();
    let requests = [
        ("GET", "/events?currentscreenonly=true", ""),
        ("POST", "/apdu", apdu.as_str()),
        ("DELETE", "/events", ""),
    ];
    let mut statuses = Vec::new();
    for (method, target, body) in requests {
        send(&mut writer, method, target, body.as_bytes(), false);
        statuses.push(read_response(&mut reader).status);
    }
    assert_eq!(statuses, [200, 200, 200]);
}

#[test]
fn unknown_paths_and_methods_answer_json() {
    let server = start(AppMode::Ethereum, Approval::Auto, true);
    let port = api(&server);
    for (method, target, status) in [
        ("GET", "/nothing", 404),
        ("GET", "/events/extra", 404),
        ("GET", "/apdu", 405),
        ("PUT", "/events", 405),
        ("POST", "/screenshot", 405),
    ] {
        let (got, body) = http(port, method, target, None);
        assert_eq!(got, status, "{method} {target}");
        assert!(body["message"].is_string(), "{method} {target} → {body}");
    }
}
