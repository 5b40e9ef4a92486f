//! A thin typed client over the running test server: requests with or without a token, and a
//! signed-up [`Session`] that knows its workspace.

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use velocity_store::Db;

use crate::TestDatabase;

struct Running {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

/// A running server and its database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database: TestDatabase,
    pub db: Db,
    running: Arc<Mutex<Running>>,
}

impl TestApp {
    pub(crate) fn new(
        address: String,
        database: TestDatabase,
        db: Db,
        stop: tokio::sync::oneshot::Sender<()>,
        server: JoinHandle<std::io::Result<()>>,
    ) -> TestApp {
        TestApp {
            address,
            client: reqwest::Client::new(),
            database,
            db,
            running: Arc::new(Mutex::new(Running {
                stop: Some(stop),
                server: Some(server),
            })),
        }
    }

    /// A second handle on the same server (the test body gets one, the harness keeps one).
    pub fn clone_handle(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            client: self.client.clone(),
            database: self.database.clone(),
            db: self.db.clone(),
            running: self.running.clone(),
        }
    }

    /// Stops the server and removes the database.
    pub async fn finish(self) {
        self.stop().await;
        self.db.close().await;
        self.database.drop_database().await;
    }

    /// Stops the server, keeping the database.
    pub async fn stop(&self) {
        let mut running = self.running.lock().await;
        if let Some(stop) = running.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = running.server.take() {
            let _ = server.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends `body` as JSON and returns the status and parsed body (`null` when empty).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.request(method, path, token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.expect("the server answers")).await
    }

    pub async fn signup(&self, email: &str, workspace_name: &str) -> Session {
        let (status, body) = self
            .send(
                Method::POST,
                "/api/v1/auth/signup",
                None,
                Some(json!({"email": email, "password": "correct horse battery", "name": "Test User", "workspace_name": workspace_name})),
            )
            .await;
        assert_eq!(status, 201, "signup failed: {body}");
        Session::from_tokens(self.clone_handle(), &body)
    }
}

/// Status and JSON body of a response.
pub async fn read(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// A logged-in user acting in one workspace.
pub struct Session {
    pub app: TestApp,
    pub token: String,
    pub refresh_token: String,
    pub user_id: String,
    pub workspace_id: String,
}

impl Session {
    pub fn from_tokens(app: TestApp, body: &Value) -> Session {
        Session {
            app,
            token: body["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            refresh_token: body["refresh_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            user_id: body["user"]["id"].as_str().unwrap_or_default().to_string(),
            workspace_id: body["workspace"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// The same user (or key) acting with another bearer token.
    pub fn with_token(&self, token: &str) -> Session {
        Session {
            app: self.app.clone_handle(),
            token: token.to_string(),
            refresh_token: String::new(),
            user_id: self.user_id.clone(),
            workspace_id: self.workspace_id.clone(),
        }
    }

    /// `/api/v1/workspaces/{ws}{suffix}`
    pub fn ws(&self, suffix: &str) -> String {
        format!("/api/v1/workspaces/{}{suffix}", self.workspace_id)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.app
            .send(Method::GET, path, Some(&self.token), None)
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.app
            .send(Method::POST, path, Some(&self.token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.app
            .send(Method::PATCH, path, Some(&self.token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.app
            .send(Method::DELETE, path, Some(&self.token), None)
            .await
    }

    /// Creates a record in this session's workspace and returns it (asserting 201).
    pub async fn create(&self, plural: &str, body: Value) -> Value {
        let (status, record) = self.post(&self.ws(&format!("/{plural}")), body).await;
        assert_eq!(status, 201, "creating {plural} failed: {record}");
        record
    }

    /// Adds another user to this workspace with `role` and returns their session.
    pub async fn invite(&self, email: &str, role: &str) -> Session {
        let mut other = self.app.signup(email, "Elsewhere").await;
        let (status, body) = self
            .post(&self.ws("/members"), json!({"email": email, "role": role}))
            .await;
        assert_eq!(status, 201, "adding a member failed: {body}");
        other.workspace_id = self.workspace_id.clone();
        other
    }
}
