//! Pipeline intelligence over the API: deal scores with reasons that follow the deal's
//! changes, rescoring, the forecast against its own closed form, snapshots, bad parameters
//! and other workspaces.

use serde_json::{json, Value};
use velocity_testkit::{both_databases, Session, TestApp};

both_databases!(
    a_score_explains_itself_and_follows_changes,
    rescoring_counts_every_open_deal,
    the_forecast_agrees_with_its_closed_form_and_follows_changes,
    history_teaches_stage_win_rates,
    snapshots_are_stored_daily,
    bad_forecast_parameters_are_refused,
    other_workspaces_see_no_scores_or_revenue,
    changes_are_rescored_in_the_background,
    insights_are_raised_once_and_resolve_themselves,
    a_model_is_learned_from_deals_as_they_stood,
    past_forecasts_are_scored_against_what_was_won,
    the_pipeline_summary_adds_up_the_workspace,
);

async fn stages(session: &Session) -> Vec<Value> {
    let (_, pipelines) = session.get(&session.ws("/pipelines")).await;
    pipelines["items"][0]["stages"].as_array().unwrap().clone()
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

fn id(record: &Value) -> &str {
    record["id"].as_str().unwrap()
}

fn factor<'a>(score: &'a Value, name: &str) -> Option<&'a Value> {
    score["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
}

async fn a_score_explains_itself_and_follows_changes(app: TestApp) {
    let session = app.signup("score@example.com", "Score").await;
    let stages = stages(&session).await;
    let deal = session
        .create("deals", json!({"name": "Villa", "amount": 100000, "close_date": day(10), "stage_id": stages[2]["id"]}))
        .await;
    let path = session.ws(&format!("/deals/{}/score", id(&deal)));
    let (status, score) = session.get(&path).await;
    assert_eq!(status, 200, "{score}");
    let probability = score["win_probability"].as_f64().unwrap();
    assert!(probability > 0.0 && probability < 1.0, "{score}");
    let health = score["health"].as_u64().unwrap();
    assert!(health <= 100);
    assert!(["excellent", "good", "fair", "poor", "critical"]
        .contains(&score["health_band"].as_str().unwrap()));
    assert_eq!(score["model"]["kind"], "stage_prior_with_health");
    for f in score["factors"].as_array().unwrap() {
        assert!(f["name"].is_string() && f["detail"].is_string() && f["weight"].is_number());
        assert!(["positive", "negative"].contains(&f["direction"].as_str().unwrap()));
    }
    // No next step planned: named as a reason.
    assert!(factor(&score, "no_next_step").is_some(), "{score}");

    // The close date passes and the amount is cut: health falls and both are named.
    let deal_path = session.ws(&format!("/deals/{}", id(&deal)));
    let (status, _) = session
        .patch(&deal_path, json!({"close_date": day(-5), "amount": 60000}))
        .await;
    assert_eq!(status, 200);
    let (_, worse) = session.get(&path).await;
    assert!(worse["health"].as_u64().unwrap() < health, "{worse}");
    assert!(
        worse["win_probability"].as_f64().unwrap() < probability,
        "{worse}"
    );
    assert_eq!(
        factor(&worse, "close_date_passed").unwrap()["direction"],
        "negative"
    );
    assert!(factor(&worse, "amount_cut").is_some(), "{worse}");

    // A later stage with a higher win rate raises the probability.
    session
        .patch(
            &deal_path,
            json!({"stage_id": stages[4]["id"], "close_date": day(10)}),
        )
        .await;
    let (_, later) = session.get(&path).await;
    assert!(
        later["win_probability"].as_f64().unwrap() > worse["win_probability"].as_f64().unwrap(),
        "{later}"
    );
    assert!(factor(&later, "stage").unwrap()["detail"]
        .as_str()
        .unwrap()
        .contains("Negotiation"));

    // Won: certain.
    let won = stages.iter().find(|s| s["kind"] == "won").unwrap();
    session
        .patch(&deal_path, json!({"stage_id": won["id"]}))
        .await;
    let (_, closed) = session.get(&path).await;
    assert_eq!(closed["win_probability"], 1.0);
}

async fn rescoring_counts_every_open_deal(app: TestApp) {
    let session = app.signup("rescore@example.com", "Rescore").await;
    let stages = stages(&session).await;
    for (i, stage) in stages.iter().take(5).enumerate() {
        session
            .create("deals", json!({"name": format!("Deal {i}"), "amount": 1000 * (i + 1), "close_date": day(i as i64), "stage_id": stage["id"]}))
            .await;
    }
    let won = stages.iter().find(|s| s["kind"] == "won").unwrap();
    session
        .create(
            "deals",
            json!({"name": "Done", "amount": 5, "stage_id": won["id"]}),
        )
        .await;
    let (status, body) = session.post(&session.ws("/deals/score"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scored_deals"], 5);
    assert_eq!(body["total_deals"], 6);
    let bands = body["health_distribution"].as_object().unwrap();
    assert_eq!(bands.len(), 5);
    assert_eq!(bands.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), 5);
    let average = body["average_health"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&average));

    let viewer = session.invite("viewer@example.com", "viewer").await;
    let (status, problem) = viewer.post(&viewer.ws("/deals/score"), json!({})).await;
    assert_eq!(status, 403, "{problem}");
    let (status, _) = viewer.get(&viewer.ws("/forecast")).await;
    assert_eq!(status, 200);
}

async fn the_forecast_agrees_with_its_closed_form_and_follows_changes(app: TestApp) {
    let session = app.signup("forecast@example.com", "Forecast").await;
    let stages = stages(&session).await;
    let mut deals = Vec::new();
    for i in 0..40 {
        let deal = session
            .create("deals", json!({"name": format!("Deal {i}"), "amount": 1000 + 250 * i, "close_date": day(i % 25), "stage_id": stages[i as usize % 5]["id"]}))
            .await;
        deals.push(deal);
    }
    // Outside a 30-day window with no history of early closes: not in the forecast.
    session
        .create("deals", json!({"name": "Next year", "amount": 1e6, "close_date": day(200), "stage_id": stages[4]["id"]}))
        .await;
    let url = session.ws("/forecast?timeframe=30d&simulations=20000&seed=7");
    let (status, forecast) = session.get(&url).await;
    assert_eq!(status, 200, "{forecast}");
    assert_eq!(forecast["deals_analyzed"], 40);
    for key in [
        "timeframe",
        "scenario",
        "predicted_revenue",
        "confidence",
        "best_case",
        "likely_case",
        "worst_case",
        "mean_forecast",
        "standard_deviation",
        "breakdown_by_stage",
        "by_category",
        "simulation_stats",
        "forecasted_deals",
        "exact",
        "generated_at",
    ] {
        assert!(!forecast[key].is_null(), "{key} missing: {forecast}");
    }
    let mean = forecast["mean_forecast"].as_f64().unwrap();
    let exact_mean = forecast["exact"]["mean"].as_f64().unwrap();
    let exact_sd = forecast["exact"]["standard_deviation"].as_f64().unwrap();
    assert!(
        (mean - exact_mean).abs() <= 3.0 * exact_sd / (20000f64).sqrt() + 0.01,
        "{forecast}"
    );
    let sd = forecast["standard_deviation"].as_f64().unwrap();
    assert!((sd / exact_sd - 1.0).abs() < 0.02, "{forecast}");
    let stats = &forecast["simulation_stats"];
    assert_eq!(stats["num_simulations"], 20000);
    assert_eq!(forecast["worst_case"], stats["p10"]);
    assert_eq!(forecast["likely_case"], stats["p50"]);
    assert_eq!(forecast["best_case"], stats["p90"]);
    assert_eq!(forecast["predicted_revenue"], forecast["likely_case"]);
    assert!(
        stats["p10"].as_f64() <= stats["p50"].as_f64()
            && stats["p50"].as_f64() <= stats["p90"].as_f64()
    );
    let weighted: f64 = forecast["forecasted_deals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["weighted_value"].as_f64().unwrap())
        .sum();
    assert!(
        (weighted - exact_mean).abs() < 1.0,
        "{weighted} vs {exact_mean}"
    );
    let stage_deals: u64 = forecast["breakdown_by_stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["deals"].as_u64().unwrap())
        .sum();
    assert_eq!(stage_deals, 40);
    // The same seed gives the same answer; the worst scenario is P10.
    let (_, again) = session.get(&url).await;
    assert_eq!(again["simulation_stats"], forecast["simulation_stats"]);
    let (_, worst) = session
        .get(&session.ws("/forecast?scenario=worst&seed=7&simulations=20000"))
        .await;
    assert_eq!(worst["predicted_revenue"], worst["simulation_stats"]["p10"]);
    assert!(worst["confidence"].as_f64().unwrap() >= 0.89, "{worst}");

    // A bigger amount raises the expected revenue by its adjusted probability.
    let first = &forecast["forecasted_deals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["deal_id"] == deals[0]["id"])
        .unwrap()
        .clone();
    session
        .patch(
            &session.ws(&format!("/deals/{}", id(&deals[0]))),
            json!({"amount": 101000}),
        )
        .await;
    let (_, bigger) = session.get(&url).await;
    let expected = exact_mean + 100000.0 * first["adjusted_probability"].as_f64().unwrap();
    assert!(
        (bigger["exact"]["mean"].as_f64().unwrap() - expected).abs() < 1.0,
        "{bigger}"
    );
    // Winning a deal makes its revenue certain and moves it to the closed category.
    let won = stages.iter().find(|s| s["kind"] == "won").unwrap();
    session
        .patch(
            &session.ws(&format!("/deals/{}", id(&deals[1]))),
            json!({"stage_id": won["id"]}),
        )
        .await;
    let (_, after_win) = session.get(&url).await;
    assert_eq!(after_win["deals_analyzed"], 39);
    assert_eq!(after_win["by_category"]["closed"]["deals"], 1);
    assert_eq!(after_win["by_category"]["closed"]["total_value"], 1250.0);
    assert!(after_win["simulation_stats"]["min"].as_f64().unwrap() >= 1250.0);
    // Omitted deals leave the forecast.
    session
        .patch(
            &session.ws(&format!("/deals/{}", id(&deals[2]))),
            json!({"forecast_category": "omitted"}),
        )
        .await;
    let (_, omitted) = session.get(&url).await;
    assert_eq!(omitted["deals_analyzed"], 38);
    // A close date pushed beyond the period takes the deal out of it, and its stage
    // breakdown with it; pulled back in, it returns.
    let moved = session.ws(&format!("/deals/{}", id(&deals[3])));
    session.patch(&moved, json!({"close_date": day(90)})).await;
    let (_, pushed) = session.get(&url).await;
    assert_eq!(pushed["deals_analyzed"], 37);
    assert!(pushed["exact"]["mean"].as_f64() < omitted["exact"]["mean"].as_f64());
    session.patch(&moved, json!({"close_date": day(3)})).await;
    let (_, back) = session.get(&url).await;
    assert_eq!(back["deals_analyzed"], 38);
}

async fn history_teaches_stage_win_rates(app: TestApp) {
    let session = app.signup("history@example.com", "History").await;
    let stages = stages(&session).await;
    let won = stages.iter().find(|s| s["kind"] == "won").unwrap();
    let lost = stages.iter().find(|s| s["kind"] == "lost").unwrap();
    // Eight deals pass through Proposal: six are won, two lost, one slipped a week first.
    for i in 0..8 {
        let deal = session
            .create("deals", json!({"name": format!("Past {i}"), "amount": 1000, "close_date": day(0), "stage_id": stages[3]["id"]}))
            .await;
        let path = session.ws(&format!("/deals/{}", id(&deal)));
        let outcome = if i < 6 { won } else { lost };
        session
            .patch(&path, json!({"stage_id": outcome["id"]}))
            .await;
    }
    let open = session
        .create("deals", json!({"name": "Open", "amount": 1000, "close_date": day(3), "stage_id": stages[3]["id"]}))
        .await;
    let (status, body) = session.post(&session.ws("/deals/score"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (_, score) = session
        .get(&session.ws(&format!("/deals/{}/score", id(&open))))
        .await;
    assert_eq!(score["model"]["training_deals"], 8);
    let detail = factor(&score, "stage").unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("6 of 8"), "{detail}");
    // (0.6 × 10 + 6) / (10 + 8) = 0.667 for the stage, before health moves it.
    assert!(detail.contains("67%"), "{detail}");
    let (_, forecast) = session.get(&session.ws("/forecast")).await;
    let listed = &forecast["forecasted_deals"][0];
    assert_eq!(listed["deal_id"], open["id"]);
    assert!(
        listed["confidence_score"].as_f64().unwrap() > 0.0,
        "{forecast}"
    );
    // The stored score is current, so the forecast uses it.
    assert_eq!(listed["win_probability"], score["win_probability"]);
}

async fn snapshots_are_stored_daily(app: TestApp) {
    let session = app.signup("snap@example.com", "Snap").await;
    let stages = stages(&session).await;
    session
        .create("deals", json!({"name": "Deal", "amount": 5000, "close_date": day(3), "stage_id": stages[1]["id"]}))
        .await;
    let (status, taken) = session
        .post(&session.ws("/forecast/snapshots"), json!({}))
        .await;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(taken["items"].as_array().unwrap().len(), 2);
    // Taking them again the same day replaces, not adds.
    session
        .post(&session.ws("/forecast/snapshots"), json!({}))
        .await;
    let (status, listed) = session
        .get(&session.ws("/forecast/snapshots?timeframe=30d"))
        .await;
    assert_eq!(status, 200);
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["taken_on"], day(0));
    assert_eq!(items[0]["timeframe"], "30d");
    assert_eq!(items[0]["forecast"]["deals_analyzed"], 1);
    let (status, _) = session
        .get(&session.ws("/forecast/snapshots?timeframe=week"))
        .await;
    assert_eq!(status, 422);
}

async fn bad_forecast_parameters_are_refused(app: TestApp) {
    let session = app.signup("bad@example.com", "Bad").await;
    for (query, field) in [
        ("timeframe=week", "timeframe"),
        ("scenario=optimistic", "scenario"),
        ("simulations=0", "simulations"),
        ("simulations=many", "simulations"),
        ("simulations=100000000", "simulations"),
        ("seed=-1", "seed"),
        ("pipeline_id=nope", "pipeline_id"),
        ("owner_id=7", "owner_id"),
    ] {
        let (status, problem) = session
            .get(&session.ws(&format!("/forecast?{query}")))
            .await;
        assert_eq!(status, 422, "{query}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (status, _) = session.get(&session.ws("/deals/not-an-id/score")).await;
    assert_eq!(status, 404);
    let (status, _) = session
        .get(&session.ws("/deals/0190a0b0-0000-7000-8000-000000000000/score"))
        .await;
    assert_eq!(status, 404);
}

async fn other_workspaces_see_no_scores_or_revenue(app: TestApp) {
    let alice = app.signup("alice@example.com", "Alice").await;
    let bob = app.signup("bob@example.com", "Bob").await;
    let stages = stages(&alice).await;
    let deal = alice
        .create("deals", json!({"name": "Secret", "amount": 9999, "close_date": day(2), "stage_id": stages[1]["id"]}))
        .await;
    // Bob's credentials on Bob's workspace with Alice's deal id.
    let (status, _) = bob
        .get(&bob.ws(&format!("/deals/{}/score", id(&deal))))
        .await;
    assert_eq!(status, 404);
    // Bob's credentials on Alice's workspace.
    let alice_ws = alice.ws(&format!("/deals/{}/score", id(&deal)));
    let (status, _) = bob.get(&alice_ws).await;
    assert_eq!(status, 404);
    let (status, _) = bob.get(&alice.ws("/forecast")).await;
    assert_eq!(status, 404);
    let (status, _) = bob.post(&alice.ws("/deals/score"), json!({})).await;
    assert_eq!(status, 404);
    let (_, forecast) = bob.get(&bob.ws("/forecast")).await;
    assert_eq!(forecast["deals_analyzed"], 0);
    assert_eq!(forecast["mean_forecast"], 0.0);
    // Alice's pipeline is not Bob's.
    let (_, pipelines) = alice.get(&alice.ws("/pipelines")).await;
    let pipeline = pipelines["items"][0]["id"].as_str().unwrap();
    let (status, _) = bob
        .get(&bob.ws(&format!("/forecast?pipeline_id={pipeline}")))
        .await;
    assert_eq!(status, 404);
    let (_, mine) = alice
        .get(&alice.ws(&format!("/forecast?pipeline_id={pipeline}")))
        .await;
    assert_eq!(mine["deals_analyzed"], 1);
}

async fn changes_are_rescored_in_the_background(app: TestApp) {
    let quick = velocity_testkit::spawn_app_with(app.database.clone(), |c| {
        c.intel_debounce = std::time::Duration::from_millis(100);
    })
    .await;
    let session = quick.signup("worker@example.com", "Worker").await;
    let stages = stages(&session).await;
    session
        .create("deals", json!({"name": "Fresh", "amount": 700, "close_date": day(1), "stage_id": stages[1]["id"]}))
        .await;
    let mut snapshots = Value::Null;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        (_, snapshots) = session.get(&session.ws("/forecast/snapshots")).await;
        if snapshots["items"]
            .as_array()
            .is_some_and(|items| items.len() == 2)
        {
            break;
        }
    }
    let items = snapshots["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{snapshots}");
    assert_eq!(items[0]["forecast"]["deals_analyzed"], 1);
    quick.stop().await;
}

async fn insights_are_raised_once_and_resolve_themselves(app: TestApp) {
    let session = app.signup("insights@example.com", "Insights").await;
    let stages = stages(&session).await;
    let late = session
        .create("deals", json!({"name": "Late", "amount": 100, "close_date": day(-3), "stage_id": stages[1]["id"]}))
        .await;
    let slipping = session
        .create("deals", json!({"name": "Slipping", "amount": 100, "close_date": day(5), "stage_id": stages[1]["id"]}))
        .await;
    let slipping_path = session.ws(&format!("/deals/{}", id(&slipping)));
    session
        .patch(&slipping_path, json!({"close_date": day(12)}))
        .await;
    session
        .patch(&slipping_path, json!({"close_date": day(20)}))
        .await;
    let hot = session
        .create("deals", json!({"name": "Hot", "amount": 100, "close_date": day(40), "stage_id": stages[4]["id"]}))
        .await;
    session
        .create("tasks", json!({"title": "Send contract", "deal_id": hot["id"], "due_at": format!("{}T09:00:00Z", day(-2))}))
        .await;

    let (status, sync) = session
        .post(&session.ws("/insights/generate"), json!({}))
        .await;
    assert_eq!(status, 200, "{sync}");
    assert_eq!(sync["created"], 3, "{sync}");
    let (_, listed) = session.get(&session.ws("/insights")).await;
    let items = listed["items"].as_array().unwrap().clone();
    let find = |kind: &str| {
        items
            .iter()
            .find(|i| i["kind"] == kind)
            .unwrap_or_else(|| panic!("{kind}: {listed}"))
            .clone()
    };
    let passed = find("close_date_passed");
    assert_eq!(passed["deal_id"], late["id"]);
    assert_eq!(passed["type"], "warning");
    assert_eq!(find("close_date_slipped")["deal_id"], slipping["id"]);
    let hot_insight = find("hot_deal_overdue_tasks");
    assert_eq!(hot_insight["type"], "recommendation");
    assert_eq!(hot_insight["priority"], "high");
    for item in &items {
        assert_eq!(item["is_read"], false);
        assert!(item["confidence"].as_f64().unwrap() > 0.0);
        assert!(!item["actions"].as_array().unwrap().is_empty());
        assert!(
            item["title"].is_string()
                && item["description"].is_string()
                && item["data"].is_object()
        );
    }

    // The same conditions do not raise the same insights twice.
    let (_, again) = session
        .post(&session.ws("/insights/generate"), json!({}))
        .await;
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(3)),
        "{again}"
    );

    // Read, then filtered out of the unread list; the flag survives regeneration.
    let insight_path = session.ws(&format!("/insights/{}", passed["id"].as_str().unwrap()));
    let (status, read) = session.patch(&insight_path, json!({"is_read": true})).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["is_read"], true);
    session
        .post(&session.ws("/insights/generate"), json!({}))
        .await;
    let (_, unread) = session.get(&session.ws("/insights?unread=true")).await;
    assert_eq!(unread["items"].as_array().unwrap().len(), 2, "{unread}");
    let (_, high) = session.get(&session.ws("/insights?priority=high")).await;
    assert!(high["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["priority"] == "high"));

    // Fixing the close date clears the condition: the insight resolves itself.
    session
        .patch(
            &session.ws(&format!("/deals/{}", id(&late))),
            json!({"close_date": day(10)}),
        )
        .await;
    let (_, cleared) = session
        .post(&session.ws("/insights/generate"), json!({}))
        .await;
    assert_eq!(cleared["resolved"], 1, "{cleared}");
    let (_, resolved) = session.get(&session.ws("/insights?status=resolved")).await;
    assert_eq!(resolved["items"][0]["id"], passed["id"]);
    assert!(resolved["items"][0]["resolved_at"].is_string());

    // Bad input and other workspaces.
    for query in [
        "priority=urgent",
        "unread=maybe",
        "status=closed",
        "limit=0",
    ] {
        let (status, _) = session
            .get(&session.ws(&format!("/insights?{query}")))
            .await;
        assert_eq!(status, 422, "{query}");
    }
    let (status, _) = session
        .patch(&insight_path, json!({"is_read": "yes"}))
        .await;
    assert_eq!(status, 422);
    let (status, _) = session
        .patch(&session.ws("/insights/nope"), json!({"is_read": true}))
        .await;
    assert_eq!(status, 404);
    let other = app.signup("other-insights@example.com", "Other").await;
    let (status, _) = other
        .patch(
            &other.ws(&format!("/insights/{}", passed["id"].as_str().unwrap())),
            json!({"is_read": false}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = other.patch(&insight_path, json!({"is_read": false})).await;
    assert_eq!(status, 404);
    let (_, theirs) = other.get(&other.ws("/insights")).await;
    assert!(theirs["items"].as_array().unwrap().is_empty());
}

async fn a_model_is_learned_from_deals_as_they_stood(app: TestApp) {
    let session = app.signup("model@example.com", "Model").await;
    let stages = stages(&session).await;
    let won = stages.iter().find(|s| s["kind"] == "won").unwrap();
    let lost = stages.iter().find(|s| s["kind"] == "lost").unwrap();
    // 60 deals close; four in five won deals had a call while open, one in five lost ones.
    for i in 0..60 {
        let wins = i % 2 == 0;
        let deal = session
            .create("deals", json!({"name": format!("Past {i}"), "amount": 1000, "close_date": day(0), "stage_id": stages[2]["id"]}))
            .await;
        let called = if wins { i % 10 != 0 } else { i % 10 == 1 };
        if called {
            session
                .create("activities", json!({"kind": "call", "deal_id": deal["id"], "occurred_at": deal["created_at"]}))
                .await;
        }
        let outcome = if wins { won } else { lost };
        session
            .patch(
                &session.ws(&format!("/deals/{}", id(&deal))),
                json!({"stage_id": outcome["id"]}),
            )
            .await;
    }
    let open = session
        .create("deals", json!({"name": "Open", "amount": 1000, "close_date": day(9), "stage_id": stages[2]["id"]}))
        .await;
    let (status, _) = session.post(&session.ws("/deals/score"), json!({})).await;
    assert_eq!(status, 200);
    let (_, score) = session
        .get(&session.ws(&format!("/deals/{}/score", id(&open))))
        .await;
    let model = &score["model"];
    assert_eq!(
        model["kind"], "logistic_regression_blended_with_stage_prior",
        "{score}"
    );
    assert_eq!(model["training_deals"], 60);
    assert!(model["auc"].as_f64().unwrap() > 0.6, "{score}");
    assert!(model["brier"].as_f64().unwrap() < 0.25, "{score}");
    // Never called: the learned model counts that against it.
    let activity = score["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "days_since_activity" || f["name"] == "recent_activities")
        .unwrap_or_else(|| panic!("{score}"));
    assert_eq!(activity["direction"], "negative", "{score}");
    // After a call (timed as the training deals' calls were: their whole lives took
    // milliseconds), the model counts it in the deal's favour.
    session
        .create(
            "activities",
            json!({"kind": "call", "deal_id": open["id"], "occurred_at": open["created_at"]}),
        )
        .await;
    let (_, called) = session
        .get(&session.ws(&format!("/deals/{}/score", id(&open))))
        .await;
    let recent = called["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "recent_activities")
        .unwrap_or_else(|| panic!("{called}"));
    assert_eq!(recent["direction"], "positive", "{called}");
}

async fn past_forecasts_are_scored_against_what_was_won(app: TestApp) {
    let session = app.signup("accuracy@example.com", "Accuracy").await;
    let stages = stages(&session).await;
    let won = stages.iter().find(|s| s["kind"] == "won").unwrap();
    // 1,500 was won in the first past period, nothing in the second.
    for (amount, close) in [(1000, -30), (500, -20), (700, -60)] {
        session
            .create("deals", json!({"name": "Won", "amount": amount, "close_date": day(close), "stage_id": won["id"]}))
            .await;
    }
    let workspace: velocity_domain::WorkspaceId = session.workspace_id.parse().unwrap();
    let stats = json!({"p5": 500.0, "p10": 800.0, "p25": 1000.0, "p50": 1200.0, "p75": 1400.0, "p90": 2000.0, "p95": 2500.0});
    for (taken, start, end) in [(-36, -35, -11), (-9, -8, -1), (-2, -2, 20)] {
        let snapshot = velocity_store::intel::state::Snapshot {
            id: uuid::Uuid::now_v7().to_string(),
            taken_on: day(taken),
            timeframe: "30d".into(),
            period_start: day(start),
            period_end: day(end),
            forecast: json!({"simulation_stats": stats}),
            created_at: format!("{}T00:00:00.000000Z", day(taken)),
        };
        app.db.save_snapshot(workspace, &snapshot).await.unwrap();
    }
    let (status, accuracy) = session.get(&session.ws("/forecast/accuracy")).await;
    assert_eq!(status, 200, "{accuracy}");
    assert_eq!(accuracy["pending"], 1);
    let scores = accuracy["snapshots"].as_array().unwrap();
    assert_eq!(scores.len(), 2);
    let hit = scores.iter().find(|s| s["taken_on"] == day(-36)).unwrap();
    assert_eq!(hit["actual"], 1500.0);
    assert_eq!(hit["inside_p10_p90"], true);
    // Pinball at P50: the outcome is above the forecast, so 0.5 × (1500 − 1200).
    assert_eq!(hit["pinball_p50"], 150.0);
    let miss = scores.iter().find(|s| s["taken_on"] == day(-9)).unwrap();
    assert_eq!(miss["actual"], 0.0);
    assert_eq!(miss["inside_p10_p90"], false);
    // Below every quantile: 0.9 × 800 at P10.
    assert!((miss["pinball_p10"].as_f64().unwrap() - 720.0).abs() < 1e-9);
    let summary = &accuracy["by_timeframe"][0];
    assert_eq!(summary["timeframe"], "30d");
    assert_eq!(summary["snapshots"], 2);
    assert_eq!(summary["p10_p90_coverage"], 0.5);
    assert!(
        (summary["mean_absolute_percentage_error_p50"]
            .as_f64()
            .unwrap()
            - 0.2)
            .abs()
            < 1e-9
    );
    assert!(summary["mean_crps"].as_f64().unwrap() > 0.0);

    let other = app.signup("other-accuracy@example.com", "Other").await;
    let (_, theirs) = other.get(&other.ws("/forecast/accuracy")).await;
    assert!(theirs["snapshots"].as_array().unwrap().is_empty());
    let (status, _) = other.get(&session.ws("/forecast/accuracy")).await;
    assert_eq!(status, 404);
}

async fn the_pipeline_summary_adds_up_the_workspace(app: TestApp) {
    let alice = app.signup("sum-alice@example.com", "Alice").await;
    let bob = app.signup("sum-bob@example.com", "Bob").await;
    let stages = stages(&alice).await;
    let stage = |kind: &str| stages.iter().find(|s| s["kind"] == kind).unwrap()["id"].clone();
    for (amount, stage_id) in [
        (100, &stages[0]["id"]),
        (250, &stages[0]["id"]),
        (400, &stages[2]["id"]),
    ] {
        alice
            .create(
                "deals",
                json!({"name": "Open", "amount": amount, "stage_id": stage_id}),
            )
            .await;
    }
    alice
        .create(
            "deals",
            json!({"name": "Won", "amount": 1000, "currency": "EUR", "stage_id": stage("won")}),
        )
        .await;
    for amount in [300, 50] {
        alice
            .create(
                "deals",
                json!({"name": "Lost", "amount": amount, "stage_id": stage("lost")}),
            )
            .await;
    }
    let gone = alice
        .create(
            "deals",
            json!({"name": "Deleted", "amount": 5, "stage_id": stages[0]["id"]}),
        )
        .await;
    alice
        .delete(&alice.ws(&format!("/deals/{}", id(&gone))))
        .await;
    let yesterday = format!("{}T09:00:00Z", day(-1));
    alice
        .create(
            "tasks",
            json!({"title": "Late", "due_at": yesterday, "assignee_id": alice.user_id}),
        )
        .await;
    alice
        .create(
            "tasks",
            json!({"title": "Late, unassigned", "due_at": yesterday}),
        )
        .await;
    alice
        .create(
            "tasks",
            json!({"title": "Next week", "due_at": format!("{}T09:00:00Z", day(7))}),
        )
        .await;

    let (status, summary) = alice.get(&alice.ws("/pipeline/summary")).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["timeframe"], "quarter");
    let by_stage = summary["open_by_stage"].as_array().unwrap();
    let first = by_stage
        .iter()
        .find(|s| s["stage_id"] == stages[0]["id"])
        .unwrap();
    assert_eq!(
        (first["deals"].as_i64(), first["value"].as_f64()),
        (Some(2), Some(350.0))
    );
    assert_eq!(
        by_stage.len(),
        2,
        "only stages holding open deals: {summary}"
    );
    assert_eq!(summary["won"], json!({"deals": 1, "value": 1000.0}));
    assert_eq!(summary["lost"], json!({"deals": 2, "value": 350.0}));
    assert!((summary["win_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(summary["open_tasks"], 3);
    assert_eq!(summary["overdue_tasks"], 2);
    assert_eq!(summary["my_overdue_tasks"], 1);
    assert_eq!(summary["unread_insights"], 0);
    assert_eq!(summary["currency"], "EUR", "the only currency named");

    // Another workspace sees none of it, and cannot name Alice's pipeline.
    let (status, _) = bob.get(&alice.ws("/pipeline/summary")).await;
    assert_eq!(status, 404);
    let (_, theirs) = bob.get(&bob.ws("/pipeline/summary")).await;
    assert_eq!(theirs["open_by_stage"], json!([]));
    assert_eq!(theirs["win_rate"], Value::Null);
    assert_eq!(theirs["currency"], Value::Null);
    let (_, pipelines) = alice.get(&alice.ws("/pipelines")).await;
    let pipeline = id(&pipelines["items"][0]).to_owned();
    let (status, _) = bob
        .get(&bob.ws(&format!("/pipeline/summary?pipeline_id={pipeline}")))
        .await;
    assert_eq!(status, 404);
    let (status, body) = alice
        .get(&alice.ws("/pipeline/summary?timeframe=decade"))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "timeframe");
}
