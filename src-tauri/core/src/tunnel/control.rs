//! The desktop app's one tunnel: start (replacing the running one), stop, status, and the saved
//! settings. The bore secret and the ngrok authtoken are kept in the OS keyring or a private file
//! ([`crate::secrets`]) and never sent back to the UI.

use serde::Serialize;
use tokio::sync::watch;
use ts_rs::TS;

use super::{load_config, save_config, Tunnel, TunnelConfig, TunnelError, TunnelOptions, TunnelStatus};
use crate::config::DataDir;
use crate::service::Service;

#[derive(Default)]
pub struct TunnelControl {
    current: tokio::sync::Mutex<Option<Tunnel>>,
}

/// What the tunnel panel shows: the live status and the saved settings, secret left out.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "SavedTunnel")]
pub struct TunnelOverview {
    pub status: TunnelStatus,
    pub saved: Option<TunnelConfig>,
    /// Whether a bore secret or ngrok authtoken is saved (its value is never sent to the UI).
    pub saved_secret: bool,
}

impl TunnelControl {
    /// Starts `config` for the running listener, replacing the current tunnel, and saves it.
    /// A bore secret or ngrok authtoken left blank keeps the saved one.
    pub async fn start(
        &self,
        service: &Service,
        mut config: TunnelConfig,
    ) -> Result<watch::Receiver<TunnelStatus>, TunnelError> {
        config.keep_secret_from(load_config(&service.data));
        let port = service.status().port.ok_or_else(|| {
            TunnelError::Config("the webhook listener is not running; start it on a free port first".into())
        })?;
        let mut slot = self.current.lock().await;
        if let Some(old) = slot.take() {
            old.stop().await;
        }
        let tunnel = Tunnel::start(&config, port, service.secret(), TunnelOptions::default())?;
        let rx = tunnel.subscribe();
        *slot = Some(tunnel);
        save_config(&service.data, &config).map_err(|e| TunnelError::Config(e.to_string()))?;
        Ok(rx)
    }

    pub async fn stop(&self) -> TunnelStatus {
        if let Some(t) = self.current.lock().await.take() {
            t.stop().await;
        }
        TunnelStatus::off()
    }

    pub async fn status(&self) -> TunnelStatus {
        self.current.lock().await.as_ref().map(Tunnel::status).unwrap_or_else(TunnelStatus::off)
    }

    pub async fn overview(&self, data: &DataDir) -> TunnelOverview {
        let saved = load_config(data);
        let saved_secret = saved.as_ref().is_some_and(TunnelConfig::has_secret);
        let saved = saved.map(TunnelConfig::without_secret);
        TunnelOverview { status: self.status().await, saved, saved_secret }
    }
}
