//! RFC 4122 UUIDs: read as libvirt writes them, and derived from names when none is given.

use std::fmt;

use super::ValueError;

/// A 128-bit UUID, printed in the canonical lower-case 8-4-4-4-12 form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid([u8; 16]);

/// The namespace netloom derives its name-based UUIDs in (itself a v5 UUID of
/// "netloom" in the RFC 4122 URL namespace), so netloom's UUIDs never collide with another
/// tool's name-based ones.
const NAMESPACE: Uuid = Uuid([
    0x7b, 0x1f, 0x5c, 0x0e, 0x3a, 0x44, 0x5d, 0x6e, 0x9b, 0x42, 0x1e, 0x0c, 0x8f, 0x27, 0x61, 0xd3,
]);

impl Uuid {
    /// Reads 32 hex digits, optionally grouped by `-` as in `81ff0d90-c91e-6742-64da-…`.
    /// libvirt also takes the digits ungrouped or grouped oddly, so any `-` between two
    /// digit pairs is accepted; anything else is refused.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let err = || {
            ValueError(
                "expected a UUID of 32 hex digits like 81ff0d90-c91e-6742-64da-4a736edb9a9b".into(),
            )
        };
        let mut out = [0u8; 16];
        let mut digits = s.bytes().filter(|&b| b != b'-');
        if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(err());
        }
        for byte in &mut out {
            let hi = digits.next().and_then(hex).ok_or_else(err)?;
            let lo = digits.next().and_then(hex).ok_or_else(err)?;
            *byte = hi << 4 | lo;
        }
        if digits.next().is_some() {
            return Err(err());
        }
        // A dash may only sit between two whole bytes.
        let mut seen = 0usize;
        for b in s.bytes() {
            if b == b'-' && seen % 2 == 1 {
                return Err(err());
            }
            if b != b'-' {
                seen += 1;
            }
        }
        Ok(Self(out))
    }

    /// A version-5 (SHA-1, name-based) UUID of `kind` and `name`, so the same object gets the
    /// same UUID on every run and every machine: re-rendering never churns it, and two
    /// different kinds of object with one name never share one.
    pub fn derived(kind: &str, name: &str) -> Self {
        let mut h = sha1_smol::Sha1::new();
        h.update(&NAMESPACE.0);
        h.update(kind.as_bytes());
        h.update(b"\0");
        h.update(name.as_bytes());
        let digest = h.digest().bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&digest[..16]);
        out[6] = (out[6] & 0x0f) | 0x50;
        out[8] = (out[8] & 0x3f) | 0x80;
        Self(out)
    }

    /// The 16 bytes.
    pub fn bytes(&self) -> [u8; 16] {
        self.0
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_read_grouped_or_not_and_print_canonically() {
        let want = "81ff0d90-c91e-6742-64da-4a736edb9a9b";
        for ok in [
            want,
            "81FF0D90C91E674264DA4A736EDB9A9B",
            "81ff0d90-c91e6742-64da-4a73-6edb9a9b",
        ] {
            assert_eq!(Uuid::parse(ok).unwrap().to_string(), want, "{ok}");
        }
        for bad in [
            "",
            "81ff0d90-c91e-6742-64da-4a736edb9a9",
            "81ff0d90-c91e-6742-64da-4a736edb9a9b0",
            "-81ff0d90c91e674264da4a736edb9a9b",
            "81ff0d90--c91e674264da4a736edb9a9b",
            "8-1ff0d90c91e674264da4a736edb9a9b",
            "81ff0d90-c91e-6742-64da-4a736edb9a9g",
            " 81ff0d90-c91e-6742-64da-4a736edb9a9b",
        ] {
            assert!(Uuid::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn derived_uuids_are_stable_version_5_and_kind_specific() {
        let a = Uuid::derived("network", "default");
        assert_eq!(a, Uuid::derived("network", "default"));
        assert_ne!(a, Uuid::derived("network", "default2"));
        assert_ne!(a, Uuid::derived("connection", "default"));
        let s = a.to_string();
        assert_eq!(&s[14..15], "5", "{s}");
        assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"), "{s}");
    }
}
