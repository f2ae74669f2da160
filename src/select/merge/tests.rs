use super::*;

fn rec(time: &str, body: &str) -> Vec<u8> {
    format!("[I][2024-01-31 +8.0 {time}][1, 2][tag][f.cc:1, fn][{body}\n").into_bytes()
}

fn merged(sources: Vec<Vec<Vec<u8>>>) -> Vec<Vec<u8>> {
    Merge::new(sources.into_iter().map(|s| s.into_iter()).collect())
        .map(|(_, b)| b)
        .collect()
}

#[test]
fn orders_by_time_and_keeps_source_order_for_equal_times() {
    let a = vec![rec("10:00:00.000", "a1"), rec("10:00:02.000", "a2")];
    let b = vec![rec("10:00:01.000", "b1"), rec("10:00:02.000", "b2")];
    let out = merged(vec![a.clone(), b.clone()]);
    assert_eq!(
        out,
        vec![a[0].clone(), b[0].clone(), a[1].clone(), b[1].clone()]
    );
}

#[test]
fn untimed_records_stay_behind_their_predecessor() {
    let marker = b"[F]decode_log_file.py log seq:3-4 is missing\n".to_vec();
    let a = vec![
        rec("10:00:00.000", "a1"),
        marker.clone(),
        rec("10:00:05.000", "a2"),
    ];
    let b = vec![rec("10:00:03.000", "b1")];
    let out = merged(vec![a.clone(), b.clone()]);
    assert_eq!(out, vec![a[0].clone(), marker, b[0].clone(), a[2].clone()]);
}

#[test]
fn untimed_records_at_a_source_start_go_with_the_first_timed_one() {
    let banner = b"^^^^^^^^^^Jan 15 2024^^^02:00:00^^^^^^^^^^\n".to_vec();
    let a = vec![rec("10:00:00.000", "a1"), rec("10:00:09.000", "a2")];
    let b = vec![banner.clone(), rec("10:00:05.000", "b1")];
    let out = merged(vec![a.clone(), b.clone()]);
    assert_eq!(out, vec![a[0].clone(), banner, b[1].clone(), a[1].clone()]);
}

#[test]
fn a_copy_from_another_source_is_shown_once_but_repeats_within_a_source_stay() {
    let x = rec("10:00:00.000", "same");
    let a = vec![x.clone(), x.clone(), rec("10:00:01.000", "a")];
    let b = vec![x.clone(), rec("10:00:02.000", "b")];
    let out = merged(vec![a, b]);
    assert_eq!(out.iter().filter(|r| **r == x).count(), 2);
    assert_eq!(out.len(), 4);
}

#[test]
fn record_writer_cuts_any_chunking_into_the_same_records() {
    let text: Vec<u8> = [
        rec("10:00:00.000", "a"),
        b"more\n".to_vec(),
        rec("10:00:01.000", "b"),
    ]
    .concat();
    for step in [1, 3, 7, text.len()] {
        let mut got: Vec<Vec<u8>> = Vec::new();
        let mut w = RecordWriter::new(|r: &[u8], _| {
            got.push(r.to_vec());
            Ok(())
        });
        for c in text.chunks(step) {
            w.write_all(c).unwrap();
        }
        w.finish().unwrap();
        drop(w);
        assert_eq!(got.len(), 2, "step {step}");
        assert_eq!(got.concat(), text);
    }
}
