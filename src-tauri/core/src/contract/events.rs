//! The events the window's shell sends the UI: each payload type names its event, so the shell
//! cannot send a payload under another event's name, and the UI's `Events` map (generated with
//! the types) gives each listener its payload's type.

use serde::Serialize;
use ts_rs::TS;

use super::shell::{CallsChanged, OpenCallLink, ReviewChanged, Startup};
use crate::backfill::Progress as SyncProgress;
use crate::recordings::vault::Progress as RecordingProgress;
use crate::service::ListenerStatus;
use crate::tunnel::TunnelStatus;

/// A payload the shell emits, and the name of its event.
pub trait Event: Serialize + TS + Clone + 'static {
    const NAME: &'static str;
}

/// Payload of `deliveries-changed` (`null`): the delivery list changed, read it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct DeliveriesChanged;

macro_rules! events {
    ($($ty:ty => $name:literal),+ $(,)?) => {
        $(impl Event for $ty {
            const NAME: &'static str = $name;
        })+

        /// Every event: its name and its payload's TypeScript name.
        pub(super) fn table(cfg: &ts_rs::Config) -> Vec<(&'static str, String)> {
            vec![$(($name, <$ty as TS>::ident(cfg))),+]
        }

        /// Visits every payload type, so the bindings declare them.
        pub(super) fn visit(v: &mut impl ts_rs::TypeVisitor) {
            $(v.visit::<$ty>();)+
        }
    };
}

events! {
    CallsChanged => "calls-changed",
    DeliveriesChanged => "deliveries-changed",
    ListenerStatus => "listener-changed",
    Startup => "startup",
    SyncProgress => "sync-progress",
    TunnelStatus => "tunnel-changed",
    RecordingProgress => "recordings-changed",
    ReviewChanged => "review-changed",
    OpenCallLink => "open-call-link",
}
