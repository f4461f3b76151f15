//! A lexer pass over a document's text before it is parsed: counts tokens and the deepest
//! nesting of `{`, `(` and `[`, stopping as soon as either passes its limit, so a hostile
//! document is refused in time linear in its length and never reaches the recursive parser.

/// What the pass found (up to the point where it stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenScan {
    pub tokens: usize,
    pub max_nesting: usize,
}

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_name_part(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

/// Skips a string starting at `i` (which is a `"`); returns the index after it.
fn skip_string(text: &[u8], i: usize) -> usize {
    if text[i..].starts_with(b"\"\"\"") {
        let mut j = i + 3;
        while j < text.len() {
            if text[j] == b'\\' && text[j..].starts_with(b"\\\"\"\"") {
                j += 4;
            } else if text[j..].starts_with(b"\"\"\"") {
                return j + 3;
            } else {
                j += 1;
            }
        }
        return j;
    }
    let mut j = i + 1;
    while j < text.len() && text[j] != b'"' && text[j] != b'\n' {
        j += if text[j] == b'\\' { 2 } else { 1 };
    }
    (j + 1).min(text.len())
}

/// Scans `text`, stopping once tokens pass `max_tokens` or nesting passes `max_nesting`.
pub fn scan(text: &str, max_tokens: usize, max_nesting: usize) -> TokenScan {
    let bytes = text.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    let mut found = TokenScan::default();
    while i < bytes.len() && found.tokens <= max_tokens && found.max_nesting <= max_nesting {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => i = skip_string(bytes, i),
            b'{' | b'(' | b'[' => {
                depth += 1;
                found.max_nesting = found.max_nesting.max(depth);
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            _ if is_name_start(b) || b == b'-' || b.is_ascii_digit() => {
                i += 1;
                while i < bytes.len() && (is_name_part(bytes[i]) || bytes[i] == b'.') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        found.tokens += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tokens_and_nesting() {
        let q = r#"query Q($id: ID!) { product(id: $id) { ...F title } } # comment { { {
            fragment F on Product { variants { sku } }"#;
        let found = scan(q, 1_000, 100);
        assert_eq!(found.max_nesting, 2);
        assert_eq!(found.tokens, 33);
        assert_eq!(scan(r#"{ a(b: "{{{ \" }}}") }"#, 100, 100).max_nesting, 2);
        assert_eq!(
            scan(r#"{ a(b: """ {{{ \""" """) }"#, 100, 100).max_nesting,
            2
        );
        assert_eq!(scan("{ a(x: -1.5e3) }", 100, 100).tokens, 8);
    }

    #[test]
    fn stops_early_past_a_limit() {
        let deep = "{a".repeat(100_000);
        let found = scan(&deep, usize::MAX, 64);
        assert_eq!(found.max_nesting, 65);
        assert!(found.tokens < 200);
        let wide = "{ ".to_string() + &"a ".repeat(100_000) + "}";
        assert_eq!(scan(&wide, 500, 64).tokens, 501);
    }
}
