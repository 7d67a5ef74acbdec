//! Runs the timesheets API on 127.0.0.1.
//!   timesheets-api ISSUER AUDIENCE PORT ALLOWED_ORIGIN
use std::io::Read;
use timesheets_api::{fetch_keys, Api, Request};
use tiny_http::{Header, Response, Server};

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid header")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, issuer, audience, port, origin] = args.as_slice() else {
        eprintln!("usage: timesheets-api ISSUER AUDIENCE PORT ALLOWED_ORIGIN");
        std::process::exit(2);
    };
    let keys = fetch_keys(issuer).unwrap_or_else(|e| {
        eprintln!("timesheets-api: cannot read the provider's keys: {e}");
        std::process::exit(1);
    });
    let api = Api::new(issuer, audience, keys);
    let server = Server::http(format!("127.0.0.1:{port}")).expect("the port is free");
    eprintln!("timesheets-api listening on http://127.0.0.1:{port}");
    for mut request in server.incoming_requests() {
        let cors = [
            header("Access-Control-Allow-Origin", origin),
            header("Access-Control-Allow-Headers", "Authorization, Content-Type"),
            header("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
            // fetchWithAuth reads the challenge to decide on a refresh (RFC 6750 §3).
            header("Access-Control-Expose-Headers", "WWW-Authenticate"),
            header("Vary", "Origin"),
        ];
        if request.method().as_str() == "OPTIONS" {
            let mut r = Response::empty(204);
            for h in cors {
                r.add_header(h);
            }
            let _ = request.respond(r);
            continue;
        }
        let mut body = String::new();
        if request.as_reader().take(64 * 1024).read_to_string(&mut body).is_err() {
            let _ = request.respond(Response::from_string("{\"error\":\"invalid_request\"}").with_status_code(400));
            continue;
        }
        let authorization = request.headers().iter().find(|h| h.field.equiv("Authorization")).map(|h| h.value.as_str().to_owned());
        let path = request.url().split('?').next().unwrap_or("").to_owned();
        let answer =
            api.handle(&Request { method: request.method().as_str(), path: &path, authorization: authorization.as_deref(), body: &body });
        let mut r =
            Response::from_string(answer.body).with_status_code(answer.status).with_header(header("Content-Type", "application/json"));
        for (k, v) in answer.headers {
            r.add_header(header(k, &v));
        }
        for h in cors {
            r.add_header(h);
        }
        let _ = request.respond(r);
    }
}
