//! The Speculos APDU TCP port (also served by `porsign emulate`): a request is a 4-byte
//! big-endian length and the APDU; a reply is a 4-byte big-endian length N, N bytes of data and
//! then the 2 status-word bytes (N does not count them).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::{Transport, TransportError};

/// Speculos's default APDU port.
pub const DEFAULT_PORT: u16 = 9999;
/// Largest reply data accepted; Ledger replies fit in 255 bytes, this leaves room and stops a
/// hostile peer from making us allocate without bound.
pub const MAX_REPLY_LEN: u32 = 64 * 1024;

/// A connection to an APDU TCP port.
pub struct SpeculosTransport {
    stream: TcpStream,
    timeout: Duration,
}

impl SpeculosTransport {
    /// Connects to `addr` (`host:port`). `timeout` bounds every wait for a reply.
    pub fn connect(addr: &str, timeout: Duration) -> Result<Self, TransportError> {
        let connect_err = |source| TransportError::Connect {
            addr: addr.to_owned(),
            source,
        };
        let resolved = addr
            .to_socket_addrs()
            .map_err(connect_err)?
            .next()
            .ok_or_else(|| {
                connect_err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "address resolves to nothing",
                ))
            })?;
        let stream =
            TcpStream::connect_timeout(&resolved, Duration::from_secs(10)).map_err(connect_err)?;
        stream.set_nodelay(true).map_err(TransportError::Io)?;
        stream
            .set_read_timeout(Some(timeout))
            .map_err(TransportError::Io)?;
        Ok(SpeculosTransport { stream, timeout })
    }

    /// The address from the usual environment variables LEDGER_PROXY_ADDRESS and
    /// LEDGER_PROXY_PORT, as Ledger's own tools read them; None when neither is set.
    pub fn address_from_env() -> Option<String> {
        let host = std::env::var("LEDGER_PROXY_ADDRESS").ok();
        let port = std::env::var("LEDGER_PROXY_PORT").ok();
        if host.is_none() && port.is_none() {
            return None;
        }
        Some(format!(
            "{}:{}",
            host.unwrap_or_else(|| "127.0.0.1".into()),
            port.unwrap_or_else(|| DEFAULT_PORT.to_string())
        ))
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), TransportError> {
        self.stream.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                TransportError::Timeout {
                    after: self.timeout,
                }
            }
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe => TransportError::Disconnected,
            _ => TransportError::Io(e),
        })
    }
}

impl Transport for SpeculosTransport {
    fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let len = u32::try_from(apdu.len()).map_err(|_| TransportError::TooLong(apdu.len()))?;
        let mut frame = Vec::with_capacity(apdu.len() + 4);
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(apdu);
        self.stream.write_all(&frame).map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset => {
                TransportError::Disconnected
            }
            _ => TransportError::Io(e),
        })?;
        let mut len_bytes = [0u8; 4];
        self.read_exact(&mut len_bytes)?;
        let data_len = u32::from_be_bytes(len_bytes);
        if data_len > MAX_REPLY_LEN {
            return Err(TransportError::Malformed(format!(
                "reply length {data_len} exceeds {MAX_REPLY_LEN}"
            )));
        }
        // The length was just bounded, so this cannot truncate on any platform we build for.
        let mut reply = vec![0u8; data_len as usize + 2];
        self.read_exact(&mut reply)?;
        Ok(reply)
    }
}
