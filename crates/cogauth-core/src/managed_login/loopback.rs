//! The one-shot loopback listener that receives the browser's redirect.
//!
//! It listens on the `redirect_uri`'s host and port (`localhost` is both 127.0.0.1 and ::1, as
//! browsers try either), answers anything that is not a GET of the callback path with a small
//! error page and goes on waiting, and returns the first GET of the callback path with its
//! connection still open, so the page the browser shows can tell the truth about the token
//! exchange that follows. Then every listening socket is closed: exactly one callback is
//! accepted. The wait is bounded.
//!
//! The request is parsed here rather than by an HTTP server crate: one request line of one
//! GET, from a browser on this machine, is all it takes, and hyper's server half is not in the
//! binary. Requests are read concurrently, so a browser's speculative connection that never
//! sends anything does not hold up the real one.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use url::Url;
use zeroize::Zeroizing;

use super::ManagedLoginError;

/// How long one connection may take to send its request line and headers.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long writing an answer may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head read: a callback's query is well under 4 KiB.
const MAX_HEAD: usize = 16 * 1024;

/// Listening sockets for one redirect URI.
#[derive(Debug)]
pub(crate) struct Loopback {
    listeners: Vec<TcpListener>,
    path: String,
    redirect_uri: String,
}

/// The callback request, its connection still open for the answer.
pub(crate) struct Arrival {
    /// The query of the callback URL (it holds the code).
    pub query: Zeroizing<String>,
    stream: TcpStream,
}

impl std::fmt::Debug for Arrival {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arrival")
            .field("query", &"** redacted **")
            .finish_non_exhaustive()
    }
}

/// A page the listener answers with.
#[derive(Debug, Clone)]
pub(crate) enum Page {
    SignedIn { username: String },
    SignedOut,
    Failed { message: String },
}

impl Loopback {
    /// Listens on `redirect_uri`'s host and port.
    pub async fn bind(redirect_uri: &Url) -> Result<Self, ManagedLoginError> {
        let not_loopback = || ManagedLoginError::NotLoopback {
            redirect_uri: redirect_uri.to_string(),
        };
        if redirect_uri.scheme() != "http" || !crate::config::ids::is_loopback_host(redirect_uri) {
            return Err(not_loopback());
        }
        let port = redirect_uri.port_or_known_default().unwrap_or(80);
        // (address, required): ::1 is optional for `localhost`, a machine may have no IPv6.
        let addresses: Vec<(IpAddr, bool)> = match redirect_uri.host() {
            Some(url::Host::Domain(_)) => vec![
                (IpAddr::V4(Ipv4Addr::LOCALHOST), true),
                (IpAddr::V6(Ipv6Addr::LOCALHOST), false),
            ],
            Some(url::Host::Ipv4(ip)) => vec![(IpAddr::V4(ip), true)],
            Some(url::Host::Ipv6(ip)) => vec![(IpAddr::V6(ip), true)],
            None => return Err(not_loopback()),
        };
        let mut listeners = Vec::new();
        for (ip, required) in addresses {
            let address = SocketAddr::new(ip, port);
            match TcpListener::bind(address).await {
                Ok(listener) => listeners.push(listener),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    return Err(ManagedLoginError::PortInUse {
                        address: address.to_string(),
                        redirect_uri: redirect_uri.to_string(),
                    });
                }
                Err(e) if !required => {
                    tracing::debug!(%address, error = %e, "not listening on this address");
                }
                Err(cause) => {
                    return Err(ManagedLoginError::Listen {
                        address: address.to_string(),
                        redirect_uri: redirect_uri.to_string(),
                        cause,
                    });
                }
            }
        }
        Ok(Self {
            listeners,
            path: redirect_uri.path().to_owned(),
            redirect_uri: redirect_uri.to_string(),
        })
    }

    /// Waits at most `limit` for a GET of the callback path. Whatever else arrives meanwhile
    /// is answered with an error page; the listeners are closed when this returns.
    pub async fn wait(self, limit: Duration) -> Result<Arrival, ManagedLoginError> {
        let (tx, mut rx) = mpsc::channel::<(Head, TcpStream)>(16);
        // Dropping the set aborts its tasks, which closes the listening sockets.
        let mut accepting = JoinSet::new();
        for listener in self.listeners {
            let tx = tx.clone();
            accepting.spawn(async move {
                loop {
                    match listener.accept().await {
                        Ok((stream, _)) => {
                            tokio::spawn(read_head(stream, tx.clone()));
                        }
                        // Out of file descriptors, or the like: try again shortly.
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            });
        }
        drop(tx);
        let deadline = tokio::time::sleep(limit);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => {
                    return Err(ManagedLoginError::Timeout {
                        seconds: limit.as_secs(),
                        redirect_uri: self.redirect_uri,
                    });
                }
                Some((head, mut stream)) = rx.recv() => {
                    let (path, query) = match head.target.split_once('?') {
                        Some((path, query)) => (path, query),
                        None => (head.target.as_str(), ""),
                    };
                    if head.method == "GET" && path == self.path {
                        return Ok(Arrival {
                            query: Zeroizing::new(query.to_owned()),
                            stream,
                        });
                    }
                    let (status, message) = match head.method.as_str() {
                        "GET" => ("404 Not Found", format!(
                            "This is cogauth's sign-in listener: it only answers {}.",
                            self.path
                        )),
                        _ => ("405 Method Not Allowed", "Only GET is answered here.".to_owned()),
                    };
                    tokio::spawn(async move {
                        write_page(&mut stream, status, "Not found", &message).await;
                    });
                }
            }
        }
    }
}

impl Arrival {
    /// Answers the callback with `page` and closes the connection.
    pub async fn answer(mut self, page: Page) {
        let (status, title, message) = match page {
            Page::SignedIn { username } => (
                "200 OK",
                "Signed in",
                format!(
                    "You are signed in as {username}. cogauth is getting your AWS credentials: \
                     return to the terminal. You can close this tab."
                ),
            ),
            Page::SignedOut => (
                "200 OK",
                "Signed out",
                "The managed login session has ended. You can close this tab.".to_owned(),
            ),
            Page::Failed { message } => (
                "400 Bad Request",
                "Sign-in failed",
                format!("{message}. Return to the terminal for details."),
            ),
        };
        write_page(&mut self.stream, status, title, &message).await;
    }
}

/// A request line, read from one connection.
struct Head {
    method: String,
    target: Zeroizing<String>,
}

/// Reads the request head of `stream` and hands it on; gives up on a slow, oversized or
/// malformed request (answering the last two with 400).
async fn read_head(mut stream: TcpStream, tx: mpsc::Sender<(Head, TcpStream)>) {
    let mut buf = Zeroizing::new(Vec::with_capacity(2048));
    let read = tokio::time::timeout(READ_TIMEOUT, async {
        let mut chunk = [0u8; 2048];
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            chunk.fill(0);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.len() > MAX_HEAD {
                return Some(());
            }
        }
    })
    .await;
    if !matches!(read, Ok(Some(()))) {
        return;
    }
    let head = std::str::from_utf8(&buf)
        .ok()
        .and_then(|text| text.split("\r\n").next())
        .and_then(|line| {
            let mut parts = line.split(' ');
            let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
            (version.starts_with("HTTP/") && target.starts_with('/') && parts.next().is_none())
                .then(|| Head {
                    method: method.to_owned(),
                    target: Zeroizing::new(target.to_owned()),
                })
        });
    match head {
        Some(head) if buf.len() <= MAX_HEAD => {
            let _ = tx.send((head, stream)).await;
        }
        _ => {
            write_page(
                &mut stream,
                "400 Bad Request",
                "Bad request",
                "Malformed request.",
            )
            .await
        }
    }
}

/// Escapes text for HTML: the message may quote what the redirect carried.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page: no script, no link, nothing loaded from elsewhere (the CSP says so too).
fn page_html(title: &str, message: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>cogauth: {title}</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:4em auto;max-width:36em;\
         padding:0 1em;line-height:1.5}}h1{{font-size:1.5em}}</style></head>\n\
         <body><h1 id=\"title\">{title}</h1>\n<p id=\"message\">{}</p></body></html>\n",
        escape(message)
    )
}

async fn write_page(stream: &mut TcpStream, status: &str, title: &str, message: &str) {
    let body = page_html(title, message);
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\
         Referrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n\
         X-Frame-Options: DENY\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(WRITE_TIMEOUT, async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A free loopback port (bound, then released).
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    async fn get(port: u16, target: &str) -> std::io::Result<String> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
        s.write_all(format!("GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n").as_bytes())
            .await?;
        let mut out = String::new();
        s.read_to_string(&mut out).await?;
        Ok(out)
    }

    #[tokio::test]
    async fn answers_strays_and_returns_the_one_callback() {
        let port = free_port();
        let uri = Url::parse(&format!("http://localhost:{port}/callback")).unwrap();
        let listener = Loopback::bind(&uri).await.unwrap();
        let waiting = tokio::spawn(listener.wait(Duration::from_secs(30)));
        // A connection that never sends anything does not hold the others up.
        let _idle = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let stray = get(port, "/favicon.ico").await.unwrap();
        assert!(stray.starts_with("HTTP/1.1 404"), "{stray}");
        let client = tokio::spawn(get(port, "/callback?code=c&state=s"));
        let arrival = waiting.await.unwrap().unwrap();
        assert_eq!(arrival.query.as_str(), "code=c&state=s");
        arrival
            .answer(Page::Failed {
                message: "<script>alert(1)</script>".to_owned(),
            })
            .await;
        let page = client.await.unwrap().unwrap();
        assert!(page.starts_with("HTTP/1.1 400"), "{page}");
        assert!(page.contains("&lt;script&gt;"), "{page}");
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("Content-Security-Policy: default-src 'none'"));
        // Exactly one callback: the port is closed now.
        assert!(get(port, "/callback?code=c&state=s").await.is_err());
    }

    #[tokio::test]
    async fn a_busy_port_and_a_non_loopback_uri_are_refused() {
        let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = busy.local_addr().unwrap().port();
        let uri = Url::parse(&format!("http://localhost:{port}/callback")).unwrap();
        let err = Loopback::bind(&uri).await.unwrap_err();
        assert!(matches!(err, ManagedLoginError::PortInUse { .. }), "{err}");
        for remote in [
            "https://localhost:8443/callback",
            "http://example.com:8080/callback",
        ] {
            let err = Loopback::bind(&Url::parse(remote).unwrap())
                .await
                .unwrap_err();
            assert!(
                matches!(err, ManagedLoginError::NotLoopback { .. }),
                "{err}"
            );
        }
    }

    #[tokio::test]
    async fn the_wait_is_bounded() {
        let port = free_port();
        let uri = Url::parse(&format!("http://127.0.0.1:{port}/cb")).unwrap();
        let listener = Loopback::bind(&uri).await.unwrap();
        let err = listener.wait(Duration::from_millis(200)).await.unwrap_err();
        assert!(matches!(err, ManagedLoginError::Timeout { .. }), "{err}");
    }
}
