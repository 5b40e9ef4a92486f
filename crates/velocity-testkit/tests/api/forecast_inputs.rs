//! The forecast's in-memory copy of a large workspace's open deals: a node that keeps the copy
//! must give the same forecast as one that reads every deal, after every kind of change.

use reqwest::Method;
use serde_json::{json, Value};
use velocity_testkit::{both_databases, Session, TestApp};

both_databases!(a_kept_copy_of_the_deals_follows_every_change);

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

async fn forecast(app: &TestApp, session: &Session) -> Value {
    let path = session.ws("/forecast?timeframe=quarter&simulations=500");
    let response = app
        .request(Method::GET, &path, Some(&session.token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

/// The figures that do not depend on the order deals are simulated in.
fn figures(forecast: &Value) -> Value {
    let listed: Vec<Value> = forecast["forecasted_deals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| json!([d["deal_id"], d["weighted_value"]]))
        .collect();
    json!({
        "deals": forecast["deals_analyzed"],
        "exact": forecast["exact"],
        "stages": forecast["breakdown_by_stage"],
        "categories": forecast["by_category"],
        "owners": forecast["by_owner"],
        "listed": listed,
    })
}

async fn a_kept_copy_of_the_deals_follows_every_change(app: TestApp) {
    let session = app.signup("kept@example.com", "Kept").await;
    let (_, pipelines) = session.get(&session.ws("/pipelines")).await;
    let stages = pipelines["items"][0]["stages"].as_array().unwrap().clone();
    let won = stages.iter().find(|s| s["kind"] == "won").unwrap()["id"].clone();
    let mut deals = Vec::new();
    for i in 0..12i64 {
        let deal = session
            .create("deals", json!({"name": format!("Deal {i}"), "amount": 1_000 * (i + 1), "close_date": day(i * 3), "stage_id": stages[(i % 4) as usize]["id"]}))
            .await;
        deals.push(deal["id"].as_str().unwrap().to_owned());
    }
    let keeping =
        velocity_testkit::spawn_app_with(app.database.clone(), |c| c.forecast_cache_from = 1).await;
    let reading = velocity_testkit::spawn_app_with(app.database.clone(), |c| {
        c.forecast_cache_from = usize::MAX
    })
    .await;
    let agree = |step: &'static str| {
        let (keeping, reading, session) = (&keeping, &reading, &session);
        async move {
            let (kept, read) = (
                forecast(keeping, session).await,
                forecast(reading, session).await,
            );
            assert_eq!(figures(&kept), figures(&read), "after {step}");
        }
    };
    agree("the first read").await;
    agree("nothing changed").await;
    let deal = |i: usize| session.ws(&format!("/deals/{}", deals[i]));
    session.patch(&deal(0), json!({"amount": 50_000})).await;
    agree("an amount changed").await;
    session.patch(&deal(1), json!({"stage_id": won})).await;
    agree("a deal was won").await;
    session.delete(&deal(2)).await;
    agree("a deal was deleted").await;
    session
        .post(&format!("{}/restore", deal(2)), json!({}))
        .await;
    agree("it was restored").await;
    session
        .patch(&deal(3), json!({"close_date": day(400)}))
        .await;
    agree("a close date moved out of reach").await;
    session
        .create("deals", json!({"name": "New", "amount": 77_000, "close_date": day(5), "stage_id": stages[2]["id"]}))
        .await;
    agree("a deal was created").await;
    let (status, _) = session.post(&session.ws("/deals/score"), json!({})).await;
    assert_eq!(status, 200);
    agree("the deals were rescored").await;
    let kept = forecast(&keeping, &session).await;
    assert_eq!(
        kept["deals_analyzed"], 11,
        "12 + 1 created − 1 won − 1 out of reach"
    );
    keeping.finish().await;
    reading.finish().await;
}
