//! Binding the listening socket of the server commands (`serve`, `playground`) from their
//! `--host` and `--port` flags.

use std::net::SocketAddr;

use clap::ArgMatches;
use tokio::net::TcpListener;
use visionxl::{Error, ErrorCode};

/// Listens on `--host`:`--port` (port 0 picks a free one); returns the listener, the address
/// it got and the host as given.
pub async fn bind(m: &ArgMatches) -> Result<(TcpListener, SocketAddr, String), Error> {
    let host = m.get_one::<String>("host").expect("default").clone();
    let port = *m.get_one::<u16>("port").expect("default");
    let listener = TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|e| {
            Error::new(
                ErrorCode::IoError,
                format!("cannot listen on {host}:{port}: {e}"),
            )
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::new(ErrorCode::IoError, format!("no local address: {e}")))?;
    Ok((listener, addr, host))
}
