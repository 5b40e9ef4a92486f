//! The match keys of rows decided but not written yet (see the engine in [`super::engine`]):
//! a later row with one of them matches the record that row creates or changes.
//!
//! A commit holds two batches' keys at most, but a preview writes nothing and so holds every
//! row of the file: memory per key is what decides how large a file a preview can take. Each
//! key is a 64-bit hash with the position of its row (16 bytes), and what the row does is kept
//! once per row, not once per key; which batch a row is in is kept once per batch.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use uuid::Uuid;

/// A row decided to create or change a record, not written yet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Held {
    pub row: i64,
    /// The record it creates or changes.
    pub record: Uuid,
    /// Whether this import creates that record.
    pub created: bool,
}

#[derive(Default)]
pub(crate) struct HeldKeys {
    /// Key hash → position of the row holding it (`first` is the position of `rows[0]`).
    keys: HashMap<u64, u64>,
    rows: VecDeque<Held>,
    first: u64,
    /// Each batch with rows held, oldest first, with how many rows it holds.
    batches: VecDeque<(u64, usize)>,
}

impl HeldKeys {
    /// Holds the keys `hashes` of `held`, a row of `batch` (batches never decrease). A key
    /// already held stays with the earlier row, which is the one a later row matches.
    pub(crate) fn hold(&mut self, batch: u64, hashes: impl IntoIterator<Item = u64>, held: Held) {
        let position = self.first + self.rows.len() as u64;
        let mut new_key = false;
        for hash in hashes {
            if let Entry::Vacant(entry) = self.keys.entry(hash) {
                entry.insert(position);
                new_key = true;
            }
        }
        if !new_key {
            return;
        }
        self.rows.push_back(held);
        match self.batches.back_mut() {
            Some((last, count)) if *last == batch => *count += 1,
            _ => self.batches.push_back((batch, 1)),
        }
    }

    /// The row holding the key `hash`.
    pub(crate) fn get(&self, hash: u64) -> Option<Held> {
        let position = *self.keys.get(&hash)?;
        let index = usize::try_from(position.checked_sub(self.first)?).ok()?;
        self.rows.get(index).copied()
    }

    /// Lets go of the rows of batch `number` and the batches before it.
    pub(crate) fn release_through(&mut self, number: u64) {
        let mut released = 0;
        while let Some((_, count)) = self.batches.front().filter(|(b, _)| *b <= number) {
            released += count;
            self.batches.pop_front();
        }
        if released == 0 {
            return;
        }
        self.rows.drain(..released);
        self.first += released as u64;
        let first = self.first;
        self.keys.retain(|_, position| *position >= first);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(row: i64) -> Held {
        Held {
            row,
            record: Uuid::from_u64_pair(0, row as u64),
            created: row % 2 == 0,
        }
    }

    #[test]
    fn a_key_stays_with_the_first_row_that_holds_it() {
        let mut keys = HeldKeys::default();
        keys.hold(1, [10, 11], held(1));
        keys.hold(1, [11, 12], held(2));
        keys.hold(1, [10], held(3));
        assert_eq!(keys.get(10), Some(held(1)));
        assert_eq!(keys.get(11), Some(held(1)));
        assert_eq!(keys.get(12), Some(held(2)));
        assert_eq!(keys.get(13), None);
        // Row 3 brought no key of its own, so nothing of it is kept.
        assert_eq!(keys.rows.len(), 2);
    }

    #[test]
    fn written_batches_let_go_of_their_rows_and_keys() {
        let mut keys = HeldKeys::default();
        keys.hold(1, [10], held(1));
        keys.hold(2, [20], held(2));
        keys.hold(2, [21], held(3));
        keys.hold(4, [40], held(4));
        keys.release_through(0);
        assert_eq!(keys.get(10), Some(held(1)));
        keys.release_through(2);
        assert_eq!(
            (keys.get(10), keys.get(20), keys.get(21)),
            (None, None, None)
        );
        assert_eq!(keys.get(40), Some(held(4)));
        // A key let go of can be held again, by a later row.
        keys.hold(5, [10], held(5));
        assert_eq!(keys.get(10), Some(held(5)));
        keys.release_through(5);
        assert!(keys.keys.is_empty() && keys.rows.is_empty() && keys.batches.is_empty());
    }
}
