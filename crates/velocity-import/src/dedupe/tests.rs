//! Tests of the duplicate engine: normalisation, comparisons, the model's promises (a record
//! matches itself, scores are symmetric, missing values are neutral), blocking and grouping.

use super::text::{clean, one_edit, soundex, street_tokens};
use super::*;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use velocity_domain::ObjectKind;

fn person(given: &str, family: &str, email: &str) -> Profile {
    Profile::new()
        .with(Trait::GivenName, given)
        .with(Trait::FamilyName, family)
        .with(Trait::Email, email)
}

fn company(name: &str, street: &str, city: &str) -> Profile {
    Profile::new()
        .with(Trait::Organisation, name)
        .with(Trait::Street, street)
        .with(Trait::Locality, city)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[test]
fn text_is_cleaned_and_addresses_written_out() {
    assert_eq!(
        clean("  Arnie Morton's of CHICAGO! "),
        "arnie morton of chicago"
    );
    assert_eq!(clean("Pano's & Paul's"), "pano and paul");
    assert_eq!(clean("Café Zoë"), "cafe zoe");
    assert_eq!(clean("İSTANBUL"), "istanbul");
    assert_eq!(
        street_tokens("435 S. La Cienega Blvd.").join(" "),
        "435 s la cienega boulevard"
    );
    assert_eq!(
        street_tokens("854 Seventh Ave.").join(" "),
        "854 7th avenue"
    );
    assert_eq!(street_tokens("7 Claude La.").join(" "), "7 claude lane");
    assert_eq!(street_tokens("St James Rd").join(" "), "saint james road");
}

#[test]
fn soundex_and_edits() {
    assert_eq!(soundex("robert"), "r163");
    assert_eq!(soundex("rupert"), "r163");
    assert_eq!(soundex("tymczak"), "t522");
    assert!(one_edit("siggins", "siggyins"));
    assert!(one_edit("5752610", "5752601"));
    assert!(one_edit("kempsey", "kempsye"));
    assert!(!one_edit("kempsey", "kmepsye"));
    assert!(!one_edit("white", "whitest"));
}

#[test]
fn profiles_normalise_values() {
    let p = Profile::new()
        .with(Trait::FullName, "Dr. Smith, Anna-Lena")
        .with(Trait::Email, " Anna@Example.COM ")
        .with(Trait::Phone, "+1 (415) 555-0100")
        .with(Trait::Domain, "https://www.Example.com/about")
        .with(Trait::Street, "12 Main St.")
        .with(Trait::Locality, "New York City")
        .with(Trait::BirthDate, "1962-06-09");
    let values: Vec<(Trait, &str)> = p.values();
    assert_eq!(
        values,
        vec![
            (Trait::GivenName, "anna lena"),
            (Trait::FamilyName, "smith"),
            (Trait::Email, "anna@example.com"),
            (Trait::Phone, "14155550100"),
            (Trait::Domain, "example.com"),
            (Trait::StreetNumber, "12"),
            (Trait::Street, "main street"),
            (Trait::Locality, "new york"),
            (Trait::BirthDate, "19620609"),
        ]
    );
    assert!(Profile::new().with(Trait::Email, "not an email").is_empty());
}

#[test]
fn stored_records_map_to_traits_by_name() {
    assert_eq!(trait_of_attribute("Billing City"), Some(Trait::Locality));
    assert_eq!(trait_of_attribute("zip"), Some(Trait::Postcode));
    assert_eq!(trait_of_attribute("postal_code"), Some(Trait::Postcode));
    assert_eq!(
        trait_of_attribute("street_number"),
        Some(Trait::StreetNumber)
    );
    assert_eq!(trait_of_attribute("address_2"), Some(Trait::Street));
    assert_eq!(trait_of_attribute("date_of_birth"), Some(Trait::BirthDate));
    assert_eq!(trait_of_attribute("soc_sec_id"), Some(Trait::Identifier));
    assert_eq!(trait_of_attribute("cuisine"), Some(Trait::Category));
    assert_eq!(trait_of_attribute("company"), Some(Trait::Organisation));
    assert_eq!(trait_of_attribute("favourite_colour"), None);

    let values = object(
        json!({"first_name": "Ana", "last_name": "Lopez", "email": "ana@x.io",
        "account_id": "0190a1b2-0000-7000-8000-000000000000"}),
    );
    let attributes = object(json!({"company": "Acme Inc.", "suburb": "Kempsey", "postcode": 2440}));
    let p = profile_of(ObjectKind::Contact, &values, &attributes);
    let traits: Vec<Trait> = p.values().iter().map(|(t, _)| *t).collect();
    for t in [
        Trait::GivenName,
        Trait::FamilyName,
        Trait::Email,
        Trait::Organisation,
        Trait::Locality,
        Trait::Postcode,
    ] {
        assert!(traits.contains(&t), "{t:?} missing from {traits:?}");
    }
    assert_eq!(p.values().len(), 6, "the account id is not a trait");
    let prepared = object(json!({"last_name": "Lopez", "account_id": "Globex"}));
    let p = profile_of(ObjectKind::Contact, &prepared, &Map::new());
    assert!(p.values().contains(&(Trait::Organisation, "globex")));

    let account = profile_of(
        ObjectKind::Account,
        &object(
            json!({"name": "Art's Deli", "address": "12224 Ventura Blvd.", "industry": "Delis"}),
        ),
        &object(json!({"city": "Studio City"})),
    );
    let traits: Vec<Trait> = account.values().iter().map(|(t, _)| *t).collect();
    assert_eq!(
        traits,
        vec![
            Trait::StreetNumber,
            Trait::Street,
            Trait::Category,
            Trait::Organisation,
            Trait::Locality
        ]
    );
}

#[test]
fn typing_errors_still_match_and_strangers_do_not() {
    let a = person("John", "Smith", "john.smith@acme.com").with(Trait::Phone, "415 555 0100");
    let typo = person("Jon", "Smith", "john.smith@acme.com").with(Trait::Phone, "4155550100");
    assert!(confidence(&a, &typo) >= MERGE_THRESHOLD);
    let stranger = person("Maria", "Garcia", "mgarcia@globex.com");
    assert!(confidence(&a, &stranger) < REVIEW_THRESHOLD);
    // Same name, different email: not enough to merge without asking.
    let namesake = person("John", "Smith", "jsmith@initech.com");
    assert!(confidence(&a, &namesake) < MERGE_THRESHOLD);
}

#[test]
fn swapped_names_and_dates_are_forgiven() {
    let base = |given: &str, family: &str, born: &str| {
        Profile::new()
            .with(Trait::GivenName, given)
            .with(Trait::FamilyName, family)
            .with(Trait::BirthDate, born)
            .with(Trait::Postcode, "5162")
            .with(Trait::Identifier, "5752610")
    };
    let a = base("barnaby", "siggins", "19981021");
    let b = base("siggins", "barnaby", "19982110");
    let evidence = Index::new(vec![a.clone(), b.clone()]).explain(0, 1);
    let level = |field: Field| evidence.iter().find(|e| e.field == field).map(|e| e.level);
    assert_eq!(level(Field::GivenName), Some(Level::Close));
    assert_eq!(level(Field::FamilyName), Some(Level::Close));
    assert_eq!(level(Field::BirthDate), Some(Level::Close));
    assert!(confidence(&a, &b) >= MERGE_THRESHOLD);
}

#[test]
fn company_names_and_addresses() {
    let a = company("Acme Corp.", "100 Main Street", "Springfield");
    let b = company("ACME Corporation, Inc.", "100 Main St", "Springfield");
    assert!(confidence(&a, &b) >= MERGE_THRESHOLD);
    // Two outlets of one brand at one address are for a person to judge, not merged.
    let cafe = company(
        "Ritz-Carlton Cafe (Buckhead)",
        "3434 Peachtree Rd NE",
        "Atlanta",
    );
    let dining = company(
        "Ritz-Carlton Dining Room (Buckhead)",
        "3434 Peachtree Rd",
        "Atlanta",
    );
    assert!(confidence(&cafe, &dining) < MERGE_THRESHOLD);
    let elsewhere = company("Hard Rock Cafe", "221 W 57th St", "New York");
    let there = company("Hard Rock Cafe", "8600 Beverly Blvd", "Los Angeles");
    assert!(confidence(&elsewhere, &there) < REVIEW_THRESHOLD);
}

#[test]
fn the_index_finds_the_twin_among_others() {
    let mut existing: Vec<Profile> = (0..50)
        .map(|i| {
            person(
                &format!("name{i}"),
                &format!("family{i}"),
                &format!("p{i}@corp{i}.com"),
            )
        })
        .collect();
    existing.push(
        person("Olivia", "Brennan", "olivia@brennan.ie").with(Trait::Phone, "+353 1 555 0199"),
    );
    let index = Index::new(existing);
    let new = person("Olivia", "Brenan", "olivia@brennan.ie");
    let found = index.matches(&new);
    assert_eq!(found.first().map(|m| m.0), Some(50));
    assert!(found.first().is_some_and(|m| m.1 >= MERGE_THRESHOLD));
    assert!(found.iter().skip(1).all(|m| m.1 < REVIEW_THRESHOLD));

    let pairs = duplicate_pairs(&[
        person("Olivia", "Brennan", "olivia@brennan.ie"),
        person("Sam", "Lee", "sam@lee.dev"),
        person("Olivia", "Brennan", "olivia@brennan.ie"),
    ]);
    let strong: Vec<(usize, usize)> = pairs
        .iter()
        .filter(|p| p.confidence >= MERGE_THRESHOLD)
        .map(|p| (p.a, p.b))
        .collect();
    assert_eq!(strong, vec![(0, 2)]);
}

#[test]
fn grouping_does_not_chain() {
    let pair = |a, b, confidence| ScoredPair { a, b, confidence };
    // 0–1 and 2–3 are twins; one strong link between 1 and 2 is not enough to join them.
    let pairs = [
        pair(0, 1, 0.99),
        pair(2, 3, 0.99),
        pair(1, 2, 0.9),
        pair(4, 5, 0.2),
    ];
    assert_eq!(
        groups(&pairs, MERGE_THRESHOLD),
        vec![vec![0, 1], vec![2, 3]]
    );
    // With the other links plausible, they are one cluster.
    let mut linked = pairs.to_vec();
    linked.extend([pair(0, 2, 0.6), pair(1, 3, 0.7)]);
    assert_eq!(groups(&linked, MERGE_THRESHOLD), vec![vec![0, 1, 2, 3]]);
    assert!(groups(&pairs, 0.999).is_empty());
}

const TRAITS: [Trait; 17] = [
    Trait::GivenName,
    Trait::FamilyName,
    Trait::FullName,
    Trait::Organisation,
    Trait::Title,
    Trait::Email,
    Trait::Phone,
    Trait::Domain,
    Trait::StreetNumber,
    Trait::Street,
    Trait::Locality,
    Trait::Postcode,
    Trait::Region,
    Trait::Country,
    Trait::BirthDate,
    Trait::Identifier,
    Trait::Category,
];

fn any_trait() -> impl Strategy<Value = Trait> {
    prop::sample::select(TRAITS.to_vec())
}

fn any_profile() -> impl Strategy<Value = Profile> {
    let value = "[A-Za-z0-9 .,'&()@/-]{0,24}";
    prop::collection::vec((any_trait(), value), 0..8)
        .prop_map(|values| Profile::from_values(values.iter().map(|(t, v)| (*t, v.as_str()))))
}

fn any_person() -> impl Strategy<Value = Profile> {
    ("[a-z]{3,9}", "[a-z]{3,12}", "[a-z]{2,8}", "[0-9]{4}").prop_map(|(g, f, d, pc)| {
        person(&g, &f, &format!("{g}.{f}@{d}.com")).with(Trait::Postcode, &pc)
    })
}

proptest! {
    #[test]
    fn normalising_is_idempotent(text in "\\PC{0,40}") {
        let once = clean(&text);
        prop_assert_eq!(clean(&once), once.clone());
        let street = street_tokens(&text).join(" ");
        prop_assert_eq!(street_tokens(&street).join(" "), street);
    }

    #[test]
    fn a_profile_rebuilt_from_its_values_is_the_same(p in any_profile()) {
        let rebuilt = Profile::from_values(p.values());
        prop_assert_eq!(rebuilt, p);
    }

    #[test]
    fn scores_are_symmetric_and_bounded(a in any_profile(), b in any_profile()) {
        let (ab, ba) = (confidence(&a, &b), confidence(&b, &a));
        prop_assert!((ab - ba).abs() < 1e-12, "{} vs {}", ab, ba);
        prop_assert!((0.0..=1.0).contains(&ab));
    }

    #[test]
    fn a_person_matches_itself(p in any_person()) {
        prop_assert!(confidence(&p, &p) >= 0.99);
        let index = Index::new(vec![p.clone()]);
        let found = index.matches(&p);
        prop_assert!(found.first().is_some_and(|m| m.0 == 0 && m.1 >= MERGE_THRESHOLD));
    }

    #[test]
    fn different_people_with_different_emails_are_not_duplicates(
        a in any_person(),
        b in any_person(),
    ) {
        let unlike = |i: usize| strsim::jaro_winkler(a.values()[i].1, b.values()[i].1) < 0.8;
        prop_assume!(unlike(0) && unlike(1));
        prop_assert!(confidence(&a, &b) < MERGE_THRESHOLD);
    }

    #[test]
    fn a_missing_value_is_neutral(
        a in any_person(),
        b in any_person(),
        extra in (any::<prop::sample::Index>(), "[a-z0-9 ]{1,12}"),
    ) {
        // A value only one side has changes nothing. The extra trait is drawn from those
        // neither side has, so that no case is thrown away.
        let known: Vec<Trait> = a.values().into_iter().chain(b.values()).map(|(t, _)| t).collect();
        let free: Vec<Trait> = TRAITS
            .into_iter()
            .filter(|t| !known.contains(t) && *t != Trait::FullName)
            .collect();
        prop_assume!(!free.is_empty());
        let more = a.clone().with(*extra.0.get(&free), &extra.1);
        prop_assert_eq!(confidence(&more, &b), confidence(&a, &b));
    }
}
