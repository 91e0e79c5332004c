//! End to end: the facebook adapter against a simulated facebook server.
