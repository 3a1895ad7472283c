//! `trueshot serve` and `trueshot users`: the command line of [`trueshot_server`].

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use trueshot_pipeline::Engine;
use trueshot_server::db::{Db, Role};
use trueshot_server::store::Store;
use trueshot_server::{api, auth, App, Config};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    database: DatabaseArg,
    #[command(flatten)]
    nats: NatsArg,
    /// Photos processed at once [default: one less than the CPU cores, at least 1, so that live
    /// checks stay fast]. With --database it may be 0: this replica only serves, and `trueshot
    /// worker`s or other replicas make the photos.
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    #[command(flatten)]
    lease: LeaseArg,
    /// Largest upload accepted, in megabytes.
    #[arg(long, default_value_t = 25, value_name = "MB")]
    max_upload_mb: u64,
    /// Photos one account may store per hour (a refused, unreadable file does not count).
    #[arg(long, default_value_t = 30, value_name = "N")]
    uploads_per_hour: u32,
    /// Mark the session cookie `Secure` (set this when a TLS proxy serves the page over HTTPS).
    #[arg(long)]
    secure_cookies: bool,
    /// The address of a reverse proxy in front: for its connections the client's address (for
    /// the limits on failed logins) is the last one in X-Forwarded-For.
    #[arg(long, value_name = "IP")]
    trusted_proxy: Option<std::net::IpAddr>,
    #[command(flatten)]
    sign: crate::credentials::SignArgs,
}

#[derive(Args, Clone)]
pub struct DataArg {
    /// Folder for the database and photos [default: $TRUESHOT_DATA or
    /// ~/.local/share/trueshot/serve].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

impl DataArg {
    fn dir(&self) -> PathBuf {
        self.data.clone().unwrap_or_else(|| {
            std::env::var_os("TRUESHOT_DATA")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    let home = std::env::var_os("HOME").map_or_else(|| ".".into(), PathBuf::from);
                    home.join(".local/share/trueshot/serve")
                })
        })
    }
}

#[derive(Args, Clone)]
pub struct NatsArg {
    /// With --database: jobs go to the workers through a NATS JetStream stream on this cluster
    /// (every node's nats://HOST:PORT, comma-separated; a copy of each job on up to three
    /// nodes). Without it, workers ask the database.
    #[arg(long, value_name = "URLS", value_delimiter = ',')]
    nats: Vec<String>,
}

impl NatsArg {
    fn urls(&self) -> Option<&[String]> {
        (!self.nats.is_empty()).then_some(self.nats.as_slice())
    }
}

#[derive(Args, Clone)]
pub struct LeaseArg {
    /// With --database: seconds a photo's worker may go without a heartbeat (sent six times
    /// within it) before the photo goes to another worker.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    lease: u64,
}

/// `trueshot worker`: makes the photos and headshot days of a PostgreSQL-backed service.
#[derive(Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    data: DataArg,
    /// The service's PostgreSQL database (postgres://USER:PASSWORD@HOST:PORT/DATABASE).
    #[arg(long, value_name = "URL")]
    database: String,
    #[command(flatten)]
    nats: NatsArg,
    /// Photos made at once [default: the CPU cores].
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    #[command(flatten)]
    lease: LeaseArg,
    #[command(flatten)]
    sign: crate::credentials::SignArgs,
}

/// `trueshot worker`: loads the nets and makes queued photos until Ctrl-C or SIGTERM.
pub fn worker(args: &WorkerArgs, store: &trueshot_vision::ModelStore) -> Result<u8> {
    let engine = Arc::new(Engine::load(store, args.sign.load()?)?);
    eprintln!("{}", engine.signer());
    let config = Config {
        lease: std::time::Duration::from_secs(args.lease.lease),
        ..Config::default()
    };
    let runtime = trueshot_server::runtime()?;
    let app = runtime.block_on(App::open_postgres(
        &args.database,
        args.nats.urls(),
        &args.data.dir(),
        engine,
        config,
    ))?;
    let n = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    println!(
        "trueshot worker: {n} workers (data in {})",
        app.data.display()
    );
    trueshot_server::work_on(&runtime, app, n)?;
    Ok(0)
}

#[derive(Args, Clone)]
pub struct DatabaseArg {
    /// Keep the state (accounts, sessions, the guideline, photos, headshot days) in this
    /// PostgreSQL database instead of the SQLite file in --data
    /// (postgres://USER:PASSWORD@HOST:PORT/DATABASE). Its schema is migrated on start. Photos'
    /// files stay in --data.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
}

impl DatabaseArg {
    /// The store named, on `runtime` (whose threads its connections use).
    fn open(&self, data: &std::path::Path, runtime: &trueshot_server::Runtime) -> Result<Store> {
        match &self.database {
            Some(url) => {
                let pg = runtime
                    .block_on(trueshot_server::pg::PgState::connect(url, 4))
                    .context("cannot open the database")?;
                Ok(Store::Postgres(Arc::new(pg)))
            }
            None => {
                std::fs::create_dir_all(data)
                    .with_context(|| format!("cannot create {}", data.display()))?;
                Ok(Store::Embedded(Arc::new(Db::open(
                    &data.join("trueshot.db"),
                )?)))
            }
        }
    }
}

#[derive(Subcommand)]
pub enum UsersAction {
    /// Create an account and print its invite link (the person sets their own password), or set
    /// the password now with --password-stdin.
    Add {
        email: String,
        /// An admin: edits the guideline, sees and approves everyone's photos, exports.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input instead of making an invite link.
        #[arg(long)]
        password_stdin: bool,
        /// The server's address as people reach it, for the printed link.
        #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
        url: String,
        #[command(flatten)]
        data: DataArg,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        data: DataArg,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

/// `trueshot serve`: loads the nets, starts the workers and serves until Ctrl-C or SIGTERM; the
/// photos being processed then are finished first.
pub fn run(args: &ServeArgs, store: &trueshot_vision::ModelStore) -> Result<u8> {
    let engine = Arc::new(Engine::load(store, args.sign.load()?)?);
    eprintln!("{}", engine.signer());
    let config = Config {
        max_upload_bytes: usize::try_from(args.max_upload_mb.saturating_mul(1024 * 1024))
            .unwrap_or(usize::MAX),
        uploads: auth::Limit {
            burst: args.uploads_per_hour.max(1),
            window_secs: 3600,
        },
        secure_cookies: args.secure_cookies,
        trusted_proxy: args.trusted_proxy,
        lease: std::time::Duration::from_secs(args.lease.lease),
        ..Config::default()
    };
    let runtime = trueshot_server::runtime()?;
    let app = match &args.database.database {
        Some(url) => runtime.block_on(App::open_postgres(
            url,
            args.nats.urls(),
            &args.data.dir(),
            engine,
            config,
        ))?,
        None if args.nats.urls().is_some() => {
            anyhow::bail!("--nats needs the state in PostgreSQL: add --database")
        }
        None => App::open(&args.data.dir(), engine, config)?,
    };
    let users = runtime.block_on(app.store.users())?;
    if users.iter().all(|u| u.0.role != Role::Admin) {
        eprintln!(
            "no admin account yet: create one with `trueshot users add you@example.com --admin --data {}`",
            app.data.display()
        );
    }
    let n = args.workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
    });
    let data = app.data.clone();
    trueshot_server::serve_on(&runtime, app, &args.addr, n, |addr, workers| {
        println!(
            "trueshot serve: listening on http://{addr} (data in {}, {workers} workers)",
            data.display(),
        );
    })?;
    Ok(0)
}

/// `trueshot users add|list`.
pub fn users(action: &UsersAction) -> Result<u8> {
    match action {
        UsersAction::Add {
            email,
            admin,
            password_stdin,
            url,
            data,
            database,
        } => {
            let email = api::normalise_email(email).map_err(|e| anyhow::anyhow!(e.message))?;
            let runtime = trueshot_server::runtime()?;
            let store = database.open(&data.dir(), &runtime)?;
            let role = if *admin { Role::Admin } else { Role::Member };
            let password = if *password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                let line = line.trim_end_matches(['\r', '\n']).to_string();
                auth::check_password_rules(&line).map_err(|e| anyhow::anyhow!(e.message))?;
                Some(auth::hash_password(&line).map_err(|e| anyhow::anyhow!(e.message))?)
            } else {
                None
            };
            let user = runtime
                .block_on(store.create_user(&email, role, password.as_deref()))?
                .with_context(|| format!("{email} already has an account"))?;
            if password.is_some() {
                println!("{} ({}) can log in now", user.email, role.as_str());
            } else {
                let link = runtime
                    .block_on(api::make_invite(&store, user.id))
                    .map_err(|e| anyhow::anyhow!(e.message))?;
                println!(
                    "{} ({}): send this invite link (valid {} days): {}{link}",
                    user.email,
                    role.as_str(),
                    api::INVITE_DAYS,
                    url.trim_end_matches('/')
                );
            }
            Ok(0)
        }
        UsersAction::List { data, database } => {
            let runtime = trueshot_server::runtime()?;
            let store = database.open(&data.dir(), &runtime)?;
            for (user, created, photos, active) in runtime.block_on(store.users())? {
                println!(
                    "{}\t{}\t{} photos\tsince {created}{}",
                    user.email,
                    user.role.as_str(),
                    photos,
                    if active { "" } else { "\t(invited)" }
                );
            }
            Ok(0)
        }
    }
}
