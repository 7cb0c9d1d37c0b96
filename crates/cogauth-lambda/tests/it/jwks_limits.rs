//! The JWKS is read with a size cap *while it streams*: an endless or huge answer is cut off at
//! the first byte past 256 KiB (or refused from its Content-Length before any is read), instead
//! of being buffered whole. Served by raw loopback servers that count what they manage to send.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cogauth_lambda::verify::{HttpJwks, JwksError, JwksSource, MAX_JWKS_BYTES};
use serde_json::json;

use crate::common::*;

/// What a test server sends after the request line and headers have been read.
#[derive(Clone, Copy)]
enum Answer {
    /// `Transfer-Encoding: chunked`, 64 KiB chunks, forever (until the client hangs up).
    Endless,
    /// A `Content-Length` of 1 GiB, then 64 KiB, then silence.
    HugeLength,
    /// This body, with its length.
    Body(&'static [u8]),
}

/// Serves `answer` to every connection; returns the URL and the body bytes written so far.
fn serve(answer: Answer) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let written = Arc::new(AtomicUsize::new(0));
    let counter = written.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut byte = [0];
                while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    request.push(byte[0]);
                }
                let chunk = vec![b' '; 64 * 1024];
                match answer {
                    Answer::Endless => {
                        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
                        if stream.write_all(head.as_bytes()).is_err() {
                            return;
                        }
                        let framed = [
                            format!("{:x}\r\n", chunk.len()).into_bytes(),
                            chunk.clone(),
                            b"\r\n".to_vec(),
                        ]
                        .concat();
                        while stream.write_all(&framed).is_ok() {
                            counter.fetch_add(chunk.len(), Ordering::SeqCst);
                        }
                    }
                    Answer::HugeLength => {
                        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n";
                        if stream.write_all(head.as_bytes()).is_ok()
                            && stream.write_all(&chunk).is_ok()
                        {
                            counter.fetch_add(chunk.len(), Ordering::SeqCst);
                        }
                        // Hold the connection open: a client that waited for the body would hang.
                        std::thread::sleep(std::time::Duration::from_secs(30));
                    }
                    Answer::Body(body) => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(head.as_bytes());
                        let _ = stream.write_all(body);
                        counter.fetch_add(body.len(), Ordering::SeqCst);
                    }
                }
            });
        }
    });
    (url, written)
}

#[tokio::test]
async fn an_endless_jwks_is_cut_off_while_it_streams() {
    let (url, written) = serve(Answer::Endless);
    let err = HttpJwks::new(&url).unwrap().fetch().await.unwrap_err();
    // Buffering first would have run into the 5 s timeout instead, after reading gigabytes.
    assert!(
        matches!(&err, JwksError::TooLarge { limit, .. } if *limit == MAX_JWKS_BYTES),
        "{err}"
    );
    assert!(
        err.to_string().contains("larger than 262144 bytes"),
        "{err}"
    );
    // Let the server notice the hang-up, then see how much it got out: the cap, plus what the
    // kernel's socket buffers took in before the client stopped reading.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let sent = written.load(Ordering::SeqCst);
    assert!(
        sent < 32 * 1024 * 1024,
        "the server wrote {sent} bytes before the client hung up"
    );
}

#[tokio::test]
async fn a_jwks_announcing_a_huge_length_is_refused_before_reading() {
    let (url, _) = serve(Answer::HugeLength);
    let err = HttpJwks::new(&url).unwrap().fetch().await.unwrap_err();
    assert!(matches!(err, JwksError::TooLarge { .. }), "{err}");
}

#[tokio::test]
async fn a_jwks_just_under_the_cap_is_read() {
    let keys = String::from_utf8(data("signing-jwks.json")).unwrap();
    let padded = format!("{keys}{}", " ".repeat(MAX_JWKS_BYTES - keys.len()));
    assert_eq!(padded.len(), MAX_JWKS_BYTES);
    let (url, _) = serve(Answer::Body(Box::leak(
        padded.into_bytes().into_boxed_slice(),
    )));
    let set = HttpJwks::new(&url).unwrap().fetch().await.unwrap();
    assert_eq!(set.keys.len(), 1);

    let over = format!("{keys}{}", " ".repeat(MAX_JWKS_BYTES - keys.len() + 1));
    let (url, _) = serve(Answer::Body(Box::leak(
        over.into_bytes().into_boxed_slice(),
    )));
    let err = HttpJwks::new(&url).unwrap().fetch().await.unwrap_err();
    assert!(matches!(err, JwksError::TooLarge { .. }), "{err}");
}

#[tokio::test]
async fn the_handler_answers_503_when_the_jwks_is_too_large() {
    let (url, _) = serve(Answer::Endless);
    let f = fakes_with(
        config_with(&[("COGAUTH_JWKS_URL", &url)]),
        ScriptedJwks::fixed(jwks("signing-jwks.json")),
        StsBehaviour::Issue,
    );
    // The fakes verify with a scripted key set; this one fetches over HTTP like the function.
    let verifier = cogauth_lambda::verify::Verifier::new(
        cogauth_lambda::verify::VerifierSettings::new(ISSUER, vec![CLIENT_ID.to_owned()]),
        Arc::new(HttpJwks::new(&url).unwrap()),
        f.clock.clone(),
    );
    let deps = cogauth_lambda::Deps {
        config: f.deps.config,
        verifier,
        sessions: f.sessions.clone(),
        assumer: f.sts.clone(),
    };
    let (status, _) = invoke(&deps, json!({"id_token": token(&id_claims())})).await;
    assert_eq!(status, 503);
    assert!(f.sts.calls().is_empty());
}
