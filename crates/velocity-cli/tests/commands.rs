//! The CLI's commands as a user runs them: start-up errors, migrate, user create, demo, a
//! backup taken while the server is writing, import, and the win-scoring evaluation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn velocity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_velocity"))
        .args(args)
        .env("VELOCITY_LOG", "error")
        .env_remove("VELOCITY_DATABASE_URL")
        .output()
        .expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("velocity-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn bad_database_urls_fail_start_up_with_a_clear_message() {
    let output = velocity(&[
        "migrate",
        "--database-url",
        "mysql://root:secret@localhost/x",
    ]);
    assert!(!output.status.success());
    let message = text(&output);
    assert!(message.contains("unknown scheme"), "{message}");
    assert!(
        !message.contains("secret"),
        "the password is not echoed: {message}"
    );
    assert!(!message.contains("panicked"), "{message}");
    let output = velocity(&[
        "migrate",
        "--database-url",
        "postgres://nobody@127.0.0.1:1/none",
    ]);
    assert!(!output.status.success());
    let message = text(&output);
    assert!(
        message.contains("cannot connect to the database"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn openapi_prints_the_document_the_web_app_is_built_against() {
    let output = velocity(&["openapi"]);
    assert!(output.status.success(), "{}", text(&output));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed["openapi"], "3.1.0");
    assert!(
        printed["paths"]["/api/v1/workspaces/{workspace_id}/pipeline/summary"]["get"].is_object()
    );
    let copy = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../web/openapi.json"
    ))
    .unwrap();
    assert_eq!(
        printed,
        serde_json::from_str::<serde_json::Value>(&copy).unwrap()
    );
}

#[test]
fn an_access_token_lifetime_outside_one_to_900_seconds_is_refused() {
    for ttl in ["0", "901", "soon"] {
        let output = velocity(&[
            "serve",
            "--access-token-ttl",
            ttl,
            "--listen",
            "127.0.0.1:0",
        ]);
        assert!(!output.status.success(), "{ttl} was accepted");
        let message = text(&output);
        assert!(message.contains("--access-token-ttl"), "{message}");
        assert!(!message.contains("panicked"), "{message}");
    }
}

#[test]
fn help_explains_every_command() {
    let message = text(&velocity(&["--help"]));
    for command in [
        "serve", "migrate", "demo", "import", "user", "backup", "eval",
    ] {
        assert!(message.contains(command), "{command} in {message}");
    }
    assert!(text(&velocity(&["serve", "--help"])).contains("--database-url"));
}

#[test]
fn users_demo_and_backups_work_on_a_data_directory() {
    let dir = temp_dir("backup");
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    let output = velocity(&["migrate", "--data-dir", data]);
    assert!(output.status.success(), "{}", text(&output));
    let output = velocity(&[
        "user",
        "create",
        "--data-dir",
        data,
        "--email",
        "Ops@Example.com",
        "--name",
        "Ops",
        "--password",
        "long enough pw",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("ops@example.com"));
    let output = velocity(&[
        "user",
        "create",
        "--data-dir",
        data,
        "--email",
        "x@example.com",
        "--name",
        "X",
        "--password",
        "short",
    ]);
    assert!(!output.status.success(), "short passwords are refused");
    let output = velocity(&["demo", "--data-dir", data, "--deals", "30"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("demo@velocity.local"));
    let eval_forecast = |workspace: &str, options: &[&str]| {
        let mut args = vec![
            "eval",
            "forecast",
            "--data-dir",
            data,
            "--workspace",
            workspace,
        ];
        args.extend_from_slice(options);
        velocity(&args)
    };
    // A new workspace has no past forecasts to score yet; unknown workspaces are refused.
    let output = eval_forecast("Skyline Estates", &[]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("Stored snapshots: 0 scored"),
        "{}",
        text(&output)
    );
    // Its history can be replayed: the forecasts of past weeks, rebuilt and scored.
    let output = eval_forecast(
        "Skyline Estates",
        &["--replay", "8", "--simulations", "200", "--json"],
    );
    assert!(output.status.success(), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let replayed = report["replay"]["by_timeframe"].as_array().unwrap();
    let month = replayed.iter().find(|t| t["timeframe"] == "30d").unwrap();
    // Of the weekly forecasts of the last eight weeks, those made five to eight weeks ago
    // have seen their 30 days pass.
    assert_eq!(month["snapshots"], 4, "{report}");
    assert!(month["mean_crps"].as_f64().unwrap() >= 0.0);
    assert!(month["mean_crps_weighted_pipeline"].is_number());
    assert!(!eval_forecast("Nowhere", &[]).status.success());
    let copy = dir.join("copy.db");
    let output = velocity(&[
        "backup",
        "--data-dir",
        data,
        "--output",
        copy.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output));
    // The copy is a complete database: the demo user can be found in it.
    let output = velocity(&[
        "user",
        "create",
        "--database-url",
        &format!("sqlite://{}", copy.display()),
        "--email",
        "demo@velocity.local",
        "--name",
        "Again",
        "--password",
        "long enough pw",
    ]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("already exists"),
        "{}",
        text(&output)
    );
    let output = velocity(&[
        "backup",
        "--data-dir",
        data,
        "--output",
        copy.to_str().unwrap(),
    ]);
    assert!(
        !output.status.success(),
        "an existing file is never overwritten"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const PEOPLE: &str = "First Name;Last Name;Email Address;Phone Number;Shoe size\n\
Ana;López;ANA@example.com;(415) 555-0100;38\n\
Bo;Chen;bo@example.com;+44 20 7946 0958;44\n\
Cy;Bad;not-an-email;;41\n";

async fn import_prints_progress_and_the_report(backend: velocity_testkit::Backend) {
    let Some(database) = velocity_testkit::fresh_database(backend).await else {
        return;
    };
    let url = database.url();
    let dir = temp_dir(&format!("import-{backend:?}"));
    let file = dir.join("people.csv");
    std::fs::write(&file, PEOPLE).unwrap();
    let file = file.to_str().unwrap();
    let output = velocity(&[
        "user",
        "create",
        "--database-url",
        &url,
        "--email",
        "imp@example.com",
        "--name",
        "Imp",
        "--password",
        "long enough pw",
        "--workspace",
        "Imports",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let import = |extra: &[&str]| {
        let mut args = vec![
            "import",
            "--database-url",
            &url,
            "--workspace",
            "Imports",
            "--object",
            "contacts",
        ];
        args.extend_from_slice(extra);
        velocity(&args)
    };

    let output = import(&["--dry-run", file]);
    let message = text(&output);
    assert!(output.status.success(), "{message}");
    assert!(
        message.contains("Email Address") && message.contains("-> email"),
        "{message}"
    );
    assert!(message.contains("attribute:shoe_size"), "{message}");
    assert!(message.contains("dry run, nothing written"), "{message}");
    assert!(message.contains("\"created\": 2"), "{message}");

    let mapping = dir.join("mapping.json");
    std::fs::write(
        &mapping,
        r#"{"columns":[{"column":"Shoe size","target":"ignore"}]}"#,
    )
    .unwrap();
    let errors = dir.join("errors.csv");
    let output = import(&[
        "--mapping",
        mapping.to_str().unwrap(),
        "--errors",
        errors.to_str().unwrap(),
        file,
    ]);
    let message = text(&output);
    assert!(output.status.success(), "{message}");
    assert!(
        message.contains("Shoe size") && message.contains("-> ignore"),
        "{message}"
    );
    assert!(message.contains("committed"), "{message}");
    assert!(
        message.contains("created    2"),
        "the dry run wrote nothing: {message}"
    );
    assert!(message.contains("errors     1"), "{message}");
    assert!(message.contains("row 3 (line 4)"), "{message}");
    let error_file = std::fs::read_to_string(&errors).unwrap();
    assert!(
        error_file.starts_with("First Name,Last Name,Email Address,Phone Number,Shoe size,error\n")
    );
    assert!(
        error_file.contains("Cy,Bad,not-an-email,,41,Email Address:"),
        "{error_file}"
    );

    // The same file again updates the two people (their shoe size is new) instead of
    // creating them twice.
    let output = import(&[file]);
    let message = text(&output);
    assert!(
        message.contains("created    0") && message.contains("updated    2"),
        "{message}"
    );

    let output = import(&["--mapping", errors.to_str().unwrap(), file]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("is not a valid mapping"),
        "{}",
        text(&output)
    );
    let output = import(&["--as", "nobody@example.com", file]);
    assert!(text(&output).contains("not a member"), "{}", text(&output));
    let output = velocity(&[
        "import",
        "--database-url",
        &url,
        "--workspace",
        "Nope",
        "--object",
        "contacts",
        file,
    ]);
    assert!(
        text(&output).contains("workspace not found"),
        "{}",
        text(&output)
    );
    let output = import(&["--object", "pipelines", file]);
    assert!(!output.status.success());
    let _ = std::fs::remove_dir_all(&dir);
    database.drop_database().await;
}

#[tokio::test]
async fn import_on_sqlite() {
    import_prints_progress_and_the_report(velocity_testkit::Backend::Sqlite).await;
}

#[tokio::test]
async fn import_on_postgres() {
    import_prints_progress_and_the_report(velocity_testkit::Backend::Postgres).await;
}

/// Closed deals whose outcome follows budget and segment, with an identifier, a close value
/// that only won deals have (a leak), a date, money written with symbols, open deals, and a
/// region that means nothing. Semicolon-delimited, as European exports are.
fn closed_deals_csv() -> String {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut csv =
        String::from("Deal ID;Segment;Budget;Amount;Region;Created;Close Value;Outcome\n");
    for i in 0..400 {
        let segment = ["Enterprise", "Mid-market", "SMB"][i % 3];
        let budget = rng.gen_bool(0.5);
        let logit = if budget { 1.2 } else { -1.2 } + if segment == "SMB" { -0.8 } else { 0.4 };
        let outcome = if i % 10 == 9 {
            "Open"
        } else if rng.gen_bool(1.0 / (1.0 + f64::exp(-logit))) {
            "Won"
        } else {
            "Lost"
        };
        let amount = rng.gen_range(500..90_000);
        let close_value = if outcome == "Won" { amount } else { 0 };
        csv.push_str(&format!(
            "D-{i:04};{segment};{};\"${},{:03}.00\";{};2024-{:02}-{:02};{close_value};{outcome}\n",
            if budget { "Yes" } else { "No" },
            amount / 1000,
            amount % 1000,
            ["North", "South"][rng.gen_range(0..2)],
            1 + i % 12,
            1 + i % 28,
        ));
    }
    csv
}

#[test]
fn eval_scoring_reports_leaks_dropped_columns_and_a_sensible_auc() {
    let dir = temp_dir("eval");
    let file = dir.join("deals.csv");
    std::fs::write(&file, closed_deals_csv()).unwrap();
    let file = file.to_str().unwrap();
    let args = [
        "eval",
        "scoring",
        "--csv",
        file,
        "--outcome",
        "outcome",
        "--positive",
        "won",
        "--negative",
        "Lost",
        "--repeats",
        "3",
    ];
    let output = velocity(&args);
    let message = text(&output);
    assert!(output.status.success(), "{message}");
    assert!(message.contains("WARNING: `Close Value`"), "{message}");
    assert!(message.contains("Close Value: LEAK"), "{message}");
    assert!(
        message.contains("Deal ID: a different value in nearly every row"),
        "{message}"
    );
    assert!(message.contains("Created: a date"), "{message}");
    assert!(
        message.contains("skipped 40 rows that have another outcome"),
        "{message}"
    );
    assert!(message.contains("Amount (numeric)"), "{message}");
    assert!(message.contains("Over 3 stratified splits"), "{message}");
    assert!(
        message.contains("Budget"),
        "the top factors name the budget: {message}"
    );

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let output = velocity(&json_args);
    assert!(output.status.success(), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let auc = report["model"]["auc"].as_f64().unwrap();
    assert!((0.7..0.95).contains(&auc), "AUC {auc}");
    assert!(report["model"]["brier"].as_f64() < report["constant_win_rate"]["brier"].as_f64());
    assert_eq!(
        report["rows"]["won"].as_u64().unwrap() + report["rows"]["lost"].as_u64().unwrap(),
        360
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("warning: `Close Value`"));

    let output = velocity(&[
        "eval",
        "scoring",
        "--csv",
        file,
        "--outcome",
        "Result",
        "--positive",
        "Won",
    ]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("no column `Result`"),
        "{}",
        text(&output)
    );
    let help = text(&velocity(&["eval", "scoring", "--help"]));
    assert!(
        help.contains("--positive") && help.contains("AUC"),
        "{help}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
