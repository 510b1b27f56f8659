//! Maps request paths to components exactly like Spin's HTTP trigger.
//!
//! The rule: exact routes first, then the longest matching wildcard prefix;
//! `:name` segments capture one path segment and a trailing `/...` captures
//! the rest of the path. Matching is delegated to `routefinder`, the crate
//! Spin itself uses, with routes rewritten the same way Spin rewrites them.

use anyhow::{Result, anyhow};

use crate::manifest::{HttpTrigger, TriggerRoute};

/// Routes of an application, built once at startup.
#[derive(Debug)]
pub struct Router {
    inner: routefinder::Router<RouteEntry>,
}

#[derive(Debug, Clone)]
struct RouteEntry {
    component: String,
    /// The route as written in the manifest (`/api/...`).
    raw: String,
    /// The route after Spin's normalisation (one trailing slash removed).
    based: String,
}

/// The result of routing one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub component: String,
    /// `spin-matched-route`: the route with the application base applied.
    pub matched_route: String,
    /// `spin-raw-component-route`: the route as written in the manifest.
    pub raw_route: String,
    /// `spin-path-info`: the part of the path captured by a trailing `/...`.
    pub path_info: String,
    /// `:name` captures, by name.
    pub named: Vec<(String, String)>,
}

impl RouteMatch {
    /// A match for a service-chaining request, as if the component were
    /// routed at `/...` (Spin does the same).
    pub fn chained(component: &str, path: &str) -> Self {
        Self {
            component: component.to_string(),
            matched_route: "/...".to_string(),
            raw_route: "/...".to_string(),
            path_info: path.to_string(),
            named: Vec::new(),
        }
    }

    /// `spin-component-route`: the raw route without its trailing wildcard.
    pub fn component_route(&self) -> &str {
        self.raw_route
            .strip_suffix("/...")
            .unwrap_or(&self.raw_route)
    }
}

impl Router {
    /// Builds the router from the manifest's triggers (private routes are not
    /// routable). Duplicate routes are rejected when the manifest is loaded.
    pub fn build(triggers: &[HttpTrigger]) -> Result<Self> {
        let mut inner = routefinder::Router::new();
        for trigger in triggers {
            let TriggerRoute::Path(raw) = &trigger.route else {
                continue;
            };
            let based = sanitize(&absolutize(raw));
            let spec = match based.strip_suffix("/...") {
                Some(prefix) => format!("{prefix}/*"),
                None => based.clone(),
            };
            inner
                .add(
                    spec.as_str(),
                    RouteEntry {
                        component: trigger.component.clone(),
                        raw: raw.clone(),
                        based,
                    },
                )
                .map_err(|e| {
                    anyhow!(
                        "invalid route {raw:?} of component {:?}: {e}",
                        trigger.component
                    )
                })?;
        }
        Ok(Self { inner })
    }

    /// Finds the component for `path` (the URI path, without the query).
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let best = self.inner.best_match(path)?;
        let entry = best.handler();
        let captures = best.captures();
        let path_info = captures
            .wildcard()
            .map(|captured| trailing_wildcard(captured, path))
            .unwrap_or_default();
        let named = captures
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Some(RouteMatch {
            component: entry.component.clone(),
            matched_route: entry.based.clone(),
            raw_route: entry.raw.clone(),
            path_info,
            named,
        })
    }

    /// Routes in the order they should be listed at startup.
    pub fn routes(&self) -> Vec<(String, String)> {
        let mut routes: Vec<(String, String)> = self
            .inner
            .iter()
            .map(|(_, entry)| (entry.component.clone(), entry.raw.clone()))
            .collect();
        routes.sort_by(|a, b| a.1.cmp(&b.1));
        routes
    }

    /// Number of routes per routable component.
    #[cfg(test)]
    pub fn components(&self) -> std::collections::HashMap<String, usize> {
        let mut counts = std::collections::HashMap::new();
        for (_, entry) in self.inner.iter() {
            *counts.entry(entry.component.clone()).or_insert(0) += 1;
        }
        counts
    }
}

/// Spin keeps a trailing slash in `spin-path-info` although `routefinder`
/// drops it.
fn trailing_wildcard(captured: &str, path: &str) -> String {
    match (captured.is_empty(), path.ends_with('/')) {
        (true, false) => String::new(),
        (true, true) => "/".to_string(),
        (false, false) => format!("/{captured}"),
        (false, true) => format!("/{captured}/"),
    }
}

fn absolutize(route: &str) -> String {
    if route.starts_with('/') {
        route.to_string()
    } else {
        format!("/{route}")
    }
}

/// Strips a single trailing slash, as Spin does (so `/` becomes the empty
/// root route).
fn sanitize(route: &str) -> String {
    route.strip_suffix('/').unwrap_or(route).to_string()
}

#[cfg(test)]
mod tests {
    //! Routing cases ported from Spin's own router tests.

    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        let triggers: Vec<HttpTrigger> = routes
            .iter()
            .map(|(component, route)| HttpTrigger {
                id: format!("t-{component}"),
                route: TriggerRoute::Path(route.to_string()),
                component: component.to_string(),
            })
            .collect();
        Router::build(&triggers).expect("valid routes")
    }

    fn component(r: &Router, path: &str) -> String {
        r.route(path).expect("path should match").component
    }

    #[test]
    fn exact_routes_match_exactly() {
        let r = router(&[("foo", "/foo"), ("foobar", "/foo/bar")]);
        assert_eq!(component(&r, "/foo"), "foo");
        assert_eq!(component(&r, "/foo/bar"), "foobar");
        assert!(r.route("/foo/baz").is_none());
    }

    #[test]
    fn a_root_wildcard_matches_everything() {
        let r = router(&[("all", "/...")]);
        assert_eq!(component(&r, "/foo/bar"), "all");
        assert_eq!(component(&r, "/abc/"), "all");
        assert_eq!(component(&r, "/"), "all");
    }

    #[test]
    fn the_longest_wildcard_prefix_wins_regardless_of_order() {
        let forward = router(&[
            ("one", "/one/..."),
            ("onetwo", "/one/two/..."),
            ("onetwothree", "/one/two/three/..."),
        ]);
        assert_eq!(component(&forward, "/one/two/three/four"), "onetwothree");
        let backward = router(&[
            ("onetwothree", "/one/two/three/..."),
            ("onetwo", "/one/two/..."),
            ("one", "/one/..."),
        ]);
        assert_eq!(component(&backward, "/one/two/three/four"), "onetwothree");
        assert_eq!(component(&backward, "/one/two/x"), "onetwo");
    }

    #[test]
    fn exact_beats_wildcard() {
        let r = router(&[("one_exact", "/one"), ("wildcard", "/...")]);
        assert_eq!(component(&r, "/one"), "one_exact");
        assert_eq!(component(&r, "/two"), "wildcard");
    }

    #[test]
    fn trailing_wildcard_is_captured_as_path_info() {
        let r = router(&[("comp", "/...")]);
        assert_eq!(r.route("/1/2/3").expect("match").path_info, "/1/2/3");
        let r = router(&[("comp", "/1/...")]);
        assert_eq!(r.route("/1/2/3").expect("match").path_info, "/2/3");
    }

    #[test]
    fn trailing_wildcard_keeps_the_trailing_slash() {
        let r = router(&[("comp", "/test/...")]);
        assert_eq!(r.route("/test").expect("match").path_info, "");
        assert_eq!(r.route("/test/").expect("match").path_info, "/");
        assert_eq!(r.route("/test/hello").expect("match").path_info, "/hello");
        assert_eq!(r.route("/test/hello/").expect("match").path_info, "/hello/");
    }

    #[test]
    fn named_segments_are_captured() {
        let r = router(&[("comp", "/1/:two/3")]);
        let m = r.route("/1/2/3").expect("match");
        assert_eq!(m.named, [("two".to_string(), "2".to_string())]);
        let r = router(&[("comp", "/1/:two/...")]);
        let m = r.route("/1/2/3").expect("match");
        assert_eq!(m.named, [("two".to_string(), "2".to_string())]);
        assert_eq!(m.path_info, "/3");
    }

    #[test]
    fn an_exact_segment_beats_a_named_segment() {
        let r = router(&[("param", "/users/:id"), ("me", "/users/me")]);
        assert_eq!(component(&r, "/users/me"), "me");
        assert_eq!(component(&r, "/users/42"), "param");
    }

    #[test]
    fn matched_and_component_routes_follow_spin() {
        let r = router(&[("comp", "/foo/...")]);
        let m = r.route("/foo/bar").expect("match");
        assert_eq!(m.matched_route, "/foo/...");
        assert_eq!(m.raw_route, "/foo/...");
        assert_eq!(m.component_route(), "/foo");
    }

    #[test]
    fn private_routes_are_not_routable() {
        let triggers = vec![HttpTrigger {
            id: "p".into(),
            route: TriggerRoute::Private,
            component: "hidden".into(),
        }];
        let r = Router::build(&triggers).expect("builds");
        assert!(r.route("/").is_none());
        assert!(r.components().is_empty());
    }
}
