//! Concurrency: racing edits, concurrent creates sharing a group commit, and values that must
//! survive reuse of cached statements.

use serde_json::{json, Value};
use velocity_testkit::{both_databases, TestApp};

both_databases!(
    concurrent_patches_with_the_same_version_let_exactly_one_win,
    empty_and_filled_numbers_alternate_safely,
    concurrent_creates_each_get_their_own_outcome,
);

async fn concurrent_patches_with_the_same_version_let_exactly_one_win(app: TestApp) {
    let session = app.signup("race@example.com", "Race").await;
    let deal = session
        .create("deals", json!({"name": "Contested", "amount": 1}))
        .await;
    let path = session.ws(&format!("/deals/{}", deal["id"].as_str().unwrap()));
    let attempts = (0..8).map(|i| {
        session
            .app
            .request(reqwest::Method::PATCH, &path, Some(&session.token))
            .header("If-Match", "\"1\"")
            .json(&json!({"amount": 100 + i}))
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        7,
        "{statuses:?}"
    );
    let (_, current) = session.get(&path).await;
    assert_eq!(current["version"], 2);
    let (_, history) = session.get(&format!("{path}/history")).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
}

/// Regression: NULL and non-NULL floats through the same cached statement (sqlx once declared a
/// NULL f64 as float4 on PostgreSQL, breaking whichever came second).
async fn empty_and_filled_numbers_alternate_safely(app: TestApp) {
    let session = app.signup("floats@example.com", "Floats").await;
    for i in 0..12 {
        let amount = if i % 2 == 0 {
            Value::Null
        } else {
            json!(i as f64 * 1.5)
        };
        let deal = session.create("deals", json!({"name": format!("D{i}"), "amount": amount, "probability": amount.as_f64().map(|_| 0.5)})).await;
        let path = session.ws(&format!("/deals/{}", deal["id"].as_str().unwrap()));
        let (status, body) = session
            .patch(
                &path,
                json!({"amount": if i % 2 == 0 { json!(7.25) } else { Value::Null }}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

/// Concurrent creates are committed in groups; a bad request in a group must fail alone.
async fn concurrent_creates_each_get_their_own_outcome(app: TestApp) {
    let session = app.signup("group@example.com", "Group").await;
    let other = app.signup("group-other@example.com", "Other").await;
    let account = session.create("accounts", json!({"name": "Real"})).await;
    let missing = "01234567-89ab-7def-8123-456789abcdef";
    let requests = (0..60).map(|i| {
        let (who, body) = match i % 6 {
            0 => (
                &session,
                json!({"first_name": format!("Bad {i}"), "account_id": missing}),
            ),
            1 => (&other, json!({"first_name": format!("Other {i}")})),
            _ => (
                &session,
                json!({"first_name": format!("Good {i}"), "account_id": account["id"]}),
            ),
        };
        let path = who.ws("/contacts");
        async move { (i, who.post(&path, body).await) }
    });
    let outcomes = futures_util::future::join_all(requests).await;
    for (i, (status, body)) in &outcomes {
        let expected = if i % 6 == 0 { 422 } else { 201 };
        assert_eq!(*status, expected, "request {i}: {body}");
        if expected == 422 {
            assert_eq!(
                body["errors"][0]["field"], "account_id",
                "the error names the plain field"
            );
        }
    }
    let (_, mine) = session.get(&session.ws("/contacts?limit=500")).await;
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        40,
        "every good create, no bad one"
    );
    let (_, theirs) = other.get(&other.ws("/contacts?limit=500")).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 10);
    let (_, events) = session.get(&session.ws("/events?limit=1000")).await;
    velocity_testkit::gapless_sequence(&events, "no holes from rolled-back groups");
}
