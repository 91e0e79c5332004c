//! End to end: the slack adapter against a simulated slack server.
