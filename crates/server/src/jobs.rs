//! Work the server does on its own schedule: the retention purge (`Store::purge`).

use crate::store::{PurgeCounts, Store, StoreError};
use crate::Config;
use std::sync::Arc;
use std::time::Duration;

/// One purge at the store's clock's now, with its counts logged (counts only: no id, key,
/// value or widget).
pub async fn purge_once(store: &Store, config: &Config) -> Result<PurgeCounts, StoreError> {
    let c = store
        .purge(config.session_idle_ms(), config.audit_retention_months)
        .await?;
    tracing::info!(
        conversations = c.conversations,
        messages = c.messages,
        details = c.details,
        receipts = c.receipts,
        visitors = c.visitors,
        sessions = c.sessions,
        keys = c.keys,
        audit = c.audit,
        "retention purge"
    );
    Ok(c)
}

/// Runs [`purge_once`] a minute after start (so a server restarted often still purges),
/// then every `purge_interval_minutes`. A failed run is logged and tried at the next tick.
pub fn spawn_purge(store: Store, config: Arc<Config>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(u64::from(config.purge_interval_minutes) * 60);
        let first = tokio::time::Instant::now() + Duration::from_secs(60).min(every);
        let mut ticks = tokio::time::interval_at(first, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = purge_once(&store, &config).await {
                tracing::warn!(error = %e, "retention purge failed; trying again at the next run");
            }
        }
    })
}
