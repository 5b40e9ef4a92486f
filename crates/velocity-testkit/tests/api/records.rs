//! The client graph: every object's lifecycle, object rules, references, versions, history,
//! the Client 360.

use serde_json::{json, Value};
use velocity_testkit::{both_databases, Session, TestApp};

both_databases!(
    attribute_patches_merge_and_null_clears,
    every_object_goes_through_its_whole_lifecycle,
    stale_if_match_changes_nothing,
    deals_follow_their_pipeline_and_stage,
    pipelines_protect_stages_that_hold_deals,
    references_must_exist_in_the_workspace,
    tasks_record_when_they_are_done,
    history_records_actor_and_field_changes,
    the_client_360_gathers_everything_about_a_contact,
);

/// A valid creation body for each object (references created as needed).
pub async fn sample_bodies(session: &Session) -> Vec<(&'static str, Value, Value)> {
    let account = session.create("accounts", json!({"name": "Acme"})).await;
    let contact = session
        .create(
            "contacts",
            json!({"first_name": "Ana", "email": "ana@acme.com"}),
        )
        .await;
    vec![
        (
            "accounts",
            json!({"name": "Harbour Holdings", "domain": "https://www.harbour.example/about", "employees": 40}),
            json!({"industry": "Shipping"}),
        ),
        (
            "contacts",
            json!({"first_name": "Ben", "last_name": "Okafor", "email": "BEN@harbour.example", "account_id": account["id"]}),
            json!({"title": "CFO"}),
        ),
        (
            "deals",
            json!({"name": "Villa sale", "amount": 1250000, "currency": "eur", "close_date": "2026-12-31", "contact_ids": [contact["id"]]}),
            json!({"amount": 1300000}),
        ),
        (
            "pipelines",
            json!({"name": "Rentals", "stages": [{"name": "New", "probability": 0.1}, {"name": "Signed", "probability": 1, "kind": "won"}]}),
            json!({"name": "Rentals 2027"}),
        ),
        (
            "activities",
            json!({"kind": "visit", "subject": "Site visit", "contact_id": contact["id"], "duration_minutes": 45}),
            json!({"body": "Loved the terrace"}),
        ),
        (
            "tasks",
            json!({"title": "Send floor plans", "due_at": "2026-12-01T10:00:00+01:00"}),
            json!({"status": "done"}),
        ),
        (
            "products",
            json!({"name": "Penthouse 12A", "sku": "SKY-1", "price": 2400000, "attributes": {"bedrooms": 3}}),
            json!({"status": "reserved"}),
        ),
    ]
}

async fn every_object_goes_through_its_whole_lifecycle(app: TestApp) {
    let session = app.signup("life@example.com", "Life").await;
    for (plural, create, patch) in sample_bodies(&session).await {
        let response = session
            .app
            .request(
                reqwest::Method::POST,
                &session.ws(&format!("/{plural}")),
                Some(&session.token),
            )
            .json(&create)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "{plural}");
        assert_eq!(response.headers()["etag"], "\"1\"", "{plural}");
        let record: Value = response.json().await.unwrap();
        assert_eq!(record["version"], 1);
        assert!(record["created_at"].is_string() && record["updated_at"].is_string());
        let path = session.ws(&format!("/{plural}/{}", record["id"].as_str().unwrap()));
        let (status, read) = session.get(&path).await;
        assert_eq!(status, 200);
        assert_eq!(
            read, record,
            "{plural}: a read returns what the create returned"
        );
        let (status, patched) = session.patch(&path, patch.clone()).await;
        assert_eq!(status, 200, "{plural}: {patched}");
        assert_eq!(patched["version"], 2);
        for (field, value) in patch.as_object().unwrap() {
            match value.as_f64() {
                Some(number) => {
                    assert_eq!(patched[field].as_f64(), Some(number), "{plural}.{field}")
                }
                None => assert_eq!(&patched[field], value, "{plural}.{field}"),
            }
        }
        let (status, _) = session.delete(&path).await;
        assert_eq!(status, 204, "{plural}");
        let (status, _) = session.get(&path).await;
        assert_eq!(
            status, 404,
            "{plural}: deleted records disappear from reads"
        );
        let (_, list) = session
            .get(&session.ws(&format!("/{plural}?limit=500")))
            .await;
        assert!(
            !list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["id"] == record["id"]),
            "{plural}: and from lists"
        );
        let (status, restored) = session.post(&format!("{path}/restore"), json!({})).await;
        assert_eq!(status, 200, "{plural}: {restored}");
        assert_eq!(restored["version"], 4);
        let (status, _) = session.get(&path).await;
        assert_eq!(status, 200);
        let (status, _) = session.post(&format!("{path}/restore"), json!({})).await;
        assert_eq!(
            status, 404,
            "{plural}: only deleted records can be restored"
        );
    }
    // Values are normalised on the way in.
    let (_, accounts) = session.get(&session.ws("/accounts?q=harbour")).await;
    assert_eq!(accounts["items"][0]["domain"], "harbour.example");
}

async fn stale_if_match_changes_nothing(app: TestApp) {
    let session = app.signup("etag@example.com", "E").await;
    let account = session.create("accounts", json!({"name": "Before"})).await;
    let path = session.ws(&format!("/accounts/{}", account["id"].as_str().unwrap()));
    let send = |version: &str, name: &str| {
        session
            .app
            .request(reqwest::Method::PATCH, &path, Some(&session.token))
            .header("If-Match", version.to_string())
            .json(&json!({"name": name}))
            .send()
    };
    let response = send("\"1\"", "After").await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let response = send("\"1\"", "Lost update").await.unwrap();
    assert_eq!(response.status().as_u16(), 412);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["current_version"], 2);
    let (_, current) = session.get(&path).await;
    assert_eq!(current["name"], "After");
    assert_eq!(current["version"], 2);
    let response = send("banana", "x").await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let stale_delete = session
        .app
        .request(reqwest::Method::DELETE, &path, Some(&session.token))
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale_delete.status().as_u16(), 412);
    let (status, _) = session.get(&path).await;
    assert_eq!(status, 200);
}

async fn deals_follow_their_pipeline_and_stage(app: TestApp) {
    let session = app.signup("deals@example.com", "Deals").await;
    let (_, pipelines) = session.get(&session.ws("/pipelines")).await;
    let pipeline = &pipelines["items"][0];
    let stages = pipeline["stages"].as_array().unwrap();
    let won = stages.iter().find(|s| s["kind"] == "won").unwrap();
    let lost = stages.iter().find(|s| s["kind"] == "lost").unwrap();
    let deal = session.create("deals", json!({"name": "Defaults"})).await;
    assert_eq!(deal["pipeline_id"], pipeline["id"]);
    assert_eq!(deal["stage_id"], stages[0]["id"]);
    assert_eq!(deal["status"], "open");
    assert_eq!(deal["forecast_category"], "pipeline");
    assert!(deal["closed_at"].is_null());
    let path = session.ws(&format!("/deals/{}", deal["id"].as_str().unwrap()));
    let (_, won_deal) = session.patch(&path, json!({"stage_id": won["id"]})).await;
    assert_eq!(won_deal["status"], "won");
    assert_eq!(won_deal["forecast_category"], "closed");
    assert!(won_deal["closed_at"].is_string());
    // Status is read-only: a client cannot claim a deal won without moving its stage.
    let (_, reopened) = session
        .patch(
            &path,
            json!({"stage_id": stages[1]["id"], "status": "lost"}),
        )
        .await;
    assert_eq!(reopened["status"], "open");
    assert!(reopened["closed_at"].is_null());
    let (_, lost_deal) = session
        .patch(
            &path,
            json!({"stage_id": lost["id"], "lost_reason": "Budget"}),
        )
        .await;
    assert_eq!(lost_deal["status"], "lost");
    assert_eq!(lost_deal["forecast_category"], "omitted");
    let (_, commit) = session
        .patch(
            &path,
            json!({"forecast_category": "commit", "stage_id": stages[2]["id"]}),
        )
        .await;
    assert_eq!(
        commit["forecast_category"], "commit",
        "an explicit category wins over the derived one"
    );
    let other = session
        .create(
            "pipelines",
            json!({"name": "Other", "stages": [{"name": "Only", "probability": 0.5}]}),
        )
        .await;
    let (status, body) = session
        .patch(
            &path,
            json!({"pipeline_id": other["id"], "stage_id": stages[0]["id"]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "stage_id");
    let (status, moved) = session
        .patch(&path, json!({"pipeline_id": other["id"]}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        moved["stage_id"], other["stages"][0]["id"],
        "moving pipelines lands on its first stage"
    );
    let by_stage = session
        .create("deals", json!({"name": "By stage", "stage_id": won["id"]}))
        .await;
    assert_eq!(by_stage["pipeline_id"], pipeline["id"]);
}

async fn pipelines_protect_stages_that_hold_deals(app: TestApp) {
    let session = app.signup("pipes@example.com", "Pipes").await;
    let pipeline = session.create("pipelines", json!({"name": "P", "stages": [
        {"name": "A", "probability": 0.2}, {"name": "B", "probability": 0.5}, {"name": "Won", "probability": 1, "kind": "won"}]})).await;
    let stages = pipeline["stages"].as_array().unwrap().clone();
    assert!(stages.iter().all(|s| s["id"].is_string()));
    session
        .create(
            "deals",
            json!({"name": "Holds A", "pipeline_id": pipeline["id"]}),
        )
        .await;
    let path = session.ws(&format!("/pipelines/{}", pipeline["id"].as_str().unwrap()));
    let (status, body) = session
        .patch(&path, json!({"stages": [stages[1], stages[2]]}))
        .await;
    assert_eq!(status, 422, "removing a stage with deals: {body}");
    let mut renamed = stages.clone();
    renamed[1]["name"] = json!("B renamed");
    renamed.push(json!({"name": "Lost", "probability": 0, "kind": "lost"}));
    let (status, body) = session.patch(&path, json!({"stages": renamed})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stages"][1]["name"], "B renamed");
    assert_eq!(body["stages"][1]["id"], stages[1]["id"]);
    assert_eq!(body["stages"].as_array().unwrap().len(), 4);
    let (status, _) = session.delete(&path).await;
    assert_eq!(status, 409, "a pipeline holding deals cannot be deleted");
    // Deleting the deal frees the pipeline; the deal cannot then come back into a deleted one.
    let (_, deals) = session
        .get(&session.ws(&format!(
            "/deals?pipeline_id={}",
            pipeline["id"].as_str().unwrap()
        )))
        .await;
    let deal_path = session.ws(&format!(
        "/deals/{}",
        deals["items"][0]["id"].as_str().unwrap()
    ));
    assert_eq!(session.delete(&deal_path).await.0, 204);
    assert_eq!(session.delete(&path).await.0, 204);
    let (status, body) = session
        .post(&format!("{deal_path}/restore"), json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        session.post(&format!("{path}/restore"), json!({})).await.0,
        200
    );
    assert_eq!(
        session
            .post(&format!("{deal_path}/restore"), json!({}))
            .await
            .0,
        200
    );
    let (status, body) = session.patch(&path, json!({"stages": [{"id": "01234567-89ab-7def-8123-456789abcdef", "name": "X", "probability": 0.1}]})).await;
    assert_eq!(status, 422, "{body}");
}

async fn references_must_exist_in_the_workspace(app: TestApp) {
    let session = app.signup("refs@example.com", "Refs").await;
    let missing = "01234567-89ab-7def-8123-456789abcdef";
    let (status, body) = session
        .post(
            &session.ws("/contacts"),
            json!({"first_name": "X", "account_id": missing}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "account_id");
    let (status, _) = session
        .post(
            &session.ws("/deals"),
            json!({"name": "X", "contact_ids": [missing]}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = session
        .post(
            &session.ws("/tasks"),
            json!({"title": "X", "assignee_id": missing}),
        )
        .await;
    assert_eq!(status, 422);
    let account = session
        .create("accounts", json!({"name": "Soon gone"}))
        .await;
    session
        .delete(&session.ws(&format!("/accounts/{}", account["id"].as_str().unwrap())))
        .await;
    let (status, _) = session
        .post(
            &session.ws("/contacts"),
            json!({"first_name": "X", "account_id": account["id"]}),
        )
        .await;
    assert_eq!(status, 422, "a deleted record cannot be referenced");
    let task = session
        .create(
            "tasks",
            json!({"title": "Mine", "assignee_id": session.user_id}),
        )
        .await;
    assert_eq!(task["assignee_id"], session.user_id.as_str());
}

async fn tasks_record_when_they_are_done(app: TestApp) {
    let session = app.signup("tasks@example.com", "Tasks").await;
    let task = session.create("tasks", json!({"title": "Call back"})).await;
    assert_eq!(task["status"], "open");
    assert!(task["completed_at"].is_null());
    let path = session.ws(&format!("/tasks/{}", task["id"].as_str().unwrap()));
    let (_, done) = session.patch(&path, json!({"status": "done"})).await;
    assert!(done["completed_at"].is_string());
    let (_, reopened) = session.patch(&path, json!({"status": "open"})).await;
    assert!(reopened["completed_at"].is_null());
}

async fn history_records_actor_and_field_changes(app: TestApp) {
    let session = app.signup("hist@example.com", "Hist").await;
    let account = session
        .create(
            "accounts",
            json!({"name": "Old name", "attributes": {"tier": "gold"}}),
        )
        .await;
    let path = session.ws(&format!("/accounts/{}", account["id"].as_str().unwrap()));
    session
        .patch(
            &path,
            json!({"name": "New name", "attributes": {"tier": null, "region": "EU"}}),
        )
        .await;
    let (_, unchanged) = session.patch(&path, json!({"name": "New name"})).await;
    assert_eq!(
        unchanged["version"], 2,
        "a patch that changes nothing does not bump the version"
    );
    session.delete(&path).await;
    session.post(&format!("{path}/restore"), json!({})).await;
    let (status, history) = session.get(&format!("{path}/history")).await;
    assert_eq!(status, 200);
    let items = history["items"].as_array().unwrap();
    let actions: Vec<_> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "updated", "deleted", "restored"]);
    let update = &items[1];
    assert_eq!(
        update["changes"]["name"],
        json!({"old": "Old name", "new": "New name"})
    );
    assert_eq!(
        update["changes"]["attributes.tier"],
        json!({"old": "gold", "new": null})
    );
    assert_eq!(
        update["changes"]["attributes.region"],
        json!({"old": null, "new": "EU"})
    );
    assert_eq!(update["actor"]["kind"], "user");
    assert_eq!(update["actor"]["id"], session.user_id.as_str());
    assert_eq!(update["actor"]["name"], "Test User");
    assert_eq!(update["source"], "api");
    assert!(update["created_at"].is_string());
    let (_, record) = session.get(&path).await;
    assert_eq!(record["attributes"], json!({"region": "EU"}));
}

async fn the_client_360_gathers_everything_about_a_contact(app: TestApp) {
    let session = app.signup("360@example.com", "360").await;
    let account = session
        .create("accounts", json!({"name": "Halden Family Office"}))
        .await;
    let contact = session
        .create(
            "contacts",
            json!({"first_name": "Ingrid", "last_name": "Lindqvist", "account_id": account["id"]}),
        )
        .await;
    let deal = session.create("deals", json!({"name": "Lakeside villa", "contact_ids": [contact["id"]], "account_id": account["id"]})).await;
    for (kind, when) in [
        ("call", "2026-01-01T10:00:00Z"),
        ("visit", "2026-03-01T10:00:00Z"),
        ("note", "2026-02-01T10:00:00Z"),
    ] {
        session.create("activities", json!({"kind": kind, "occurred_at": when, "contact_id": contact["id"], "deal_id": deal["id"]})).await;
    }
    session
        .create(
            "tasks",
            json!({"title": "Done already", "status": "done", "contact_id": contact["id"]}),
        )
        .await;
    session
        .create(
            "tasks",
            json!({"title": "Open one", "contact_id": contact["id"]}),
        )
        .await;
    session
        .create(
            "tasks",
            json!({"title": "Dated", "due_at": "2026-12-01T09:00:00Z", "contact_id": contact["id"]}),
        )
        .await;
    let other = session
        .create("contacts", json!({"first_name": "Someone else"}))
        .await;
    session
        .create(
            "activities",
            json!({"kind": "call", "contact_id": other["id"]}),
        )
        .await;
    let (status, dossier) = session
        .get(&session.ws(&format!(
            "/contacts/{}/360",
            contact["id"].as_str().unwrap()
        )))
        .await;
    assert_eq!(status, 200, "{dossier}");
    assert_eq!(dossier["contact"]["id"], contact["id"]);
    assert_eq!(dossier["account"]["name"], "Halden Family Office");
    assert_eq!(dossier["deals"][0]["name"], "Lakeside villa");
    let kinds: Vec<_> = dossier["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["visit", "note", "call"],
        "newest first, only this contact's"
    );
    let titles: Vec<_> = dossier["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Dated", "Open one", "Done already"],
        "open first, dated before undated"
    );
    assert_eq!(dossier["history"][0]["action"], "created");
}

async fn attribute_patches_merge_and_null_clears(app: TestApp) {
    let session = app.signup("attrs@example.com", "Attrs").await;
    let account = session
        .create(
            "accounts",
            json!({"name": "A", "attributes": {"tier": "gold", "region": "EU"}}),
        )
        .await;
    let path = session.ws(&format!("/accounts/{}", account["id"].as_str().unwrap()));
    let (_, kept) = session
        .patch(&path, json!({"name": "B", "attributes": {}}))
        .await;
    assert_eq!(
        kept["attributes"],
        json!({"tier": "gold", "region": "EU"}),
        "an empty patch changes nothing"
    );
    let (_, merged) = session
        .patch(&path, json!({"attributes": {"tier": "silver"}}))
        .await;
    assert_eq!(
        merged["attributes"],
        json!({"tier": "silver", "region": "EU"})
    );
    let (_, cleared) = session.patch(&path, json!({"attributes": null})).await;
    assert_eq!(
        cleared["attributes"],
        json!({}),
        "null removes every attribute"
    );
}
