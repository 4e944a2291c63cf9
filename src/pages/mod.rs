//! The pages, one per file, and where the page is (`location`).

mod admin;
mod location;
mod workspace;
mod workspace_panels;

pub use admin::Admin;
pub use location::{page_path, query_param};
pub use workspace::Workspace;
