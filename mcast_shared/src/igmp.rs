//! IGMP (RFC 2236, RFC 3376): placeholder, filled by the next commit.
