//! The router's HTTP forms: what the widget fetches in one request after the click, and what
//! the console's Routers page sends and receives.

use super::RouterRules;
use crate::settings::WidgetSettings;
use crate::WidgetKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `GET /api/router/{key}/config`: the rules and the public configuration of every widget they
/// can pick, so the widget decides locally and renders the chosen one without a second request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterConfig {
    pub rules: RouterRules,
    /// Keyed by widget key: every key of [`RouterRules::targets`] that exists.
    pub widgets: BTreeMap<WidgetKey, WidgetSettings>,
    /// ISO 3166-1 alpha-2, when the site configured a GeoIP database or a trusted proxy header
    /// and it gave one; resolved in memory, the IP address is neither stored nor logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A router as the console's Routers page lists it (`GET /api/admin/routers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterListItem {
    pub key: WidgetKey,
    pub name: String,
}

/// `POST /api/admin/routers`: a new router with its first rules (validated like a `PUT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRouter {
    pub key: WidgetKey,
    pub name: String,
    pub rules: RouterRules,
}
