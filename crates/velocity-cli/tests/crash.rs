//! Durability: the server is killed with SIGKILL while clients create records, and while an
//! import commits; after a restart every record whose create returned 201 is there, intact, and
//! the import resumes and applies every row exactly once. Runs on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use velocity_testkit::{fresh_database, Backend, TestDatabase};

const SECRET: &str = "crash-test-secret-crash-test-secret";

/// Starts `velocity serve` on a free port and returns the child and its base URL.
fn start(database: &TestDatabase) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_velocity"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &database.url(),
            "--token-secret",
            SECRET,
        ])
        .env("VELOCITY_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map(Result::unwrap)
        .find(|line| line.contains("listening on"))
        .expect("the server announces its address");
    let url = line
        .split("listening on ")
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    (child, url)
}

async fn crash_keeps_every_acknowledged_create(backend: Backend) {
    let Some(database) = fresh_database(backend).await else {
        return;
    };
    let (mut server, url) = start(&database);
    let client = reqwest::Client::new();
    let signup: Value = client
        .post(format!("{url}/api/v1/auth/signup"))
        .json(&json!({"email": "crash@example.com", "password": "long enough pw", "name": "C", "workspace_name": "Crash"}))
        .send().await.unwrap().json().await.unwrap();
    let token = signup["access_token"].as_str().unwrap().to_string();
    let accounts = format!(
        "{url}/api/v1/workspaces/{}/accounts",
        signup["workspace"]["id"].as_str().unwrap()
    );
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let (client, token, accounts, acknowledged) = (
                client.clone(),
                token.clone(),
                accounts.clone(),
                acknowledged.clone(),
            );
            tokio::spawn(async move {
                for i in 0.. {
                    let name = format!("writer {writer} record {i}");
                    let body = json!({"name": name, "attributes": {"writer": writer, "i": i}});
                    let Ok(response) = client
                        .post(&accounts)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                    else {
                        return;
                    };
                    if response.status().as_u16() != 201 {
                        return;
                    }
                    let Ok(record) = response.json::<Value>().await else {
                        return;
                    };
                    acknowledged
                        .lock()
                        .unwrap()
                        .push((record["id"].as_str().unwrap().to_string(), name));
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    for writer in writers {
        let _ = writer.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "the writers got going: {}",
        acknowledged.len()
    );

    let (mut server, url) = start(&database);
    let accounts = accounts.replace(&accounts[..accounts.find("/api").unwrap()], &url);
    for (id, name) in &acknowledged {
        let response = client
            .get(format!("{accounts}/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            200,
            "acknowledged record {id} survived"
        );
        let record: Value = response.json().await.unwrap();
        assert_eq!(record["name"], name.as_str());
        assert_eq!(record["version"], 1);
    }
    let events: Value = client
        .get(format!(
            "{}/events?limit=1000",
            accounts.trim_end_matches("/accounts")
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    velocity_testkit::gapless_sequence(&events, "the event log has no holes after the crash");
    server.kill().unwrap();
    server.wait().unwrap();
    database.drop_database().await;
}

const IMPORT_ROWS: usize = 5_000;

async fn json(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

async fn crash_during_an_import_resumes_it(backend: Backend) {
    let Some(database) = fresh_database(backend).await else {
        return;
    };
    let (mut server, url) = start(&database);
    let client = reqwest::Client::new();
    let signup = json(
        client
            .post(format!("{url}/api/v1/auth/signup"))
            .json(&json!({"email": "import@example.com", "password": "long enough pw", "name": "I", "workspace_name": "Import"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let token = signup["access_token"].as_str().unwrap().to_string();
    let workspace = format!(
        "/api/v1/workspaces/{}",
        signup["workspace"]["id"].as_str().unwrap()
    );
    let mut file = String::from("First Name,Last Name,Email\n");
    for i in 0..IMPORT_ROWS {
        file.push_str(&format!("First{i},Last{i},person{i}@example.com\n"));
    }
    let (content_type, body) =
        velocity_testkit::import_form("contacts", "people.csv", file.as_bytes());
    let import = json(
        client
            .post(format!("{url}{workspace}/imports"))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let import = format!("{workspace}/imports/{}", import["id"].as_str().unwrap());
    let response = client
        .post(format!("{url}{import}/commit"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    // Kill the server once some batches are in but not all.
    let processed_at_kill = loop {
        let state = json(
            client
                .get(format!("{url}{import}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let processed = state["counts"]["processed"].as_u64().unwrap() as usize;
        if processed > 0 {
            server.kill().expect("SIGKILL");
            server.wait().unwrap();
            break processed;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert!(
        processed_at_kill < IMPORT_ROWS,
        "the kill came before the end ({processed_at_kill} rows done)"
    );

    // The restarted server resumes the import by itself.
    let (mut server, url) = start(&database);
    let mut state = Value::Null;
    for _ in 0..1200 {
        state = json(
            client
                .get(format!("{url}{import}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        if state["status"] != "committing" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state["status"], "committed", "{state}");
    assert_eq!(state["counts"]["processed"], IMPORT_ROWS, "{state}");
    assert_eq!(state["counts"]["created"], IMPORT_ROWS, "{state}");
    // Every row has exactly one record, and every record one row.
    let mut records = std::collections::HashSet::new();
    let mut after = 0;
    loop {
        let page = json(
            client
                .get(format!("{url}{import}/rows?limit=1000&after={after}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let items = page["items"].as_array().unwrap();
        for row in items {
            assert_eq!(row["outcome"], "created", "{row}");
            assert!(records.insert(row["record_id"].as_str().unwrap().to_string()));
        }
        match page["next_after"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(records.len(), IMPORT_ROWS);
    let mut contacts = 0;
    let mut cursor = String::new();
    loop {
        let page = json(
            client
                .get(format!("{url}{workspace}/contacts?limit=500{cursor}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        for contact in page["items"].as_array().unwrap() {
            assert!(records.contains(contact["id"].as_str().unwrap()));
            contacts += 1;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(contacts, IMPORT_ROWS, "no contact was written twice");
    server.kill().unwrap();
    server.wait().unwrap();
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_import_resumes_after_sigkill() {
    crash_during_an_import_resumes_it(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_import_resumes_after_sigkill() {
    crash_during_an_import_resumes_it(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_sigkill() {
    crash_keeps_every_acknowledged_create(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_sigkill() {
    crash_keeps_every_acknowledged_create(Backend::Postgres).await;
}
