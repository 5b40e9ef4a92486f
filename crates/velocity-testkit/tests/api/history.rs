//! Records written with their past (the demo's deals), and the forecasts of past days rebuilt
//! from that past and scored against what then closed.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use velocity_domain::{parse_record, Mode, ObjectKind};
use velocity_server::{replay_forecasts, ReplayRequest};
use velocity_store::intel::facts::{DealScope, DEAL_PAGE};
use velocity_store::records::PreparedLives;
use velocity_store::{Actor, ActorKind, StoreError, WriteContext};
use velocity_testkit::{both_databases, Session, TestApp};

both_databases!(a_deal_written_with_its_past_reads_as_if_lived);
both_databases!(prepared_lives_are_written_whole_and_only_where_and_as_prepared);
both_databases!(past_forecasts_are_rebuilt_from_what_was_known_then);
both_databases!(the_forecast_counts_deals_not_created_yet);
both_databases!(a_workspace_is_read_a_page_of_deals_at_a_time);

fn ago(days: i64) -> DateTime<Utc> {
    Utc::now() - Duration::days(days)
}

fn step(
    at: DateTime<Utc>,
    body: Value,
    mode: Mode,
) -> (DateTime<Utc>, velocity_domain::RecordInput) {
    (at, parse_record(ObjectKind::Deal, &body, mode).unwrap())
}

fn context(session: &Session) -> WriteContext {
    WriteContext::new(
        session.workspace_id.parse().unwrap(),
        Actor::new(ActorKind::User, &session.user_id),
        "test",
    )
}

async fn stage_ids(session: &Session) -> Vec<(String, String)> {
    let (_, pipelines) = session.get(&session.ws("/pipelines")).await;
    pipelines["items"][0]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Creates a deal from its life and returns its id.
async fn live(app: &TestApp, session: &Session, life: Vec<(DateTime<Utc>, Value)>) -> String {
    let steps = life
        .into_iter()
        .enumerate()
        .map(|(n, (at, body))| step(at, body, if n == 0 { Mode::Create } else { Mode::Patch }))
        .collect();
    let mut records = app
        .db
        .create_with_history(&context(session), ObjectKind::Deal, vec![steps])
        .await
        .unwrap();
    records.pop().unwrap()["id"].as_str().unwrap().to_owned()
}

async fn a_deal_written_with_its_past_reads_as_if_lived(app: TestApp) {
    let session = app.signup("past@example.com", "Past").await;
    let stages = stage_ids(&session).await;
    let won = &stages.iter().find(|s| s.1 == "won").unwrap().0;
    let (born, moved, idle, closed) = (ago(100), ago(60), ago(50), ago(40));
    let id = live(
        &app,
        &session,
        vec![
            (born, json!({"name": "Villa", "amount": 1000, "stage_id": stages[0].0, "close_date": "2020-01-01"})),
            (moved, json!({"stage_id": stages[2].0, "close_date": "2020-02-01"})),
            (idle, json!({"stage_id": stages[2].0})),
            (closed, json!({"stage_id": won})),
        ],
    )
    .await;
    let path = session.ws(&format!("/deals/{id}"));
    let (_, deal) = session.get(&path).await;
    let stamp = velocity_domain::values::format_timestamp;
    assert_eq!(
        deal["version"], 3,
        "a step that changes nothing is no version"
    );
    assert_eq!(deal["created_at"], stamp(born));
    assert_eq!(deal["updated_at"], stamp(closed));
    assert_eq!(deal["status"], "won");
    assert_eq!(
        deal["closed_at"],
        stamp(closed),
        "closed when the step says"
    );
    assert_eq!(deal["close_date"], closed.date_naive().to_string());
    let (_, history) = session.get(&format!("{path}/history")).await;
    let events: Vec<(&str, &str)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["created_at"].as_str().unwrap(),
            )
        })
        .collect();
    let (born, moved, closed) = (stamp(born), stamp(moved), stamp(closed));
    assert_eq!(
        events,
        [
            ("created", born.as_str()),
            ("updated", moved.as_str()),
            ("updated", closed.as_str())
        ]
    );

    // A life with a stage of no pipeline of this workspace is refused whole.
    let bad = vec![
        vec![step(ago(9), json!({"name": "Fine"}), Mode::Create)],
        vec![
            step(ago(9), json!({"name": "Broken"}), Mode::Create),
            step(ago(8), json!({"stage_id": uuid_like()}), Mode::Patch),
        ],
    ];
    let refused = app
        .db
        .create_with_history(&context(&session), ObjectKind::Deal, bad)
        .await;
    match refused {
        Err(StoreError::Invalid(errors)) => assert_eq!(errors.0[0].field, "records[1].stage_id"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    let (_, list) = session.get(&session.ws("/deals")).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
}

async fn prepared_lives_are_written_whole_and_only_where_and_as_prepared(app: TestApp) {
    let session = app.signup("prepared@example.com", "Prepared").await;
    let other = app.signup("elsewhere@example.com", "Elsewhere").await;
    let workspace = session.workspace_id.parse().unwrap();
    let prepared = deal_with_a_call(&app, workspace, Value::Null).await;
    let refused = app.db.write_lives(&context(&other), &prepared).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );

    // A stage added after the deal was placed: it is prepared again, not written.
    let (_, pipelines) = session.get(&session.ws("/pipelines")).await;
    let pipeline = &pipelines["items"][0];
    let mut stages = pipeline["stages"].as_array().unwrap().clone();
    stages.insert(
        0,
        json!({"name": "Inbound", "probability": 0.05, "kind": "open", "position": 0}),
    );
    let path = session.ws(&format!("/pipelines/{}", pipeline["id"].as_str().unwrap()));
    let (status, _) = session.patch(&path, json!({"stages": stages})).await;
    assert_eq!(status, 200);
    let refused = app.db.write_lives(&context(&session), &prepared).await;
    assert!(
        matches!(refused, Err(StoreError::StagesChanged)),
        "{refused:?}"
    );

    // Batches of several kinds are written together or not at all.
    let stray = deal_with_a_call(&app, workspace, json!(uuid_like())).await;
    let refused = app.db.write_lives(&context(&session), &stray).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    for object in ["/deals", "/activities"] {
        let (_, list) = session.get(&session.ws(object)).await;
        assert_eq!(list["items"], json!([]), "nothing of {object} half-written");
    }
    let batch = deal_with_a_call(&app, workspace, Value::Null).await;
    let deal_id = batch[0].records()[0]["id"].clone();
    app.db
        .write_lives(&context(&session), &batch)
        .await
        .unwrap();
    let (_, deal) = session
        .get(&session.ws(&format!("/deals/{}", deal_id.as_str().unwrap())))
        .await;
    let first_stage = stage_ids(&session).await[0].0.clone();
    assert_eq!(
        deal["stage_id"], first_stage,
        "placed in the new first stage"
    );
    let (_, activities) = session.get(&session.ws("/activities")).await;
    assert_eq!(activities["items"][0]["deal_id"], deal_id);
    let (_, elsewhere) = other.get(&other.ws("/deals")).await;
    assert_eq!(elsewhere["items"], json!([]));
}

/// A new deal and a call about it (with `contact`), prepared as one batch.
async fn deal_with_a_call(
    app: &TestApp,
    workspace: velocity_domain::WorkspaceId,
    contact: Value,
) -> Vec<PreparedLives> {
    let life = vec![step(ago(3), json!({"name": "Loft"}), Mode::Create)];
    let deals = app
        .db
        .prepare_lives(workspace, ObjectKind::Deal, vec![life])
        .await
        .unwrap();
    let body = json!({"kind": "call", "deal_id": deals.records()[0]["id"], "contact_id": contact});
    let call = parse_record(ObjectKind::Activity, &body, Mode::Create).unwrap();
    let calls = app
        .db
        .prepare_lives(workspace, ObjectKind::Activity, vec![vec![(ago(2), call)]])
        .await
        .unwrap();
    vec![deals, calls]
}

fn uuid_like() -> String {
    velocity_domain::new_id().to_string()
}

async fn past_forecasts_are_rebuilt_from_what_was_known_then(app: TestApp) {
    let session = app.signup("replay@example.com", "Replay").await;
    let stages = stage_ids(&session).await;
    let won = &stages.iter().find(|s| s.1 == "won").unwrap().0;
    // Open from 80 days ago in negotiation, won 45 days ago.
    live(
        &app,
        &session,
        vec![
            (ago(80), json!({"name": "Won", "amount": 1000, "stage_id": stages[4].0, "close_date": ago(50).date_naive().to_string()})),
            (ago(45), json!({"stage_id": won})),
        ],
    )
    .await;
    let request = ReplayRequest {
        timeframes: vec!["30d"],
        weeks: 10,
        simulations: 500,
        seed: 1,
    };
    let workspace = session.workspace_id.parse().unwrap();
    let replay = replay_forecasts(&app.db, workspace, &request)
        .await
        .unwrap();
    // Forecasts made 70, 63, 56 … 35 days ago: the 30 days after each have passed.
    let made: Vec<(i64, f64, f64, f64)> = replay
        .forecasts
        .iter()
        .map(|f| {
            let day: chrono::NaiveDate = f.taken_on.parse().unwrap();
            let days_ago = (Utc::now().date_naive() - day).num_days();
            (days_ago, f.actual, f.p90, f.weighted_pipeline.unwrap())
        })
        .collect();
    let ages: Vec<i64> = made.iter().map(|m| m.0).collect();
    assert_eq!(ages, [70, 63, 56, 49, 42, 35]);
    for (days_ago, actual, p90, weighted) in made {
        if days_ago >= 49 {
            // Open that day, and won 45 days ago: inside the 30 days that followed.
            assert_eq!(actual, 1000.0, "{days_ago}");
            assert_eq!(p90, 1000.0, "negotiation deals mostly win: {days_ago}");
            assert_eq!(weighted, 800.0, "the stage's 80% of it: {days_ago}");
        } else {
            // Already won before the period began: nothing to forecast, nothing won in it.
            assert_eq!((actual, p90, weighted), (0.0, 0.0, 0.0), "{days_ago}");
        }
    }
    let month = &replay.by_timeframe[0];
    assert_eq!((month.timeframe.as_str(), month.snapshots), ("30d", 6));
    assert_eq!(replay.won_from_later_deals["30d"], 0.0);
}

async fn the_forecast_counts_deals_not_created_yet(app: TestApp) {
    let session = app.signup("arrivals@example.com", "Arrivals").await;
    let stages = stage_ids(&session).await;
    let won = &stages.iter().find(|s| s.1 == "won").unwrap().0;
    // Twenty deals created over the past year, each won ten days after it was opened.
    for i in 0..20 {
        let born = ago(100 + i * 10);
        live(
            &app,
            &session,
            vec![
                (
                    born,
                    json!({"name": format!("Deal {i}"), "amount": 1000, "stage_id": stages[0].0}),
                ),
                (born + Duration::days(10), json!({"stage_id": won})),
            ],
        )
        .await;
    }
    let (status, _) = session.post(&session.ws("/deals/score"), json!({})).await;
    assert_eq!(status, 200);
    let (_, forecast) = session
        .get(&session.ws("/forecast?timeframe=30d&simulations=2000"))
        .await;
    // 20 × 1,000 won per 355 days of creation that could show a ten-day lead, over the
    // 20 days of the next 30 whose new deals can still be won in time.
    let expected = 20_000.0 / 355.0 * 20.0;
    let mean = forecast["new_business"]["mean"].as_f64().unwrap();
    assert!((mean - expected).abs() < 0.01, "{forecast}");
    assert!((forecast["exact"]["mean"].as_f64().unwrap() - expected).abs() < 0.01);
    assert_eq!(forecast["deals_analyzed"], 0);
    assert!(
        forecast["likely_case"].as_f64().unwrap() > 0.0,
        "{forecast}"
    );
    // An owner's forecast leaves them out: nobody owns a deal not created yet.
    let (_, mine) = session
        .get(&session.ws(&format!(
            "/forecast?timeframe=30d&owner_id={}",
            session.user_id
        )))
        .await;
    assert_eq!(mine["new_business"]["mean"], 0.0, "{mine}");
}

/// More deals than two pages hold, read a page at a time (what a rescore does): every deal
/// comes back once, with the same history as when read alone, pages' edges included.
async fn a_workspace_is_read_a_page_of_deals_at_a_time(app: TestApp) {
    let session = app.signup("pages@example.com", "Pages").await;
    let other = app.signup("next-door@example.com", "Next door").await;
    other.create("deals", json!({"name": "Not ours"})).await;
    let stages = stage_ids(&session).await;
    let (first, second) = (&stages[0].0, &stages[1].0);
    let won = &stages.iter().find(|s| s.1 == "won").unwrap().0;
    let lives = (0..DEAL_PAGE * 2 + 7)
        .map(|n| {
            let mut life = vec![step(
                ago(40),
                json!({"name": format!("Deal {n}"), "stage_id": first, "amount": n}),
                Mode::Create,
            )];
            if n % 3 == 0 {
                life.push(step(ago(20), json!({"stage_id": second}), Mode::Patch));
            }
            if n % 5 == 0 {
                life.push(step(ago(10), json!({"stage_id": won}), Mode::Patch));
            }
            life
        })
        .collect();
    let created = app
        .db
        .create_with_history(&context(&session), ObjectKind::Deal, lives)
        .await
        .unwrap();
    let mut ids: Vec<String> = created
        .iter()
        .map(|deal| deal["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    // Each page's first and last deal gets a call and a task.
    let edges = [0, DEAL_PAGE - 1, DEAL_PAGE, 2 * DEAL_PAGE, ids.len() - 1];
    for edge in edges {
        let deal = json!(ids[edge]);
        session
            .create("activities", json!({"kind": "call", "deal_id": deal}))
            .await;
        session
            .create("tasks", json!({"title": "Call back", "deal_id": deal}))
            .await;
    }

    let workspace = session.workspace_id.parse().unwrap();
    let all = app.db.all_deal_facts(workspace).await.unwrap();
    let read: Vec<&str> = all.iter().map(|deal| deal.id.as_str()).collect();
    assert_eq!(read, ids, "every deal once, none of another workspace");
    for n in (0..all.len()).filter(|n| n % 997 == 0 || edges.contains(n)) {
        let deal = &all[n];
        let alone = app
            .db
            .deal_facts(workspace, DealScope::One(&deal.id))
            .await
            .unwrap();
        assert_eq!(
            alone,
            std::slice::from_ref(deal),
            "deal {n} read alone and in its page"
        );
    }
    for edge in edges {
        let timeline = &all[edge].timeline;
        assert_eq!(timeline.activities.len(), 1, "deal {edge}'s call");
        assert_eq!(timeline.tasks.len(), 1, "deal {edge}'s task");
    }
    let moved = all.iter().filter(|deal| deal.timeline.stages.len() > 1);
    assert_eq!(
        moved.count(),
        (0..ids.len()).filter(|n| n % 3 == 0 || n % 5 == 0).count()
    );

    let (status, body) = session.post(&session.ws("/deals/score"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_deals"], ids.len());
    assert_eq!(
        body["scored_deals"],
        (0..ids.len()).filter(|n| n % 5 != 0).count()
    );
}
