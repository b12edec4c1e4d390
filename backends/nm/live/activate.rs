//! Activating a profile and waiting until it is up, or saying in words why it is not.
//!
//! The active connection's state is polled: a poll cannot miss a state that was reached
//! before a subscription was in place. Why a device failed is only in its `StateChanged`
//! signal, though: NetworkManager moves a failed device on to `disconnected` with reason
//! "none" in the same main-loop turn, so its `StateReason` property has already lost it by
//! the time anyone reads it. Those signals are therefore collected from before the
//! activation starts.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::thread::sleep;
use std::time::{Duration, Instant};

use zbus::MessageStream;
use zbus::blocking::Connection;
use zbus::export::futures_core::Stream;
use zbus::match_rule::MatchRule;
use zbus::message::Type;
use zbus::zvariant::{ObjectPath, OwnedObjectPath};

use super::{ACTIVE_IFACE, Client, DEVICE_IFACE, LiveError, NM, NM_PATH, error, vanished};

/// How often the activation's state is read: two small calls per round.
const POLL: Duration = Duration::from_millis(5);

/// `Connection.Active.State`: activated, deactivated.
const ACTIVATED: u32 = 2;
const DEACTIVATED: u32 = 4;

/// `Device.State`: failed.
const DEVICE_FAILED: u32 = 120;

/// How many signals may wait unread. zbus stops reading the socket (and so stops delivering
/// our own replies) while a subscription's queue is full; it is drained every [`POLL`],
/// and an activation produces a few dozen device state changes at most.
const MAX_QUEUED: usize = 4096;

impl Client {
    /// Activates the profile at `path` on whatever device it names, and waits until it is
    /// up: `Ok` once the active connection is `activated`; [`LiveError::Activation`] when it
    /// is deactivated instead or its device fails, with the device's state reason in words;
    /// [`LiveError::Timeout`] after `timeout`. The activation itself is left running on a
    /// timeout: NetworkManager may still finish it, and a checkpoint rollback undoes it.
    pub fn activate(&self, path: &str, timeout: Duration) -> Result<(), LiveError> {
        let start = Instant::now();
        let what = "ActivateConnection";
        let fail = |e| LiveError::call(what, Some(&self.name(path)), e);
        let mut events = DeviceEvents::subscribe(&self.conn).map_err(fail)?;
        let any = ObjectPath::from_static_str_unchecked("/");
        let target = ObjectPath::try_from(path).map_err(|e| fail(e.into()))?;
        let active: OwnedObjectPath = self
            .call(NM_PATH, NM, what, &(target, &any, &any))
            .map_err(fail)?;
        let active = active.as_str();
        let mut devices: Vec<String> = Vec::new();
        loop {
            events.drain();
            // NetworkManager removes an active connection once it is deactivated.
            let state = match self.property(active, ACTIVE_IFACE, "State") {
                Ok(v) => u32::try_from(v).unwrap_or(0),
                Err(e) if vanished(&e) => DEACTIVATED,
                Err(e) => {
                    let id = self.name(path);
                    return Err(LiveError::call("activation state", Some(&id), e));
                }
            };
            if state == ACTIVATED {
                return Ok(());
            }
            // A virtual device (a bridge) only exists once the activation has created it.
            if devices.is_empty() && state != DEACTIVATED {
                devices = self
                    .property(active, ACTIVE_IFACE, "Devices")
                    .ok()
                    .and_then(|v| Vec::<OwnedObjectPath>::try_from(v).ok())
                    .map(|v| v.iter().map(|p| p.to_string()).collect())
                    .unwrap_or_default();
            }
            if state == DEACTIVATED || devices.iter().any(|d| events.failed(d).is_some()) {
                // Signals sent before the reply that told us are queued by now.
                events.drain();
                return Err(LiveError::Activation {
                    profile: self.name(path),
                    reason: self.failure(&devices, &events),
                });
            }
            if start.elapsed() >= timeout {
                return Err(LiveError::Timeout {
                    profile: self.name(path),
                    what: "activation".to_owned(),
                    after: timeout,
                    state: self.progress(state, &devices),
                });
            }
            sleep(POLL);
        }
    }

    /// Why an activation failed, from its devices' state changes; when the activation ended
    /// before its devices were known, from every device that failed meanwhile.
    fn failure(&self, devices: &[String], events: &DeviceEvents) -> String {
        let failed: Vec<&str> = if devices.is_empty() {
            events.failed_devices()
        } else {
            devices.iter().map(String::as_str).collect()
        };
        let reasons: Vec<String> = failed
            .iter()
            .filter_map(|d| {
                let reason = events
                    .reason(d)
                    .or_else(|| self.device_state(d).map(|(_, r)| r).filter(|r| *r != 0))?;
                Some(format!(
                    "device {}: {}",
                    self.interface(d),
                    error::device_reason(reason)
                ))
            })
            .collect();
        if reasons.is_empty() {
            "the connection was deactivated (NetworkManager's log has the reason)".to_owned()
        } else {
            reasons.join("; ")
        }
    }

    /// Where a slow activation stands, in words.
    fn progress(&self, state: u32, devices: &[String]) -> String {
        let mut out = error::active_state(state);
        for d in devices {
            if let Some((s, r)) = self.device_state(d) {
                out += &format!(
                    "; device {} {}: {}",
                    self.interface(d),
                    error::device_state(s),
                    error::device_reason(r)
                );
            }
        }
        out
    }

    /// A device's state and state reason, if they can be read.
    fn device_state(&self, device: &str) -> Option<(u32, u32)> {
        let v = self.property(device, DEVICE_IFACE, "StateReason").ok()?;
        <(u32, u32)>::try_from(v).ok()
    }

    /// A device's interface name, or its path when that cannot be read.
    fn interface(&self, device: &str) -> String {
        self.property(device, DEVICE_IFACE, "Interface")
            .ok()
            .and_then(|v| String::try_from(v).ok())
            .unwrap_or_else(|| device.to_owned())
    }
}

/// Device `StateChanged(u new, u old, u reason)` signals, collected without blocking.
struct DeviceEvents {
    stream: Pin<Box<MessageStream>>,
    /// (device path, new state, reason), oldest first.
    seen: Vec<(String, u32, u32)>,
}

impl DeviceEvents {
    fn subscribe(conn: &Connection) -> zbus::Result<DeviceEvents> {
        // No sender in the rule: zbus matches it against the unique name client-side, and
        // only NetworkManager has objects under its path anyway.
        let rule = MatchRule::builder()
            .msg_type(Type::Signal)
            .interface(DEVICE_IFACE)?
            .member("StateChanged")?
            .build();
        let stream = zbus::block_on(MessageStream::for_match_rule(
            rule,
            conn.inner(),
            Some(MAX_QUEUED),
        ))?;
        Ok(DeviceEvents {
            stream: Box::pin(stream),
            seen: Vec::new(),
        })
    }

    /// Takes every signal that has arrived, without waiting for more.
    fn drain(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            match self.stream.as_mut().poll_next(&mut cx) {
                Poll::Ready(Some(Ok(msg))) => {
                    let header = msg.header();
                    let Some(path) = header.path() else { continue };
                    if let Ok((new, _old, reason)) = msg.body().deserialize::<(u32, u32, u32)>() {
                        self.seen.push((path.to_string(), new, reason));
                    }
                }
                Poll::Ready(Some(Err(_))) => continue,
                Poll::Ready(None) | Poll::Pending => return,
            }
        }
    }

    /// The reason `device` entered the failed state, if it did.
    fn failed(&self, device: &str) -> Option<u32> {
        self.seen
            .iter()
            .rev()
            .find(|(d, new, _)| d == device && *new == DEVICE_FAILED)
            .map(|(_, _, r)| *r)
    }

    /// Why `device` failed, or else the last reason it changed state for.
    fn reason(&self, device: &str) -> Option<u32> {
        self.failed(device).or_else(|| {
            self.seen
                .iter()
                .rev()
                .find(|(d, _, r)| d == device && *r != 0)
                .map(|(_, _, r)| *r)
        })
    }

    /// Every device that failed, in the order they did.
    fn failed_devices(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (d, new, _) in &self.seen {
            if *new == DEVICE_FAILED && !out.contains(&d.as_str()) {
                out.push(d);
            }
        }
        out
    }
}
