//! Shell `KEY=value` files (placeholder; see the helper's brief).
