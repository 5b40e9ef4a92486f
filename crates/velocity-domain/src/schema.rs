//! The schema of every CRM object: its fields, their types and what each field may be used for
//! (search, filter, sort). Storage, validation, list queries and the OpenAPI document are all
//! driven by these tables, so adding a field is a one-line change here plus a migration.

use serde::Serialize;

/// The objects of the client graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    Account,
    Contact,
    Deal,
    Pipeline,
    Activity,
    Task,
    Product,
}

/// How a field's text feeds the `q` search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// Not searchable.
    No,
    /// Every word is a search term (names, titles).
    Words,
    /// The whole value and, for emails, the part after `@` (so `acme.com` finds its people).
    Whole,
}

/// The type of a field's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldType {
    Text {
        max_len: usize,
    },
    Email,
    Phone,
    Domain,
    Integer {
        min: i64,
    },
    Decimal {
        min: f64,
    },
    Probability,
    Currency,
    Date,
    Timestamp,
    Enum(&'static [&'static str]),
    /// A reference to another record of the same workspace.
    Ref(ObjectKind),
    /// A reference to a member of the workspace (owner, assignee).
    Member,
    /// A stage of the record's pipeline.
    Stage,
    /// Many references, stored in a link table.
    RefList(ObjectKind),
    /// A pipeline's ordered stages, stored in their own table.
    Stages,
}

/// One field of an object.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
    /// Computed by the server; ignored when a client sends it.
    pub read_only: bool,
    pub search: Search,
    /// Usable as an equality filter in list queries (`?status=open`).
    pub filterable: bool,
    /// Usable in `sort`.
    pub sortable: bool,
}

impl Field {
    const fn new(name: &'static str, ty: FieldType) -> Self {
        Field {
            name,
            ty,
            required: false,
            read_only: false,
            search: Search::No,
            filterable: false,
            sortable: false,
        }
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }
    const fn search(mut self, search: Search) -> Self {
        self.search = search;
        self
    }
    const fn filter(mut self) -> Self {
        self.filterable = true;
        self
    }
    const fn sort(mut self) -> Self {
        self.sortable = true;
        self
    }

    /// Whether the value lives in a column of the object's own table.
    pub fn is_column(&self) -> bool {
        !matches!(self.ty, FieldType::RefList(_) | FieldType::Stages)
    }
}

const fn text(name: &'static str, max_len: usize) -> Field {
    Field::new(name, FieldType::Text { max_len })
}
const fn owner() -> Field {
    Field::new("owner_id", FieldType::Member).filter()
}

const NAME: Field = text("name", 500).required().search(Search::Words).sort();

pub const DEAL_STATUSES: &[&str] = &["open", "won", "lost"];
pub const FORECAST_CATEGORIES: &[&str] = &["pipeline", "best_case", "commit", "closed", "omitted"];
pub const ACTIVITY_KINDS: &[&str] = &["call", "email", "meeting", "note", "visit"];
pub const TASK_STATUSES: &[&str] = &["open", "done"];
pub const PRODUCT_STATUSES: &[&str] = &["available", "reserved", "sold"];
pub const STAGE_KINDS: &[&str] = &["open", "won", "lost"];

const ACCOUNT_FIELDS: &[Field] = &[
    NAME,
    Field::new("domain", FieldType::Domain)
        .search(Search::Whole)
        .filter()
        .sort(),
    text("industry", 200).filter().sort(),
    Field::new("employees", FieldType::Integer { min: 0 }).sort(),
    Field::new("annual_revenue", FieldType::Decimal { min: 0.0 }).sort(),
    Field::new("phone", FieldType::Phone),
    text("website", 2048),
    text("address", 1000),
    owner(),
];

const CONTACT_FIELDS: &[Field] = &[
    text("first_name", 200).search(Search::Words).sort(),
    text("last_name", 200).search(Search::Words).sort(),
    Field::new("email", FieldType::Email)
        .search(Search::Whole)
        .filter()
        .sort(),
    Field::new("phone", FieldType::Phone).search(Search::Whole),
    text("title", 300).sort(),
    Field::new("account_id", FieldType::Ref(ObjectKind::Account)).filter(),
    owner(),
];

const PIPELINE_FIELDS: &[Field] = &[NAME, Field::new("stages", FieldType::Stages).required()];

const DEAL_FIELDS: &[Field] = &[
    NAME,
    Field::new("pipeline_id", FieldType::Ref(ObjectKind::Pipeline)).filter(),
    Field::new("stage_id", FieldType::Stage).filter(),
    Field::new("amount", FieldType::Decimal { min: 0.0 }).sort(),
    Field::new("currency", FieldType::Currency).filter(),
    Field::new("close_date", FieldType::Date).filter().sort(),
    Field::new("account_id", FieldType::Ref(ObjectKind::Account)).filter(),
    Field::new("contact_ids", FieldType::RefList(ObjectKind::Contact)),
    Field::new("product_ids", FieldType::RefList(ObjectKind::Product)),
    Field::new("probability", FieldType::Probability),
    Field::new("forecast_category", FieldType::Enum(FORECAST_CATEGORIES)).filter(),
    text("lost_reason", 2000),
    Field::new("status", FieldType::Enum(DEAL_STATUSES))
        .read_only()
        .filter()
        .sort(),
    Field::new("closed_at", FieldType::Timestamp)
        .read_only()
        .sort(),
    owner(),
];

const ACTIVITY_FIELDS: &[Field] = &[
    Field::new("kind", FieldType::Enum(ACTIVITY_KINDS))
        .required()
        .filter(),
    text("subject", 500),
    text("body", 100_000),
    Field::new("occurred_at", FieldType::Timestamp).sort(),
    Field::new("duration_minutes", FieldType::Integer { min: 0 }),
    Field::new("contact_id", FieldType::Ref(ObjectKind::Contact)).filter(),
    Field::new("account_id", FieldType::Ref(ObjectKind::Account)).filter(),
    Field::new("deal_id", FieldType::Ref(ObjectKind::Deal)).filter(),
    owner(),
];

const TASK_FIELDS: &[Field] = &[
    text("title", 500).required().search(Search::Words).sort(),
    Field::new("due_at", FieldType::Timestamp).sort(),
    Field::new("status", FieldType::Enum(TASK_STATUSES)).filter(),
    Field::new("completed_at", FieldType::Timestamp)
        .read_only()
        .sort(),
    Field::new("assignee_id", FieldType::Member).filter(),
    Field::new("contact_id", FieldType::Ref(ObjectKind::Contact)).filter(),
    Field::new("account_id", FieldType::Ref(ObjectKind::Account)).filter(),
    Field::new("deal_id", FieldType::Ref(ObjectKind::Deal)).filter(),
    owner(),
];

const PRODUCT_FIELDS: &[Field] = &[
    NAME,
    text("sku", 100).search(Search::Whole).filter().sort(),
    text("category", 200).filter().sort(),
    Field::new("price", FieldType::Decimal { min: 0.0 }).sort(),
    Field::new("currency", FieldType::Currency),
    Field::new("status", FieldType::Enum(PRODUCT_STATUSES)).filter(),
    owner(),
];

/// Fields every record has, managed by the server.
pub const SYSTEM_FIELDS: &[&str] = &["id", "version", "created_at", "updated_at", "attributes"];

impl ObjectKind {
    pub const ALL: [ObjectKind; 7] = [
        ObjectKind::Account,
        ObjectKind::Contact,
        ObjectKind::Deal,
        ObjectKind::Pipeline,
        ObjectKind::Activity,
        ObjectKind::Task,
        ObjectKind::Product,
    ];

    /// The singular name used in events and errors.
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Account => "account",
            ObjectKind::Contact => "contact",
            ObjectKind::Deal => "deal",
            ObjectKind::Pipeline => "pipeline",
            ObjectKind::Activity => "activity",
            ObjectKind::Task => "task",
            ObjectKind::Product => "product",
        }
    }

    /// The plural used in URLs, which is also the table name.
    pub fn plural(self) -> &'static str {
        match self {
            ObjectKind::Account => "accounts",
            ObjectKind::Contact => "contacts",
            ObjectKind::Deal => "deals",
            ObjectKind::Pipeline => "pipelines",
            ObjectKind::Activity => "activities",
            ObjectKind::Task => "tasks",
            ObjectKind::Product => "products",
        }
    }

    pub fn from_plural(plural: &str) -> Option<ObjectKind> {
        Self::ALL.into_iter().find(|k| k.plural() == plural)
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            ObjectKind::Account => ACCOUNT_FIELDS,
            ObjectKind::Contact => CONTACT_FIELDS,
            ObjectKind::Deal => DEAL_FIELDS,
            ObjectKind::Pipeline => PIPELINE_FIELDS,
            ObjectKind::Activity => ACTIVITY_FIELDS,
            ObjectKind::Task => TASK_FIELDS,
            ObjectKind::Product => PRODUCT_FIELDS,
        }
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// Fields stored as columns of the object's table, in declaration order.
    pub fn columns(self) -> impl Iterator<Item = &'static Field> {
        self.fields().iter().filter(|f| f.is_column())
    }

    /// Whether `field` may be used in `sort` (its own sortable fields plus the timestamps).
    pub fn sortable(self, field: &str) -> bool {
        matches!(field, "created_at" | "updated_at")
            || self.field(field).is_some_and(|f| f.sortable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_object_round_trips_its_plural_and_has_unique_fields() {
        for kind in ObjectKind::ALL {
            assert_eq!(ObjectKind::from_plural(kind.plural()), Some(kind));
            let mut names: Vec<_> = kind.fields().iter().map(|f| f.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), kind.fields().len(), "{kind:?}");
            assert!(names.iter().all(|n| !SYSTEM_FIELDS.contains(n)));
        }
    }
}
