//! The `tidings token` subcommand's arguments, apart from the server's
//! flags in `config.rs` (which keeps that file short).

use clap::{Args, Subcommand};

/// Subcommands besides serving.
#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Print a signed token (uses --jwt-secret / TIDINGS_JWT_SECRET).
    Token(TokenArgs),
}

/// `tidings token`: what the token says.
#[derive(Args, Debug, Clone)]
pub struct TokenArgs {
    /// User id (`sub` claim).
    #[arg(long)]
    pub sub: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Topic pattern the holder may subscribe to (repeat for more).
    #[arg(long)]
    pub subscribe: Vec<String>,
    /// Topic pattern the holder may publish to (repeat for more).
    #[arg(long)]
    pub publish: Vec<String>,
    /// Lifetime: 90s, 15m, 1h, 7d.
    #[arg(long, default_value = "1h", value_parser = crate::server::auth::parse_ttl)]
    pub ttl: u64,
    /// An admin token: may open `/admin` (the `admin:` topics).
    #[arg(long)]
    pub admin: bool,
}
