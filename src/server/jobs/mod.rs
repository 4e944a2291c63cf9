//! Jobs: the registries of operations and streams (bounded in count, per
//! user and in retained bytes), the control events of jobs created over
//! HTTP, and the producers that fill them — the demo job, the demo
//! assistant and the LLM relay.
//!
//! May not touch: a transport, one connection's logic or the HTTP API.
//! The producers publish through the app's state like any backend would.

pub(crate) mod assistant;
pub(crate) mod control;
pub(crate) mod demo_job;
mod demo_text;
pub(crate) mod llm;
mod registry;

pub(crate) use registry::*;
