//! The files the app serves to browsers, built into the component: the
//! publisher SDK under `/sdk/v1/` (cacheable for a year by anyone, from
//! any origin), and the app's pages, the demo chat under `/demo/` and the
//! advertiser dashboard under `/dashboard` (a strict
//! Content-Security-Policy). Their sources live in `web/`.

use adspin_core::web::Response;
use http::HeaderValue;

/// The SDK as a classic script: defines `window.AdSpin`.
const SDK_SCRIPT: &str = include_str!("../../../web/sdk/adspin.js");

/// The SDK as an ES module: the same code, exporting `AdSpin`, whose
/// default endpoint is the origin the module was loaded from (and default
/// stylesheet the `adspin.css` beside it).
const SDK_MODULE: &str = concat!(
    include_str!("../../../web/sdk/adspin.js"),
    "const AdSpin = globalThis.AdSpin;\n",
    "if (!AdSpin.defaults.endpoint) AdSpin.defaults.endpoint = new URL(import.meta.url).origin;\n",
    "if (!AdSpin.defaults.stylesheet) AdSpin.defaults.stylesheet = new URL(\"adspin.css\", import.meta.url).href;\n",
    "export { AdSpin };\n",
    "export default AdSpin;\n",
);

/// What the app's pages may load: their own scripts and styles, images
/// (of ads) over HTTPS or from this app, and requests to this app only.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' https:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// Who may use a file and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// Any page of any publisher: CORS-readable (module scripts need it),
    /// immutable for a year (a change of the API is a new `/sdk/v<N>/`).
    Sdk,
    /// The app's own pages: revalidated on each load, never framed.
    Page,
}

/// A file served at a path.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
    audience: Audience,
}

const fn asset(
    path: &'static str,
    content_type: &'static str,
    body: &'static str,
    audience: Audience,
) -> Asset {
    Asset {
        path,
        content_type,
        body,
        audience,
    }
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// Every file, by path.
pub const ASSETS: &[Asset] = &[
    asset("/sdk/v1/adspin.js", JAVASCRIPT, SDK_SCRIPT, Audience::Sdk),
    asset("/sdk/v1/adspin.mjs", JAVASCRIPT, SDK_MODULE, Audience::Sdk),
    asset(
        "/sdk/v1/adspin.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/sdk/adspin.css"),
        Audience::Sdk,
    ),
    asset(
        "/sdk/v1/adspin.d.ts",
        "application/typescript; charset=utf-8",
        include_str!("../../../web/sdk/adspin.d.ts"),
        Audience::Sdk,
    ),
    asset(
        "/demo/chat",
        "text/html; charset=utf-8",
        include_str!("../../../web/demo/chat.html"),
        Audience::Page,
    ),
    asset(
        "/demo/chat.js",
        JAVASCRIPT,
        include_str!("../../../web/demo/chat.js"),
        Audience::Page,
    ),
    asset(
        "/demo/chat.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/demo/chat.css"),
        Audience::Page,
    ),
    asset(
        "/dashboard",
        "text/html; charset=utf-8",
        include_str!("../../../web/dashboard/index.html"),
        Audience::Page,
    ),
    asset(
        "/dashboard/app.js",
        JAVASCRIPT,
        include_str!("../../../web/dashboard/app.js"),
        Audience::Page,
    ),
    asset(
        "/dashboard/app.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/dashboard/app.css"),
        Audience::Page,
    ),
];

/// The file served at `path`, if any.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

impl Asset {
    /// The `200` response carrying the file and its headers.
    pub fn response(&self) -> Response {
        let mut response = http::Response::new(self.body.as_bytes().to_vec());
        let headers = response.headers_mut();
        let mut set = |name: &'static str, value: &'static str| {
            headers.insert(name, HeaderValue::from_static(value));
        };
        set("content-type", self.content_type);
        set("x-content-type-options", "nosniff");
        match self.audience {
            Audience::Sdk => {
                set("cache-control", "public, max-age=31536000, immutable");
                set("access-control-allow-origin", "*");
                set("cross-origin-resource-policy", "cross-origin");
            }
            Audience::Page => {
                set("cache-control", "no-cache");
                set("content-security-policy", PAGE_CSP);
                set("referrer-policy", "strict-origin-when-cross-origin");
                set("x-frame-options", "DENY");
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(response: &'a Response, name: &str) -> &'a str {
        response.headers()[name].to_str().expect("text")
    }

    #[test]
    fn the_sdk_is_immutable_and_readable_from_any_origin() {
        for path in [
            "/sdk/v1/adspin.js",
            "/sdk/v1/adspin.mjs",
            "/sdk/v1/adspin.css",
            "/sdk/v1/adspin.d.ts",
        ] {
            let response = find(path).expect(path).response();
            assert_eq!(response.status(), 200);
            assert_eq!(
                header(&response, "cache-control"),
                "public, max-age=31536000, immutable"
            );
            assert_eq!(header(&response, "access-control-allow-origin"), "*");
        }
    }

    #[test]
    fn the_module_build_exports_what_the_classic_script_defines() {
        assert!(
            !SDK_SCRIPT.contains("export "),
            "a classic script cannot export"
        );
        assert!(SDK_SCRIPT.contains("globalThis.AdSpin = AdSpin"));
        assert!(SDK_MODULE.starts_with(SDK_SCRIPT));
        assert!(SDK_MODULE.contains("export { AdSpin };"));
        assert!(SDK_MODULE.contains("import.meta.url"));
    }

    #[test]
    fn pages_carry_a_strict_csp_and_load_no_inline_script() {
        assert!(!PAGE_CSP.contains("unsafe-inline") && !PAGE_CSP.contains("unsafe-eval"));
        for path in ["/demo/chat", "/dashboard"] {
            let page = find(path).expect(path);
            let response = page.response();
            assert_eq!(header(&response, "content-security-policy"), PAGE_CSP);
            // Every <script> of the page names a file of this app.
            for script in page.body.split("<script").skip(1) {
                let end = script.find('>').expect("tag end");
                let src = script[..end]
                    .split("src=\"")
                    .nth(1)
                    .expect("a script has a src");
                let src = &src[..src.find('"').expect("quote")];
                assert!(find(src).is_some(), "{src} is served");
                assert!(script[end + 1..].starts_with("</script>"), "{path}");
            }
            let handler = page.body.match_indices(" on").any(|(at, _)| {
                let name: String = page.body[at + 3..]
                    .chars()
                    .take_while(char::is_ascii_lowercase)
                    .collect();
                !name.is_empty() && page.body[at + 3 + name.len()..].starts_with('=')
            });
            assert!(!handler, "{path}: no inline event handlers");
            assert!(!page.body.contains("style="), "{path}: no inline styles");
        }
    }

    #[test]
    fn unknown_files_are_not_served() {
        assert!(find("/sdk/v1/other.js").is_none());
        assert!(find("/sdk/v2/adspin.js").is_none());
        assert!(find("/demo/../spin.toml").is_none());
    }
}
