//! The CLI's commands as a user runs them: start-up errors, migrate, user create, demo, and a
//! backup taken while the server is writing.

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
fn help_explains_every_command() {
    let message = text(&velocity(&["--help"]));
    for command in ["serve", "migrate", "demo", "user", "backup"] {
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
