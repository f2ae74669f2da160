use super::*;

/// Texts made of pieces of the words, their common beginnings, digits
/// and separators: every way the anchors can be found without their
/// word, with it, and overlapping.
fn texts(words: &[Vec<u8>], n: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    for w in words {
        for a in 0..w.len() {
            pieces.push(w[a..].to_vec());
            pieces.push(w[..=a].to_vec());
        }
    }
    for p in [
        &b"TIM: "[..],
        b"error",
        b"err",
        b"Code",
        b"code",
        b":",
        b" ",
        b"0",
        b"7",
        b"\n",
        b"=",
    ] {
        pieces.push(p.to_vec());
    }
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            let mut t = Vec::new();
            for _ in 0..next() % 12 {
                t.extend_from_slice(&pieces[(next() % pieces.len() as u64) as usize]);
            }
            t
        })
        .collect()
}

/// The anchored search gives, from every position of every text, what
/// a leftmost-first search for the whole words gives.
fn finds_like_whole_words(words: &[&[u8]]) {
    let rules = Arc::new(RuleSet::builtin());
    let words: Vec<Vec<u8>> = words.iter().map(|w| w.to_vec()).collect();
    let picker = Picker::with_words(rules, words.clone());
    let whole = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(&words)
        .unwrap();
    for text in texts(&words, 20_000, 0x5EED_1234_ABCD_0001) {
        for from in 0..=text.len() {
            let want = whole
                .find(&text[from..])
                .map(|m| (from + m.start(), from + m.end(), m.pattern().as_usize()));
            let got = picker.next_word(&text, from);
            assert_eq!(
                got,
                want,
                "{:?} from {from}",
                String::from_utf8_lossy(&text)
            );
        }
    }
}

#[test]
fn the_built_in_words_are_found_as_whole_words() {
    let rules = RuleSet::builtin();
    let mut words: Vec<&[u8]> = rules.words().collect();
    words.extend(ALWAYS);
    finds_like_whole_words(&words);
}

#[test]
fn overlapping_words_are_found_as_whole_words() {
    // Words that begin inside others, share anchors or overlap them.
    finds_like_whole_words(&[
        b"errorCode",
        b"errCode",
        b"code",
        b"TIM: =",
        b"rorCo",
        b"Codex",
    ]);
    finds_like_whole_words(&[
        b"errCode",
        b"errorCode",
        b"TIM: =",
        b"TIM: ===",
        b"x^^",
        b"^^^^",
    ]);
    finds_like_whole_words(&[b"errorCode", b"errCode", b"eCo", b"IM: =", b"de"]);
    // Anchors that start at one place: `Code` without its `err`, then
    // `CodeX` of a word of its own.
    finds_like_whole_words(&[b"errCode", b"TIMCodeX"]);
    finds_like_whole_words(&[b"errCode", b"TIMCodeX", b"errorCode", b"CodeY"]);
    finds_like_whole_words(&[b"TIM: =", b"TIM: ==", b"errCode", b"errorCo"]);
}

#[test]
fn common_beginnings_are_skipped_only_for_words_alone() {
    let words: Vec<&[u8]> = vec![b"errorCode", b"errCode", b"TIM: =", b"code", b"err"];
    let skips: Vec<usize> = (0..words.len()).map(|i| anchor_skip(&words, i)).collect();
    // `err` fits at the start of `errorCode` and `errCode`: those keep
    // their whole word; `TIM: =` is looked for by `: =`; `code` and
    // `err` have no long enough rest.
    assert_eq!(skips, [0, 0, 3, 0, 0]);
    let words: Vec<&[u8]> = vec![b"errorCode", b"errCode", b"TIM: ="];
    let skips: Vec<usize> = (0..words.len()).map(|i| anchor_skip(&words, i)).collect();
    assert_eq!(skips, [5, 3, 3]);
    // A word that would begin at the anchor (`Code...`) or inside the
    // skipped beginning (`rCo`) keeps the whole word searched.
    let words: Vec<&[u8]> = vec![b"errorCode", b"Codex", b"errCode", b"rCo"];
    let skips: Vec<usize> = (0..words.len()).map(|i| anchor_skip(&words, i)).collect();
    assert_eq!(skips, [0, 0, 0, 0]);
}
