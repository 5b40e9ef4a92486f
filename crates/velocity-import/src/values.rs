//! Value mapping for enumerated columns: each distinct value a file holds for a deal stage, an
//! owner, an activity kind or a status is matched to something the workspace has (a stage, a
//! member, an allowed value) with a confidence, and a person can override any of them. The
//! same matcher serves the preview (what is proposed) and the commit (what is applied), so the
//! two never disagree.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use velocity_domain::FieldType;

/// Confidence below which a fuzzy match is not trusted.
const FUZZY_FLOOR: f64 = 0.9;

/// Where one distinct source value of a column goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueMapping {
    /// The field the column is mapped to (`stage_id`, `owner_id`, `kind`, `status`, …).
    pub field: String,
    /// The value as the file writes it.
    pub source: String,
    /// What it becomes: a stage name, a member's email or an allowed value; `None` when
    /// nothing matches (a member then stays an attribute, an enumeration value is an error).
    pub target: Option<String>,
    /// 0 to 1 (1 for a person's choice).
    #[serde(default = "one")]
    pub confidence: f64,
    #[serde(default)]
    pub reason: String,
    /// Rows holding the value (filled in by the preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

fn one() -> f64 {
    1.0
}

/// Whether a field's values get a value mapping.
pub fn is_enumerated(ty: FieldType) -> bool {
    matches!(
        ty,
        FieldType::Enum(_) | FieldType::Stage | FieldType::Member
    )
}

/// Something a value can map to: its canonical text and the names it is known by.
#[derive(Debug, Clone)]
pub struct Choice {
    pub target: String,
    pub names: Vec<String>,
}

/// The workspace's possible targets for a field: stages, members or allowed values.
pub fn enum_choices(allowed: &[&str]) -> Vec<Choice> {
    allowed
        .iter()
        .map(|value| {
            let mut names = vec![value.to_string(), value.replace('_', " ")];
            names.extend(synonyms(value).iter().map(|s| s.to_string()));
            Choice {
                target: value.to_string(),
                names,
            }
        })
        .collect()
}

/// What the big CRMs' exports call Velocity's enumeration values.
fn synonyms(value: &str) -> &'static [&'static str] {
    match value {
        "call" => &[
            "phone call",
            "phone",
            "log a call",
            "logged call",
            "outbound call",
        ],
        "email" => &["e-mail", "mail", "sent email", "email sent"],
        "meeting" => &["event", "appointment", "demo", "calendar event"],
        "note" => &["comment", "notes"],
        "visit" => &["site visit", "showing", "viewing", "on site"],
        "available" => &["active", "in stock", "for sale", "listed", "on market"],
        "reserved" => &["pending", "under offer", "on hold", "under contract"],
        "sold" => &["closed", "off market", "inactive"],
        "won" => &["closed won", "closedwon"],
        "lost" => &["closed lost", "closedlost"],
        "open" => &["in progress", "active"],
        "best_case" => &["upside"],
        "commit" => &["committed"],
        "omitted" => &["omit", "excluded"],
        "done" => &["completed", "complete", "closed"],
        _ => &[],
    }
}

pub(crate) fn fold(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The best choice for a source value, with its confidence and why; `None` if nothing is
/// close enough.
pub fn best_choice(source: &str, choices: &[Choice]) -> Option<(String, f64, String)> {
    let wanted = fold(source);
    if wanted.is_empty() {
        return None;
    }
    let mut best: Option<(String, f64, String)> = None;
    for choice in choices {
        for name in &choice.names {
            let name = fold(name);
            let (score, reason) = if name == wanted {
                (1.0, format!("same name as `{}`", choice.target))
            } else {
                let similarity = strsim::jaro_winkler(&name, &wanted);
                (
                    similarity * 0.95,
                    format!("spelled like `{}`", choice.target),
                )
            };
            if score >= FUZZY_FLOOR && best.as_ref().is_none_or(|b| score > b.1) {
                best = Some((choice.target.clone(), score, reason));
            }
        }
    }
    best
}

/// A person's value choices, by field and folded source value.
#[derive(Debug, Clone, Default)]
pub struct ValueOverrides(HashMap<(String, String), Option<String>>);

impl ValueOverrides {
    pub fn new(mappings: &[ValueMapping]) -> Self {
        ValueOverrides(
            mappings
                .iter()
                .map(|m| ((m.field.clone(), fold(&m.source)), m.target.clone()))
                .collect(),
        )
    }

    /// The person's choice for a value: `Some(None)` when they chose to leave it unmapped.
    pub fn get(&self, field: &str, source: &str) -> Option<Option<&str>> {
        self.0
            .get(&(field.to_string(), fold(source)))
            .map(|target| target.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stages() -> Vec<Choice> {
        ["Qualified", "Proposal sent", "Negotiation"]
            .iter()
            .map(|s| Choice {
                target: s.to_string(),
                names: vec![s.to_string()],
            })
            .collect()
    }

    #[test]
    fn export_names_map_to_allowed_values() {
        let kinds = enum_choices(&["call", "email", "meeting", "note", "visit"]);
        assert_eq!(best_choice("Phone Call", &kinds).unwrap().0, "call");
        assert_eq!(best_choice("E-Mail", &kinds).unwrap().0, "email");
        assert_eq!(best_choice("Site visit", &kinds).unwrap().0, "visit");
        assert_eq!(best_choice("MEETING", &kinds).unwrap().1, 1.0);
        assert!(best_choice("Lunch", &kinds).is_none());
        let statuses = enum_choices(&["available", "reserved", "sold"]);
        assert_eq!(best_choice("Under Offer", &statuses).unwrap().0, "reserved");
    }

    #[test]
    fn stages_match_by_name_and_spelling() {
        let (target, confidence, _) = best_choice("proposal-sent", &stages()).unwrap();
        assert_eq!((target.as_str(), confidence), ("Proposal sent", 1.0));
        let (target, confidence, _) = best_choice("Negotiaton", &stages()).unwrap();
        assert_eq!(target, "Negotiation");
        assert!((FUZZY_FLOOR..1.0).contains(&confidence));
        assert!(best_choice("Engaging", &stages()).is_none());
        assert!(best_choice("   ", &stages()).is_none());
    }

    #[test]
    fn overrides_win_and_can_leave_a_value_unmapped() {
        let overrides = ValueOverrides::new(&[
            ValueMapping {
                field: "stage_id".into(),
                source: "Engaging".into(),
                target: Some("Qualified".into()),
                confidence: 1.0,
                reason: String::new(),
                rows: None,
            },
            ValueMapping {
                field: "owner_id".into(),
                source: "Nobody".into(),
                target: None,
                confidence: 1.0,
                reason: String::new(),
                rows: None,
            },
        ]);
        assert_eq!(
            overrides.get("stage_id", " engaging "),
            Some(Some("Qualified"))
        );
        assert_eq!(overrides.get("owner_id", "nobody"), Some(None));
        assert_eq!(overrides.get("stage_id", "Won"), None);
    }

    proptest! {
        #[test]
        fn a_choice_always_matches_its_own_name(name in "[A-Za-z][A-Za-z ]{0,20}") {
            prop_assume!(!fold(&name).is_empty());
            let choices = vec![Choice { target: name.clone(), names: vec![name.clone()] }];
            let (target, confidence, _) = best_choice(&name.to_uppercase(), &choices).unwrap();
            prop_assert_eq!(target, name);
            prop_assert_eq!(confidence, 1.0);
        }
    }
}
