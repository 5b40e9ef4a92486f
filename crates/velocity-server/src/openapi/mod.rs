//! The OpenAPI 3.1 document. Record routes are generic over the schema tables of
//! `velocity-domain`, so their paths and component schemas are generated from those same
//! tables: a field added to the schema appears here without anyone remembering to document it.

mod schemas;

use schemas::reference as schema_ref;
use serde_json::{json, Map, Value};
use velocity_domain::schema::FieldType;
use velocity_domain::{Field, ObjectKind};

fn field_schema(field: &Field) -> Value {
    let uuid = json!({"type": "string", "format": "uuid"});
    let mut schema = match field.ty {
        FieldType::Text { max_len } => json!({"type": "string", "maxLength": max_len}),
        FieldType::Email => json!({"type": "string", "format": "email"}),
        FieldType::Phone => json!({"type": "string", "description": "As written; digits required"}),
        FieldType::Domain => {
            json!({"type": "string", "format": "hostname", "description": "URLs are reduced to their domain"})
        }
        FieldType::Integer { min } => json!({"type": "integer", "minimum": min}),
        FieldType::Decimal { min } => json!({"type": "number", "minimum": min}),
        FieldType::Probability => json!({"type": "number", "minimum": 0, "maximum": 1}),
        FieldType::Currency => {
            json!({"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217"})
        }
        FieldType::Date => json!({"type": "string", "format": "date"}),
        FieldType::Timestamp => json!({"type": "string", "format": "date-time"}),
        FieldType::Enum(values) => json!({"type": "string", "enum": values}),
        FieldType::Ref(target) => {
            json!({"type": "string", "format": "uuid", "description": format!("A {} of this workspace", target.name())})
        }
        FieldType::Member => {
            json!({"type": "string", "format": "uuid", "description": "A member (user id) of this workspace"})
        }
        FieldType::Stage => {
            json!({"type": "string", "format": "uuid", "description": "A stage of the deal's pipeline"})
        }
        FieldType::RefList(target) => {
            json!({"type": "array", "items": uuid, "description": format!("{} ids", target.name())})
        }
        FieldType::Stages => {
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Stage"}, "minItems": 1})
        }
    };
    if !field.required && field.is_column() {
        schema["type"] = json!([schema["type"], "null"]);
    }
    if field.read_only {
        schema["readOnly"] = json!(true);
    }
    schema
}

fn record_schema(kind: ObjectKind) -> Value {
    let mut properties = Map::new();
    properties.insert(
        "id".into(),
        json!({"type": "string", "format": "uuid", "readOnly": true}),
    );
    for field in kind.fields() {
        properties.insert(field.name.into(), field_schema(field));
    }
    properties.insert("attributes".into(), json!({"type": "object", "additionalProperties": true, "description": "Custom fields; in a PATCH, keys are merged and a null value removes a key"}));
    properties.insert(
        "version".into(),
        json!({"type": "integer", "readOnly": true}),
    );
    for stamp in ["created_at", "updated_at"] {
        properties.insert(
            stamp.into(),
            json!({"type": "string", "format": "date-time", "readOnly": true}),
        );
    }
    let required: Vec<_> = kind
        .fields()
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({"type": "object", "properties": properties, "required": required})
}

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn path_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}})
}

fn operation(
    tag: &str,
    summary: &str,
    params: &[&str],
    request: Option<Value>,
    responses: Value,
) -> Value {
    let mut op = json!({
        "tags": [tag], "summary": summary,
        "parameters": params.iter().map(|p| path_param(p)).collect::<Vec<_>>(),
        "responses": responses,
    });
    if let Some(request) = request {
        op["requestBody"] = request;
    }
    op
}

fn standard_errors(responses: &mut Value) {
    for (status, text) in [
        ("400", "Malformed JSON"),
        ("401", "Missing, expired or invalid credentials"),
        ("403", "The caller's role does not allow this"),
        ("404", "Not found, or in another workspace"),
        ("413", "Body over the size limit"),
        ("422", "Validation failed; `errors` lists each field"),
    ] {
        responses[status] = problem(text);
    }
}

fn record_paths(paths: &mut Map<String, Value>, kind: ObjectKind) {
    let base = format!("/api/v1/workspaces/{{workspace_id}}/{}", kind.plural());
    let name = capitalised(kind.name());
    let tag = kind.plural();
    let record = schema_ref(&name);
    let filters: Vec<_> = kind
        .fields()
        .iter()
        .filter(|f| f.filterable)
        .map(|f| f.name)
        .collect();
    let mut list_params = vec![path_param("workspace_id")];
    for (param, schema, description) in [
        (
            "limit",
            json!({"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
            "Page size".to_string(),
        ),
        (
            "cursor",
            json!({"type": "string"}),
            "`next_cursor` of the previous page".to_string(),
        ),
        (
            "sort",
            json!({"type": "string", "default": "-created_at"}),
            "A sortable field; prefix `-` for descending".to_string(),
        ),
        (
            "q",
            json!({"type": "string"}),
            "Prefix search over names, emails and domains".to_string(),
        ),
    ] {
        list_params.push(
            json!({"name": param, "in": "query", "schema": schema, "description": description}),
        );
    }
    for filter in &filters {
        list_params.push(json!({"name": filter, "in": "query", "schema": {"type": "string"}, "description": "Equality filter"}));
    }
    let mut list_responses = json!({"200": ok("One page", json!({"type": "object", "properties": {"items": {"type": "array", "items": record}, "next_cursor": {"type": ["string", "null"]}}}))});
    standard_errors(&mut list_responses);
    let mut create_responses =
        json!({"201": ok("Created; the ETag header holds the version", record.clone())});
    standard_errors(&mut create_responses);
    paths.insert(base.clone(), json!({
        "get": {"tags": [tag], "summary": format!("List {}", kind.plural()), "parameters": list_params, "responses": list_responses},
        "post": operation(tag, &format!("Create a {}", kind.name()), &["workspace_id"], Some(body(record.clone())), create_responses),
    }));
    let item = ["workspace_id", "id"];
    let mut read =
        json!({"200": ok("The record; the ETag header holds the version", record.clone())});
    standard_errors(&mut read);
    let mut patch = read.clone();
    patch["412"] = problem("If-Match names a stale version; nothing changed");
    let mut removed = json!({"204": {"description": "Soft-deleted; restore brings it back"}});
    standard_errors(&mut removed);
    removed["412"] = problem("If-Match names a stale version");
    let mut history = json!({"200": ok("Events that touched the record, oldest first", json!({"type": "object", "properties": {"items": {"type": "array", "items": schema_ref("Event")}}}))});
    standard_errors(&mut history);
    paths.insert(format!("{base}/{{id}}"), json!({
        "get": operation(tag, &format!("Read a {}", kind.name()), &item, None, read.clone()),
        "patch": operation(tag, &format!("Update a {} (partial; send If-Match to guard against lost updates)", kind.name()), &item, Some(body(record.clone())), patch),
        "delete": operation(tag, &format!("Delete a {}", kind.name()), &item, None, removed),
    }));
    paths.insert(format!("{base}/{{id}}/restore"), json!({
        "post": operation(tag, &format!("Restore a deleted {}", kind.name()), &item, None, read),
    }));
    paths.insert(
        format!("{base}/{{id}}/history"),
        json!({
            "get": operation(tag, &format!("History of a {}", kind.name()), &item, None, history),
        }),
    );
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A fixed route's success status and the schema of its body, if it has one.
type Success = (u16, Option<&'static str>);
/// A route that is not a generic record route: path, method, tag, summary, request schema and
/// success.
type FixedRoute = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Success,
);

#[rustfmt::skip]
const FIXED: &[FixedRoute] = &[
    ("/api/v1/auth/signup", "post", "auth", "Create a user and their first workspace", Some("Signup"), (201, Some("Session"))),
    ("/api/v1/auth/login", "post", "auth", "Log in with email and password", Some("Login"), (200, Some("Session"))),
    ("/api/v1/auth/refresh", "post", "auth", "Exchange a refresh token for a new pair (rotating)", Some("RefreshToken"), (200, Some("Session"))),
    ("/api/v1/auth/logout", "post", "auth", "Revoke a refresh token and its family", Some("RefreshToken"), (204, None)),
    ("/api/v1/me", "get", "workspaces", "The caller and their workspaces", None, (200, Some("Me"))),
    ("/api/v1/workspaces", "post", "workspaces", "Create a workspace (the caller becomes owner)", Some("Name"), (201, Some("WorkspaceRole"))),
    ("/api/v1/workspaces/{workspace_id}/members", "get", "members", "List members", None, (200, Some("MemberList"))),
    ("/api/v1/workspaces/{workspace_id}/members", "post", "members", "Add an existing user by email (admin)", Some("NewMember"), (201, Some("Member"))),
    ("/api/v1/workspaces/{workspace_id}/members/{user_id}", "patch", "members", "Change a member's role (admin)", Some("RoleChange"), (200, None)),
    ("/api/v1/workspaces/{workspace_id}/members/{user_id}", "delete", "members", "Remove a member (admin)", None, (204, None)),
    ("/api/v1/workspaces/{workspace_id}/api-keys", "get", "api-keys", "List API keys (admin)", None, (200, Some("ApiKeyList"))),
    ("/api/v1/workspaces/{workspace_id}/api-keys", "post", "api-keys", "Create an API key; the key is shown once (admin)", Some("NewApiKey"), (201, Some("CreatedApiKey"))),
    ("/api/v1/workspaces/{workspace_id}/api-keys/{key_id}", "delete", "api-keys", "Revoke an API key (admin)", None, (204, None)),
    ("/api/v1/workspaces/{workspace_id}/events", "get", "events", "Events after `since` (query: since, limit ≤ 1000)", None, (200, Some("EventPage"))),
    ("/api/v1/workspaces/{workspace_id}/events/stream", "get", "events", "WebSocket: replays from `since`, then pushes new events; token in Authorization or `access_token`", None, (200, None)),
    ("/api/v1/workspaces/{workspace_id}/contacts/{id}/360", "get", "contacts", "Client 360: the contact with account, deals, activities (newest first), tasks and history", None, (200, Some("Contact360"))),
    ("/api/v1/workspaces/{workspace_id}/imports", "get", "imports", "List imports, newest first", None, (200, Some("ImportList"))),
    ("/api/v1/workspaces/{workspace_id}/imports", "post", "imports", "Upload a CSV or TSV (multipart: file, object); sniffs it and proposes a mapping", None, (201, Some("ImportDetail"))),
    ("/api/v1/workspaces/{workspace_id}/imports/{id}", "get", "imports", "An import: detected layout, sample, mapping with confidences, progress and counts", None, (200, Some("ImportDetail"))),
    ("/api/v1/workspaces/{workspace_id}/imports/{id}/mapping", "put", "imports", "Override the mapping, value mapping, mode and match keys", None, (200, Some("ImportDetail"))),
    ("/api/v1/workspaces/{workspace_id}/imports/{id}/preview", "post", "imports", "Dry run: counts of creates, updates, merges, skips, errors and duplicate candidates", None, (200, Some("ImportPreview"))),
    ("/api/v1/workspaces/{workspace_id}/imports/{id}/commit", "post", "imports", "Apply the import as a background job (202)", None, (202, Some("Import"))),
    ("/api/v1/workspaces/{workspace_id}/imports/{id}/undo", "post", "imports", "Revert everything the import did (202)", None, (202, Some("Import"))),
    ("/api/v1/workspaces/{workspace_id}/imports/{id}/rows", "get", "imports", "Per-row outcomes (query: outcome, limit, after)", None, (200, Some("ImportRowPage"))),
    ("/api/v1/workspaces/{workspace_id}/imports/{id}/errors.csv", "get", "imports", "The rows that failed, with the reason, as CSV", None, (200, None)),
    ("/api/v1/workspaces/{workspace_id}/imports/{id}/file", "get", "imports", "The original file, byte for byte", None, (200, None)),
    ("/api/v1/workspaces/{workspace_id}/imports/{id}/review", "get", "imports", "Ambiguous matches waiting for a decision", None, (200, Some("ImportReviewPage"))),
    ("/api/v1/workspaces/{workspace_id}/imports/{id}/review/{row}", "post", "imports", "Decide a review item: merge, create or skip", None, (200, Some("ImportReviewOutcome"))),
    ("/api/v1/workspaces/{workspace_id}/{object}/duplicates", "get", "duplicates", "Groups of likely duplicate contacts or accounts with evidence", None, (200, None)),
    ("/api/v1/workspaces/{workspace_id}/{object}/{id}/merge", "post", "duplicates", "Merge other contacts or accounts into this one (body: other_ids)", None, (200, None)),
    ("/api/v1/workspaces/{workspace_id}/merges/{id}", "get", "duplicates", "A merge and what it moved", None, (200, None)),
    ("/api/v1/workspaces/{workspace_id}/merges/{id}/undo", "post", "duplicates", "Undo a merge (409 if the survivor changed since)", None, (200, None)),
    ("/api/v1/workspaces/{workspace_id}/deals/{id}/score", "get", "intelligence", "A deal's win probability, health 0-100 with its band, and the factors behind them", None, (200, Some("DealScore"))),
    ("/api/v1/workspaces/{workspace_id}/deals/score", "post", "intelligence", "Relearn from history and rescore every open deal", None, (200, None)),
    ("/api/v1/workspaces/{workspace_id}/forecast", "get", "intelligence", "Monte Carlo revenue forecast (query: timeframe 30d|60d|90d|quarter|year, scenario worst|likely|best, simulations, seed, pipeline_id, owner_id)", None, (200, Some("Forecast"))),
    ("/api/v1/workspaces/{workspace_id}/pipeline/summary", "get", "intelligence", "The dashboard's figures: open deals and value per stage, won and lost in the period with the win rate, open and overdue tasks, unread insights (query: timeframe, default quarter; pipeline_id, owner_id)", None, (200, Some("PipelineSummary"))),
    ("/api/v1/workspaces/{workspace_id}/forecast/snapshots", "get", "intelligence", "Stored daily forecasts, newest first (query: timeframe, limit)", None, (200, None)),
    ("/api/v1/workspaces/{workspace_id}/forecast/snapshots", "post", "intelligence", "Rescore and take today's forecast snapshots now", None, (200, None)),
    ("/api/v1/workspaces/{workspace_id}/forecast/accuracy", "get", "intelligence", "Past forecast snapshots scored against what was won: pinball loss at P10/P50/P90, CRPS, P10-P90 coverage", None, (200, None)),
    ("/api/v1/workspaces/{workspace_id}/insights", "get", "intelligence", "Insights, most urgent first (query: unread, priority, status open|resolved, limit)", None, (200, Some("InsightList"))),
    ("/api/v1/workspaces/{workspace_id}/insights/{id}", "patch", "intelligence", "Mark an insight read or unread (body: is_read)", Some("ReadMark"), (200, Some("Insight"))),
    ("/api/v1/workspaces/{workspace_id}/insights/generate", "post", "intelligence", "Rescore and run the insight rules now", None, (200, None)),
    ("/health", "get", "service", "Liveness and database check", None, (200, None)),
    ("/metrics", "get", "service", "Prometheus metrics", None, (200, None)),
];

/// The query parameters of fixed GET routes that take any (all sent as strings).
const QUERIES: &[(&str, &[&str])] = &[
    (
        "/api/v1/workspaces/{workspace_id}/events",
        &["since", "limit"],
    ),
    (
        "/api/v1/workspaces/{workspace_id}/events/stream",
        &["since", "access_token"],
    ),
    (
        "/api/v1/workspaces/{workspace_id}/imports/{id}/rows",
        &["outcome", "after", "limit"],
    ),
    (
        "/api/v1/workspaces/{workspace_id}/imports/{id}/review",
        &["after", "limit"],
    ),
    (
        "/api/v1/workspaces/{workspace_id}/{object}/duplicates",
        &["min_confidence", "limit"],
    ),
    (
        "/api/v1/workspaces/{workspace_id}/forecast",
        &[
            "timeframe",
            "scenario",
            "simulations",
            "seed",
            "pipeline_id",
            "owner_id",
        ],
    ),
    (
        "/api/v1/workspaces/{workspace_id}/forecast/snapshots",
        &["timeframe", "limit"],
    ),
    (
        "/api/v1/workspaces/{workspace_id}/pipeline/summary",
        &["timeframe", "pipeline_id", "owner_id"],
    ),
    (
        "/api/v1/workspaces/{workspace_id}/insights",
        &["unread", "priority", "status", "limit"],
    ),
];

fn fixed_paths(paths: &mut Map<String, Value>) {
    for (path, method, tag, summary, request, (status, response)) in FIXED {
        let params: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let success = match response {
            Some(schema) => ok("Success", schema_ref(schema)),
            None if *status == 204 => json!({"description": "No content"}),
            None => json!({"description": "Success", "content": {"application/json": {}}}),
        };
        let mut responses = json!({ status.to_string(): success });
        standard_errors(&mut responses);
        if path.ends_with("/login") {
            responses["429"] = problem("Too many failed logins; see Retry-After");
        }
        let mut op = operation(
            tag,
            summary,
            &params,
            request.map(|name| body(schema_ref(name))),
            responses,
        );
        let queries = QUERIES.iter().find(|(p, _)| p == path && *method == "get");
        if let (Some((_, names)), Some(parameters)) = (queries, op["parameters"].as_array_mut()) {
            parameters.extend(names.iter().map(|name| {
                json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}})
            }));
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
}

fn component_schemas() -> Map<String, Value> {
    let mut schemas = schemas::fixed();
    for kind in ObjectKind::ALL {
        schemas.insert(capitalised(kind.name()), record_schema(kind));
    }
    schemas
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    fixed_paths(&mut paths);
    for kind in ObjectKind::ALL {
        record_paths(&mut paths, kind);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Velocity API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The self-hosted sales operating system. All bodies are JSON; errors are application/problem+json.",
        },
        "paths": paths,
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An access token from login, or an API key (vk_…)"}},
        },
        "security": [{"bearer": []}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The web app compiles against web/openapi.json; this keeps that copy the server's own.
    #[test]
    fn the_web_apps_copy_of_the_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/openapi.json");
        let copy: Value = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null);
        assert!(
            copy == document(),
            "web/openapi.json is not the server's document: run `make openapi`"
        );
    }

    #[test]
    fn every_record_route_and_schema_reference_resolves() {
        let doc = document();
        for kind in ObjectKind::ALL {
            let base = format!("/api/v1/workspaces/{{workspace_id}}/{}", kind.plural());
            for suffix in ["", "/{id}", "/{id}/restore", "/{id}/history"] {
                assert!(
                    doc["paths"].get(format!("{base}{suffix}")).is_some(),
                    "{base}{suffix}"
                );
            }
        }
        let text = doc.to_string();
        let mut pieces = text.split("#/components/schemas/");
        pieces.next();
        for reference in pieces {
            let name: String = reference
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            assert!(
                doc["components"]["schemas"].get(&name).is_some(),
                "missing schema {name}"
            );
        }
    }
}
