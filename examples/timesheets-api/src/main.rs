//! Runs the timesheets API on 127.0.0.1.
//!   timesheets-api ISSUER AUDIENCE PORT ALLOWED_ORIGIN
//! With `DPOP_NONCE` set, every DPoP proof must carry that nonce (RFC 9449 §9).
//! `GET /requests` answers how many requests `/timesheets` has had, for tests.
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
    let mut api = Api::new(issuer, audience, keys);
    if let Ok(nonce) = std::env::var("DPOP_NONCE") {
        api = api.demand_nonce(&nonce);
    }
    let mut count = 0u64;
    let server = Server::http(format!("127.0.0.1:{port}")).expect("the port is free");
    eprintln!("timesheets-api listening on http://127.0.0.1:{port}");
    for mut request in server.incoming_requests() {
        let cors = [
            header("Access-Control-Allow-Origin", origin),
            header("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP"),
            header("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
            // fetchWithAuth reads the challenge to decide on a refresh (RFC 6750 §3).
            // and the DPoP nonce (RFC 9449 §9).
            header("Access-Control-Expose-Headers", "WWW-Authenticate, DPoP-Nonce"),
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
        let get = |name: &'static str| request.headers().iter().find(|h| h.field.equiv(name)).map(|h| h.value.as_str().to_owned());
        let (authorization, dpop) = (get("Authorization"), get("DPoP"));
        let path = request.url().split('?').next().unwrap_or("").to_owned();
        if path == "/requests" {
            let _ = request.respond(Response::from_string(format!("{{\"timesheets\":{count}}}")).with_header(cors[0].clone()));
            continue;
        }
        count += u64::from(path == "/timesheets");
        let url = format!("http://127.0.0.1:{port}{path}");
        let answer = api.handle(&Request {
            method: request.method().as_str(),
            path: &path,
            url: &url,
            authorization: authorization.as_deref(),
            dpop: dpop.as_deref(),
            body: &body,
        });
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
