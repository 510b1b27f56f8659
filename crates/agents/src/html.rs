//! The pages a person (not an agent) opens: the checkout page of an
//! emailed payment link and the OAuth consent page. The only HTML the
//! agents API serves: everything an agent reads is JSON.

use adspin_core::web::Response;

/// An HTML page with `status`.
pub fn page(status: u16, title: &str, body: &str) -> Response {
    let document = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2328}}\
         .card{{border:1px solid #d0d7de;border-radius:12px;padding:1.5rem 2rem}}\
         .price{{font-size:2rem;font-weight:600;margin:.5rem 0}}\
         button{{font-size:1rem;padding:.6rem 1.4rem;border-radius:8px;border:0;cursor:pointer;margin-right:.5rem}}\
         .pay{{background:#1f6feb;color:#fff}}.decline{{background:#eaeef2;color:#1f2328}}\
         .note{{color:#57606a;font-size:.9rem}}\
         label{{display:block;margin:.6rem 0 .2rem}}input[type=email],input[type=password]{{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}}\
         ul.scopes{{padding-left:1.2rem}}.error{{color:#cf222e}}</style></head>\
         <body><div class=\"card\"><h1>{title}</h1>{body}</div></body></html>\n",
        title = escape(title),
    );
    let mut response = Response::new(document.into_bytes());
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        "content-security-policy",
        http::HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        "x-content-type-options",
        http::HeaderValue::from_static("nosniff"),
    );
    response
}

/// A redirect of a person's browser to `location` (`302 Found` or `303
/// See Other`), never cached.
pub fn redirect(status: http::StatusCode, location: &str) -> Response {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = status;
    if let Ok(value) = http::HeaderValue::from_str(location) {
        response.headers_mut().insert(http::header::LOCATION, value);
    }
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    response
}

/// Text made safe for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">O'Neil & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;"
        );
        let page = page(200, "<Pay>", "<p>ok</p>");
        let text = String::from_utf8(page.body().clone()).expect("utf-8");
        assert!(text.contains("<title>&lt;Pay&gt;</title>"));
        assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    }
}
