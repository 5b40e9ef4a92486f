//! A small time-bounded cache for what every request needs to know about its caller (their
//! role in a workspace, what an API key grants). Changes made through this process invalidate
//! their entries at once; changes made by another node are seen within the TTL.
//!
//! A load that started before an invalidation must not put its stale answer back afterwards,
//! so every invalidation bumps a generation and a load only stores what it read if the
//! generation is unchanged.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

const CAPACITY: usize = 100_000;

pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: RwLock<HashMap<K, (V, Instant)>>,
    generation: AtomicU64,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// The cached value, or the loaded one, which is kept unless an invalidation ran meanwhile.
    pub async fn get_or_load<E>(
        &self,
        key: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        if let Some(value) = self.get(&key) {
            return Ok(value);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let value = load.await?;
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) == generation {
            self.store(&mut entries, key, value.clone());
        }
        Ok(value)
    }

    fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(value, _)| value.clone())
    }

    fn store(&self, entries: &mut HashMap<K, (V, Instant)>, key: K, value: V) {
        if entries.len() >= CAPACITY {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| at.elapsed() < ttl);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, (value, Instant::now()));
    }

    /// Drops every entry the predicate matches.
    pub fn invalidate(&self, matches: impl Fn(&K, &V) -> bool) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|key, (value, _)| !matches(key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn load(
        cache: &TtlCache<u8, &'static str>,
        key: u8,
        value: &'static str,
    ) -> &'static str {
        cache
            .get_or_load(key, async { Ok::<_, ()>(value) })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn entries_expire_and_can_be_invalidated() {
        let cache = TtlCache::new(Duration::from_millis(50));
        load(&cache, 1, "a").await;
        load(&cache, 2, "b").await;
        assert_eq!(load(&cache, 1, "changed").await, "a");
        cache.invalidate(|k, _| *k == 1);
        assert_eq!(cache.get(&1), None);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(cache.get(&2), None);
    }

    #[tokio::test]
    async fn a_load_overtaken_by_an_invalidation_is_not_kept() {
        let cache = TtlCache::new(Duration::from_secs(60));
        let value = cache
            .get_or_load(1, async {
                // The membership changes while the old answer is being read.
                cache.invalidate(|_, _| true);
                Ok::<_, ()>("stale")
            })
            .await;
        assert_eq!(value, Ok("stale"));
        assert_eq!(cache.get(&1), None);
        assert_eq!(load(&cache, 1, "fresh").await, "fresh");
        assert_eq!(cache.get(&1), Some("fresh"));
    }
}
