//! Which [`Trait`] a stored field or a custom attribute holds, judged by its name, and the
//! profile of a stored record built from them.

use super::profile::{Profile, Trait};
use serde_json::{Map, Value};
use velocity_domain::ObjectKind;

/// Which trait a custom attribute holds, judged by its name (`billing_city` is a locality).
pub fn trait_of_attribute(name: &str) -> Option<Trait> {
    let key = crate::mapping::attribute_key(name);
    let words: Vec<&str> = key.split('_').collect();
    let has = |w: &str| words.contains(&w);
    let squashed = key.replace('_', "");
    let rules: [(bool, Trait); 17] = [
        (
            has("dob") || squashed.contains("birth") || has("birthday"),
            Trait::BirthDate,
        ),
        (
            [
                "ssn",
                "socsecid",
                "nationalid",
                "taxid",
                "vat",
                "vatnumber",
                "nin",
                "ein",
            ]
            .contains(&squashed.as_str())
                || squashed.contains("socialsecurity")
                || squashed.contains("registrationnumber")
                || squashed.contains("passport"),
            Trait::Identifier,
        ),
        (
            [
                "streetnumber",
                "housenumber",
                "buildingnumber",
                "streetno",
                "houseno",
            ]
            .contains(&squashed.as_str()),
            Trait::StreetNumber,
        ),
        (
            has("zip") || has("zipcode") || has("postcode") || squashed.contains("postalcode"),
            Trait::Postcode,
        ),
        (has("email") || has("mail"), Trait::Email),
        (
            has("phone") || has("mobile") || has("telephone") || has("tel") || has("fax"),
            Trait::Phone,
        ),
        (
            has("domain") || has("website") || has("url") || has("web"),
            Trait::Domain,
        ),
        (
            has("city") || has("suburb") || has("town") || has("locality") || has("village"),
            Trait::Locality,
        ),
        (
            has("state") || has("region") || has("province") || has("county"),
            Trait::Region,
        ),
        (has("country"), Trait::Country),
        (
            has("street") || squashed.starts_with("address") || has("line1") || has("line2"),
            Trait::Street,
        ),
        (
            ["firstname", "givenname", "forename"].contains(&squashed.as_str()),
            Trait::GivenName,
        ),
        (
            ["lastname", "surname", "familyname"].contains(&squashed.as_str()),
            Trait::FamilyName,
        ),
        (
            ["fullname", "contactname", "personname"].contains(&squashed.as_str()),
            Trait::FullName,
        ),
        (
            [
                "company",
                "companyname",
                "employer",
                "employername",
                "organisation",
                "organization",
                "organisationname",
                "organizationname",
                "account",
                "accountname",
                "business",
                "businessname",
            ]
            .contains(&squashed.as_str()),
            Trait::Organisation,
        ),
        (
            has("cuisine") || has("category") || has("industry") || has("sector"),
            Trait::Category,
        ),
        (squashed == "title" || squashed == "jobtitle", Trait::Title),
    ];
    rules.into_iter().find(|(hit, _)| *hit).map(|(_, t)| t)
}

/// The trait of a field of an object, if the field says who or what the record is.
fn trait_of_field(object: ObjectKind, field: &str) -> Option<Trait> {
    Some(match (object, field) {
        (ObjectKind::Contact, "first_name") => Trait::GivenName,
        (ObjectKind::Contact, "last_name") => Trait::FamilyName,
        (ObjectKind::Contact, "title") => Trait::Title,
        (_, "email") => Trait::Email,
        (_, "phone") => Trait::Phone,
        (_, "domain" | "website") => Trait::Domain,
        (_, "address") => Trait::Street,
        (_, "industry") => Trait::Category,
        (ObjectKind::Contact, _) => return None,
        (_, "name") => Trait::Organisation,
        _ => return None,
    })
}

/// Whether a text is a record id (a UUID) rather than a name.
fn looks_like_id(text: &str) -> bool {
    text.len() == 36 && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// The profile of a stored (or prepared) record: its fields by their meaning for the object,
/// its custom attributes by what their names say. A contact's employer can be passed as the
/// attribute `company` (a prepared import row's `account_id`, still a name, is used as well).
pub fn profile_of(
    object: ObjectKind,
    values: &Map<String, Value>,
    attributes: &Map<String, Value>,
) -> Profile {
    let mut profile = Profile::new();
    let text = |value: &Value| match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    for (name, value) in values {
        if let (Some(t), Some(v)) = (trait_of_field(object, name), text(value)) {
            profile.add(t, &v);
        }
    }
    // A prepared import row still holds the employer's name where a stored contact holds the
    // account's id.
    if object == ObjectKind::Contact {
        if let Some(Value::String(account)) = values.get("account_id") {
            if !looks_like_id(account) {
                profile.add(Trait::Organisation, account);
            }
        }
    }
    for (name, value) in attributes {
        if let (Some(t), Some(v)) = (trait_of_attribute(name), text(value)) {
            profile.add(t, &v);
        }
    }
    profile.shrink_to_fit();
    profile
}
