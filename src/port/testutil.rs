//! What the port tests share: networks read from libvirt-style XML and a guest interface on
//! them.

use std::fmt::Debug;

use crate::error::{Error, RefusedKind};
use crate::model::guest::{GuestInterface, GuestSource, GuestType};
use crate::model::network::{NetName, Network, NetworkPort, Owner, Text};
use crate::model::{MacAddr, Uuid};

/// A network read with every define-time check.
pub(crate) fn net(xml: &str) -> Network {
    crate::xml::read_network_str("test.xml", xml).unwrap_or_else(|d| panic!("{d}\n{xml}"))
}

/// A type-network interface on `network`, naming `portgroup` if given.
pub(crate) fn iface(network: &str, portgroup: Option<&str>) -> GuestInterface {
    GuestInterface::new(
        GuestType::Network,
        GuestSource::Network {
            network: NetName::parse(network).unwrap(),
            portgroup: portgroup.map(|p| Text::parse(p).unwrap()),
            portid: None,
        },
    )
}

/// The guest every test port belongs to.
pub(crate) fn owner() -> Owner {
    Owner {
        name: Text::parse("web1").unwrap(),
        uuid: Uuid::parse("c7a5fdbd-edaf-9455-926a-d65c16db1809").unwrap(),
    }
}

/// The UUID every test port gets.
pub(crate) fn port_uuid() -> Uuid {
    Uuid::parse("8f3b2c1a-0d4e-4f5a-9b6c-7d8e9f0a1b2c").unwrap()
}

/// The MAC every test port gets.
pub(crate) fn mac() -> MacAddr {
    MacAddr::parse("52:54:00:aa:bb:cc").unwrap()
}

/// Allocates `iface` on `net` with the fixed owner, MAC and UUID.
pub(crate) fn alloc(net: &Network, iface: &GuestInterface) -> Result<NetworkPort, Error> {
    crate::port::allocate(net, iface, &owner(), mac(), port_uuid())
}

/// The message of a refusal of kind `want`; anything else fails the test.
#[track_caller]
pub(crate) fn refused<T: Debug>(want: RefusedKind, r: Result<T, Error>) -> String {
    match r {
        Err(Error::Refused { kind, message }) if kind == want => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}
