//! End to end: the telegram adapter against a simulated telegram server.
