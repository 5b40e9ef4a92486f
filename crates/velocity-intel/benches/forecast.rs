//! The forecast's speed target: 10,000 simulations over 10,000 open deals in ≤ 100 ms on a
//! 2-core machine (`cargo bench -p velocity-intel --bench forecast`).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use velocity_intel::forecast::{OpenDeal, RevenueModel, StageRecord};

fn pipeline(deals: usize, stages: usize) -> Vec<OpenDeal> {
    (0..deals)
        .map(|i| {
            let spread = (i.wrapping_mul(2_654_435_761) % 1_000) as f64 / 1_000.0;
            OpenDeal {
                value: 5_000.0 + 95_000.0 * spread,
                win_probability: 0.05 + 0.9 * spread,
                close_probability: 1.0 - 0.5 * spread,
                stage: i % stages,
            }
        })
        .collect()
}

fn simulate(c: &mut Criterion) {
    let stages: Vec<StageRecord> = (0..6)
        .map(|s| StageRecord {
            wins: 10 * s + 5,
            losses: 60 - 10 * s,
        })
        .collect();
    let model = RevenueModel::new(&pipeline(10_000, stages.len()), &stages, 0.0)
        .unwrap_or_else(|error| panic!("{error}"));
    let mut group = c.benchmark_group("forecast");
    group.sample_size(20);
    group.bench_function("10k simulations x 10k deals", |b| {
        b.iter(|| model.simulate(black_box(10_000), 42))
    });
    group.bench_function("exact moments, 10k deals", |b| {
        b.iter(|| black_box(&model).exact())
    });
    group.finish();
}

criterion_group!(benches, simulate);
criterion_main!(benches);
