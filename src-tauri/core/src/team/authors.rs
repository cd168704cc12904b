//! Binding a review event's author to the NATS user that published it.
//!
//! An event names its author in its body (`author_email`), which any publisher can write. What a
//! publisher cannot choose is the subject the server lets it publish on: nats-server checks each
//! user's publish permissions. So a review event goes out on `postcall.reviews.<call_id>.<token>`,
//! where `<token>` is derived from the author's email by [`token`], and the administrator gives
//! each reviewer's NATS user the one permission `postcall.reviews.*.<their token>`. Every node,
//! applying the stream, then refuses an event whose body names an author other than the one its
//! subject stands for ([`check`]): an event signed as a colleague either never reaches the stream
//! (the server refused the subject) or is not projected anywhere.
//!
//! The token is an escape of the exact email, not a hash, so an administrator reading the server
//! configuration can tell whose it is: ASCII lower-case letters, digits and `-` stay as they are,
//! every other byte (`.`, `@`, `_`, upper case, non-ASCII) becomes `_` and two hex digits. It is
//! injective — two emails never share a token, so no permission covers two authors — and contains
//! nothing a NATS subject token may not (`.`, `*`, `>`, white space).
//!
//! Events published before this (subject `postcall.reviews.<call_id>`, no token) still apply: the
//! per-user permissions above leave no reviewer able to publish on that form, so after the
//! server's configuration is changed only what was already in the stream carries it.

/// The longest email a token is made for (the limit of an address); longer ones cannot be
/// published (their subject would be refused by the server's line limit).
const MAX_EMAIL: usize = 254;

/// The stream's subject prefix of review events.
const PREFIX: &str = "postcall.reviews.";

/// The subject-safe token of an author's email (exactly as the event carries it), or `None`
/// when the email is empty or too long to publish.
pub fn token(email: &str) -> Option<String> {
    if email.is_empty() || email.len() > MAX_EMAIL {
        return None;
    }
    let mut out = String::with_capacity(email.len() * 2);
    for b in email.bytes() {
        if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    Some(out)
}

/// The token of an email as a reviewer types it: trimmed and lower-cased, as Postcall stores a
/// reviewer's email (`postcall team token`).
pub fn token_of_reviewer(email: &str) -> Option<String> {
    token(&email.trim().to_lowercase())
}

/// The subject a review event of `call_id` by `author_email` is published on.
pub fn subject(call_id: i64, author_email: &str) -> Option<String> {
    token(author_email).map(|t| format!("{PREFIX}{call_id}.{t}"))
}

/// The publish permission an administrator gives a reviewer's NATS user.
pub fn permission(token: &str) -> String {
    format!("{PREFIX}*.{token}")
}

/// Whether an event read from `subject` may be applied: its subject must stand for the author
/// and the call its body names. `Err` says why not.
pub fn check(subject: &str, call_id: i64, author_email: &str) -> Result<(), String> {
    let Some(rest) = subject.strip_prefix(PREFIX) else {
        return Err(format!("subject {subject} is not a review subject"));
    };
    match rest.split('.').collect::<Vec<_>>().as_slice() {
        // Published before authors were bound: applies as it always did.
        [_call] => Ok(()),
        [call, tok] => {
            if *call != call_id.to_string() {
                return Err(format!("subject {subject} is for call {call}, the event for call {call_id}"));
            }
            match token(author_email) {
                Some(t) if t == *tok => Ok(()),
                _ => Err(format!(
                    "the event says it is by {author_email:?}, but it was published on {subject}, which stands for another author"
                )),
            }
        }
        _ => Err(format!("subject {subject} has more parts than a review subject")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_readable_subject_safe_and_never_shared() {
        assert_eq!(token("alice@example.com").as_deref(), Some("alice_40example_2ecom"));
        assert_eq!(token("bob-x@ex.org").as_deref(), Some("bob-x_40ex_2eorg"));
        // Case, `_` and what would be an escape all stay apart.
        let emails = ["a.b@x", "a_b@x", "a_2eb@x", "A.b@x", "a.b@x ", "ă@x", "a*b@x", "a>b@x"];
        let tokens: Vec<String> = emails.iter().map(|e| token(e).expect("token")).collect();
        let unique: std::collections::BTreeSet<&String> = tokens.iter().collect();
        assert_eq!(unique.len(), emails.len(), "{tokens:?}");
        for t in &tokens {
            assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{t}");
        }
        assert_eq!(token(""), None);
        assert_eq!(token(&"a".repeat(255)), None);
        assert_eq!(token_of_reviewer(" Alice@Example.com "), token("alice@example.com"));
        assert_eq!(permission("alice_40example_2ecom"), "postcall.reviews.*.alice_40example_2ecom");
    }

    #[test]
    fn an_event_applies_only_on_its_authors_subject() {
        let s = subject(7, "bob@example.com").expect("subject");
        assert_eq!(s, "postcall.reviews.7.bob_40example_2ecom");
        assert_eq!(check(&s, 7, "bob@example.com"), Ok(()));
        assert!(check(&s, 7, "alice@example.com").is_err_and(|e| e.contains("alice@example.com")));
        assert!(check(&s, 7, "Bob@example.com").is_err());
        assert!(check(&s, 8, "bob@example.com").is_err(), "another call's subject");
        assert_eq!(check("postcall.reviews.0.bob_40example_2ecom", 0, "bob@example.com"), Ok(()));
        assert_eq!(check("postcall.reviews.7", 7, "anyone@example.com"), Ok(()), "the old form still applies");
        assert!(check("postcall.reviews.7.bob_40example_2ecom.x", 7, "bob@example.com").is_err());
        assert!(check("postcall.calls.7", 7, "bob@example.com").is_err());
        assert_eq!(subject(-3, "a@b").as_deref(), Some("postcall.reviews.-3.a_40b"));
    }
}
