//! Listing text search: titles and brands folded to words (case- and accent-insensitive), and
//! the rule that a query matches when each of its words begins some word of the product.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::Product;

/// `text` lower-cased with accents and other combining marks removed (compatibility
/// decomposition first, so `Ｃａｆé`, `CAFE` and `café` all fold to `cafe`).
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase(); // nothing to decompose
    }
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The folded words of `text`: maximal runs of letters and digits.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The distinct folded words of a product's title and brand, sorted.
pub fn product_words(product: &Product) -> Vec<String> {
    let mut all = words(&product.title);
    all.extend(words(&product.brand));
    all.sort_unstable();
    all.dedup();
    all
}

/// A query's words: the product must have, for each, a word it begins. No words (an empty or
/// punctuation-only query) restricts nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextQuery {
    pub words: Vec<String>,
}

impl TextQuery {
    pub fn parse(query: &str) -> Self {
        let mut words = words(query);
        words.sort_unstable();
        words.dedup();
        Self { words }
    }

    /// True when every query word is a prefix of one of `product_words` (sorted).
    pub fn matches(&self, product_words: &[String]) -> bool {
        self.words.iter().all(|q| {
            let from = product_words.partition_point(|w| w.as_str() < q.as_str());
            product_words
                .get(from)
                .is_some_and(|w| w.starts_with(q.as_str()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(query: &str, title: &str) -> bool {
        let mut product_words = words(title);
        product_words.sort_unstable();
        TextQuery::parse(query).matches(&product_words)
    }

    #[test]
    fn words_begin_with_the_query_words_in_any_case_and_accent() {
        assert!(hit("cash", "Cashmere Sweater"));
        assert!(hit("SWEATER cash", "Cashmere Sweater"));
        assert!(
            !hit("ashmere", "Cashmere Sweater"),
            "prefixes, not substrings"
        );
        assert!(
            !hit("cash boots", "Cashmere Sweater"),
            "every word must match"
        );
        assert!(hit("creme", "Crème Brûlée Knit"));
        assert!(hit("BRÛLÉE", "creme brulee knit"));
        assert!(hit("ｃａｆｅ", "Café"), "full-width letters fold");
        assert!(!hit("straße", "STRASSE"), "ß is not folded to ss");
        assert!(hit("łódź", "Łódź Tote"));
        assert!(hit("東京", "東京 Bag"));
        assert!(hit("t-shirt", "Tee T-Shirt"), "punctuation splits words");
        assert!(hit("", "anything") && hit(" - ", "anything"));
    }

    #[test]
    fn folding_is_stable() {
        for text in ["Crème", "ÅNGSTRÖM", "ﬁne", "İstanbul", "Ωmega"] {
            assert_eq!(fold(&fold(text)), fold(text), "{text}");
        }
    }
}
