//! Route tables: each surface lists its endpoints once, as `(method,
//! pattern, endpoint)`, and gets from the same table both the endpoint of a
//! request and, for a known path called with another method, the `Allow`
//! header of its `405` (RFC 9110).
//!
//! Patterns are literal segments and `:name` captures of one segment
//! (`/v1/campaigns/:id/insights`); an empty segment matches nothing, so
//! trailing and double slashes name no endpoint.

/// One endpoint of a route table.
#[derive(Debug, Clone, Copy)]
pub struct Route<E> {
    pub method: &'static str,
    pub pattern: &'static str,
    pub endpoint: E,
}

impl<E> Route<E> {
    pub const fn new(method: &'static str, pattern: &'static str, endpoint: E) -> Self {
        Self {
            method,
            pattern,
            endpoint,
        }
    }
}

/// What a table says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched<'a, E> {
    /// The endpoint, with the path's captures in order.
    Found(E, Vec<&'a str>),
    /// The path exists with other methods: the `Allow` header value.
    MethodNotAllowed(String),
    NotFound,
}

/// Finds the endpoint of `method` and `path` in `routes`.
pub fn find<'a, E: Copy>(routes: &[Route<E>], method: &str, path: &'a str) -> Matched<'a, E> {
    let mut allowed: Vec<&str> = Vec::new();
    for route in routes {
        let Some(captures) = captures(route.pattern, path) else {
            continue;
        };
        if route.method == method {
            return Matched::Found(route.endpoint, captures);
        }
        if !allowed.contains(&route.method) {
            allowed.push(route.method);
        }
    }
    if allowed.is_empty() {
        Matched::NotFound
    } else {
        Matched::MethodNotAllowed(allowed.join(", "))
    }
}

/// The captures of `path` under `pattern`, when it matches.
fn captures<'a>(pattern: &str, path: &'a str) -> Option<Vec<&'a str>> {
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    let mut captured = Vec::new();
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return Some(captured),
            (Some(expected), Some(actual)) => {
                if let Some(_name) = expected.strip_prefix(':') {
                    if actual.is_empty() {
                        return None;
                    }
                    captured.push(actual);
                } else if expected != actual {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &[Route<u8>] = &[
        Route::new("GET", "/v1/campaigns", 1),
        Route::new("POST", "/v1/campaigns", 2),
        Route::new("GET", "/v1/campaigns/:id", 3),
        Route::new("POST", "/v1/campaigns/:id/activate", 4),
        Route::new("GET", "/v1/campaigns/:id/insights", 5),
    ];

    #[test]
    fn the_endpoint_comes_with_its_captures() {
        assert_eq!(
            find(ROUTES, "POST", "/v1/campaigns"),
            Matched::Found(2, vec![])
        );
        assert_eq!(
            find(ROUTES, "GET", "/v1/campaigns/c1/insights"),
            Matched::Found(5, vec!["c1"])
        );
    }

    #[test]
    fn a_known_path_with_another_method_lists_the_allowed_ones() {
        assert_eq!(
            find(ROUTES, "DELETE", "/v1/campaigns"),
            Matched::MethodNotAllowed("GET, POST".into())
        );
        assert_eq!(
            find(ROUTES, "GET", "/v1/campaigns/c1/activate"),
            Matched::MethodNotAllowed("POST".into())
        );
    }

    #[test]
    fn unknown_paths_empty_segments_and_trailing_slashes_are_not_found() {
        for path in [
            "/v1/nope",
            "/v1/campaigns/",
            "/v1/campaigns//insights",
            "//v1/campaigns",
            "/v1/campaigns/c1/explode",
        ] {
            assert_eq!(find(ROUTES, "GET", path), Matched::NotFound, "{path}");
        }
    }
}
