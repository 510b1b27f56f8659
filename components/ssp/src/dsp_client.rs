//! Calling DSPs: the registry of enabled DSPs, and JSON POSTs whose
//! response bodies are read up to a limit.

use adspin_core::db::{Database, DbError};
use futures::StreamExt;
use serde_json::Value;
use spin_sdk::http::{IncomingResponse, Method, Request, send};

/// A DSP the auction calls.
#[derive(Debug, Clone)]
pub struct Dsp {
    pub id: String,
    pub bid_url: String,
    pub render_url: Option<String>,
    pub auth_token: Option<String>,
    pub timeout_ms: u64,
}

/// The enabled DSPs.
pub fn enabled(db: &impl Database) -> Result<Vec<Dsp>, DbError> {
    let rows = db.execute(
        "SELECT id, bid_url, render_url, auth_token, timeout_ms FROM dsps WHERE enabled = 1 ORDER BY id",
        &[],
    )?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Dsp {
                id: row.text(0)?.to_string(),
                bid_url: row.text(1)?.to_string(),
                render_url: row.text(2).map(String::from),
                auth_token: row.text(3).map(String::from),
                timeout_ms: u64::try_from(row.integer(4)?).ok()?,
            })
        })
        .collect())
}

/// POSTs `body` as JSON and returns the status and at most `limit` bytes
/// of the response body (a longer body is an error).
pub async fn post_json(
    url: &str,
    body: &Value,
    headers: &[(&str, String)],
    limit: usize,
) -> Result<(u16, Vec<u8>), String> {
    let mut builder = Request::builder();
    builder
        .method(Method::Post)
        .uri(url)
        .header("content-type", "application/json");
    for (name, value) in headers {
        builder.header(*name, value.as_str());
    }
    let request = builder.body(body.to_string()).build();
    let response: IncomingResponse = send(request)
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let mut stream = response.take_body_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("reading the response failed: {e:?}"))?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() > limit {
            return Err(format!("response body larger than {limit} bytes"));
        }
    }
    Ok((status, bytes))
}
