//! Duplicate management on existing data: likely duplicate contacts and accounts are grouped
//! with a confidence and the evidence behind it; merges move related records, keep history and
//! can be undone; other workspaces see none of it.

use serde_json::{json, Value};
use velocity_testkit::{both_databases, TestApp};

both_databases!(
    likely_duplicate_contacts_are_grouped,
    likely_duplicate_accounts_are_grouped,
    duplicates_stay_inside_their_workspace,
    a_contact_merge_moves_everything_and_undoes,
    an_account_merge_moves_its_contacts,
    bad_merges_are_refused,
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

async fn a_contact_merge_moves_everything_and_undoes(app: TestApp) {
    let session = app.signup("merger@example.com", "Merges").await;
    let acme = session.create("accounts", json!({"name": "Acme"})).await;
    let survivor = session
        .create("contacts", json!({"first_name": "Jonathan", "last_name": "Smith", "email": "jonathan@acme.com", "attributes": {"city": "Springfield"}}))
        .await;
    let other = session
        .create("contacts", json!({"first_name": "Jon", "last_name": "Smith", "email": "jon@acme.com", "phone": "+14155550100", "account_id": acme["id"], "attributes": {"tier": "gold", "city": "Shelbyville"}}))
        .await;
    let deal = session
        .create(
            "deals",
            json!({"name": "Big one", "contact_ids": [other["id"]]}),
        )
        .await;
    let activity = session
        .create("activities", json!({"kind": "call", "occurred_at": "2026-11-01T10:00:00Z", "contact_id": other["id"]}))
        .await;
    let task = session
        .create(
            "tasks",
            json!({"title": "Call Jon back", "contact_id": other["id"]}),
        )
        .await;
    let (s_id, o_id) = (
        survivor["id"].as_str().unwrap(),
        other["id"].as_str().unwrap(),
    );

    let (status, merged) = session
        .post(
            &session.ws(&format!("/contacts/{s_id}/merge")),
            json!({"other_ids": [o_id]}),
        )
        .await;
    assert_eq!(status, 200, "{merged}");
    let record = &merged["record"];
    assert_eq!(
        record["first_name"], "Jonathan",
        "the survivor keeps its values"
    );
    assert_eq!(record["phone"], "+14155550100", "empty fields are filled");
    assert_eq!(record["account_id"], acme["id"]);
    assert_eq!(record["attributes"]["city"], "Springfield");
    assert_eq!(record["attributes"]["tier"], "gold");
    assert_eq!(
        record["attributes"]["merged_emails"],
        json!(["jon@acme.com"])
    );
    assert_eq!(
        merged["merge"]["moved"].as_array().unwrap().len(),
        3,
        "{merged}"
    );
    let (status, _) = session.get(&session.ws(&format!("/contacts/{o_id}"))).await;
    assert_eq!(status, 404, "the merged record is gone");
    let path = |plural: &str, record: &Value| {
        session.ws(&format!("/{plural}/{}", record["id"].as_str().unwrap()))
    };
    assert_eq!(
        session.get(&path("deals", &deal)).await.1["contact_ids"],
        json!([s_id])
    );
    assert_eq!(
        session.get(&path("activities", &activity)).await.1["contact_id"],
        s_id
    );
    assert_eq!(
        session.get(&path("tasks", &task)).await.1["contact_id"],
        s_id
    );
    let (_, history) = session
        .get(&session.ws(&format!("/contacts/{s_id}/history")))
        .await;
    assert!(
        history["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "merged"),
        "{history}"
    );
    let (_, history) = session
        .get(&session.ws(&format!("/contacts/{o_id}/history")))
        .await;
    let last = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "deleted");
    assert_eq!(last["changes"]["merged_into"], s_id, "{last}");

    let merge_path = session.ws(&format!(
        "/merges/{}",
        merged["merge"]["id"].as_str().unwrap()
    ));
    let (status, stored) = session.get(&merge_path).await;
    assert_eq!(status, 200);
    assert_eq!(stored["status"], "merged");
    let (status, undone) = session.post(&format!("{merge_path}/undo"), json!({})).await;
    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone["conflicts"], json!([]));
    assert_eq!(undone["record"]["phone"], Value::Null);
    assert_eq!(
        undone["record"]["attributes"],
        json!({"city": "Springfield"})
    );
    let (status, back) = session.get(&session.ws(&format!("/contacts/{o_id}"))).await;
    assert_eq!(status, 200, "the merged record is back");
    assert_eq!(back["email"], "jon@acme.com");
    assert_eq!(
        session.get(&path("deals", &deal)).await.1["contact_ids"],
        json!([o_id])
    );
    assert_eq!(
        session.get(&path("tasks", &task)).await.1["contact_id"],
        o_id
    );
    let (status, _) = session.post(&format!("{merge_path}/undo"), json!({})).await;
    assert_eq!(status, 409, "a merge is undone once");

    // An edit to the survivor after a merge is not overwritten by an undo.
    let (_, merged) = session
        .post(
            &session.ws(&format!("/contacts/{s_id}/merge")),
            json!({"other_ids": [o_id]}),
        )
        .await;
    session
        .patch(
            &session.ws(&format!("/contacts/{s_id}")),
            json!({"title": "CTO"}),
        )
        .await;
    let merge_path = session.ws(&format!(
        "/merges/{}",
        merged["merge"]["id"].as_str().unwrap()
    ));
    let (status, body) = session.post(&format!("{merge_path}/undo"), json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        session
            .get(&session.ws(&format!("/contacts/{s_id}")))
            .await
            .1["title"],
        "CTO"
    );
}

async fn an_account_merge_moves_its_contacts(app: TestApp) {
    let session = app.signup("account-merger@example.com", "Accounts").await;
    let keep = session
        .create(
            "accounts",
            json!({"name": "Globex", "domain": "globex.com"}),
        )
        .await;
    let gone = session
        .create(
            "accounts",
            json!({"name": "Globex Corp", "industry": "Energy"}),
        )
        .await;
    let contact = session
        .create(
            "contacts",
            json!({"first_name": "Hank", "account_id": gone["id"]}),
        )
        .await;
    let (status, merged) = session
        .post(
            &session.ws(&format!("/accounts/{}/merge", keep["id"].as_str().unwrap())),
            json!({"other_ids": [gone["id"]]}),
        )
        .await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["record"]["industry"], "Energy");
    assert_eq!(merged["record"]["name"], "Globex");
    let (_, contact) = session
        .get(&session.ws(&format!("/contacts/{}", contact["id"].as_str().unwrap())))
        .await;
    assert_eq!(contact["account_id"], keep["id"]);
}

async fn bad_merges_are_refused(app: TestApp) {
    let owner = app.signup("merge-owner@example.com", "Mine").await;
    let stranger = app.signup("merge-stranger@example.com", "Theirs").await;
    let a = owner.create("contacts", json!({"first_name": "A"})).await;
    let b = owner.create("contacts", json!({"first_name": "B"})).await;
    let theirs = stranger
        .create("contacts", json!({"first_name": "T"}))
        .await;
    let merge_a = owner.ws(&format!("/contacts/{}/merge", a["id"].as_str().unwrap()));
    for (body, status) in [
        (json!({"other_ids": []}), 422),
        (json!({"other_ids": [a["id"]]}), 422),
        (json!({"other_ids": [b["id"], b["id"]]}), 422),
        (json!({"other_ids": ["not-an-id"]}), 422),
        (json!({"other_ids": "x"}), 422),
        (json!({"other_ids": [b["id"]], "extra": 1}), 422),
        (json!({"other_ids": [theirs["id"]]}), 404),
    ] {
        let (got, response) = owner.post(&merge_a, body.clone()).await;
        assert_eq!(got, status, "{body}: {response}");
    }
    let deal = owner.create("deals", json!({"name": "D"})).await;
    let (status, _) = owner
        .post(
            &owner.ws(&format!("/deals/{}/merge", deal["id"].as_str().unwrap())),
            json!({"other_ids": [deal["id"]]}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = owner
        .app
        .request(reqwest::Method::POST, &merge_a, Some(&owner.token))
        .header("if-match", "\"7\"")
        .json(&json!({"other_ids": [b["id"]]}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 412, "a stale survivor version is refused");
    let viewer = owner.invite("merge-viewer@example.com", "viewer").await;
    let (status, _) = viewer.post(&merge_a, json!({"other_ids": [b["id"]]})).await;
    assert_eq!(status, 403);
    // The stranger can neither merge into nor read or undo the owner's merge.
    let (status, _) = stranger
        .post(
            &stranger.ws(&format!(
                "/contacts/{}/merge",
                theirs["id"].as_str().unwrap()
            )),
            json!({"other_ids": [a["id"]]}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, merged) = owner.post(&merge_a, json!({"other_ids": [b["id"]]})).await;
    assert_eq!(status, 200, "{merged}");
    let id = merged["merge"]["id"].as_str().unwrap();
    assert_eq!(
        stranger.get(&stranger.ws(&format!("/merges/{id}"))).await.0,
        404
    );
    assert_eq!(
        stranger
            .post(&stranger.ws(&format!("/merges/{id}/undo")), json!({}))
            .await
            .0,
        404
    );
    let (_, b_now) = owner
        .get(&owner.ws(&format!("/contacts/{}", b["id"].as_str().unwrap())))
        .await;
    assert_eq!(
        b_now["status"], 404,
        "still merged after the stranger's tries: {b_now}"
    );
}
