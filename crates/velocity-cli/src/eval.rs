//! `velocity eval forecast` scores past forecast snapshots against what was won (the work is
//! in the server library, shared with `GET /forecast/accuracy`), and with `--replay` the
//! forecasts of past days rebuilt from the event log.
//!
//! `velocity eval scoring`: how well the win-scoring model would do on a CSV of closed deals
//! from any CRM, measured honestly: trained on one part of the file and tested on the rest,
//! beside the baselines a sales team already has (the overall win rate, each owner's win
//! rate), with leaks caught and every dropped column explained.

mod columns;
mod measure;
mod report;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use measure::{run_split, sorted, stratified_split, TRAIN_SHARE};
use report::{Report, RowCounts, Split, Spread};
use std::collections::HashSet;
use std::path::PathBuf;
use velocity_import::dates::{self, DayOrder};
use velocity_intel::scoring::MATERIAL_LOG_ODDS;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Measure how well win scoring predicts the outcomes in a CSV of closed deals.
    ///
    /// The model learns from 70% of the deals and is tested on the other 30%; its AUC (how
    /// well it ranks won above lost, 0.5 = chance), Brier score and log loss (how accurate its
    /// probabilities are, lower is better) and calibration error are printed beside two
    /// baselines: the training win rate for every deal, and each owner's win rate. Columns are
    /// typed from their values; identifiers, dates, constant columns and leaks (a column that
    /// alone gives the outcome away, such as a close value only won deals have) are left out
    /// and reported.
    ///
    /// Example: velocity eval scoring --csv deals.csv --outcome Stage --positive "Closed Won"
    /// --negative "Closed Lost" --date "Created Date"
    Scoring(ScoringArgs),
    /// Score the workspace's past forecasts against the revenue actually won.
    ///
    /// Every daily forecast snapshot whose period has ended is compared with what was won in
    /// that period: pinball loss at P10, P50 and P90 (lower is better), CRPS approximated from
    /// the stored percentiles, the share of periods that landed inside the P10–P90 band (0.8
    /// for a calibrated forecast) and the P50's percentage error. With --replay, the forecasts
    /// of past days are rebuilt from the event log (each from what was known that day) and
    /// scored the same way, beside the weighted pipeline most CRMs show.
    ///
    /// Example: velocity eval forecast --workspace "Skyline Estates" --replay 26
    Forecast(ForecastArgs),
}

#[derive(Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    database: crate::DatabaseArgs,
    /// The workspace, by id or exact name
    #[arg(long)]
    workspace: String,
    /// Also rebuild the forecasts of past days from the event log, one a week for this many
    /// weeks back, and score those whose period has ended
    #[arg(long, value_name = "WEEKS", value_parser = clap::value_parser!(u32).range(1..=156))]
    replay: Option<u32>,
    /// Simulations per rebuilt forecast
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    simulations: u64,
    /// Print the full result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ScoringArgs {
    /// The CSV (or TSV) file: one row per deal, any encoding, delimiter and header naming
    #[arg(long)]
    csv: PathBuf,
    /// The column that holds the outcome (e.g. Stage, Status)
    #[arg(long)]
    outcome: String,
    /// The outcome value that means won (compared ignoring case)
    #[arg(long)]
    positive: String,
    /// The outcome value that means lost; rows with any other value (open deals) are skipped.
    /// Without it, every value other than --positive counts as lost
    #[arg(long)]
    negative: Option<String>,
    /// A date column to split by time: train on the earliest 70% of deals and test on the
    /// latest 30%, as the model would be used. Without it the split is random (stratified)
    #[arg(long)]
    date: Option<String>,
    /// Columns to leave out, comma-separated (e.g. fields filled in only after closing)
    #[arg(long, value_delimiter = ',')]
    exclude: Vec<String>,
    /// The column naming each deal's owner, for the owner baseline [default: a column named
    /// owner, seller, sales agent, sales rep, rep or account owner]
    #[arg(long)]
    owner: Option<String>,
    /// Seed of the random split
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Repeat the random split over this many seeds (seed, seed+1, …) and also report the
    /// mean and the range of the scores; single splits of small files vary a lot
    #[arg(long, default_value_t = 1)]
    repeats: usize,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

pub async fn run(command: EvalCommand) -> Result<()> {
    match command {
        EvalCommand::Scoring(args) => scoring(&args),
        EvalCommand::Forecast(args) => forecast(&args).await,
    }
}

async fn forecast(args: &ForecastArgs) -> Result<()> {
    let db = args.database.connect().await?;
    let workspace = db.find_workspace(&args.workspace).await?;
    let stored = velocity_server::forecast_accuracy(&db, workspace.id)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let replay = match args.replay {
        Some(weeks) => {
            let request = velocity_server::ReplayRequest {
                timeframes: velocity_server::FORECAST_TIMEFRAMES.to_vec(),
                weeks,
                simulations: args.simulations as usize,
                seed: 42,
            };
            let replay = velocity_server::replay_forecasts(&db, workspace.id, &request)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            Some(replay)
        }
        None => None,
    };
    if args.json {
        let result = serde_json::json!({"stored": stored, "replay": replay});
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    println!(
        "Stored snapshots: {} scored, {} still inside their period",
        stored.snapshots.len(),
        stored.pending
    );
    for t in &stored.by_timeframe {
        print_accuracy(t);
    }
    if let Some(replay) = replay {
        println!(
            "Rebuilt from the event log: {} forecasts of past days",
            replay.forecasts.len()
        );
        for t in &replay.by_timeframe {
            print_accuracy(t);
            if let Some(share) = replay.won_from_later_deals.get(t.timeframe.as_str()) {
                println!(
                    "          {:.0}% of the revenue won came from deals created after the forecast",
                    share * 100.0
                );
            }
        }
    }
    Ok(())
}

fn print_accuracy(t: &velocity_server::TimeframeAccuracy) {
    println!(
        "{:>8}: {} forecasts, CRPS {:.0}, pinball P10 {:.0} / P50 {:.0} / P90 {:.0}, inside P10–P90 {:.0}%{}{}",
        t.timeframe,
        t.snapshots,
        t.mean_crps,
        t.mean_pinball_p10,
        t.mean_pinball_p50,
        t.mean_pinball_p90,
        t.p10_p90_coverage * 100.0,
        t.mean_absolute_percentage_error_p50
            .map_or(String::new(), |e| format!(", P50 off by {:.1}%", e * 100.0)),
        t.mean_crps_weighted_pipeline
            .map_or(String::new(), |e| format!("; weighted pipeline off by {e:.0}")),
    );
}

fn scoring(args: &ScoringArgs) -> Result<()> {
    let report = evaluate(args)?;
    if args.json {
        for warning in &report.warnings {
            eprintln!("warning: {warning}");
        }
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

fn evaluate(args: &ScoringArgs) -> Result<Report> {
    if args.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    if args.date.is_some() && args.repeats > 1 {
        bail!("--repeats applies to the random split; with --date there is only one split");
    }
    let csv = columns::read(&args.csv)?;
    let outcome = csv.column(&args.outcome)?;
    let date = args.date.as_deref().map(|d| csv.column(d)).transpose()?;
    let excluded: HashSet<usize> = args
        .exclude
        .iter()
        .filter(|name| !name.trim().is_empty())
        .map(|name| csv.column(name))
        .collect::<Result<_>>()?;
    let owner = match &args.owner {
        Some(name) => Some(csv.column(name)?),
        None => columns::owner_column(&csv.headers).filter(|&c| c != outcome),
    };

    let mut counts = RowCounts {
        in_file: csv.rows.len() + csv.bad_rows,
        unreadable: csv.bad_rows,
        ..RowCounts::default()
    };
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let mut rows = Vec::new();
    let mut outcomes = Vec::new();
    for row in 0..csv.rows.len() {
        let value = csv.cell(row, outcome);
        let won = if value.is_empty() {
            counts.without_outcome += 1;
            continue;
        } else if same(value, &args.positive) {
            true
        } else if args.negative.as_deref().is_none_or(|n| same(value, n)) {
            false
        } else {
            counts.other_outcome += 1;
            continue;
        };
        rows.push(row);
        outcomes.push(won);
    }
    let days = match date {
        Some(column) => {
            let order = DayOrder::detect(
                rows.iter().map(|&r| csv.cell(r, column)),
                DayOrder::MonthFirst,
            );
            let parsed: Vec<_> = rows
                .iter()
                .map(|&r| dates::parse_date(csv.cell(r, column), order).ok())
                .collect();
            counts.without_date = parsed.iter().filter(|d| d.is_none()).count();
            let keep: Vec<bool> = parsed.iter().map(Option::is_some).collect();
            rows = rows
                .iter()
                .zip(&keep)
                .filter(|(_, &k)| k)
                .map(|(&r, _)| r)
                .collect();
            outcomes = outcomes
                .iter()
                .zip(&keep)
                .filter(|(_, &k)| k)
                .map(|(&o, _)| o)
                .collect();
            Some(parsed.into_iter().flatten().collect::<Vec<_>>())
        }
        None => None,
    };
    counts.won = outcomes.iter().filter(|&&o| o).count();
    counts.lost = outcomes.len() - counts.won;
    if counts.won < 10 || counts.lost < 10 {
        bail!(
            "the file has {} won and {} lost deals; an evaluation needs at least 10 of each \
             (check --outcome, --positive and --negative)",
            counts.won,
            counts.lost
        );
    }

    let profiles = columns::profile(&csv, &rows, outcome, date, &excluded);
    let (table, _) = columns::features(&csv, &profiles, &rows)?;
    if table.schema().is_empty() {
        bail!("no column is left to learn from; see which were dropped with --json");
    }
    let owners: Option<Vec<String>> =
        owner.map(|c| rows.iter().map(|&r| csv.cell(r, c).to_string()).collect());

    let mut boundary = None;
    let splits: Vec<(Option<u64>, Vec<usize>, Vec<usize>)> = match &days {
        Some(days) => {
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.sort_by_key(|&p| (days[p], p));
            let mut cut = (TRAIN_SHARE * order.len() as f64).round() as usize;
            // Deals of one day stay on one side, so the test set starts on a new day.
            while cut > 0 && cut < order.len() && days[order[cut]] == days[order[cut - 1]] {
                cut += 1;
            }
            let (train, test) = order.split_at(cut);
            if let (Some(&last), Some(&first)) = (train.last(), test.first()) {
                boundary = Some((days[last].to_string(), days[first].to_string()));
            }
            vec![(None, sorted(train), sorted(test))]
        }
        None => (0..args.repeats as u64)
            .map(|k| {
                let seed = args.seed + k;
                let (train, test) = stratified_split(&outcomes, seed);
                (Some(seed), train, test)
            })
            .collect(),
    };

    let mut runs = Vec::new();
    for (seed, train, test) in &splits {
        runs.push(run_split(
            &table,
            &outcomes,
            owners.as_deref(),
            train,
            test,
            seed.unwrap_or(args.seed),
        )?);
    }
    let Some(first) = runs.first() else {
        bail!("no split was made");
    };
    let (seed, train, test) = &splits[0];
    let won_in = |part: &[usize]| part.iter().filter(|&&p| outcomes[p]).count();

    let mut warnings = Vec::new();
    let mut profiles = profiles;
    let mut leaks: Vec<(String, f64)> = Vec::new();
    for run in &runs {
        for excluded in &run.model.excluded {
            if let Some(auc) = excluded.leak_auc {
                if !leaks.iter().any(|(name, _)| name == &excluded.feature) {
                    leaks.push((excluded.feature.clone(), auc));
                }
            }
        }
    }
    for (name, auc) in &leaks {
        let quoted = if name.contains(char::is_whitespace) {
            format!("\"{name}\"")
        } else {
            name.clone()
        };
        warnings.push(format!(
            "`{name}` alone separates won from lost almost perfectly (AUC {auc:.3} on the \
             training deals). It is most likely filled in because of the outcome (a leak), so \
             the model leaves it out; use --exclude {quoted} to silence this."
        ));
        if let Some(p) = profiles.iter_mut().find(|p| &p.column == name) {
            p.role = columns::Role::Dropped(format!(
                "LEAK: alone it separates won from lost (AUC {auc:.3})"
            ));
        }
    }
    for excluded in first.model.excluded.iter().filter(|e| e.leak_auc.is_none()) {
        if let Some(p) = profiles.iter_mut().find(|p| p.column == excluded.feature) {
            p.role = columns::Role::Dropped(format!("unused by the model: {}", excluded.reason));
        }
    }

    let repeats = (runs.len() > 1).then(|| report::Repeats {
        seeds: splits.iter().filter_map(|s| s.0).collect(),
        model: Spread::of(&runs.iter().map(|r| r.scores.clone()).collect::<Vec<_>>()),
        constant_win_rate: Spread::of(&runs.iter().map(|r| r.constant.clone()).collect::<Vec<_>>()),
        owner_win_rate: owners.as_ref().map(|_| {
            Spread::of(
                &runs
                    .iter()
                    .filter_map(|r| r.owner.clone())
                    .collect::<Vec<_>>(),
            )
        }),
    });
    Ok(Report {
        file: args.csv.display().to_string(),
        encoding: csv.encoding,
        delimiter: csv.delimiter.to_string(),
        rows: counts,
        warnings,
        columns: profiles,
        owner_column: owner.map(|c| csv.headers[c].clone()),
        split: Split {
            kind: if days.is_some() { "time" } else { "stratified" },
            seed: *seed,
            train_rows: train.len(),
            train_won: won_in(train),
            test_rows: test.len(),
            test_won: won_in(test),
            boundary,
        },
        model: first.scores.clone(),
        constant_win_rate: first.constant.clone(),
        owner_win_rate: first.owner.clone(),
        calibration: first.calibration.clone(),
        lambda: first.model.lambda,
        cross_validation: first.model.cross_validation.clone(),
        factors: first
            .model
            .summary()
            .into_iter()
            .filter(|f| f.importance >= MATERIAL_LOG_ODDS)
            .take(8)
            .collect(),
        repeats,
    })
}
