//! Sign-up, login, rate limiting, refresh rotation and reuse detection, logout, bad tokens.

use reqwest::Method;
use serde_json::json;
use velocity_testkit::{both_databases, TestApp};

both_databases!(
    parallel_guesses_cannot_outrun_the_limiter,
    signup_returns_tokens_user_and_workspace,
    signup_rejects_bad_input_and_taken_emails,
    login_checks_the_password_and_limits_failures,
    refresh_tokens_rotate_and_reuse_revokes_the_chain,
    logout_revokes_the_refresh_token,
    bad_and_tampered_tokens_are_refused,
);

async fn signup_returns_tokens_user_and_workspace(app: TestApp) {
    let (status, body) = app
        .send(Method::POST, "/api/v1/auth/signup", None, Some(json!({
            "email": "Ana@Example.com", "password": "long enough pw", "name": "Ana", "workspace_name": "Ana's team"})))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() <= 900);
    assert!(body["access_token"].as_str().unwrap().len() > 20);
    assert!(body["refresh_token"].as_str().unwrap().len() > 20);
    assert_eq!(body["user"]["email"], "ana@example.com");
    assert_eq!(body["workspace"]["name"], "Ana's team");
    let token = body["access_token"].as_str().unwrap();
    let (status, me) = app.send(Method::GET, "/api/v1/me", Some(token), None).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["id"], body["user"]["id"]);
    assert_eq!(me["workspaces"][0]["role"], "owner");
    assert_eq!(me["workspaces"][0]["id"], body["workspace"]["id"]);
}

async fn signup_rejects_bad_input_and_taken_emails(app: TestApp) {
    let (status, body) = app
        .send(
            Method::POST,
            "/api/v1/auth/signup",
            None,
            Some(json!({
            "email": "not-an-email", "password": "short", "name": "", "workspace_name": "W"})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<_> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"email") && fields.contains(&"password") && fields.contains(&"name"),
        "{fields:?}"
    );
    app.signup("taken@example.com", "One").await;
    let (status, body) = app
        .send(Method::POST, "/api/v1/auth/signup", None, Some(json!({
            "email": "TAKEN@example.com", "password": "long enough pw", "name": "B", "workspace_name": "W"})))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["status"], 409);
}

async fn login_checks_the_password_and_limits_failures(app: TestApp) {
    app.signup("lim@example.com", "W").await;
    let login = |password: &str| json!({"email": "lim@example.com", "password": password});
    let (status, body) = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(login("correct horse battery")),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string() && body["refresh_token"].is_string());
    for _ in 0..5 {
        let (status, _) = app
            .send(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(login("wrong password")),
            )
            .await;
        assert_eq!(status, 401);
    }
    let response = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .json(&login("correct horse battery"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

async fn refresh_tokens_rotate_and_reuse_revokes_the_chain(app: TestApp) {
    let session = app.signup("rot@example.com", "W").await;
    let refresh = |token: &str| json!({"refresh_token": token});
    let (status, first) = app
        .send(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(refresh(&session.refresh_token)),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    let second_token = first["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second_token, session.refresh_token);
    let (status, _) = app
        .send(
            Method::GET,
            "/api/v1/me",
            Some(first["access_token"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // Replaying the first token is theft: refused, and its successor dies with it.
    let (status, body) = app
        .send(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(refresh(&session.refresh_token)),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = app
        .send(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(refresh(&second_token)),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .send(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(refresh("made-up")),
        )
        .await;
    assert_eq!(status, 401);
}

async fn logout_revokes_the_refresh_token(app: TestApp) {
    let session = app.signup("out@example.com", "W").await;
    let body = json!({"refresh_token": session.refresh_token});
    let (status, _) = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .send(Method::POST, "/api/v1/auth/refresh", None, Some(body))
        .await;
    assert_eq!(status, 401);
}

async fn bad_and_tampered_tokens_are_refused(app: TestApp) {
    let session = app.signup("tok@example.com", "W").await;
    let (status, body) = app.send(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "unauthorized");
    let mut tampered = session.token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (status, _) = app
        .send(Method::GET, "/api/v1/me", Some(&tampered), None)
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .send(Method::GET, "/api/v1/me", Some("vk_not-a-real-key"), None)
        .await;
    assert_eq!(status, 401);
    let in_url = format!("/api/v1/me?access_token={}", session.token);
    let (status, _) = app.send(Method::GET, &in_url, None, None).await;
    assert_eq!(
        status, 401,
        "tokens in URLs count only on WebSocket upgrades"
    );
    // An expired token, signed with the right key.
    let app2 = velocity_testkit::spawn_app_with(app.database.clone(), |c| {
        c.access_token_ttl = std::time::Duration::from_secs(0);
    })
    .await;
    let (_, login) = app2
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "tok@example.com", "password": "correct horse battery"})),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let (status, body) = app2
        .send(
            Method::GET,
            "/api/v1/me",
            login["access_token"].as_str(),
            None,
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("expired"));
    app2.stop().await;
}

async fn parallel_guesses_cannot_outrun_the_limiter(app: TestApp) {
    app.signup("burst@example.com", "Burst").await;
    let guesses = (0..15).map(|i| {
        let body = json!({"email": "burst@example.com", "password": format!("guess number {i}")});
        let app = app.clone_handle();
        async move {
            app.send(Method::POST, "/api/v1/auth/login", None, Some(body))
                .await
                .0
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        10,
        "{statuses:?}"
    );
}
