//! One raw row through a mapping: the normalised field values, the attributes, the external id
//! and every problem, each named with its column. References (account, contacts, products,
//! owner, stage, pipeline) stay as the text the file holds; the store resolves them against the
//! workspace.

use crate::mapping::{Target, EXTERNAL_ID_ATTRIBUTE};
use crate::normalise::{self, Context};
use serde_json::{Map, Value};
use velocity_domain::{FieldType, ObjectKind};

/// A column of the file with its destination.
#[derive(Debug, Clone)]
pub struct Column {
    pub index: usize,
    pub name: String,
    pub target: Target,
}

/// A cell that could not be used, with the column it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    pub column: String,
    pub message: String,
}

/// A row ready to be matched and written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreparedRow {
    /// Field values: normalised scalars, and reference text still to be resolved.
    pub values: Map<String, Value>,
    pub attributes: Map<String, Value>,
    pub external_id: Option<String>,
    pub errors: Vec<CellError>,
}

/// Applies the mapping to one row of values.
pub fn prepare(
    object: ObjectKind,
    columns: &[Column],
    values: &[String],
    context: &Context,
) -> PreparedRow {
    let mut row = PreparedRow::default();
    for column in columns {
        let raw = values.get(column.index).map_or("", String::as_str);
        let text = raw.trim();
        match &column.target {
            Target::Ignore => {}
            Target::Attribute(key) => {
                if !text.is_empty() {
                    row.attributes
                        .insert(key.clone(), Value::String(text.to_string()));
                }
            }
            Target::ExternalId => {
                if !text.is_empty() {
                    row.external_id = Some(text.to_string());
                    row.attributes.insert(
                        EXTERNAL_ID_ATTRIBUTE.to_string(),
                        Value::String(text.to_string()),
                    );
                }
            }
            Target::FullName => {
                let (first, last) = normalise::split_name(text);
                for (field, part) in [("first_name", first), ("last_name", last)] {
                    if let Some(part) = part {
                        row.values.entry(field).or_insert(Value::String(part));
                    }
                }
            }
            Target::Field(name) => {
                let Some(field) = object.field(name) else {
                    continue;
                };
                let raw = match context.values.get(field.name, text) {
                    Some(Some(target)) => target,
                    Some(None) => continue,
                    None => raw,
                };
                match normalise::normalise(field.ty, raw, context) {
                    Ok(Some(value)) => {
                        merge_field(&mut row.values, field.name, field.ty, value);
                    }
                    Ok(None) => {}
                    Err(message) => row.errors.push(CellError {
                        column: column.name.clone(),
                        message,
                    }),
                }
                // A money column that names its currency sets the record's currency too.
                if matches!(field.ty, FieldType::Decimal { .. })
                    && object.field("currency").is_some()
                {
                    if let Some(code) = normalise::currency_code(text) {
                        row.values
                            .entry("currency")
                            .or_insert(Value::String(code.to_string()));
                    }
                }
            }
        }
    }
    derive_domain(object, &mut row);
    name_deal(object, &mut row);
    row
}

/// Deal exports without a deal name (Maven's, many spreadsheets) still name each deal by its
/// product and account, or its id in the source system.
fn name_deal(object: ObjectKind, row: &mut PreparedRow) {
    if object != ObjectKind::Deal || row.values.contains_key("name") {
        return;
    }
    let text = |field: &str| match row.values.get(field) {
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Array(items)) => items.first().and_then(Value::as_str).map(String::from),
        _ => None,
    };
    let parts: Vec<String> = [text("product_ids"), text("account_id")]
        .into_iter()
        .flatten()
        .collect();
    let name = if parts.is_empty() {
        row.external_id.clone()
    } else {
        Some(parts.join(" · "))
    };
    if let Some(name) = name {
        row.values.insert("name".into(), Value::String(name));
    }
}

/// Several columns may feed one list (`Contact 1`, `Contact 2`); the rest keep their first value.
fn merge_field(values: &mut Map<String, Value>, name: &str, ty: FieldType, value: Value) {
    if matches!(ty, FieldType::RefList(_)) {
        let list = values
            .entry(name)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let (Value::Array(items), Value::String(text)) = (list, value) {
            items.extend(
                text.split([';', '|'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| Value::String(t.to_string())),
            );
        }
    } else {
        values.entry(name).or_insert(value);
    }
}

/// An account's website names its domain, the key accounts are matched on.
fn derive_domain(object: ObjectKind, row: &mut PreparedRow) {
    if object != ObjectKind::Account || row.values.contains_key("domain") {
        return;
    }
    let domain = row
        .values
        .get("website")
        .and_then(Value::as_str)
        .and_then(|site| velocity_domain::values::parse_domain(site).ok());
    if let Some(domain) = domain {
        row.values.insert("domain".into(), Value::String(domain));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::DayOrder;
    use serde_json::json;

    fn columns(object: ObjectKind, targets: &[&str]) -> Vec<Column> {
        targets
            .iter()
            .enumerate()
            .map(|(index, t)| Column {
                index,
                name: format!("col{index}"),
                target: Target::parse(t, object).unwrap(),
            })
            .collect()
    }

    fn context() -> Context {
        Context {
            default_country: "US".into(),
            day_order: DayOrder::MonthFirst,
            values: Default::default(),
        }
    }

    #[test]
    fn a_contact_row_is_normalised_and_keeps_everything() {
        let cols = columns(
            ObjectKind::Contact,
            &[
                "full_name",
                "email",
                "phone",
                "external_id",
                "attribute:city",
                "ignore",
            ],
        );
        let values: Vec<String> = [
            "López, Ana",
            " ANA@X.COM",
            "(415) 555-0100",
            "C-1",
            "Lima",
            "junk",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let row = prepare(ObjectKind::Contact, &cols, &values, &context());
        assert_eq!(row.values["first_name"], json!("Ana"));
        assert_eq!(row.values["last_name"], json!("López"));
        assert_eq!(row.values["email"], json!("ana@x.com"));
        assert_eq!(row.values["phone"], json!("+14155550100"));
        assert_eq!(row.external_id.as_deref(), Some("C-1"));
        assert_eq!(row.attributes["city"], json!("Lima"));
        assert_eq!(row.attributes["external_id"], json!("C-1"));
        assert!(row.errors.is_empty());
    }

    #[test]
    fn bad_cells_are_named_with_their_column() {
        let cols = columns(
            ObjectKind::Deal,
            &["name", "amount", "close_date", "contact_ids"],
        );
        let values: Vec<String> = ["Big", "22.700,00 €", "2025-02-30", "a@x.com; b@x.com"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let row = prepare(ObjectKind::Deal, &cols, &values, &context());
        assert_eq!(row.values["amount"], json!(22700.0));
        assert_eq!(row.values["currency"], json!("EUR"));
        assert_eq!(row.values["contact_ids"], json!(["a@x.com", "b@x.com"]));
        assert_eq!(row.errors.len(), 1);
        assert_eq!(row.errors[0].column, "col2");
    }

    #[test]
    fn accounts_get_their_domain_from_the_website() {
        let cols = columns(ObjectKind::Account, &["name", "website"]);
        let values = vec!["Acme".to_string(), "http://www.acme.com/".to_string()];
        let row = prepare(ObjectKind::Account, &cols, &values, &context());
        assert_eq!(row.values["domain"], json!("acme.com"));
    }
}
