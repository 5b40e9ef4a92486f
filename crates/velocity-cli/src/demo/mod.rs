//! The demo workspace: "Skyline Estates", a premium real-estate team. Properties (products with
//! bedrooms, area and location), buyers (contacts, some through family offices and relocation
//! firms), deals across every stage with won and lost history, site visits and calls, and open
//! tasks, some overdue. Every deal has lived its life over the past year (see [`lives`]). A
//! seeded generator makes the same workspace every time (dates are relative to today so it
//! always looks current); `--deals N` scales it.

mod lives;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::sync::Mutex;
use tokio::sync::mpsc;
use velocity_domain::values::format_timestamp;
use velocity_domain::{parse_record, Mode, ObjectKind, Role, UserId, WorkspaceId};
use velocity_store::records::{PreparedLives, Step};
use velocity_store::{Actor, ActorKind, Db, WriteContext};

pub const DEFAULT_DEALS: usize = 120;
pub const DEMO_EMAIL: &str = "demo@velocity.local";
pub const DEMO_PASSWORD: &str = "velocity-demo";

const AGENTS: [(&str, &str); 2] = [
    ("Marco Rossi", "marco@velocity.local"),
    ("Aisha Khan", "aisha@velocity.local"),
];
const FIRST: [&str; 24] = [
    "Olivia", "Liam", "Sofia", "Noah", "Amelia", "Lucas", "Isabella", "Mateo", "Chloe", "Ethan",
    "Mia", "Hugo", "Léa", "Jonas", "Yuki", "Arjun", "Fatima", "Elena", "Oscar", "Nadia", "Henrik",
    "Zara", "Tomás", "Ingrid",
];
const LAST: [&str; 24] = [
    "Bennett",
    "Hartmann",
    "Moreau",
    "Castillo",
    "Nakamura",
    "Okafor",
    "Lindqvist",
    "Romano",
    "Novak",
    "Fischer",
    "Duarte",
    "Kowalski",
    "Haddad",
    "Sørensen",
    "Mehta",
    "O'Brien",
    "Vasquez",
    "Laurent",
    "Schmidt",
    "Aydın",
    "Whitmore",
    "Petrov",
    "Costa",
    "Yamamoto",
];
const FIRMS: [&str; 12] = [
    "Halden",
    "Northwind",
    "Ashford",
    "Bellmare",
    "Corvin",
    "Eastlake",
    "Greyfield",
    "Marlowe",
    "Oakridge",
    "Silverline",
    "Thornbury",
    "Westbrook",
];
const FIRM_KINDS: [(&str, &str); 4] = [
    ("Family Office", "Private wealth"),
    ("Relocation GmbH", "Corporate relocation"),
    ("Capital Partners", "Real estate investment"),
    ("Holdings", "Holding company"),
];
const PROPERTY_KINDS: [(&str, u32, f64); 6] = [
    ("Penthouse", 3, 2_400_000.0),
    ("Villa", 5, 3_800_000.0),
    ("Townhouse", 4, 1_600_000.0),
    ("Loft", 2, 950_000.0),
    ("Garden apartment", 3, 1_150_000.0),
    ("Estate", 7, 7_500_000.0),
];
const LOCATIONS: [&str; 8] = [
    "Marina Bay",
    "Hillcrest",
    "Old Town",
    "Lakeside",
    "Palm Grove",
    "Riverside",
    "Northgate",
    "Sunset Heights",
];
const VIEWS: [&str; 5] = ["sea", "lake", "park", "city skyline", "garden"];
const TASKS: [&str; 6] = [
    "Send floor plans and energy certificate",
    "Schedule a second viewing",
    "Prepare the offer letter",
    "Confirm proof of funds",
    "Arrange the notary appointment",
    "Follow up after the site visit",
];

/// The demo workspace's login, for printing.
pub struct Login {
    workspace: WorkspaceId,
}

impl std::fmt::Display for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Demo workspace \"Skyline Estates\" ({}): log in as {DEMO_EMAIL} with password {DEMO_PASSWORD}",
            self.workspace
        )
    }
}

/// Loads the demo unless its user already exists.
pub async fn ensure(db: &Db) -> Result<Login> {
    if let Some(credentials) = db.credentials_by_email(DEMO_EMAIL).await? {
        let workspace = db
            .workspaces_of(credentials.user.id)
            .await?
            .into_iter()
            .next()
            .context("the demo user has no workspace")?;
        return Ok(Login {
            workspace: workspace.id,
        });
    }
    load(db, DEFAULT_DEALS).await
}

/// How many records go into one transaction.
const BATCH: usize = 2_000;

/// From this many deals on, the load builds the secondary indexes at the end (see
/// [`Db::defer_indexes`]): faster from about here, and a benchmark-sized demo is loaded into
/// a database of its own, where nobody else is reading meanwhile.
const DEFER_INDEXES_FROM: usize = 50_000;

struct Generator {
    rng: StdRng,
    members: Vec<UserId>,
}

/// Prepares records on this task and hands them to the writer task, in order. Generating and
/// preparing a batch take about as long as writing one: the writer works on batch n while this
/// task makes batch n + 1, and the two keep both cores busy.
struct Loader<'a> {
    db: &'a Db,
    workspace: WorkspaceId,
    to_writer: mpsc::Sender<Vec<PreparedLives>>,
    /// Batches the writer has written, handed back to be freed here: the writer is the load's
    /// bottleneck, and freeing what it wrote was part of its work.
    written: Mutex<mpsc::UnboundedReceiver<Vec<PreparedLives>>>,
}

impl Loader<'_> {
    /// Prepares records of one kind, each created `at`, queues them for the writer and returns
    /// them as they will be stored.
    async fn create_all(
        &self,
        kind: ObjectKind,
        at: DateTime<Utc>,
        bodies: Vec<Value>,
    ) -> Result<Vec<Value>> {
        let mut created = Vec::with_capacity(bodies.len());
        for chunk in bodies.chunks(BATCH) {
            let lives = chunk
                .iter()
                .map(|body| parse_record(kind, body, Mode::Create).map(|input| vec![(at, input)]))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("demo {}: {e}", kind.name()))?;
            let prepared = self.db.prepare_lives(self.workspace, kind, lives).await?;
            created.extend(prepared.records().iter().cloned().map(Value::Object));
            self.write(vec![prepared]).await?;
        }
        Ok(created)
    }

    async fn write(&self, batch: Vec<PreparedLives>) -> Result<()> {
        if let Ok(mut written) = self.written.lock() {
            while let Ok(spent) = written.try_recv() {
                drop(spent);
            }
        }
        // A closed channel means the writer failed; the caller reports its error.
        self.to_writer
            .send(batch)
            .await
            .map_err(|_| anyhow::anyhow!("the demo writer stopped"))
    }
}

fn id(record: &Value) -> String {
    record["id"].as_str().unwrap_or_default().to_string()
}

/// Creates the demo users and workspace and fills it with `deals` deals; the rest scales with
/// it (a fifth as many contacts, a twentieth as many accounts and properties, about one
/// activity per deal).
pub async fn load(db: &Db, deals: usize) -> Result<Login> {
    let hash = velocity_server::auth::hash_password(DEMO_PASSWORD.to_string())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (owner, workspace) = db
        .create_user(DEMO_EMAIL, "Dana Whitfield", &hash, Some("Skyline Estates"))
        .await
        .context("creating the demo user (is the demo already loaded?)")?;
    let workspace = workspace.context("the demo workspace was not created")?;
    let ctx = WriteContext::new(workspace.id, Actor::new(ActorKind::User, owner.id), "demo");
    let mut members = vec![owner.id];
    for (name, email) in AGENTS {
        let (agent, _) = db.create_user(email, name, &hash, None).await?;
        db.add_member(&ctx, email, Role::Member).await?;
        members.push(agent.id);
    }
    let mut generator = Generator {
        rng: StdRng::seed_from_u64(7),
        members,
    };
    let pipeline = db
        .list_records(workspace.id, ObjectKind::Pipeline, &Default::default())
        .await?
        .items
        .into_iter()
        .next()
        .context("the demo workspace has no pipeline")?;
    let stages: Vec<(String, String)> = pipeline["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or_default().to_string(),
                s["kind"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let deferred = deals >= DEFER_INDEXES_FROM;
    if deferred {
        db.defer_indexes().await?;
    }
    let (to_writer, mut received) = mpsc::channel::<Vec<PreparedLives>>(1);
    let (spent, written) = mpsc::unbounded_channel();
    let writer = {
        let db = db.clone();
        tokio::spawn(async move {
            while let Some(batch) = received.recv().await {
                db.write_lives(&ctx, &batch).await?;
                // The loader may have finished; then the batch is freed here.
                let _ = spent.send(batch);
            }
            anyhow::Ok(())
        })
    };
    let loader = Loader {
        db,
        workspace: workspace.id,
        to_writer,
        written: Mutex::new(written),
    };
    let generated = generate(&loader, &mut generator, &stages, deals).await;
    drop(loader);
    writer.await.context("the demo writer stopped")??;
    generated?;
    // Statistics for the planner now, rather than at the first start of the server.
    if deferred {
        eprintln!("  building the indexes");
        db.build_deferred_indexes().await?;
        db.optimize_after_bulk_load().await?;
    } else {
        db.optimize().await?;
    }
    Ok(Login {
        workspace: workspace.id,
    })
}

/// Generates the properties, firms, clients and `deals` deals with everything around them, and
/// queues them for the writer.
async fn generate(
    loader: &Loader<'_>,
    generator: &mut Generator,
    stages: &[(String, String)],
    deals: usize,
) -> Result<()> {
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .unwrap_or_default()
        .and_utc();
    // The book of properties, clients and firms predates the oldest deal.
    let book_opened = today - Duration::days(430);
    let rng = &mut generator.rng;

    let property_bodies: Vec<Value> = (0..(deals / 20).max(40))
        .map(|i| {
            let (kind, bedrooms, base) = *PROPERTY_KINDS.choose(rng).unwrap_or(&PROPERTY_KINDS[0]);
            let location = LOCATIONS[i % LOCATIONS.len()];
            let price = (base * rng.gen_range(0.7..1.5) / 5000.0).round() * 5000.0;
            json!({
                "name": format!("{kind} {}, {location}", i + 1), "sku": format!("SKY-{:05}", i + 1),
                "category": kind, "price": price, "currency": "EUR",
                "attributes": {"bedrooms": bedrooms + rng.gen_range(0..2), "area_sqm": bedrooms * 45 + rng.gen_range(10..90),
                               "location": location, "view": VIEWS.choose(rng), "year_built": rng.gen_range(1890..2025)},
            })
        })
        .collect();
    let account_bodies: Vec<Value> = (0..(deals / 20).max(12))
        .map(|i| {
            let (suffix, industry) = FIRM_KINDS[i % FIRM_KINDS.len()];
            let firm = FIRMS[i % FIRMS.len()];
            let name = if i < FIRMS.len() * FIRM_KINDS.len() { format!("{firm} {suffix}") } else { format!("{firm} {suffix} {}", i + 1) };
            json!({"name": name, "domain": format!("{}{}.example", firm.to_lowercase(), i + 1), "industry": industry,
                "employees": rng.gen_range(3..400), "owner_id": generator.members.choose(rng).map(ToString::to_string),
                "address": format!("{} {} Street, {}", rng.gen_range(1..200), firm, LOCATIONS[i % LOCATIONS.len()])})
        })
        .collect();
    let properties = loader
        .create_all(ObjectKind::Product, book_opened, property_bodies)
        .await?;
    let accounts = loader
        .create_all(ObjectKind::Account, book_opened, account_bodies)
        .await?;
    let rng = &mut generator.rng;
    let contact_bodies: Vec<Value> = (0..(deals / 5).max(60))
        .map(|i| {
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i / FIRST.len() + i * 7) % LAST.len()];
            let account = (i % 5 < 2).then(|| &accounts[i % accounts.len()]);
            let domain = account.map_or("mail.example", |a| a["domain"].as_str().unwrap_or("mail.example"));
            let local: String = format!("{first}.{last}{}", i + 1).to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
            json!({"first_name": first, "last_name": last, "email": format!("{local}@{domain}"),
                "phone": format!("+44 20 7946 {:04}", i % 10_000),
                "title": if account.is_some() { "Relocation manager" } else { "Private buyer" },
                "account_id": account.map(id), "owner_id": generator.members.choose(rng).map(ToString::to_string),
                "attributes": {"budget_eur": rng.gen_range(8..120) * 100_000, "preferred_area": LOCATIONS.choose(rng)}})
        })
        .collect();
    let contacts = loader
        .create_all(ObjectKind::Contact, book_opened, contact_bodies)
        .await?;

    let open_stages: Vec<String> = stages
        .iter()
        .filter(|(_, kind)| kind == "open")
        .map(|(id, _)| id.clone())
        .collect();
    let closing = |wanted: &str| {
        stages
            .iter()
            .find(|(_, kind)| kind == wanted)
            .map(|(id, _)| id.clone())
            .context("the demo pipeline lacks a won or a lost stage")
    };
    let (won, lost) = (closing("won")?, closing("lost")?);
    let members: Vec<String> = generator.members.iter().map(ToString::to_string).collect();
    let plan = lives::Plan {
        open: &open_stages,
        won: &won,
        lost: &lost,
        members: &members,
        today: Utc::now(),
    };
    for start in (0..deals).step_by(BATCH) {
        let batch = generate_deals(
            &mut generator.rng,
            &plan,
            &contacts,
            &properties,
            &members,
            today,
            start..(start + BATCH).min(deals),
        )?
        .prepare(loader.db, loader.workspace)
        .await?;
        loader.write(batch).await?;
        if deals >= 100_000 && (start / BATCH) % 50 == 49 {
            eprintln!("  {} of {deals} deals", start + BATCH);
        }
    }
    Ok(())
}

/// Deals with their lives, and the activities and tasks around them, ready to write. The
/// activities and tasks name their deal by its position in `deals`, since deals get their ids
/// when written.
struct DealBatch {
    deals: Vec<Vec<Step>>,
    activities: Vec<(usize, Value)>,
    tasks: Vec<(usize, Value)>,
}

impl DealBatch {
    /// The deals, then their activities and tasks (named by the deals' new ids), prepared for
    /// [`Db::write_lives`]. Activities and tasks are created now, in one step.
    async fn prepare(self, db: &Db, workspace: WorkspaceId) -> Result<Vec<PreparedLives>> {
        let deals = db
            .prepare_lives(workspace, ObjectKind::Deal, self.deals)
            .await?;
        let mut prepared = Vec::with_capacity(3);
        for (kind, around) in [
            (ObjectKind::Activity, self.activities),
            (ObjectKind::Task, self.tasks),
        ] {
            let now = Utc::now();
            let lives = around
                .into_iter()
                .map(|(deal, mut body)| {
                    body["deal_id"] = deals.records()[deal]["id"].clone();
                    parse_record(kind, &body, Mode::Create).map(|input| vec![(now, input)])
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("demo {}: {e}", kind.name()))?;
            prepared.push(db.prepare_lives(workspace, kind, lives).await?);
        }
        prepared.insert(0, deals);
        Ok(prepared)
    }
}

/// The deals numbered `range`, each with the life it has lived, and the site visits, calls and
/// tasks around them.
fn generate_deals(
    rng: &mut StdRng,
    plan: &lives::Plan,
    contacts: &[Value],
    properties: &[Value],
    members: &[String],
    today: DateTime<Utc>,
    range: std::ops::Range<usize>,
) -> Result<DealBatch> {
    let mut lives = Vec::with_capacity(range.len());
    for i in range.clone() {
        let contact = &contacts[i % contacts.len()];
        let property = &properties[(i * 3) % properties.len()];
        let price = property["price"].as_f64().unwrap_or(1_000_000.0);
        let body = json!({
            "name": format!("{} {} – {}", contact["first_name"].as_str().unwrap_or_default(),
                contact["last_name"].as_str().unwrap_or_default(), property["name"].as_str().unwrap_or_default()),
            "amount": (price * rng.gen_range(0.94..1.02) / 1000.0).round() * 1000.0,
            "currency": "EUR", "account_id": contact["account_id"], "contact_ids": [id(contact)],
            "product_ids": [id(property)], "owner_id": members.choose(rng),
            "attributes": {"financing": if rng.gen_bool(0.6) { "mortgage" } else { "cash" }}});
        lives.push(lives::live(rng, plan, body));
    }
    let deals = lives
        .iter()
        .map(|life| {
            life.steps
                .iter()
                .enumerate()
                .map(|(n, (at, body))| {
                    let mode = if n == 0 { Mode::Create } else { Mode::Patch };
                    parse_record(ObjectKind::Deal, body, mode).map(|input| (*at, input))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("demo deal: {e}"))?;
    let mut activities = Vec::new();
    let mut tasks = Vec::new();
    for (deal, (i, life)) in range.zip(&lives).enumerate() {
        let owner = life.owner();
        let contact_id = id(&contacts[i % contacts.len()]);
        let property = properties[(i * 3) % properties.len()]["name"]
            .as_str()
            .unwrap_or_default();
        // Keen buyers meet the agents more: zero to two activities, one on average.
        let meetings = (life.keenness * 2.0 + rng.gen::<f64>()).floor() as usize;
        let open_days = (life.open_until - life.open_from).num_minutes().max(1);
        for _ in 0..meetings {
            let at = life.open_from + Duration::minutes(rng.gen_range(0..open_days));
            let kind = ["visit", "call", "email", "meeting"][rng.gen_range(0..4)];
            let subject = match kind {
                "visit" => format!("Site visit: {property}"),
                "call" => "Call about budget and timing".to_string(),
                "email" => "Sent brochure and floor plans".to_string(),
                _ => "Meeting at the office".to_string(),
            };
            activities.push((deal, json!({"kind": kind, "subject": subject,
                "occurred_at": format_timestamp(at),
                "duration_minutes": if kind == "email" { Value::Null } else { json!(rng.gen_range(10..90)) },
                "contact_id": contact_id, "owner_id": owner,
                "body": if kind == "visit" { "Client liked the light and the terrace; asked about service charges." } else { "" }})));
        }
        if life.outcome == lives::Outcome::Open && rng.gen_bool(0.4) {
            let due = today + Duration::days(rng.gen_range(-5..14));
            tasks.push((
                deal,
                json!({"title": TASKS.choose(rng), "due_at": format_timestamp(due),
                "assignee_id": owner, "owner_id": owner, "contact_id": contact_id}),
            ));
        }
    }
    Ok(DealBatch {
        deals,
        activities,
        tasks,
    })
}
