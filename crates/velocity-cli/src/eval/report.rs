//! The result of `velocity eval scoring`, as data (printed with `--json`) and as text a person
//! reads: what was used and dropped, the split, the model's scores beside the baselines, its
//! calibration and the factors it learned.

use super::columns::{FeatureKindName, Profile, Role};
use serde::Serialize;
use std::fmt::Write;
use velocity_intel::scoring::metrics::CalibrationBin;
use velocity_intel::scoring::{CrossValidation, FeatureSummary, MATERIAL_LOG_ODDS};

#[derive(Debug, Serialize)]
pub struct Report {
    pub file: String,
    pub encoding: &'static str,
    pub delimiter: String,
    pub rows: RowCounts,
    pub warnings: Vec<String>,
    pub columns: Vec<Profile>,
    pub owner_column: Option<String>,
    pub split: Split,
    pub model: Scores,
    pub constant_win_rate: Scores,
    pub owner_win_rate: Option<Scores>,
    pub calibration: Vec<CalibrationBin>,
    pub lambda: f64,
    pub cross_validation: CrossValidation,
    /// Features whose average effect is material, strongest first.
    pub factors: Vec<FeatureSummary>,
    pub repeats: Option<Repeats>,
}

#[derive(Debug, Default, Serialize)]
pub struct RowCounts {
    pub in_file: usize,
    pub unreadable: usize,
    pub without_outcome: usize,
    /// Neither the positive nor the negative value (open deals), when `--negative` is given.
    pub other_outcome: usize,
    /// Without a readable date, when splitting by date.
    pub without_date: usize,
    pub won: usize,
    pub lost: usize,
}

#[derive(Debug, Serialize)]
pub struct Split {
    /// `time` or `stratified`.
    pub kind: &'static str,
    pub seed: Option<u64>,
    pub train_rows: usize,
    pub train_won: usize,
    pub test_rows: usize,
    pub test_won: usize,
    /// For a time split: the last training date and the first test date.
    pub boundary: Option<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scores {
    pub auc: Option<f64>,
    pub brier: f64,
    pub log_loss: f64,
    pub ece: f64,
    /// The ECE perfectly calibrated probabilities would show on these deals by chance alone.
    pub chance_ece: f64,
}

#[derive(Debug, Serialize)]
pub struct Repeats {
    pub seeds: Vec<u64>,
    pub model: Spread,
    pub constant_win_rate: Spread,
    pub owner_win_rate: Option<Spread>,
}

#[derive(Debug, Serialize)]
pub struct Spread {
    pub mean_auc: f64,
    pub min_auc: f64,
    pub max_auc: f64,
    pub mean_brier: f64,
    pub mean_ece: f64,
    pub mean_chance_ece: f64,
}

impl Spread {
    pub fn of(scores: &[Scores]) -> Spread {
        let aucs: Vec<f64> = scores.iter().map(|s| s.auc.unwrap_or(0.5)).collect();
        let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len().max(1) as f64;
        let briers: Vec<f64> = scores.iter().map(|s| s.brier).collect();
        let eces: Vec<f64> = scores.iter().map(|s| s.ece).collect();
        let chance: Vec<f64> = scores.iter().map(|s| s.chance_ece).collect();
        Spread {
            mean_auc: mean(&aucs),
            min_auc: aucs.iter().copied().fold(f64::INFINITY, f64::min),
            max_auc: aucs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            mean_brier: mean(&briers),
            mean_ece: mean(&eces),
            mean_chance_ece: mean(&chance),
        }
    }
}

fn auc(value: Option<f64>) -> String {
    value.map_or_else(|| "  n/a".into(), |v| format!("{v:.3}"))
}

fn percent(part: usize, whole: usize) -> String {
    format!("{:.0}%", 100.0 * part as f64 / whole.max(1) as f64)
}

impl Report {
    pub fn text(&self) -> String {
        let mut out = String::new();
        let r = &self.rows;
        let closed = r.won + r.lost;
        let _ = writeln!(out, "Win scoring evaluation of {}", self.file);
        let _ = writeln!(
            out,
            "Read as {}, delimiter {:?}: {} rows; {closed} closed deals used ({} won, {} lost, \
             win rate {}).",
            self.encoding,
            self.delimiter,
            r.in_file,
            r.won,
            r.lost,
            percent(r.won, closed)
        );
        for (count, why) in [
            (r.unreadable, "could not be read (ragged or broken)"),
            (r.without_outcome, "have no outcome"),
            (r.other_outcome, "have another outcome (open deals)"),
            (r.without_date, "have no readable date to split by"),
        ] {
            if count > 0 {
                let _ = writeln!(out, "  skipped {count} rows that {why}");
            }
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "\nWARNING: {warning}");
        }
        self.columns_text(&mut out);
        self.scores_text(&mut out);
        self.factors_text(&mut out);
        out
    }

    fn columns_text(&self, out: &mut String) {
        let used: Vec<String> = self
            .columns
            .iter()
            .filter_map(|p| match p.role {
                Role::Feature(FeatureKindName::Numeric) => Some(format!("{} (numeric)", p.column)),
                Role::Feature(FeatureKindName::Categorical) => {
                    Some(format!("{} ({} values)", p.column, p.distinct))
                }
                _ => None,
            })
            .collect();
        let _ = writeln!(out, "\nColumns used as features ({}):", used.len());
        let _ = writeln!(out, "  {}", used.join(", "));
        let _ = writeln!(out, "Columns not used:");
        for p in &self.columns {
            let why = match &p.role {
                Role::Feature(_) => continue,
                Role::Outcome => "the outcome".to_string(),
                Role::SplitDate => "the date the split follows (not a feature)".to_string(),
                Role::Dropped(why) => why.clone(),
            };
            let _ = writeln!(out, "  {}: {why}", p.column);
        }
        if let Some(owner) = &self.owner_column {
            let _ = writeln!(out, "Owner column for the owner baseline: {owner}");
        }
    }

    fn scores_text(&self, out: &mut String) {
        let s = &self.split;
        let how = match (s.kind, s.seed, &s.boundary) {
            ("time", _, Some((last, first))) => {
                format!("by date: trained up to {last}, tested from {first}")
            }
            (_, Some(seed), _) => format!("stratified 70/30, seed {seed}"),
            _ => s.kind.to_string(),
        };
        let _ = writeln!(
            out,
            "\nSplit {how}: {} training deals ({} won), {} test deals ({} won).",
            s.train_rows,
            percent(s.train_won, s.train_rows),
            s.test_rows,
            percent(s.test_won, s.test_rows)
        );
        let _ = writeln!(out, "\nOn the test deals      AUC   Brier  log loss    ECE");
        let mut row = |name: &str, scores: &Scores| {
            let _ = writeln!(
                out,
                "  {name:<18}  {}  {:.4}    {:.4}  {:.4}",
                auc(scores.auc),
                scores.brier,
                scores.log_loss,
                scores.ece
            );
        };
        row("model", &self.model);
        row("constant win rate", &self.constant_win_rate);
        if let Some(owner) = &self.owner_win_rate {
            row("owner win rate", owner);
        }
        let brier_gain = self.constant_win_rate.brier - self.model.brier;
        if brier_gain.abs() < 5e-5 {
            let _ = writeln!(
                out,
                "  The model's Brier score equals that of always predicting the training win rate."
            );
        } else {
            let _ = writeln!(
                out,
                "  The model's Brier score is {:.4} {} than always predicting the training win rate.",
                brier_gain.abs(),
                if brier_gain > 0.0 { "better" } else { "worse" }
            );
        }
        let _ = writeln!(
            out,
            "  Perfectly calibrated probabilities would still show an ECE of about {:.4} on {} \
             deals, by chance alone.",
            self.model.chance_ece, s.test_rows
        );
        if let Some(repeats) = &self.repeats {
            let (first, last) = (
                repeats.seeds.first().copied().unwrap_or_default(),
                repeats.seeds.last().copied().unwrap_or_default(),
            );
            let _ = writeln!(
                out,
                "\nOver {} stratified splits (seeds {first}–{last}):",
                repeats.seeds.len()
            );
            let _ = writeln!(
                out,
                "                      mean AUC  min AUC  max AUC  mean Brier  mean ECE  (by chance)"
            );
            let mut row = |name: &str, s: &Spread| {
                let _ = writeln!(
                    out,
                    "  {name:<18}     {:.3}    {:.3}    {:.3}      {:.4}    {:.4}     ({:.4})",
                    s.mean_auc, s.min_auc, s.max_auc, s.mean_brier, s.mean_ece, s.mean_chance_ece
                );
            };
            row("model", &repeats.model);
            row("constant win rate", &repeats.constant_win_rate);
            if let Some(owner) = &repeats.owner_win_rate {
                row("owner win rate", owner);
            }
        }
        let _ = writeln!(out, "\nCalibration of the model on the test deals:");
        let _ = writeln!(out, "  predicted   deals  mean predicted  won");
        for bin in &self.calibration {
            let _ = writeln!(
                out,
                "  {:.1}–{:.1}   {:>6}           {:.3}  {:.3}",
                bin.lower, bin.upper, bin.count, bin.mean_predicted, bin.observed_rate
            );
        }
    }

    fn factors_text(&self, out: &mut String) {
        let cv = &self.cross_validation;
        let _ = writeln!(
            out,
            "\nModel: L2-regularised logistic regression, λ = {:.2e} chosen by {}-fold \
             cross-validation on the training deals (there: AUC {}, Brier {:.4}, ECE {:.4}).",
            self.lambda,
            cv.folds,
            auc(cv.auc).trim(),
            cv.brier,
            cv.ece
        );
        if self.factors.is_empty() {
            let _ = writeln!(
                out,
                "No feature moves the odds by {MATERIAL_LOG_ODDS} log-odds or more on average: \
                 the data carries little signal, so the model stays near the win rate."
            );
            return;
        }
        let _ = writeln!(
            out,
            "Top factors (average effect in log-odds, training deals):"
        );
        for factor in &self.factors {
            let mut line = format!("  {} ({:.2})", factor.name, factor.importance);
            let up = factor
                .values
                .iter()
                .max_by(|a, b| a.effect.total_cmp(&b.effect));
            let down = factor
                .values
                .iter()
                .min_by(|a, b| a.effect.total_cmp(&b.effect));
            for (value, verb) in [(up, "raises"), (down, "lowers")] {
                if let Some(v) = value.filter(|v| v.effect.abs() >= MATERIAL_LOG_ODDS) {
                    let _ = write!(
                        line,
                        "; {} {verb} the odds (won {:.0}% of {})",
                        v.value,
                        100.0 * v.win_rate,
                        v.rows
                    );
                }
            }
            let _ = writeln!(out, "{line}");
        }
    }
}
