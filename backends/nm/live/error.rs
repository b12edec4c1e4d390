//! What can go wrong talking to NetworkManager, worded for the person running netloom:
//! every error names the profile (its id) it concerns, and keeps NetworkManager's own
//! message, which names the offending setting (`ipv4.addresses: …`).

use std::time::Duration;

/// An error of the live NetworkManager client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// Nothing answers at the bus address: no D-Bus daemon, or one we may not use.
    #[error("cannot reach the D-Bus system bus at {address}: {source}")]
    Unreachable {
        /// The bus address tried.
        address: String,
        /// What zbus reported.
        #[source]
        source: Box<zbus::Error>,
    },
    /// The bus is up but nobody owns `org.freedesktop.NetworkManager`.
    #[error(
        "NetworkManager is not running (no owner of org.freedesktop.NetworkManager on {address})"
    )]
    NotRunning {
        /// The bus address used.
        address: String,
    },
    /// A D-Bus call failed; `name` is the D-Bus error name, `message` NetworkManager's words.
    #[error("{}{what} failed: {message} ({name})", profile_prefix(.profile))]
    Call {
        /// The call, such as `AddConnection2` or `GetSettings`.
        what: String,
        /// The profile's id (or object path when its id could not be read), if any.
        profile: Option<String>,
        /// The D-Bus error name, such as
        /// `org.freedesktop.NetworkManager.Settings.Connection.InvalidProperty`.
        name: String,
        /// NetworkManager's message, such as `connection.bogus: unknown property`.
        message: String,
    },
    /// NetworkManager returned a value of a type [`super::Value`] cannot hold. Dropping it
    /// would make a later `Update2` reset it, so it is refused instead.
    #[error("profile {profile}: {setting} has D-Bus type {signature}, which netloom cannot hold")]
    Unsupported {
        /// The profile's id.
        profile: String,
        /// `section.key`.
        setting: String,
        /// The D-Bus signature of the value (or of the part of it that is not supported).
        signature: String,
    },
    /// An activation ended without the profile coming up.
    #[error("profile {profile}: activation failed: {reason}")]
    Activation {
        /// The profile's id.
        profile: String,
        /// Why, in words (the device's state reason where NetworkManager gave one).
        reason: String,
    },
    /// NetworkManager did not finish in time.
    #[error("profile {profile}: {what} did not finish within {:.1} s ({state})", .after.as_secs_f64())]
    Timeout {
        /// The profile's id.
        profile: String,
        /// What was waited for, such as `activation`.
        what: String,
        /// How long we waited.
        after: Duration,
        /// The last state seen, in words.
        state: String,
    },
}

/// Every library error can hold it: the message names the profile and, where
/// NetworkManager says, the setting.
impl From<LiveError> for crate::error::Error {
    fn from(e: LiveError) -> Self {
        crate::error::Error::Service(Box::new(e))
    }
}

fn profile_prefix(profile: &Option<String>) -> String {
    match profile {
        Some(p) => format!("profile {p}: "),
        None => String::new(),
    }
}

impl LiveError {
    /// A failed call, from zbus's error: a D-Bus error reply keeps its name and message.
    pub(crate) fn call(what: &str, profile: Option<&str>, e: zbus::Error) -> LiveError {
        let (name, message) = match e {
            zbus::Error::MethodError(name, detail, _) => {
                (name.to_string(), detail.unwrap_or_default())
            }
            zbus::Error::FDO(e) => {
                use zbus::DBusError;
                (
                    e.name().to_string(),
                    e.description().unwrap_or_default().to_owned(),
                )
            }
            other => ("zbus".to_owned(), other.to_string()),
        };
        LiveError::Call {
            what: what.to_owned(),
            profile: profile.map(str::to_owned),
            name,
            message,
        }
    }

    /// The D-Bus error name of a failed call, if this is one.
    pub fn dbus_name(&self) -> Option<&str> {
        match self {
            LiveError::Call { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// A device state (`Device.State`) in words.
pub(crate) fn device_state(state: u32) -> String {
    let word = match state {
        0 => "unknown",
        10 => "unmanaged",
        20 => "unavailable",
        30 => "disconnected",
        40 => "preparing",
        50 => "configuring",
        60 => "waiting for authentication",
        70 => "getting IP configuration",
        80 => "checking IP connectivity",
        90 => "waiting for secondaries",
        100 => "activated",
        110 => "deactivating",
        120 => "failed",
        _ => return format!("device state {state}"),
    };
    word.to_owned()
}

/// An active connection state (`Connection.Active.State`) in words.
pub(crate) fn active_state(state: u32) -> String {
    let word = match state {
        0 => "unknown",
        1 => "activating",
        2 => "activated",
        3 => "deactivating",
        4 => "deactivated",
        _ => return format!("active connection state {state}"),
    };
    word.to_owned()
}

/// A device state reason (`NMDeviceStateReason`, NetworkManager 1.42) in nmcli's words.
pub(crate) fn device_reason(reason: u32) -> String {
    let words = match reason {
        0 => "no reason given",
        1 => "unknown error",
        2 => "device is now managed",
        3 => "device is now unmanaged",
        4 => "the device could not be readied for configuration",
        5 => "IP configuration could not be reserved (no available address, timeout, etc.)",
        6 => "the IP configuration is no longer valid",
        7 => "secrets were required, but not provided",
        8..=11 => "802.1X supplicant failed",
        12..=14 => "PPP failed",
        15 => "DHCP client failed to start",
        16 => "DHCP client error",
        17 => "DHCP client failed",
        18 | 19 => "shared connection service failed",
        20..=22 => "AutoIP service failed",
        23..=34 => "modem or mobile network failure",
        35 => "necessary firmware for the device may be missing",
        36 => "the device was removed",
        37 => "NetworkManager went to sleep",
        38 => "the device's active connection disappeared",
        39 => "device disconnected by user or client",
        40 => "carrier/link changed",
        41 => "the device's existing connection was assumed",
        42 => "the supplicant is now available",
        43 => "the modem could not be found",
        44 => "the Bluetooth connection failed or timed out",
        45..=48 => "SIM card problem",
        49 => "InfiniBand device does not support connected mode",
        50 => "a dependency of the connection failed",
        51 => "a problem with the RFC 2684 Ethernet over ADSL bridge",
        52 => "ModemManager is unavailable",
        53 => "the Wi-Fi network could not be found",
        54 => "a secondary connection of the base connection failed",
        55 => "DCB or FCoE setup failed",
        56 => "teamd control failed",
        57 => "modem failed or no longer available",
        58 => "modem now ready and available",
        59 => "SIM PIN was incorrect",
        60 => "new connection activation was enqueued",
        61 => "the device's parent changed",
        62 => "the device parent's management changed",
        63 => "Open vSwitch database connection failed",
        64 => "a duplicate IP address was detected",
        65 => "the selected IP method is not supported",
        66 => "failed to configure SR-IOV parameters",
        67 => "the Wi-Fi P2P peer could not be found",
        _ => return format!("device state reason {reason}"),
    };
    format!("{words} (reason {reason})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_error_names_the_profile_and_keeps_the_setting_nm_named() {
        let e = LiveError::Call {
            what: "AddConnection2".into(),
            profile: Some("eth10".into()),
            name: "org.freedesktop.NetworkManager.Settings.Connection.InvalidProperty".into(),
            message: "connection.bogus: unknown property".into(),
        };
        assert_eq!(
            e.to_string(),
            "profile eth10: AddConnection2 failed: connection.bogus: unknown property \
             (org.freedesktop.NetworkManager.Settings.Connection.InvalidProperty)"
        );
    }

    #[test]
    fn reasons_read_as_words() {
        assert!(device_reason(5).starts_with("IP configuration could not be reserved"));
        assert_eq!(device_reason(999), "device state reason 999");
        assert_eq!(device_state(120), "failed");
        assert_eq!(active_state(4), "deactivated");
    }
}
