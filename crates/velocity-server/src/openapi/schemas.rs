//! Component schemas for the bodies that are not generic records: auth, workspaces, events,
//! imports, the Client 360 and pipeline intelligence. The web app's typed client is generated from
//! them, so a shape changed here without the app following fails the app's type check.

use serde_json::{json, Map, Value};

fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

fn list_of(item: &str) -> Value {
    object(
        json!({"items": {"type": "array", "items": reference(item)}}),
        &["items"],
    )
}

pub(super) fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// Schemas of requests and responses outside the record routes.
pub(super) fn fixed() -> Map<String, Value> {
    let string = json!({"type": "string"});
    let nullable_string = json!({"type": ["string", "null"]});
    let integer = json!({"type": "integer"});
    let number = json!({"type": "number"});
    let nullable_number = json!({"type": ["number", "null"]});
    let boolean = json!({"type": "boolean"});
    let role = json!({"type": "string", "enum": ["owner", "admin", "member", "viewer"]});
    let money_rollup = |key: &str| {
        object(
            json!({key: nullable_string, "deals": integer, "total_value": number, "weighted_value": number}),
            &[key, "deals", "total_value", "weighted_value"],
        )
    };
    let mut schemas = Map::new();
    let mut add = |name: &str, schema: Value| {
        schemas.insert(name.to_owned(), schema);
    };

    add(
        "Problem",
        object(
            json!({
                "type": string, "title": string, "status": integer, "detail": string, "code": string,
                "current_version": integer,
                "errors": {"type": "array", "items": object(json!({"field": string, "message": string}), &["field", "message"])},
            }),
            &["type", "title", "status", "detail"],
        ),
    );
    add(
        "Stage",
        object(
            json!({
                "id": {"type": "string", "format": "uuid"}, "name": string,
                "probability": {"type": "number", "minimum": 0, "maximum": 1},
                "kind": {"type": "string", "enum": ["open", "won", "lost"]}, "position": integer,
            }),
            &["name", "probability"],
        ),
    );
    add(
        "Event",
        object(
            json!({
                "seq": integer, "workspace_id": string, "entity": string, "entity_id": string,
                "action": string,
                "changes": {"type": "object", "additionalProperties": true, "description": "field → {old, new}"},
                "actor": object(json!({"kind": string, "id": nullable_string, "name": nullable_string}), &["kind"]),
                "source": string, "created_at": {"type": "string", "format": "date-time"},
            }),
            &[
                "seq",
                "entity",
                "entity_id",
                "action",
                "changes",
                "actor",
                "source",
                "created_at",
            ],
        ),
    );
    add(
        "EventPage",
        object(
            json!({"items": {"type": "array", "items": reference("Event")}, "next_since": integer}),
            &["items", "next_since"],
        ),
    );
    add("EventList", list_of("Event"));

    let share = json!({"type": "number", "minimum": 0, "maximum": 1});
    let strings = json!({"type": "array", "items": string});
    let page_of = |item: &str| {
        object(
            json!({"items": {"type": "array", "items": reference(item)}, "next_after": {"type": ["integer", "null"], "description": "The `after` of the next page; null on the last"}}),
            &["items", "next_after"],
        )
    };
    add(
        "ImportColumn",
        object(
            json!({
                "column": string,
                "target": {"type": "string", "description": "A field name, `full_name`, `external_id`, `attribute:<name>` or `ignore`"},
                "confidence": share, "reason": string,
            }),
            &["column", "target", "confidence", "reason"],
        ),
    );
    add(
        "ImportValueMapping",
        object(
            json!({
                "field": string, "source": {"type": "string", "description": "The value as the file writes it"},
                "target": {"type": ["string", "null"], "description": "A stage name, a member's email or an allowed value; null leaves it unmapped"},
                "confidence": share, "reason": string,
                "rows": {"type": "integer", "description": "Rows holding the value (in a preview)"},
            }),
            &["field", "source", "target", "confidence", "reason"],
        ),
    );
    add(
        "ImportPlan",
        object(
            json!({
                "columns": {"type": "array", "items": reference("ImportColumn")},
                "mode": {"type": "string", "enum": ["create_only", "update_only", "create_and_update"]},
                "match_keys": {"type": "array", "items": string, "description": "Strongest first"},
                "day_order": {"type": "string", "enum": ["month_first", "day_first"]},
                "default_country": {"type": "string", "description": "ISO 3166 country for phone numbers without a country code"},
                "values": {"type": "array", "items": reference("ImportValueMapping")},
                "fuzzy_matching": boolean,
            }),
            &[
                "columns",
                "mode",
                "match_keys",
                "day_order",
                "default_country",
                "values",
                "fuzzy_matching",
            ],
        ),
    );
    add(
        "ImportCounts",
        json!({
            "type": "object", "additionalProperties": {"type": "integer"},
            "description": "Rows per outcome (processed, created, updated, merged, skipped, review, errors; after an undo undone and conflicts); a missing key is none",
        }),
    );
    let import_properties = json!({
        "id": string,
        "object": {"type": "string", "enum": ["contacts", "accounts", "deals", "activities", "products"]},
        "file_name": string,
        "checksum": {"type": "string", "description": "SHA-256 of the file as uploaded, hex"},
        "size_bytes": integer,
        "encoding": {"type": "string", "enum": ["utf-8", "utf-8-bom", "utf-16le", "utf-16be", "windows-1252"]},
        "layout": object(json!({
            "delimiter": {"type": "string", "enum": [",", ";", "tab", "|"]},
            "has_header": boolean, "headers": strings,
            "warnings": {"type": "array", "items": string, "description": "What was repaired in the header"},
        }), &["delimiter", "has_header", "headers", "warnings"]),
        "row_count": integer,
        "plan": reference("ImportPlan"),
        "status": {"type": "string", "enum": ["uploaded", "committing", "committed", "undoing", "undone", "failed"]},
        "counts": reference("ImportCounts"),
        "failure": nullable_string,
        "created_by": string, "created_at": string, "updated_at": string,
    });
    let import_required = [
        "id",
        "object",
        "file_name",
        "checksum",
        "size_bytes",
        "encoding",
        "layout",
        "row_count",
        "plan",
        "status",
        "counts",
        "failure",
        "created_by",
        "created_at",
        "updated_at",
    ];
    add(
        "Import",
        object(import_properties.clone(), &import_required),
    );
    let mut detail_properties = import_properties;
    detail_properties["sample"] =
        json!({"type": "array", "items": strings, "description": "The first rows of the file"});
    let detail_required: Vec<&str> = import_required.into_iter().chain(["sample"]).collect();
    add("ImportDetail", object(detail_properties, &detail_required));
    add("ImportList", list_of("Import"));
    add(
        "ImportPreview",
        object(
            json!({
                "counts": reference("ImportCounts"),
                "duplicates": {"type": "array", "items": object(json!({
                    "row": integer,
                    "key": {"type": "string", "description": "The match key that matched, or `likeness`"},
                    "value": string, "record_id": nullable_string,
                    "earlier_row": {"type": ["integer", "null"], "description": "An earlier row of the file with the same key"},
                    "confidence": share,
                }), &["row", "key", "record_id", "confidence"])},
                "new_stages": strings,
                "values": {"type": "array", "items": reference("ImportValueMapping")},
                "errors": {"type": "array", "items": object(json!({"row": integer, "message": string}), &["row", "message"])},
            }),
            &["counts", "duplicates", "new_stages", "values", "errors"],
        ),
    );
    add(
        "ImportRow",
        object(
            json!({
                "row": integer, "line": integer, "values": strings,
                "outcome": {"type": ["string", "null"], "description": "created, updated, merged, skipped, error, review, undone or conflict"},
                "record_id": nullable_string, "message": nullable_string,
            }),
            &["row", "line", "values", "outcome", "record_id", "message"],
        ),
    );
    add("ImportRowPage", page_of("ImportRow"));
    add(
        "ImportReviewItem",
        object(
            json!({
                "row": integer, "line": integer, "values": strings,
                "candidate": {"type": ["object", "null"], "additionalProperties": true, "description": "The existing record it probably is; null if deleted since"},
                "confidence": share,
                "proposal": {"type": "object", "additionalProperties": true, "description": "The record the row would make or merge in"},
            }),
            &[
                "row",
                "line",
                "values",
                "candidate",
                "confidence",
                "proposal",
            ],
        ),
    );
    add("ImportReviewPage", page_of("ImportReviewItem"));
    add(
        "ImportReviewOutcome",
        object(
            json!({"row": integer, "outcome": string, "record_id": nullable_string}),
            &["row", "outcome", "record_id"],
        ),
    );

    add(
        "Signup",
        object(
            json!({"email": string, "password": {"type": "string", "minLength": 8}, "name": string, "workspace_name": string}),
            &["email", "password", "name", "workspace_name"],
        ),
    );
    add(
        "Login",
        object(
            json!({"email": string, "password": string}),
            &["email", "password"],
        ),
    );
    add(
        "RefreshToken",
        object(json!({"refresh_token": string}), &["refresh_token"]),
    );
    add("Name", object(json!({"name": string}), &["name"]));
    add(
        "User",
        object(
            json!({"id": string, "email": string, "name": string}),
            &["id", "email", "name"],
        ),
    );
    add(
        "Workspace",
        object(json!({"id": string, "name": string}), &["id", "name"]),
    );
    add(
        "WorkspaceRole",
        object(
            json!({"id": string, "name": string, "role": role}),
            &["id", "name", "role"],
        ),
    );
    add(
        "Session",
        object(
            json!({
                "access_token": string, "refresh_token": string, "token_type": string,
                "expires_in": {"type": "integer", "description": "Seconds the access token lives"},
                "user": reference("User"),
                "workspace": {"anyOf": [reference("Workspace"), {"type": "null"}], "description": "The workspace sign-up created"},
            }),
            &[
                "access_token",
                "refresh_token",
                "token_type",
                "expires_in",
                "user",
            ],
        ),
    );
    add(
        "Me",
        object(
            json!({"user": reference("User"), "workspaces": {"type": "array", "items": reference("WorkspaceRole")}}),
            &["user", "workspaces"],
        ),
    );
    add(
        "NewMember",
        object(json!({"email": string, "role": role}), &["email", "role"]),
    );
    add("RoleChange", object(json!({"role": role}), &["role"]));
    add(
        "Member",
        object(
            json!({"user_id": string, "email": string, "name": string, "role": role, "joined_at": string}),
            &["user_id", "email", "name", "role", "joined_at"],
        ),
    );
    add("MemberList", list_of("Member"));
    add(
        "NewApiKey",
        object(json!({"name": string, "role": role}), &["name", "role"]),
    );
    add(
        "ApiKey",
        object(
            json!({"id": string, "name": string, "role": role, "prefix": string, "created_at": string}),
            &["id", "name", "role", "prefix", "created_at"],
        ),
    );
    add("ApiKeyList", list_of("ApiKey"));
    add(
        "CreatedApiKey",
        object(
            json!({
                "id": string, "key": {"type": "string", "description": "Shown only in this response"},
                "name": string, "role": role, "prefix": string, "created_at": string,
            }),
            &["id", "key", "name", "role", "prefix", "created_at"],
        ),
    );

    add(
        "Contact360",
        object(
            json!({
                "contact": reference("Contact"),
                "account": {"anyOf": [reference("Account"), {"type": "null"}]},
                "deals": {"type": "array", "items": reference("Deal")},
                "activities": {"type": "array", "items": reference("Activity"), "description": "Newest first"},
                "tasks": {"type": "array", "items": reference("Task")},
                "history": {"type": "array", "items": reference("Event")},
            }),
            &[
                "contact",
                "account",
                "deals",
                "activities",
                "tasks",
                "history",
            ],
        ),
    );

    add(
        "DealScore",
        object(
            json!({
                "deal_id": string, "win_probability": number, "health": integer,
                "health_band": {"type": "string", "enum": ["excellent", "good", "fair", "poor", "critical"]},
                "health_explanation": string,
                "factors": {"type": "array", "items": object(json!({
                    "name": string, "direction": {"type": "string", "enum": ["positive", "negative"]},
                    "weight": number, "detail": string,
                }), &["name", "direction", "weight", "detail"])},
                "model": object(json!({
                    "kind": string, "trained_at": nullable_string, "training_deals": integer,
                    "auc": nullable_number, "brier": nullable_number,
                }), &["kind", "training_deals"]),
            }),
            &[
                "deal_id",
                "win_probability",
                "health",
                "health_band",
                "health_explanation",
                "factors",
                "model",
            ],
        ),
    );

    let category = object(
        json!({"deals": integer, "total_value": number, "weighted_value": number}),
        &["deals", "total_value", "weighted_value"],
    );
    add(
        "Forecast",
        object(
            json!({
                "timeframe": string, "scenario": string,
                "period": object(json!({"start": string, "end": string}), &["start", "end"]),
                "predicted_revenue": number, "confidence": number,
                "worst_case": number, "likely_case": number, "best_case": number,
                "mean_forecast": number, "standard_deviation": number, "deals_analyzed": integer,
                "closed_won": object(json!({"deals": integer, "revenue": number}), &["deals", "revenue"]),
                "new_business": object(json!({"mean": number, "standard_deviation": number}), &["mean", "standard_deviation"]),
                "breakdown_by_stage": {"type": "array", "items": object(json!({
                    "stage_id": string, "stage": string, "deals": integer, "total_value": number,
                    "weighted_value": number, "avg_probability": number,
                }), &["stage_id", "stage", "deals", "total_value", "weighted_value", "avg_probability"])},
                "by_category": object(json!({"closed": category, "commit": category, "best_case": category, "pipeline": category}), &[]),
                "by_owner": {"type": "array", "items": money_rollup("owner_id")},
                "by_pipeline": {"type": "array", "items": money_rollup("pipeline_id")},
                "simulation_stats": object(json!({
                    "num_simulations": integer, "seed": integer, "min": number, "max": number,
                    "p5": number, "p10": number, "p25": number, "p50": number, "p75": number,
                    "p90": number, "p95": number,
                }), &["num_simulations", "seed", "min", "max", "p5", "p10", "p25", "p50", "p75", "p90", "p95"]),
                "histogram": {"type": "array", "description": "Share of trials per revenue band, P1 to P99", "items": object(json!({
                    "from": number, "to": number, "share": number,
                }), &["from", "to", "share"])},
                "forecasted_deals": {"type": "array", "items": object(json!({
                    "deal_id": string, "name": string, "account": nullable_string, "value": number,
                    "stage": string, "close_date": nullable_string, "forecast_category": string,
                    "win_probability": number, "close_probability": number,
                    "adjusted_probability": number, "weighted_value": number, "confidence_score": number,
                }), &["deal_id", "name", "value", "stage", "forecast_category", "win_probability", "close_probability", "adjusted_probability", "weighted_value", "confidence_score"])},
                "exact": object(json!({"mean": number, "standard_deviation": number}), &["mean", "standard_deviation"]),
                "generated_at": string,
            }),
            &[
                "timeframe",
                "scenario",
                "period",
                "predicted_revenue",
                "confidence",
                "worst_case",
                "likely_case",
                "best_case",
                "deals_analyzed",
                "closed_won",
                "new_business",
                "breakdown_by_stage",
                "by_category",
                "simulation_stats",
                "histogram",
                "forecasted_deals",
            ],
        ),
    );

    let closed = object(
        json!({"deals": integer, "value": number}),
        &["deals", "value"],
    );
    add(
        "PipelineSummary",
        object(
            json!({
                "timeframe": string,
                "period": object(json!({"start": string, "end": string}), &["start", "end"]),
                "open_by_stage": {"type": "array", "items": object(json!({"stage_id": string, "deals": integer, "value": number}), &["stage_id", "deals", "value"])},
                "won": closed, "lost": closed,
                "win_rate": {"type": ["number", "null"], "description": "Won over won and lost in the period; null when none closed"},
                "open_tasks": integer, "overdue_tasks": integer,
                "my_overdue_tasks": {"type": "integer", "description": "Overdue tasks assigned to the caller"},
                "unread_insights": integer,
                "currency": {"type": ["string", "null"], "description": "The currency most deals are in"},
            }),
            &[
                "timeframe",
                "period",
                "open_by_stage",
                "won",
                "lost",
                "win_rate",
                "open_tasks",
                "overdue_tasks",
                "my_overdue_tasks",
                "unread_insights",
                "currency",
            ],
        ),
    );

    add(
        "Insight",
        object(
            json!({
                "id": string, "kind": string,
                "type": {"type": "string", "enum": ["risk", "warning", "opportunity", "recommendation"]},
                "priority": {"type": "string", "enum": ["critical", "high", "medium", "low"]},
                "confidence": number, "title": string, "description": string,
                "deal_id": nullable_string, "data": {"type": "object", "additionalProperties": true},
                "actions": {"type": "array", "items": {"type": "string"}, "description": "Suggested next steps, e.g. log_activity, create_task"},
                "is_read": boolean, "status": {"type": "string", "enum": ["open", "resolved"]},
                "created_at": string, "updated_at": string, "resolved_at": nullable_string,
            }),
            &[
                "id",
                "kind",
                "type",
                "priority",
                "confidence",
                "title",
                "description",
                "deal_id",
                "actions",
                "is_read",
                "status",
                "created_at",
            ],
        ),
    );
    add("InsightList", list_of("Insight"));
    add(
        "ReadMark",
        object(json!({"is_read": boolean}), &["is_read"]),
    );
    schemas
}
