//! Workspaces, members and roles, API keys.

use serde_json::json;
use velocity_testkit::{both_databases, TestApp};

both_databases!(
    a_user_can_own_several_workspaces,
    admins_manage_members_and_roles_are_enforced,
    the_last_owner_cannot_leave,
    api_keys_work_once_created_and_stop_when_revoked,
);

async fn a_user_can_own_several_workspaces(app: TestApp) {
    let session = app.signup("multi@example.com", "First").await;
    let (status, body) = session
        .post("/api/v1/workspaces", json!({"name": "Second"}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["role"], "owner");
    let (_, me) = session.get("/api/v1/me").await;
    assert_eq!(me["workspaces"].as_array().unwrap().len(), 2);
    // Every new workspace gets a default pipeline with open, won and lost stages.
    let second = session.with_token(&session.token);
    let second = velocity_testkit::Session {
        workspace_id: body["id"].as_str().unwrap().into(),
        ..second
    };
    let (_, pipelines) = second.get(&second.ws("/pipelines")).await;
    let stages = pipelines["items"][0]["stages"].as_array().unwrap().clone();
    let kinds: Vec<_> = stages.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"open") && kinds.contains(&"won") && kinds.contains(&"lost"));
    let (status, _) = session
        .post("/api/v1/workspaces", json!({"name": " "}))
        .await;
    assert_eq!(status, 422);
}

async fn admins_manage_members_and_roles_are_enforced(app: TestApp) {
    let owner = app.signup("owner@example.com", "Team").await;
    let viewer = owner.invite("viewer@example.com", "viewer").await;
    let member = owner.invite("member@example.com", "member").await;
    let (status, members) = viewer.get(&owner.ws("/members")).await;
    assert_eq!(status, 200);
    assert_eq!(members["items"].as_array().unwrap().len(), 3);
    // A viewer reads but cannot write; a member writes records but cannot manage people.
    let (status, _) = viewer
        .post(&owner.ws("/accounts"), json!({"name": "Nope"}))
        .await;
    assert_eq!(status, 403);
    member.create("accounts", json!({"name": "Yes"})).await;
    app.signup("fourth@example.com", "Other").await;
    let (status, _) = member
        .post(
            &owner.ws("/members"),
            json!({"email": "fourth@example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 403);
    // Promote the viewer to admin; the admin can add people but cannot create owners.
    let (status, body) = owner
        .patch(
            &owner.ws(&format!("/members/{}", viewer.user_id)),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = viewer
        .post(
            &owner.ws("/members"),
            json!({"email": "fourth@example.com", "role": "owner"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = viewer
        .post(
            &owner.ws("/members"),
            json!({"email": "fourth@example.com", "role": "member"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = viewer
        .post(
            &owner.ws("/members"),
            json!({"email": "fourth@example.com", "role": "member"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, body) = owner
        .post(
            &owner.ws("/members"),
            json!({"email": "nobody@example.com", "role": "member"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = owner
        .post(
            &owner.ws("/members"),
            json!({"email": "fourth@example.com", "role": "wizard"}),
        )
        .await;
    assert_eq!(status, 422);
    // An admin cannot touch the owner; removing a member ends their access.
    let (status, _) = viewer
        .delete(&owner.ws(&format!("/members/{}", owner.user_id)))
        .await;
    assert_eq!(status, 403);
    let (status, _) = owner
        .delete(&owner.ws(&format!("/members/{}", member.user_id)))
        .await;
    assert_eq!(status, 204);
    let (status, _) = member.get(&owner.ws("/accounts")).await;
    assert_eq!(status, 404);
    let (status, _) = owner
        .delete(&owner.ws(&format!("/members/{}", member.user_id)))
        .await;
    assert_eq!(status, 404);
}

async fn the_last_owner_cannot_leave(app: TestApp) {
    let owner = app.signup("solo@example.com", "Solo").await;
    let (status, body) = owner
        .patch(
            &owner.ws(&format!("/members/{}", owner.user_id)),
            json!({"role": "member"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = owner
        .delete(&owner.ws(&format!("/members/{}", owner.user_id)))
        .await;
    assert_eq!(status, 409);
}

async fn api_keys_work_once_created_and_stop_when_revoked(app: TestApp) {
    let owner = app.signup("keys@example.com", "Keys").await;
    let (status, created) = owner
        .post(
            &owner.ws("/api-keys"),
            json!({"name": "Zapier", "role": "member"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("vk_"));
    let (_, listed) = owner.get(&owner.ws("/api-keys")).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(
        !listed.to_string().contains(&key),
        "the key is shown only once"
    );
    let integration = owner.with_token(&key);
    let account = integration
        .create("accounts", json!({"name": "Via key"}))
        .await;
    let (_, history) = owner
        .get(&owner.ws(&format!(
            "/accounts/{}/history",
            account["id"].as_str().unwrap()
        )))
        .await;
    assert_eq!(history["items"][0]["actor"]["kind"], "api_key");
    assert_eq!(history["items"][0]["actor"]["name"], "Zapier");
    // A member key cannot manage keys; a viewer key cannot write.
    let (status, _) = integration
        .post(
            &owner.ws("/api-keys"),
            json!({"name": "x", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 403);
    let (_, viewer_key) = owner
        .post(
            &owner.ws("/api-keys"),
            json!({"name": "Reports", "role": "viewer"}),
        )
        .await;
    let reporting = owner.with_token(viewer_key["key"].as_str().unwrap());
    let (status, _) = reporting
        .post(&owner.ws("/accounts"), json!({"name": "No"}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = reporting.get(&owner.ws("/accounts")).await;
    assert_eq!(status, 200);
    let (status, _) = owner
        .delete(&owner.ws(&format!("/api-keys/{}", created["id"].as_str().unwrap())))
        .await;
    assert_eq!(status, 204);
    let (status, _) = integration.get(&owner.ws("/accounts")).await;
    assert_eq!(status, 401);
    let (status, _) = owner
        .post(
            &owner.ws("/api-keys"),
            json!({"name": "", "role": "member"}),
        )
        .await;
    assert_eq!(status, 422);
}
