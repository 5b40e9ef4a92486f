//! Parsing request bodies into typed record input. Every field is checked against its schema
//! and all problems are reported together, so a client fixes a body in one round trip.

use crate::error::ValidationErrors;
use crate::schema::{Field, FieldType, ObjectKind, STAGE_KINDS, SYSTEM_FIELDS};
use crate::values;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Whether a body creates a record (required fields enforced) or patches one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Patch,
}

/// A parsed, canonical field value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Id(Uuid),
    Ids(Vec<Uuid>),
    Stages(Vec<StageInput>),
}

impl FieldValue {
    /// The value as it appears in a record's JSON.
    pub fn to_json(&self) -> Value {
        match self {
            FieldValue::Null => Value::Null,
            FieldValue::Text(s) => Value::String(s.clone()),
            FieldValue::Int(n) => Value::from(*n),
            FieldValue::Float(n) => {
                serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number)
            }
            FieldValue::Id(id) => Value::String(id.to_string()),
            FieldValue::Ids(ids) => ids.iter().map(|id| Value::String(id.to_string())).collect(),
            FieldValue::Stages(stages) => stages
                .iter()
                .map(|s| {
                    serde_json::json!({"id": s.id.map(|id| id.to_string()), "name": s.name,
                        "probability": s.probability, "kind": s.kind, "position": s.position})
                })
                .collect(),
        }
    }
}

/// Parses a query-string value (a list filter) for `field`: numbers are read from text, every
/// other type is checked exactly as in a body.
pub fn parse_query_value(field: &Field, text: &str) -> Result<FieldValue, String> {
    let value = match field.ty {
        FieldType::Integer { .. } => Value::from(
            text.trim()
                .parse::<i64>()
                .map_err(|_| "must be a whole number".to_string())?,
        ),
        FieldType::Decimal { .. } | FieldType::Probability => {
            let n: f64 = text
                .trim()
                .parse()
                .map_err(|_| "must be a number".to_string())?;
            serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
        }
        _ => Value::String(text.to_string()),
    };
    parse_value(field, &value)
}

/// One stage of a pipeline as sent by a client; `id` is kept when the stage already exists.
#[derive(Debug, Clone, PartialEq)]
pub struct StageInput {
    pub id: Option<Uuid>,
    pub name: String,
    pub probability: f64,
    pub kind: String,
    pub position: i64,
}

/// A parsed body: the fields the client sent, and a merge patch for custom attributes
/// (a `null` attribute value removes that attribute).
#[derive(Debug, Clone)]
pub struct RecordInput {
    pub kind: ObjectKind,
    pub values: Vec<(&'static Field, FieldValue)>,
    pub attributes: Option<Map<String, Value>>,
    /// `"attributes": null`: remove every custom attribute (before `attributes` is applied).
    pub clear_attributes: bool,
}

impl RecordInput {
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.values
            .iter()
            .find(|(f, _)| f.name == name)
            .map(|(_, v)| v)
    }

    /// Sets (or replaces) a field value; used by the store for defaults such as the stage.
    pub fn set(&mut self, field: &'static Field, value: FieldValue) {
        match self.values.iter_mut().find(|(f, _)| f.name == field.name) {
            Some(slot) => slot.1 = value,
            None => self.values.push((field, value)),
        }
    }
}

const MAX_LIST_LEN: usize = 200;
const MAX_STAGES: usize = 50;
const MAX_ATTRIBUTE_DEPTH: usize = 16;

/// Parses a JSON body for `kind`. Read-only and system fields are ignored (clients often send a
/// record back as they received it); unknown fields are errors, because a typo must not be lost.
pub fn parse_record(
    kind: ObjectKind,
    body: &Value,
    mode: Mode,
) -> Result<RecordInput, ValidationErrors> {
    let Some(object) = body.as_object() else {
        return Err(ValidationErrors::single(
            "",
            "the body must be a JSON object",
        ));
    };
    let mut errors = ValidationErrors::default();
    let mut input = RecordInput {
        kind,
        values: Vec::new(),
        attributes: None,
        clear_attributes: false,
    };
    for (name, value) in object {
        if name == "attributes" {
            match value {
                Value::Object(map) if depth(value) <= MAX_ATTRIBUTE_DEPTH => {
                    input.attributes = Some(map.clone())
                }
                Value::Object(_) => errors.push(
                    "attributes",
                    format!("nesting deeper than {MAX_ATTRIBUTE_DEPTH} levels is not allowed"),
                ),
                Value::Null => input.clear_attributes = true,
                _ => errors.push("attributes", "must be a JSON object"),
            }
            continue;
        }
        if SYSTEM_FIELDS.contains(&name.as_str()) {
            continue;
        }
        let Some(field) = kind.field(name) else {
            errors.push(name, format!("unknown field for a {}", kind.name()));
            continue;
        };
        if field.read_only {
            continue;
        }
        match parse_value(field, value) {
            Ok(FieldValue::Null) if field.required => errors.push(name, "is required"),
            Ok(parsed) => input.values.push((field, parsed)),
            Err(message) => errors.push(name, message),
        }
    }
    if mode == Mode::Create {
        for field in kind.fields().iter().filter(|f| f.required) {
            if !object.contains_key(field.name) {
                errors.push(field.name, "is required");
            }
        }
    }
    errors.into_result(input)
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn parse_value(field: &Field, value: &Value) -> Result<FieldValue, String> {
    if value.is_null() {
        return Ok(FieldValue::Null);
    }
    // PostgreSQL text cannot hold NUL, and no real name or note contains one; refusing it
    // here keeps both databases storing exactly the same values.
    let text = || match value.as_str() {
        Some(s) if s.contains('\0') => Err("must not contain NUL (\\u0000) characters".to_string()),
        Some(s) => Ok(s),
        None => Err("must be a string".to_string()),
    };
    let parsed = match field.ty {
        FieldType::Text { max_len } => {
            let trimmed = text()?.trim();
            if trimmed.is_empty() {
                return Ok(FieldValue::Null);
            }
            if trimmed.chars().count() > max_len {
                return Err(format!("must be at most {max_len} characters"));
            }
            FieldValue::Text(trimmed.to_string())
        }
        FieldType::Email => FieldValue::Text(values::parse_email(text()?)?),
        FieldType::Phone => FieldValue::Text(values::parse_phone(text()?)?),
        FieldType::Domain => FieldValue::Text(values::parse_domain(text()?)?),
        FieldType::Currency => FieldValue::Text(values::parse_currency(text()?)?),
        FieldType::Date => FieldValue::Text(values::parse_date(text()?)?),
        FieldType::Timestamp => FieldValue::Text(values::parse_timestamp(text()?)?),
        FieldType::Integer { min } => {
            let n = value.as_i64().ok_or("must be a whole number")?;
            if n < min {
                return Err(format!("must be at least {min}"));
            }
            FieldValue::Int(n)
        }
        FieldType::Decimal { min } => {
            let n = value.as_f64().ok_or("must be a number")?;
            if n < min {
                return Err(format!("must be at least {min}"));
            }
            FieldValue::Float(n)
        }
        FieldType::Probability => FieldValue::Float(parse_probability(value)?),
        FieldType::Enum(allowed) => {
            let s = text()?;
            if !allowed.contains(&s) {
                return Err(format!("must be one of: {}", allowed.join(", ")));
            }
            FieldValue::Text(s.to_string())
        }
        FieldType::Ref(_) | FieldType::Member | FieldType::Stage => {
            FieldValue::Id(parse_uuid(text()?)?)
        }
        FieldType::RefList(_) => {
            let items = value.as_array().ok_or("must be an array of ids")?;
            if items.len() > MAX_LIST_LEN {
                return Err(format!("must hold at most {MAX_LIST_LEN} ids"));
            }
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                let id = parse_uuid(item.as_str().ok_or("must be an array of ids")?)?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            FieldValue::Ids(ids)
        }
        FieldType::Stages => FieldValue::Stages(parse_stages(value)?),
    };
    Ok(parsed)
}

fn parse_probability(value: &Value) -> Result<f64, String> {
    match value.as_f64() {
        Some(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err("must be a number between 0 and 1".into()),
    }
}

fn parse_uuid(text: &str) -> Result<Uuid, String> {
    Uuid::parse_str(text.trim()).map_err(|_| format!("`{text}` is not a valid id (UUID)"))
}

fn parse_stages(value: &Value) -> Result<Vec<StageInput>, String> {
    let items = value.as_array().ok_or("must be an array of stages")?;
    if items.is_empty() || items.len() > MAX_STAGES {
        return Err(format!("must hold between 1 and {MAX_STAGES} stages"));
    }
    let mut stages = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let at = |message: &str| format!("stage {}: {message}", index + 1);
        let object = item.as_object().ok_or_else(|| at("must be an object"))?;
        let id = match object.get("id") {
            None | Some(Value::Null) => None,
            Some(v) => Some(parse_uuid(v.as_str().unwrap_or_default()).map_err(|e| at(&e))?),
        };
        let name = object
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty() && n.chars().count() <= 200)
            .ok_or_else(|| at("`name` is required (at most 200 characters)"))?;
        let probability = parse_probability(object.get("probability").unwrap_or(&Value::Null))
            .map_err(|e| at(&format!("`probability` {e}")))?;
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("open");
        if !STAGE_KINDS.contains(&kind) {
            return Err(at("`kind` must be one of: open, won, lost"));
        }
        let position = match object.get("position") {
            None | Some(Value::Null) => index as i64,
            Some(v) => v
                .as_i64()
                .ok_or_else(|| at("`position` must be a whole number"))?,
        };
        if stages
            .iter()
            .any(|s: &StageInput| s.name.eq_ignore_ascii_case(name))
        {
            return Err(at(&format!("the name `{name}` is used twice")));
        }
        stages.push(StageInput {
            id,
            name: name.to_string(),
            probability,
            kind: kind.to_string(),
            position,
        });
    }
    stages.sort_by_key(|s| s.position);
    Ok(stages)
}

/// Rules that span fields, checked on the record as it will be stored (after a patch is applied).
pub fn check_invariants(
    kind: ObjectKind,
    record: &Map<String, Value>,
) -> Result<(), ValidationErrors> {
    let present = |name: &str| record.get(name).is_some_and(|v| !v.is_null());
    if kind == ObjectKind::Contact
        && !present("first_name")
        && !present("last_name")
        && !present("email")
    {
        return Err(ValidationErrors::single(
            "first_name",
            "a contact needs a first name, a last name or an email",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_error_in_one_pass() {
        let body = json!({"name": "", "amount": -5, "probability": 1.5, "currency": "XXX1",
                          "close_date": "2025-02-30", "bogus": 1, "stage_id": "nope"});
        let errors = parse_record(ObjectKind::Deal, &body, Mode::Create).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        for expected in [
            "name",
            "amount",
            "probability",
            "currency",
            "close_date",
            "bogus",
            "stage_id",
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {fields:?}"
            );
        }
    }

    #[test]
    fn create_requires_and_patch_does_not() {
        assert!(parse_record(ObjectKind::Account, &json!({}), Mode::Create).is_err());
        assert!(parse_record(ObjectKind::Account, &json!({}), Mode::Patch).is_ok());
        assert!(parse_record(ObjectKind::Account, &json!({"name": null}), Mode::Patch).is_err());
    }

    #[test]
    fn read_only_and_system_fields_are_ignored() {
        let body = json!({"name": "A", "id": "x", "version": 3, "status": "won"});
        let input = parse_record(ObjectKind::Deal, &body, Mode::Create).unwrap();
        assert_eq!(input.values.len(), 1);
    }

    #[test]
    fn script_and_sql_text_is_kept_literally() {
        let evil = "<script>alert(1)</script>'; DROP TABLE deals; --";
        let input =
            parse_record(ObjectKind::Account, &json!({"name": evil}), Mode::Create).unwrap();
        assert_eq!(input.get("name"), Some(&FieldValue::Text(evil.into())));
    }

    #[test]
    fn stages_are_validated_and_ordered() {
        let body = json!({"name": "P", "stages": [
            {"name": "Won", "probability": 1, "kind": "won", "position": 2},
            {"name": "New", "probability": 0.1, "position": 0}]});
        let input = parse_record(ObjectKind::Pipeline, &body, Mode::Create).unwrap();
        let Some(FieldValue::Stages(stages)) = input.get("stages") else {
            panic!()
        };
        assert_eq!(stages[0].name, "New");
        let dup = json!({"name": "P", "stages": [{"name": "A", "probability": 0.1}, {"name": "a", "probability": 0.2}]});
        assert!(parse_record(ObjectKind::Pipeline, &dup, Mode::Create).is_err());
    }

    #[test]
    fn contacts_need_a_name_or_email() {
        assert!(check_invariants(ObjectKind::Contact, &Map::new()).is_err());
        let ok = json!({"email": "a@b.co"});
        assert!(check_invariants(ObjectKind::Contact, ok.as_object().unwrap()).is_ok());
    }
}
