//! `velocity import`: a file into a workspace through the same engine as the API — read,
//! propose a mapping (or take one from a file), preview, commit with progress, and print the
//! report the API gives.

use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use velocity_domain::{ObjectKind, WorkspaceId};
use velocity_import::mapping::IMPORTABLE;
use velocity_import::PlanChanges;
use velocity_store::imports::Import;
use velocity_store::Db;

use crate::DatabaseArgs;

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Workspace to import into: its id or its exact name
    #[arg(long)]
    workspace: String,
    /// What each row is: contacts, accounts, deals, activities or products
    #[arg(long)]
    object: String,
    /// Email of the member the import is attributed to [default: the workspace's first owner]
    #[arg(long = "as")]
    as_member: Option<String>,
    /// JSON file with mapping changes, as for `PUT …/imports/{id}/mapping`, e.g.
    /// {"columns":[{"column":"Mobile","target":"phone"}],"mode":"create_only"}
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Show the detected layout, the mapping and what would happen, then discard the upload
    /// without writing any record
    #[arg(long)]
    dry_run: bool,
    /// Write the rows that failed (the file's columns plus `error`) to this CSV file
    #[arg(long)]
    errors: Option<PathBuf>,
    /// The CSV or TSV file to import
    file: PathBuf,
}

pub async fn run(args: ImportArgs) -> Result<()> {
    let object = ObjectKind::from_plural(&args.object)
        .filter(|kind| IMPORTABLE.contains(kind))
        .with_context(|| {
            format!(
                "`{}` cannot be imported; use contacts, accounts, deals, activities or products",
                args.object
            )
        })?;
    let changes: Option<PlanChanges> = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the mapping file {}", path.display()))?;
            Some(serde_json::from_str(&text).with_context(|| {
                format!("the mapping file {} is not a valid mapping", path.display())
            })?)
        }
        None => None,
    };
    let db = args.database.connect().await?;
    let workspace = db.find_workspace(&args.workspace).await?;
    let importer = importer(&db, workspace.id, args.as_member.as_deref()).await?;
    let file_name = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("import.csv");
    let started = Instant::now();
    let mut import = db
        .import_file(workspace.id, &importer, object, &args.file, file_name)
        .await
        .with_context(|| format!("cannot import {}", args.file.display()))?;
    eprintln!(
        "read {} rows of {} ({}, {} bytes) in {:.1} s",
        import.row_count,
        import.file_name,
        import.encoding,
        import.size_bytes,
        started.elapsed().as_secs_f64()
    );
    if let Some(changes) = changes {
        let mut plan = import.parsed_plan()?;
        if let Err(problems) = plan.apply(changes, object, &import.headers()) {
            db.discard_import(workspace.id, &import.id).await?;
            let problems: Vec<String> = problems
                .into_iter()
                .map(|(field, message)| format!("  {field}: {message}"))
                .collect();
            bail!(
                "the mapping file does not fit this file:\n{}",
                problems.join("\n")
            );
        }
        db.set_import_plan(workspace.id, &import.id, &plan).await?;
        import = db.import(workspace.id, &import.id).await?;
    }
    print_mapping(&import);
    if args.dry_run {
        let preview = db.preview_import(workspace.id, &import.id).await?;
        db.discard_import(workspace.id, &import.id).await?;
        println!("dry run, nothing written:");
        println!("{}", serde_json::to_string_pretty(&preview)?);
        return Ok(());
    }
    commit(&db, workspace.id, &import).await?;
    let import = db.import(workspace.id, &import.id).await?;
    print_report(&db, workspace.id, &import, started).await?;
    if let Some(path) = &args.errors {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let written = db
            .write_import_errors(workspace.id, &import.id, std::io::BufWriter::new(file))
            .await?;
        println!("{written} failed rows written to {}", path.display());
    }
    if import.status == "failed" {
        bail!("the import failed: {}", import.failure.unwrap_or_default());
    }
    Ok(())
}

/// The member the import is attributed to: the one named, or the workspace's first owner.
async fn importer(db: &Db, workspace: WorkspaceId, email: Option<&str>) -> Result<String> {
    let members = db.members(workspace).await?;
    let member = match email {
        Some(email) => members
            .iter()
            .find(|m| m.email.eq_ignore_ascii_case(email.trim()))
            .with_context(|| format!("{email} is not a member of this workspace"))?,
        None => members
            .iter()
            .find(|m| m.role == velocity_domain::Role::Owner)
            .context("the workspace has no owner; name a member with --as")?,
    };
    if !member.role.can_write_records() {
        bail!(
            "{} is a {} and cannot import records",
            member.email,
            member.role.as_str()
        );
    }
    Ok(member.user_id.to_string())
}

fn print_mapping(import: &Import) {
    println!("columns:");
    for column in import.plan["columns"].as_array().into_iter().flatten() {
        println!(
            "  {:<30} -> {:<28} {:>4.0}%  {}",
            column["column"].as_str().unwrap_or_default(),
            column["target"].as_str().unwrap_or_default(),
            column["confidence"].as_f64().unwrap_or_default() * 100.0,
            column["reason"].as_str().unwrap_or_default()
        );
    }
}

/// Commits in the background and prints progress until it ends.
async fn commit(db: &Db, workspace: WorkspaceId, import: &Import) -> Result<()> {
    db.begin_import_commit(workspace, &import.id).await?;
    let job = tokio::spawn({
        let (db, id) = (db.clone(), import.id.clone());
        async move { db.run_import(workspace, &id).await }
    });
    let started = Instant::now();
    while !job.is_finished() {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let current = db.import(workspace, &import.id).await?;
        let done = current.counts["processed"].as_i64().unwrap_or(0);
        eprint!(
            "\rcommitting: {done}/{} rows ({:.0} rows/s)   ",
            current.row_count,
            done as f64 / started.elapsed().as_secs_f64().max(0.001)
        );
    }
    eprintln!();
    // A failed run is recorded on the import and reported with the rest.
    if let Err(error) = job.await? {
        eprintln!("commit stopped: {error}");
    }
    Ok(())
}

async fn print_report(
    db: &Db,
    workspace: WorkspaceId,
    import: &Import,
    started: Instant,
) -> Result<()> {
    println!(
        "import {} {} in {:.1} s",
        import.id,
        import.status,
        started.elapsed().as_secs_f64()
    );
    if let Some(counts) = import.counts.as_object() {
        for (outcome, n) in counts {
            println!("  {outcome:<10} {}", n.as_i64().unwrap_or(0));
        }
    }
    let errors = db
        .import_rows(workspace, &import.id, Some("error"), 0, 20)
        .await?;
    if !errors.is_empty() {
        println!("first failed rows:");
    }
    for row in errors {
        println!(
            "  row {} (line {}): {}",
            row.row,
            row.line,
            row.message.as_deref().map_or("", |m| m)
        );
    }
    Ok(())
}
