//! Line reading for untrusted files with a length cap, shared by the bundle reader and the OKX
//! reader: an endless line without `\n` is stopped at the cap instead of being buffered whole.
//! And the ways a file of lines fails to be read or written, the same for both.

use std::io::BufRead;

/// Why a file could not be opened, read or written: the I/O failures that the bundle and the
/// OKX readers and writers share. Each names the file or the line (1-based).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    #[error("cannot open {path}")]
    Open {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("line {line}: read error")]
    Read {
        line: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("line {line}: longer than {max} bytes")]
    LineTooLong { line: u64, max: usize },
    #[error("line {line}: not UTF-8")]
    NotUtf8 { line: u64 },
    #[error("cannot write {path}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Opens `path` for reading, naming it when it cannot be opened: how every reader of a
/// bundle, challenge or OKX file starts.
pub fn open_for_reading(path: &std::path::Path) -> Result<std::fs::File, FileError> {
    std::fs::File::open(path).map_err(|source| FileError::Open {
        path: path.display().to_string(),
        source,
    })
}

/// Reads lines of at most `max` bytes, numbering them from 1.
pub struct CappedLines<R> {
    inner: R,
    line: u64,
    max: usize,
}

impl<R: BufRead> CappedLines<R> {
    pub fn new(inner: R, max: usize) -> Self {
        CappedLines {
            inner,
            line: 0,
            max,
        }
    }

    /// The number of the last line read.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Appends the next line to `buf` without its `\n`. Returns its number and whether it ended
    /// in `\n` (a last line without one was cut off while being written), or None at the end.
    pub fn read_into(&mut self, buf: &mut Vec<u8>) -> Result<Option<(u64, bool)>, FileError> {
        let number = self.line + 1;
        let start = buf.len();
        let mut any = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(FileError::Read {
                        line: number,
                        source,
                    })
                }
            };
            if chunk.is_empty() {
                if !any {
                    return Ok(None);
                }
                self.line = number;
                return Ok(Some((number, false)));
            }
            any = true;
            let newline = chunk.iter().position(|&b| b == b'\n');
            let take = newline.unwrap_or(chunk.len());
            if buf.len() - start + take > self.max {
                return Err(FileError::LineTooLong {
                    line: number,
                    max: self.max,
                });
            }
            buf.extend_from_slice(chunk.get(..take).unwrap_or_default());
            self.inner.consume(take + usize::from(newline.is_some()));
            if newline.is_some() {
                self.line = number;
                return Ok(Some((number, true)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lines_and_flags_a_cut_off_last_line() {
        let mut r = CappedLines::new(&b"ab\n\ncd"[..], 10);
        let mut buf = Vec::new();
        assert_eq!(r.read_into(&mut buf).unwrap(), Some((1, true)));
        assert_eq!(buf, b"ab");
        buf.clear();
        assert_eq!(r.read_into(&mut buf).unwrap(), Some((2, true)));
        assert!(buf.is_empty());
        assert_eq!(r.read_into(&mut buf).unwrap(), Some((3, false)));
        assert_eq!(buf, b"cd");
        buf.clear();
        assert_eq!(r.read_into(&mut buf).unwrap(), None);
        assert_eq!(r.line(), 3);
    }

    #[test]
    fn stops_at_the_cap() {
        let data = [b'x'; 100];
        let mut r = CappedLines::new(&data[..], 10);
        assert!(matches!(
            r.read_into(&mut Vec::new()),
            Err(FileError::LineTooLong { line: 1, max: 10 })
        ));
    }
}
