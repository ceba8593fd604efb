//! One Bitcoin-app command in progress, written as straight-line code that pauses at each
//! client-command interruption.
//!
//! The real app answers `E000` with a request, waits for the host's CONTINUE, and carries on
//! where it stopped. Here a command handler is an `async` block: each request is an `.await`
//! that stays pending until the next CONTINUE delivers the host's answer. [`Session`] polls the
//! handler by hand (no runtime, no threads): a pending poll means "send this request", a ready
//! one is the final reply. This keeps the order of requests identical to the app's code, which
//! the byte-exact transcripts require.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use firmware_msgs::btc::client_command::device::{
    FetchError, FetchStep, LeafIndexFetch, LeafProofFetch, ListElementFetch, PreimageFetch,
};
use firmware_msgs::btc::client_command::ClientCommand;
use firmware_msgs::btc::MapCommitment;
use firmware_msgs::merkle::{self, Hash};
use firmware_msgs::{ApduResponse, StatusWord};

use crate::sync::lock;

/// A handler's result: the reply data with `9000`, or a refusal.
pub(crate) type Outcome = Result<Vec<u8>, Refusal>;

/// A command refused: its status word, and for some refusals the 2-byte error code the app
/// sends before it (its `SEND_SW_EC`, e.g. `0000 6A80` for a multisig policy with no HMAC), so
/// clients can tell the reasons apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: StatusWord,
    pub(crate) error_code: Option<u16>,
}

impl Refusal {
    /// A refusal the app sends with an error code.
    pub(crate) fn coded(status: StatusWord, error_code: u16) -> Self {
        Refusal {
            status,
            error_code: Some(error_code),
        }
    }

    /// The reply: the error code (big-endian), if any, then the status word.
    pub(crate) fn response(self) -> ApduResponse {
        match self.error_code {
            Some(code) => ApduResponse::new(code.to_be_bytes().to_vec(), self.status),
            None => ApduResponse::status_only(self.status),
        }
    }
}

impl From<StatusWord> for Refusal {
    fn from(status: StatusWord) -> Self {
        Refusal {
            status,
            error_code: None,
        }
    }
}

type HandlerFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// The request a handler is waiting on and the host's answer to it.
#[derive(Debug, Default)]
struct Mailbox {
    request: Option<Vec<u8>>,
    answer: Option<Vec<u8>>,
}

/// The host side of the wire, as a handler sees it.
#[derive(Clone, Debug)]
pub(crate) struct Host {
    mailbox: Arc<Mutex<Mailbox>>,
}

/// Waits for the host's answer to one request.
struct Ask {
    mailbox: Arc<Mutex<Mailbox>>,
    request: Option<Vec<u8>>,
}

impl Future for Ask {
    type Output = Vec<u8>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Vec<u8>> {
        let this = self.get_mut();
        let mut mailbox = lock(&this.mailbox);
        if let Some(request) = this.request.take() {
            mailbox.request = Some(request);
            mailbox.answer = None;
            return Poll::Pending;
        }
        match mailbox.answer.take() {
            Some(answer) => Poll::Ready(answer),
            None => Poll::Pending,
        }
    }
}

/// Maps a failed fetch to what the app answers: the host lied or sent garbage.
fn fetch_failed(_: FetchError) -> StatusWord {
    StatusWord::IncorrectData
}

impl Host {
    /// Sends `request` (an `E000` reply) and waits for the CONTINUE data.
    pub(crate) async fn ask(&self, request: &ClientCommand) -> Vec<u8> {
        Ask {
            mailbox: Arc::clone(&self.mailbox),
            request: Some(request.encode()),
        }
        .await
    }

    /// Sends `request`, then every request the fetch asks for next, until it is done.
    async fn drive<T>(
        &self,
        mut request: ClientCommand,
        mut on_response: impl FnMut(&[u8]) -> Result<FetchStep<T>, FetchError>,
    ) -> Result<T, StatusWord> {
        loop {
            let answer = self.ask(&request).await;
            match on_response(&answer).map_err(fetch_failed)? {
                FetchStep::Request(next) => request = next,
                FetchStep::Done(value) => return Ok(value),
            }
        }
    }

    /// Hands the host a result (YIELD) and waits for its empty acknowledgement.
    pub(crate) async fn yield_data(&self, data: Vec<u8>) {
        self.ask(&ClientCommand::Yield(data)).await;
    }

    /// The preimage of `hash` (GET_PREIMAGE, then GET_MORE_ELEMENTS as needed).
    pub(crate) async fn preimage(&self, hash: Hash, max_len: usize) -> Result<Vec<u8>, StatusWord> {
        let (mut fetch, request) = PreimageFetch::new(hash, max_len);
        self.drive(request, |answer| fetch.on_response(answer))
            .await
    }

    /// The verified hash of leaf `index` (GET_MERKLE_LEAF_PROOF).
    pub(crate) async fn leaf_hash(
        &self,
        root: Hash,
        size: u64,
        index: u64,
    ) -> Result<Hash, StatusWord> {
        let (mut fetch, request) = LeafProofFetch::new(root, size, index);
        self.drive(request, |answer| fetch.on_response(answer))
            .await
    }

    /// Element `index` of a Merkleized list: its proof, then its preimage.
    pub(crate) async fn element(
        &self,
        root: Hash,
        size: u64,
        index: u64,
        max_len: usize,
    ) -> Result<Vec<u8>, StatusWord> {
        let (mut fetch, request) = ListElementFetch::new(root, size, index, max_len);
        self.drive(request, |answer| fetch.on_response(answer))
            .await
    }

    /// The index of `leaf` in a tree (GET_MERKLE_LEAF_INDEX), checked by fetching that leaf's
    /// proof as the app does; `None` when the host says it is absent.
    pub(crate) async fn leaf_index(
        &self,
        root: Hash,
        size: u64,
        leaf: Hash,
    ) -> Result<Option<u64>, StatusWord> {
        let (mut fetch, request) = LeafIndexFetch::new(root, leaf);
        let answer = self.ask(&request).await;
        let index = match fetch.on_response(&answer) {
            Ok(FetchStep::Done(index)) => index,
            Err(FetchError::LeafNotFound) => return Ok(None),
            Ok(FetchStep::Request(_)) | Err(_) => return Err(StatusWord::IncorrectData),
        };
        if index >= size {
            return Err(StatusWord::IncorrectData);
        }
        if self.leaf_hash(root, size, index).await? != leaf {
            return Err(StatusWord::IncorrectData);
        }
        Ok(Some(index))
    }

    /// The value of `key` in a Merkleized map; `None` when the key is absent.
    pub(crate) async fn map_value(
        &self,
        map: &MapCommitment,
        key: &[u8],
        max_len: usize,
    ) -> Result<Option<Vec<u8>>, StatusWord> {
        let Some(index) = self
            .leaf_index(map.keys_root, map.size, merkle::leaf_hash(key))
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(
            self.element(map.values_root, map.size, index, max_len)
                .await?,
        ))
    }

    /// The value of `key`, which must be present.
    pub(crate) async fn required_value(
        &self,
        map: &MapCommitment,
        key: &[u8],
        max_len: usize,
    ) -> Result<Vec<u8>, StatusWord> {
        self.map_value(map, key, max_len)
            .await?
            .ok_or(StatusWord::IncorrectData)
    }

    /// A map commitment stored as element `index` of a list of maps.
    pub(crate) async fn map_commitment(
        &self,
        root: Hash,
        size: u64,
        index: u64,
    ) -> Result<MapCommitment, StatusWord> {
        let bytes = self.element(root, size, index, 9 + 64).await?;
        MapCommitment::decode(&bytes).map_err(|_| StatusWord::IncorrectData)
    }
}

/// What a command does next.
#[derive(Debug)]
pub(crate) enum Step {
    /// Send this client-command request with `E000` and wait for the CONTINUE.
    Interrupt(Vec<u8>),
    /// The command is over.
    Done(ApduResponse),
}

struct NoopWake;

impl Wake for NoopWake {
    // Nothing to wake: the emulator polls again when the next APDU arrives.
    fn wake(self: Arc<Self>) {}
}

/// A command handler in progress.
pub(crate) struct Session {
    future: HandlerFuture,
    mailbox: Arc<Mutex<Mailbox>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session {
    /// Starts a handler built from the host handle; runs it to its first request or its end.
    pub(crate) fn start<F, Fut>(make: F) -> (Self, Step)
    where
        F: FnOnce(Host) -> Fut,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let mailbox = Arc::new(Mutex::new(Mailbox::default()));
        let host = Host {
            mailbox: Arc::clone(&mailbox),
        };
        let mut session = Session {
            future: Box::pin(make(host)),
            mailbox,
        };
        let step = session.poll();
        (session, step)
    }

    /// Delivers the host's CONTINUE data and runs the handler to its next request or its end.
    pub(crate) fn resume(&mut self, answer: Vec<u8>) -> Step {
        lock(&self.mailbox).answer = Some(answer);
        self.poll()
    }

    fn poll(&mut self) -> Step {
        let waker = Waker::from(Arc::new(NoopWake));
        let mut cx = Context::from_waker(&waker);
        match self.future.as_mut().poll(&mut cx) {
            Poll::Ready(Ok(data)) => Step::Done(ApduResponse::new(data, StatusWord::Ok)),
            Poll::Ready(Err(refusal)) => Step::Done(refusal.response()),
            Poll::Pending => match lock(&self.mailbox).request.take() {
                Some(request) => Step::Interrupt(request),
                // Only a request can suspend a handler; anything else is a bug here.
                None => Step::Done(ApduResponse::status_only(StatusWord::BadState)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_at_each_request() {
        let (mut session, step) = Session::start(|host| async move {
            let first = host.ask(&ClientCommand::GetMoreElements).await;
            let second = host.ask(&ClientCommand::GetMoreElements).await;
            Ok([first, second].concat())
        });
        assert!(matches!(step, Step::Interrupt(ref r) if r == &[0xa0]));
        assert!(matches!(session.resume(vec![1]), Step::Interrupt(_)));
        match session.resume(vec![2]) {
            Step::Done(reply) => assert_eq!(reply.encode(), [1, 2, 0x90, 0x00]),
            other => panic!("unexpected {other:?}"),
        }
    }
}
