//! The emulated user in front of the screen: shows review pages and decides, by policy (approve
//! or reject everything) or by waiting for button presses that arrive through the REST API.
//!
//! The state sits behind its own lock, apart from the emulator: a review that waits for buttons
//! blocks the APDU being answered, while the REST thread still reads the screen and presses
//! buttons.
//!
//! Like the real device, a review outlives the host that asked for it: when nobody presses the
//! buttons within the button timeout, the request gets no reply, the review stays on the screen
//! and the device refuses every new command (6901) until the buttons resolve it.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::screens::{Review, Screen};
use super::Approval;

/// How long a review waits for button presses before its request is given up unanswered (the
/// review stays on the screen).
pub const DEFAULT_BUTTON_TIMEOUT: Duration = Duration::from_secs(300);

/// Events a stream subscriber (`GET /events?stream=true`) may leave unread; one that falls
/// further behind is dropped (its stream ends) rather than grow without bound.
const STREAM_BACKLOG: usize = 1024;

/// A button, as `POST /button/{left,right,both}` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Button {
    Left,
    Right,
    Both,
}

impl Button {
    /// Parses `left`, `right` or `both`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "left" => Some(Button::Left),
            "right" => Some(Button::Right),
            "both" => Some(Button::Both),
            _ => None,
        }
    }
}

/// How a review ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Approved,
    Rejected,
    /// Nobody pressed the buttons in time: the request gets no reply, and the review stays on
    /// the screen until the buttons resolve it.
    TimedOut,
}

/// Whether a review is for a signature (those count for the reject-the-N-th fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReviewKind {
    Signature,
    Other,
}

/// One line shown on the screen, in the shape of Speculos's `/events`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEvent {
    pub text: String,
    pub x: u32,
    pub y: u32,
}

/// A review shown and waiting for buttons.
#[derive(Debug)]
struct Pending {
    review: Review,
    /// The page shown.
    index: usize,
    /// Set by the button that decided; the waiting request takes it.
    decision: Option<Decision>,
    /// Whether a request still waits for the decision (false once its wait ran out).
    waited_on: bool,
}

#[derive(Debug)]
struct UiState {
    approval: Approval,
    button_timeout: Duration,
    home: Screen,
    current: Screen,
    /// Every line shown since the log was last cleared (`GET /events`).
    events: Vec<TextEvent>,
    /// The texts of the review pages visited, in order (what the transcripts record).
    reviewed: Vec<String>,
    /// The review on screen that waits for buttons, if any.
    pending: Option<Pending>,
    /// Set when a review's wait ran out; taken by the emulator to drop that request's reply.
    abandoned: bool,
    signatures: u32,
    reject_nth_signature: Option<u32>,
    /// Open event streams: each new line shown is sent to every one of them.
    subscribers: Vec<tokio::sync::mpsc::Sender<TextEvent>>,
}

/// The screen and the user, shared between the emulator and the REST API.
#[derive(Clone, Debug)]
pub struct Ui {
    shared: Arc<(Mutex<UiState>, Condvar)>,
}

impl Ui {
    pub(crate) fn new(home: Screen, approval: Approval, reject_nth_signature: Option<u32>) -> Self {
        let mut state = UiState {
            approval,
            button_timeout: DEFAULT_BUTTON_TIMEOUT,
            home: home.clone(),
            current: Screen::default(),
            events: Vec::new(),
            reviewed: Vec::new(),
            pending: None,
            abandoned: false,
            signatures: 0,
            reject_nth_signature,
            subscribers: Vec::new(),
        };
        show(&mut state, home, false);
        Ui {
            shared: Arc::new((Mutex::new(state), Condvar::new())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, UiState> {
        // A panic elsewhere cannot leave this state inconsistent: keep serving it.
        crate::sync::lock(&self.shared.0)
    }

    /// The screen shown now.
    pub fn current_screen(&self) -> Screen {
        self.lock().current.clone()
    }

    /// The lines of the screen shown now, as events.
    pub fn current_events(&self) -> Vec<TextEvent> {
        events_of(&self.lock().current)
    }

    /// Every line shown since the log was last cleared.
    pub fn events(&self) -> Vec<TextEvent> {
        self.lock().events.clone()
    }

    /// Every line shown from now on, as it is shown (`GET /events?stream=true`). The stream
    /// ends when the receiver is dropped or falls more than a backlog behind.
    pub(crate) fn subscribe(&self) -> tokio::sync::mpsc::Receiver<TextEvent> {
        let (sender, receiver) = tokio::sync::mpsc::channel(STREAM_BACKLOG);
        self.lock().subscribers.push(sender);
        receiver
    }

    /// Clears the event log (`DELETE /events`).
    pub fn clear_events(&self) {
        self.lock().events.clear();
    }

    /// The texts of all review pages visited so far.
    pub fn reviewed_screens(&self) -> Vec<String> {
        self.lock().reviewed.clone()
    }

    /// Forgets the visited review pages.
    pub fn clear_reviewed(&self) {
        self.lock().reviewed.clear();
    }

    /// Shows a notice the app puts up while it answers at once (e.g. the Ethereum app's "Blind
    /// signing must be enabled in settings"): it stays until the next screen replaces it and is
    /// recorded with the review pages, as the transcripts record every screen shown.
    pub(crate) fn notice(&self, screen: Screen) {
        show(&mut self.lock(), screen, true);
    }

    /// Whether a review is on the screen waiting for the user (including one whose request
    /// was given up): the device then answers every command with 6901.
    pub fn in_review(&self) -> bool {
        self.lock().pending.is_some()
    }

    /// Whether the last review's wait ran out since this was last asked (its request must get
    /// no reply); clears the flag.
    pub(crate) fn take_abandoned(&self) -> bool {
        std::mem::take(&mut self.lock().abandoned)
    }

    /// Presses a button: right and left step through the review's pages, both on the approve
    /// or reject page decides. Outside a review the press does nothing, as on the device's idle
    /// screens.
    pub fn press(&self, button: Button) {
        let mut state = self.lock();
        let Some(pending) = state.pending.as_mut() else {
            return;
        };
        if pending.decision.is_some() {
            return;
        }
        let last = pending.review.reject_index();
        let index = pending.index;
        let next = match button {
            Button::Right => index.saturating_add(1).min(last),
            Button::Left => index.saturating_sub(1),
            Button::Both if index == pending.review.approve_index() => {
                pending.decision = Some(Decision::Approved);
                index
            }
            Button::Both if index == last => {
                pending.decision = Some(Decision::Rejected);
                index
            }
            Button::Both => index,
        };
        let page = (next != index)
            .then(|| pending.review.pages().get(next).cloned())
            .flatten();
        pending.index = next;
        let decision = pending.decision;
        let waited_on = pending.waited_on;
        if let Some(page) = page {
            show(&mut state, page, true);
        }
        match decision {
            Some(_) if waited_on => self.shared.1.notify_all(),
            // Nobody waits for this review any more: the device shows the outcome and goes
            // home; the result goes nowhere.
            Some(decision) => {
                if let Some(pending) = state.pending.take() {
                    finish_review(&mut state, &pending.review, decision);
                }
            }
            None => {}
        }
    }

    /// Sets how long a review waits for buttons.
    pub fn set_button_timeout(&self, timeout: Duration) {
        self.lock().button_timeout = timeout;
    }

    /// Shows the review and returns the user's decision.
    pub(crate) fn review(&self, review: &Review, kind: ReviewKind) -> Decision {
        let mut state = self.lock();
        let forced_reject = kind == ReviewKind::Signature && {
            state.signatures += 1;
            state.reject_nth_signature == Some(state.signatures)
        };
        let approval = if forced_reject {
            Approval::Reject
        } else {
            state.approval
        };
        let decision = match approval {
            Approval::Auto => {
                for page in review.pages().iter().take(review.approve_index() + 1) {
                    show(&mut state, page.clone(), true);
                }
                Decision::Approved
            }
            Approval::Reject => {
                for page in review.pages() {
                    show(&mut state, page.clone(), true);
                }
                Decision::Rejected
            }
            Approval::Buttons => {
                let (decision, guard) = self.navigate(state, review);
                state = guard;
                decision
            }
        };
        if decision != Decision::TimedOut {
            finish_review(&mut state, review, decision);
        }
        decision
    }

    /// Shows the review and waits until a button decides it (see [`Ui::press`]) or the button
    /// timeout runs out; then the review stays pending on the screen.
    fn navigate<'a>(
        &'a self,
        mut state: MutexGuard<'a, UiState>,
        review: &Review,
    ) -> (Decision, MutexGuard<'a, UiState>) {
        let deadline = Instant::now() + state.button_timeout;
        if let Some(page) = review.pages().first() {
            show(&mut state, page.clone(), true);
        }
        state.pending = Some(Pending {
            review: review.clone(),
            index: 0,
            decision: None,
            waited_on: true,
        });
        let decision = loop {
            if let Some(decision) = state.pending.as_ref().and_then(|p| p.decision) {
                state.pending = None;
                break decision;
            }
            let now = Instant::now();
            if now >= deadline {
                eprintln!(
                    "porsign emulate: no button press within {}s: the request gets no reply; the review stays on screen until the buttons resolve it",
                    state.button_timeout.as_secs()
                );
                if let Some(pending) = state.pending.as_mut() {
                    pending.waited_on = false;
                }
                state.abandoned = true;
                break Decision::TimedOut;
            }
            state = self
                .shared
                .1
                .wait_timeout(state, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        };
        (decision, state)
    }
}

/// The status screen of a decided review, then the home screen.
fn finish_review(state: &mut UiState, review: &Review, decision: Decision) {
    let status = match decision {
        Decision::Approved => review.approved_status(),
        Decision::Rejected | Decision::TimedOut => review.rejected_status(),
    };
    show(state, status, false);
    let home = state.home.clone();
    show(state, home, false);
}

fn events_of(screen: &Screen) -> Vec<TextEvent> {
    // Nano S Plus text rows are 13 pixels apart; the exact geometry does not matter to the
    // tools that read these events, only the order.
    (0u32..)
        .zip(screen.lines())
        .map(|(row, line)| TextEvent {
            text: line.clone(),
            x: 7,
            y: 3 + 13 * row,
        })
        .collect()
}

fn show(state: &mut UiState, screen: Screen, is_review_page: bool) {
    let events = events_of(&screen);
    // A subscriber that left or cannot keep up is forgotten; the others get every line.
    state.subscribers.retain(|subscriber| {
        events
            .iter()
            .all(|e| subscriber.try_send(e.clone()).is_ok())
    });
    state.events.extend(events);
    if is_review_page {
        state.reviewed.push(screen.text());
    }
    state.current = screen;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> Ui {
        Ui::new(Screen::from_text("Home"), Approval::Buttons, None)
    }

    #[test]
    fn a_subscriber_gets_each_line_shown_after_it_subscribed() {
        let ui = home();
        let mut stream = ui.subscribe();
        show(&mut ui.lock(), Screen::from_text("One\nTwo"), false);
        let texts: Vec<String> = std::iter::from_fn(|| stream.try_recv().ok())
            .map(|e| e.text)
            .collect();
        assert_eq!(texts, ["One", "Two"]);
    }

    #[test]
    fn a_subscriber_that_falls_a_backlog_behind_is_dropped() {
        let ui = home();
        let mut stream = ui.subscribe();
        for _ in 0..=STREAM_BACKLOG {
            show(&mut ui.lock(), Screen::from_text("Again"), false);
        }
        assert!(ui.lock().subscribers.is_empty(), "no longer fed");
        let received = std::iter::from_fn(|| stream.try_recv().ok()).count();
        assert_eq!(received, STREAM_BACKLOG);
        assert!(matches!(
            stream.try_recv(),
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected)
        ));
    }
}
