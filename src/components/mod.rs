//! Reusable realtime components, one per file. They take props and read
//! the realtime client from context; none touches a socket.

mod connection_status;
mod follow;
mod line_chart;
mod message_list;
mod operation_progress;
mod relative_time;
mod streaming_response;
mod theme_toggle;
mod time_format;
mod toasts;
mod typing_indicator;

pub use connection_status::ConnectionStatus;
pub use line_chart::{LineChart, polyline_points};
pub use message_list::{MessageList, grouped_flags, new_messages_label};
pub use operation_progress::{OperationProgress, ordinal_of};
pub use relative_time::{Clock, RelativeTime, provide_clock};
pub use streaming_response::StreamingResponse;
pub use theme_toggle::{THEME_BOOT_SCRIPT, THEME_KEY, ThemeToggle};
pub use time_format::{exact, iso_utc, relative};
pub use toasts::Toasts;
pub use typing_indicator::TypingIndicator;
