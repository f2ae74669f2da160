use super::*;

#[test]
fn banners_and_starts() {
    let mut m = Metadata::new();
    for line in [
        &b"^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[16633,16633][2024-03-12 +0800 09:55:35]\n"[..],
        b"TIM: ==========================================================================\n",
        b"TIM: ======  SDK APP ID:   1400590001\n",
        b"TIM: ======  SDK Version: 8.1.6108\n",
        b"TIM: ======  Platform:    iOS\n",
        b"TIM: ======  Device Type: iPhone14,2\n",
        b"TIM: ======  Process ID:  16633\n",
        b"TIM: ======  Log Path:    /storage/x/\n",
        b"TIM: ======  Ver: 4.6.51\n",
        b"^^^^^^^^^^Mar  4 2023^^^02:00:00^^^^^^^^^^[0,0][2024-03-12 -0330 09:14:35]\n",
        b"TIM: 2024-03-12 09:55:35.125 I 16633-16633     |-a.cpp:1 F |SDK Version: 9\n",
    ] {
        m.observe(line);
    }
    assert_eq!(m.sdk_version(), Some("8.1.6108"));
    assert_eq!(m.sdk_versions, ["8.1.6108", "4.6.51"]);
    assert_eq!(m.app_id(), Some("1400590001"));
    assert_eq!(m.platforms, ["iOS"]);
    assert_eq!(m.device_types, ["iPhone14,2"]);
    assert_eq!(m.process_ids, [16633]);
    assert_eq!(m.start_count, 2);
    assert_eq!(m.starts[0].pid, Some(16633));
    assert_eq!(m.starts[0].offset_minutes, Some(480));
    assert_eq!(m.starts[1].pid, None);
    assert_eq!(m.starts[1].offset_minutes, Some(-210));
    assert_eq!(m.starts[0].local.to_string(), "2024-03-12 09:55:35");
    let j = m.to_json();
    assert_eq!(
        j["process_start_list"][0]["time"],
        "2024-03-12T09:55:35+08:00"
    );
    assert_eq!(
        start_offset(b"^^^^^^^^^^x[1,1][2024-03-12 +0800 09:55:35]\n"),
        Some(Some(480))
    );
    assert_eq!(start_offset(b"^^^^^^^^^^garbled\n"), Some(None));
    assert_eq!(start_offset(b"[I][x"), None);
}
