//! `mapping-check`: reads the real export samples in the shared data folder exactly as an upload
//! does (encoding probe → layout → rows → proposed mapping from the first 200 rows → every row
//! prepared) and checks the proposal, column by column, against what a CRM admin would choose
//! by hand. It fails on any column mapped elsewhere, on a row whose cells do not normalise, on a
//! file that should read but does not (or should be refused but is not), and on accents that do
//! not survive the Latin-1 Salesforce export.
//!
//! The expectations below were written by hand from the files' real headers (see
//! `../shared/data/DATA.md`); a column with no Velocity field is expected as
//! `attribute:<name>`, never dropped.

use anyhow::{Context as _, Result};
use clap::Parser;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use velocity_domain::ObjectKind;
use velocity_import::mapping::ColumnMapping;
use velocity_import::{prepare, sniff, Context, EncodingProbe, Layout, Plan, Rows, TextEncoding};

/// Check the mapping proposed for the real export samples (Salesforce Data Loader, Maven CRM,
/// Data Loader's CSV edge cases) against a hand-written expectation for every column, then run
/// every row through the import's preparation and report the cell errors. Exits non-zero on any
/// column mapped to the wrong target, a row with a cell error, a file read wrongly, or a lost
/// accent.
#[derive(Parser)]
#[command(name = "mapping-check")]
struct Args {
    /// The shared data folder: holds `salesforce-dataloader-samples/`,
    /// `maven-crm-sales-opportunities/` and `csv-edge-cases-salesforce-dataloader/`.
    data: PathBuf,
    /// Print up to this many cell errors per file.
    #[arg(long, default_value_t = 3)]
    errors: usize,
    /// Print only the columns that are not mapped as expected (and the summary).
    #[arg(long)]
    quiet: bool,
}

/// The rows a proposal is made from, as at upload.
const SAMPLE_ROWS: usize = 200;
/// The chunk size an upload is read in.
const CHUNK: usize = 1024 * 1024;

type Expected = &'static [(&'static str, &'static str)];

/// What a file is and what should become of it.
enum Check {
    /// An export of one object: every column is expected at the given target.
    Import {
        object: ObjectKind,
        expected: Expected,
        /// Values that must come out of the file intact: (column, value).
        intact: &'static [(&'static str, &'static str)],
    },
    /// A CSV parser test file with no CRM object in it: it must read, with these headers and
    /// this many rows (and these problem rows), but nothing is mapped.
    ReadOnly {
        why: &'static str,
        headers: &'static [&'static str],
        rows: usize,
        problems: usize,
    },
    /// A file an upload must refuse, with an error saying why.
    Refused { why: &'static str },
    /// Nothing to import and nothing to read.
    Skipped { why: &'static str },
}

const SF_ACCOUNT: Expected = &[
    ("ID", "external_id"),
    ("ISDELETED", "attribute:isdeleted"),
    ("MASTERRECORDID", "attribute:masterrecordid"),
    ("NAME", "name"),
    ("TYPE", "attribute:type"),
    ("PARENTID", "attribute:parentid"),
    ("BILLINGSTREET", "address"),
    ("BILLINGCITY", "attribute:billingcity"),
    ("BILLINGSTATE", "attribute:billingstate"),
    ("BILLINGPOSTALCODE", "attribute:billingpostalcode"),
    ("BILLINGCOUNTRY", "attribute:billingcountry"),
    ("SHIPPINGSTREET", "attribute:shippingstreet"),
    ("SHIPPINGCITY", "attribute:shippingcity"),
    ("SHIPPINGSTATE", "attribute:shippingstate"),
    ("SHIPPINGPOSTALCODE", "attribute:shippingpostalcode"),
    ("SHIPPINGCOUNTRY", "attribute:shippingcountry"),
    ("PHONE", "phone"),
    ("FAX", "attribute:fax"),
    ("ACCOUNTNUMBER", "attribute:accountnumber"),
    ("WEBSITE", "website"),
    ("SIC", "attribute:sic"),
    ("INDUSTRY", "industry"),
    ("ANNUALREVENUE", "annual_revenue"),
    ("NUMBEROFEMPLOYEES", "employees"),
    ("OWNERSHIP", "attribute:ownership"),
    ("TICKERSYMBOL", "attribute:tickersymbol"),
    ("DESCRIPTION", "attribute:description"),
    ("RATING", "attribute:rating"),
    ("SITE", "attribute:site"),
    ("OWNERID", "owner_id"),
    ("CREATEDDATE", "attribute:createddate"),
    ("CREATEDBYID", "attribute:createdbyid"),
    ("LASTMODIFIEDDATE", "attribute:lastmodifieddate"),
    ("LASTMODIFIEDBYID", "attribute:lastmodifiedbyid"),
    ("SYSTEMMODSTAMP", "attribute:systemmodstamp"),
    ("LASTACTIVITYDATE", "attribute:lastactivitydate"),
    ("ORACLE_ID__C", "attribute:oracle_id_c"),
    ("SESSION_ID__C", "attribute:session_id_c"),
];

const SF_OPPORTUNITY: Expected = &[
    ("ID", "external_id"),
    ("ISDELETED", "attribute:isdeleted"),
    ("ACCOUNTID", "account_id"),
    ("NAME", "name"),
    ("DESCRIPTION", "attribute:description"),
    ("STAGENAME", "stage_id"),
    ("AMOUNT", "amount"),
    ("PROBABILITY", "probability"),
    ("EXPECTEDREVENUE", "attribute:expectedrevenue"),
    (
        "TOTALOPPORTUNITYQUANTITY",
        "attribute:totalopportunityquantity",
    ),
    ("CLOSEDATE", "close_date"),
    ("TYPE", "attribute:type"),
    ("NEXTSTEP", "attribute:nextstep"),
    ("LEADSOURCE", "attribute:leadsource"),
    ("ISCLOSED", "attribute:isclosed"),
    ("ISWON", "attribute:iswon"),
    ("FORECASTCATEGORY", "forecast_category"),
    ("HASOPPORTUNITYLINEITEM", "attribute:hasopportunitylineitem"),
    ("PRICEBOOKID", "attribute:pricebookid"),
    ("PRICEBOOK2ID", "attribute:pricebook2id"),
    ("OWNERID", "owner_id"),
    ("CREATEDDATE", "attribute:createddate"),
    ("CREATEDBYID", "attribute:createdbyid"),
    ("LASTMODIFIEDDATE", "attribute:lastmodifieddate"),
    ("LASTMODIFIEDBYID", "attribute:lastmodifiedbyid"),
    ("SYSTEMMODSTAMP", "attribute:systemmodstamp"),
    ("LASTACTIVITYDATE", "attribute:lastactivitydate"),
    ("FISCALQUARTER", "attribute:fiscalquarter"),
    ("FISCALYEAR", "attribute:fiscalyear"),
    ("FISCAL", "attribute:fiscal"),
    ("ORACLE_ID__C", "attribute:oracle_id_c"),
    // Only in Data Loader's own success / error reports.
    ("STATUS", "attribute:status"),
    ("ERROR", "attribute:error"),
];

/// Data Loader's account insert test files (a subset of these columns each).
const SF_ACCOUNT_INSERT: Expected = &[
    ("NAME", "name"),
    ("Name", "name"),
    ("TYPE", "attribute:type"),
    ("PHONE", "phone"),
    ("ACCOUNTNUMBER__C", "attribute:accountnumber_c"),
    ("WEBSITE", "website"),
    ("ANNUALREVENUE", "annual_revenue"),
    ("ORACLE_ID__C", "attribute:oracle_id_c"),
    ("DATE", "attribute:date"),
    ("DATE_ONLY", "attribute:date_only"),
    ("RICHTEXT__c", "attribute:richtext_c"),
];

const MAVEN_PIPELINE: Expected = &[
    ("opportunity_id", "external_id"),
    ("sales_agent", "owner_id"),
    ("product", "product_ids"),
    ("account", "account_id"),
    ("deal_stage", "stage_id"),
    ("engage_date", "attribute:engage_date"),
    ("close_date", "close_date"),
    ("close_value", "amount"),
];

const MAVEN_ACCOUNTS: Expected = &[
    ("account", "name"),
    ("sector", "industry"),
    ("year_established", "attribute:year_established"),
    ("revenue", "annual_revenue"),
    ("employees", "employees"),
    ("office_location", "attribute:office_location"),
    ("subsidiary_of", "attribute:subsidiary_of"),
];

const MAVEN_PRODUCTS: Expected = &[
    ("product", "name"),
    ("series", "category"),
    ("sales_price", "price"),
];

const SALES_TEAMS: &str = "the sales agents, their managers and regional offices are the \
    workspace's members (users), which are invited, not imported";
const DATA_DICTIONARY: &str = "documentation of the other files' columns, not records";

/// Every file checked, by its path under the data folder.
fn files() -> Vec<(String, Check)> {
    let sf = "salesforce-dataloader-samples";
    let maven = "maven-crm-sales-opportunities";
    let maven_lf = "maven-crm-sales-opportunities/lf_copy_ikebude";
    let edge = "csv-edge-cases-salesforce-dataloader";
    let deals = |intact| Check::Import {
        object: ObjectKind::Deal,
        expected: SF_OPPORTUNITY,
        intact,
    };
    let import = |object, expected| Check::Import {
        object,
        expected,
        intact: &[],
    };
    let parser_test = |headers, rows, problems| Check::ReadOnly {
        why: "a CSV parser test with generic columns and no CRM object",
        headers,
        rows,
        problems,
    };
    let columns3: &'static [&'static str] = &["column1", "column2", "column3"];
    let mut files = vec![
        (
            format!("{sf}/accountData.csv"),
            Check::Import {
                object: ObjectKind::Account,
                expected: SF_ACCOUNT,
                intact: &[
                    ("NAME", "Crédito Inmobiliario Terras"),
                    ("NAME", "Pébéo of America"),
                    ("BILLINGSTREET", "00045844 c/ San Romualdo, 26 5º"),
                ],
            },
        ),
        (
            format!("{sf}/opportunityData.csv"),
            deals(&[("STAGENAME", "Closed Won")]),
        ),
        (format!("{sf}/status/success0413060133.csv"), deals(&[])),
        (format!("{sf}/status/error0413060133.csv"), deals(&[])),
    ];
    for folder in [maven, maven_lf] {
        files.push((
            format!("{folder}/sales_pipeline.csv"),
            import(ObjectKind::Deal, MAVEN_PIPELINE),
        ));
        files.push((
            format!("{folder}/accounts.csv"),
            import(ObjectKind::Account, MAVEN_ACCOUNTS),
        ));
        files.push((
            format!("{folder}/products.csv"),
            import(ObjectKind::Product, MAVEN_PRODUCTS),
        ));
        files.push((
            format!("{folder}/sales_teams.csv"),
            Check::Skipped { why: SALES_TEAMS },
        ));
    }
    files.push((
        format!("{maven}/data_dictionary.csv"),
        Check::Skipped {
            why: DATA_DICTIONARY,
        },
    ));
    for name in [
        "insertAccountCsv.csv",
        "dateEndingInZ.csv",
        "dateOnlyWithTimeZone.csv",
        "dateUsingDefaultTimeZone.csv",
        "dateWithTimeZone.csv",
        "acctsWithBinaryDataInRTF.csv",
    ] {
        files.push((
            format!("{edge}/{name}"),
            import(ObjectKind::Account, SF_ACCOUNT_INSERT),
        ));
    }
    for name in [
        "csvtext.csv",
        "csvtext_BOM_UTF8.csv",
        "csvtext_BOM_UTF16LE.csv",
        "csvtext_BOM_UTF16BE.csv",
    ] {
        files.push((format!("{edge}/{name}"), parser_test(columns3, 2, 0)));
    }
    files.extend([
        (
            format!("{edge}/csvEscapedQuotes.csv"),
            parser_test(&["column1", "column2"], 2, 0),
        ),
        (
            format!("{edge}/csvSeparator.csv"),
            parser_test(&["column1", "column2!some", "column3"], 2, 0),
        ),
        (
            format!("{edge}/20kRows.csv"),
            parser_test(&["COLUMN1"], 20_000, 0),
        ),
        (
            format!("{edge}/timeZoneFormatTesting.csv"),
            parser_test(&["Name", "Date"], 12, 0),
        ),
        (
            format!("{edge}/timeZoneFormatTestingWithErrors.csv"),
            parser_test(&["Name", "Date"], 6, 0),
        ),
        (
            format!("{edge}/csvtext_BOM_UTF32LE.csv"),
            Check::Refused {
                why: "UTF-32 is not supported",
            },
        ),
        (
            format!("{edge}/csvtext_BOM_UTF32BE.csv"),
            Check::Refused {
                why: "UTF-32 is not supported",
            },
        ),
    ]);
    files
}

/// A file read as an upload reads it.
struct ReadFile {
    encoding: TextEncoding,
    layout: Layout,
    sample: Vec<Vec<String>>,
    /// Every row of the file (values, line, problem).
    rows: Vec<sniff::RawRow>,
}

fn read_as_upload(path: &Path) -> Result<std::result::Result<ReadFile, String>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut probe = EncodingProbe::default();
    for chunk in bytes.chunks(CHUNK) {
        probe.feed(chunk);
    }
    let encoding = match probe.finish() {
        Ok(encoding) => encoding,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let mut head = String::new();
    if let Err(error) = encoding.decode(probe.head()).read_to_string(&mut head) {
        return Ok(Err(error.to_string()));
    }
    let layout = match sniff::sniff_layout(&head) {
        Ok(layout) => layout,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let sample: Vec<Vec<String>> = Rows::new(head.as_bytes(), &layout)
        .filter_map(Result::ok)
        .take(SAMPLE_ROWS)
        .map(|r| r.values)
        .collect();
    let mut rows = Vec::new();
    for row in Rows::new(encoding.decode(bytes.as_slice()), &layout) {
        match row {
            Ok(row) => rows.push(row),
            Err(error) => return Ok(Err(error.to_string())),
        }
    }
    Ok(Ok(ReadFile {
        encoding,
        layout,
        sample,
        rows,
    }))
}

/// One file's outcome, for the summary.
struct Outcome {
    file: String,
    what: String,
    right: usize,
    columns: usize,
    rows: usize,
    row_errors: usize,
    failures: Vec<String>,
}

fn main() -> Result<ExitCode> {
    let args = Args::parse();
    let mut outcomes = Vec::new();
    for (file, check) in files() {
        let path = args.data.join(&file);
        println!("\n== {file}");
        let outcome = match check {
            Check::Skipped { why } => {
                println!("   skipped: {why}");
                Outcome::new(file, "skipped".into())
            }
            Check::Refused { why } => {
                let mut outcome = Outcome::new(file, "refused".into());
                match read_as_upload(&path)? {
                    Err(message) => println!("   refused as expected ({why}): {message}"),
                    Ok(read) => outcome.failures.push(format!(
                        "should be refused ({why}) but read as {} with {} rows",
                        read.encoding.name(),
                        read.rows.len()
                    )),
                }
                outcome
            }
            Check::ReadOnly {
                why,
                headers,
                rows,
                problems,
            } => check_read_only(file, &path, why, headers, rows, problems)?,
            Check::Import {
                object,
                expected,
                intact,
            } => check_import(&args, file, &path, object, expected, intact)?,
        };
        for failure in &outcome.failures {
            println!("   FAIL {failure}");
        }
        outcomes.push(outcome);
    }

    println!(
        "\n{:<66} {:<10} {:>9} {:>7} {:>10}  result",
        "file", "object", "columns", "rows", "row errors"
    );
    let mut failed = 0;
    for o in &outcomes {
        let columns = if o.columns == 0 {
            "-".to_string()
        } else {
            format!("{}/{}", o.right, o.columns)
        };
        println!(
            "{:<66} {:<10} {:>9} {:>7} {:>10}  {}",
            o.file,
            o.what,
            columns,
            o.rows,
            o.row_errors,
            if o.failures.is_empty() { "ok" } else { "FAIL" }
        );
        failed += usize::from(!o.failures.is_empty());
    }
    let right: usize = outcomes.iter().map(|o| o.right).sum();
    let columns: usize = outcomes.iter().map(|o| o.columns).sum();
    println!(
        "\n{right}/{columns} columns mapped as expected; {failed} of {} files failed.",
        outcomes.len()
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

impl Outcome {
    fn new(file: String, what: String) -> Outcome {
        Outcome {
            file,
            what,
            right: 0,
            columns: 0,
            rows: 0,
            row_errors: 0,
            failures: Vec::new(),
        }
    }
}

fn check_read_only(
    file: String,
    path: &Path,
    why: &str,
    headers: &[&str],
    rows: usize,
    problems: usize,
) -> Result<Outcome> {
    let mut outcome = Outcome::new(file, "read only".into());
    println!("   not mapped: {why}");
    let read = match read_as_upload(path)? {
        Ok(read) => read,
        Err(message) => {
            outcome
                .failures
                .push(format!("could not be read: {message}"));
            return Ok(outcome);
        }
    };
    let found_problems = read.rows.iter().filter(|r| r.problem.is_some()).count();
    println!(
        "   {}, delimiter {:?}, headers {:?}, {} rows, {} with problems; first row {:?}",
        read.encoding.name(),
        char::from(read.layout.delimiter),
        read.layout.headers,
        read.rows.len(),
        found_problems,
        read.rows.first().map(|r| &r.values),
    );
    outcome.rows = read.rows.len();
    outcome.row_errors = found_problems;
    if read.layout.headers != headers {
        outcome.failures.push(format!(
            "headers {:?}, expected {headers:?}",
            read.layout.headers
        ));
    }
    if (read.rows.len(), found_problems) != (rows, problems) {
        outcome.failures.push(format!(
            "{} rows ({found_problems} with problems), expected {rows} ({problems})",
            read.rows.len()
        ));
    }
    Ok(outcome)
}

fn check_import(
    args: &Args,
    file: String,
    path: &Path,
    object: ObjectKind,
    expected: Expected,
    intact: &[(&str, &str)],
) -> Result<Outcome> {
    let mut outcome = Outcome::new(file, object.plural().into());
    let read = match read_as_upload(path)? {
        Ok(read) => read,
        Err(message) => {
            outcome
                .failures
                .push(format!("could not be read: {message}"));
            return Ok(outcome);
        }
    };
    println!(
        "   {} · {}, delimiter {:?}, {} columns, {} rows",
        object.plural(),
        read.encoding.name(),
        char::from(read.layout.delimiter),
        read.layout.headers.len(),
        read.rows.len()
    );
    let plan = Plan::propose(object, &read.layout.headers, &read.sample);
    outcome.columns = plan.columns.len();
    for ColumnMapping {
        column,
        target,
        confidence,
        reason,
    } in &plan.columns
    {
        let want = expected
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, t)| *t);
        let verdict = match want {
            Some(want) if want == target => {
                outcome.right += 1;
                "ok".to_string()
            }
            Some(want) => {
                outcome
                    .failures
                    .push(format!("`{column}` → {target}, expected {want}"));
                format!("WRONG, expected {want}  ({reason})")
            }
            None => {
                outcome
                    .failures
                    .push(format!("`{column}` has no expectation (→ {target})"));
                "no expectation".to_string()
            }
        };
        if !args.quiet || verdict != "ok" {
            println!("   {column:<26} → {target:<34} {confidence:.2}  {verdict}");
        }
    }
    let columns = match plan.resolve(object, &read.layout.headers) {
        Ok(columns) => columns,
        Err(errors) => {
            outcome
                .failures
                .push(format!("the proposed plan does not resolve: {errors:?}"));
            return Ok(outcome);
        }
    };
    let context = Context {
        default_country: plan.default_country.clone(),
        day_order: plan.day_order,
        values: Default::default(),
    };
    let mut shown = 0;
    let mut prepared_rows = Vec::with_capacity(read.rows.len());
    for row in &read.rows {
        let prepared = prepare(object, &columns, &row.values, &context);
        let mut messages: Vec<String> = prepared
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.column, e.message))
            .collect();
        if let Some(problem) = &row.problem {
            messages.insert(0, problem.clone());
        }
        if !messages.is_empty() {
            outcome.row_errors += 1;
            if shown < args.errors {
                shown += 1;
                println!("   line {}: {}", row.line, messages.join("; "));
            }
        }
        prepared_rows.push(prepared);
    }
    outcome.rows = read.rows.len();
    println!(
        "   rows {}, with errors {} (day order {:?})",
        outcome.rows, outcome.row_errors, plan.day_order
    );
    if outcome.row_errors > 0 {
        outcome.failures.push(format!(
            "{} rows would need a manual edit",
            outcome.row_errors
        ));
    }
    for (column, value) in intact {
        let Some(index) = read.layout.headers.iter().position(|h| h == column) else {
            outcome.failures.push(format!("no column `{column}`"));
            continue;
        };
        let found = read
            .rows
            .iter()
            .any(|r| r.values.get(index).is_some_and(|v| v == value));
        if found {
            println!("   intact: {column} = {value:?}");
        } else {
            outcome
                .failures
                .push(format!("no row holds {column} = {value:?} intact"));
        }
    }
    if !intact.is_empty() {
        let accented: Vec<&str> = prepared_rows
            .iter()
            .filter_map(|p| p.values.get("name").and_then(|v| v.as_str()))
            .filter(|name| !name.is_ascii())
            .take(5)
            .collect();
        println!("   names with accents after preparing: {accented:?}");
    }
    Ok(outcome)
}
