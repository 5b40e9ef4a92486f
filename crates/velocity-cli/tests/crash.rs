//! Durability: the server is killed with SIGKILL while clients create records; after a restart
//! every record whose create returned 201 is there, intact. Runs on SQLite and PostgreSQL.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_sigkill() {
    crash_keeps_every_acknowledged_create(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_sigkill() {
    crash_keeps_every_acknowledged_create(Backend::Postgres).await;
}
