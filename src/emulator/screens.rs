//! What the emulated Nano S Plus shows: screens made of text lines, laid out like the device's
//! NBGL library lays them out, so the texts match the screens recorded from the real apps.
//!
//! A review is a list of pages the user steps through with the right button: an intro page, one
//! page (or several, titled `Title (i/n)`) per tag/value pair, the approve page, and the reject
//! page after it. Long values are cut into pages of three lines; lines break where the text no
//! longer fits the 114-pixel text area, preferring word delimiters, exactly as the device does.

use std::fmt;

/// Width in pixels of the text area (128-pixel screen, 7-pixel margins).
const AVAILABLE_WIDTH: u32 = 114;
/// Lines of value text under a page title.
const VALUE_LINES_PER_PAGE: usize = 3;

/// Advance widths in pixels of the printable ASCII characters (space to `~`) in the Nano's
/// 11-pixel Open Sans regular font, from Ledger's public font tables. `J` and `j` are one pixel
/// narrower than in those tables: the screens recorded from the real app only wrap that way
/// (`j`: the key pages of `btc-hwi-registered-*-register` and `btc-hwi-tr-*-register`).
const CHAR_WIDTHS: [u8; 95] = [
    3, 3, 4, 7, 6, 9, 9, 2, 3, 3, 6, 6, 3, 4, 3, 4, // ' ' to '/'
    6, 6, 6, 6, 8, 6, 6, 6, 6, 6, 3, 3, 6, 6, 6, 5, // '0' to '?'
    10, 7, 7, 7, 8, 6, 6, 8, 8, 3, 3, 7, 6, 10, 8, 9, // '@' to 'O'
    7, 9, 7, 6, 7, 8, 7, 10, 7, 6, 6, 4, 4, 4, 6, 6, // 'P' to '_'
    6, 6, 7, 5, 7, 6, 5, 6, 7, 3, 3, 6, 3, 10, 7, 7, // '`' to 'o'
    7, 7, 4, 5, 4, 7, 6, 9, 6, 6, 5, 4, 6, 4, 6, // 'p' to '~'
];

/// One screen: its text lines, top to bottom.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Screen {
    lines: Vec<String>,
}

impl Screen {
    /// A screen showing `lines`.
    pub fn new(lines: Vec<String>) -> Self {
        Screen { lines }
    }

    /// A screen from text where `\n` separates lines.
    pub fn from_text(text: &str) -> Self {
        Screen {
            lines: text.split('\n').map(str::to_owned).collect(),
        }
    }

    /// The lines, as Speculos reports them one event each.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The lines joined with spaces: how the recorded transcripts write a screen.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }
}

impl fmt::Display for Screen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The pages of one review, and which of them approves and which rejects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    pages: Vec<Screen>,
    approve: usize,
    status_approved: String,
    status_rejected: String,
}

impl Review {
    /// All pages, the approve and the reject page included.
    pub fn pages(&self) -> &[Screen] {
        &self.pages
    }

    /// Index of the approve page.
    pub fn approve_index(&self) -> usize {
        self.approve
    }

    /// Index of the reject page (the last one).
    pub fn reject_index(&self) -> usize {
        self.pages.len().saturating_sub(1)
    }

    /// The status screen shown after an approval.
    pub fn approved_status(&self) -> Screen {
        Screen::from_text(&self.status_approved)
    }

    /// The status screen shown after a rejection.
    pub fn rejected_status(&self) -> Screen {
        Screen::from_text(&self.status_rejected)
    }
}

/// Builds a review page by page.
#[derive(Debug, Default)]
pub struct ReviewBuilder {
    pages: Vec<Screen>,
}

impl ReviewBuilder {
    /// Starts with the intro page (`\n` separates its lines).
    pub fn intro(text: &str) -> Self {
        ReviewBuilder {
            pages: vec![Screen::new(wrap_lines(text))],
        }
    }

    /// A tag/value pair: one page, or `Title (i/n)` pages when the value needs more than three
    /// lines.
    pub fn pair(mut self, title: &str, value: &str) -> Self {
        self.pages.extend(pair_pages(title, value));
        self
    }

    /// A centered information page (`\n` separates its lines).
    pub fn info(mut self, text: &str) -> Self {
        self.pages.push(Screen::new(wrap_lines(text)));
        self
    }

    /// Ends with the approve page and the reject page, and the status texts shown afterwards.
    pub fn finish(mut self, approve: &str, reject: &str, approved: &str, rejected: &str) -> Review {
        self.pages.push(Screen::new(wrap_lines(approve)));
        let approve_index = self.pages.len() - 1;
        self.pages.push(Screen::new(wrap_lines(reject)));
        Review {
            pages: self.pages,
            approve: approve_index,
            status_approved: approved.to_owned(),
            status_rejected: rejected.to_owned(),
        }
    }
}

/// The pages of one tag/value pair.
fn pair_pages(title: &str, value: &str) -> Vec<Screen> {
    let pages = paginate(value, VALUE_LINES_PER_PAGE);
    let count = pages.len();
    if count <= 1 {
        let mut lines = wrap_lines(title);
        if let Some(page) = pages.first() {
            lines.extend(wrap(page));
        }
        return vec![Screen::new(lines)];
    }
    pages
        .iter()
        .enumerate()
        .map(|(i, page)| {
            let mut lines = vec![format!("{title} ({}/{count})", i + 1)];
            lines.extend(wrap(page));
            Screen::new(lines)
        })
        .collect()
}

fn char_width(c: char) -> u32 {
    let code = u32::from(c);
    code.checked_sub(0x20)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| CHAR_WIDTHS.get(i))
        .map_or(0, |w| u32::from(*w))
}

/// Word delimiters at which a line may break (the device's list).
fn is_delimiter(c: char) -> bool {
    matches!(c, ' ' | '\n' | '\u{8}' | '\u{c}' | '-' | '_')
}

/// How many characters of `text` fit in `max_lines` lines: a break goes after the last
/// delimiter of the line when there is one, else before the character that overflows; a `\n`
/// ends a line.
fn fitting_len(text: &[char], max_lines: usize) -> usize {
    let mut lines_left = max_lines;
    let mut i = 0usize;
    let mut width = 0u32;
    let mut last_delimiter: Option<usize> = None;
    while lines_left > 0 {
        let Some(&c) = text.get(i) else { break };
        let start = i;
        i += 1;
        if is_delimiter(c) {
            last_delimiter = Some(i);
        }
        if c == '\n' {
            lines_left -= 1;
            if lines_left == 0 {
                // The newline belongs to the next piece.
                i -= 1;
            }
            last_delimiter = None;
            width = 0;
            continue;
        }
        let w = char_width(c);
        if w == 0 {
            continue;
        }
        if width + w > AVAILABLE_WIDTH {
            i = last_delimiter.take().unwrap_or(start);
            width = 0;
            lines_left -= 1;
            continue;
        }
        width += w;
    }
    i
}

/// Cuts `text` into consecutive pieces of at most `max_lines` lines each.
fn split_pieces(text: &str, max_lines: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut rest: &[char] = &chars;
    let mut pieces = Vec::new();
    while !rest.is_empty() {
        // Always make progress, even on a character wider than the screen.
        let len = fitting_len(rest, max_lines).max(1);
        let (piece, tail) = rest.split_at(len.min(rest.len()));
        pieces.push(piece.iter().collect());
        // A piece never starts with the newline that ended the previous one.
        rest = match tail.split_first() {
            Some(('\n', after)) => after,
            _ => tail,
        };
    }
    pieces
}

/// The value's pages.
fn paginate(text: &str, lines_per_page: usize) -> Vec<String> {
    split_pieces(text, lines_per_page)
}

/// The lines of one page of text.
pub(crate) fn wrap(text: &str) -> Vec<String> {
    split_pieces(text, 1)
}

/// Lines of a title or info text: explicit `\n` breaks, then wrapping.
fn wrap_lines(text: &str) -> Vec<String> {
    text.split('\n').flat_map(wrap).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(review: &[Screen]) -> Vec<String> {
        review.iter().map(Screen::text).collect()
    }

    #[test]
    fn long_values_page_like_the_device() {
        let pages = pair_pages("Message", &"A".repeat(64));
        assert_eq!(
            texts(&pages),
            [
                "Message (1/2) AAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAA",
                "Message (2/2) AAAAAAAAAAAAAAAA"
            ]
        );
        let pages = pair_pages("Address", "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg");
        assert_eq!(
            texts(&pages),
            ["Address bc1qqtl9jlrwcr3fsfcjj2 du7pu6fcgaxl5dsw2v yg"]
        );
    }

    #[test]
    fn lines_break_after_delimiters() {
        assert_eq!(
            wrap("wsh(sortedmulti(2,@0/**,@1/**,@2/**))"),
            ["wsh(sortedmulti(2,@0", "/**,@1/**,@2/**))"]
        );
        assert_eq!(wrap("porsign test challenge"), ["porsign test challenge"]);
        assert_eq!(wrap("a\nb"), ["a", "b"]);
        assert_eq!(
            pair_pages("Message", ""),
            [Screen::new(vec!["Message".into()])]
        );
    }

    #[test]
    fn review_indices() {
        let review = ReviewBuilder::intro("Review message")
            .pair("Path", "84'/0'/0'/0/0")
            .finish(
                "Sign message",
                "Reject message",
                "Message signed",
                "Message rejected",
            );
        assert_eq!(review.approve_index(), 2);
        assert_eq!(review.reject_index(), 3);
        assert_eq!(review.pages().len(), 4);
    }
}
