//! `dedupe-eval`: measures the duplicate engine (`velocity_import::dedupe`) against data with
//! known duplicates — the FEBRL person sets (contacts) and the Fodor's/Zagat restaurants
//! (accounts) — and fails when any set misses precision 0.98 or recall 0.95 at the automatic
//! merge threshold.
//!
//! Each file goes through what a real import does: the header gets a proposed mapping
//! (`mapping::propose`), each row is prepared (`rows::prepare`) into field values and
//! attributes, and `dedupe::profile_of` makes the profile. The column that holds the ground
//! truth (`rec_id`, `unique_id`) is taken out before mapping, so the engine never sees it.

use anyhow::{bail, Context as _, Result};
use clap::Parser;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use velocity_domain::ObjectKind;
use velocity_import::dedupe::{self, Index, Profile, MERGE_THRESHOLD};
use velocity_import::mapping::{self, Target};
use velocity_import::{sniff, Column, Context, DayOrder};

/// Measure duplicate detection on labelled data sets: precision, recall and F1 of the pairs
/// predicted at the automatic merge threshold, per data set.
#[derive(Parser)]
#[command(name = "dedupe-eval")]
struct Args {
    /// The shared data folder: holds `febrl/dataset{1,2,3}.csv` and
    /// `restaurant-fodors-zagat/restaurant-{1,2}.csv`.
    data: PathBuf,
    /// Confidence at or above which a pair counts as a duplicate (default: the engine's
    /// automatic merge threshold).
    #[arg(long)]
    threshold: Option<f64>,
    /// Print up to this many missed and wrongly predicted pairs per data set, with the
    /// evidence, to see what the engine gets wrong.
    #[arg(long, default_value_t = 0)]
    show: usize,
}

/// A data set read into profiles, with the entity each record belongs to.
struct Labelled {
    name: String,
    profiles: Vec<Profile>,
    entity: Vec<String>,
    /// The raw rows, for `--show`.
    rows: Vec<String>,
    /// Time spent mapping, preparing and profiling the rows.
    prepare: Duration,
}

fn main() -> Result<ExitCode> {
    let args = Args::parse();
    let threshold = args.threshold.unwrap_or(MERGE_THRESHOLD);
    let mut sets = Vec::new();
    for n in 1..=3 {
        let path = args.data.join(format!("febrl/dataset{n}.csv"));
        sets.push(read_febrl(&path).with_context(|| format!("reading {}", path.display()))?);
    }
    let folder = args.data.join("restaurant-fodors-zagat");
    sets.push(read_restaurants(&[
        folder.join("restaurant-1.csv"),
        folder.join("restaurant-2.csv"),
    ])?);

    println!(
        "Confidence threshold {threshold} (the automatic merge threshold unless --threshold).\n\
         candidate: pairs sharing a blocking key; blocked: true pairs among them.\n\
         predicted: every pair inside a group formed by dedupe::groups from the pairs at or \
         above the threshold (transitive closure with its guard against chaining); precision, \
         recall and F1 are of these. direct P / R: the pairs at or above the threshold \
         themselves, before grouping.\n\
         prepare ms: mapping, preparing and profiling the rows as an import does; engine ms: \
         indexing, blocking, scoring and grouping."
    );
    println!(
        "{:<15} {:>7} {:>5} {:>9} {:>7} {:>9} {:>5} {:>9} {:>6} {:>6} {:>15} {:>10} {:>9}",
        "data set",
        "records",
        "true",
        "candidate",
        "blocked",
        "predicted",
        "TP",
        "precision",
        "recall",
        "F1",
        "direct P / R",
        "prepare ms",
        "engine ms"
    );
    let mut failed = Vec::new();
    for set in &sets {
        let started = Instant::now();
        let index = Index::new(set.profiles.clone());
        let pairs = index.scored_pairs();
        let groups = dedupe::groups(&pairs, threshold);
        let elapsed = started.elapsed();

        let truth = true_pairs(&set.entity);
        let candidates = pairs.len();
        let blocked = pairs
            .iter()
            .filter(|p| set.entity[p.a] == set.entity[p.b])
            .count();
        let mut predicted: Vec<(usize, usize)> = Vec::new();
        for group in &groups {
            for (x, &a) in group.iter().enumerate() {
                for &b in &group[x + 1..] {
                    predicted.push((a, b));
                }
            }
        }
        let tp = predicted
            .iter()
            .filter(|(a, b)| set.entity[*a] == set.entity[*b])
            .count();
        let direct: Vec<(usize, usize)> = pairs
            .iter()
            .filter(|p| p.confidence >= threshold)
            .map(|p| (p.a, p.b))
            .collect();
        let direct_tp = direct
            .iter()
            .filter(|(a, b)| set.entity[*a] == set.entity[*b])
            .count();
        let (precision, recall) = rates(tp, predicted.len(), truth);
        let (direct_p, direct_r) = rates(direct_tp, direct.len(), truth);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        println!(
            "{:<15} {:>7} {:>5} {:>9} {:>7} {:>9} {:>5} {:>9.4} {:>6.4} {:>6.4} {:>6.4} / {:.4} {:>10.1} {:>9.1}",
            set.name,
            set.profiles.len(),
            truth,
            candidates,
            blocked,
            predicted.len(),
            tp,
            precision,
            recall,
            f1,
            direct_p,
            direct_r,
            set.prepare.as_secs_f64() * 1000.0,
            elapsed.as_secs_f64() * 1000.0
        );
        if precision < 0.98 || recall < 0.95 {
            failed.push(set.name.clone());
        }
        if args.show > 0 {
            show_errors(set, &index, &pairs, &predicted, threshold, args.show);
        }
    }
    if !failed.is_empty() {
        eprintln!(
            "FAILED: below precision 0.98 or recall 0.95: {}",
            failed.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    println!("every data set reaches precision >= 0.98 and recall >= 0.95");
    Ok(ExitCode::SUCCESS)
}

fn rates(tp: usize, predicted: usize, truth: usize) -> (f64, f64) {
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    (ratio(tp, predicted), ratio(tp, truth))
}

fn true_pairs(entity: &[String]) -> usize {
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for e in entity {
        *sizes.entry(e.as_str()).or_default() += 1;
    }
    sizes.values().map(|n| n * (n - 1) / 2).sum()
}

/// Rows through the import's own mapping and preparation into profiles. `truth` is the
/// position of the ground-truth column, which is left out.
fn profiles_of(
    object: ObjectKind,
    headers: &[String],
    rows: &[Vec<String>],
    truth: usize,
) -> Result<Vec<Profile>> {
    let strip = |row: &[String]| -> Vec<String> {
        row.iter()
            .enumerate()
            .filter(|(i, _)| *i != truth)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let headers = strip(headers);
    let rows: Vec<Vec<String>> = rows.iter().map(|r| strip(r)).collect();
    let sample: Vec<Vec<String>> = rows.iter().take(200).cloned().collect();
    let mut columns = Vec::new();
    for proposal in mapping::propose(object, &headers, &sample) {
        let index = headers
            .iter()
            .position(|h| *h == proposal.column)
            .context("a proposal names a column the file lacks")?;
        let target = Target::parse(&proposal.target, object).map_err(anyhow::Error::msg)?;
        columns.push(Column {
            index,
            name: proposal.column,
            target,
        });
    }
    let context = Context {
        default_country: "US".into(),
        day_order: DayOrder::MonthFirst,
        values: Default::default(),
    };
    Ok(rows
        .iter()
        .map(|row| {
            let prepared = velocity_import::prepare(object, &columns, row, &context);
            dedupe::profile_of(object, &prepared.values, &prepared.attributes)
        })
        .collect())
}

/// A FEBRL file: `rec-N-org` / `rec-N-dup-K` ids, one entity per N; read with the import's
/// own layout sniffing and CSV reader.
fn read_febrl(path: &Path) -> Result<Labelled> {
    let text = std::fs::read_to_string(path)?;
    let layout = sniff::sniff_layout(&text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut rows = Vec::new();
    for row in sniff::Rows::new(text.as_bytes(), &layout) {
        let row = row.map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(problem) = row.problem {
            bail!("line {}: {problem}", row.line);
        }
        rows.push(row.values);
    }
    let truth = layout
        .headers
        .iter()
        .position(|h| h == "rec_id")
        .context("no rec_id column")?;
    let entity = rows
        .iter()
        .map(|r| {
            let id = r.get(truth).map_or("", |s| s.trim());
            id.split('-').nth(1).unwrap_or(id).to_string()
        })
        .collect();
    let started = Instant::now();
    let profiles = profiles_of(ObjectKind::Contact, &layout.headers, &rows, truth)?;
    let prepare = started.elapsed();
    let name = path
        .file_stem()
        .map_or("febrl".into(), |s| format!("febrl/{}", s.to_string_lossy()));
    Ok(Labelled {
        name,
        profiles,
        entity,
        rows: rows.iter().map(|r| r.join(",")).collect(),
        prepare,
    })
}

/// The restaurant files: values written `"a", "b", …, 'id'`; the id is the entity.
fn read_restaurants(paths: &[PathBuf]) -> Result<Labelled> {
    let mut headers = Vec::new();
    let mut rows = Vec::new();
    for path in paths {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        headers = split_quoted(lines.next().context("empty file")?);
        for line in lines {
            let row = split_quoted(line);
            if row.len() != headers.len() {
                bail!("{}: `{line}` has {} values", path.display(), row.len());
            }
            rows.push(row);
        }
    }
    let truth = headers
        .iter()
        .position(|h| h == "unique_id")
        .context("no unique_id column")?;
    let entity = rows
        .iter()
        .map(|r| r.get(truth).cloned().unwrap_or_default())
        .collect();
    let started = Instant::now();
    let profiles = profiles_of(ObjectKind::Account, &headers, &rows, truth)?;
    let prepare = started.elapsed();
    Ok(Labelled {
        name: "restaurants".into(),
        profiles,
        entity,
        rows: rows.iter().map(|r| r.join(" | ")).collect(),
        prepare,
    })
}

/// Splits `"a", "b, c", 'd'` (values in double or single quotes, separated by a comma and
/// blanks) or a plain comma-separated line. A quote ends a value only where a separator or the
/// end of the line follows, so apostrophes inside values survive.
fn split_quoted(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.trim_end_matches(['\r', '\n']).chars().collect();
    let mut values = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        let mut value = String::new();
        if i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
            let quote = chars[i];
            i += 1;
            while i < chars.len() {
                let closes = chars[i] == quote && {
                    let mut k = i + 1;
                    while k < chars.len() && chars[k] == ' ' {
                        k += 1;
                    }
                    k == chars.len() || chars[k] == ','
                };
                if closes {
                    i += 1;
                    break;
                }
                value.push(chars[i]);
                i += 1;
            }
            while i < chars.len() && chars[i] != ',' {
                i += 1;
            }
        } else {
            while i < chars.len() && chars[i] != ',' {
                value.push(chars[i]);
                i += 1;
            }
        }
        values.push(value.trim().to_string());
        if i >= chars.len() {
            break;
        }
        i += 1; // the comma
    }
    values
}

fn show_errors(
    set: &Labelled,
    index: &Index,
    pairs: &[dedupe::ScoredPair],
    predicted: &[(usize, usize)],
    threshold: f64,
    limit: usize,
) {
    let scores: HashMap<(usize, usize), f64> =
        pairs.iter().map(|p| ((p.a, p.b), p.confidence)).collect();
    let explain = |a: usize, b: usize| {
        let evidence: Vec<String> = index
            .explain(a, b)
            .iter()
            .map(|e| format!("{:?}:{:?}:{:.1}", e.field, e.level, e.bits))
            .collect();
        format!(
            "    {}\n    {}\n    score {:?}  {}",
            set.rows[a],
            set.rows[b],
            scores.get(&(a, b)).map(|c| (c * 1000.0).round() / 1000.0),
            evidence.join(" ")
        )
    };
    let wrong: Vec<&(usize, usize)> = predicted
        .iter()
        .filter(|(a, b)| set.entity[*a] != set.entity[*b])
        .collect();
    println!("  wrongly predicted ({}):", wrong.len());
    for (a, b) in wrong.into_iter().take(limit) {
        println!("{}", explain(*a, *b));
    }
    let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in set.entity.iter().enumerate() {
        members.entry(e).or_default().push(i);
    }
    let predicted: std::collections::HashSet<&(usize, usize)> = predicted.iter().collect();
    let mut missed = Vec::new();
    for group in members.values() {
        for (x, &a) in group.iter().enumerate() {
            for &b in &group[x + 1..] {
                if !predicted.contains(&(a, b)) {
                    missed.push((a, b));
                }
            }
        }
    }
    missed.sort_unstable();
    println!(
        "  missed ({}), below {threshold} or never a candidate:",
        missed.len()
    );
    for (a, b) in missed.into_iter().take(limit) {
        println!("{}", explain(a, b));
    }
}
