//! Service endpoints: health, metrics, OpenAPI and the docs page.

use reqwest::Method;
use velocity_testkit::{both_databases, TestApp};

both_databases!(health_metrics_and_docs_answer);

async fn health_metrics_and_docs_answer(app: TestApp) {
    let (status, health) = app.send(Method::GET, "/health", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(health["database"], "ok");
    app.signup("svc@example.com", "Svc").await;
    let metrics = app
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("velocity_http_requests_total"),
        "{metrics:.300}"
    );
    assert!(metrics.contains("route=\"/api/v1/auth/signup\""));
    let (status, doc) = app.send(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/auth/signup",
        "/api/v1/workspaces/{workspace_id}/deals/{id}",
        "/api/v1/workspaces/{workspace_id}/contacts/{id}/360",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
    let docs = app
        .request(Method::GET, "/api/docs", None)
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status().as_u16(), 200);
    assert!(docs.text().await.unwrap().contains("openapi.json"));
    let (status, problem) = app.send(Method::PUT, "/api/v1/me", None, None).await;
    assert_eq!(status, 405, "{problem}");
    assert_eq!(problem["code"], "method-not-allowed");
    // Unknown API paths, files and non-GET requests are problems; any other page is the web
    // app's (its index.html, or a page saying how to build it when web/dist is empty).
    for (method, path) in [
        (Method::GET, "/api/v1/no/such/thing"),
        (Method::GET, "/assets/missing.js"),
        (Method::POST, "/no/such/thing"),
    ] {
        let (status, problem) = app.send(method.clone(), path, None, None).await;
        assert_eq!(status, 404, "{method} {path}");
        assert_eq!(problem["status"], 404);
    }
    let page = app
        .request(Method::GET, "/w/some-workspace/deals", None)
        .send()
        .await
        .unwrap();
    assert!(
        [200, 503].contains(&page.status().as_u16()),
        "{}",
        page.status()
    );
    let content_type = page.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("<title>Velocity</title>"));
}
