//! Payment card numbers in text: 13 to 19 digits, single spaces or dashes allowed between them,
//! passing the Luhn check (ISO/IEC 7812-1, annex B). Found to be card data, a number is only
//! ever shown masked: its first six and last four digits, the others as `*` (PCI DSS 3.4.1).

use std::borrow::Cow;
use std::ops::Range;

/// The fewest digits a card number has (ISO/IEC 7812-1).
pub const MIN_DIGITS: usize = 13;
/// The most digits a card number has.
pub const MAX_DIGITS: usize = 19;

/// Whether the digits pass the Luhn check.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// The byte ranges of every card number in `text`: a run of digits with single spaces or dashes
/// between them, not touching another digit, whose digits number 13 to 19 and pass the Luhn check.
pub fn find(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    // Cheap first: text with fewer than 13 digits holds no card number (most values), and text
    // shorter than that has fewer without counting.
    if text.len() < MIN_DIGITS || text.bytes().filter(u8::is_ascii_digit).count() < MIN_DIGITS {
        return out;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = Vec::with_capacity(MAX_DIGITS);
        let mut end = i;
        while i < bytes.len() {
            if bytes[i].is_ascii_digit() {
                digits.push(bytes[i]);
                i += 1;
                end = i;
            } else if matches!(bytes[i], b' ' | b'-')
                && i + 1 < bytes.len()
                && bytes[i + 1].is_ascii_digit()
            {
                i += 1;
            } else {
                break;
            }
        }
        if (MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) && luhn(&digits) {
            out.push(start..end);
        }
    }
    out
}

/// A card number masked: the first six and last four digits kept, the others `*`, separators
/// kept (`4111 11** **** 1111`).
pub fn mask_number(number: &str) -> String {
    let total = number.bytes().filter(u8::is_ascii_digit).count();
    let mut seen = 0;
    number
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen <= 6 || seen > total.saturating_sub(4) {
                    c
                } else {
                    '*'
                }
            } else {
                c
            }
        })
        .collect()
}

/// The text with every card number in it masked; borrowed (no allocation) when it holds none.
pub fn mask(text: &str) -> Cow<'_, str> {
    let found = find(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in found {
        out.push_str(&text[at..r.start]);
        out.push_str(&mask_number(&text[r.clone()]));
        at = r.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visa_test_number_is_found_with_or_without_separators() {
        assert_eq!(find("4111111111111111"), vec![0..16]);
        assert_eq!(find("card 4111 1111 1111 1111."), vec![5..24]);
        assert_eq!(find("4111-1111-1111-1111"), vec![0..19]);
        assert_eq!(
            mask("card 4111 1111 1111 1111."),
            "card 4111 11** **** 1111."
        );
        assert_eq!(mask("4111111111111111"), "411111******1111");
    }

    #[test]
    fn twelve_digits_a_luhn_failure_and_twenty_digits_are_not_card_numbers() {
        assert!(find("411111111111").is_empty(), "12 digits");
        assert!(find("4111111111111112").is_empty(), "fails Luhn");
        assert!(find("41111111111111110000").is_empty(), "20 digits");
        assert!(
            find("4111  1111 1111 1111").is_empty(),
            "two spaces split the run"
        );
        assert!(matches!(mask("order 12345"), Cow::Borrowed(_)));
    }

    #[test]
    fn an_amex_number_of_fifteen_digits_is_found() {
        assert_eq!(find("378282246310005").len(), 1);
        assert_eq!(mask_number("378282246310005"), "378282*****0005");
    }
}
