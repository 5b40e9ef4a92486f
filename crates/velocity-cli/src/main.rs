//! The `velocity` command: a thin shell over the library crates.

mod demo;
mod eval;
mod import;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use velocity_server::{Application, Config};
use velocity_store::{Db, DbConfig};

/// Many small, short-lived allocations per request (rows, JSON maps, response bodies) from
/// several threads: mimalloc serves them faster than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Velocity: the self-hosted sales operating system.
///
/// With no database flag, data lives in ./velocity-data/velocity.db (SQLite). Point
/// --database-url (or VELOCITY_DATABASE_URL) at postgres://… to use PostgreSQL.
#[derive(Parser)]
#[command(name = "velocity", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (API, live event feed and web app)
    Serve(ServeArgs),
    /// Apply database migrations and exit (the server also migrates at start)
    Migrate(DatabaseArgs),
    /// Load the demo workspace: a premium real-estate team with properties, buyers, site
    /// visits, deals in every stage (won and lost history included) and tasks
    Demo(DemoArgs),
    /// Import a CSV or TSV export (HubSpot, Salesforce, Zoho, Pipedrive, a spreadsheet…) into
    /// a workspace: the mapping is proposed from the columns, progress and the per-row report
    /// are printed, and `--dry-run` shows what would happen without writing
    Import(import::ImportArgs),
    /// Manage users
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of a SQLite database, safe while the server runs
    /// (for PostgreSQL use pg_dump; see docs/operations.md)
    Backup(BackupArgs),
    /// Measure Velocity's intelligence on your own data, offline: `eval scoring` trains the
    /// win-scoring model on a CSV of closed deals and reports how well it predicts the rest;
    /// `eval forecast` scores a workspace's past forecasts against what was won
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Print the OpenAPI document the server serves at /api/openapi.json (the web app's
    /// typed client is generated from it: `make openapi` refreshes web/openapi.json)
    Openapi,
}

#[derive(Args, Clone)]
struct DatabaseArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite under --data-dir]
    #[arg(long, env = "VELOCITY_DATABASE_URL")]
    database_url: Option<String>,
    /// Directory for the default SQLite database
    #[arg(long, env = "VELOCITY_DATA_DIR", default_value = "velocity-data")]
    data_dir: PathBuf,
}

impl DatabaseArgs {
    fn url(&self) -> Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                self.data_dir.display()
            )
        })?;
        Ok(format!(
            "sqlite://{}",
            self.data_dir.join("velocity.db").display()
        ))
    }

    async fn connect(&self) -> Result<Db> {
        let db = Db::connect_and_migrate(&DbConfig::new(self.url()?)).await?;
        Ok(db)
    }
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Address to listen on
    #[arg(long, env = "VELOCITY_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Load the demo workspace first if it is not there yet, and print its login
    #[arg(long)]
    demo: bool,
    /// Largest accepted request body in bytes
    #[arg(long, env = "VELOCITY_BODY_LIMIT", default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// Seconds a workspace must be quiet after a change before its scores, insights and
    /// forecast snapshots are refreshed in the background (they are also refreshed nightly)
    #[arg(long, env = "VELOCITY_INTEL_DEBOUNCE", default_value_t = 30)]
    intel_debounce: u64,
    /// Seconds an access token lives before the client must refresh it (1 to 900)
    #[arg(long, env = "VELOCITY_ACCESS_TOKEN_TTL", default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(1..=900))]
    access_token_ttl: u64,
    /// Secret for signing access tokens [default: generated once and kept in the database]
    #[arg(long, env = "VELOCITY_TOKEN_SECRET", hide_env_values = true)]
    token_secret: Option<String>,
}

#[derive(Args)]
struct DemoArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Number of deals to generate (the rest of the workspace scales with it)
    #[arg(long, default_value_t = demo::DEFAULT_DEALS)]
    deals: usize,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user, with a workspace of their own unless --no-workspace is given
    Create(UserCreateArgs),
}

#[derive(Args)]
struct UserCreateArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[arg(long)]
    email: String,
    #[arg(long)]
    name: String,
    /// At least 8 characters [env: VELOCITY_USER_PASSWORD]
    #[arg(long, env = "VELOCITY_USER_PASSWORD", hide_env_values = true)]
    password: String,
    /// Name of the workspace to create for the user
    #[arg(long, default_value = "My workspace")]
    workspace: String,
    /// Create only the user (an admin can then add them to a workspace)
    #[arg(long)]
    no_workspace: bool,
}

#[derive(Args)]
struct BackupArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Where to write the copy (must not exist yet)
    #[arg(long, short)]
    output: PathBuf,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    // A large demo builds its indexes at the end, each a statement that runs for seconds on
    // purpose: sqlx's slow-statement warnings would only be noise there.
    let default_filter = match cli.command {
        Command::Demo(_) => "info,sqlx=error,tower_http=warn",
        _ => "info,sqlx=warn,tower_http=warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VELOCITY_LOG")
                .unwrap_or_else(|_| default_filter.into()),
        )
        .init();
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => {
            args.connect().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo(args) => {
            let db = args.database.connect().await?;
            let login = demo::load(&db, args.deals).await?;
            println!("{login}");
            Ok(())
        }
        Command::Import(args) => import::run(args).await,
        Command::User(UserCommand::Create(args)) => create_user(args).await,
        Command::Backup(args) => backup(args).await,
        Command::Eval(command) => eval::run(command).await,
        Command::Openapi => {
            println!("{:#}", velocity_server::openapi_document());
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    let mut config = Config::new(args.listen, args.database.url()?);
    config.body_limit = args.body_limit;
    config.intel_debounce = std::time::Duration::from_secs(args.intel_debounce);
    config.token_secret = args.token_secret;
    config.access_token_ttl = std::time::Duration::from_secs(args.access_token_ttl);
    let app = Application::build(config).await?;
    if args.demo {
        let login = demo::ensure(app.db()).await?;
        println!("{login}");
    }
    println!(
        "Velocity is listening on http://{}:{}",
        args.listen.ip(),
        app.port()
    );
    app.run_until_stopped().await?;
    Ok(())
}

async fn create_user(args: UserCreateArgs) -> Result<()> {
    let email = velocity_domain::values::parse_email(&args.email).map_err(anyhow::Error::msg)?;
    let db = args.database.connect().await?;
    let hash = velocity_server::auth::hash_password(args.password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let workspace = (!args.no_workspace).then_some(args.workspace.as_str());
    let (user, workspace) = db
        .create_user(&email, args.name.trim(), &hash, workspace)
        .await?;
    println!("created user {} ({})", user.email, user.id);
    if let Some(workspace) = workspace {
        println!("created workspace {} ({})", workspace.name, workspace.id);
    }
    Ok(())
}

async fn backup(args: BackupArgs) -> Result<()> {
    if args.output.exists() {
        bail!(
            "{} already exists; choose a new file",
            args.output.display()
        );
    }
    let db = args.database.connect().await?;
    let output = args
        .output
        .to_str()
        .context("the output path must be valid UTF-8")?;
    db.backup_sqlite(output).await?;
    println!("backup written to {}", args.output.display());
    Ok(())
}
