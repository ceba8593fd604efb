//! A small HTTP/1.1 client over a plain socket, for driving the REST API byte by byte
//! (malformed and oversize requests included), independent of the server's own HTTP code.
#![allow(clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

/// A bound on every wait, so a server that never answers fails the test instead of hanging it.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// One response: status, headers (names lower-cased) and body.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not a JSON body ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

pub fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("REST port");
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream
}

/// Writes one request with a JSON content type and the given body.
pub fn send(stream: &mut TcpStream, method: &str, target: &str, body: &[u8], close: bool) {
    let connection = if close { "close" } else { "keep-alive" };
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
}

/// Reads a status line and headers.
pub fn read_head(reader: &mut impl BufRead) -> (u16, Vec<(String, String)>) {
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP status line: {line:?}"));
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header line");
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            return (status, headers);
        }
        let (name, value) = trimmed.split_once(':').expect("a header");
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
}

/// Reads one whole response whose length is given by Content-Length.
pub fn read_response(reader: &mut impl BufRead) -> HttpResponse {
    let (status, headers) = read_head(reader);
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    HttpResponse {
        status,
        headers,
        body,
    }
}

/// One request on its own connection.
pub fn request(port: u16, method: &str, target: &str, body: &[u8]) -> HttpResponse {
    let mut stream = connect(port);
    send(&mut stream, method, target, body, true);
    read_response(&mut BufReader::new(stream))
}

/// One request with an optional JSON body; the status and the JSON answer.
pub fn http(port: u16, method: &str, target: &str, body: Option<Value>) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let response = request(port, method, target, body.as_bytes());
    (response.status, response.json())
}
