use super::*;

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort_by(|a, b| natural_cmp(a.as_bytes(), b.as_bytes()));
    v
}

#[test]
fn digit_runs_compare_by_value() {
    assert_eq!(
        sorted(&["a_10.xlog", "a_2.xlog", "a_1.xlog", "a.xlog", "b_0.xlog"]),
        ["a.xlog", "a_1.xlog", "a_2.xlog", "a_10.xlog", "b_0.xlog"]
    );
    assert_eq!(
        sorted(&[
            "im_20240131_10.xlog",
            "im_20240131_9.xlog",
            "im_20240130_11.xlog"
        ]),
        [
            "im_20240130_11.xlog",
            "im_20240131_9.xlog",
            "im_20240131_10.xlog"
        ]
    );
    // Leading zeros: the same value, the shorter run first; never Equal
    // for different bytes.
    assert_eq!(sorted(&["x01", "x1", "x001"]), ["x1", "x01", "x001"]);
    assert_eq!(natural_cmp(b"x01", b"x1"), Ordering::Greater);
    assert_eq!(natural_cmp(b"same_7", b"same_7"), Ordering::Equal);
    // Numbers longer than any integer type still order.
    assert_eq!(
        natural_cmp(b"n99999999999999999999999", b"n100000000000000000000000"),
        Ordering::Less
    );
}
