//! Duplicate management on existing data: likely duplicate contacts and accounts are grouped
//! with a confidence and the evidence behind it; other workspaces see none of it.

use serde_json::{json, Value};
use velocity_testkit::{both_databases, TestApp};

both_databases!(
    likely_duplicate_contacts_are_grouped,
    likely_duplicate_accounts_are_grouped,
    duplicates_stay_inside_their_workspace,
);

fn ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

async fn likely_duplicate_contacts_are_grouped(app: TestApp) {
    let session = app.signup("dupes@example.com", "Dupes").await;
    let acme = session
        .create("accounts", json!({"name": "Acme Corp"}))
        .await;
    let jonathan = session
        .create("contacts", json!({"first_name": "Jonathan", "last_name": "Smith", "email": "jonathan.smith@acme.com", "phone": "+1 415 555 0100", "account_id": acme["id"], "attributes": {"city": "Springfield"}}))
        .await;
    let jonathon = session
        .create("contacts", json!({"first_name": "Jonathon", "last_name": "Smith", "email": "Jonathan.Smith@acme.com", "phone": "(415) 555-0100", "attributes": {"city": "Springfield"}}))
        .await;
    for (first, last, email, phone) in [
        ("Maria", "Garcia", "maria@other.com", "+1 212 555 0199"),
        ("Li", "Wei", "li.wei@example.org", "+44 20 7946 0958"),
        ("Jane", "Smith", "jane@elsewhere.net", "+1 650 555 0142"),
    ] {
        session
            .create(
                "contacts",
                json!({"first_name": first, "last_name": last, "email": email, "phone": phone}),
            )
            .await;
    }
    let (status, body) = session.get(&session.ws("/contacts/duplicates")).await;
    assert_eq!(status, 200, "{body}");
    let groups = body["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{body}");
    let mut expected = vec![
        jonathan["id"].as_str().unwrap().to_string(),
        jonathon["id"].as_str().unwrap().to_string(),
    ];
    expected.sort();
    assert_eq!(ids(&groups[0]), expected);
    let confidence = groups[0]["confidence"].as_f64().unwrap();
    assert!(
        confidence >= body["merge_threshold"].as_f64().unwrap(),
        "{body}"
    );
    let evidence = groups[0]["pairs"][0]["evidence"].as_array().unwrap();
    assert!(
        evidence
            .iter()
            .any(|e| e["field"] == "email" && e["agreement"] == "exact"),
        "{body}"
    );

    let (status, body) = session
        .get(&session.ws("/contacts/duplicates?min_confidence=2"))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = session.get(&session.ws("/deals/duplicates")).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = session
        .get(&session.ws("/contacts/duplicates?limit=0"))
        .await;
    assert_eq!(status, 422);
    let viewer = session.invite("dupes-viewer@example.com", "viewer").await;
    let (status, body) = viewer.get(&viewer.ws("/contacts/duplicates")).await;
    assert_eq!(status, 200);
    assert_eq!(body["groups"].as_array().unwrap().len(), 1);
}

async fn likely_duplicate_accounts_are_grouped(app: TestApp) {
    let session = app.signup("dupe-accounts@example.com", "Accounts").await;
    let first = session
        .create("accounts", json!({"name": "Globex Corporation", "domain": "globex.com", "phone": "+1 415 555 0100"}))
        .await;
    let second = session
        .create("accounts", json!({"name": "Globex Corp.", "website": "https://www.globex.com/about", "phone": "415-555-0100"}))
        .await;
    session
        .create(
            "accounts",
            json!({"name": "Initech", "domain": "initech.com"}),
        )
        .await;
    session
        .create(
            "accounts",
            json!({"name": "Umbrella", "domain": "umbrella.example"}),
        )
        .await;
    let (status, body) = session.get(&session.ws("/accounts/duplicates")).await;
    assert_eq!(status, 200, "{body}");
    let groups = body["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{body}");
    let mut expected = vec![
        first["id"].as_str().unwrap().to_string(),
        second["id"].as_str().unwrap().to_string(),
    ];
    expected.sort();
    assert_eq!(ids(&groups[0]), expected);
}

async fn duplicates_stay_inside_their_workspace(app: TestApp) {
    let owner = app.signup("dupe-owner@example.com", "Mine").await;
    let stranger = app.signup("dupe-stranger@example.com", "Theirs").await;
    for _ in 0..2 {
        owner
            .create(
                "contacts",
                json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@x.com"}),
            )
            .await;
    }
    stranger
        .create(
            "contacts",
            json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@x.com"}),
        )
        .await;
    let (_, mine) = owner.get(&owner.ws("/contacts/duplicates")).await;
    assert_eq!(mine["groups"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine["groups"][0]["records"].as_array().unwrap().len(), 2);
    let (_, theirs) = stranger.get(&stranger.ws("/contacts/duplicates")).await;
    assert_eq!(theirs["groups"], json!([]), "{theirs}");
    let (status, _) = stranger
        .get(&format!(
            "/api/v1/workspaces/{}/contacts/duplicates",
            owner.workspace_id
        ))
        .await;
    assert_eq!(status, 404);
}
