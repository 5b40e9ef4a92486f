//! What enumerated values can become in this workspace: the default pipeline's stages and the
//! members (for owners). The commit resolves each value through here, and the preview lists
//! every distinct value with the target it will get, so what is shown is what is applied.

use super::lookup::{self, fold};
use crate::error::StoreError;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};
use velocity_domain::{FieldType, ObjectKind};
use velocity_import::values::{best_choice, enum_choices, Choice, ValueOverrides};
use velocity_import::ValueMapping;

/// A stage: (id, name, kind, probability), in pipeline order.
pub(crate) type Stage = (String, String, String, f64);

fn resolved(stage: &Stage, confidence: f64, reason: String) -> Resolved<'_> {
    Resolved {
        id: &stage.0,
        label: &stage.1,
        confidence,
        reason,
    }
}

/// A value resolved to something the workspace has.
pub(crate) struct Resolved<'a> {
    pub id: &'a str,
    /// What a person would call it (the stage name, the member's email).
    pub label: &'a str,
    pub confidence: f64,
    pub reason: String,
}

pub(crate) struct Choices {
    pub stages: Vec<Stage>,
    members: HashMap<String, String>,
    member_choices: Vec<Choice>,
}

impl Choices {
    pub async fn load(
        conn: &mut AnyConnection,
        workspace: &str,
        pipeline: Option<&str>,
        kind: ObjectKind,
    ) -> Result<Choices, StoreError> {
        let stages = match (pipeline, kind) {
            (Some(pipeline), ObjectKind::Deal) => lookup::stages(conn, workspace, pipeline).await?,
            _ => Vec::new(),
        };
        let people = lookup::members(conn, workspace).await?;
        let mut members = HashMap::new();
        let mut member_choices = Vec::new();
        for (id, name, email) in people {
            members.insert(fold(&email), id.clone());
            members.entry(fold(&name)).or_insert_with(|| id.clone());
            members.insert(id.clone(), id);
            member_choices.push(Choice {
                target: email.clone(),
                names: vec![name, email],
            });
        }
        Ok(Choices {
            stages,
            members,
            member_choices,
        })
    }

    /// The stage a file's stage name means: the same name, the won / lost stage for names such
    /// as `Closed Won`, or a stage spelled almost the same.
    pub fn stage(&self, text: &str) -> Option<Resolved<'_>> {
        let folded = fold(text);
        if let Some(stage) = self.stages.iter().find(|s| fold(&s.1) == folded) {
            return Some(resolved(stage, 1.0, "same name".into()));
        }
        for kind in ["won", "lost"] {
            if folded
                .split(' ')
                .any(|w| w == kind || w == format!("closed{kind}"))
            {
                if let Some(stage) = self.stages.iter().find(|s| s.2 == kind) {
                    return Some(resolved(stage, 0.9, format!("a {kind} stage")));
                }
            }
        }
        let names: Vec<Choice> = self
            .stages
            .iter()
            .map(|s| Choice {
                target: s.0.clone(),
                names: vec![s.1.clone()],
            })
            .collect();
        let (id, confidence, _) = best_choice(text, &names)?;
        let stage = self.stages.iter().find(|s| s.0 == id)?;
        Some(resolved(
            stage,
            confidence,
            format!("spelled like `{}`", stage.1),
        ))
    }

    /// The member a file's owner means, by email, name or a close spelling of either.
    pub fn member(&self, text: &str) -> Option<Resolved<'_>> {
        if let Some((key, id)) = self.members.get_key_value(&fold(text)) {
            return Some(Resolved {
                id,
                label: key,
                confidence: 1.0,
                reason: "same name or email".into(),
            });
        }
        let (email, confidence, reason) = best_choice(text, &self.member_choices)?;
        let (label, id) = self.members.get_key_value(&fold(&email))?;
        Some(Resolved {
            id,
            label,
            confidence,
            reason,
        })
    }

    /// Where one distinct value of an enumerated field goes, for the preview.
    pub fn propose(
        &self,
        field: &str,
        ty: FieldType,
        source: &str,
        overrides: &ValueOverrides,
    ) -> ValueMapping {
        let mapping = |target: Option<&str>, confidence: f64, reason: String| ValueMapping {
            field: field.to_string(),
            source: source.to_string(),
            target: target.map(str::to_string),
            confidence,
            reason,
            rows: None,
        };
        if let Some(target) = overrides.get(field, source) {
            return mapping(target, 1.0, "chosen by a person".into());
        }
        match ty {
            FieldType::Stage => match self.stage(source) {
                Some(stage) => mapping(Some(stage.label), stage.confidence, stage.reason),
                None => mapping(
                    Some(source.trim()),
                    1.0,
                    "the pipeline has no such stage; the commit adds it".into(),
                ),
            },
            FieldType::Member => match self.member(source) {
                Some(member) => mapping(Some(member.label), member.confidence, member.reason),
                None => mapping(
                    None,
                    0.0,
                    "no member has this name or email; kept as an attribute".into(),
                ),
            },
            FieldType::Enum(allowed) => match best_choice(source, &enum_choices(allowed)) {
                Some((value, confidence, reason)) => mapping(Some(&value), confidence, reason),
                None => mapping(
                    None,
                    0.0,
                    format!("not one of {}; these rows fail", allowed.join(", ")),
                ),
            },
            _ => mapping(Some(source), 1.0, String::new()),
        }
    }
}

/// Distinct values per enumerated field with how many rows hold each, for the preview.
#[derive(Default)]
pub(crate) struct Tally {
    values: BTreeMap<(String, String), u64>,
    distinct: HashMap<String, usize>,
}

/// Beyond this many distinct values a column is free text, not an enumeration.
const MAX_DISTINCT: usize = 500;

impl Tally {
    pub fn add(&mut self, field: &str, source: &str) {
        let source = source.trim();
        if source.is_empty() {
            return;
        }
        let key = (field.to_string(), source.to_string());
        if let Some(n) = self.values.get_mut(&key) {
            *n += 1;
            return;
        }
        let distinct = self.distinct.entry(field.to_string()).or_default();
        if *distinct < MAX_DISTINCT {
            *distinct += 1;
            self.values.insert(key, 1);
        }
    }

    pub fn into_mappings(
        self,
        kind: ObjectKind,
        choices: &Choices,
        overrides: &ValueOverrides,
    ) -> Vec<ValueMapping> {
        self.values
            .into_iter()
            .filter_map(|((field, source), rows)| {
                let ty = kind.field(&field)?.ty;
                let mut mapping = choices.propose(&field, ty, &source, overrides);
                mapping.rows = Some(rows);
                Some(mapping)
            })
            .collect()
    }
}
