//! Training the win model on 100,000 closed deals with the features the server will send
//! (stage, ages, amount, slips, activity, tasks, owner and account history, product, account
//! attributes, a custom attribute): the target is ≤ 5 s on two cores, release build.
//! Run with `cargo bench -p velocity-intel --bench scoring`; figures go in BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Duration;
use velocity_intel::scoring::{
    FeatureSpec, FeatureTable, FeatureValue, Model, Schema, TrainOptions,
};

const ROWS: usize = 100_000;
const STAGES: [&str; 6] = [
    "Lead",
    "Qualified",
    "Demo",
    "Proposal",
    "Negotiation",
    "Verbal",
];
const SIZES: [&str; 4] = ["1-10", "11-50", "51-500", "500+"];

fn schema() -> Schema {
    let numeric = [
        "age_days",
        "days_in_stage",
        "amount",
        "close_date_slips",
        "amount_changes",
        "days_since_activity",
        "activities_30d",
        "open_tasks",
        "overdue_tasks",
        "owner_win_rate",
        "account_win_rate",
    ];
    let categorical = [
        "stage",
        "owner",
        "product",
        "industry",
        "company_size",
        "attr:region",
    ];
    Schema::new(
        numeric
            .iter()
            .map(|n| FeatureSpec::numeric(*n))
            .chain(categorical.iter().map(|n| FeatureSpec::categorical(*n)))
            .collect(),
    )
    .unwrap()
}

fn deals(rows: usize) -> (FeatureTable, Vec<bool>) {
    let mut rng = StdRng::seed_from_u64(7);
    let mut table = FeatureTable::new(schema());
    let mut outcomes = Vec::with_capacity(rows);
    for _ in 0..rows {
        let stage = rng.gen_range(0..STAGES.len());
        let owner = rng.gen_range(0..60);
        let slips = f64::from(rng.gen_range(0u8..4));
        let silent = rng.gen_range(0.0f64..60.0).round();
        let overdue = f64::from(rng.gen_range(0u8..3));
        let account_rate: Option<f64> = rng.gen_bool(0.7).then(|| rng.gen_range(0.0..1.0));
        let logit = -1.5 + 0.4 * stage as f64 - 0.3 * slips - 0.02 * silent - 0.3 * overdue
            + 0.02 * f64::from(owner % 10)
            + account_rate.map_or(0.0, |r| r - 0.5);
        let won = rng.gen_bool(1.0 / (1.0 + (-logit).exp()));
        let row: Vec<FeatureValue> = vec![
            rng.gen_range(1.0f64..400.0).round().into(),
            rng.gen_range(0.0f64..90.0).round().into(),
            rng.gen_range(6.0f64..13.0).exp().round().into(),
            slips.into(),
            f64::from(rng.gen_range(0u8..3)).into(),
            silent.into(),
            f64::from(rng.gen_range(0u8..25)).into(),
            f64::from(rng.gen_range(0u8..6)).into(),
            overdue.into(),
            rng.gen_range(0.1f64..0.6).into(),
            account_rate.into(),
            STAGES[stage].into(),
            format!("owner-{owner}").into(),
            format!("product-{}", rng.gen_range(0..25)).into(),
            format!("industry-{}", rng.gen_range(0..12)).into(),
            SIZES[rng.gen_range(0..SIZES.len())].into(),
            ["EMEA", "AMER", "APAC"][rng.gen_range(0..3)].into(),
        ];
        table.push(row).unwrap();
        outcomes.push(won);
    }
    (table, outcomes)
}

fn training(c: &mut Criterion) {
    let (table, outcomes) = deals(ROWS);
    let mut group = c.benchmark_group("scoring");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("train_100k_deals_17_features", |b| {
        b.iter(|| {
            Model::train(
                black_box(&table),
                black_box(&outcomes),
                &TrainOptions::default(),
            )
            .unwrap()
        })
    });
    let model = Model::train(&table, &outcomes, &TrainOptions::default()).unwrap();
    let row = table.rows()[0].clone();
    group.bench_function("predict_with_factors", |b| {
        b.iter(|| model.predict(black_box(&row)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, training);
criterion_main!(benches);
