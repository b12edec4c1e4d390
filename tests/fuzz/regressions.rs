//! What the properties found, each pinned by the smallest input that showed it.
