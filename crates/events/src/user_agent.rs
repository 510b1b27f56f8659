//! A small user-agent classifier for event enrichment: browser family, OS
//! family and device class, from well-known tokens.
//!
//! Regex-driven parsers (uap-core, woothee) compile their patterns on
//! first use, which measured 0.8 ms natively: a component instance lives
//! for one request, so every event would pay it. Substring checks cover
//! the families insights and fraud checks need in microseconds.

/// What a user agent says about the user's software and device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserAgent {
    pub browser: &'static str,
    pub os: &'static str,
    /// `mobile`, `tablet`, `desktop` or `bot`.
    pub device: &'static str,
}

const BOT_TOKENS: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "slurp",
    "curl/",
    "wget/",
    "python-requests",
    "headless",
];

/// Classifies a `User-Agent` header value.
pub fn classify(user_agent: &str) -> UserAgent {
    let ua = user_agent.to_ascii_lowercase();
    UserAgent {
        browser: browser(&ua),
        os: os(&ua),
        device: device(&ua),
    }
}

fn browser(ua: &str) -> &'static str {
    // Order matters: Edge and Opera also say Chrome; Chrome also says Safari.
    const FAMILIES: &[(&str, &str)] = &[
        ("edg/", "Edge"),
        ("edga/", "Edge"),
        ("edgios/", "Edge"),
        ("opr/", "Opera"),
        ("opera", "Opera"),
        ("samsungbrowser/", "Samsung Internet"),
        ("firefox/", "Firefox"),
        ("fxios/", "Firefox"),
        ("crios/", "Chrome"),
        ("chrome/", "Chrome"),
        ("chromium/", "Chrome"),
        ("msie ", "Internet Explorer"),
        ("trident/", "Internet Explorer"),
        ("safari/", "Safari"),
    ];
    FAMILIES
        .iter()
        .find(|(token, _)| ua.contains(token))
        .map_or("Other", |(_, name)| name)
}

fn os(ua: &str) -> &'static str {
    const FAMILIES: &[(&str, &str)] = &[
        ("windows", "Windows"),
        ("iphone", "iOS"),
        ("ipad", "iOS"),
        ("ipod", "iOS"),
        ("android", "Android"),
        ("cros", "Chrome OS"),
        ("mac os x", "macOS"),
        ("macintosh", "macOS"),
        ("linux", "Linux"),
    ];
    FAMILIES
        .iter()
        .find(|(token, _)| ua.contains(token))
        .map_or("Other", |(_, name)| name)
}

fn device(ua: &str) -> &'static str {
    if BOT_TOKENS.iter().any(|token| ua.contains(token)) {
        "bot"
    } else if ua.contains("ipad")
        || ua.contains("tablet")
        || (ua.contains("android") && !ua.contains("mobile"))
    {
        "tablet"
    } else if ua.contains("mobi") || ua.contains("iphone") || ua.contains("ipod") {
        "mobile"
    } else {
        "desktop"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ua: &str, browser: &str, os: &str, device: &str) {
        let found = classify(ua);
        assert_eq!(
            (found.browser, found.os, found.device),
            (browser, os, device),
            "{ua}"
        );
    }

    #[test]
    fn common_browsers_systems_and_devices() {
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "Safari",
            "iOS",
            "mobile",
        );
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
            "Edge",
            "Windows",
            "desktop",
        );
        check(
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
            "Chrome",
            "Android",
            "mobile",
        );
        check(
            "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Safari/537.36",
            "Samsung Internet",
            "Android",
            "tablet",
        );
        check(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
            "Firefox",
            "macOS",
            "desktop",
        );
        check(
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Other",
            "Other",
            "bot",
        );
        check("", "Other", "Other", "desktop");
    }
}
