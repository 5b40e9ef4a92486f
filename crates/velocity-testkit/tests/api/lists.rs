//! Lists: filters, sorting, `q` search and cursor pagination that stays stable under inserts.

use serde_json::{json, Value};
use std::collections::HashSet;
use velocity_domain::{parse_record, Mode, ObjectKind};
use velocity_store::{Actor, ActorKind, WriteContext};
use velocity_testkit::{both_databases, Session, TestApp};

both_databases!(
    an_empty_filter_value_finds_empty_fields,
    cursors_walk_every_record_once_even_while_inserting,
    sorting_by_amount_with_nulls_pages_correctly,
    filters_and_search_narrow_the_list,
    bad_list_parameters_are_422,
    common_and_rare_search_prefixes_page_the_same_way,
    a_term_in_a_thousand_records_is_found_without_new_entries,
);

/// Writes straight through the store, on behalf of `session`'s user.
fn write_context(session: &Session) -> WriteContext {
    WriteContext::new(
        session.workspace_id.parse().unwrap(),
        Actor::new(ActorKind::User, &session.user_id),
        "test",
    )
}

async fn walk(
    session: &Session,
    path: &str,
    mut during: impl FnMut(usize) -> Option<Value>,
) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{separator}cursor={c}"),
            None => path.to_string(),
        };
        let (status, body) = session.get(&url).await;
        assert_eq!(status, 200, "{body}");
        seen.extend(body["items"].as_array().unwrap().iter().cloned());
        if let Some(extra) = during(page) {
            session.create("deals", extra).await;
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    seen
}

async fn cursors_walk_every_record_once_even_while_inserting(app: TestApp) {
    let session = app.signup("pages@example.com", "Pages").await;
    for i in 0..23 {
        session
            .create(
                "deals",
                json!({"name": format!("Deal {i:02}"), "amount": i * 10}),
            )
            .await;
    }
    // Ascending by creation: records inserted mid-walk land after the cursor and are seen.
    let seen = walk(
        &session,
        &session.ws("/deals?limit=5&sort=created_at"),
        |page| (page < 2).then(|| json!({"name": format!("Late {page}")})),
    )
    .await;
    let ids: HashSet<_> = seen
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), seen.len(), "no record twice");
    assert_eq!(seen.len(), 25, "every record once, including the late ones");
    // Descending (the default): inserts land before the cursor and never shift later pages.
    let before: Vec<_> = walk(&session, &session.ws("/deals?limit=7"), |_| None).await;
    let during = walk(&session, &session.ws("/deals?limit=7"), |page| {
        Some(json!({"name": format!("During {page}")}))
    })
    .await;
    assert_eq!(before, during);
}

async fn sorting_by_amount_with_nulls_pages_correctly(app: TestApp) {
    let session = app.signup("sort@example.com", "Sort").await;
    let amounts = [
        Some(500.0),
        None,
        Some(100.0),
        Some(500.0),
        None,
        Some(250.5),
        Some(0.0),
        None,
    ];
    for (i, amount) in amounts.iter().enumerate() {
        session
            .create("deals", json!({"name": format!("D{i}"), "amount": amount}))
            .await;
    }
    for sort in ["amount", "-amount"] {
        let paged = walk(
            &session,
            &session.ws(&format!("/deals?limit=2&sort={sort}")),
            |_| None,
        )
        .await;
        let (_, whole) = session
            .get(&session.ws(&format!("/deals?limit=500&sort={sort}")))
            .await;
        assert_eq!(
            &paged,
            whole["items"].as_array().unwrap(),
            "{sort}: pages equal one big page"
        );
        let values: Vec<Option<f64>> = paged.iter().map(|d| d["amount"].as_f64()).collect();
        let numbers: Vec<f64> = values.iter().flatten().copied().collect();
        let mut sorted = numbers.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
        if sort.starts_with('-') {
            sorted.reverse();
        }
        assert_eq!(numbers, sorted, "{sort}");
        assert_eq!(values.len(), amounts.len());
    }
}

async fn filters_and_search_narrow_the_list(app: TestApp) {
    let session = app.signup("filter@example.com", "Filter").await;
    let acme = session
        .create(
            "accounts",
            json!({"name": "Acme Corp", "domain": "acme.com"}),
        )
        .await;
    session
        .create(
            "accounts",
            json!({"name": "Globex", "domain": "globex.com"}),
        )
        .await;
    session.create("contacts", json!({"first_name": "Maria", "last_name": "Gonzalez", "email": "maria@acme.com", "account_id": acme["id"]})).await;
    session
        .create(
            "contacts",
            json!({"first_name": "Mario", "last_name": "Rossi", "email": "mrossi@globex.com"}),
        )
        .await;
    session
        .create(
            "contacts",
            json!({"first_name": "Ann", "last_name": "Lee", "email": "ann.lee@acme.com"}),
        )
        .await;
    let names = |body: &Value| -> Vec<String> {
        let mut names: Vec<String> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["first_name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    let (_, body) = session.get(&session.ws("/contacts?q=mar")).await;
    assert_eq!(names(&body), ["Maria", "Mario"]);
    let (_, body) = session.get(&session.ws("/contacts?q=MARIA%20gon")).await;
    assert_eq!(names(&body), ["Maria"]);
    let (_, body) = session.get(&session.ws("/contacts?q=ann.lee@")).await;
    assert_eq!(names(&body), ["Ann"]);
    let (_, body) = session.get(&session.ws("/contacts?q=acme.com")).await;
    assert_eq!(
        names(&body),
        ["Ann", "Maria"],
        "the email's domain is searchable"
    );
    let (_, body) = session
        .get(&session.ws(&format!(
            "/contacts?account_id={}",
            acme["id"].as_str().unwrap()
        )))
        .await;
    assert_eq!(names(&body), ["Maria"]);
    let (_, body) = session.get(&session.ws("/accounts?q=glob")).await;
    assert_eq!(body["items"][0]["name"], "Globex");
    let (_, body) = session.get(&session.ws("/contacts?q=zzz")).await;
    assert!(body["items"].as_array().unwrap().is_empty());
    let (_, body) = session
        .get(&session.ws("/contacts?q=%27%20OR%201%3D1%20--"))
        .await;
    assert!(
        body["items"].as_array().unwrap().is_empty(),
        "search text is data, not SQL"
    );
    // Updating a name updates the index.
    let mario = session.get(&session.ws("/contacts?q=mario")).await.1["items"][0].clone();
    session
        .patch(
            &session.ws(&format!("/contacts/{}", mario["id"].as_str().unwrap())),
            json!({"first_name": "Luigi"}),
        )
        .await;
    let (_, body) = session.get(&session.ws("/contacts?q=mario")).await;
    assert!(body["items"].as_array().unwrap().is_empty());
    let (_, body) = session.get(&session.ws("/contacts?q=luig")).await;
    assert_eq!(names(&body), ["Luigi"]);
    let won = session.create("deals", json!({"name": "W"})).await;
    let (_, deals) = session.get(&session.ws("/deals?status=open")).await;
    assert_eq!(deals["items"][0]["id"], won["id"]);
    let (_, deals) = session.get(&session.ws("/deals?status=won")).await;
    assert!(deals["items"].as_array().unwrap().is_empty());
}

async fn bad_list_parameters_are_422(app: TestApp) {
    let session = app.signup("badlist@example.com", "Bad").await;
    for query in [
        "limit=0",
        "limit=501",
        "limit=ten",
        "sort=password",
        "cursor=garbage",
        "favourite_colour=blue",
        "status=maybe",
        "account_id=not-a-uuid",
    ] {
        let (status, body) = session.get(&session.ws(&format!("/deals?{query}"))).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert!(body["errors"].is_array(), "{query}");
    }
    let (_, page) = session.get(&session.ws("/deals?limit=1")).await;
    let _ = page;
    session.create("deals", json!({"name": "a"})).await;
    session.create("deals", json!({"name": "b"})).await;
    let (_, page) = session.get(&session.ws("/deals?limit=1&sort=name")).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let (status, body) = session
        .get(&session.ws(&format!("/deals?limit=1&sort=-amount&cursor={cursor}")))
        .await;
    assert_eq!(status, 422, "a cursor from another sort: {body}");
    let (status, _) = session.get(&session.ws("/gizmos")).await;
    assert_eq!(status, 404);
}

/// Prefixes with over a thousand matching terms take a different query plan; both must give
/// every match once, in order, across pages.
async fn common_and_rare_search_prefixes_page_the_same_way(app: TestApp) {
    let session = app.signup("prefix@example.com", "Prefix").await;
    let ctx = write_context(&session);
    let inputs = (0..1100)
        .map(|i| {
            let name = if i % 100 == 7 {
                format!("Rarename{i}")
            } else {
                format!("Commonname{i}")
            };
            parse_record(
                ObjectKind::Contact,
                &json!({"first_name": name, "last_name": "Shared"}),
                Mode::Create,
            )
            .unwrap()
        })
        .collect();
    app.db
        .create_records(&ctx, ObjectKind::Contact, inputs)
        .await
        .unwrap();
    for (q, expected) in [
        ("commonname", 1089),
        ("rarename", 11),
        ("commonname%20shared", 1089),
        ("commonname10", 109),
    ] {
        for sort in ["-created_at", "first_name"] {
            let walked = walk(
                &session,
                &session.ws(&format!("/contacts?q={q}&limit=200&sort={sort}")),
                |_| None,
            )
            .await;
            let ids: HashSet<_> = walked
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(
                (walked.len(), ids.len()),
                (expected, expected),
                "q={q} sort={sort}"
            );
        }
    }
    let (_, page) = session
        .get(&session.ws("/contacts?q=commonname&limit=5&sort=first_name"))
        .await;
    let names: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["first_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Commonname0",
            "Commonname1",
            "Commonname10",
            "Commonname100",
            "Commonname1000"
        ]
    );
    // A common prefix checks each record's own copy of its terms: an update must reach it.
    let first = page["items"][0]["id"].as_str().unwrap().to_string();
    session
        .patch(
            &session.ws(&format!("/contacts/{first}")),
            json!({"first_name": "Renamed"}),
        )
        .await;
    let commons = walk(
        &session,
        &session.ws("/contacts?q=commonname&limit=500"),
        |_| None,
    )
    .await;
    assert_eq!(commons.len(), 1088);
    assert!(commons.iter().all(|c| c["id"] != first.as_str()));
    let (_, page) = session
        .get(&session.ws("/contacts?q=commonname%20shared&limit=1&sort=first_name"))
        .await;
    assert_eq!(page["items"][0]["first_name"], "Commonname1");
    let (_, renamed) = session.get(&session.ws("/contacts?q=renamed")).await;
    assert_eq!(renamed["items"][0]["id"], first.as_str());
}

async fn an_empty_filter_value_finds_empty_fields(app: TestApp) {
    let session = app.signup("emptyfilter@example.com", "Empty").await;
    session
        .create("accounts", json!({"name": "Has", "industry": "Shipping"}))
        .await;
    let none = session.create("accounts", json!({"name": "Lacks"})).await;
    let (status, body) = session.get(&session.ws("/accounts?industry=")).await;
    assert_eq!(status, 200);
    let ids: Vec<_> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].clone())
        .collect();
    assert_eq!(ids, [none["id"].clone()]);
}

async fn a_term_in_a_thousand_records_is_found_without_new_entries(app: TestApp) {
    let session = app.signup("crowd@example.com", "Crowd").await;
    let ctx = write_context(&session);
    let contacts = |prefix: &str, count: usize| {
        (0..count)
            .map(|i| {
                let body = json!({"first_name": format!("{prefix}{i}"), "last_name": "Crowd"});
                parse_record(ObjectKind::Contact, &body, Mode::Create).unwrap()
            })
            .collect()
    };
    let pool = sqlx::AnyPool::connect(&app.database.url()).await.unwrap();
    let entries = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM search_terms WHERE workspace_id = $1 AND term = 'crowd'",
        )
        .bind(&session.workspace_id)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let found = |q: &'static str| {
        let session = &session;
        async move {
            let path = session.ws(&format!("/contacts?q={q}&limit=500"));
            walk(session, &path, |_| None).await.len()
        }
    };
    app.db
        .create_records(&ctx, ObjectKind::Contact, contacts("Early", 1000))
        .await
        .unwrap();
    assert_eq!(entries().await, 1000);

    // From here on "crowd" is common: later records, in a batch or alone, store no entry for
    // it, and are found all the same.
    app.db
        .create_records(&ctx, ObjectKind::Contact, contacts("Late", 30))
        .await
        .unwrap();
    session
        .create(
            "contacts",
            json!({"first_name": "Single", "last_name": "Crowd"}),
        )
        .await;
    assert_eq!(entries().await, 1000);
    for (q, expected) in [
        ("crowd", 1031),
        ("cro", 1031),
        ("late", 30),
        ("late1", 11),
        ("single%20crowd", 1),
    ] {
        assert_eq!(found(q).await, expected, "q={q}");
    }

    // Fewer than a thousand entries left, but the term is still listed as common, so the
    // records without an entry are still found.
    let early = walk(&session, &session.ws("/contacts?q=early&limit=100"), |_| {
        None
    })
    .await;
    for contact in &early[..100] {
        let path = session.ws(&format!("/contacts/{}", contact["id"].as_str().unwrap()));
        let (status, _) = session.patch(&path, json!({"last_name": "Other"})).await;
        assert_eq!(status, 200);
    }
    assert_eq!(entries().await, 900);
    assert_eq!(found("crowd").await, 931);
    assert_eq!(found("other").await, 100);
}
