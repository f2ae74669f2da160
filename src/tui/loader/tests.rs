use super::*;
use crate::decode::format::Magic;

fn block(offset: u64) -> BlockInfo {
    BlockInfo {
        offset,
        magic: Magic::from_byte(0x06).expect("a known magic"),
        seq: 1,
        begin_hour: 0,
        end_hour: 0,
        len: 100,
    }
}

#[test]
fn pieces_follow_the_blocks_and_salvaged_text_is_pinned() {
    let mut log = TextLog::default();
    log.block(&block(0));
    log.text(40);
    log.text(10);
    log.block(&block(200));
    log.text(30);
    // The open piece is sent as far as it goes, then completed.
    let first = log.take_pieces();
    assert_eq!(first.len(), 2);
    assert_eq!((first[0].text, first[0].len), (0, 50));
    assert_eq!((first[1].text, first[1].len), (50, 30));
    log.text(5);
    log.pin();
    log.text(20);
    log.close();
    let rest = log.take_pieces();
    assert_eq!(rest.len(), 1);
    assert_eq!((rest[0].text, rest[0].len), (50, 35));
    // Text 85..105 came from a salvaged block: rows over it are kept.
    assert!(!log.is_pinned(0, 85));
    assert!(log.is_pinned(80, 90), "a row across the boundary");
    assert!(log.is_pinned(90, 105));
    assert!(!log.is_pinned(105, 110));
}
