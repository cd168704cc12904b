//! Search in every script: the text FTS5 is given, and the words the matcher compares, for
//! scripts written without spaces between words.
//!
//! FTS5's `unicode61` tokenizer splits text at spaces and punctuation only, so a run of Han
//! characters (`十点比较好`) is one token and `十点` cannot find it. Thai, Lao, Khmer and
//! Myanmar fare worse: unicode61 splits at their vowel signs (combining marks), so a word falls
//! into meaningless pieces; so does Arabic with its vowel marks, and Devanagari. A tokenizer of
//! our own would need FTS5's C API and `unsafe`, so the text handed to FTS5 is rewritten instead
//! ([`index_form`]), and each query term the same way ([`query_form`]):
//!
//! - CJK (Han, Hiragana, Katakana, Hangul): a run becomes its overlapping bigrams, as Lucene's
//!   CJK analyzer does (`十点比较好` → `十点 点比 比较 较好`); a lone character stays a unigram.
//!   A query is the phrase of its bigrams. So that one character finds the calls that have it
//!   anywhere, the last character of each run is also indexed alone, after all the text (where
//!   it cannot come between two bigrams of a phrase), and a one-character query is the prefix
//!   `"点"*`: the bigrams it starts, or a run's last character.
//! - Thai, Lao, Khmer, Myanmar: ICU word breaks (icu_segmenter's dictionaries), one word a token.
//! - Combining marks are dropped, as the matcher's folding drops them (unicode61 removes Latin
//!   diacritics itself but splits words at other scripts' marks).
//! - Fullwidth forms become ASCII (`１０点` → `10 点`), as Lucene's CJK width filter does.
//!
//! Text with none of these (any Latin text) is handed over as it is, without a copy. Snippets are
//! marked on the original text by the search matcher, which splits it the same way
//! ([`split_token`]): a CJK character is a token of its own, a Thai word is an ICU word.

use std::borrow::Cow;

use icu_provider::prelude::{DataError, DataErrorKind, DataMarker, DataProvider, DataRequest, DataResponse};
use icu_segmenter::options::WordBreakOptions;
use icu_segmenter::provider::{
    Baked, SegmenterBreakGraphemeClusterV1, SegmenterBreakWordOverrideV1, SegmenterBreakWordV1,
    SegmenterDictionaryAutoV2, SegmenterDictionaryExtendedV2,
};
use icu_segmenter::WordSegmenter;
use unicode_normalization::char::is_combining_mark;

/// ICU's word segmenter with the dictionaries of Thai, Lao, Khmer and Myanmar (about 1 MB), not
/// the Chinese and Japanese one (2 MB, and CJK is bigrammed here). Its LSTM models are smaller
/// but split common words (`สวัสดี` into `สวัส ดี`), and split a word alone differently from the
/// same word in a sentence, which a query must not.
/// One per thread: the segmenter is not `Sync`, and building one only points at compiled data.
fn segmenter() -> Option<WordSegmenter> {
    WordSegmenter::try_new_dictionary_unstable(&SoutheastAsian, WordBreakOptions::default()).ok()
}

thread_local! {
    static WORDS: Option<WordSegmenter> = segmenter();
}

/// ICU's compiled data, without the Chinese and Japanese dictionary.
struct SoutheastAsian;

macro_rules! compiled {
    ($($marker:ty),*) => {$(
        impl DataProvider<$marker> for SoutheastAsian {
            fn load(&self, req: DataRequest) -> Result<DataResponse<$marker>, DataError> {
                Baked.load(req)
            }
        }
    )*};
}
compiled!(
    SegmenterBreakWordV1,
    SegmenterBreakWordOverrideV1,
    SegmenterBreakGraphemeClusterV1,
    SegmenterDictionaryExtendedV2
);

impl DataProvider<SegmenterDictionaryAutoV2> for SoutheastAsian {
    fn load(&self, req: DataRequest) -> Result<DataResponse<SegmenterDictionaryAutoV2>, DataError> {
        Err(DataErrorKind::IdentifierNotFound.with_req(SegmenterDictionaryAutoV2::INFO, req))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Other,
    /// Han, Hiragana, Katakana, Hangul: bigrams.
    Cjk,
    /// Thai, Lao, Khmer, Myanmar: ICU words.
    Complex,
}

/// Every character this module treats specially is at or above U+0300 (combining marks start
/// there; the scripts later).
const FIRST_SPECIAL: char = '\u{300}';

/// A fullwidth ASCII form as ASCII (`Ａ` → `A`, `１` → `1`); anything else as it is.
pub(crate) fn narrow(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Letters of Han, Kana and Hangul. (The blocks' few symbols are listed rather than asking
/// `char::is_alphanumeric`, whose table lookup took half the time of rewriting a text.)
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF       // Hangul Jamo
        | 0x3005..=0x3007     // 々 〆 〇
        | 0x3021..=0x3029     // Hangzhou numerals
        | 0x3031..=0x3035     // kana repeat marks
        | 0x303B..=0x303C
        | 0x3041..=0x3096     // Hiragana
        | 0x309D..=0x309F
        | 0x30A1..=0x30FA     // Katakana
        | 0x30FC..=0x30FF
        | 0x3131..=0x318F     // Hangul compatibility Jamo
        | 0x31F0..=0x31FF     // Katakana phonetic extensions
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xA960..=0xA97F     // Hangul Jamo extended A
        | 0xAC00..=0xD7FF     // Hangul syllables, Jamo extended B
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0xFF66..=0xFF9D     // halfwidth Katakana
        | 0x20000..=0x3FFFF) // CJK extensions B and later
}

/// Letters, digits and marks of Thai, Lao, Myanmar and Khmer (not their punctuation and currency
/// signs).
fn is_complex(c: char) -> bool {
    matches!(c as u32,
        0x0E01..=0x0E3E       // Thai, without ฿
        | 0x0E40..=0x0E4E
        | 0x0E50..=0x0E59
        | 0x0E80..=0x0EFF     // Lao
        | 0x1000..=0x1049     // Myanmar, without ၊ ။ ၌ ၍ ၎ ၏
        | 0x1050..=0x109F
        | 0x1780..=0x17D3     // Khmer, without ។ ៕ ៖ ៘ ៙ ៚ ៛
        | 0x17D7
        | 0x17DC..=0x17FF
        | 0xA9E0..=0xA9FF     // Myanmar extended B
        | 0xAA60..=0xAA7F) // Myanmar extended A
}

fn is_mark(c: char) -> bool {
    c >= FIRST_SPECIAL && is_combining_mark(c)
}

fn class(c: char) -> Class {
    if c < FIRST_SPECIAL {
        Class::Other
    } else if is_cjk(c) {
        Class::Cjk
    } else if is_complex(c) {
        Class::Complex
    } else {
        Class::Other
    }
}

/// Whether `text` needs rewriting for FTS5 at all.
fn special(text: &str) -> bool {
    // A character from U+0300 on is encoded from a byte 0xCC on (continuation bytes are below
    // 0xC0): Latin text, accents included, is ruled out by a byte scan (in chunks, which the
    // compiler vectorizes: 0.3 µs for a call's 3 KB of text instead of 2.5).
    text.as_bytes().chunks(64).any(|chunk| chunk.iter().fold(0, |most, &b| most.max(b)) >= 0xCC)
        && text.chars().any(|c| c >= FIRST_SPECIAL && (c != narrow(c) || is_mark(c) || class(c) != Class::Other))
}

/// The text FTS5 indexes for `text` (see the module docs); `text` itself when nothing changes.
pub fn index_form(text: &str) -> Cow<'_, str> {
    rewrite(text, true)
}

/// The text of one query term, rewritten as [`index_form`] rewrites indexed text but without the
/// runs' last characters appended: the FTS5 phrase to look for.
pub fn query_form(text: &str) -> Cow<'_, str> {
    rewrite(text, false)
}

/// Whether a query term is a single CJK character, looked up as a prefix (see the module docs).
pub fn is_one_cjk_char(term: &str) -> bool {
    let mut chars = term.chars().map(narrow).filter(|c| !is_mark(*c));
    matches!((chars.next(), chars.next()), (Some(c), None) if is_cjk(c))
}

fn rewrite(text: &str, with_tails: bool) -> Cow<'_, str> {
    if !special(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() * 2);
    let mut tails = String::new();
    let mut run = String::new();
    let mut run_class = Class::Other;
    let mut run_start = 0;
    for (i, c) in text.char_indices() {
        let c = narrow(c);
        // A mark belongs to the run it follows; it never starts one.
        let k = if is_mark(c) && run_class != Class::Other { run_class } else { class(c) };
        if k != run_class {
            flush(text, run_class, run_start, i, &mut run, &mut out, &mut tails);
            run_class = k;
            run_start = i;
        }
        match k {
            Class::Other if !is_mark(c) => out.push(c),
            Class::Cjk if !is_mark(c) => run.push(c),
            _ => {}
        }
    }
    flush(text, run_class, run_start, text.len(), &mut run, &mut out, &mut tails);
    if with_tails && !tails.is_empty() {
        out.push('\n');
        out.push_str(tails.trim_start());
    }
    Cow::Owned(out)
}

/// Writes the run of `class` that ends at `end` (its CJK characters gathered in `run`).
fn flush(text: &str, class: Class, start: usize, end: usize, run: &mut String, out: &mut String, tails: &mut String) {
    match class {
        Class::Other => {}
        Class::Cjk => {
            out.push(' ');
            let chars: Vec<char> = run.chars().collect();
            if let [one] = chars[..] {
                out.push(one);
            } else {
                for (n, pair) in chars.windows(2).enumerate() {
                    if n > 0 {
                        out.push(' ');
                    }
                    out.extend(pair);
                }
                if let Some(last) = chars.last() {
                    tails.push(' ');
                    tails.push(*last);
                }
            }
            out.push(' ');
            run.clear();
        }
        Class::Complex => {
            for (s, e) in words(&text[start..end]) {
                out.push(' ');
                out.extend(text[start + s..start + e].chars().filter(|c| !is_mark(*c)));
            }
            out.push(' ');
        }
    }
}

/// The byte ranges of the words (not spaces or punctuation) of a run of a complex script.
fn words(run: &str) -> Vec<(usize, usize)> {
    WORDS.with(|words| {
        // Without its data (never with compiled data), the run is one word.
        let Some(segmenter) = words else { return vec![(0, run.len())] };
        let mut out = Vec::new();
        let mut breaks = segmenter.as_borrowed().segment_str(run);
        let mut last = 0;
        while let Some(at) = breaks.next() {
            if at > last && breaks.is_word_like() {
                out.push((last, at));
            }
            last = at;
        }
        out
    })
}

/// Pushes the matcher's tokens of `text[start..end]`, a run of letters, digits and marks: each
/// CJK character on its own, each word of a complex script, and the rest as one token each.
/// Marks stay with the token they follow, where folding drops them.
pub fn split_token(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let mut run_class = Class::Other;
    let mut run_start = start;
    let close = |class: Class, s: usize, e: usize, out: &mut Vec<(usize, usize)>| match class {
        _ if s == e => {}
        Class::Complex => out.extend(words(&text[s..e]).into_iter().map(|(a, b)| (s + a, s + b))),
        _ => out.push((s, e)),
    };
    for (i, c) in text[start..end].char_indices() {
        let i = start + i;
        let c = narrow(c);
        if is_mark(c) && run_class != Class::Complex {
            continue;
        }
        let k = class(c);
        if k != run_class || k == Class::Cjk {
            close(run_class, run_start, i, out);
            run_class = k;
            run_start = i;
        }
    }
    close(run_class, run_start, end, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        split_token(text, 0, text.len(), &mut out);
        out.into_iter().map(|(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn cjk_runs_become_bigrams_and_latin_text_is_not_copied() {
        for text in ["My order ZX-4471 never arrived", "Bună ziua, mă numesc Ștefan — „țară”", "مرحبا بك", ""]
        {
            assert!(matches!(index_form(text), Cow::Borrowed(_)), "{text}");
        }
        assert_eq!(index_form("十点比较好，谢谢。"), " 十点 点比 比较 较好 , 谢谢 。\n好 谢", "， is a fullwidth ,");
        assert_eq!(query_form("十点比较好"), " 十点 点比 比较 较好 ");
        assert_eq!(index_form("订单 ZX-4471"), " 订单  ZX-4471\n单");
        assert_eq!(index_form("3点"), "3 点 ", "a lone character is a unigram, not repeated");
        assert_eq!(index_form("１０点"), "10 点 ", "fullwidth digits are ASCII");
        assert_eq!(query_form("予約を変更"), " 予約 約を を変 変更 ", "kanji and kana bigram together");
        assert_eq!(query_form("서울에서"), " 서울 울에 에서 ");
        assert!(is_one_cjk_char("点") && !is_one_cjk_char("十点") && !is_one_cjk_char("a"));
    }

    #[test]
    fn thai_is_split_into_words_without_marks_and_other_marks_go() {
        let thai = index_form("สวัสดีครับ");
        assert_eq!(thai.split_whitespace().count(), 2, "{thai}");
        assert!(!thai.chars().any(is_combining_mark), "{thai}");
        assert_eq!(index_form("مَرْحَبًا"), "مرحبا", "Arabic vowel marks");
        assert_eq!(index_form("नमस्ते"), "नमसत");
    }

    #[test]
    fn the_matcher_splits_tokens_the_same_way() {
        assert_eq!(spans("十点比较好"), ["十", "点", "比", "较", "好"]);
        assert_eq!(spans("订单ZX4471"), ["订", "单", "ZX4471"]);
        assert_eq!(spans("สวัสดีครับ"), ["สวัสดี", "ครับ"]);
        assert_eq!(spans("ａｂｃ"), ["ａｂｃ"]);
        assert_eq!(spans("مَرْحَبًا"), ["مَرْحَبًا"]);
    }
}
