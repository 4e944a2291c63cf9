//! Route components, one per file.

mod workspace;
mod workspace_panels;

pub use workspace::Workspace;
