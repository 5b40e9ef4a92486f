//! L2-regularised logistic regression on a sparse design matrix, solved with L-BFGS.
//!
//! Hand-written rather than taken from `linfa-logistic` 0.8, after measuring both on this
//! machine (2 cores, shared): adding linfa, linfa-logistic and ndarray 0.16 to this crate took
//! its clean release build from 29 s to 62 s (32 more crates; a bare probe crate: 5.5 s to
//! 27.6 s), and linfa fits a dense matrix: one fit on 100,000 rows × 60 columns took 9.6 s,
//! while training fits dozens of times (cross-validation) and must finish in under 5 s.
//! One-hot categoricals make the design sparse (a row touches one column per categorical and a
//! few per numeric), so a pass over the data here costs the entries per row, not the number of
//! one-hot columns; the objective is smooth and strictly convex, so plain L-BFGS with a
//! backtracking (Armijo) line search converges reliably. The whole training of 100,000 deals
//! takes about 2.6 s (`benches/scoring.rs`).
//!
//! Objective: mean log loss + λ/2 · ‖w‖², with the intercept not penalised.

/// Rows of (column, value) pairs in compressed sparse row form.
#[derive(Debug, Clone, Default)]
pub(crate) struct Design {
    columns: usize,
    offsets: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
}

impl Design {
    pub(crate) fn new(columns: usize) -> Design {
        Design {
            columns,
            offsets: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
        }
    }

    pub(crate) fn push_row(&mut self, entries: &[(u32, f64)]) {
        for &(column, value) in entries {
            self.indices.push(column);
            self.values.push(value);
        }
        self.offsets.push(self.indices.len());
    }

    pub(crate) fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    pub(crate) fn columns(&self) -> usize {
        self.columns
    }

    pub(crate) fn row(&self, row: usize) -> (&[u32], &[f64]) {
        let range = self.offsets[row]..self.offsets[row + 1];
        (&self.indices[range.clone()], &self.values[range])
    }

    /// `weights[column]` summed over the row's entries.
    fn dot(&self, row: usize, weights: &[f64]) -> f64 {
        let (indices, values) = self.row(row);
        indices
            .iter()
            .zip(values)
            .map(|(&c, &v)| weights[c as usize] * v)
            .sum()
    }

    /// The training mean of every column.
    pub(crate) fn column_means(&self) -> Vec<f64> {
        let mut sums = vec![0.0; self.columns];
        for (&c, &v) in self.indices.iter().zip(&self.values) {
            sums[c as usize] += v;
        }
        let n = self.rows().max(1) as f64;
        sums.iter().map(|s| s / n).collect()
    }
}

/// Intercept and one weight per design column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Coefficients {
    pub intercept: f64,
    pub weights: Vec<f64>,
}

impl Coefficients {
    pub(crate) fn logit(&self, design: &Design, row: usize) -> f64 {
        self.intercept + design.dot(row, &self.weights)
    }
}

/// One fit: which rows of the design it learns from and how strongly weights are shrunk.
pub(crate) struct Problem<'a> {
    pub design: &'a Design,
    pub outcomes: &'a [bool],
    pub rows: &'a [usize],
    pub lambda: f64,
}

const HISTORY: usize = 8;
const MAX_ITERATIONS: usize = 400;
/// Stop when no weight's gradient exceeds this (the loss is a mean, so this is per row).
const GRADIENT_TOLERANCE: f64 = 1e-6;
const ARMIJO: f64 = 1e-4;

pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + eᶻ) without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl Problem<'_> {
    fn outcome(&self, k: usize) -> f64 {
        f64::from(u8::from(self.outcomes[self.rows[k]]))
    }

    /// Mean log loss of logits `z`, plus the penalty given ‖w‖².
    fn loss(&self, z: impl Iterator<Item = f64>, norm2: f64) -> f64 {
        let total: f64 = z
            .enumerate()
            .map(|(k, z)| softplus(z) - self.outcome(k) * z)
            .sum();
        total / self.rows.len() as f64 + 0.5 * self.lambda * norm2
    }

    /// The gradient at logits `z` for parameters θ = [intercept, w…].
    fn gradient(&self, theta: &[f64], z: &[f64], out: &mut [f64]) {
        let n = self.rows.len() as f64;
        out.fill(0.0);
        for (k, &row) in self.rows.iter().enumerate() {
            let residual = (sigmoid(z[k]) - self.outcome(k)) / n;
            out[0] += residual;
            let (indices, values) = self.design.row(row);
            for (&c, &v) in indices.iter().zip(values) {
                out[c as usize + 1] += residual * v;
            }
        }
        for (g, w) in out[1..].iter_mut().zip(&theta[1..]) {
            *g += self.lambda * w;
        }
    }

    /// Logits of every row for parameters θ (or a direction).
    fn logits(&self, theta: &[f64], out: &mut [f64]) {
        for (k, &row) in self.rows.iter().enumerate() {
            out[k] = theta[0] + self.design.dot(row, &theta[1..]);
        }
    }
}

/// Fits the problem, starting from `start` (a neighbouring λ's solution) when given.
pub(crate) fn fit(problem: &Problem, start: Option<&Coefficients>) -> Coefficients {
    let dim = problem.design.columns() + 1;
    let mut theta = vec![0.0; dim];
    match start {
        Some(start) => {
            theta[0] = start.intercept;
            theta[1..].copy_from_slice(&start.weights);
        }
        None => {
            let n = problem.rows.len().max(1) as f64;
            let won = (0..problem.rows.len())
                .map(|k| problem.outcome(k))
                .sum::<f64>();
            let rate = ((won + 0.5) / (n + 1.0)).clamp(1e-6, 1.0 - 1e-6);
            theta[0] = (rate / (1.0 - rate)).ln();
        }
    }
    if problem.rows.is_empty() {
        return split(theta);
    }
    let n = problem.rows.len();
    let mut z = vec![0.0; n];
    let mut zd = vec![0.0; n];
    problem.logits(&theta, &mut z);
    let mut norm2 = dot(&theta[1..], &theta[1..]);
    let mut f = problem.loss(z.iter().copied(), norm2);
    let mut g = vec![0.0; dim];
    problem.gradient(&theta, &z, &mut g);
    let mut history: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> =
        std::collections::VecDeque::with_capacity(HISTORY);
    let mut direction = vec![0.0; dim];
    let mut g_new = vec![0.0; dim];
    for _ in 0..MAX_ITERATIONS {
        if g.iter().all(|x| x.abs() <= GRADIENT_TOLERANCE) {
            break;
        }
        two_loop(&g, &history, &mut direction);
        let mut slope = dot(&g, &direction);
        if slope >= 0.0 {
            // The curvature pairs no longer describe the function: fall back to steepest descent.
            history.clear();
            direction.iter_mut().zip(&g).for_each(|(d, g)| *d = -g);
            slope = -dot(&g, &g);
        }
        problem.logits(&direction, &mut zd);
        let w_dot_d = dot(&theta[1..], &direction[1..]);
        let d_norm2 = dot(&direction[1..], &direction[1..]);
        let mut step = 1.0;
        let accepted = loop {
            let trial_norm2 = norm2 + 2.0 * step * w_dot_d + step * step * d_norm2;
            let trial = problem.loss(z.iter().zip(&zd).map(|(z, d)| z + step * d), trial_norm2);
            if trial <= f + ARMIJO * step * slope {
                break Some((trial, trial_norm2));
            }
            step *= 0.5;
            if step < 1e-12 {
                break None;
            }
        };
        let Some((f_new, new_norm2)) = accepted else {
            break;
        };
        let s: Vec<f64> = direction.iter().map(|d| step * d).collect();
        theta.iter_mut().zip(&s).for_each(|(t, s)| *t += s);
        z.iter_mut().zip(&zd).for_each(|(z, d)| *z += step * d);
        problem.gradient(&theta, &z, &mut g_new);
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-16 {
            if history.len() == HISTORY {
                history.pop_front();
            }
            history.push_back((s, y, 1.0 / sy));
        }
        std::mem::swap(&mut g, &mut g_new);
        let decrease = f - f_new;
        f = f_new;
        norm2 = new_norm2;
        if decrease <= 1e-13 * f.abs().max(1.0) {
            break;
        }
    }
    split(theta)
}

fn split(mut theta: Vec<f64>) -> Coefficients {
    let intercept = theta.remove(0);
    Coefficients {
        intercept,
        weights: theta,
    }
}

/// The L-BFGS two-loop recursion: `out` = −H·g for the inverse Hessian H the history implies.
fn two_loop(
    g: &[f64],
    history: &std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)>,
    out: &mut [f64],
) {
    out.copy_from_slice(g);
    let mut alphas = [0.0; HISTORY];
    for (i, (s, y, rho)) in history.iter().enumerate().rev() {
        let alpha = rho * dot(s, out);
        alphas[i] = alpha;
        out.iter_mut().zip(y).for_each(|(q, y)| *q -= alpha * y);
    }
    let gamma = history
        .back()
        .map_or(1.0, |(s, y, _)| dot(s, y) / dot(y, y).max(1e-300));
    out.iter_mut().for_each(|q| *q *= gamma);
    for (i, (s, y, rho)) in history.iter().enumerate() {
        let beta = rho * dot(y, out);
        out.iter_mut()
            .zip(s)
            .for_each(|(r, s)| *r += (alphas[i] - beta) * s);
    }
    out.iter_mut().for_each(|r| *r = -*r);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem_data() -> (Design, Vec<bool>) {
        // One binary column; won 3 of 4 with it, 1 of 4 without.
        let mut design = Design::new(1);
        let mut outcomes = Vec::new();
        for (x, won) in [
            (1.0, true),
            (1.0, true),
            (1.0, true),
            (1.0, false),
            (0.0, true),
            (0.0, false),
            (0.0, false),
            (0.0, false),
        ] {
            design.push_row(&[(0, x)]);
            outcomes.push(won);
        }
        (design, outcomes)
    }

    #[test]
    fn unregularised_fit_recovers_the_log_odds() {
        let (design, outcomes) = problem_data();
        let rows: Vec<usize> = (0..8).collect();
        let fit = fit(
            &Problem {
                design: &design,
                outcomes: &outcomes,
                rows: &rows,
                lambda: 0.0,
            },
            None,
        );
        // Without the column: 1 in 4 → ln(1/3); with it: 3 in 4 → ln 3.
        assert!(
            (fit.intercept - (1.0f64 / 3.0).ln()).abs() < 1e-4,
            "{fit:?}"
        );
        assert!((fit.weights[0] - 9.0f64.ln()).abs() < 1e-4, "{fit:?}");
    }

    #[test]
    fn the_gradient_vanishes_at_the_regularised_optimum() {
        let (design, outcomes) = problem_data();
        let rows: Vec<usize> = (0..8).collect();
        let problem = Problem {
            design: &design,
            outcomes: &outcomes,
            rows: &rows,
            lambda: 0.5,
        };
        let cold = fit(&problem, None);
        let mut theta = vec![cold.intercept];
        theta.extend(&cold.weights);
        let mut z = vec![0.0; 8];
        problem.logits(&theta, &mut z);
        let mut g = vec![0.0; 2];
        problem.gradient(&theta, &z, &mut g);
        assert!(g.iter().all(|g| g.abs() < 1e-5), "{g:?}");
        assert!(cold.weights[0] > 0.0 && cold.weights[0] < 9.0f64.ln());
        let warm = fit(&problem, Some(&cold));
        assert!((warm.weights[0] - cold.weights[0]).abs() < 1e-6);
    }
}
