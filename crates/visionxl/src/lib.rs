//! The visionxl client.
