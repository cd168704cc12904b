//! Realistic synthetic calls: the "send a test call" payload and the benchmark's data.
//! Deterministic for a given seed, so benchmark runs compare like with like.

use serde_json::{json, Value};

/// A small, fast, deterministic generator (xorshift64*); not for secrets.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const BOT_LINES: &[&str] = &[
    "Hello, this is Sarah from Brightline Energy. Is now a good time to talk?",
    "I'm calling about your recent enquiry regarding our solar installation offer.",
    "Could you confirm the postcode for the property?",
    "Great, and roughly how much is your monthly electricity bill?",
    "We have an engineer available on Tuesday afternoon or Thursday morning.",
    "I can book that for you now. Can I confirm your email address?",
    "Your reference number is {ref}. You will receive a confirmation by text.",
    "I understand. Would you prefer that we call back at a different time?",
    "Thank you for your time today, have a lovely afternoon.",
    "Bună ziua, vă sunăm în legătură cu programarea dumneavoastră.",
    "Our premium plan includes battery storage and a twenty five year warranty.",
    "Is there anything else I can help you with today?",
];

const HUMAN_LINES: &[&str] = &[
    "Yes, I have a couple of minutes.",
    "Who did you say you were calling from?",
    "It's about a hundred and twenty pounds a month in winter.",
    "Thursday morning would suit me better actually.",
    "Can you send me the details by email first?",
    "I'm not interested, please take me off your list.",
    "My order {ref} still hasn't arrived, can you check?",
    "The postcode is SW1A 1AA.",
    "What does the warranty cover exactly?",
    "Sorry, I'm driving, can you call back later?",
    "That sounds good, go ahead and book it.",
    "Da, mulțumesc, este în regulă.",
];

const STATUSES: &[&str] = &[
    "completed",
    "completed",
    "completed",
    "completed",
    "busy",
    "no-answer",
    "failed",
    "ended_by_customer",
    "ended_by_assistant",
];
const CAMPAIGNS: &[&str] = &["Spring solar", "Renewals Q3", "Win-back", "Webinar follow-up"];
const NEXT: &[&str] = &["schedule_demo", "send_brochure", "call_back", "none"];

/// One synthetic Intellixent payload (newer doc format) with `turns` turns.
pub fn call(id: i64, rng: &mut Rng, start_ms: i64) -> Value {
    let turns = match rng.below(100) {
        0 => 200 + rng.below(300),
        _ => 10 + rng.below(51),
    };
    let reference = format!("ZX-{:04}-{}", rng.below(10_000), ["QQ", "AB", "MK", "TR"][rng.below(4) as usize]);
    let created = start_ms / 1000;
    let mut t = created as f64 + 1.0;
    let mut transcript = Vec::with_capacity(turns as usize);
    let mut formatted = String::new();
    for i in 0..turns {
        let bot = i % 2 == 0;
        let line = if bot { rng.pick(BOT_LINES) } else { rng.pick(HUMAN_LINES) }.replace("{ref}", &reference);
        transcript.push(
            json!({"text": line, "sender": if bot { "bot" } else { "human" }, "timestamp": (t * 10.0).round() / 10.0}),
        );
        formatted.push_str(if bot { "AI: " } else { "Customer: " });
        formatted.push_str(&line);
        formatted.push('\n');
        t += 2.0 + rng.below(120) as f64 / 10.0;
    }
    let duration = (t as i64 - created).max(1);
    let achieved = rng.below(3) != 0;
    let mut v = json!({
        "id": id,
        "customer_phone": format!("+44{:010}", 7_000_000_000u64 + rng.below(999_999_999)),
        "assistant_phone": format!("+1{:010}", 4_155_550_000u64 + rng.below(100)),
        "duration": duration,
        "status": rng.pick(STATUSES),
        "extracted_variables": {
            "status": achieved,
            "summary": if achieved { "Booked a home survey" } else { "Not interested right now" },
            "lead_quality": rng.pick(&["high", "medium", "low"]),
            "next_action": rng.pick(NEXT),
            "monthly_bill": 40 + rng.below(160),
            "order_reference": reference,
        },
        "input_variables": {"customer_name": format!("Customer {id}"), "product_interest": "Solar + battery"},
        "transcript": transcript,
        "formatted_transcript": formatted.trim_end(),
        "created_at": crate::time::ms_to_rfc3339(created * 1000),
        "finished_at": crate::time::ms_to_rfc3339((created + duration) * 1000),
    });
    if rng.below(2) == 0 {
        v["recording_url"] = json!(format!("https://portal.intellixent.ai/storage/recordings/call-{id}.mp3"));
    }
    if rng.below(3) == 0 {
        v["lead"] = json!({"id": id * 7, "phone_number": v["customer_phone"], "status": "contacted",
            "campaign": {"id": 3, "name": rng.pick(CAMPAIGNS), "status": "active"}});
    }
    v
}

/// The payload "Send a test call" posts through the real listener.
pub fn test_call(id: i64) -> Value {
    let now = crate::time::now_ms();
    let mut v = call(id, &mut Rng::new(id as u64), now - 95_000);
    v["extracted_variables"]["summary"] = json!("Test call from Postcall");
    v["input_variables"]["source"] = json!("postcall-test");
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_calls_parse_and_vary() {
        let mut rng = Rng::new(7);
        let a = call(1, &mut rng, 1_700_000_000_000);
        let b = call(2, &mut rng, 1_700_000_000_000);
        assert_ne!(a["transcript"], b["transcript"]);
        let body = serde_json::to_vec(&a).expect("json");
        let (id, doc) = crate::payload::parse_body(&body).expect("parses");
        assert_eq!(id, 1);
        let n = crate::payload::turns(&doc).expect("turns").len();
        assert!(n >= 10, "{n}");
    }
}
