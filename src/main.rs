//! The `tidings` binary: configuration, logging, then the hub built with
//! `Tidings::builder` (as any app embedding it would) merged with the
//! Tidings site, served until SIGINT or SIGTERM.

/// jemalloc with background threads: memory freed after a spike goes back
/// to the system within seconds (glibc's malloc kept it; see
/// docs/bench/abuse-soak.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    use clap::Parser;
    use tidings::server::{Config, Tidings, serve, site};

    let mut config = Config::parse();
    if let Err(message) = config.validate() {
        eprintln!("error: {message}");
        return std::process::ExitCode::from(2);
    }
    if let Some(tidings::server::config::Command::Token(args)) = &config.command {
        return mint(&config, args);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tidings=info".into()),
        )
        .init();
    // Before listening: a --secrets-file that cannot be written stops the
    // start (the builder then finds both secrets set).
    if let Err(message) = tidings::server::secrets::ensure(&mut config) {
        eprintln!("error: {message}");
        return std::process::ExitCode::from(1);
    }
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on --addr {}: {e}", config.addr);
            return std::process::ExitCode::from(1);
        }
    };
    if let Ok(addr) = listener.local_addr() {
        config.addr = addr;
    }
    let site = site(&config);
    let (hub, tidings) = match Tidings::builder(config.clone()).build() {
        Ok(built) => built,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    tracing::info!("Tidings listening on http://{}", config.addr);
    match serve(listener, hub.merge(site), tidings, shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

/// `tidings token ...`: prints a signed token.
fn mint(
    config: &tidings::server::Config,
    args: &tidings::server::config::TokenArgs,
) -> std::process::ExitCode {
    use tidings::server::auth::{Auth, Claims};
    let Some(secret) = &config.jwt_secret else {
        eprintln!(
            "error: --jwt-secret (or TIDINGS_JWT_SECRET) is required to mint a token the server will accept \
             (a server started without one wrote its own to its --secrets-file: \
             `set -a; . ./tidings-secrets.env; set +a`)"
        );
        return std::process::ExitCode::from(2);
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let claims = Claims {
        sub: args.sub.clone(),
        name: args.name.clone(),
        exp: now + args.ttl,
        subscribe: args.subscribe.clone(),
        publish: args.publish.clone(),
        admin: args.admin,
    };
    println!("{}", Auth::new(secret.as_bytes()).mint(&claims));
    std::process::ExitCode::SUCCESS
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
