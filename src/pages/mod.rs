//! Route components, one per file.

mod admin;
mod workspace;
mod workspace_panels;

pub use admin::Admin;
pub use workspace::Workspace;
