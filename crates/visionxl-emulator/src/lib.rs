//! A local stand-in for the 1min.ai features endpoint.
