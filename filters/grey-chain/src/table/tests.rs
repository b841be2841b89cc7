use super::*;

#[test]
fn records_and_finds() {
    let t = Table::new(100, 60);
    let mut s = MemStore::default();
    assert_eq!(t.lookup(&s, "trace-1", 1000), Lookup::Miss);
    let r = t.record(&mut s, "trace-1", "grey", 1000);
    assert!(r.written && r.new_entry);
    assert_eq!(r.entries, Some(1));
    assert_eq!(t.lookup(&s, "trace-1", 1059), Lookup::Hit("grey".into()));
    assert_eq!(t.lookup(&s, "trace-2", 1000), Lookup::Miss);
    assert_eq!(entries(&s), 1);
}

#[test]
fn expired_entries_are_never_applied() {
    let t = Table::new(100, 60);
    let mut s = MemStore::default();
    t.record(&mut s, "trace-1", "grey", 1000);
    assert_eq!(t.lookup(&s, "trace-1", 1060), Lookup::Expired);
    assert_eq!(t.lookup(&s, "trace-1", 5000), Lookup::Expired);
}

#[test]
fn refresh_and_lane_change() {
    let t = Table::new(100, 60);
    let mut s = MemStore::default();
    t.record(&mut s, "tr", "grey", 1000);
    assert!(
        !t.record(&mut s, "tr", "grey", 1010).written,
        "fresh entry not rewritten"
    );
    let r = t.record(&mut s, "tr", "grey", 1040);
    assert!(r.written && !r.new_entry);
    assert_eq!(t.lookup(&s, "tr", 1099), Lookup::Hit("grey".into()));
    t.record(&mut s, "tr", "blue", 1041);
    assert_eq!(t.lookup(&s, "tr", 1042), Lookup::Hit("blue".into()));
    assert_eq!(entries(&s), 1);
}

#[test]
fn a_skipped_refresh_never_outlives_the_written_expiry() {
    let t = Table::new(100, 60);
    let mut s = MemStore::default();
    t.record(&mut s, "tr", "grey", 1000);
    // Seen again with more than half the TTL left: not rewritten…
    for now in [1001, 1015, 1029] {
        assert!(!t.record(&mut s, "tr", "grey", now).written, "{now}");
    }
    // …so the entry still expires when first written, and is never applied after.
    assert_eq!(t.lookup(&s, "tr", 1059), Lookup::Hit("grey".into()));
    assert_eq!(t.lookup(&s, "tr", 1060), Lookup::Expired);
    // Once less than half is left, a sighting extends it by a full TTL.
    assert!(t.record(&mut s, "tr", "grey", 1031).written);
    assert_eq!(t.lookup(&s, "tr", 1090), Lookup::Hit("grey".into()));
    assert_eq!(t.lookup(&s, "tr", 1091), Lookup::Expired);
    // An expired entry is rewritten, never kept.
    assert!(t.record(&mut s, "tr", "grey", 2000).written);
    assert_eq!(t.lookup(&s, "tr", 2059), Lookup::Hit("grey".into()));
}

#[test]
fn lookup_reads_the_clock_only_for_an_entry() {
    // One bucket: the second miss reads an existing bucket without the trace.
    let t = Table::new(4, 60);
    let mut s = MemStore::default();
    let never = || -> u64 { panic!("clock read on a miss") };
    assert_eq!(t.lookup_at(&s, "tr", never), Lookup::Miss);
    t.record(&mut s, "other", "grey", 1000);
    assert_eq!(t.lookup_at(&s, "tr", never), Lookup::Miss);
    t.record(&mut s, "tr", "grey", 1000);
    assert_eq!(t.lookup_at(&s, "tr", || 1061), Lookup::Expired);
}

#[test]
fn bounded_under_many_traces() {
    let t = Table::new(1000, 60);
    assert_eq!(t.capacity(), 1000);
    let mut s = MemStore::default();
    let (mut evicted, mut expired) = (0, 0);
    for i in 0..200_000u64 {
        // A burst (1000 traces/s: live entries exceed the table), then a trickle (10/s).
        let now = if i < 100_000 {
            1000 + i / 1000
        } else {
            2000 + i / 10
        };
        let r = t.record(&mut s, &format!("{i:032x}"), "grey", now);
        evicted += u32::from(r.evicted);
        expired += u32::from(r.replaced_expired);
    }
    // Only bucket keys plus the counter, each value at most WAYS entries.
    assert_eq!(s.0.len(), t.buckets() as usize + 1);
    assert!(s.0.values().all(|(v, _)| v.len() <= WAYS as usize * 40));
    assert_eq!(entries(&s), 1000);
    assert!(evicted > 0 && expired > 0, "{evicted} {expired}");
    // The latest traces are still there.
    assert_eq!(
        t.lookup(&s, &format!("{:032x}", 199_999), 22_000),
        Lookup::Hit("grey".into())
    );
}

#[test]
fn expired_entries_go_first() {
    let t = Table::new(4, 10);
    let mut s = MemStore::default();
    for i in 0..3 {
        t.record(&mut s, &format!("old{i}"), "grey", 100);
    }
    t.record(&mut s, "live", "grey", 108);
    let r = t.record(&mut s, "new", "grey", 111);
    assert!(r.replaced_expired && !r.evicted);
    assert_eq!(t.lookup(&s, "live", 112), Lookup::Hit("grey".into()));
    let r = t.record(&mut s, "newer", "grey", 112);
    assert!(r.replaced_expired);
}

#[test]
fn full_bucket_evicts_the_oldest_live_entry() {
    let t = Table::new(4, 60);
    let mut s = MemStore::default();
    for i in 0..4 {
        t.record(&mut s, &format!("t{i}"), "grey", 100 + i);
    }
    let r = t.record(&mut s, "t4", "grey", 110);
    assert!(r.evicted);
    assert_eq!(t.lookup(&s, "t0", 111), Lookup::Miss);
    assert_eq!(t.lookup(&s, "t1", 111), Lookup::Hit("grey".into()));
}

/// A store whose first write of each key loses to a concurrent writer.
struct Racy {
    inner: MemStore,
    raced: bool,
}
impl Store for Racy {
    fn get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        self.inner.get(key)
    }
    fn set(&mut self, key: &str, value: &[u8], cas: u32) -> bool {
        if !self.raced && key != ENTRIES_KEY {
            self.raced = true;
            let other = format!("{:016x},999999,blue", 7u64);
            self.inner.set(key, other.as_bytes(), 0);
            return false;
        }
        self.inner.set(key, value, cas)
    }
}

#[test]
fn cas_conflict_keeps_the_other_writers_entry() {
    let t = Table::new(4, 60);
    let mut s = Racy {
        inner: MemStore::default(),
        raced: false,
    };
    s.inner.set(&Table::bucket_key(0), b"", 0);
    let r = t.record(&mut s, "mine", "grey", 100);
    assert!(r.written);
    assert_eq!(t.lookup(&s, "mine", 101), Lookup::Hit("grey".into()));
    let value = s.inner.get(&Table::bucket_key(0)).unwrap().0;
    assert!(String::from_utf8(value).unwrap().contains(",999999,blue"));
}

/// A store where another worker creates the same new bucket right after us.
struct FirstWriteLost {
    inner: MemStore,
    lost: bool,
}
impl Store for FirstWriteLost {
    fn get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        self.inner.get(key)
    }
    fn set(&mut self, key: &str, value: &[u8], cas: u32) -> bool {
        let ok = self.inner.set(key, value, cas);
        if !self.lost && key != ENTRIES_KEY {
            self.lost = true;
            let other = format!("{:016x},999999,blue", 7u64);
            self.inner.set(key, other.as_bytes(), 0);
        }
        ok
    }
}

#[test]
fn racing_first_writes_are_merged() {
    let t = Table::new(4, 60);
    let mut s = FirstWriteLost {
        inner: MemStore::default(),
        lost: false,
    };
    assert!(t.record(&mut s, "mine", "grey", 100).written);
    assert_eq!(t.lookup(&s, "mine", 101), Lookup::Hit("grey".into()));
    let value = s.inner.get(&Table::bucket_key(0)).unwrap().0;
    assert!(String::from_utf8(value).unwrap().contains(",999999,blue"));
}

#[test]
fn encoding_is_the_documented_layout() {
    let entries = [
        Entry {
            fp: 0x00ab_cdef_0123_4567,
            expiry: 1_700_000_060,
            lane: "grey",
        },
        Entry {
            fp: u64::MAX,
            expiry: 0,
            lane: "blue",
        },
    ];
    let text = String::from_utf8(encode(&entries)).unwrap();
    let want = entries
        .iter()
        .map(|e| format!("{:016x},{},{}", e.fp, e.expiry, e.lane))
        .collect::<Vec<_>>()
        .join(";");
    assert_eq!(text, want);
    assert_eq!(decode(text.as_bytes()).collect::<Vec<_>>(), entries);
    let mixed = format!("x,1,grey;{text};1,,grey;1,2;10000000000000000,1,grey;;+1,1,grey");
    assert_eq!(decode(mixed.as_bytes()).collect::<Vec<_>>(), entries);
    assert_eq!(Table::bucket_key(0), "grey-chain/t/0");
    assert_eq!(
        Table::bucket_key(u32::MAX),
        format!("grey-chain/t/{}", u32::MAX)
    );
}

#[test]
fn garbage_in_shared_data_is_ignored() {
    let t = Table::new(1, 60);
    let mut s = MemStore::default();
    s.set(&Table::bucket_key(0), b"zz,1,grey;\xff", 0);
    assert_eq!(t.lookup(&s, "x", 0), Lookup::Miss);
    assert!(t.record(&mut s, "x", "grey", 0).written);
    assert_eq!(t.lookup(&s, "x", 1), Lookup::Hit("grey".into()));
}
