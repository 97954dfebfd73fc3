//! The built bundles (`cargo xtask build` → `dist/widget`, `dist/console`) and the
//! Content-Security-Policy each HTML document is served with.
//!
//! Trunk bootstraps the wasm with one inline `<script type="module">`. Rather than weaken the
//! policy with `'unsafe-inline'` or a nonce baked in at build time (a fixed nonce protects
//! nothing), the server hashes each inline script when it loads the page and allows exactly
//! those hashes.

use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The loader site owners embed, compiled into the binary so it is served even before the
/// wasm bundles are built.
pub const LOADER_JS: &str = include_str!("../../../static/loader.js");
/// The demo site page served at `/` with `--demo`.
pub const DEMO_HTML: &str = include_str!("../../../www/demo.html");

/// The Subresource Integrity value (`sha384-…`) of the loader exactly as served.
pub fn loader_integrity() -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha384::digest(LOADER_JS.as_bytes()))
    )
}

/// One HTML document and the policy to serve it with.
#[derive(Debug, Clone)]
pub struct Page {
    pub html: String,
    pub csp: String,
}

#[derive(Debug)]
pub struct Assets {
    pub dir: PathBuf,
    pub widget: Option<Page>,
    /// The router's page (`/r/KEY`): it picks a widget, then replaces itself with `/w/KEY`.
    pub router: Option<Page>,
    pub console: Option<Page>,
}

impl Assets {
    /// Loads both documents from `dir`; a missing bundle is `None` (served as 503).
    pub fn load(dir: &Path) -> Self {
        let read = |sub: &str| std::fs::read_to_string(dir.join(sub).join("index.html")).ok();
        Self {
            dir: dir.to_path_buf(),
            widget: read("widget").map(|html| Page {
                csp: widget_csp(&html),
                html,
            }),
            router: read("router").map(|html| Page {
                csp: widget_csp(&html),
                html,
            }),
            console: read("console").map(|html| Page {
                csp: console_csp(&html),
                html,
            }),
        }
    }

    pub fn widget_dir(&self) -> PathBuf {
        self.dir.join("widget")
    }

    pub fn router_dir(&self) -> PathBuf {
        self.dir.join("router")
    }

    pub fn console_dir(&self) -> PathBuf {
        self.dir.join("console")
    }
}

/// The iframe document's policy: only its own origin, its own inline bootstrap, wasm.
/// Any site may frame it; the loader and widget check `postMessage` origins themselves.
pub fn widget_csp(html: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'",
        hash_sources(html)
    )
}

/// The console's policy: as strict, and never framed.
pub fn console_csp(html: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; media-src 'self' data:; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'",
        hash_sources(html)
    )
}

/// The demo page's policy, as strict as a careful site owner's: its own inline style, the
/// loader from this origin, the chat's iframe from this origin, nothing else.
pub fn demo_csp() -> &'static str {
    static CSP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CSP.get_or_init(|| {
        let styles: String = inline_blocks(DEMO_HTML, "style")
            .into_iter()
            .map(|body| format!(" 'sha256-{}'", sha256_b64(body)))
            .collect();
        format!(
            "default-src 'none'; script-src 'self'; style-src{styles}; frame-src 'self'; \
             img-src data:; base-uri 'none'; form-action 'none'"
        )
    })
}

fn sha256_b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

fn hash_sources(html: &str) -> String {
    inline_scripts(html)
        .into_iter()
        .map(|body| format!(" 'sha256-{}'", sha256_b64(body)))
        .collect()
}

/// The bodies of `<script>` elements that have no `src`, exactly as written.
pub fn inline_scripts(html: &str) -> Vec<&str> {
    inline_blocks(html, "script")
}

/// The bodies of `<TAG>` elements (`script` or `style`) that have no `src`, exactly as
/// written.
fn inline_blocks<'a>(html: &'a str, tag_name: &str) -> Vec<&'a str> {
    let (open, close_tag) = (format!("<{tag_name}"), format!("</{tag_name}>"));
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_and_more = &after[tag_end + 1..];
        let Some(close) = body_and_more.find(&close_tag) else {
            break;
        };
        if !tag.contains(" src=") {
            out.push(&body_and_more[..close]);
        }
        rest = &body_and_more[close + close_tag.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_scripts_and_skips_external_ones() {
        let html = r#"<head><script src="/a.js"></script><script type="module">init('x')</script>
            <script>
 two </script></head>"#;
        assert_eq!(inline_scripts(html), vec!["init('x')", "\n two "]);
    }

    #[test]
    fn policy_allows_the_exact_inline_script_and_nothing_inline_else() {
        let html = "<script type=\"module\">import init from '/widget/w.js';init();</script>";
        let csp = widget_csp(html);
        // Reference value computed independently: printf %s "import init from '/widget/w.js';init();" | openssl dgst -sha256 -binary | base64
        assert!(
            csp.contains("'sha256-9w6d3U/xGZkYhnfMUUNgsHJBKACJTGMlHwGMA5hiHbg='"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("default-src 'none'"));
        assert!(console_csp(html).contains("frame-ancestors 'none'"));
    }

    #[test]
    fn the_loader_and_demo_page_are_embedded() {
        assert!(LOADER_JS.contains("attachShadow"));
        assert!(DEMO_HTML.contains("data-widget=\"demo\""));
    }
}
