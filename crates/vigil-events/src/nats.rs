//! A small blocking NATS client over the text protocol (INFO, CONNECT, PING/PONG, SUB, HPUB,
//! MSG/HMSG, +OK/-ERR): enough to publish to JetStream with `Nats-Msg-Id` and collect the
//! PubAcks, and to make JetStream API requests (tests read streams with it). No TLS: plain
//! `nats://host:port` (optionally `nats://user:pass@host:port` or `nats://token@host:port`).
//!
//! Publishing is pipelined: a batch of HPUBs goes out in one write, each with its own reply
//! subject under one wildcard subscription, and the acks are matched back by reply subject.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("nats `{url}`: {message}")]
    Protocol { url: String, message: String },
    #[error("nats `{url}`: {source}")]
    Io { url: String, source: std::io::Error },
}

/// The largest message (header and payload) read back.
const MAX_MESSAGE: usize = 8 << 20;

/// A JetStream publish acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubAck {
    pub stream: String,
    pub seq: u64,
    pub duplicate: bool,
}

/// A received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub reply: Option<String>,
    /// The header block (`NATS/1.0 …` lines), if any.
    pub headers: Option<String>,
    pub payload: Vec<u8>,
}

impl Message {
    /// The status code on the header block's first line (`NATS/1.0 503`), if any.
    pub fn status(&self) -> Option<u16> {
        let first = self.headers.as_deref()?.lines().next()?;
        first.split_whitespace().nth(1)?.parse().ok()
    }
}

pub struct Client {
    url: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    inbox: String,
    next: u64,
}

/// A URL's credentials: a user and password, or a token (no password).
pub type Credentials = (String, Option<String>);

/// `host:port` and the credentials of a `nats://` URL.
pub fn parse_url(url: &str) -> Result<(String, Option<Credentials>), String> {
    let rest = url
        .strip_prefix("nats://")
        .ok_or_else(|| "must start with nats:// (TLS is not supported)".to_owned())?;
    let rest = rest.trim_end_matches('/');
    let (auth, hostport) = match rest.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, rest),
    };
    if hostport.is_empty() || hostport.contains('/') {
        return Err("needs a host[:port] and nothing after it".into());
    }
    let hostport = if hostport
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !hostport.ends_with(']')
    {
        hostport.to_owned()
    } else {
        format!("{hostport}:4222")
    };
    let creds = auth.map(|a| match a.split_once(':') {
        Some((u, p)) => (u.to_owned(), Some(p.to_owned())),
        None => (a.to_owned(), None),
    });
    Ok((hostport, creds))
}

impl Client {
    /// Connects, sends CONNECT (headers on, no-responders on) and waits for the PONG.
    pub fn connect(url: &str, timeout: Duration) -> Result<Client, Error> {
        let perr = |m: String| Error::Protocol {
            url: redact(url),
            message: m,
        };
        let (hostport, creds) = parse_url(url).map_err(perr)?;
        let io = |e| Error::Io {
            url: redact(url),
            source: e,
        };
        let addrs: Vec<std::net::SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(&hostport)
            .map_err(io)?
            .collect();
        let mut last = None;
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let stream = match stream {
            Some(s) => s,
            None => {
                return Err(io(last.unwrap_or_else(|| {
                    std::io::Error::other("the host name resolved to no address")
                })));
            }
        };
        stream.set_read_timeout(Some(timeout)).map_err(io)?;
        stream.set_write_timeout(Some(timeout)).map_err(io)?;
        stream.set_nodelay(true).map_err(io)?;
        let writer = stream.try_clone().map_err(io)?;
        let mut c = Client {
            url: redact(url),
            reader: BufReader::new(stream),
            writer,
            inbox: format!(
                "_INBOX.vigil{:016x}",
                (crate::random_unit() * 2f64.powi(63)) as u64
            ),
            next: 0,
        };
        let info = c.line()?;
        let Some(info) = info.strip_prefix("INFO ") else {
            return Err(c.err(format!("expected INFO, got `{}`", clip(&info))));
        };
        let info: Value = serde_json::from_str(info).unwrap_or(Value::Null);
        if info["tls_required"] == true {
            return Err(c.err("the server requires TLS, which this client does not speak".into()));
        }
        if info["headers"] == false {
            return Err(
                c.err("the server does not support headers (NATS 2.2 or later needed)".into())
            );
        }
        let mut connect = json!({
            "verbose": false, "pedantic": false, "tls_required": false, "headers": true,
            "no_responders": true, "lang": "rust-vigil", "version": env!("CARGO_PKG_VERSION"),
            "protocol": 1, "echo": false,
        });
        match creds {
            Some((user, Some(pass))) => {
                connect["user"] = json!(user);
                connect["pass"] = json!(pass);
            }
            Some((token, None)) => connect["auth_token"] = json!(token),
            None => {}
        }
        let sub = format!("SUB {}.* 1\r\n", c.inbox);
        c.write(format!("CONNECT {connect}\r\n{sub}PING\r\n").as_bytes())?;
        loop {
            let l = c.line()?;
            if l == "PONG" {
                break;
            }
            if let Some(e) = l.strip_prefix("-ERR") {
                return Err(c.err(format!("connect refused: {}", e.trim())));
            }
        }
        Ok(c)
    }

    fn err(&self, message: String) -> Error {
        Error::Protocol {
            url: self.url.clone(),
            message,
        }
    }

    fn write(&mut self, b: &[u8]) -> Result<(), Error> {
        self.writer.write_all(b).map_err(|e| Error::Io {
            url: self.url.clone(),
            source: e,
        })
    }

    fn line(&mut self) -> Result<String, Error> {
        let mut buf = Vec::new();
        let n = (&mut self.reader)
            .take(64 * 1024)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::Io {
                url: self.url.clone(),
                source: e,
            })?;
        if n == 0 {
            return Err(self.err("connection closed".into()));
        }
        if !buf.ends_with(b"\n") {
            return Err(self.err("protocol line too long".into()));
        }
        let s = String::from_utf8_lossy(&buf);
        Ok(s.trim_end_matches(['\r', '\n']).to_owned())
    }

    /// Reads until the next message, answering PINGs.
    fn next_message(&mut self, deadline: Instant) -> Result<Message, Error> {
        loop {
            if Instant::now() > deadline {
                return Err(self.err("timed out waiting for a reply".into()));
            }
            let l = self.line()?;
            let mut parts = l.split_whitespace();
            match parts.next() {
                Some("PING") => self.write(b"PONG\r\n")?,
                Some("PONG") | Some("+OK") | Some("INFO") | None => {}
                Some("-ERR") => return Err(self.err(format!("server error: {}", clip(&l[4..])))),
                Some(op @ ("MSG" | "HMSG")) => {
                    let args: Vec<&str> = parts.collect();
                    let headed = op == "HMSG";
                    let need = if headed { 4 } else { 3 };
                    if args.len() != need && args.len() != need + 1 {
                        return Err(self.err(format!("malformed `{}`", clip(&l))));
                    }
                    let subject = args[0].to_owned();
                    let reply = (args.len() == need + 1).then(|| args[2].to_owned());
                    let num = |s: &str| s.parse::<usize>().ok();
                    let total = args.last().and_then(|s| num(s));
                    let hlen = if headed {
                        num(args[args.len() - 2])
                    } else {
                        Some(0)
                    };
                    let (Some(total), Some(hlen)) = (total, hlen) else {
                        return Err(self.err(format!("malformed `{}`", clip(&l))));
                    };
                    if total > MAX_MESSAGE || hlen > total {
                        return Err(self.err(format!("message of {total} bytes refused")));
                    }
                    let mut body = vec![0u8; total + 2];
                    self.reader.read_exact(&mut body).map_err(|e| Error::Io {
                        url: self.url.clone(),
                        source: e,
                    })?;
                    body.truncate(total);
                    let payload = body.split_off(hlen);
                    let headers = headed.then(|| String::from_utf8_lossy(&body).into_owned());
                    return Ok(Message {
                        subject,
                        reply,
                        headers,
                        payload,
                    });
                }
                Some(_) => {}
            }
        }
    }

    /// Publishes each `(msg id, payload)` to `subject` with `Nats-Msg-Id`, pipelined, and
    /// answers each one's outcome in order: its PubAck, or why it has none (no stream on the
    /// subject, a JetStream error, no answer before `timeout`).
    pub fn publish_batch(
        &mut self,
        subject: &str,
        msgs: &[(&str, &[u8])],
        timeout: Duration,
    ) -> Result<Vec<Result<PubAck, String>>, Error> {
        let mut out = Vec::with_capacity(msgs.len() * 256);
        let first = self.next;
        for (id, payload) in msgs {
            if id.contains(['\r', '\n']) {
                return Err(self.err("a message id must be one line".into()));
            }
            let headers = format!("NATS/1.0\r\nNats-Msg-Id: {id}\r\n\r\n");
            write!(
                out,
                "HPUB {subject} {}.{} {} {}\r\n",
                self.inbox,
                self.next,
                headers.len(),
                headers.len() + payload.len()
            )
            .map_err(|e| Error::Io {
                url: self.url.clone(),
                source: e,
            })?;
            out.extend_from_slice(headers.as_bytes());
            out.extend_from_slice(payload);
            out.extend_from_slice(b"\r\n");
            self.next += 1;
        }
        self.write(&out)?;
        let mut results: Vec<Option<Result<PubAck, String>>> = vec![None; msgs.len()];
        let mut pending = msgs.len();
        let deadline = Instant::now() + timeout;
        let prefix = format!("{}.", self.inbox);
        while pending > 0 {
            let m = match self.next_message(deadline) {
                Ok(m) => m,
                Err(e) => {
                    let why = e.to_string();
                    return Ok(results
                        .into_iter()
                        .map(|r| r.unwrap_or_else(|| Err(why.clone())))
                        .collect());
                }
            };
            let Some(n) = m
                .subject
                .strip_prefix(&prefix)
                .and_then(|s| s.parse::<u64>().ok())
            else {
                continue;
            };
            let Some(i) = n.checked_sub(first).map(|i| i as usize) else {
                continue; // an ack of an earlier batch that timed out
            };
            let Some(slot) = results.get_mut(i) else {
                continue;
            };
            if slot.is_none() {
                pending -= 1;
            }
            *slot = Some(ack_of(&m));
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err("no ack".into())))
            .collect())
    }

    /// A request (JetStream API and the like): publishes `payload` with a reply subject and
    /// waits for the one answer.
    pub fn request(
        &mut self,
        subject: &str,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<Message, Error> {
        let n = self.next;
        self.next += 1;
        let mut out =
            format!("PUB {subject} {}.{n} {}\r\n", self.inbox, payload.len()).into_bytes();
        out.extend_from_slice(payload);
        out.extend_from_slice(b"\r\n");
        self.write(&out)?;
        let want = format!("{}.{n}", self.inbox);
        let deadline = Instant::now() + timeout;
        loop {
            let m = self.next_message(deadline)?;
            if m.subject == want {
                if m.status() == Some(503) {
                    return Err(self.err(format!("no responders on `{subject}`")));
                }
                return Ok(m);
            }
        }
    }

    /// A JetStream API request whose answer is JSON; an `error` member is an error.
    pub fn js_api(&mut self, api: &str, body: &Value, timeout: Duration) -> Result<Value, Error> {
        let m = self.request(
            &format!("$JS.API.{api}"),
            body.to_string().as_bytes(),
            timeout,
        )?;
        let v: Value = serde_json::from_slice(&m.payload)
            .map_err(|e| self.err(format!("{api}: answer is not JSON: {e}")))?;
        if let Some(e) = v.get("error") {
            return Err(self.err(format!("{api}: {e}")));
        }
        Ok(v)
    }
}

fn ack_of(m: &Message) -> Result<PubAck, String> {
    if m.status() == Some(503) {
        return Err("no JetStream stream listens on the subject (503 no responders)".into());
    }
    let v: Value =
        serde_json::from_slice(&m.payload).map_err(|e| format!("PubAck is not JSON: {e}"))?;
    if let Some(e) = v.get("error") {
        return Err(format!("JetStream refused the message: {e}"));
    }
    match (v["stream"].as_str(), v["seq"].as_u64()) {
        (Some(stream), Some(seq)) => Ok(PubAck {
            stream: stream.to_owned(),
            seq,
            duplicate: v["duplicate"] == true,
        }),
        _ => Err(format!("not a PubAck: {}", clip(&v.to_string()))),
    }
}

fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

/// The URL with any credentials replaced, for logs and errors.
pub fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://***@{host}"),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("nats://127.0.0.1:4223").unwrap().0,
            "127.0.0.1:4223"
        );
        assert_eq!(parse_url("nats://localhost").unwrap().0, "localhost:4222");
        let (h, c) = parse_url("nats://u:p@h:1").unwrap();
        assert_eq!(h, "h:1");
        assert_eq!(c, Some(("u".into(), Some("p".into()))));
        assert!(parse_url("tls://h:1").is_err());
        assert!(parse_url("nats://h:1/x").is_err());
        assert_eq!(redact("nats://u:p@h:1"), "nats://***@h:1");
    }
}
