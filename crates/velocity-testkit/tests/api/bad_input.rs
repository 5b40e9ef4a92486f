//! Bad input gets a precise problem+json error and changes nothing.

use reqwest::Method;
use serde_json::{json, Value};
use velocity_testkit::{both_databases, Session, TestApp};

both_databases!(
    malformed_bodies_are_400_and_oversized_413,
    invalid_values_are_422_with_every_field_named,
    ids_that_are_not_uuids_are_404,
    sql_and_script_text_is_stored_literally,
);

async fn raw(
    session: &Session,
    method: Method,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value, String) {
    let response = session
        .app
        .request(method, path, Some(&session.token))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, content_type)
}

async fn count(session: &Session, plural: &str) -> usize {
    session
        .get(&session.ws(&format!("/{plural}?limit=500")))
        .await
        .1["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn malformed_bodies_are_400_and_oversized_413(app: TestApp) {
    let session = app.signup("malformed@example.com", "M").await;
    let path = session.ws("/accounts");
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    for body in [
        "{\"name\": ",
        "{name: 'x'}",
        "",
        "not json at all",
        deep.as_str(),
        "{\"name\": \"a\"} trailing",
    ] {
        let (status, problem, content_type) =
            raw(&session, Method::POST, &path, body.to_string()).await;
        assert_eq!(status, 400, "{body:.40}: {problem}");
        assert_eq!(content_type, "application/problem+json");
        for key in ["type", "title", "status", "detail"] {
            assert!(problem.get(key).is_some(), "{key} in {problem}");
        }
    }
    let huge = json!({"name": "x".repeat(10 * 1024 * 1024)}).to_string();
    let (status, problem, _) = raw(&session, Method::POST, &path, huge).await;
    assert_eq!(status, 413, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("1048576"));
    let mut nested_value = json!({});
    for level in 0..20 {
        nested_value = json!({ format!("level{level}"): nested_value });
    }
    let nested = json!({"name": "N", "attributes": nested_value});
    let (status, problem) = session.post(&path, nested).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(count(&session, "accounts").await, 0, "nothing was written");
}

async fn invalid_values_are_422_with_every_field_named(app: TestApp) {
    let session = app.signup("invalid@example.com", "I").await;
    let cases = [
        ("deals", json!({"name": "x", "amount": -1}), "amount"),
        (
            "deals",
            json!({"name": "x", "probability": 1.5}),
            "probability",
        ),
        (
            "deals",
            json!({"name": "x", "close_date": "2025-02-30"}),
            "close_date",
        ),
        (
            "deals",
            json!({"name": "x", "currency": "Dollars"}),
            "currency",
        ),
        (
            "deals",
            json!({"name": "x", "forecast_category": "maybe"}),
            "forecast_category",
        ),
        ("deals", json!({"name": 42}), "name"),
        ("deals", json!({"amount": 5}), "name"),
        ("contacts", json!({"email": "not-an-email"}), "email"),
        ("contacts", json!({"title": "No name"}), "first_name"),
        ("activities", json!({"kind": "telepathy"}), "kind"),
        (
            "activities",
            json!({"kind": "call", "occurred_at": "yesterday"}),
            "occurred_at",
        ),
        (
            "accounts",
            json!({"name": "x", "employees": 3.5}),
            "employees",
        ),
        ("accounts", json!({"name": "x", "colour": "red"}), "colour"),
        ("products", json!({"name": "x", "status": "gone"}), "status"),
        (
            "tasks",
            json!({"title": "x", "due_at": "2025-13-01T00:00:00Z"}),
            "due_at",
        ),
        ("pipelines", json!({"name": "x", "stages": []}), "stages"),
        ("accounts", json!(["not", "an", "object"]), ""),
    ];
    for (plural, body, field) in cases {
        let (status, problem) = session
            .post(&session.ws(&format!("/{plural}")), body.clone())
            .await;
        assert_eq!(status, 422, "{plural} {body}: {problem}");
        let fields: Vec<_> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&field),
            "{plural} {body}: expected {field} in {fields:?}"
        );
        assert!(problem["errors"][0]["message"].as_str().unwrap().len() > 3);
    }
    for plural in [
        "deals",
        "contacts",
        "activities",
        "accounts",
        "products",
        "tasks",
    ] {
        assert_eq!(
            count(&session, plural).await,
            0,
            "{plural}: nothing written"
        );
    }
    let account = session.create("accounts", json!({"name": "Keep"})).await;
    let path = session.ws(&format!("/accounts/{}", account["id"].as_str().unwrap()));
    let (status, _) = session
        .patch(&path, json!({"name": "Changed", "employees": -4}))
        .await;
    assert_eq!(status, 422);
    let (_, unchanged) = session.get(&path).await;
    assert_eq!(
        unchanged["name"], "Keep",
        "a rejected patch changes nothing"
    );
}

async fn ids_that_are_not_uuids_are_404(app: TestApp) {
    let session = app.signup("ids@example.com", "Ids").await;
    for path in [
        session.ws("/deals/123"),
        session.ws("/deals/'%20OR%201=1/history"),
        "/api/v1/workspaces/nope/deals".to_string(),
    ] {
        let (status, problem) = session.get(&path).await;
        assert_eq!(status, 404, "{path}: {problem}");
        assert_eq!(problem["code"], "not-found");
    }
}

async fn sql_and_script_text_is_stored_literally(app: TestApp) {
    let session = app.signup("literal@example.com", "L").await;
    let nasty = "Robert'); DROP TABLE accounts;-- <script>alert('x')</script> \\x00 ünïcødé 🏠";
    let account = session
        .create(
            "accounts",
            json!({"name": nasty, "attributes": {"note": nasty}}),
        )
        .await;
    let (_, read) = session
        .get(&session.ws(&format!("/accounts/{}", account["id"].as_str().unwrap())))
        .await;
    assert_eq!(read["name"], nasty);
    assert_eq!(read["attributes"]["note"], nasty);
    assert_eq!(count(&session, "accounts").await, 1);
    let (status, problem) = session
        .post(&session.ws("/accounts"), json!({"name": "nul \u{0} byte"}))
        .await;
    assert_eq!(status, 422, "{problem}");
}
