//! Arbitrary bytes through the whole reading path of an upload: the encoding probe (fed in
//! chunks, as a streamed upload is), the decoded head, the sniffed layout, a proposed mapping
//! from the first rows, then every row of the decoded file prepared for the chosen object.
//! Nothing may panic, the chunking must not change the detected encoding, and the proposal
//! must always be a plan that resolves against the file's own columns.
//!
//! The first byte picks the object and the chunk count; the rest is the file.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Read;
use velocity_import::mapping::{self, IMPORTABLE};
use velocity_import::values::ValueOverrides;
use velocity_import::{rows, sniff, Context, EncodingProbe, Plan, Rows};

const SAMPLE_ROWS: usize = 200;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let object = IMPORTABLE[usize::from(selector) % IMPORTABLE.len()];
    let pieces = 1 + usize::from(selector >> 3);
    let chunk_len = file.len().div_ceil(pieces).max(1);

    let mut probe = EncodingProbe::default();
    for chunk in file.chunks(chunk_len) {
        probe.feed(chunk);
    }
    let detected = probe.finish();
    let mut whole = EncodingProbe::default();
    whole.feed(file);
    assert_eq!(
        detected,
        whole.finish(),
        "chunking changed the detected encoding"
    );
    let Ok(encoding) = detected else {
        return;
    };

    let mut head = String::new();
    if encoding
        .decode(probe.head())
        .read_to_string(&mut head)
        .is_err()
    {
        return;
    }
    let Ok(layout) = sniff::sniff_layout(&head) else {
        return;
    };
    let sample: Vec<Vec<String>> = Rows::new(head.as_bytes(), &layout)
        .filter_map(Result::ok)
        .take(SAMPLE_ROWS)
        .map(|row| row.values)
        .collect();
    let plan = Plan::propose(object, &layout.headers, &sample);
    for proposed in &plan.columns {
        let parsed = mapping::Target::parse(&proposed.target, object).map(|t| t.to_string());
        assert_eq!(
            parsed.as_deref(),
            Ok(proposed.target.as_str()),
            "a proposed target does not read back as itself"
        );
    }
    let columns = match plan.resolve(object, &layout.headers) {
        Ok(columns) => columns,
        Err(errors) => panic!("the proposed plan does not resolve: {errors:?}"),
    };
    let context = Context {
        default_country: plan.default_country.clone(),
        day_order: plan.day_order,
        values: ValueOverrides::new(&plan.values),
    };

    for row in Rows::new(encoding.decode(file), &layout) {
        match row {
            Ok(row) => {
                let _ = rows::prepare(object, &columns, &row.values, &context);
            }
            Err(_) => break,
        }
    }
});
