//! JSON writers for plans: values, objects of selected fields, lists, money, written straight
//! into the response buffer exactly as async-graphql's serializer would write them.

use std::io::Write;

use super::compile::Node;
use super::inputs::{Fallback, Res};
use crate::graphql::product::MoneyV2;
use crate::pricing::landed::ShownPrice;
use crate::pricing::money::minor_digits;

pub type Out = Vec<u8>;

pub fn string(out: &mut Out, s: &str) {
    // Most strings need no escaping: copied as they are. Else serde_json's escaping, the same
    // async-graphql's responses get (it escapes only `"`, `\\` and control characters).
    if !needs_escaping(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Whether any byte is a control character, `"` or `\\`: eight bytes at a time (SWAR).
fn needs_escaping(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // A byte of `x` is zero: the classic test (exact for "any", which is all that is asked).
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_ne_bytes(chunk.try_into().unwrap_or_default());
        // Bytes below 0x20 (ASCII only: bytes >= 0x80 are UTF-8 and left alone).
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0;
        if below_space || has_zero(x ^ (ONES * b'"' as u64)) || has_zero(x ^ (ONES * b'\\' as u64))
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

pub fn opt_string(out: &mut Out, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

pub fn int(out: &mut Out, n: i64) {
    let _ = write!(out, "{n}");
}

pub fn boolean(out: &mut Out, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

pub fn null(out: &mut Out) {
    out.extend_from_slice(b"null");
}

/// An object: each node's key, then its value written by `value` (`__typename` here).
pub fn object<F>(out: &mut Out, nodes: &[Node], typename: &str, mut value: F) -> Res<()>
where
    F: FnMut(&mut Out, &Node) -> Res<()>,
{
    // async-graphql answers an object none of whose fields is selected (all skipped) as null.
    if nodes.is_empty() {
        null(out);
        return Ok(());
    }
    out.push(b'{');
    for (i, node) in nodes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&node.key);
        if node.name == "__typename" {
            string(out, typename);
        } else {
            value(out, node)?;
        }
    }
    out.push(b'}');
    Ok(())
}

pub fn list<T, F>(out: &mut Out, items: &[T], item: F) -> Res<()>
where
    F: FnMut(&mut Out, &T) -> Res<()>,
{
    list_of(out, items, item)
}

/// [`list`] over any iterator.
pub fn list_of<I, F>(out: &mut Out, items: I, mut item: F) -> Res<()>
where
    I: IntoIterator,
    F: FnMut(&mut Out, I::Item) -> Res<()>,
{
    out.push(b'[');
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, x)?;
    }
    out.push(b']');
    Ok(())
}

pub fn strings(out: &mut Out, items: &[String]) -> Res<()> {
    list(out, items, |out, s| {
        string(out, s);
        Ok(())
    })
}

pub fn money(out: &mut Out, nodes: &[Node], m: &MoneyV2) -> Res<()> {
    object(out, nodes, "MoneyV2", |out, node| {
        match node.name {
            "amount" => string(out, &m.amount.0),
            "currencyCode" => string(out, &m.currency_code),
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

/// A shown price as `MoneyV2` (`MoneyV2::shown`), its amount written without a `String`.
pub fn opt_shown(out: &mut Out, nodes: &[Node], shown: Option<&ShownPrice>) -> Res<()> {
    let Some(shown) = shown else {
        null(out);
        return Ok(());
    };
    object(out, nodes, "MoneyV2", |out, node| {
        match node.name {
            "amount" => {
                let mut digits = [0u8; 64];
                out.push(b'"');
                out.extend_from_slice(minor_digits(
                    shown.amount_minor,
                    shown.minor_units,
                    &mut digits,
                ));
                out.push(b'"');
            }
            "currencyCode" => string(out, &shown.currency),
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

pub fn opt_money(out: &mut Out, nodes: &[Node], m: Option<&MoneyV2>) -> Res<()> {
    match m {
        Some(m) => money(out, nodes, m),
        None => {
            null(out);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut cases: Vec<String> = [
            "plain",
            "",
            "quote \" here",
            "back\\slash",
            "tab\t",
            "\u{1}\u{1f}\u{7f}",
            "Crème brûlée 日本 ~\u{7f}\u{80}",
        ]
        .map(String::from)
        .to_vec();
        // Each byte to escape (and some not to) at every place of a word-sized chunk and of the
        // tail after it.
        let text = "A description with nothing to escape";
        for c in [
            '"', '\\', '\u{0}', '\u{1f}', ' ', '!', '#', '[', ']', '\u{ff}',
        ] {
            for at in 0..20 {
                let mut s: String = text.chars().take(20).collect();
                s.insert(at, c);
                cases.push(s);
            }
        }
        for s in &cases {
            let mut out = Vec::new();
            super::string(&mut out, s);
            let expected = serde_json::to_string(s).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{s:?}");
        }
    }
}
