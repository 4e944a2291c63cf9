//! The pages, one per file, where the page is (`location`), and the
//! workspace's head script (`preconnect`).

mod admin;
mod location;
mod preconnect;
mod workspace;
mod workspace_panels;

pub use admin::Admin;
pub use location::{page_path, query_param};
pub use preconnect::preconnect_script;
pub use workspace::Workspace;
