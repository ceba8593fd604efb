//! `porsign emulate` as a drop-in for Speculos: the APDU TCP port (4-byte big-endian length and
//! the APDU in; 4-byte length N, N data bytes and the 2 status bytes out), one thread per
//! connection, and the REST API clients drive (see `rest`).
//!
//! The emulator answers one command at a time, like the device: the command being answered
//! holds the emulator's lock, across its review's wait for buttons too. Nothing else waits on
//! that lock: a command from another connection finds it taken during a review and is refused
//! at once with 6901 (`handle_or_busy`), and the screen and buttons live behind the `Ui`'s
//! own lock, which the waiting review releases.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::rest::RestServer;
use super::ui::Ui;
use super::{Emulator, EmulatorConfig, EmulatorError, Reply};
use crate::sync::lock;

/// Largest APDU frame accepted; a short APDU is at most 260 bytes.
const MAX_APDU_LEN: usize = 64 * 1024;
/// How often the accept loops look at the stop flag.
const ACCEPT_POLL: Duration = Duration::from_millis(20);
/// How often an APDU that finds the emulator busy looks again.
const BUSY_POLL: Duration = Duration::from_millis(2);

/// Running servers. Dropping the handle stops them.
#[derive(Debug)]
pub struct ServerHandle {
    apdu_port: u16,
    api_port: Option<u16>,
    emulator: Arc<Mutex<Emulator>>,
    ui: Ui,
    /// Read once at start: the emulator's lock may be held for minutes by a review.
    fingerprint: [u8; 4],
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    rest: Option<RestServer>,
}

/// What the server threads share.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    stop: AtomicBool,
    /// Open APDU connections, so `stop` can close them.
    connections: Mutex<HashMap<u64, TcpStream>>,
    next_id: AtomicU64,
}

impl Shared {
    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Remembers an open connection until the returned guard is dropped.
    fn track(self: &Arc<Self>, stream: &TcpStream) -> Tracked {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            lock(&self.connections).insert(id, clone);
        }
        Tracked {
            shared: Arc::clone(self),
            id,
        }
    }
}

/// Forgets a connection when it ends.
struct Tracked {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        lock(&self.shared.connections).remove(&self.id);
    }
}

impl ServerHandle {
    /// The APDU port (useful when it was 0, an ephemeral port).
    pub fn apdu_port(&self) -> u16 {
        self.apdu_port
    }

    /// The REST API port, if one was asked for.
    pub fn api_port(&self) -> Option<u16> {
        self.api_port
    }

    /// The emulator behind the ports.
    pub fn emulator(&self) -> Arc<Mutex<Emulator>> {
        Arc::clone(&self.emulator)
    }

    /// Its screen and buttons.
    pub fn ui(&self) -> Ui {
        self.ui.clone()
    }

    /// The emulator's master key fingerprint (answered at once, even while a review waits).
    pub fn fingerprint(&self) -> [u8; 4] {
        self.fingerprint
    }

    /// Stops accepting, closes every connection and waits for the threads.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for (_, stream) in lock(&self.shared.connections).drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        if let Some(mut rest) = self.rest.take() {
            rest.stop();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Parses `host:port` or a bare port (then on 127.0.0.1).
fn parse_addr(addr: &str) -> Result<SocketAddr, EmulatorError> {
    let with_host = if addr.parse::<u16>().is_ok() {
        format!("127.0.0.1:{addr}")
    } else {
        addr.to_owned()
    };
    with_host
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| EmulatorError::Address(addr.to_owned()))
}

fn bind(addr: &str) -> Result<TcpListener, EmulatorError> {
    let socket = parse_addr(addr)?;
    let listener = TcpListener::bind(socket).map_err(|source| EmulatorError::Bind {
        addr: addr.to_owned(),
        source,
    })?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Starts the emulator behind the APDU port and, if `api_addr` is given, the REST API.
/// Addresses are `host:port` or a port on 127.0.0.1; port 0 picks a free one.
pub fn serve(
    config: EmulatorConfig,
    apdu_addr: &str,
    api_addr: Option<&str>,
) -> Result<ServerHandle, EmulatorError> {
    let emulator = Emulator::new(config)?;
    let ui = emulator.ui();
    let fingerprint = emulator.fingerprint();
    let emulator = Arc::new(Mutex::new(emulator));
    let shared = Arc::new(Shared::default());

    let apdu_listener = bind(apdu_addr)?;
    let apdu_port = apdu_listener.local_addr()?.port();
    let api_listener = api_addr.map(bind).transpose()?;
    let api_port = match &api_listener {
        Some(l) => Some(l.local_addr()?.port()),
        None => None,
    };

    let mut threads = Vec::new();
    {
        let emulator = Arc::clone(&emulator);
        let ui = ui.clone();
        let shared = Arc::clone(&shared);
        threads.push(std::thread::spawn(move || {
            accept_loop(&apdu_listener, &shared, |stream, shared| {
                let emulator = Arc::clone(&emulator);
                let ui = ui.clone();
                std::thread::spawn(move || {
                    let _tracked = shared.track(&stream);
                    serve_apdus(stream, &emulator, &ui, &shared);
                });
            });
        }));
    }
    let rest = api_listener
        .map(|listener| RestServer::start(listener, Arc::clone(&emulator), ui.clone()))
        .transpose()?;
    Ok(ServerHandle {
        apdu_port,
        api_port,
        emulator,
        ui,
        fingerprint,
        shared,
        threads,
        rest,
    })
}

/// Accepts connections until the stop flag is set.
fn accept_loop(
    listener: &TcpListener,
    shared: &Arc<Shared>,
    mut on_connection: impl FnMut(TcpStream, Arc<Shared>),
) {
    while !shared.stopping() {
        match listener.accept() {
            Ok((stream, _)) => {
                if stream.set_nonblocking(false).is_err() {
                    continue;
                }
                let _ = stream.set_nodelay(true);
                on_connection(stream, Arc::clone(shared));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(ACCEPT_POLL);
            }
            Err(e) => {
                eprintln!("porsign emulate: accept failed: {e}");
                std::thread::sleep(ACCEPT_POLL);
            }
        }
    }
}

/// Serves one APDU connection until the client leaves, the server stops or a disconnect fault
/// fires.
fn serve_apdus(mut stream: TcpStream, emulator: &Mutex<Emulator>, ui: &Ui, shared: &Shared) {
    loop {
        let mut len = [0u8; 4];
        if stream.read_exact(&mut len).is_err() || shared.stopping() {
            return;
        }
        let len = u32::from_be_bytes(len);
        let Ok(len) = usize::try_from(len) else {
            return;
        };
        if len > MAX_APDU_LEN {
            return;
        }
        let mut apdu = vec![0u8; len];
        if stream.read_exact(&mut apdu).is_err() {
            return;
        }
        let reply = handle_or_busy(emulator, ui, &apdu);
        match reply {
            Reply::Data(reply) => {
                // The length counts the data only, not the 2 status bytes.
                let data_len = u32::try_from(reply.len().saturating_sub(2)).unwrap_or(u32::MAX);
                let mut frame = data_len.to_be_bytes().to_vec();
                frame.extend_from_slice(&reply);
                if stream.write_all(&frame).is_err() {
                    return;
                }
            }
            Reply::Disconnect => {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            // The request is given up; the client's own read timeout ends its wait.
            Reply::NoReply => {}
        }
    }
}

/// Answers one APDU. While another connection's request holds the emulator waiting for buttons,
/// a new APDU does not queue behind it: the device refuses it at once with 6901, as the real
/// device's OS does while a review has the screen.
pub(crate) fn handle_or_busy(emulator: &Mutex<Emulator>, ui: &Ui, apdu: &[u8]) -> Reply {
    loop {
        match emulator.try_lock() {
            Ok(mut guard) => return guard.handle(apdu),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                return poisoned.into_inner().handle(apdu)
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                if ui.in_review() {
                    let refused = firmware_msgs::ApduResponse::status_only(
                        firmware_msgs::StatusWord::CommandNotAccepted,
                    );
                    return Reply::Data(refused.encode());
                }
                std::thread::sleep(BUSY_POLL);
            }
        }
    }
}
