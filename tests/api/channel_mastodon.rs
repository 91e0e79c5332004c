//! End to end: the mastodon adapter against a simulated mastodon server.
