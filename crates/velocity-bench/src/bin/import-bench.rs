//! Import benchmark: generates a contacts CSV (name, email, phone, company, title, city and
//! three custom columns, with a share of duplicates in assorted spellings), seeds the workspace
//! with existing contacts through a first import, then times upload → committed for the big
//! file through the HTTP API (with `--preview`, a dry run of it in between), sampling the
//! server's resident memory throughout.

use anyhow::{bail, Context, Result};
use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::io::Write;
use std::time::{Duration, Instant};

/// Times a large contacts import against a running `velocity serve` (see BENCHMARKS.md).
#[derive(Parser)]
struct Args {
    /// Base URL of the server
    #[arg(long, default_value = "http://127.0.0.1:18091")]
    url: String,
    /// Rows in the file to import
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Contacts the workspace holds before the import (loaded by a first import)
    #[arg(long, default_value_t = 200_000)]
    existing: usize,
    /// Share of rows that repeat an existing contact or an earlier row, in another spelling
    #[arg(long, default_value_t = 0.05)]
    duplicates: f64,
    /// Process id of the server, to report its peak resident memory
    #[arg(long)]
    server_pid: Option<u32>,
    /// Where to write the generated files
    #[arg(long, default_value = "/tmp")]
    dir: std::path::PathBuf,
    /// Also preview the big file (a dry run) between its upload and its commit, and report the
    /// preview's time and the server's peak memory after it
    #[arg(long)]
    preview: bool,
}

const FIRST: [&str; 12] = [
    "Ana", "Bo", "Chloé", "Dmitri", "Eve", "Farah", "Gus", "Hana", "Ivan", "José", "Kai", "Lena",
];
const LAST: [&str; 10] = [
    "López", "Chen", "Okafor", "Müller", "Smith", "Nguyen", "Rossi", "Kowalski", "Haddad", "Sato",
];
const CITIES: [&str; 6] = ["Lisbon", "Austin", "Osaka", "Berlin", "Lagos", "Toronto"];
const TITLES: [&str; 5] = ["CEO", "VP Sales", "Buyer", "Engineer", "Office manager"];

/// One generated person, by number.
fn person(n: usize) -> [String; 10] {
    [
        FIRST[n % FIRST.len()].to_string(),
        format!("{}{}", LAST[n % LAST.len()], n / 100),
        format!("person{n}@example{}.com", n % 97),
        format!("+1 415 {:03} {:04}", (n / 10_000) % 1000, n % 10_000),
        format!("Company {}", n % 5_000),
        TITLES[n % TITLES.len()].to_string(),
        CITIES[n % CITIES.len()].to_string(),
        ["web", "event", "referral"][n % 3].to_string(),
        format!("tier {}", n % 4),
        (n % 100).to_string(),
    ]
}

/// The same person as another export would write them.
fn respelled(n: usize, rng: &mut StdRng) -> [String; 10] {
    let mut row = person(n);
    match rng.gen_range(0..3) {
        0 => row[2] = format!("  {}  ", row[2].to_uppercase()),
        1 => {
            row[0] = row[0].to_uppercase();
            row[3] = format!("(415) {:03}-{:04}", (n / 10_000) % 1000, n % 10_000);
        }
        _ => row[1] = row[1].to_lowercase(),
    }
    row[9] = rng.gen_range(0..100).to_string();
    row
}

fn write_file(path: &std::path::Path, rows: impl Iterator<Item = [String; 10]>) -> Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(
        out,
        "First Name,Last Name,Email,Phone Number,Company Name,Job Title,City,Lead Source,Tier,Score"
    )?;
    for row in rows {
        writeln!(out, "{}", row.join(","))?;
    }
    out.flush()?;
    Ok(())
}

fn memory_kib(pid: Option<u32>, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn json(&self, request: reqwest::RequestBuilder) -> Result<Value> {
        let response = request.bearer_auth(&self.token).send().await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() {
            bail!("{status}: {body}");
        }
        Ok(body)
    }

    /// Uploads and commits a file; returns the import and the upload and commit times.
    async fn import(&self, path: &std::path::Path) -> Result<(Value, f64, f64)> {
        let (id, uploaded) = self.upload(path).await?;
        let (state, committed) = self.commit(&id).await?;
        Ok((state, uploaded, committed))
    }

    /// Uploads a file; returns the import's id and the seconds it took.
    async fn upload(&self, path: &std::path::Path) -> Result<(String, f64)> {
        let started = Instant::now();
        let boundary = "velocity-bench-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"object\"\r\n\r\ncontacts\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"contacts.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .into_bytes();
        body.extend(std::fs::read(path)?);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let import = self
            .json(
                self.client
                    .post(format!("{}/imports", self.base))
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(body),
            )
            .await?;
        let id = import["id"].as_str().context("an import id")?.to_string();
        Ok((id, started.elapsed().as_secs_f64()))
    }

    /// Previews an uploaded import; returns its findings and the seconds it took.
    async fn preview(&self, id: &str) -> Result<(Value, f64)> {
        let started = Instant::now();
        let found = self
            .json(
                self.client
                    .post(format!("{}/imports/{id}/preview", self.base)),
            )
            .await?;
        Ok((found, started.elapsed().as_secs_f64()))
    }

    /// Commits an uploaded import and waits for it; returns its state and the seconds it took.
    async fn commit(&self, id: &str) -> Result<(Value, f64)> {
        let started = Instant::now();
        self.json(
            self.client
                .post(format!("{}/imports/{id}/commit", self.base)),
        )
        .await?;
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let state = self
                .json(self.client.get(format!("{}/imports/{id}", self.base)))
                .await?;
            match state["status"].as_str() {
                Some("committing") => continue,
                Some("committed") => return Ok((state, started.elapsed().as_secs_f64())),
                _ => bail!("the import ended as {}", state),
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3600))
        .build()?;
    let email = format!("bench-{}@example.com", std::process::id());
    let signup: Value = client
        .post(format!("{}/api/v1/auth/signup", args.url))
        .json(&json!({"email": email, "password": "benchmark password", "name": "Bench", "workspace_name": "Import bench"}))
        .send()
        .await?
        .json()
        .await?;
    let api = Api {
        base: format!(
            "{}/api/v1/workspaces/{}",
            args.url,
            signup["workspace"]["id"]
                .as_str()
                .context("signup failed")?
        ),
        token: signup["access_token"]
            .as_str()
            .context("signup failed")?
            .to_string(),
        client,
    };
    let mut rng = StdRng::seed_from_u64(7);
    let seed_path = args
        .dir
        .join(format!("velocity-seed-{}.csv", args.existing));
    write_file(&seed_path, (0..args.existing).map(person))?;
    let (seed, uploaded, committed) = api.import(&seed_path).await?;
    println!(
        "seed: {} contacts in {:.1} s (upload {uploaded:.1} s, commit {committed:.1} s)",
        seed["counts"]["created"],
        uploaded + committed
    );

    let path = args.dir.join(format!("velocity-import-{}.csv", args.rows));
    let existing = args.existing;
    let mut next_new = existing;
    let rows = (0..args.rows).map(|_| {
        if rng.gen_bool(args.duplicates) && next_new > 0 {
            let earlier = rng.gen_range(0..next_new);
            respelled(earlier, &mut rng)
        } else {
            next_new += 1;
            person(next_new - 1)
        }
    });
    write_file(&path, rows)?;
    let size = std::fs::metadata(&path)?.len();
    let hwm_before = memory_kib(args.server_pid, "VmHWM:");
    let (id, uploaded) = api.upload(&path).await?;
    if args.preview {
        let hwm_uploaded = memory_kib(args.server_pid, "VmHWM:");
        let (found, previewed) = api.preview(&id).await?;
        println!("preview {previewed:.1} s: {}", found["counts"]);
        print_peak(
            args.server_pid,
            "after the preview",
            ("the upload", hwm_uploaded),
        );
    }
    let (state, committed) = api.commit(&id).await?;
    let total = uploaded + committed;
    println!(
        "file: {} rows, {:.1} MiB; existing contacts: {existing}",
        args.rows,
        size as f64 / 1048576.0
    );
    println!(
        "upload {uploaded:.1} s, commit {committed:.1} s, total {total:.1} s: {:.0} rows/s",
        args.rows as f64 / total
    );
    println!("counts: {}", state["counts"]);
    print_peak(
        args.server_pid,
        "at the end",
        ("the seed import", hwm_before),
    );
    let _ = std::fs::remove_file(&seed_path);
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// Prints the server's peak resident memory so far, with the peak `earlier` for comparison.
fn print_peak(pid: Option<u32>, when: &str, earlier: (&str, Option<u64>)) {
    if let Some(peak) = memory_kib(pid, "VmHWM:") {
        println!(
            "server peak resident memory {when}: {:.0} MiB (after {}: {:.0} MiB)",
            peak as f64 / 1024.0,
            earlier.0,
            earlier.1.unwrap_or(0) as f64 / 1024.0
        );
    }
}
