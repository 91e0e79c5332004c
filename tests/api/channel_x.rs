//! End to end: the x adapter against a simulated x server.
