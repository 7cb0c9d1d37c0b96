//! A stand-in for an EC2 instance metadata service that refuses every request with 403, as a
//! proxy in front of 169.254.169.254 or a locked-down instance does. The AWS credential chain
//! asks it last; its refusal is a provider error, which the chain logs with a dump of the
//! whole response. Tests point `AWS_EC2_METADATA_SERVICE_ENDPOINT` at it to reproduce a machine
//! without AWS credentials, deterministically and without leaving 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::OnceLock;

/// The endpoint (`http://127.0.0.1:PORT`) of the refusing service, started once per process.
pub fn refusing() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake IMDS");
        let endpoint = format!("http://{}", listener.local_addr().expect("its address"));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // Read the request head (the metadata requests have no body), then refuse.
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line.trim() != "" {
                    line.clear();
                }
                let body = "forbidden by policy";
                let _ = write!(
                    &stream,
                    "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        endpoint
    })
}
