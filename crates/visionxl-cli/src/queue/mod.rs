//! Batches over many machines through Redis: `visionxl queue push|status` and `visionxl
//! worker` ([`store`] says where a job lives and how its items' states are kept).

pub mod push;
pub mod status;
pub mod store;
pub mod worker;
