//! Redaction of personal data in chat messages before any DSP sees them:
//! e-mail addresses, phone numbers, payment cards, IBANs, national id and
//! passport numbers, street addresses and IP addresses become typed
//! placeholders (`[email]`, `[phone]`, ...).
//!
//! A hand-written scanner, not a regular-expression engine: one pass per
//! kind over the bytes, checksums where the format has one (Luhn for
//! cards, ISO 7064 mod 97 for IBANs and French social security numbers,
//! the control letter of Spanish DNI/NIE). Where a format has no checksum
//! (phones, passports, addresses) the rules favour recall on the shapes
//! people write in English, German, French, Spanish and Italian, and keep
//! prices, dates, times, quantities and version numbers intact.
//! Text without a digit or an `@` is returned untouched at once.

use std::borrow::Cow;

/// A kind of personal data, with the placeholder that replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiKind {
    Email,
    Phone,
    Card,
    Iban,
    IdNumber,
    Address,
    Ip,
}

impl PiiKind {
    /// Every kind, in report order.
    pub const ALL: [PiiKind; 7] = [
        Self::Email,
        Self::Phone,
        Self::Card,
        Self::Iban,
        Self::IdNumber,
        Self::Address,
        Self::Ip,
    ];

    /// The name used in placeholders and reports (`email`, `id_number`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Card => "card",
            Self::Iban => "iban",
            Self::IdNumber => "id_number",
            Self::Address => "address",
            Self::Ip => "ip",
        }
    }

    /// The text that replaces a match: `[email]`, `[phone]`, ...
    pub fn placeholder(self) -> &'static str {
        match self {
            Self::Email => "[email]",
            Self::Phone => "[phone]",
            Self::Card => "[card]",
            Self::Iban => "[iban]",
            Self::IdNumber => "[id_number]",
            Self::Address => "[address]",
            Self::Ip => "[ip]",
        }
    }

    /// The kind named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// A match: the byte range `start..end` of the text holds `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PiiSpan {
    pub start: usize,
    pub end: usize,
    pub kind: PiiKind,
}

/// The text with every match replaced by its placeholder (borrowed when
/// nothing matched).
pub fn redact(text: &str) -> Cow<'_, str> {
    let spans = find(text);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in spans {
        out.push_str(&text[at..span.start]);
        out.push_str(span.kind.placeholder());
        at = span.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// Every match in `text`, sorted and not overlapping. Detectors run from
/// the most specific format to the least, and a later one never claims
/// bytes an earlier one did.
pub fn find(text: &str) -> Vec<PiiSpan> {
    let bytes = text.as_bytes();
    if !bytes.iter().any(|b| b.is_ascii_digit() || *b == b'@') {
        return Vec::new();
    }
    let mut found = Found::new(text.len());
    emails(text, &mut found);
    ips(text, &mut found);
    ibans(text, &mut found);
    cards(text, &mut found);
    id_numbers(text, &mut found);
    phones(text, &mut found);
    addresses(text, &mut found);
    let mut spans = found.spans;
    spans.sort_by_key(|span| span.start);
    spans
}

/// The spans found so far, with the bytes they claim (so that checking a
/// new span costs its length, however many spans a message holds).
struct Found {
    spans: Vec<PiiSpan>,
    claimed: Vec<bool>,
}

impl Found {
    fn new(length: usize) -> Self {
        Self {
            spans: Vec::new(),
            claimed: vec![false; length],
        }
    }

    fn add(&mut self, start: usize, end: usize, kind: PiiKind) -> bool {
        let Some(bytes) = self.claimed.get_mut(start..end) else {
            return false;
        };
        if start >= end || bytes.iter().any(|claimed| *claimed) {
            return false;
        }
        bytes.fill(true);
        self.spans.push(PiiSpan { start, end, kind });
        true
    }
}

/// The character before byte `at`, if any (`None` inside a character:
/// scanners never slice a message where it would panic).
fn char_before(text: &str, at: usize) -> Option<char> {
    text.get(..at)?.chars().next_back()
}

/// The character at byte `at`, if any (`None` inside a character).
fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..)?.chars().next()
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Whether a number may start at `at`: not inside a word or another number
/// (`v1`, `3.5`, `10,000`).
fn number_starts(text: &str, at: usize) -> bool {
    let before = char_before(text, at);
    if is_word(before) {
        return false;
    }
    if matches!(before, Some('.' | ',' | '-' | '/' | ':')) {
        return !char_before(text, at - 1).is_some_and(|c| c.is_ascii_digit());
    }
    true
}

/// Whether a number may end at `at`: not followed by a letter, digit or a
/// decimal part (`3.5`, `10,000`).
fn number_ends(text: &str, at: usize) -> bool {
    let after = char_at(text, at);
    if is_word(after) {
        return false;
    }
    if matches!(after, Some('.' | ',' | ':' | '-' | '/')) {
        return !char_at(text, at + 1).is_some_and(|c| c.is_ascii_digit());
    }
    true
}

// ---------------------------------------------------------------- e-mail

fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn emails(text: &str, found: &mut Found) {
    let bytes = text.as_bytes();
    for (at, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'@') {
        let mut start = at;
        while start > 0 && is_local_byte(bytes[start - 1]) {
            start -= 1;
        }
        while start < at && bytes[start] == b'.' {
            start += 1;
        }
        if start == at {
            continue;
        }
        let mut end = at + 1;
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'.' | b'-'))
        {
            end += 1;
        }
        while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let domain = &text[at + 1..end];
        let Some((_, tld)) = domain.rsplit_once('.') else {
            continue;
        };
        if tld.len() >= 2
            && tld.bytes().all(|b| b.is_ascii_alphabetic())
            && !domain.starts_with('.')
        {
            found.add(start, end, PiiKind::Email);
        }
    }
}

// ---------------------------------------------------------------- IP

fn ips(text: &str, found: &mut Found) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at].is_ascii_digit()
            && number_starts(text, at)
            && let Some(end) = ipv4_at(bytes, at)
            && number_ends(text, end)
        {
            found.add(at, end, PiiKind::Ip);
            at = end;
            continue;
        }
        if (bytes[at].is_ascii_hexdigit() || bytes[at] == b':')
            && !is_word(char_before(text, at))
            && char_before(text, at) != Some(':')
            && let Some(end) = ipv6_at(bytes, at)
            && !is_word(char_at(text, end))
        {
            found.add(at, end, PiiKind::Ip);
            at = end;
            continue;
        }
        at += 1;
    }
}

fn ipv4_at(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start;
    for part in 0..4 {
        let begin = at;
        while at < bytes.len() && bytes[at].is_ascii_digit() && at - begin < 3 {
            at += 1;
        }
        if at == begin || (at < bytes.len() && bytes[at].is_ascii_digit()) {
            return None;
        }
        let value: u32 = std::str::from_utf8(&bytes[begin..at]).ok()?.parse().ok()?;
        if value > 255 {
            return None;
        }
        if part < 3 {
            if bytes.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
    }
    Some(at)
}

/// An IPv6 address: eight groups, or fewer around one `::`, each group one
/// to four hex digits with at least one group holding a digit.
fn ipv6_at(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start;
    let mut groups = 0;
    let mut compressed = false;
    let mut has_digit = false;
    let mut end = start;
    while groups <= 8 {
        let begin = at;
        while at < bytes.len() && bytes[at].is_ascii_hexdigit() && at - begin < 4 {
            at += 1;
        }
        if at > begin {
            if at < bytes.len() && bytes[at].is_ascii_hexdigit() {
                return None;
            }
            has_digit |= bytes[begin..at].iter().any(u8::is_ascii_digit);
            groups += 1;
            end = at;
        }
        if bytes.get(at) == Some(&b':') {
            if bytes.get(at + 1) == Some(&b':') {
                if compressed {
                    break;
                }
                compressed = true;
                at += 2;
                end = at;
                continue;
            }
            if at == begin {
                break;
            }
            if !bytes.get(at + 1).is_some_and(u8::is_ascii_hexdigit) {
                break;
            }
            at += 1;
            continue;
        }
        break;
    }
    let valid =
        has_digit && ((groups == 8 && !compressed) || (compressed && (2..8).contains(&groups)));
    valid.then_some(end)
}

// ---------------------------------------------------------------- IBAN

fn ibans(text: &str, found: &mut Found) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let head = &bytes[at..at + 4];
        let plausible = head[0].is_ascii_uppercase()
            && head[1].is_ascii_uppercase()
            && head[2].is_ascii_digit()
            && head[3].is_ascii_digit()
            && !is_word(char_before(text, at));
        if plausible && let Some(end) = iban_at(text, at) {
            found.add(at, end, PiiKind::Iban);
            at = end;
            continue;
        }
        at += 1;
    }
}

/// The end of a valid IBAN starting at `start`: groups of upper-case
/// letters and digits, optionally separated by single spaces; the longest
/// run of whole groups (15 to 34 characters) whose mod-97 check holds.
fn iban_at(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut chars = Vec::with_capacity(34);
    let mut ends = Vec::new();
    let mut at = start;
    loop {
        let begin = at;
        while at < bytes.len() && (bytes[at].is_ascii_uppercase() || bytes[at].is_ascii_digit()) {
            at += 1;
        }
        if at == begin || chars.len() + (at - begin) > 34 {
            break;
        }
        chars.extend_from_slice(&bytes[begin..at]);
        if !is_word(char_at(text, at)) {
            ends.push((chars.len(), at));
        } else {
            break;
        }
        if bytes.get(at) == Some(&b' ')
            && bytes
                .get(at + 1)
                .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            at += 1;
        } else {
            break;
        }
    }
    ends.into_iter()
        .rev()
        .find(|(length, _)| (15..=34).contains(length) && iban_checks(&chars[..*length]))
        .map(|(_, end)| end)
}

fn iban_checks(iban: &[u8]) -> bool {
    if !iban[2..].iter().any(u8::is_ascii_digit) {
        return false;
    }
    let rearranged = iban[4..].iter().chain(&iban[..4]);
    let mut remainder: u32 = 0;
    for &b in rearranged {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

// ---------------------------------------------------------------- numbers

/// A run of digit groups from `start`: the groups' digits, the separators
/// between them and where each group ends. `separators` lists the bytes
/// allowed between two groups (one at a time).
struct DigitRun {
    /// The digits, at most the `max_digits` asked for.
    digits: Vec<u8>,
    /// The run has more digits than `max_digits`: reading stopped there.
    overflow: bool,
    groups: Vec<(usize, usize)>,
    separators: Vec<u8>,
    /// Opened with `+`.
    plus: bool,
    /// The first group was in parentheses: `(030)`, `(555)`.
    paren: bool,
}

impl DigitRun {
    fn end(&self) -> usize {
        self.groups.last().map_or(0, |g| g.1)
    }

    fn lengths(&self) -> Vec<usize> {
        self.groups.iter().map(|(s, e)| e - s).collect()
    }
}

/// Reads at most `max_digits` digits (then stops, with `overflow` set), so
/// that a run costs at most that much however long the number is.
fn digit_run(
    text: &str,
    start: usize,
    separators: &[u8],
    allow_paren: bool,
    max_digits: usize,
) -> Option<DigitRun> {
    let bytes = text.as_bytes();
    let mut run = DigitRun {
        overflow: false,
        digits: Vec::new(),
        groups: Vec::new(),
        separators: Vec::new(),
        plus: false,
        paren: false,
    };
    let mut at = start;
    if bytes.get(at) == Some(&b'+') {
        run.plus = true;
        at += 1;
    }
    loop {
        let mut closing = false;
        if allow_paren && bytes.get(at) == Some(&b'(') {
            closing = true;
            at += 1;
        }
        let begin = at;
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            at += 1;
        }
        if at == begin {
            return finish_run(run);
        }
        if run.digits.len() + (at - begin) > max_digits {
            run.overflow = true;
            run.groups.push((begin, at));
            return finish_run(run);
        }
        run.digits.extend_from_slice(&bytes[begin..at]);
        if closing {
            if bytes.get(at) != Some(&b')') {
                return None;
            }
            at += 1;
            if run.groups.is_empty() {
                run.paren = true;
            }
        }
        run.groups.push((begin.min(at), at));
        // The next group: after one separator, or directly after `)`.
        let next = bytes.get(at).copied();
        match next {
            Some(b) if separators.contains(&b) => {
                let after = bytes.get(at + 1).copied();
                let opens = after.is_some_and(|a| a.is_ascii_digit() || (allow_paren && a == b'('));
                if !opens {
                    return finish_run(run);
                }
                run.separators.push(b);
                at += 1;
            }
            Some(b'(') if allow_paren => run.separators.push(b' '),
            Some(d) if d.is_ascii_digit() && closing => run.separators.push(b' '),
            _ => return finish_run(run),
        }
    }
}

fn finish_run(run: DigitRun) -> Option<DigitRun> {
    (!run.groups.is_empty()).then_some(run)
}

/// The end of the number that continues at `at` (digits, and separators
/// followed by a digit): where scanning resumes after a run too long to be
/// anything the scanners look for.
fn skip_number(bytes: &[u8], mut at: usize, separators: &[u8]) -> usize {
    while at < bytes.len() {
        let b = bytes[at];
        let continues = b.is_ascii_digit()
            || ((separators.contains(&b) || b == b'(' || b == b')')
                && bytes.get(at + 1).is_some_and(u8::is_ascii_digit));
        if !continues {
            break;
        }
        at += 1;
    }
    at
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(index, d)| {
            let d = u32::from(d - b'0');
            if index % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Words after which a 12-digit Luhn number is a card (Maestro numbers are
/// 12 to 19 digits; 13 and more count anywhere).
const CARD_KEYWORDS: &[&str] = &[
    "card",
    "karte",
    "kreditkarte",
    "carte",
    "tarjeta",
    "carta",
    "visa",
    "mastercard",
    "maestro",
    "amex",
    "cb",
];

fn cards(text: &str, found: &mut Found) {
    let bytes = text.as_bytes();
    let mut keywords: Option<Vec<usize>> = None;
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at].is_ascii_digit()
            && number_starts(text, at)
            && let Some(run) = digit_run(text, at, b" -", false, 19)
        {
            let end = if run.overflow {
                skip_number(bytes, run.end(), b" -")
            } else {
                run.end()
            };
            // The longest prefix of whole groups that is a card number.
            let mut digits = 0;
            let mut best = None;
            for (index, (s, e)) in run.groups.iter().enumerate() {
                digits += e - s;
                if run.overflow && index + 1 == run.groups.len() {
                    break;
                }
                let ends_cleanly = index + 1 < run.groups.len() || number_ends(text, *e);
                let long_enough = (13..=19).contains(&digits)
                    || (digits == 12 && {
                        let ends = keywords.get_or_insert_with(|| {
                            keyword_ends(&text.to_ascii_lowercase(), CARD_KEYWORDS)
                        });
                        keyword_before(ends, at).is_some()
                    });
                if long_enough && ends_cleanly && luhn(&run.digits[..digits]) {
                    best = Some(*e);
                }
            }
            if let Some(card_end) = best {
                found.add(at, card_end, PiiKind::Card);
                at = card_end;
                continue;
            }
            at = end.max(at + 1);
            continue;
        }
        at += 1;
    }
}

// ---------------------------------------------------------------- id numbers

/// Words after which the next code is an identity document's number.
const ID_KEYWORDS: &[&str] = &[
    "passport",
    "passport no",
    "reisepass",
    "reisepassnummer",
    "passnummer",
    "pass-nr",
    "ausweis",
    "ausweisnummer",
    "personalausweis",
    "personalausweisnummer",
    "id number",
    "id card",
    "id no",
    "identity card",
    "national id",
    "passeport",
    "carte d'identité",
    "carte d’identité",
    "numéro de sécurité sociale",
    "sécurité sociale",
    "pasaporte",
    "dni",
    "nie",
    "nif",
    "ssn",
    "social security",
    "steuer-id",
    "steuernummer",
    "steueridentifikationsnummer",
    "tax id",
    "driver's license",
    "driver’s license",
    "drivers license",
    "driving licence",
    "führerschein",
    "führerscheinnummer",
    "permis de conduire",
    "carnet de conducir",
    "documento de identidad",
    "codice fiscale",
    "carta d'identità",
    "passaporto",
];

fn id_numbers(text: &str, found: &mut Found) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        if (b.is_ascii_alphanumeric())
            && !is_word(char_before(text, at))
            && let Some(end) = structured_id_at(text, at)
        {
            found.add(at, end, PiiKind::IdNumber);
            at = end;
            continue;
        }
        at += 1;
    }
    keyword_ids(text, found);
}

/// Formats recognisable on their own: US SSN (`123-45-6789`), Spanish
/// DNI/NIE with their control letter, UK National Insurance numbers,
/// French NIR with its key and Italian codici fiscali.
fn structured_id_at(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let rest = &bytes[start..];
    let digit = |i: usize| rest.get(i).is_some_and(u8::is_ascii_digit);
    let upper = |i: usize| rest.get(i).is_some_and(u8::is_ascii_uppercase);
    let ends = |len: usize| !is_word(char_at(text, start + len));
    // SSN: ddd-dd-dddd.
    if (0..3).all(digit)
        && rest.get(3) == Some(&b'-')
        && (4..6).all(digit)
        && rest.get(6) == Some(&b'-')
        && (7..11).all(digit)
        && ends(11)
        && number_ends(text, start + 11)
    {
        let area = &rest[..3];
        if area != b"000" && area != b"666" && rest[0] != b'9' {
            return Some(start + 11);
        }
    }
    // DNI: 8 digits, optional `-` or space, control letter.
    if (0..8).all(digit) {
        let letter_at = if matches!(rest.get(8), Some(b'-' | b' ')) {
            9
        } else {
            8
        };
        if let Some(&letter) = rest.get(letter_at)
            && ends(letter_at + 1)
            && dni_letter(std::str::from_utf8(&rest[..8]).ok()?.parse().ok()?)
                == letter.to_ascii_uppercase()
        {
            return Some(start + letter_at + 1);
        }
    }
    // NIE: X/Y/Z, 7 digits, control letter.
    if matches!(rest.first(), Some(b'X' | b'Y' | b'Z')) && (1..8).all(digit) {
        let letter_at = if matches!(rest.get(8), Some(b'-' | b' ')) {
            9
        } else {
            8
        };
        if let Some(&letter) = rest.get(letter_at)
            && ends(letter_at + 1)
        {
            let prefix = u32::from(rest[0] - b'X');
            let number: u32 = std::str::from_utf8(&rest[1..8]).ok()?.parse().ok()?;
            if dni_letter(prefix * 10_000_000 + number) == letter.to_ascii_uppercase() {
                return Some(start + letter_at + 1);
            }
        }
    }
    // UK NINO: AB 12 34 56 C (spaces optional).
    if upper(0) && upper(1) {
        let mut i = 2;
        let mut digits = 0;
        while digits < 6 {
            if rest.get(i) == Some(&b' ') && digits % 2 == 0 {
                i += 1;
            }
            if !digit(i) {
                break;
            }
            digits += 1;
            i += 1;
        }
        if digits == 6 {
            if rest.get(i) == Some(&b' ') {
                i += 1;
            }
            if matches!(rest.get(i), Some(b'A'..=b'D'))
                && ends(i + 1)
                && !matches!(
                    &rest[..2],
                    b"BG" | b"GB" | b"NK" | b"KN" | b"TN" | b"NT" | b"ZZ"
                )
            {
                return Some(start + i + 1);
            }
        }
    }
    // Codice fiscale: AAAAAA00A00A000A.
    let shape = b"LLLLLLDDLDDLDDDL";
    if rest.len() >= 16
        && shape
            .iter()
            .enumerate()
            .all(|(i, s)| if *s == b'L' { upper(i) } else { digit(i) })
        && ends(16)
    {
        return Some(start + 16);
    }
    // French NIR: 15 digits (spaces allowed), the last two 97 - n mod 97.
    if matches!(rest.first(), Some(b'1' | b'2'))
        && number_starts(text, start)
        && let Some(run) = digit_run(text, start, b" ", false, 15)
        && !run.overflow
        && run.digits.len() == 15
        && number_ends(text, run.end())
    {
        let number: u64 = std::str::from_utf8(&run.digits[..13]).ok()?.parse().ok()?;
        let key: u64 = std::str::from_utf8(&run.digits[13..]).ok()?.parse().ok()?;
        if 97 - number % 97 == key {
            return Some(run.end());
        }
    }
    None
}

fn dni_letter(number: u32) -> u8 {
    b"TRWAGMYFPDXBNJZSQVHLCKE"[(number % 23) as usize]
}

/// The code after an identity keyword (within a few words): letters and
/// digits, 5 to 24 of them with at least 4 digits, single spaces, hyphens
/// or dots allowed inside. Found from the codes back to the keywords, so a
/// message costs one pass however many keywords there are.
fn keyword_ids(text: &str, found: &mut Found) {
    let bytes = text.as_bytes();
    let ends = keyword_ends(&text.to_ascii_lowercase(), ID_KEYWORDS);
    if ends.is_empty() {
        return;
    }
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_alphanumeric() || is_word(char_before(text, at)) {
            at += 1;
            continue;
        }
        let end = at
            + bytes[at..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
        if bytes[at..end].iter().filter(|b| b.is_ascii_digit()).count() >= 2
            && let Some(keyword_end) = keyword_before(&ends, at)
            && let Some((start, stop)) = code_after(text, keyword_end)
            && start == at
        {
            found.add(start, stop, PiiKind::IdNumber);
            at = stop;
            continue;
        }
        at = end.max(at + 1);
    }
}

/// Where each of `keywords` ends in the ASCII-lower-cased text, in
/// order; a keyword starts a word. One pass: only word starts whose first
/// byte begins some keyword are compared.
fn keyword_ends(lower: &str, keywords: &[&str]) -> Vec<usize> {
    let bytes = lower.as_bytes();
    let mut firsts = [false; 256];
    for keyword in keywords {
        firsts[usize::from(keyword.as_bytes()[0])] = true;
    }
    let mut ends = Vec::new();
    for at in 0..bytes.len() {
        if !firsts[usize::from(bytes[at])]
            || (at > 0 && bytes[at - 1].is_ascii_alphanumeric())
            || !lower.is_char_boundary(at)
            || is_word(char_before(lower, at))
        {
            continue;
        }
        let rest = &bytes[at..];
        if let Some(longest) = keywords
            .iter()
            .filter(|k| k.as_bytes()[0] == rest[0] && rest.starts_with(k.as_bytes()))
            .map(|k| k.len())
            .max()
        {
            ends.push(at + longest);
        }
    }
    ends
}

/// The last keyword end in `ends` within the 48 bytes before `at`.
fn keyword_before(ends: &[usize], at: usize) -> Option<usize> {
    let index = ends.partition_point(|end| *end <= at);
    index
        .checked_sub(1)
        .map(|i| ends[i])
        .filter(|end| at - end <= 48)
}

fn code_after(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut at = from;
    let mut words = 0;
    while at < bytes.len() && at < from + 40 {
        let Some(c) = char_at(text, at) else { break };
        if !c.is_alphanumeric() {
            at += c.len_utf8();
            continue;
        }
        // A word of letters (`number`, `Nr`, `número`, `is`) is skipped.
        let word_end = text[at..]
            .char_indices()
            .take_while(|(i, _)| *i <= 64)
            .find(|(_, c)| !c.is_alphanumeric())
            .map(|(i, _)| at + i)
            .or_else(|| (text.len() - at <= 64).then_some(text.len()))?;
        let word = &text[at..word_end];
        if !word.bytes().any(|b| b.is_ascii_digit()) {
            words += 1;
            if words > 3 {
                return None;
            }
            at = word_end;
            continue;
        }
        // A code: ASCII letters and digits, groups joined by single spaces,
        // hyphens or dots while they hold digits.
        if !word.is_ascii() {
            return None;
        }
        let mut end = word_end;
        loop {
            let joined = matches!(bytes.get(end), Some(b' ' | b'-' | b'.'))
                && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
            if !joined || end - at >= 20 {
                break;
            }
            let next = end + 1;
            let next_end = text[next..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .map_or(text.len(), |i| next + i);
            end = next_end;
        }
        if is_word(char_at(text, end)) {
            return None;
        }
        let code = &bytes[at..end];
        let digits = code.iter().filter(|b| b.is_ascii_digit()).count();
        let letters = code.iter().filter(|b| b.is_ascii_alphabetic()).count();
        return ((5..=24).contains(&(digits + letters)) && digits >= 4 && letters <= 8)
            .then_some((at, end));
    }
    None
}

// ---------------------------------------------------------------- phones

/// Words after which a number is a phone number even without a prefix.
const PHONE_KEYWORDS: &[&str] = &[
    "phone",
    "call",
    "tel",
    "mobile",
    "cell",
    "text me",
    "whatsapp",
    "my number",
    "reach me",
    "fax",
    "telefon",
    "handy",
    "meine nummer",
    "anrufen",
    "ruf",
    "erreichbar",
    "téléphone",
    "portable",
    "appel",
    "mon numéro",
    "joindre",
    "teléfono",
    "móvil",
    "movil",
    "llámame",
    "llamar",
    "mi número",
    "telefono",
    "cellulare",
    "chiamami",
    "fijo",
    "festnetz",
    "fixe",
];

/// Whether a run of three groups is a date: `12.03.2024`, `2024-03-12`,
/// `03/12/24`.
fn is_date(run: &DigitRun) -> bool {
    let lengths = run.lengths();
    let same_separator = run.separators.windows(2).all(|w| w[0] == w[1]);
    lengths.len() == 3
        && same_separator
        && run
            .separators
            .first()
            .is_some_and(|s| matches!(s, b'.' | b'/' | b'-'))
        && (matches!(lengths[..], [1 | 2, 1 | 2, 2 | 4] | [4, 1 | 2, 1 | 2]))
}

fn phones(text: &str, found: &mut Found) {
    let bytes = text.as_bytes();
    let mut keywords: Option<Vec<usize>> = None;
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        let opens = b.is_ascii_digit()
            || ((b == b'+' || b == b'(') && bytes.get(at + 1).is_some_and(u8::is_ascii_digit));
        if opens
            && number_starts(text, at)
            && let Some(run) = digit_run(text, at, b" -./", true, 15)
        {
            if run.overflow {
                at = skip_number(bytes, run.end(), b" -./").max(at + 1);
                continue;
            }
            let digits_end = run.end();
            let end = extension_end(bytes, digits_end).unwrap_or(digits_end);
            if number_ends(text, end) {
                let is_phone = is_phone(&run, bytes[at], || {
                    let ends = keywords.get_or_insert_with(|| {
                        keyword_ends(&text.to_ascii_lowercase(), PHONE_KEYWORDS)
                    });
                    keyword_before(ends, at).is_some()
                });
                if is_phone {
                    found.add(at, end, PiiKind::Phone);
                }
            }
            at = end.max(at + 1);
            continue;
        }
        at += 1;
    }
}

/// The end of a phone extension right after a number: `x746`, ` ext. 22`,
/// ` ext 22`.
fn extension_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    if bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    let rest = bytes.get(i..)?;
    let marker = [&b"ext."[..], b"ext", b"x"]
        .into_iter()
        .find(|m| rest.len() >= m.len() && rest[..m.len()].eq_ignore_ascii_case(m))?;
    i += marker.len();
    if bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    let digits = bytes[i.min(bytes.len())..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    (1..=5).contains(&digits).then_some(i + digits)
}

fn is_phone(run: &DigitRun, first: u8, keyword: impl FnOnce() -> bool) -> bool {
    let digits = run.digits.len();
    if !(7..=15).contains(&digits) || is_date(run) {
        return false;
    }
    let lengths = run.lengths();
    // Decimal-looking runs such as `1.5` or `12.50` are prices.
    let dots = run.separators.iter().filter(|s| **s == b'.').count();
    if dots > 0 && dots == run.separators.len() && lengths.len() == 2 {
        return false;
    }
    if run.plus {
        return (8..=15).contains(&digits);
    }
    let leading_zero = run.digits[0] == b'0';
    if run.digits.starts_with(b"00") {
        return (10..=15).contains(&digits);
    }
    if run.paren && (9..=12).contains(&digits) {
        return true;
    }
    if leading_zero && (9..=12).contains(&digits) && first != b'(' {
        return true;
    }
    let uniform = run.separators.windows(2).all(|w| w[0] == w[1]);
    // North American 555-123-4567, 555.123.4567, 555 123 4567.
    if uniform && lengths == [3, 3, 4] && run.digits[0] != b'0' {
        return true;
    }
    // Spanish 612 345 678, 612 34 56 78 (mobile and landline start 6-9).
    if uniform
        && matches!(run.digits[0], b'6'..=b'9')
        && matches!(lengths[..], [3, 3, 3] | [3, 2, 2, 2] | [2, 3, 2, 2])
    {
        return true;
    }
    keyword()
}

// ---------------------------------------------------------------- addresses

/// Street types written after the name: `221B Baker Street`.
const EN_SUFFIXES: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "boulevard",
    "blvd",
    "lane",
    "ln",
    "drive",
    "dr",
    "court",
    "ct",
    "way",
    "place",
    "pl",
    "terrace",
    "parkway",
    "pkwy",
    "highway",
    "hwy",
    "square",
    "sq",
    "crescent",
    "close",
    "circle",
    "cir",
    "loop",
];
/// More street types of the USPS list, counted only when capitalized
/// (`Fisher Ranch`, `Allan Mills`).
const EN_CAPITALIZED_SUFFIXES: &[&str] = &[
    "alley",
    "bend",
    "bluff",
    "bluffs",
    "branch",
    "bridge",
    "brook",
    "brooks",
    "burg",
    "bypass",
    "camp",
    "canyon",
    "cape",
    "causeway",
    "center",
    "centre",
    "cliff",
    "cliffs",
    "club",
    "common",
    "commons",
    "corner",
    "corners",
    "course",
    "courts",
    "cove",
    "creek",
    "crest",
    "crossing",
    "curve",
    "dale",
    "dam",
    "divide",
    "drives",
    "estate",
    "estates",
    "expressway",
    "extension",
    "falls",
    "ferry",
    "field",
    "fields",
    "flat",
    "flats",
    "ford",
    "forest",
    "forge",
    "forges",
    "fork",
    "forks",
    "fort",
    "freeway",
    "garden",
    "gardens",
    "gateway",
    "glen",
    "green",
    "grove",
    "harbor",
    "harbors",
    "haven",
    "heights",
    "hill",
    "hills",
    "hollow",
    "island",
    "isle",
    "junction",
    "key",
    "knoll",
    "knolls",
    "lake",
    "lakes",
    "land",
    "landing",
    "light",
    "lights",
    "lodge",
    "manor",
    "meadow",
    "meadows",
    "mews",
    "mill",
    "mills",
    "mission",
    "motorway",
    "mount",
    "mountain",
    "neck",
    "orchard",
    "oval",
    "overpass",
    "park",
    "pass",
    "passage",
    "path",
    "pike",
    "pine",
    "pines",
    "plains",
    "plaza",
    "point",
    "points",
    "port",
    "ports",
    "prairie",
    "radial",
    "ranch",
    "rapid",
    "rapids",
    "rest",
    "ridge",
    "ridges",
    "river",
    "route",
    "row",
    "run",
    "shoal",
    "shoals",
    "shore",
    "shores",
    "skyway",
    "spring",
    "springs",
    "spur",
    "station",
    "stravenue",
    "stream",
    "summit",
    "throughway",
    "trace",
    "track",
    "trafficway",
    "trail",
    "tunnel",
    "turnpike",
    "underpass",
    "union",
    "valley",
    "valleys",
    "via",
    "viaduct",
    "view",
    "views",
    "village",
    "ville",
    "vista",
    "walk",
    "wall",
    "well",
    "wells",
];
/// English street types that are also common words (`external drive`):
/// they count only when capitalized.
const EN_AMBIGUOUS: &[&str] = &[
    "drive", "way", "place", "close", "court", "circle", "square", "loop",
];
/// Words that cannot be part of an English street name (`5 miles down the road`).
const EN_STOP: &[&str] = &[
    "the", "a", "an", "on", "in", "at", "to", "of", "down", "up", "my", "your", "our", "this",
    "that", "and", "or", "for", "with", "by", "from", "per", "miles", "mile", "km", "minutes",
    "min", "hours", "times", "blocks", "block", "more", "other", "across", "off", "along", "is",
    "are", "was", "it", "we", "i", "you", "cross", "next", "one", "two", "new", "old", "same",
];
/// Street types written before the name: `rue de la Paix`, `Calle Mayor`.
const PREFIX_TYPES: &[&str] = &[
    "rue",
    "avenue",
    "av",
    "av.",
    "boulevard",
    "bd",
    "bd.",
    "place",
    "allée",
    "allee",
    "chemin",
    "impasse",
    "quai",
    "route",
    "cours",
    "calle",
    "c/",
    "avenida",
    "avda",
    "avda.",
    "plaza",
    "pza",
    "paseo",
    "camino",
    "carrer",
    "ronda",
    "travesía",
    "via",
    "viale",
    "piazza",
    "corso",
    "vial",
    "urbanización",
    "callejón",
    "glorieta",
    "rambla",
    "alameda",
    "cuesta",
    "pasaje",
    "carretera",
    "borgo",
    "contrada",
    "rotonda",
    "vicolo",
    "largo",
    "strada",
    "incrocio",
    "piazzale",
    "canale",
    "lungomare",
];
/// Words that may join a name after a prefix type.
const PARTICLES: &[&str] = &[
    "de", "du", "des", "la", "le", "les", "l'", "d'", "del", "los", "las", "y", "el", "di",
    "della", "dei", "delle", "san", "saint", "sainte", "st", "ste",
];
/// German street words: compounds ending with these (`Rosenweg`), or the
/// word itself after an adjective (`Berliner Straße`).
const DE_SUFFIXES: &[&str] = &[
    "straße", "strasse", "str.", "str", "weg", "allee", "platz", "gasse", "ring", "damm", "ufer",
    "chaussee", "steig", "pfad", "markt", "stieg",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Word,
    /// A house number: `12`, `12a`, `221B`, `12-14`.
    Number,
    Comma,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
    kind: TokenKind,
}

fn tokens(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let mut end = start + c.len_utf8();
        let kind = if c.is_ascii_digit() {
            let mut digits_so_far = true;
            while let Some(&(i, n)) = chars.peek() {
                let rest = &text[i..];
                let ordinal = digits_so_far
                    && rest.len() >= 2
                    && rest.is_char_boundary(2)
                    && ["st", "nd", "rd", "th"]
                        .iter()
                        .any(|suffix| rest[..2].eq_ignore_ascii_case(suffix))
                    && !rest[2..].starts_with(char::is_alphabetic);
                if ordinal {
                    end = i + 2;
                    chars.next();
                    chars.next();
                    break;
                }
                // `12a`, `221B`: one letter after the digits; `12-14`.
                let joins = n.is_ascii_digit()
                    || (n.is_ascii_alphabetic()
                        && digits_so_far
                        && !text[i + 1..].starts_with(char::is_alphabetic))
                    || ((n == '-' || n == '/')
                        && text[i + 1..].starts_with(|x: char| x.is_ascii_digit()));
                if !joins {
                    break;
                }
                digits_so_far &= n.is_ascii_digit();
                end = i + n.len_utf8();
                chars.next();
            }
            TokenKind::Number
        } else if c.is_alphabetic() {
            while let Some(&(i, n)) = chars.peek() {
                let joins = n.is_alphabetic()
                    || ((n == '-' || n == '\'' || n == '’' || n == '/')
                        && text[i + n.len_utf8()..].starts_with(char::is_alphabetic))
                    || (n == '.'
                        && end - start <= 5
                        && !text[i + 1..].starts_with(char::is_alphabetic))
                    || (n == '/' && text[start..i].eq_ignore_ascii_case("c"));
                if !joins {
                    break;
                }
                end = i + n.len_utf8();
                chars.next();
                if n == '.' || n == '/' && text[start..i].eq_ignore_ascii_case("c") {
                    break;
                }
            }
            TokenKind::Word
        } else if c == ',' {
            TokenKind::Comma
        } else {
            TokenKind::Other
        };
        tokens.push(Token { start, end, kind });
    }
    tokens
}

/// Whether the token is one of `list` (ASCII case folded; a trailing
/// abbreviation dot ignored). No allocation: this runs for every token.
fn word_is(text: &str, token: &Token, list: &[&str]) -> bool {
    let word = &text[token.start..token.end];
    let bare = word.strip_suffix('.').unwrap_or(word);
    list.iter()
        .any(|entry| entry.eq_ignore_ascii_case(word) || entry.eq_ignore_ascii_case(bare))
}

fn ends_with_ignore_case(word: &str, suffix: &str) -> bool {
    word.len() >= suffix.len()
        && word.is_char_boundary(word.len() - suffix.len())
        && word[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

fn capitalized(text: &str, token: &Token) -> bool {
    text[token.start..].starts_with(char::is_uppercase)
}

fn house_number(text: &str, token: &Token) -> bool {
    token.kind == TokenKind::Number && {
        let digits = text[token.start..token.end]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        (1..=5).contains(&digits)
    }
}

/// Tokens an address spans at most, its house number included.
const ADDRESS_TOKENS: usize = 10;

fn addresses(text: &str, found: &mut Found) {
    let tokens = tokens(text);
    // Every address holds a house number: only the tokens shortly before
    // (or at) a number are tried.
    let mut next_number = vec![usize::MAX; tokens.len() + 1];
    for index in (0..tokens.len()).rev() {
        next_number[index] = if tokens[index].kind == TokenKind::Number {
            index
        } else {
            next_number[index + 1]
        };
    }
    let mut index = 0;
    while index < tokens.len() {
        if next_number[index].saturating_sub(index) > ADDRESS_TOKENS {
            index += 1;
            continue;
        }
        let matched = en_address(text, &tokens, index)
            .or_else(|| prefix_type_address(text, &tokens, index))
            .or_else(|| de_address(text, &tokens, index));
        if let Some((start, end, next)) = matched
            && found.add(start, end, PiiKind::Address)
        {
            index = next;
            continue;
        }
        index += 1;
    }
}

/// `NUMBER Name [Name...] SUFFIX`, as in `1600 Pennsylvania Avenue` or
/// `25 West 43rd Street`.
fn en_address(text: &str, tokens: &[Token], index: usize) -> Option<(usize, usize, usize)> {
    let first = tokens.get(index)?;
    if !house_number(text, first) {
        return None;
    }
    let mut i = index + 1;
    let mut names = 0;
    while let Some(token) = tokens.get(i) {
        if names > 4 {
            return None;
        }
        let word = &text[token.start..token.end];
        if token.kind == TokenKind::Number && is_ordinal(word) {
            names += 1;
            i += 1;
            continue;
        }
        if token.kind != TokenKind::Word {
            return None;
        }
        let suffix = (word_is(text, token, EN_SUFFIXES)
            && (!word_is(text, token, EN_AMBIGUOUS) || capitalized(text, token)))
            || (capitalized(text, token)
                && word_is(text, token, EN_CAPITALIZED_SUFFIXES)
                && tokens[index + 1..i].iter().all(|t| capitalized(text, t)));
        if names > 0 && suffix {
            let mut end = token.end;
            if let Some(next) = tokens.get(i + 1)
                && next.kind == TokenKind::Word
                && matches!(
                    &text[next.start..next.end],
                    "NW" | "NE" | "SW" | "SE" | "N" | "S" | "E" | "W"
                )
            {
                end = next.end;
                i += 1;
            }
            return Some((first.start, end, i + 1));
        }
        // Units and acronyms (`2 TB`, `5 GB`) are no street names.
        let acronym = word.chars().count() > 1 && word.chars().all(|c| c.is_uppercase());
        if acronym || word_is(text, token, EN_STOP) {
            return None;
        }
        names += 1;
        i += 1;
    }
    None
}

fn is_ordinal(word: &str) -> bool {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && matches!(
            word[digits..].to_ascii_lowercase().as_str(),
            "st" | "nd" | "rd" | "th"
        )
}

/// `[NUMBER[,]] TYPE name... [,] [NUMBER]` for French, Spanish and Italian
/// streets: `12 rue de la Paix`, `Calle Mayor 5`, `C/ Gran Vía, 28`.
fn prefix_type_address(
    text: &str,
    tokens: &[Token],
    index: usize,
) -> Option<(usize, usize, usize)> {
    let mut i = index;
    let mut start = None;
    if house_number(text, tokens.get(i)?) {
        start = Some(tokens[i].start);
        i += 1;
        if tokens.get(i).is_some_and(|t| t.kind == TokenKind::Comma) {
            i += 1;
        }
        if tokens
            .get(i)
            .is_some_and(|t| word_is(text, t, &["bis", "ter"]))
        {
            i += 1;
        }
    }
    let kind = tokens.get(i)?;
    if kind.kind != TokenKind::Word || !word_is(text, kind, PREFIX_TYPES) {
        return None;
    }
    let start = start.unwrap_or(kind.start);
    let numbered_before = start != kind.start;
    i += 1;
    let mut end = kind.end;
    let mut names = 0;
    while let Some(token) = tokens.get(i) {
        if token.kind != TokenKind::Word || names >= 6 {
            break;
        }
        let particle = word_is(text, token, PARTICLES)
            || text[token.start..token.end].starts_with("l'")
            || text[token.start..token.end].starts_with("d'");
        if !(particle || capitalized(text, token) || (names == 0 && numbered_before)) {
            break;
        }
        if !particle {
            end = token.end;
        }
        names += 1;
        i += 1;
    }
    if end == kind.end {
        return None;
    }
    if numbered_before {
        return Some((start, end, i));
    }
    // Without a leading number, a house number must follow the name.
    let mut j = i;
    if tokens.get(j).is_some_and(|t| t.kind == TokenKind::Comma) {
        j += 1;
    }
    let number = tokens.get(j)?;
    if !house_number(text, number) {
        return None;
    }
    let mut stop = number.end;
    let mut next = j + 1;
    // `5º`, `120, 3º`: the floor, with its mark.
    let mark = |t: Option<&Token>, after: usize| {
        t.filter(|m| m.start == after && matches!(&text[m.start..m.end], "º" | "ª" | "°"))
            .map(|m| m.end)
    };
    if let Some(end) = mark(tokens.get(next), stop) {
        stop = end;
        next += 1;
    } else if tokens.get(next).is_some_and(|t| t.kind == TokenKind::Comma)
        && let Some(floor) = tokens.get(next + 1)
        && house_number(text, floor)
        && let Some(end) = mark(tokens.get(next + 2), floor.end)
    {
        stop = end;
        next += 3;
    }
    Some((start, stop, next))
}

/// German prepositions that open a street name: `Am Kirchberg 8`.
const DE_PREPOSITIONS: &[&str] = &[
    "am",
    "im",
    "an der",
    "auf der",
    "auf dem",
    "zum",
    "zur",
    "unter den",
];
/// Capitalized words after a preposition that are no street: `Am Montag 3`.
const DE_NOT_STREETS: &[&str] = &[
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "wochenende",
    "ende",
    "anfang",
    "tag",
    "abend",
    "morgen",
    "januar",
    "februar",
    "märz",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "dezember",
    "stück",
    "platz",
];

/// `Rosenweg 3`, `Hauptstraße 5a`, `Goethestr. 14`, `Berliner Straße 12`,
/// `Am Kirchberg 8`.
fn de_address(text: &str, tokens: &[Token], index: usize) -> Option<(usize, usize, usize)> {
    let token = tokens.get(index)?;
    if token.kind != TokenKind::Word || !capitalized(text, token) {
        return None;
    }
    let word = text[token.start..token.end].trim_end_matches('.');
    let is_suffix = DE_SUFFIXES.iter().any(|s| word.eq_ignore_ascii_case(s));
    let compound = DE_SUFFIXES
        .iter()
        .any(|s| word.len() > s.len() + 2 && ends_with_ignore_case(word, s));
    let mut start = token.start;
    let mut next = index + 1;
    // `Goethestr. 14`: the abbreviation's dot.
    if tokens
        .get(next)
        .is_some_and(|t| t.start == token.end && &text[t.start..t.end] == ".")
    {
        next += 1;
    }
    if is_suffix || !compound {
        let previous = index.checked_sub(1).and_then(|p| tokens.get(p))?;
        let before = index.checked_sub(2).and_then(|p| tokens.get(p));
        let after_preposition = |t: &Token| {
            let single = &text[t.start..t.end];
            let double = before.map(|b| &text[b.start..t.end]);
            let known = |words: &str| {
                DE_PREPOSITIONS
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(words))
            };
            if known(single) {
                Some(t.start)
            } else if double.is_some_and(known) {
                before.map(|b| b.start)
            } else {
                None
            }
        };
        if previous.kind != TokenKind::Word {
            return None;
        }
        if let Some(opening) = after_preposition(previous) {
            // `Am Kirchberg 8`: any capitalized name after the preposition.
            if DE_NOT_STREETS.iter().any(|w| w.eq_ignore_ascii_case(word)) {
                return None;
            }
            start = opening;
        } else if is_suffix && capitalized(text, previous) {
            // `Berliner Straße 12`.
            start = previous.start;
        } else {
            return None;
        }
    }
    let number = tokens.get(next)?;
    if !house_number(text, number) || !number_ends(text, number.end) {
        return None;
    }
    Some((start, number.end, next + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn redacts(text: &str, expected: &str) {
        assert_eq!(redact(text), expected, "{text}");
    }

    #[track_caller]
    fn keeps(text: &str) {
        assert_eq!(redact(text), text);
    }

    #[test]
    fn emails_become_placeholders() {
        redacts(
            "mail me at jane.doe+ads@example.co.uk.",
            "mail me at [email].",
        );
        redacts(
            "schreib an max_muster@web.de bitte",
            "schreib an [email] bitte",
        );
        keeps("meet me @ 5pm");
        keeps("@handle on twitter");
    }

    #[test]
    fn cards_need_a_valid_luhn_check() {
        redacts(
            "card 4111 1111 1111 1111 exp 12/27",
            "card [card] exp 12/27",
        );
        redacts("4242-4242-4242-4242", "[card]");
        keeps("order 4111 1111 1111 1112 ok");
    }

    #[test]
    fn ibans_need_a_valid_checksum() {
        redacts(
            "IBAN: DE89 3704 0044 0532 0130 00, danke",
            "IBAN: [iban], danke",
        );
        redacts("FR1420041010050500013M02606", "[iban]");
        keeps("code DE88 3704 0044 0532 0130 00 ok");
    }

    #[test]
    fn phones_in_several_national_shapes() {
        redacts("call +1 (415) 555-0132 now", "call [phone] now");
        redacts("Ruf mich an: 0171 2345678", "Ruf mich an: [phone]");
        redacts("mon portable 06 12 34 56 78", "mon portable [phone]");
        redacts("mi móvil es 612 345 678", "mi móvil es [phone]");
        redacts("+44 (0)20 7946 0958", "[phone]");
        redacts("(555) 123-4567", "[phone]");
    }

    #[test]
    fn ordinary_numbers_are_kept() {
        for text in [
            "It costs 1.299,00 € or $1,299.99",
            "on 12.03.2024 at 10:30",
            "2024-03-12",
            "version 2.4.1 and 10.15",
            "I need 250 units by 2025",
            "up 12.5% since 1999",
            "between 100 and 200 people",
            "ISBN 978-3-16-148410-0",
            "order 123456789",
        ] {
            keeps(text);
        }
    }

    #[test]
    fn ip_addresses_v4_and_v6() {
        redacts("server 192.168.1.20 is down", "server [ip] is down");
        redacts("from 2001:db8::8a2e:370:7334 today", "from [ip] today");
        keeps("at 10:30:45 sharp");
        keeps("version 1.2.3");
        keeps("999.1.1.1");
    }

    #[test]
    fn id_numbers_by_format_and_by_keyword() {
        redacts("my SSN is 123-45-6789", "my SSN is [id_number]");
        redacts("DNI 12345678Z", "DNI [id_number]");
        redacts("mi NIE es X1234567L", "mi NIE es [id_number]");
        redacts("NINO QQ 12 34 56 C", "NINO [id_number]");
        redacts(
            "passport number C01X00T47 please",
            "passport number [id_number] please",
        );
        redacts("Personalausweis: L01X00T47", "Personalausweis: [id_number]");
        redacts(
            "numéro de sécurité sociale 1 84 12 76 451 089 46",
            "numéro de sécurité sociale [id_number]",
        );
        keeps("ref 12345678A");
    }

    #[test]
    fn street_addresses_in_four_languages() {
        redacts(
            "I live at 221B Baker Street, London",
            "I live at [address], London",
        );
        redacts("ship to 1600 Pennsylvania Avenue NW", "ship to [address]");
        redacts(
            "Ich wohne in der Hauptstraße 5a in Köln",
            "Ich wohne in der [address] in Köln",
        );
        redacts(
            "Berliner Straße 12, 10115 Berlin",
            "[address], 10115 Berlin",
        );
        redacts(
            "j'habite au 12 rue de la Paix à Paris",
            "j'habite au [address] à Paris",
        );
        redacts(
            "vivo en la Calle Mayor 5, Madrid",
            "vivo en la [address], Madrid",
        );
        redacts("C/ Gran Vía, 28", "[address]");
        keeps("I walked 5 miles down the road");
        keeps("Platz 3 in der Tabelle");
    }

    #[test]
    fn numbers_longer_than_any_format_are_left_alone() {
        keeps(&"1 ".repeat(5_000));
        keeps(&"1:".repeat(5_000));
        keeps("1234567890123456789012345");
        redacts("4111 1111 1111 1111 2222 3333", "[card] 2222 3333");
    }

    #[test]
    fn text_without_digits_or_at_signs_is_borrowed() {
        assert!(matches!(redact("no numbers here"), Cow::Borrowed(_)));
    }
}
