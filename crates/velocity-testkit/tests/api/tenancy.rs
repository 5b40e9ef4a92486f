//! Tenants never see each other: every endpoint that takes an id answers 404 to another
//! workspace's user and API key; viewers get 403 on every write.

use crate::records::sample_bodies;
use reqwest::Method;
use serde_json::json;
use velocity_testkit::{both_databases, TestApp};

both_databases!(
    another_workspace_gets_404_on_every_record_endpoint,
    another_workspace_cannot_reach_members_keys_or_events,
    viewers_get_403_on_every_write,
);

async fn another_workspace_gets_404_on_every_record_endpoint(app: TestApp) {
    let alice = app.signup("alice@example.com", "Alice Co").await;
    let mallory = app.signup("mallory@example.com", "Mallory Co").await;
    let (_, key) = mallory
        .post(
            &mallory.ws("/api-keys"),
            json!({"name": "m", "role": "owner"}),
        )
        .await;
    let mallory_key = mallory.with_token(key["key"].as_str().unwrap());
    for (plural, create, patch) in sample_bodies(&alice).await {
        let record = alice.create(plural, create.clone()).await;
        let id = record["id"].as_str().unwrap();
        for intruder in [&mallory, &mallory_key] {
            // Through Alice's workspace path: the workspace itself is not found.
            let alice_path = alice.ws(&format!("/{plural}/{id}"));
            for (method, path) in [
                (Method::GET, alice_path.clone()),
                (Method::PATCH, alice_path.clone()),
                (Method::DELETE, alice_path.clone()),
                (Method::GET, format!("{alice_path}/history")),
                (Method::POST, format!("{alice_path}/restore")),
                (Method::GET, alice.ws(&format!("/{plural}"))),
                (Method::POST, alice.ws(&format!("/{plural}"))),
            ] {
                let (status, body) = app
                    .send(
                        method.clone(),
                        &path,
                        Some(&intruder.token),
                        Some(patch.clone()),
                    )
                    .await;
                assert_eq!(status, 404, "{method} {path}: {body}");
            }
            // Through their own workspace path with Alice's record id: the record is not found.
            let own_path = intruder.ws(&format!("/{plural}/{id}"));
            for (method, path) in [
                (Method::GET, own_path.clone()),
                (Method::PATCH, own_path.clone()),
                (Method::DELETE, own_path.clone()),
                (Method::GET, format!("{own_path}/history")),
                (Method::POST, format!("{own_path}/restore")),
            ] {
                let (status, body) = app
                    .send(
                        method.clone(),
                        &path,
                        Some(&intruder.token),
                        Some(patch.clone()),
                    )
                    .await;
                assert_eq!(status, 404, "{method} {path}: {body}");
            }
        }
        let (_, unchanged) = alice.get(&alice.ws(&format!("/{plural}/{id}"))).await;
        assert_eq!(
            unchanged["version"], 1,
            "{plural} untouched by the intruder"
        );
    }
    // References into another workspace are refused too, and the 360 is scoped.
    let alice_account = alice.create("accounts", json!({"name": "Alice's"})).await;
    let (status, _) = mallory
        .post(
            &mallory.ws("/contacts"),
            json!({"first_name": "x", "account_id": alice_account["id"]}),
        )
        .await;
    assert_eq!(status, 422);
    let contact = alice
        .create("contacts", json!({"first_name": "Private"}))
        .await;
    let (status, _) = mallory
        .get(&mallory.ws(&format!(
            "/contacts/{}/360",
            contact["id"].as_str().unwrap()
        )))
        .await;
    assert_eq!(status, 404);
    let (status, _) = mallory
        .get(&alice.ws(&format!(
            "/contacts/{}/360",
            contact["id"].as_str().unwrap()
        )))
        .await;
    assert_eq!(status, 404);
    let (_, mallory_list) = mallory.get(&mallory.ws("/contacts?q=private")).await;
    assert!(mallory_list["items"].as_array().unwrap().is_empty());
}

async fn another_workspace_cannot_reach_members_keys_or_events(app: TestApp) {
    let alice = app.signup("alice2@example.com", "Alice Co").await;
    let mallory = app.signup("mallory2@example.com", "Mallory Co").await;
    let (_, key) = alice
        .post(
            &alice.ws("/api-keys"),
            json!({"name": "a", "role": "admin"}),
        )
        .await;
    let key_id = key["id"].as_str().unwrap();
    for (method, path) in [
        (Method::GET, alice.ws("/members")),
        (Method::POST, alice.ws("/members")),
        (
            Method::PATCH,
            alice.ws(&format!("/members/{}", alice.user_id)),
        ),
        (
            Method::DELETE,
            alice.ws(&format!("/members/{}", alice.user_id)),
        ),
        (Method::GET, alice.ws("/api-keys")),
        (Method::DELETE, alice.ws(&format!("/api-keys/{key_id}"))),
        (Method::GET, alice.ws("/events")),
    ] {
        let (status, body) = app
            .send(
                method.clone(),
                &path,
                Some(&mallory.token),
                Some(json!({"role": "viewer", "email": "mallory2@example.com"})),
            )
            .await;
        assert_eq!(status, 404, "{method} {path}: {body}");
    }
    let (status, _) = mallory
        .delete(&mallory.ws(&format!("/api-keys/{key_id}")))
        .await;
    assert_eq!(status, 404, "another workspace's key id is unknown here");
    let (status, _) = mallory
        .patch(
            &mallory.ws(&format!("/members/{}", alice.user_id)),
            json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, keys) = alice.get(&alice.ws("/api-keys")).await;
    assert_eq!(keys["items"].as_array().unwrap().len(), 1);
}

async fn viewers_get_403_on_every_write(app: TestApp) {
    let owner = app.signup("own@example.com", "Team").await;
    let viewer = owner.invite("view@example.com", "viewer").await;
    for (plural, create, patch) in sample_bodies(&owner).await {
        let record = owner.create(plural, create.clone()).await;
        let path = owner.ws(&format!("/{plural}/{}", record["id"].as_str().unwrap()));
        let (status, _) = viewer.post(&owner.ws(&format!("/{plural}")), create).await;
        assert_eq!(status, 403, "{plural} create");
        let (status, _) = viewer.patch(&path, patch).await;
        assert_eq!(status, 403, "{plural} update");
        let (status, _) = viewer.delete(&path).await;
        assert_eq!(status, 403, "{plural} delete");
        owner.delete(&path).await;
        let (status, _) = viewer.post(&format!("{path}/restore"), json!({})).await;
        assert_eq!(status, 403, "{plural} restore");
        let (status, _) = viewer.get(&owner.ws(&format!("/{plural}"))).await;
        assert_eq!(status, 200, "{plural}: viewers read");
    }
    let (status, _) = viewer
        .post(
            &owner.ws("/api-keys"),
            json!({"name": "x", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 403);
}
