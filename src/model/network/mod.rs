//! The typed model of a libvirt virtual network (`<network>`), as `virsh net-dumpxml` has it.
//!
//! Values are kept as written (an absent attribute stays `None`) so that a network reads and
//! writes back the way libvirt formats it; the defaults libvirt fills in are computed by
//! methods here, in one place, for every renderer to share. Every string that can reach a
//! dnsmasq option, a firewall rule or a file name is a newtype checked once when it is read:
//! none can carry a newline or another control character into a generated file.

mod addressing;
mod dns;
mod forward;
mod netport;
mod policy;
mod port;

use std::fmt;

pub use addressing::{
    Bootp, DhcpHost, DhcpRange, IpFamily, Lease, LeaseUnit, NetDhcp, NetIp, NetRoute, ipv4_mask,
    masked, prefix_len_of,
};
pub use dns::{Dns, DnsHost, Domain, Forwarder, SrvProtocol, SrvRecord, TxtRecord};
pub use forward::{Driver, Forward, ForwardMode, Nat, PciAddress, PoolInterface};
pub use netport::{MacvtapMode, NetworkPort, Owner, Plug, PlugType};
pub use policy::{
    CrossHost, Forwarding, Guest, Incoming, IncomingAllow, L4Proto, Listen, Outgoing, OutgoingRule,
    Peer, PeerDhcp, PortRange, VXLAN_PORT, Verdict, Vni, port as parse_port,
};
pub use port::{
    Bandwidth, NativeMode, NetVlan, PortGroup, PortOptions, Rate, TrunkTag, VirtualPort,
    VirtualPortType,
};

use super::{MacAddr, Mtu, Uuid, ValueError, keywords};

/// One virtual network, in libvirt's canonical element order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Network {
    /// `<name>`: also the stem of every file rendered for the network.
    pub name: NetName,
    /// `<uuid>`; see [`Network::uuid_or_derived`] for a network written without one.
    pub uuid: Option<Uuid>,
    /// `<title>`: one line.
    pub title: Option<Text>,
    /// `<description>`: free text, never rendered into a configuration file.
    pub description: Option<String>,
    /// `<metadata>`: the children, serialized as XML, kept for round trips only.
    pub metadata: Option<String>,
    /// `ipv6='yes'`: guests may talk IPv6 to each other without an IPv6 address on the
    /// bridge.
    pub ipv6: Option<bool>,
    /// `trustGuestRxFilters`.
    pub trust_guest_rx_filters: Option<bool>,
    /// `connections`: guest ports in use; live state only.
    pub connections: Option<u32>,
    /// `<forward>`; `None` is an isolated network.
    pub forward: Option<Forward>,
    /// `<bridge>`.
    pub bridge: Option<BridgeDef>,
    /// `<mtu size>`.
    pub mtu: Option<Mtu>,
    /// `<mac address>`: the bridge's MAC.
    pub mac: Option<MacAddr>,
    /// `<domain>`.
    pub domain: Option<Domain>,
    /// `<dns>`.
    pub dns: Option<Dns>,
    /// `<vlan>`.
    pub vlan: Option<NetVlan>,
    /// `<bandwidth>`.
    pub bandwidth: Option<Bandwidth>,
    /// `<port>`.
    pub port: Option<PortOptions>,
    /// `<ip>` elements, in document order.
    pub ips: Vec<NetIp>,
    /// `<route>` elements, in document order.
    pub routes: Vec<NetRoute>,
    /// `<virtualport>`.
    pub virtualport: Option<VirtualPort>,
    /// `<portgroup>` elements, in document order.
    pub portgroups: Vec<PortGroup>,
    /// `<dnsmasq:options>`: each option's value, passed to dnsmasq verbatim (one line each).
    pub dnsmasq_options: Vec<Text>,
    /// `<nl:forwarding>`: which connections may come in to a guest and go out.
    pub forwarding: Option<Forwarding>,
    /// `<nl:listen>` with `<nl:connections>`: the same network on other hosts.
    pub cross_host: Option<CrossHost>,
}

impl Network {
    /// The forward mode, with `<forward>` and no `mode` meaning nat; `None` is isolated.
    pub fn forward_mode(&self) -> Option<ForwardMode> {
        self.forward
            .as_ref()
            .map(|f| f.mode.unwrap_or(ForwardMode::Nat))
    }

    /// Whether the network has a bridge, addresses and dnsmasq of its own (isolated, nat,
    /// route, open), rather than using host devices (bridge, private, vepa, passthrough,
    /// hostdev).
    pub fn has_own_bridge(&self) -> bool {
        matches!(
            self.forward_mode(),
            None | Some(ForwardMode::Nat | ForwardMode::Route | ForwardMode::Open)
        )
    }

    /// The bridge's device name, when one is given and is not a `%d` template: what dnsmasq
    /// listens on and the firewall rules match.
    pub fn bridge_name(&self) -> Option<super::IfaceName> {
        self.bridge
            .as_ref()
            .and_then(|b| b.name.as_ref())
            .and_then(BridgeName::device)
    }

    /// The UUID as written, or the one derived from the name when none was: stable, so a
    /// network defined twice from the same file keeps its identity.
    pub fn uuid_or_derived(&self) -> Uuid {
        self.uuid
            .unwrap_or_else(|| Uuid::derived("network", self.name.as_str()))
    }

    /// The forward device: `<forward dev>`, else the first pool interface.
    pub fn forward_dev(&self) -> Option<&super::IfaceName> {
        let f = self.forward.as_ref()?;
        f.dev
            .as_ref()
            .or_else(|| f.interfaces.first().map(|i| &i.dev))
    }

    /// The VXLAN identifier of a cross-host network: the one given, else one derived from
    /// the UUID; `None` for a network on one host.
    pub fn vni(&self) -> Option<Vni> {
        let x = self.cross_host.as_ref()?;
        Some(
            x.listen
                .vni
                .unwrap_or_else(|| Vni::derived(self.uuid_or_derived())),
        )
    }

    /// The forwarding policy when it takes effect.
    pub fn policy(&self) -> Option<&Forwarding> {
        self.forwarding.as_ref().filter(|f| f.is_enabled())
    }

    /// Whether DNS is on (`<dns enable='no'>` turns it off).
    pub fn dns_enabled(&self) -> bool {
        self.dns.as_ref().and_then(|d| d.enable) != Some(false)
    }

    /// Fills in what libvirt generates when a network is defined without it: the UUID and,
    /// for a network with a bridge of its own, the bridge's MAC address. libvirt picks both
    /// at random; netloom derives them (the UUID from the name, the MAC from the UUID), so
    /// the same file always gives the same output: goldens and CI diffs stay quiet, and
    /// rendering twice never churns a host's configuration. Bridge names are left alone:
    /// picking a free `virbrN` depends on the host, not on the file.
    pub fn fill_defaults(&mut self) {
        let uuid = self.uuid_or_derived();
        self.uuid = Some(uuid);
        if self.mac.is_none() && self.has_own_bridge() {
            self.mac = Some(bridge_mac(uuid));
        }
    }

    /// The network without live state (the `connections` counts), as libvirt formats it
    /// with `VIR_NETWORK_XML_INACTIVE`: what a definition holds, not what is running.
    pub fn without_live_state(mut self) -> Self {
        self.connections = None;
        if let Some(f) = &mut self.forward {
            for i in &mut f.interfaces {
                i.connections = None;
            }
            for a in &mut f.addresses {
                a.connections = None;
            }
        }
        self
    }
}

/// A bridge MAC in libvirt's `52:54:00` range, its last three bytes taken from a SHA-1 of
/// the network's UUID (hashed, so UUIDs that differ only in a few digits still get
/// unrelated MACs).
fn bridge_mac(uuid: Uuid) -> MacAddr {
    let mut h = sha1_smol::Sha1::new();
    h.update(b"netloom bridge mac\0");
    h.update(&uuid.bytes());
    let d = h.digest().bytes();
    MacAddr::from_octets([0x52, 0x54, 0x00, d[0], d[1], d[2]])
}

/// The most bytes a file name can have (Linux's `NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// A network name: the stem of every file of the network and part of a dnsmasq comment, so
/// it is not `.` or `..`, has no `/` and no control character, and its stem (see
/// [`NetName::file_stem`]) leaves room for the longest suffix in a file name. libvirt allows
/// quotes and spaces; so does netloom (they are harmless in a file name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NetName(String);

impl NetName {
    /// The longest suffix a network's files get, of `.xml`, `.json`, `.pid`, `.starting`,
    /// `.autostart`, `.conf`, `.hostsfile`, `.addnhosts`, `.leases`, `.nft`, `.iptables` and
    /// `.ip6tables`; the engine's tests check the list against the paths it makes.
    pub const LONGEST_SUFFIX: &str = ".autostart";

    /// The most bytes a stem can have: `NAME.autostart` must still be a file name.
    pub const MAX_STEM: usize = NAME_MAX - Self::LONGEST_SUFFIX.len();

    /// Checks a name against the rules above.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        stem_name(s, "network", Self::LONGEST_SUFFIX)?;
        Ok(Self(s.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used in file names: the name with `& < > " '` written as XML entities, the
    /// way libvirt spells it in the paths inside a dnsmasq conf. Using the same spelling for
    /// the files themselves keeps the conf and the files in agreement.
    pub fn file_stem(&self) -> String {
        file_stem(&self.0)
    }
}

/// `name` with `& < > " '` written as XML entities: up to six bytes for one.
pub(crate) fn file_stem(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Checks the name of a `kind` (network, guest) whose [`file_stem`] becomes file names
/// ending in at most `suffix`: not `.` or `..`, no `/` or control character, and short
/// enough that `STEM` + `suffix` is a file name. A longer one would pass here and fail
/// with "File name too long" when its files are written, after other files were.
pub(crate) fn stem_name(s: &str, kind: &str, suffix: &str) -> Result<(), ValueError> {
    let max = NAME_MAX - suffix.len();
    let what = format!(
        "expected a {kind} name of 1 to {max} bytes without '/' or control characters, other than '.' and '..'"
    );
    if s.is_empty() || s == "." || s == ".." {
        return Err(ValueError(what));
    }
    if let Some(c) = s.chars().find(|&c| c == '/' || c.is_control()) {
        return Err(ValueError(format!("{what}; {c:?} is not allowed")));
    }
    let stem = file_stem(s).len();
    if stem > max {
        return Err(ValueError(format!(
            "{what}; this one is {stem} bytes as a file name ('&', '<', '>' and quotes count as \
             their XML escapes), and NAME{suffix} must fit in the {NAME_MAX} bytes of a file name"
        )));
    }
    Ok(())
}

impl fmt::Display for NetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text that reaches a one-line setting (a dnsmasq option, a TXT record, a path): any
/// characters but control characters, so no newline can start a new option. Text that
/// becomes part of a dnsmasq line is also bounded ([`Text::parse_dnsmasq_value`],
/// [`Text::parse_dnsmasq_option`]), so no line can be long enough to be cut in two.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(String);

/// The most bytes dnsmasq 2.90 reads as one line of its conf or of a `dhcp-hostsfile`
/// (`fgets` into a buffer of `MAXDNAME`, 1025 bytes). The rest of a longer line is read as
/// a line of its own, so a value that runs past it ends in an option of the value's
/// choosing: `txt-record=t,xxx…xxxdhcp-script=/tmp/x` passes `dnsmasq --test` with the
/// script set.
pub const DNSMASQ_LINE_MAX: usize = 1024;

/// The most bytes around a value on its dnsmasq line: `txt-record=` with a 253-byte name
/// and a comma before a TXT value, or `dhcp-boot=` before a boot file with `,,` and a
/// 253-byte server after it.
const DNSMASQ_AROUND_VALUE: usize = "txt-record=".len() + DnsName::MAX_BYTES + 1;

/// The most bytes of a value in a dnsmasq option, each `"` and `\` counted twice (as they
/// are written, escaped): with the two quotes around it and the most that can stand beside
/// it, its line is then at most [`DNSMASQ_LINE_MAX`] bytes.
pub const DNSMASQ_VALUE_MAX: usize = DNSMASQ_LINE_MAX - DNSMASQ_AROUND_VALUE - 2;

impl Text {
    /// Refuses control characters (newlines, tabs, escape, DEL, C1 controls).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        if let Some(c) = s.chars().find(|c| c.is_control()) {
            return Err(ValueError(format!(
                "expected text without control characters; {c:?} could end the line it is written on"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// Text that becomes one value of a dnsmasq option (a TXT record's data, the TFTP root,
    /// the boot file): as [`Text::parse`], and at most [`DNSMASQ_VALUE_MAX`] bytes with
    /// each `"` and `\` counted twice, so that its line, quoted, stays within
    /// [`DNSMASQ_LINE_MAX`] whatever else is on it.
    pub fn parse_dnsmasq_value(s: &str) -> Result<Self, ValueError> {
        let text = Self::parse(s)?;
        let written = s.len() + s.bytes().filter(|b| matches!(b, b'"' | b'\\')).count();
        if written > DNSMASQ_VALUE_MAX {
            return Err(ValueError(format!(
                "expected at most {DNSMASQ_VALUE_MAX} bytes ('\"' and '\\' count twice); \
                 dnsmasq reads {DNSMASQ_LINE_MAX} bytes of a line and would take the rest of a \
                 longer one as another option, and this one is {written}"
            )));
        }
        Ok(text)
    }

    /// A whole dnsmasq option line, written as it is (`<dnsmasq:option value>`): as
    /// [`Text::parse`], and at most [`DNSMASQ_LINE_MAX`] bytes.
    pub fn parse_dnsmasq_option(s: &str) -> Result<Self, ValueError> {
        let text = Self::parse(s)?;
        if crate::syntax::dnsmasq::unbalanced_quote(s) {
            return Err(ValueError(
                "an unbalanced '\"' makes dnsmasq refuse to start (\"missing \\\"\"); close the \
                 quote, or write \\\" inside quotes for a literal one"
                    .into(),
            ));
        }
        if s.len() > DNSMASQ_LINE_MAX {
            return Err(ValueError(format!(
                "expected a dnsmasq option of at most {DNSMASQ_LINE_MAX} bytes; dnsmasq would \
                 take the rest of a longer line as another option, and this one is {}",
                s.len()
            )));
        }
        Ok(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A DNS name (host name or domain): 1 to 253 bytes of ASCII letters, digits, `-`, `_` and
/// `.`. Nothing else can reach a hosts file, a `dhcp-host` line or a `server=/…/` option,
/// so no comma, space, slash or `#` can change their meaning.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DnsName(String);

impl DnsName {
    /// The most bytes of a name written as text (255 on the wire, with the length bytes).
    pub const MAX_BYTES: usize = 253;

    /// Checks a name against the rules above.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let what = "expected a DNS name of 1 to 253 ASCII letters, digits, '-', '_' or '.'";
        if s.is_empty() || s.len() > Self::MAX_BYTES {
            return Err(ValueError(what.into()));
        }
        if let Some(c) = s
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(ValueError(format!("{what}; {c:?} is not allowed")));
        }
        // DNS caps a label at 63 bytes; dnsmasq refuses a longer one in most options and
        // silently drops a static lease whose name has one.
        if let Some(label) = s.split('.').find(|l| l.len() > 63) {
            return Err(ValueError(format!(
                "{what}, each dot-separated label at most 63 bytes; '{}…' has {}",
                &label[..20],
                label.len()
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bridge name: an interface name, or a template with one `%d` that the lowest free
/// number up to [`BridgeName::TEMPLATE_MAX`] replaces at define time (`virbr%d`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BridgeName(String);

impl BridgeName {
    /// The highest number a template's `%d` can become.
    pub const TEMPLATE_MAX: u32 = 4095;

    /// Checks the name as an [`super::IfaceName`], a template with the widest number in
    /// place of its `%d`: whichever number define picks, the device name is one the
    /// kernel takes.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let widest = s.replacen("%d", &Self::TEMPLATE_MAX.to_string(), 1);
        if widest.contains('%') {
            return Err(ValueError(
                "expected a bridge name, with at most one '%d' template".into(),
            ));
        }
        if widest != s && widest.len() > super::MAX_NAME_BYTES {
            return Err(ValueError(format!(
                "expected a bridge name template of at most {} bytes besides its '%d': a number \
                 up to {} takes the place of '%d', and a device name holds at most {} bytes",
                super::MAX_NAME_BYTES - Self::TEMPLATE_MAX.to_string().len(),
                Self::TEMPLATE_MAX,
                super::MAX_NAME_BYTES
            )));
        }
        super::IfaceName::parse(&widest)?;
        Ok(Self(s.to_owned()))
    }

    /// The device name, unless this is a template. [`BridgeName::parse`] checked it as an
    /// interface name already, so only a template gives `None`.
    pub fn device(&self) -> Option<super::IfaceName> {
        if self.is_template() {
            return None;
        }
        super::IfaceName::parse(&self.0).ok()
    }

    /// Whether the name is a `%d` template still to be filled in.
    pub fn is_template(&self) -> bool {
        self.0.contains("%d")
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BridgeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

keywords! {
    /// `<bridge macTableManager>`: who fills the bridge's forwarding table.
    MacTableManager {
        /// The kernel learns addresses (flooding).
        Kernel = "kernel",
        /// libvirt programs them and turns learning off.
        Libvirt = "libvirt",
    }
}

/// `<bridge>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BridgeDef {
    /// `name`.
    pub name: Option<BridgeName>,
    /// `stp='on|off'`; libvirt's default is on.
    pub stp: Option<bool>,
    /// `delay` in seconds; default 0.
    pub delay: Option<u32>,
    /// `zone`: the firewalld zone.
    pub zone: Option<Text>,
    /// `macTableManager`.
    pub mac_table_manager: Option<MacTableManager>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_names_allow_what_libvirt_does_but_no_path_or_line_break() {
        for ok in ["default", "default\"with\"quotes\"", "a b", "x.y", "..."] {
            assert!(NetName::parse(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", ".", "..", "a/b", "a\nb", "a\tb", "a\u{85}b"] {
            assert!(NetName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            NetName::parse("d\"q'<&>").unwrap().file_stem(),
            "d&quot;q&apos;&lt;&amp;&gt;"
        );
    }

    #[test]
    fn a_network_name_leaves_room_for_its_longest_file_name() {
        assert_eq!(NetName::MAX_STEM, 245);
        let longest = "n".repeat(245);
        let stem = NetName::parse(&longest).unwrap().file_stem();
        assert_eq!(format!("{stem}{}", NetName::LONGEST_SUFFIX).len(), NAME_MAX);
        let err = NetName::parse(&format!("{longest}n")).unwrap_err().0;
        assert!(err.contains("1 to 245 bytes"), "{err}");
        assert!(
            err.contains("this one is 246 bytes as a file name"),
            "{err}"
        );
        // An escaped character counts as its escape: 40 quotes are 240 bytes as a file name,
        // 41 are 246.
        assert!(NetName::parse(&"\"".repeat(40)).is_ok());
        let err = NetName::parse(&"'".repeat(41)).unwrap_err().0;
        assert!(err.contains("this one is 246 bytes"), "{err}");
        assert!(NetName::parse(&"&".repeat(49)).is_ok());
        assert!(NetName::parse(&"&".repeat(50)).is_err());
    }

    #[test]
    fn dnsmasq_values_keep_their_line_within_what_dnsmasq_reads() {
        assert_eq!(DNSMASQ_VALUE_MAX, 757);
        let most = "v".repeat(DNSMASQ_VALUE_MAX);
        assert!(Text::parse_dnsmasq_value(&most).is_ok());
        let err = Text::parse_dnsmasq_value(&format!("{most}v"))
            .unwrap_err()
            .0;
        assert!(err.contains("at most 757 bytes"), "{err}");
        assert!(err.contains("this one is 758"), "{err}");
        // Quotes and backslashes are escaped when written, so they count twice.
        let half = "\"\\".repeat(DNSMASQ_VALUE_MAX / 4);
        assert!(Text::parse_dnsmasq_value(&half).is_ok());
        assert!(Text::parse_dnsmasq_value(&format!("{half}\"")).is_err());
        // The widest line such a value can be on: a 253-byte TXT name, the value quoted and
        // all but one byte escaped.
        let value = "\"".repeat(DNSMASQ_VALUE_MAX / 2) + "x";
        assert!(Text::parse_dnsmasq_value(&value).is_ok());
        let name = "n".repeat(DnsName::MAX_BYTES);
        let line = format!("txt-record={name},\"{}\"", value.replace('"', "\\\""));
        assert_eq!(line.len(), DNSMASQ_LINE_MAX);
        let option = "o".repeat(DNSMASQ_LINE_MAX);
        assert!(Text::parse_dnsmasq_option(&option).is_ok());
        let err = Text::parse_dnsmasq_option(&format!("{option}o"))
            .unwrap_err()
            .0;
        assert!(err.contains("at most 1024 bytes"), "{err}");
        for bad in ["a\nb", "a\rb"] {
            assert!(Text::parse_dnsmasq_value(bad).is_err(), "{bad:?}");
            assert!(Text::parse_dnsmasq_option(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_refuses_line_breaks_and_dns_names_refuse_separators() {
        assert!(Text::parse("example value, with comma").is_ok());
        for bad in ["a\nb", "a\rb", "a\u{0}b", "a\u{1b}[31m"] {
            assert!(Text::parse(bad).is_err(), "{bad:?}");
        }
        assert!(DnsName::parse("a.example-1_x.com").is_ok());
        for bad in ["", "a,b", "a b", "a/b", "a#b", "a\nb", "é"] {
            assert!(DnsName::parse(bad).is_err(), "{bad:?}");
        }
        let label = "a".repeat(63);
        assert!(DnsName::parse(&format!("{label}.com")).is_ok());
        assert!(DnsName::parse(&format!("{label}a.com")).is_err());
    }

    #[test]
    fn bridge_names_take_one_template() {
        assert!(BridgeName::parse("virbr%d").unwrap().is_template());
        assert!(!BridgeName::parse("virbr0").unwrap().is_template());
        for bad in ["virbr%d%d", "virbr%s", "a b", "averyveryverylongname"] {
            assert!(BridgeName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_bridge_template_is_a_device_name_with_any_number_in_it() {
        // 11 bytes besides '%d': with 4095 in its place, 15.
        let widest = BridgeName::parse("abcdefghijk%d").unwrap();
        assert!(widest.is_template());
        let filled = widest
            .as_str()
            .replacen("%d", &BridgeName::TEMPLATE_MAX.to_string(), 1);
        assert!(crate::model::IfaceName::parse(&filled).is_ok(), "{filled}");
        // 12 bytes would fit with '0' in place (13), but not with 4095 (16).
        let err = BridgeName::parse("abcdefghijkl%d").unwrap_err().0;
        assert!(err.contains("at most 11 bytes besides its '%d'"), "{err}");
        assert!(BridgeName::parse("%d").is_ok());
        assert!(BridgeName::parse("br %d").is_err());
        // A plain name keeps the interface name's own limit.
        assert!(BridgeName::parse("abcdefghijklmno").is_ok());
        assert!(BridgeName::parse("abcdefghijklmnop").is_err());
    }
}
