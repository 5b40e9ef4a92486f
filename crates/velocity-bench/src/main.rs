//! `velocity-bench`: drives a running Velocity server with concurrent clients and reports
//! throughput and latency percentiles per scenario. It logs in with the demo credentials,
//! samples real ids from the workspace, then runs each scenario for a fixed duration.

use anyhow::{bail, Context, Result};
use clap::Parser;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Load-test a running Velocity server.
#[derive(Parser)]
struct Args {
    /// Base URL of the server
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, default_value = "demo@velocity.local")]
    email: String,
    #[arg(long, default_value = "velocity-demo")]
    password: String,
    /// Concurrent clients
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds per scenario
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Scenarios to run: get-deal, list-deals, search-contacts, contact-360, create-deal
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "get-deal,list-deals,search-contacts,contact-360,create-deal"
    )]
    scenarios: Vec<String>,
    /// PID of the server, to report its resident memory (peak during each scenario)
    #[arg(long)]
    server_pid: Option<u32>,
}

/// Ids sampled from the workspace for the scenarios to use.
struct Sample {
    base: String,
    token: String,
    deals: Vec<String>,
    contacts: Vec<String>,
    open_stages: Vec<String>,
    prefixes: Vec<String>,
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> Result<Value> {
    let response = client.get(url).bearer_auth(token).send().await?;
    if !response.status().is_success() {
        bail!("GET {url}: {}", response.status());
    }
    Ok(response.json().await?)
}

async fn sample(client: &reqwest::Client, args: &Args) -> Result<Sample> {
    let login: Value = client
        .post(format!("{}/api/v1/auth/login", args.url))
        .json(&json!({"email": args.email, "password": args.password}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("login failed; is the demo loaded?")?
        .to_string();
    let base = format!(
        "{}/api/v1/workspaces/{}",
        args.url,
        login["workspace"]["id"].as_str().context("no workspace")?
    );
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["id"].as_str().map(str::to_string))
            .collect()
    };
    let mut deals = Vec::new();
    let mut contacts = Vec::new();
    let mut prefixes = Vec::new();
    for sort in ["amount", "-amount", "close_date", "-created_at"] {
        deals.extend(ids(&get_json(
            client,
            &format!("{base}/deals?limit=500&sort={sort}"),
            &token,
        )
        .await?));
    }
    for sort in ["email", "-email", "last_name", "-created_at"] {
        let page = get_json(
            client,
            &format!("{base}/contacts?limit=500&sort={sort}"),
            &token,
        )
        .await?;
        contacts.extend(ids(&page));
        for contact in page["items"].as_array().into_iter().flatten() {
            for field in ["first_name", "last_name", "email"] {
                if let Some(text) = contact[field].as_str() {
                    prefixes.push(text.chars().take(4).collect::<String>().to_lowercase());
                }
            }
        }
    }
    let pipelines = get_json(client, &format!("{base}/pipelines"), &token).await?;
    let open_stages = pipelines["items"][0]["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["kind"] == "open")
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect();
    prefixes.sort();
    prefixes.dedup();
    Ok(Sample {
        base,
        token,
        deals,
        contacts,
        open_stages,
        prefixes,
    })
}

/// One timed request; a list scenario follows cursors, timing each page.
async fn run_once(
    client: &reqwest::Client,
    sample: &Sample,
    scenario: &str,
    latencies: &mut Vec<Duration>,
) -> Result<()> {
    // Draw every random choice up front: the thread-local generator must not live across an await.
    let (id_deal, id_contact, q, stage, amount) = {
        let mut rng = rand::thread_rng();
        let mut pick = |items: &[String]| items.choose(&mut rng).cloned().unwrap_or_default();
        let picks = (
            pick(&sample.deals),
            pick(&sample.contacts),
            pick(&sample.prefixes),
            pick(&sample.open_stages),
        );
        (
            picks.0,
            picks.1,
            picks.2,
            picks.3,
            rng.gen_range(100_000..5_000_000u32),
        )
    };
    let timed = |request: reqwest::RequestBuilder| async move {
        let started = Instant::now();
        let response = request.send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            bail!("{status}: {}", String::from_utf8_lossy(&body));
        }
        Ok::<_, anyhow::Error>((started.elapsed(), body))
    };
    let (base, token) = (&sample.base, &sample.token);
    match scenario {
        "get-deal" => {
            latencies.push(
                timed(
                    client
                        .get(format!("{base}/deals/{id_deal}"))
                        .bearer_auth(token),
                )
                .await?
                .0,
            );
        }
        "contact-360" => {
            latencies.push(
                timed(
                    client
                        .get(format!("{base}/contacts/{id_contact}/360"))
                        .bearer_auth(token),
                )
                .await?
                .0,
            );
        }
        "search-contacts" => {
            latencies.push(
                timed(
                    client
                        .get(format!("{base}/contacts?q={q}&limit=50"))
                        .bearer_auth(token),
                )
                .await?
                .0,
            );
        }
        "list-deals" => {
            let mut url = format!("{base}/deals?stage_id={stage}&sort=-amount&limit=50");
            for _ in 0..5 {
                let (elapsed, body) = timed(client.get(&url).bearer_auth(token)).await?;
                latencies.push(elapsed);
                // Cursors are URL-safe base64, so the value is cut out of the body without
                // parsing it all: the driver should spend its CPU on load, not on JSON.
                match next_cursor(&body) {
                    Some(cursor) => {
                        url = format!(
                            "{base}/deals?stage_id={stage}&sort=-amount&limit=50&cursor={cursor}"
                        )
                    }
                    None => break,
                }
            }
        }
        "create-deal" => {
            let body = json!({"name": format!("Bench deal {amount}"), "amount": amount, "currency": "EUR",
                              "stage_id": stage});
            latencies.push(
                timed(
                    client
                        .post(format!("{base}/deals"))
                        .bearer_auth(token)
                        .json(&body),
                )
                .await?
                .0,
            );
        }
        other => bail!("unknown scenario {other}"),
    }
    Ok(())
}

fn next_cursor(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.rfind("\"next_cursor\":\"")? + "\"next_cursor\":\"".len();
    let end = text[start..].find('"')? + start;
    Some(text[start..end].to_string())
}

/// Resident memory of the server, without file pages mapped from the database (those belong
/// to the operating system's shared file cache and are dropped under memory pressure).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some(field("RssAnon:")? + field("RssShmem:").unwrap_or(0))
}

/// File-backed resident pages (the mapped database).
fn rss_file_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("RssFile:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let sample = Arc::new(sample(&client, &args).await?);
    println!(
        "sampled {} deals, {} contacts, {} search prefixes; {} clients, {} s per scenario",
        sample.deals.len(),
        sample.contacts.len(),
        sample.prefixes.len(),
        args.clients,
        args.seconds
    );
    if let Some(pid) = args.server_pid {
        println!(
            "server memory before load: {:.1} MiB anonymous, {:.1} MiB mapped database pages",
            rss_kib(pid).unwrap_or_default() as f64 / 1024.0,
            rss_file_kib(pid).unwrap_or_default() as f64 / 1024.0
        );
    }
    println!(
        "{:<16} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9} {:>9}",
        "scenario",
        "requests",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "anon MiB",
        "total MiB"
    );
    for scenario in &args.scenarios {
        let deadline = Instant::now() + Duration::from_secs(args.seconds);
        let started = Instant::now();
        let workers: Vec<_> = (0..args.clients)
            .map(|_| {
                let (client, sample, scenario) = (client.clone(), sample.clone(), scenario.clone());
                tokio::spawn(async move {
                    let (mut latencies, mut errors) = (Vec::new(), Vec::new());
                    while Instant::now() < deadline {
                        if let Err(error) =
                            run_once(&client, &sample, &scenario, &mut latencies).await
                        {
                            errors.push(error.to_string());
                        }
                    }
                    (latencies, errors)
                })
            })
            .collect();
        let (mut peak_anon, mut peak_total) = (0, 0);
        while Instant::now() < deadline {
            if let Some(pid) = args.server_pid {
                let anon = rss_kib(pid).unwrap_or_default();
                peak_anon = peak_anon.max(anon);
                peak_total = peak_total.max(anon + rss_file_kib(pid).unwrap_or_default());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (mut latencies, mut errors) = (Vec::new(), Vec::new());
        for worker in workers {
            let (l, e) = worker.await?;
            latencies.extend(l);
            errors.extend(e);
        }
        let elapsed = started.elapsed().as_secs_f64();
        latencies.sort();
        println!(
            "{:<16} {:>9} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>9.1} {:>9.1}",
            scenario,
            latencies.len(),
            latencies.len() as f64 / elapsed,
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.9),
            percentile(&latencies, 0.99),
            latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
            errors.len(),
            peak_anon as f64 / 1024.0,
            peak_total as f64 / 1024.0
        );
        if let Some(first) = errors.first() {
            println!("  first error: {first}");
        }
    }
    Ok(())
}
