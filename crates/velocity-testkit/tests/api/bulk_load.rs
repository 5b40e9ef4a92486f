//! Bulk loads that build their indexes at the end: reads and writes stay correct while the
//! indexes are deferred, and indexes left unbuilt by a load that died are built at the next
//! start.

use serde_json::json;
use velocity_store::{Db, DbConfig};
use velocity_testkit::{both_databases, TestApp};

both_databases!(deferred_indexes_are_rebuilt_even_after_an_interrupted_load);

async fn deferred_indexes_are_rebuilt_even_after_an_interrupted_load(app: TestApp) {
    let session = app.signup("bulk@example.com", "Bulk").await;
    for amount in [300, 100, 200] {
        session
            .create(
                "deals",
                json!({"name": format!("Deal {amount}"), "amount": amount}),
            )
            .await;
    }
    let deferred = app.db.defer_indexes().await.unwrap();
    assert!(
        deferred >= 40,
        "every sort, lookup and event index: {deferred}"
    );
    assert_eq!(
        app.db.defer_indexes().await.unwrap(),
        0,
        "nothing is left to defer"
    );

    // Without their indexes, lists and writes are slower but just as right.
    session
        .create("deals", json!({"name": "Deal 150", "amount": 150}))
        .await;
    let (status, page) = session.get(&session.ws("/deals?sort=-amount")).await;
    assert_eq!(status, 200, "{page}");
    let amounts: Vec<f64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|deal| deal["amount"].as_f64().unwrap())
        .collect();
    assert_eq!(amounts, [300.0, 200.0, 150.0, 100.0]);

    // The load dies here. The next start builds every index it dropped, once.
    let restarted = Db::connect_and_migrate(&DbConfig::new(app.database.url()))
        .await
        .unwrap();
    assert_eq!(restarted.build_deferred_indexes().await.unwrap(), 0);
    assert_eq!(
        restarted.defer_indexes().await.unwrap(),
        deferred,
        "all of them are back"
    );
    assert_eq!(restarted.build_deferred_indexes().await.unwrap(), deferred);
    restarted.close().await;
    let (status, found) = session
        .get(&session.ws("/deals?q=deal&sort=amount&limit=2"))
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["items"][0]["amount"], 100.0);
    assert!(found["next_cursor"].is_string());
}
