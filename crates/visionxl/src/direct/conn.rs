//! One kept-alive connection of the direct transport: a blocking TCP socket, with TLS
//! (rustls) for `https`. Reads and writes stop at the call's deadline (the socket's
//! `SO_RCVTIMEO`/`SO_SNDTIMEO`), and another thread can break a blocked connect or read
//! through a second handle on the socket (cancel tokens shut it down).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

/// Where connections go, and how (TLS settings for `https`).
pub(super) struct Origin {
    /// Host and port to connect to (resolved at each connect).
    pub(super) host: String,
    pub(super) port: u16,
    /// `Some` for `https`: the TLS settings (ALPN `http/1.1` only) and the name to verify.
    pub(super) tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

/// An open connection.
pub(super) struct Conn {
    stream: Stream,
    /// A second handle on the socket, for [`Conn::breaker`].
    socket: Arc<TcpStream>,
    /// The receive timeout last set on the socket, to skip setting it again when unchanged.
    read_timeout: Option<Duration>,
}

/// Within this much of the wanted value, a socket timeout already set is left alone.
const TIMEOUT_SLACK: Duration = Duration::from_millis(5);

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "the call's time ran out")
}

/// Time left until `deadline`, or a `TimedOut` error.
fn left(deadline: Instant) -> io::Result<Duration> {
    match deadline.checked_duration_since(Instant::now()) {
        Some(d) if !d.is_zero() => Ok(d),
        _ => Err(timed_out()),
    }
}

/// Breaks a connection (or a connect under way) from any thread: a read, write or connect
/// blocked on it returns at once; the connection is then useless.
pub(super) type Breaker = Arc<dyn Fn() + Send + Sync>;

fn breaker(socket: &Arc<TcpStream>) -> Breaker {
    let socket = socket.clone();
    Arc::new(move || {
        let _ = socket.shutdown(Shutdown::Both);
    })
}

impl Conn {
    /// Connects (each resolved address in turn, within `connect_timeout` and `deadline`) and,
    /// for `https`, completes the TLS handshake. Nothing of the request is sent yet. `watch`
    /// gets each socket's breaker before its connect starts, so a cancel also stops a connect.
    pub(super) fn open(
        origin: &Origin,
        connect_timeout: Duration,
        deadline: Instant,
        watch: &mut dyn FnMut(Breaker),
    ) -> io::Result<Conn> {
        let until = deadline.min(Instant::now() + connect_timeout);
        let mut last = None;
        let mut opened = None;
        for addr in std::net::ToSocketAddrs::to_socket_addrs(&(origin.host.as_str(), origin.port))?
        {
            let mut attempt = || -> io::Result<(TcpStream, Arc<TcpStream>)> {
                let s = socket2::Socket::new(
                    socket2::Domain::for_address(addr),
                    socket2::Type::STREAM,
                    Some(socket2::Protocol::TCP),
                )?;
                let handle = Arc::new(TcpStream::from(s.try_clone()?));
                watch(breaker(&handle));
                s.connect_timeout(&addr.into(), left(until)?)?;
                Ok((TcpStream::from(s), handle))
            };
            match attempt() {
                Ok(pair) => {
                    opened = Some(pair);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let (tcp, socket) = match (opened, last) {
            (Some(pair), _) => pair,
            (None, Some(e)) => return Err(e),
            (None, None) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{} has no address", origin.host),
                ));
            }
        };
        tcp.set_nodelay(true)?;
        let stream = match &origin.tls {
            None => Stream::Plain(tcp),
            Some((config, name)) => {
                let tls = rustls::ClientConnection::new(config.clone(), name.clone())
                    .map_err(io::Error::other)?;
                let mut s = rustls::StreamOwned::new(tls, tcp);
                s.sock.set_read_timeout(Some(left(until)?))?;
                s.sock.set_write_timeout(Some(left(until)?))?;
                while s.conn.is_handshaking() {
                    s.conn.complete_io(&mut s.sock)?;
                }
                Stream::Tls(Box::new(s))
            }
        };
        let mut conn = Conn {
            stream,
            socket,
            read_timeout: None,
        };
        conn.socket.set_write_timeout(Some(left(deadline)?))?;
        conn.set_deadline(deadline)?;
        Ok(conn)
    }

    /// This connection's [`Breaker`].
    pub(super) fn breaker(&self) -> Breaker {
        breaker(&self.socket)
    }

    /// Makes the next reads give up at `deadline` (a `TimedOut` or `WouldBlock` error).
    pub(super) fn set_deadline(&mut self, deadline: Instant) -> io::Result<()> {
        let want = left(deadline)?;
        let close = self
            .read_timeout
            .is_some_and(|had| had <= want + TIMEOUT_SLACK && want <= had + TIMEOUT_SLACK);
        if !close {
            self.socket.set_read_timeout(Some(want))?;
            self.read_timeout = Some(want);
        }
        Ok(())
    }

    /// Writes all of `bytes` (the request).
    pub(super) fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.stream {
            Stream::Plain(s) => s.write_all(bytes),
            Stream::Tls(s) => {
                s.write_all(bytes)?;
                s.flush()
            }
        }
    }

    /// Reads what has arrived (at least one byte, or 0 at the end of the stream), waiting at
    /// most until the deadline last set.
    pub(super) fn receive(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = match &mut self.stream {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        };
        match r {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => self.receive(buf),
            r => r,
        }
    }

    /// Whether an idle connection can carry another request: the server has not closed it
    /// and sent nothing unasked (a close, a reset, or stray bytes all retire it). One look that
    /// does not wait, right before reuse.
    pub(super) fn is_reusable(&mut self) -> bool {
        match waiting(&self.socket) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => true,
            Ok(0) | Err(_) => false,
            // Something arrived while idle. Over TLS it may be harmless (a session ticket).
            Ok(_) => match &mut self.stream {
                Stream::Plain(_) => false,
                Stream::Tls(s) => {
                    self.socket.set_nonblocking(true).is_ok()
                        && tls_is_quiet(s)
                        && self.socket.set_nonblocking(false).is_ok()
                }
            },
        }
    }
}

/// How many bytes wait on the socket without reading them (`Ok(0)`: closed; `WouldBlock`:
/// none), in one system call.
#[cfg(unix)]
fn waiting(socket: &TcpStream) -> io::Result<usize> {
    let mut one = [std::mem::MaybeUninit::<u8>::uninit()];
    socket2::SockRef::from(socket).recv_with_flags(&mut one, libc::MSG_PEEK | libc::MSG_DONTWAIT)
}

#[cfg(not(unix))]
fn waiting(socket: &TcpStream) -> io::Result<usize> {
    socket.set_nonblocking(true)?;
    let r = socket.peek(&mut [0u8; 1]);
    socket.set_nonblocking(false)?;
    r
}

/// TLS records that arrived while idle may be harmless (a session ticket): read them and
/// keep the connection unless they closed it or carried data.
fn tls_is_quiet(s: &mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>) -> bool {
    loop {
        match s.conn.read_tls(&mut s.sock) {
            Ok(0) => return false,
            Ok(_) => match s.conn.process_new_packets() {
                Ok(state) if state.peer_has_closed() || state.plaintext_bytes_to_read() > 0 => {
                    return false;
                }
                Ok(_) => {}
                Err(_) => return false,
            },
            Err(e) => return e.kind() == io::ErrorKind::WouldBlock,
        }
    }
}
