//! Closed sets of names kept as text (a column, a `&'static str` built in one place). Each is a
//! Rust enum here, and the text fields carry `#[ts(as = "…")]`, so the UI's type (see
//! `crate::contract`) is the union of exactly these names and a new one is added in one place.
//! They live in the store, the bottom layer, because most of them are its columns' values.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every name, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name as stored and serialized.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

names! {
    /// A recording's state in the vault (`recordings.state`); `none` when nothing is held.
    RecordingState { Queued = "queued", Downloading = "downloading", Ready = "ready", Failed = "failed", None = "none" }
}

names! {
    /// Whether a delivery became a call (`deliveries.outcome`).
    DeliveryOutcome { Stored = "stored", Failed = "failed" }
}

names! {
    /// How a delivery's raw body is sent: as text when it is UTF-8, else base64.
    BodyEncoding { Utf8 = "utf8", Base64 = "base64" }
}

names! {
    /// Where a search hit matched.
    SearchField { Transcript = "transcript", Summary = "summary", Variables = "variables", Phone = "phone", Id = "id" }
}

names! {
    /// The window's colour scheme.
    Theme { System = "system", Light = "light", Dark = "dark" }
}

names! {
    /// How the public URL is made (`none`: no tunnel).
    TunnelProvider { None = "none", Bore = "bore", Ngrok = "ngrok", Cloudflared = "cloudflared", Custom = "custom" }
}

names! {
    /// What an extracted variable's values look like, for the filter's operators.
    VariableKind { Text = "text", Number = "number", Boolean = "boolean" }
}

names! {
    /// How a field's shape changed between payloads.
    DriftChange { Added = "added", Missing = "missing", Type = "type" }
}

names! {
    /// Where a sync run is.
    SyncState { Running = "running", Completed = "completed", Failed = "failed", Cancelled = "cancelled" }
}

names! {
    /// Where the webhook listener is.
    ListenerState { Starting = "starting", Running = "running", Failed = "failed", Stopped = "stopped" }
}

/// A scorecard answer: yes/no, a number on a scale, or a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum ScoreValue {
    Yes(bool),
    Number(f64),
    Choice(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_serialize_as_they_are_stored() {
        for s in RecordingState::ALL {
            assert_eq!(serde_json::to_value(s).ok(), Some(serde_json::Value::from(s.as_str())));
            assert_eq!(RecordingState::parse(s.as_str()), Some(*s));
        }
        assert_eq!(serde_json::to_string(&SearchField::Id).ok().as_deref(), Some("\"id\""));
        assert_eq!(TunnelProvider::parse("bore"), Some(TunnelProvider::Bore));
    }
}
