use super::*;

#[test]
fn times_of_day_come_next_after_the_cursor() {
    let day = 19_752 * 86_400; // 2024-01-30
    let s = TimeSpec::parse("00:10").unwrap();
    // At 23:00, 00:10 is tomorrow's.
    assert_eq!(s.next_from(day + 23 * 3600), day + 86_400 + 600);
    // At 00:05, it is today's.
    assert_eq!(s.next_from(day + 300), day + 600);
    let at = TimeSpec::parse("2024-01-30 00:10:05").unwrap();
    assert_eq!(at, TimeSpec::At(day + 605));
    assert!(TimeSpec::parse("soon").is_err());
}

#[test]
fn ranges_include_their_last_minute() {
    let r = TimeRange::parse("10:00..10:30").unwrap().unwrap();
    let day = 19_752 * 86_400;
    assert!(!r.contains(day + 9 * 3600 + 3599));
    assert!(r.contains(day + 10 * 3600));
    assert!(r.contains(day + 10 * 3600 + 30 * 60 + 59));
    assert!(!r.contains(day + 10 * 3600 + 31 * 60));
    let open = TimeRange::parse("2024-01-30 10:00..").unwrap().unwrap();
    assert!(open.contains(day + 86_400 * 3));
    assert!(TimeRange::parse("10:00").is_none());
    assert!(TimeRange::parse("..").unwrap().is_err());
}
