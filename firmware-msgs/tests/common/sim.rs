//! A simulated Bitcoin app, built from this crate's device-side decoders and fetchers.
//!
//! It runs on its own thread so its logic reads top to bottom (`ask` sends an `E000` request and
//! waits for the CONTINUE), while the host under test drives the exchange one APDU at a time.
//! It fetches everything the real app fetches for each command, then answers a canned reply.
#![allow(dead_code, clippy::indexing_slicing)]

use std::cell::RefCell;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

use firmware_msgs::btc::client_command::device::{
    FetchStep, LeafIndexFetch, ListElementFetch, PreimageFetch,
};
use firmware_msgs::btc::{BtcCommand, ClientCommand, MapCommitment, WalletPolicyHeader};
use firmware_msgs::merkle::{leaf_hash, Hash};
use firmware_msgs::{ApduCommand, ApduResponse, StatusWord};

/// The canned final answers.
#[derive(Clone, Default)]
pub struct Canned {
    pub signature: Vec<u8>,
    pub address: Vec<u8>,
    pub xpub: Vec<u8>,
    pub registered: Vec<u8>,
    pub yields: Vec<Vec<u8>>,
}

/// What the device learnt, for assertions.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Learnt {
    pub messages: Vec<Vec<u8>>,
    pub policies: Vec<(String, String, Vec<String>)>,
    pub psbt_maps: Vec<Vec<(Vec<u8>, Vec<u8>)>>,
    /// How many GET_MORE_ELEMENTS requests the device sent.
    pub more_elements_requests: usize,
}

pub struct SimDevice {
    to_device: Option<Sender<Vec<u8>>>,
    from_device: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<Learnt>>,
    /// Every APDU the host sent, in order.
    pub log: RefCell<Vec<Vec<u8>>>,
}

impl SimDevice {
    pub fn spawn(canned: Canned) -> Self {
        let (to_device, device_rx) = channel::<Vec<u8>>();
        let (device_tx, from_device) = channel::<Vec<u8>>();
        let thread = std::thread::spawn(move || {
            let mut io = DeviceIo {
                rx: device_rx,
                tx: device_tx,
                learnt: Learnt::default(),
            };
            while let Ok(apdu) = io.rx.recv() {
                let response = io.handle(&apdu, &canned);
                if io.tx.send(response.encode()).is_err() {
                    break;
                }
            }
            io.learnt
        });
        Self {
            to_device: Some(to_device),
            from_device,
            thread: Some(thread),
            log: RefCell::new(Vec::new()),
        }
    }

    /// Sends one APDU, returns the raw response.
    pub fn exchange(&self, apdu: &[u8]) -> Vec<u8> {
        self.log.borrow_mut().push(apdu.to_vec());
        self.to_device
            .as_ref()
            .expect("device running")
            .send(apdu.to_vec())
            .expect("device alive");
        self.from_device.recv().expect("device answers")
    }

    /// Stops the device and returns what it learnt.
    pub fn finish(mut self) -> Learnt {
        drop(self.to_device.take());
        self.thread
            .take()
            .expect("thread")
            .join()
            .expect("device thread did not panic")
    }
}

struct DeviceIo {
    rx: Receiver<Vec<u8>>,
    tx: Sender<Vec<u8>>,
    learnt: Learnt,
}

/// A device-side failure: answer this status.
struct Refuse(StatusWord);

impl DeviceIo {
    fn ask(&mut self, request: ClientCommand) -> Result<Vec<u8>, Refuse> {
        if request == ClientCommand::GetMoreElements {
            self.learnt.more_elements_requests += 1;
        }
        self.tx
            .send(request.to_response().encode())
            .map_err(|_| Refuse(StatusWord::BadState))?;
        let apdu = self.rx.recv().map_err(|_| Refuse(StatusWord::BadState))?;
        let apdu = ApduCommand::decode(&apdu).map_err(|_| Refuse(StatusWord::WrongDataLength))?;
        match BtcCommand::decode(&apdu) {
            Ok(BtcCommand::Continue(data)) => Ok(data),
            _ => Err(Refuse(StatusWord::IncorrectData)),
        }
    }

    fn drive<T>(
        &mut self,
        first: ClientCommand,
        mut step: impl FnMut(
            &[u8],
        ) -> Result<
            FetchStep<T>,
            firmware_msgs::btc::client_command::device::FetchError,
        >,
    ) -> Result<T, Refuse> {
        let mut request = first;
        loop {
            let data = self.ask(request)?;
            match step(&data).map_err(|e| Refuse(e.status_word()))? {
                FetchStep::Request(next) => request = next,
                FetchStep::Done(value) => return Ok(value),
            }
        }
    }

    fn preimage(&mut self, hash: Hash) -> Result<Vec<u8>, Refuse> {
        let (mut fetch, first) = PreimageFetch::new(hash, 1 << 16);
        self.drive(first, |d| fetch.on_response(d))
    }

    fn element(&mut self, root: Hash, size: u64, index: u64) -> Result<Vec<u8>, Refuse> {
        let (mut fetch, first) = ListElementFetch::new(root, size, index, 1 << 16);
        self.drive(first, |d| fetch.on_response(d))
    }

    fn leaf_index(&mut self, root: Hash, element: &[u8]) -> Result<u64, Refuse> {
        let (mut fetch, first) = LeafIndexFetch::new(root, leaf_hash(element));
        self.drive(first, |d| fetch.on_response(d))
    }

    fn policy(&mut self, header: &WalletPolicyHeader) -> Result<(), Refuse> {
        let template = self.preimage(header.descriptor_template_hash)?;
        let mut keys = Vec::new();
        for i in 0..header.n_keys {
            keys.push(
                String::from_utf8_lossy(&self.element(header.keys_root, header.n_keys, i)?)
                    .into_owned(),
            );
        }
        self.learnt.policies.push((
            header.name.clone(),
            String::from_utf8_lossy(&template).into_owned(),
            keys,
        ));
        Ok(())
    }

    fn map(&mut self, commitment: &MapCommitment) -> Result<(), Refuse> {
        let mut pairs = Vec::new();
        for i in 0..commitment.size {
            let key = self.element(commitment.keys_root, commitment.size, i)?;
            // Look the key up by hash, as the app does for known key types.
            let index = self.leaf_index(commitment.keys_root, &key)?;
            let value = self.element(commitment.values_root, commitment.size, index)?;
            pairs.push((key, value));
        }
        self.learnt.psbt_maps.push(pairs);
        Ok(())
    }

    fn handle(&mut self, apdu: &[u8], canned: &Canned) -> ApduResponse {
        match self.handle_internal(apdu, canned) {
            Ok(response) => response,
            Err(Refuse(status)) => ApduResponse::status_only(status),
        }
    }

    fn handle_internal(&mut self, apdu: &[u8], canned: &Canned) -> Result<ApduResponse, Refuse> {
        let apdu = ApduCommand::decode(apdu).map_err(|_| Refuse(StatusWord::WrongDataLength))?;
        let command = BtcCommand::decode(&apdu).map_err(|e| Refuse(e.status_word()))?;
        match command {
            BtcCommand::SignMessage(c) => {
                let chunks = c.message_len.div_ceil(64);
                let mut message = Vec::new();
                for i in 0..chunks {
                    message.extend(self.element(c.message_root, chunks, i)?);
                }
                if message.len() as u64 != c.message_len {
                    return Err(Refuse(StatusWord::BadState));
                }
                self.learnt.messages.push(message);
                Ok(ApduResponse::ok(canned.signature.clone()))
            }
            BtcCommand::GetWalletAddress(c) => {
                let header = WalletPolicyHeader::decode(&self.preimage(c.wallet_id)?)
                    .map_err(|_| Refuse(StatusWord::IncorrectData))?;
                self.policy(&header)?;
                Ok(ApduResponse::ok(canned.address.clone()))
            }
            BtcCommand::RegisterWallet(c) => {
                self.policy(&c.policy)?;
                Ok(ApduResponse::ok(canned.registered.clone()))
            }
            BtcCommand::GetExtendedPubkey(_) => Ok(ApduResponse::ok(canned.xpub.clone())),
            BtcCommand::GetMasterFingerprint => Ok(ApduResponse::ok(vec![0xf5, 0xac, 0xc2, 0xfd])),
            BtcCommand::SignPsbt(c) => {
                let header = WalletPolicyHeader::decode(&self.preimage(c.wallet_id)?)
                    .map_err(|_| Refuse(StatusWord::IncorrectData))?;
                self.policy(&header)?;
                self.map(&c.global_map)?;
                for (root, n) in [(c.inputs_root, c.n_inputs), (c.outputs_root, c.n_outputs)] {
                    for i in 0..n {
                        let commitment = MapCommitment::decode(&self.element(root, n, i)?)
                            .map_err(|_| Refuse(StatusWord::IncorrectData))?;
                        self.map(&commitment)?;
                    }
                }
                for y in &canned.yields {
                    let answer = self.ask(ClientCommand::Yield(y.clone()))?;
                    if !answer.is_empty() {
                        return Err(Refuse(StatusWord::IncorrectData));
                    }
                }
                Ok(ApduResponse::ok(Vec::new()))
            }
            BtcCommand::Continue(_) => Err(Refuse(StatusWord::BadState)),
            _ => Err(Refuse(StatusWord::InsNotSupported)),
        }
    }
}

/// Runs one of our exchanges against the simulated device.
pub fn run_ours<R: firmware_msgs::btc::exchange::Reply>(
    device: &SimDevice,
    mut exchange: firmware_msgs::btc::Exchange<R>,
) -> Result<R, firmware_msgs::btc::ExchangeError> {
    let mut command = exchange.first_command();
    loop {
        let response = ApduResponse::decode(&device.exchange(&command.encode())).expect("frame");
        match exchange.advance(&response)? {
            firmware_msgs::btc::Step::Send(next) => command = next,
            firmware_msgs::btc::Step::Done(reply) => return Ok(reply),
        }
    }
}
