//! Reading one HTTP/1.1 answer off a direct connection: the head (parsed by `httparse`), then
//! the body as the head frames it (`Content-Length`, chunked, or up to the close), at most the
//! cap. Says whether the connection can carry another request.

use std::io;
use std::time::Instant;

use bytes::Bytes;

use super::conn::Conn;
use crate::transport::{Cause, Failure, HEAD, RawAnswer};

/// How many header lines an answer may have.
const MAX_HEADERS: usize = 64;
/// How large an answer's head may be.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How much is read from the socket at a time.
const READ_SIZE: usize = 16 * 1024;

/// An answer and whether its connection may be used again.
pub(super) struct Read {
    pub(super) answer: RawAnswer,
    pub(super) reusable: bool,
}

/// How the body of an answer ends.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

/// The parts of the head the client uses.
struct Head {
    status: u16,
    content_type: Option<String>,
    retry_after: Option<String>,
    location: Option<String>,
    framing: Framing,
    keep_alive: bool,
    /// Bytes of the head, from the start of the buffer.
    len: usize,
}

/// The bytes read so far and the connection they come from.
struct Reader<'a> {
    conn: &'a mut Conn,
    buf: Vec<u8>,
    deadline: Instant,
}

impl Reader<'_> {
    /// Reads more into the buffer; `Ok(0)` at the end of the stream.
    fn fill(&mut self) -> io::Result<usize> {
        self.conn.set_deadline(self.deadline)?;
        let len = self.buf.len();
        self.buf.resize(len + READ_SIZE, 0);
        let r = self.conn.receive(&mut self.buf[len..]);
        self.buf.truncate(len + *r.as_ref().unwrap_or(&0));
        r
    }

    /// [`fill`](Self::fill), with the end of the stream as an error (more was expected).
    fn more(&mut self) -> io::Result<()> {
        match self.fill()? {
            0 => Err(closed_early()),
            _ => Ok(()),
        }
    }
}

fn broken(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

fn closed_early() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the connection closed before the answer was complete",
    )
}

/// A failure after the request left: a timeout or a broken connection, with what arrived.
fn failed(e: io::Error, partial: &[u8], status: Option<u16>) -> Failure {
    let partial = Bytes::copy_from_slice(partial);
    if matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) {
        Failure::Timeout { partial, status }
    } else {
        Failure::Broken {
            source: Cause::Io(e),
            partial,
            status,
        }
    }
}

/// Reads the answer to the request just sent, refusing a body larger than `cap` bytes.
pub(super) fn read(conn: &mut Conn, deadline: Instant, cap: u64) -> Result<Read, Failure> {
    let mut r = Reader {
        conn,
        buf: Vec::with_capacity(READ_SIZE),
        deadline,
    };
    let head = loop {
        match parse_head(&r.buf) {
            Ok(Some(h)) if (100..200).contains(&h.status) && h.status != 101 => {
                // An interim answer (100 Continue, 103 Early Hints): the real one follows.
                r.buf.drain(..h.len);
            }
            Ok(Some(h)) => break h,
            Ok(None) if r.buf.len() > MAX_HEAD_BYTES => {
                return Err(failed(broken("the answer's head is too large"), &[], None));
            }
            Ok(None) => r.more().map_err(|e| failed(e, &[], None))?,
            Err(e) => return Err(failed(e, &[], None)),
        }
    };
    let status = Some(head.status);
    let from = head.len;
    let (body, clean_end) = match head.framing {
        Framing::None => (Bytes::new(), r.buf.len() == from),
        Framing::Length(n) if n > cap => {
            let want = from + (n as usize).min(HEAD);
            while r.buf.len() < want && matches!(r.fill(), Ok(1..)) {}
            return Err(too_large(
                cap,
                head.status,
                &r.buf[from..r.buf.len().min(want)],
            ));
        }
        Framing::Length(n) => {
            let end = from + n as usize;
            while r.buf.len() < end {
                if let Err(e) = r.more() {
                    return Err(failed(e, &r.buf[from..], status));
                }
            }
            (
                Bytes::copy_from_slice(&r.buf[from..end]),
                r.buf.len() == end,
            )
        }
        Framing::UntilClose => loop {
            if (r.buf.len() - from) as u64 > cap {
                return Err(too_large(cap, head.status, &r.buf[from..]));
            }
            match r.fill() {
                Ok(0) => break (Bytes::copy_from_slice(&r.buf[from..]), false),
                Ok(_) => {}
                Err(e) => return Err(failed(e, &r.buf[from..], status)),
            }
        },
        Framing::Chunked => dechunk(&mut r, from, cap, head.status)?,
    };
    Ok(Read {
        answer: RawAnswer {
            status: head.status,
            content_type: head.content_type,
            retry_after: head.retry_after,
            location: head.location,
            body,
        },
        reusable: head.keep_alive && clean_end && head.framing != Framing::UntilClose,
    })
}

fn too_large(cap: u64, status: u16, body: &[u8]) -> Failure {
    Failure::TooLarge {
        cap,
        status,
        partial: Bytes::copy_from_slice(&body[..body.len().min(HEAD)]),
    }
}

/// The head, once it has all arrived (`None` until then).
fn parse_head(buf: &[u8]) -> io::Result<Option<Head>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(broken(format!("the answer is not valid HTTP/1.1: {e}"))),
    };
    let status = resp.code.unwrap_or(0);
    let text = |v: &[u8]| std::str::from_utf8(v).ok().map(|s| s.trim().to_string());
    let mut head = Head {
        status,
        content_type: None,
        retry_after: None,
        location: None,
        framing: Framing::UntilClose,
        keep_alive: resp.version == Some(1),
        len,
    };
    let mut length: Option<u64> = None;
    let mut chunked = false;
    for h in resp.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-type") {
            head.content_type = text(h.value);
        } else if name.eq_ignore_ascii_case("retry-after") {
            head.retry_after = text(h.value);
        } else if name.eq_ignore_ascii_case("location") {
            head.location = text(h.value);
        } else if name.eq_ignore_ascii_case("content-length") {
            let n = text(h.value)
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| broken("the answer's Content-Length is not a number"))?;
            if length.is_some_and(|m| m != n) {
                return Err(broken(
                    "the answer has two different Content-Length headers",
                ));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = text(h.value).is_some_and(|v| {
                v.rsplit(',')
                    .next()
                    .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
            });
        } else if name.eq_ignore_ascii_case("connection") {
            for token in text(h.value).unwrap_or_default().split(',') {
                let token = token.trim();
                if token.eq_ignore_ascii_case("close") {
                    head.keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") {
                    head.keep_alive = true;
                }
            }
        }
    }
    head.framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::None
    } else if chunked {
        Framing::Chunked
    } else {
        match length {
            Some(n) => Framing::Length(n),
            None => Framing::UntilClose,
        }
    };
    Ok(Some(head))
}

/// Decodes a chunked body that starts at `at` in the buffer. A failure carries the body
/// decoded so far (where a record id may be found).
fn dechunk(
    r: &mut Reader<'_>,
    mut at: usize,
    cap: u64,
    status: u16,
) -> Result<(Bytes, bool), Failure> {
    let mut body: Vec<u8> = Vec::new();
    let malformed = || broken("the answer's chunked body is malformed");
    loop {
        let (used, size) = match httparse::parse_chunk_size(&r.buf[at..]) {
            Ok(httparse::Status::Complete(v)) => v,
            Ok(httparse::Status::Partial) => {
                r.more().map_err(|e| failed(e, &body, Some(status)))?;
                continue;
            }
            Err(_) => return Err(failed(malformed(), &body, Some(status))),
        };
        if size == 0 {
            // Trailer lines, if any, up to the empty line.
            let rest = at + used;
            loop {
                let tail = &r.buf[rest..];
                let end = if tail.starts_with(b"\r\n") {
                    Some(rest + 2)
                } else {
                    tail.windows(4)
                        .position(|w| w == b"\r\n\r\n")
                        .map(|i| rest + i + 4)
                };
                if let Some(end) = end {
                    return Ok((Bytes::from(body), r.buf.len() == end));
                }
                r.more().map_err(|e| failed(e, &body, Some(status)))?;
            }
        }
        if body.len() as u64 + size > cap {
            return Err(too_large(cap, status, &body));
        }
        let data = at + used;
        let end = data + size as usize;
        while r.buf.len() < end + 2 {
            r.more().map_err(|e| failed(e, &body, Some(status)))?;
        }
        if &r.buf[end..end + 2] != b"\r\n" {
            return Err(failed(malformed(), &body, Some(status)));
        }
        body.extend_from_slice(&r.buf[data..end]);
        at = end + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Head {
        parse_head(text.as_bytes()).unwrap().unwrap()
    }

    #[test]
    fn framing_follows_the_head() {
        let h =
            head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: application/json\r\n\r\n");
        assert_eq!(
            (h.status, h.framing, h.keep_alive),
            (200, Framing::Length(12), true)
        );
        assert_eq!(h.content_type.as_deref(), Some("application/json"));
        let h = head(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n",
        );
        assert_eq!(h.framing, Framing::Chunked);
        let h = head("HTTP/1.1 429 Too Many\r\nRetry-After: 7\r\nConnection: close\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        assert_eq!(h.retry_after.as_deref(), Some("7"));
        let h = head("HTTP/1.0 204 No Content\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::None, false));
        let h = head(
            "HTTP/1.0 302 Found\r\nConnection: keep-alive\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!((h.framing, h.keep_alive), (Framing::Length(0), true));
        assert_eq!(h.location.as_deref(), Some("/x"));
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Le")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn bad_heads_are_refused() {
        let two = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
        assert!(parse_head(two.as_bytes()).is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
        assert!(parse_head(b"SMTP ready\r\n\r\n").is_err());
    }
}
