//! Cases for the changefeed: what is recorded and how pages are cut (notary-v1.md §2.7).

use super::{body, fixed_clock, fixed_time, gun, rec, Make};
use crate::server::storage::common::sha256_hex;
use crate::server::storage::{Change, ChangeCategory, Storage};

pub fn timestamps_feed_the_changefeed(make: Make<'_>) {
    let store = make(fixed_clock());
    let g = gun("example.com/feed/one");
    // Non-timestamp writes do not appear.
    store
        .update_many(&g, &[rec("root", 1, b"r"), rec("targets", 1, b"t")])
        .unwrap();
    assert_eq!(store.changes(None, 0, 100).unwrap(), []);
    let ts1 = body("timestamp", 1, "feed");
    let ts4 = body("timestamp", 4, "feed");
    store
        .update_many(&g, &[rec("snapshot", 1, b"s"), rec("timestamp", 1, &ts1)])
        .unwrap();
    store.update_many(&g, &[rec("timestamp", 4, &ts4)]).unwrap();
    let feed = store.changes(None, 0, 100).unwrap();
    let got: Vec<_> = feed
        .iter()
        .map(|c| {
            (
                &c.gun,
                c.version,
                c.sha256.clone(),
                c.category,
                c.created_at,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                &g,
                1,
                sha256_hex(&ts1),
                ChangeCategory::Update,
                fixed_time()
            ),
            (
                &g,
                4,
                sha256_hex(&ts4),
                ChangeCategory::Update,
                fixed_time()
            ),
        ]
    );
    assert!(
        feed[0].id > 0,
        "IDs are positive (0 is the 'from the start' cursor)"
    );
    assert!(feed[1].id > feed[0].id);
}

/// Ten entries: timestamps 1..=5 of `a` and `b` interleaved (a1 b1 a2 b2 ...).
fn ten_entries(store: &dyn Storage) -> Vec<Change> {
    let (a, b) = (gun("example.com/feed/a"), gun("example.com/feed/b"));
    for v in 1..=5 {
        store
            .update_many(&a, &[rec("timestamp", v, &body("timestamp", v, "a"))])
            .unwrap();
        store
            .update_many(&b, &[rec("timestamp", v, &body("timestamp", v, "b"))])
            .unwrap();
    }
    let all = store.changes(None, 0, 100).unwrap();
    assert_eq!(all.len(), 10);
    assert!(
        all.windows(2).all(|w| w[0].id < w[1].id),
        "IDs increase: {all:?}"
    );
    all
}

fn ids(changes: &[Change]) -> Vec<i64> {
    changes.iter().map(|c| c.id).collect()
}

pub fn changefeed_pages_forward(make: Make<'_>) {
    let store = make(fixed_clock());
    let all = ten_entries(store.as_ref());
    let want = ids(&all);
    // Page through with an exclusive cursor.
    let mut cursor = 0;
    let mut seen = Vec::new();
    for _ in 0..5 {
        let page = store.changes(None, cursor, 3).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        cursor = page[page.len() - 1].id;
        seen.extend(ids(&page));
    }
    assert_eq!(seen, want);
    // Cursor at an entry excludes it; past the end is empty.
    assert_eq!(ids(&store.changes(None, want[4], 2).unwrap()), want[5..7]);
    assert_eq!(store.changes(None, want[9], 10).unwrap(), []);
    assert_eq!(store.changes(None, want[9] + 1000, 10).unwrap(), []);
    // records = 0 means the default page size (100), not "nothing".
    assert_eq!(ids(&store.changes(None, 0, 0).unwrap()), want);
    // Full values, not only IDs, come back.
    assert_eq!(store.changes(None, want[1], 1).unwrap(), all[2..3]);
}

pub fn changefeed_pages_backward(make: Make<'_>) {
    let store = make(fixed_clock());
    let all = ten_entries(store.as_ref());
    let want = ids(&all);
    // Cursor -1: from the end; the latest N, oldest first.
    assert_eq!(ids(&store.changes(None, -1, 3).unwrap()), want[7..]);
    assert_eq!(ids(&store.changes(None, -1, -3).unwrap()), want[7..]);
    // Negative records reads the |n| entries before the cursor (exclusive), oldest first.
    assert_eq!(ids(&store.changes(None, want[6], -4).unwrap()), want[2..6]);
    assert_eq!(ids(&store.changes(None, want[2], -5).unwrap()), want[..2]);
    assert_eq!(store.changes(None, want[0], -5).unwrap(), []);
    // Cursor 0 with negative records also means from the end (notary's behaviour).
    assert_eq!(ids(&store.changes(None, 0, -2).unwrap()), want[8..]);
    // More than exist: everything, oldest first.
    assert_eq!(ids(&store.changes(None, -1, 50).unwrap()), want);
    // Walking backwards page by page visits everything once.
    let mut cursor = -1;
    let mut seen = Vec::new();
    for _ in 0..5 {
        let page = store.changes(None, cursor, -4).unwrap();
        if page.is_empty() {
            break;
        }
        cursor = page[0].id;
        seen.splice(0..0, ids(&page));
    }
    assert_eq!(seen, want);
}

pub fn changefeed_filters_by_gun(make: Make<'_>) {
    let store = make(fixed_clock());
    let all = ten_entries(store.as_ref());
    let a = gun("example.com/feed/a");
    let of_a: Vec<Change> = all.iter().filter(|c| c.gun == a).cloned().collect();
    assert_eq!(
        of_a.iter().map(|c| c.version).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(store.changes(Some(&a), 0, 100).unwrap(), of_a);
    assert_eq!(store.changes(Some(&a), 0, 2).unwrap(), of_a[..2]);
    // The cursor may be an ID of another repository's entry.
    assert_eq!(store.changes(Some(&a), all[3].id, 2).unwrap(), of_a[2..4]);
    assert_eq!(store.changes(Some(&a), -1, 2).unwrap(), of_a[3..]);
    assert_eq!(store.changes(Some(&a), all[5].id, -10).unwrap(), of_a[..3]);
    assert_eq!(
        store
            .changes(Some(&gun("example.com/feed")), 0, 100)
            .unwrap(),
        []
    );
    // A deletion is filtered like any entry.
    assert!(store.delete_gun(&a).unwrap());
    let last = store.changes(Some(&a), -1, 1).unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(
        (last[0].category, last[0].version),
        (ChangeCategory::Deletion, 0)
    );
    let b_only = store
        .changes(Some(&gun("example.com/feed/b")), -1, 1)
        .unwrap();
    assert_eq!(b_only[0].version, 5);
}
