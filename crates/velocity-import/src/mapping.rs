//! Proposing where each column goes. Column names are matched against what the big CRMs call
//! their fields in exports (HubSpot's `Email Address`, Salesforce's `STAGENAME`, Zoho's
//! `Potential Name`, Pipedrive's `Deal - Value`, Maven's `close_value`); columns whose name says
//! nothing are judged by their values (a column of emails is an email). Whatever is not a field
//! becomes an attribute under its own name: a column is never dropped unless a person says so.

use crate::dates::DayOrder;
use crate::values::{is_enumerated, ValueMapping};
use serde::{Deserialize, Serialize};
use std::fmt;
use velocity_domain::{FieldType, ObjectKind};

/// Where one column's values go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A field of the object (references are resolved by name, domain, email or external id).
    Field(&'static str),
    /// A contact's whole name, split into first and last.
    FullName,
    /// The record's id in the system it came from; a match key and kept as an attribute.
    ExternalId,
    /// A custom attribute.
    Attribute(String),
    Ignore,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Field(name) => f.write_str(name),
            Target::FullName => f.write_str("full_name"),
            Target::ExternalId => f.write_str("external_id"),
            Target::Attribute(name) => write!(f, "attribute:{name}"),
            Target::Ignore => f.write_str("ignore"),
        }
    }
}

/// The attribute key external ids are kept under.
pub const EXTERNAL_ID_ATTRIBUTE: &str = "external_id";

impl Target {
    /// Parses a target as the API names it, for the object being imported.
    pub fn parse(text: &str, object: ObjectKind) -> Result<Target, String> {
        if let Some(name) = text.strip_prefix("attribute:") {
            let key = attribute_key(name);
            return if key.is_empty() {
                Err("an attribute needs a name, as in `attribute:region`".into())
            } else {
                Ok(Target::Attribute(key))
            };
        }
        match text {
            "ignore" => return Ok(Target::Ignore),
            "external_id" => return Ok(Target::ExternalId),
            "full_name" if object == ObjectKind::Contact => return Ok(Target::FullName),
            _ => {}
        }
        match object.field(text) {
            Some(field) if importable(field) => Ok(Target::Field(field.name)),
            _ => Err(format!(
                "`{text}` is not a field of {}; use one of {}, `attribute:<name>` or `ignore`",
                object.plural(),
                targets(object).join(", ")
            )),
        }
    }
}

fn importable(field: &velocity_domain::Field) -> bool {
    !field.read_only && !matches!(field.ty, FieldType::Stages)
}

/// Every field target an object accepts, for error messages and the API documentation.
pub fn targets(object: ObjectKind) -> Vec<String> {
    let mut names: Vec<String> = object
        .fields()
        .iter()
        .filter(|f| importable(f))
        .map(|f| f.name.to_string())
        .collect();
    if object == ObjectKind::Contact {
        names.push("full_name".into());
    }
    names.push("external_id".into());
    names
}

/// A column name as an attribute key: lower case, words joined by `_`.
pub fn attribute_key(name: &str) -> String {
    let mut key = String::new();
    for c in name.trim().chars() {
        if c.is_alphanumeric() {
            // Some lower cases add marks (`İ` is `i` and a combining dot): only letters and
            // digits are kept, so a key read back as a target is the same key.
            key.extend(c.to_lowercase().filter(|l| l.is_alphanumeric()));
        } else if !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    key.trim_end_matches('_').to_string()
}

/// A header reduced to letters and digits, so `First Name`, `first_name` and `FIRSTNAME` agree.
fn squash(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Known export column names per object and target, squashed.
fn known_headers(object: ObjectKind) -> &'static [(&'static str, &'static [&'static str])] {
    match object {
        ObjectKind::Contact => &[
            (
                "first_name",
                &["firstname", "first", "givenname", "fname", "forename"],
            ),
            (
                "last_name",
                &["lastname", "last", "surname", "familyname", "lname"],
            ),
            (
                "full_name",
                &["name", "fullname", "contactname", "contact", "personname"],
            ),
            (
                "email",
                &[
                    "email",
                    "emailaddress",
                    "email1",
                    "primaryemail",
                    "workemail",
                    "mail",
                    "emailaddresses",
                ],
            ),
            (
                "phone",
                &[
                    "phone",
                    "phonenumber",
                    "mobile",
                    "mobilephone",
                    "mobilenumber",
                    "telephone",
                    "tel",
                    "workphone",
                    "cell",
                    "cellphone",
                    "directphone",
                    "businessphone",
                ],
            ),
            ("title", &["title", "jobtitle", "position", "designation"]),
            (
                "account_id",
                &[
                    "company",
                    "companyname",
                    "account",
                    "accountname",
                    "organization",
                    "organisation",
                    "organizationname",
                    "employer",
                    "accountid",
                    "associatedcompany",
                ],
            ),
            (
                "owner_id",
                &[
                    "owner",
                    "contactowner",
                    "ownerid",
                    "assignedto",
                    "recordowner",
                    "salesrep",
                    "salesagent",
                    "ownername",
                ],
            ),
            (
                "external_id",
                &[
                    "id",
                    "contactid",
                    "recordid",
                    "externalid",
                    "hubspotid",
                    "leadid",
                    "personid",
                ],
            ),
        ],
        ObjectKind::Account => &[
            (
                "name",
                &[
                    "name",
                    "accountname",
                    "company",
                    "companyname",
                    "account",
                    "organization",
                    "organisation",
                    "organizationname",
                ],
            ),
            (
                "domain",
                &[
                    "domain",
                    "companydomain",
                    "companydomainname",
                    "emaildomain",
                ],
            ),
            (
                "website",
                &["website", "web", "url", "homepage", "websiteurl"],
            ),
            ("industry", &["industry", "sector", "vertical"]),
            (
                "employees",
                &[
                    "employees",
                    "numberofemployees",
                    "employeecount",
                    "headcount",
                    "noofemployees",
                ],
            ),
            (
                "annual_revenue",
                &["annualrevenue", "revenue", "yearlyrevenue"],
            ),
            (
                "phone",
                &[
                    "phone",
                    "phonenumber",
                    "telephone",
                    "companyphone",
                    "mainphone",
                ],
            ),
            (
                "address",
                &[
                    "address",
                    "billingstreet",
                    "street",
                    "streetaddress",
                    "billingaddress",
                    "address1",
                ],
            ),
            (
                "owner_id",
                &[
                    "owner",
                    "accountowner",
                    "companyowner",
                    "ownerid",
                    "assignedto",
                    "salesrep",
                ],
            ),
            (
                "external_id",
                &[
                    "id",
                    "accountid",
                    "companyid",
                    "recordid",
                    "externalid",
                    "organizationid",
                ],
            ),
        ],
        ObjectKind::Deal => &[
            (
                "name",
                &[
                    "name",
                    "dealname",
                    "opportunityname",
                    "potentialname",
                    "deal",
                    "opportunity",
                    "dealtitle",
                    "title",
                    "subject",
                ],
            ),
            (
                "stage_id",
                &[
                    "stage",
                    "dealstage",
                    "stagename",
                    "salesstage",
                    "pipelinestage",
                    "opportunitystage",
                    "status",
                ],
            ),
            (
                "pipeline_id",
                &["pipeline", "pipelinename", "salespipeline"],
            ),
            (
                "amount",
                &[
                    "amount",
                    "dealamount",
                    "value",
                    "dealvalue",
                    "closevalue",
                    "opportunityamount",
                    "amountusd",
                    "totalamount",
                ],
            ),
            (
                "currency",
                &[
                    "currency",
                    "currencyisocode",
                    "currencycode",
                    "dealcurrency",
                ],
            ),
            (
                "close_date",
                &[
                    "closedate",
                    "closingdate",
                    "expectedclosedate",
                    "expectedclosingdate",
                    "closedon",
                    "dateclosed",
                ],
            ),
            (
                "probability",
                &[
                    "probability",
                    "winprobability",
                    "dealprobability",
                    "probabilitypercent",
                ],
            ),
            (
                "forecast_category",
                &["forecastcategory", "forecastcategoryname", "forecasttype"],
            ),
            (
                "lost_reason",
                &[
                    "lostreason",
                    "closedlostreason",
                    "reasonforloss",
                    "lossreason",
                ],
            ),
            (
                "account_id",
                &[
                    "account",
                    "accountname",
                    "accountid",
                    "company",
                    "companyname",
                    "organization",
                    "organisation",
                    "associatedcompany",
                ],
            ),
            (
                "contact_ids",
                &[
                    "contact",
                    "contacts",
                    "contactname",
                    "contactemail",
                    "associatedcontact",
                    "contactid",
                    "person",
                ],
            ),
            (
                "product_ids",
                &["product", "products", "productname", "lineitems"],
            ),
            (
                "owner_id",
                &[
                    "owner",
                    "dealowner",
                    "opportunityowner",
                    "ownerid",
                    "salesagent",
                    "salesrep",
                    "assignedto",
                    "ownername",
                ],
            ),
            (
                "external_id",
                &[
                    "id",
                    "dealid",
                    "opportunityid",
                    "potentialid",
                    "recordid",
                    "externalid",
                ],
            ),
        ],
        ObjectKind::Product => &[
            ("name", &["name", "product", "productname", "title", "item"]),
            (
                "sku",
                &["sku", "productcode", "code", "itemcode", "partnumber"],
            ),
            (
                "category",
                &[
                    "category",
                    "series",
                    "family",
                    "productfamily",
                    "type",
                    "producttype",
                ],
            ),
            (
                "price",
                &["price", "salesprice", "unitprice", "listprice", "saleprice"],
            ),
            ("currency", &["currency", "currencyisocode", "currencycode"]),
            ("status", &["status", "availability", "productstatus"]),
            ("owner_id", &["owner", "productowner", "ownerid"]),
            (
                "external_id",
                &["id", "productid", "recordid", "externalid"],
            ),
        ],
        ObjectKind::Activity => &[
            (
                "kind",
                &["type", "activitytype", "kind", "tasksubtype", "eventtype"],
            ),
            ("subject", &["subject", "title", "activitysubject"]),
            (
                "body",
                &[
                    "description",
                    "notes",
                    "body",
                    "comments",
                    "note",
                    "details",
                ],
            ),
            (
                "occurred_at",
                &[
                    "date",
                    "activitydate",
                    "occurredat",
                    "datetime",
                    "startdatetime",
                    "duedate",
                    "donedate",
                ],
            ),
            (
                "duration_minutes",
                &[
                    "duration",
                    "durationminutes",
                    "durationinminutes",
                    "minutes",
                ],
            ),
            (
                "contact_id",
                &[
                    "contact",
                    "contactname",
                    "contactemail",
                    "who",
                    "whoid",
                    "person",
                ],
            ),
            (
                "account_id",
                &["account", "accountname", "company", "organization"],
            ),
            (
                "deal_id",
                &[
                    "deal",
                    "dealname",
                    "opportunity",
                    "opportunityname",
                    "whatid",
                ],
            ),
            ("owner_id", &["owner", "assignedto", "ownerid", "user"]),
            (
                "external_id",
                &["id", "activityid", "recordid", "externalid"],
            ),
        ],
        ObjectKind::Pipeline | ObjectKind::Task => &[],
    }
}

/// The objects a file may be imported as.
pub const IMPORTABLE: [ObjectKind; 5] = [
    ObjectKind::Contact,
    ObjectKind::Account,
    ObjectKind::Deal,
    ObjectKind::Activity,
    ObjectKind::Product,
];

/// One column's proposed (or chosen) destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub column: String,
    /// A [`Target`] as text: a field name, `attribute:<name>`, `full_name`, `external_id` or
    /// `ignore`.
    pub target: String,
    /// 0 to 1: how sure the proposal is (1 for a person's choice).
    pub confidence: f64,
    /// Why, in words.
    pub reason: String,
}

/// Everything that decides how a file becomes records; proposed at upload, changed by a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub columns: Vec<ColumnMapping>,
    pub mode: ImportMode,
    /// Keys that identify an existing record, strongest first (see [`default_match_keys`]).
    pub match_keys: Vec<String>,
    pub day_order: DayOrder,
    /// ISO 3166 country for phone numbers written without a country code.
    pub default_country: String,
    /// A person's choices for values of enumerated columns (stages, owners, kinds, statuses);
    /// values not listed are matched automatically.
    #[serde(default)]
    pub values: Vec<ValueMapping>,
    /// Whether rows that match no key are also compared by name, company, address and the
    /// like (contacts and accounts): sure matches merge, likely ones wait for review.
    #[serde(default = "enabled")]
    pub fuzzy_matching: bool,
}

fn enabled() -> bool {
    true
}

impl Plan {
    /// The columns with parsed targets, or every problem with the plan.
    pub fn resolve(
        &self,
        object: ObjectKind,
        headers: &[String],
    ) -> Result<Vec<crate::rows::Column>, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let mut columns = Vec::new();
        for (index, mapping) in self.columns.iter().enumerate() {
            let Some(position) = headers.iter().position(|h| *h == mapping.column) else {
                errors.push((
                    format!("columns[{index}].column"),
                    format!("the file has no column `{}`", mapping.column),
                ));
                continue;
            };
            match Target::parse(&mapping.target, object) {
                Ok(target) => columns.push(crate::rows::Column {
                    index: position,
                    name: mapping.column.clone(),
                    target,
                }),
                Err(message) => errors.push((format!("columns[{index}].target"), message)),
            }
        }
        let allowed = default_match_keys(object);
        for (index, key) in self.match_keys.iter().enumerate() {
            if !allowed.contains(key) {
                errors.push((
                    format!("match_keys[{index}]"),
                    format!(
                        "`{key}` is not a match key of {}; use {}",
                        object.plural(),
                        allowed.join(", ")
                    ),
                ));
            }
        }
        if !crate::phone::is_known_country(&self.default_country) {
            errors.push((
                "default_country".into(),
                format!(
                    "`{}` is not a country code Velocity knows",
                    self.default_country
                ),
            ));
        }
        for (index, choice) in self.values.iter().enumerate() {
            if let Err(message) = check_value_choice(object, choice) {
                errors.push((format!("values[{index}]"), message));
            }
        }
        if errors.is_empty() {
            Ok(columns)
        } else {
            Err(errors)
        }
    }
}

/// A person's changes to a plan (`PUT …/mapping`, `velocity import --mapping`); what is left
/// out keeps its current value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanChanges {
    pub columns: Option<Vec<ColumnChoice>>,
    pub mode: Option<ImportMode>,
    pub match_keys: Option<Vec<String>>,
    pub day_order: Option<DayOrder>,
    pub default_country: Option<String>,
    /// Value choices; each replaces any earlier choice for the same field and value.
    pub values: Option<Vec<ValueChoice>>,
    pub fuzzy_matching: Option<bool>,
}

/// One value of an enumerated column sent somewhere by a person (`target: null` leaves it
/// unmapped).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueChoice {
    pub field: String,
    pub source: String,
    pub target: Option<String>,
}

/// One column sent somewhere by a person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnChoice {
    pub column: String,
    pub target: String,
}

impl Plan {
    /// The plan proposed for a file before anyone has looked at it: a target per column, every
    /// row matched and updated by the object's keys, dates read in the order the sample shows.
    pub fn propose(object: ObjectKind, headers: &[String], sample: &[Vec<String>]) -> Plan {
        Plan {
            columns: propose(object, headers, sample),
            mode: ImportMode::CreateAndUpdate,
            match_keys: default_match_keys(object),
            day_order: DayOrder::detect(
                sample.iter().flatten().map(String::as_str),
                DayOrder::MonthFirst,
            ),
            default_country: "US".into(),
            values: Vec::new(),
            fuzzy_matching: true,
        }
    }

    /// Applies a person's changes, then checks the result against the file's columns.
    pub fn apply(
        &mut self,
        changes: PlanChanges,
        object: ObjectKind,
        headers: &[String],
    ) -> Result<(), Vec<(String, String)>> {
        for choice in changes.columns.unwrap_or_default() {
            let chosen = ColumnMapping {
                column: choice.column.clone(),
                target: choice.target,
                confidence: 1.0,
                reason: "chosen by a person".into(),
            };
            match self.columns.iter_mut().find(|c| c.column == choice.column) {
                Some(existing) => *existing = chosen,
                None => self.columns.push(chosen),
            }
        }
        if let Some(mode) = changes.mode {
            self.mode = mode;
        }
        if let Some(keys) = changes.match_keys {
            self.match_keys = keys;
        }
        if let Some(order) = changes.day_order {
            self.day_order = order;
        }
        if let Some(country) = changes.default_country {
            self.default_country = country.to_uppercase();
        }
        if let Some(fuzzy) = changes.fuzzy_matching {
            self.fuzzy_matching = fuzzy;
        }
        for choice in changes.values.unwrap_or_default() {
            self.values
                .retain(|v| !(v.field == choice.field && v.source == choice.source));
            self.values.push(ValueMapping {
                field: choice.field,
                source: choice.source,
                target: choice.target,
                confidence: 1.0,
                reason: "chosen by a person".into(),
                rows: None,
            });
        }
        self.resolve(object, headers).map(|_| ())
    }
}

/// A value choice must name an enumerated field of the object and, for a fixed enumeration,
/// one of its values.
fn check_value_choice(object: ObjectKind, choice: &ValueMapping) -> Result<(), String> {
    let field = object
        .field(&choice.field)
        .filter(|f| is_enumerated(f.ty))
        .ok_or_else(|| {
            format!(
                "`{}` is not a field of {} whose values can be mapped",
                choice.field,
                object.plural()
            )
        })?;
    match (field.ty, choice.target.as_deref()) {
        (FieldType::Enum(allowed), Some(target)) if !allowed.contains(&target) => {
            Err(format!("`{target}` is not one of {}", allowed.join(", ")))
        }
        _ => Ok(()),
    }
}

/// What values in a sample look like, per column.
#[derive(Debug, Default, Clone, Copy)]
struct ValueKinds {
    filled: usize,
    emails: usize,
    phones: usize,
    dates: usize,
    numbers: usize,
    domains: usize,
}

fn value_kinds<'a>(values: impl Iterator<Item = &'a str>) -> ValueKinds {
    let mut kinds = ValueKinds::default();
    for value in values.map(str::trim).filter(|v| !v.is_empty()) {
        kinds.filled += 1;
        if velocity_domain::values::parse_email(value).is_ok() {
            kinds.emails += 1;
        } else if crate::normalise::parse_number(value).is_ok() && !value.contains(['/', ':']) {
            kinds.numbers += 1;
            if value.starts_with('+') && crate::phone::to_e164(value, "US").is_ok() {
                kinds.phones += 1;
            }
        } else if crate::dates::parse_date(value, DayOrder::MonthFirst).is_ok()
            || crate::dates::parse_date(value, DayOrder::DayFirst).is_ok()
        {
            kinds.dates += 1;
        } else if crate::phone::to_e164(value, "US").is_ok()
            && value.chars().filter(char::is_ascii_digit).count() >= 7
        {
            kinds.phones += 1;
        } else if value.contains('.')
            && !value.contains(' ')
            && velocity_domain::values::parse_domain(value).is_ok()
        {
            kinds.domains += 1;
        }
    }
    kinds
}

/// Proposes a mapping for every column from its name and a sample of its values
/// (`sample[row][column]`).
pub fn propose(
    object: ObjectKind,
    headers: &[String],
    sample: &[Vec<String>],
) -> Vec<ColumnMapping> {
    let known = known_headers(object);
    let mut taken: Vec<Target> = Vec::new();
    let mut proposals: Vec<Option<ColumnMapping>> = vec![None; headers.len()];
    // Exact name matches first, in the order of the known table, so `Account Name` is the
    // account of a deal even if a later `Company` column also names one.
    for (index, header) in headers.iter().enumerate() {
        let squashed = squash(header);
        let hit = known.iter().find_map(|(target, names)| {
            names
                .iter()
                .position(|n| *n == squashed)
                .map(|rank| (*target, rank))
        });
        if let Some((target_name, rank)) = hit {
            let target = target_from_name(target_name, object);
            if taken.contains(&target) {
                continue;
            }
            taken.push(target.clone());
            // The field's own name and its first synonyms are the strongest evidence.
            let confidence = if rank < 3 { 0.95 } else { 0.9 };
            proposals[index] = Some(ColumnMapping {
                column: header.clone(),
                target: target.to_string(),
                confidence,
                reason: format!("the column name `{header}` is a known export name"),
            });
        }
    }
    for (index, header) in headers.iter().enumerate() {
        if proposals[index].is_some() {
            continue;
        }
        let kinds = value_kinds(
            sample
                .iter()
                .filter_map(|row| row.get(index).map(String::as_str)),
        );
        let by_value = sniffed_target(object, kinds)
            .filter(|(t, _)| !taken.contains(t) && !named_otherwise(header, t));
        proposals[index] = Some(match by_value {
            Some((target, share)) => {
                taken.push(target.clone());
                ColumnMapping {
                    column: header.clone(),
                    target: target.to_string(),
                    confidence: (0.5 + share * 0.35).min(0.85),
                    reason: format!("{:.0}% of the sampled values fit", share * 100.0),
                }
            }
            None => ColumnMapping {
                column: header.clone(),
                target: Target::Attribute(column_key(index, header)).to_string(),
                confidence: 0.5,
                reason: "no field matches; kept as a custom attribute".into(),
            },
        });
    }
    proposals.into_iter().flatten().collect()
}

/// The attribute key of a column; a name without a letter or digit (`---`, `#`) is called by
/// its position instead, as a blank name is.
fn column_key(index: usize, header: &str) -> String {
    match attribute_key(header) {
        key if key.is_empty() => format!("column_{}", index + 1),
        key => key,
    }
}

fn target_from_name(name: &'static str, object: ObjectKind) -> Target {
    match name {
        "full_name" => Target::FullName,
        "external_id" => Target::ExternalId,
        _ => object
            .field(name)
            .map_or(Target::Attribute(name.to_string()), |f| {
                Target::Field(f.name)
            }),
    }
}

/// Values that look like a field's but sit under a name that says they are something else:
/// a fax number is written like a phone number but is not the number to call.
fn named_otherwise(header: &str, target: &Target) -> bool {
    const OTHER: &[(&str, &str)] = &[("fax", "phone")];
    let squashed = squash(header);
    OTHER
        .iter()
        .any(|(word, field)| squashed.contains(word) && *target == Target::Field(field))
}

/// A field the values alone point to, with the share of values that fit.
fn sniffed_target(object: ObjectKind, kinds: ValueKinds) -> Option<(Target, f64)> {
    if kinds.filled == 0 {
        return None;
    }
    let share = |n: usize| n as f64 / kinds.filled as f64;
    let candidates: [(usize, &str); 3] = [
        (kinds.emails, "email"),
        (kinds.phones, "phone"),
        (kinds.domains, "domain"),
    ];
    candidates
        .into_iter()
        .filter(|(n, _)| share(*n) >= 0.9)
        .find_map(|(n, name)| {
            object
                .field(name)
                .map(|f| (Target::Field(f.name), share(n)))
        })
}

/// How rows are matched to records that already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// New records only; rows that match an existing record are skipped.
    CreateOnly,
    /// Changes to existing records only; rows that match nothing are skipped.
    UpdateOnly,
    /// Matching rows update their record, the rest create new ones.
    #[default]
    CreateAndUpdate,
}

/// The keys an object can be matched on, strongest first.
pub fn default_match_keys(object: ObjectKind) -> Vec<String> {
    let keys: &[&str] = match object {
        ObjectKind::Contact => &["external_id", "email", "phone"],
        ObjectKind::Account => &["external_id", "domain", "name"],
        ObjectKind::Product => &["external_id", "sku", "name"],
        ObjectKind::Deal => &["external_id", "name"],
        ObjectKind::Activity => &["external_id"],
        ObjectKind::Pipeline | ObjectKind::Task => &[],
    };
    keys.iter().map(|k| k.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(object: ObjectKind, headers: &[&str], rows: &[&[&str]]) -> Vec<String> {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        let sample: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|v| v.to_string()).collect())
            .collect();
        propose(object, &headers, &sample)
            .into_iter()
            .map(|m| m.target)
            .collect()
    }

    #[test]
    fn hubspot_contacts_map_by_name() {
        let targets = mapped(
            ObjectKind::Contact,
            &[
                "First Name",
                "Last Name",
                "Email Address",
                "Phone Number",
                "Company Name",
                "Lifecycle Stage",
                "Contact owner",
            ],
            &[],
        );
        assert_eq!(
            targets,
            [
                "first_name",
                "last_name",
                "email",
                "phone",
                "account_id",
                "attribute:lifecycle_stage",
                "owner_id"
            ]
        );
    }

    #[test]
    fn salesforce_and_zoho_deals_map_by_name() {
        let sf = mapped(
            ObjectKind::Deal,
            &[
                "ID",
                "ACCOUNTID",
                "NAME",
                "STAGENAME",
                "AMOUNT",
                "PROBABILITY",
                "CLOSEDATE",
                "ISDELETED",
            ],
            &[],
        );
        assert_eq!(
            sf,
            [
                "external_id",
                "account_id",
                "name",
                "stage_id",
                "amount",
                "probability",
                "close_date",
                "attribute:isdeleted"
            ]
        );
        let zoho = mapped(
            ObjectKind::Deal,
            &[
                "Potential Name",
                "Closing Date",
                "Sales Stage",
                "Probability (%)",
                "Amount",
            ],
            &[],
        );
        assert_eq!(
            zoho,
            ["name", "close_date", "stage_id", "probability", "amount"]
        );
    }

    #[test]
    fn salesforce_accounts_and_maven_files_map_by_name() {
        // Headers of the Data Loader sample and the Maven export (../shared/data); the
        // `mapping-check` command checks the whole files.
        let sf = mapped(
            ObjectKind::Account,
            &[
                "ID",
                "NAME",
                "TYPE",
                "BILLINGSTREET",
                "BILLINGCITY",
                "PHONE",
                "FAX",
                "WEBSITE",
                "INDUSTRY",
                "ANNUALREVENUE",
                "NUMBEROFEMPLOYEES",
                "OWNERID",
                "ORACLE_ID__C",
            ],
            &[&[
                "001x0000002xLCVAA2",
                "Gravity Investments",
                "",
                "150 Palmer Drive",
                "FORT COLLINS",
                "(970) 555-0100",
                "(970) 555-0101",
                "www.gravity.com",
                "Finance",
                "6.0E7",
                "120",
                "005x0000000fNSiAAM",
                "4-203974",
            ]],
        );
        assert_eq!(
            sf,
            [
                "external_id",
                "name",
                "attribute:type",
                "address",
                "attribute:billingcity",
                "phone",
                "attribute:fax",
                "website",
                "industry",
                "annual_revenue",
                "employees",
                "owner_id",
                "attribute:oracle_id_c"
            ]
        );
        let pipeline = mapped(
            ObjectKind::Deal,
            &[
                "opportunity_id",
                "sales_agent",
                "product",
                "account",
                "deal_stage",
                "engage_date",
                "close_date",
                "close_value",
            ],
            &[],
        );
        assert_eq!(
            pipeline,
            [
                "external_id",
                "owner_id",
                "product_ids",
                "account_id",
                "stage_id",
                "attribute:engage_date",
                "close_date",
                "amount"
            ]
        );
        let accounts = mapped(
            ObjectKind::Account,
            &[
                "account",
                "sector",
                "year_established",
                "revenue",
                "employees",
            ],
            &[],
        );
        assert_eq!(
            accounts,
            [
                "name",
                "industry",
                "attribute:year_established",
                "annual_revenue",
                "employees"
            ]
        );
        let products = mapped(
            ObjectKind::Product,
            &["product", "series", "sales_price"],
            &[],
        );
        assert_eq!(products, ["name", "category", "price"]);
    }

    #[test]
    fn unnamed_columns_are_judged_by_their_values() {
        let targets = mapped(
            ObjectKind::Contact,
            &["col A", "col B", "col C"],
            &[
                &["ana@x.com", "+1 415 555 0100", "blue"],
                &["bo@y.org", "(415) 555-0101", "red"],
            ],
        );
        assert_eq!(targets, ["email", "phone", "attribute:col_c"]);
        // A fax column holds phone-like values but is not the phone to call.
        let fax = mapped(
            ObjectKind::Account,
            &["Name", "Fax"],
            &[&["Acme", "(415) 555-0101"], &["Bo", "+1 415 555 0102"]],
        );
        assert_eq!(fax, ["name", "attribute:fax"]);
    }

    #[test]
    fn columns_named_without_letters_still_resolve() {
        // Found by the fuzzer: a `---` column became `attribute:`, which no plan accepts.
        let headers: Vec<String> = ["---", "İl", "Name"].map(String::from).to_vec();
        let proposed = propose(ObjectKind::Account, &headers, &[]);
        assert_eq!(proposed[0].target, "attribute:column_1");
        assert_eq!(proposed[1].target, "attribute:il");
        for mapping in &proposed {
            let target = Target::parse(&mapping.target, ObjectKind::Account).unwrap();
            assert_eq!(target.to_string(), mapping.target);
        }
        assert_eq!(
            attribute_key(&attribute_key("İSTANBUL Ofis")),
            "istanbul_ofis"
        );
    }

    #[test]
    fn targets_parse_and_refuse_unknown_fields() {
        assert_eq!(
            Target::parse("email", ObjectKind::Contact),
            Ok(Target::Field("email"))
        );
        assert_eq!(
            Target::parse("attribute:Lead Source", ObjectKind::Contact),
            Ok(Target::Attribute("lead_source".into()))
        );
        assert!(Target::parse("emial", ObjectKind::Contact)
            .unwrap_err()
            .contains("not a field"));
        assert!(
            Target::parse("status", ObjectKind::Deal).is_err(),
            "read-only"
        );
        assert!(Target::parse("full_name", ObjectKind::Deal).is_err());
    }
}
