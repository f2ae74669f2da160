use super::*;

/// Scans a view of `len` rows where `hits` match, starting at `origin`,
/// `steps` positions far.
fn scan(len: usize, hits: &[usize], origin: usize, steps: usize, complete: bool) -> Matches {
    let mut m = Matches::new(origin);
    for _ in 0..steps {
        let Some(p) = m.next_to_scan(len, complete) else {
            break;
        };
        m.scanned(p, hits.contains(&p));
    }
    m
}

#[test]
fn answers_once_scanned_and_waits_before() {
    let hits = [3, 10, 20];
    let m = scan(30, &hits, 12, 5, true);
    assert_eq!(m.next(12, true), Answer::Wait, "15.. not scanned");
    let m = scan(30, &hits, 12, 100, true);
    assert!(m.done());
    assert_eq!(m.count(), 3);
    // (from, forward) -> (the hit, whether the search wrapped)
    for ((from, forward), (pos, wrapped)) in [
        ((12, true), (20, false)),
        ((20, true), (3, true)),
        ((10, false), (3, false)),
        ((3, false), (20, true)),
    ] {
        let want = Answer::Hit { pos, wrapped };
        assert_eq!(
            m.next(from, forward),
            want,
            "from {from}, forward {forward}"
        );
    }
    assert_eq!(m.rank(10), Some(2));
    assert_eq!(m.rank(11), None);
    // Forward from 12 with only 12..30 scanned: the hit at 20 is sure.
    let m = scan(30, &hits, 12, 18, true);
    assert_eq!(
        m.next(12, true),
        Answer::Hit {
            pos: 20,
            wrapped: false
        }
    );
    // Backward from 12 needs 0..12.
    assert_eq!(m.next(12, false), Answer::Wait);
}

#[test]
fn a_growing_view_is_waited_for() {
    let mut m = scan(10, &[], 0, 100, false);
    assert_eq!(m.next(0, true), Answer::Wait, "more rows may come");
    assert!(!m.done());
    // The view grew and is complete now: nothing anywhere.
    for _ in 0..100 {
        let Some(p) = m.next_to_scan(20, true) else {
            break;
        };
        m.scanned(p, false);
    }
    assert!(m.done());
    assert_eq!(m.next(0, true), Answer::None);
    assert_eq!(m.next(5, false), Answer::None);
}
