//! The exchanges, queues and retry policy of design.md 6, and topic matching.
//!
//! Both backends are built from one [`Topology`], so the in-process bus routes exactly like
//! RabbitMQ does with the same bindings.

use std::time::Duration;

/// One consumer queue and the topic patterns bound to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    /// Queue name, e.g. `engine.contracts`; its parking queue is `<name>.parked`.
    pub name: String,
    /// Topic patterns (`*` = one word, `#` = zero or more words) bound to the exchange.
    pub bindings: Vec<String>,
}

/// How failed deliveries are redelivered before they are parked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Deliveries a message gets before a further `retry` parks it instead (at least 1).
    pub max_attempts: u32,
    /// Delay before the second delivery.
    pub first_delay: Duration,
    /// Growth of the delay per attempt (delay = first_delay * factor^(attempt-1)).
    pub factor: u32,
    /// Upper bound of the delay.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// The delay before redelivering a message whose delivery number `attempt` (1-based) failed.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1);
        let growth = self.factor.max(1).saturating_pow(exponent);
        self.first_delay
            .checked_mul(growth)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// Every distinct delay this policy can produce, shortest first (one delay queue each).
    pub fn delays(&self) -> Vec<Duration> {
        let mut delays: Vec<Duration> = (1..self.max_attempts.max(1))
            .map(|attempt| self.delay_after(attempt))
            .collect();
        delays.dedup();
        delays
    }
}

impl Default for RetryPolicy {
    /// Five deliveries, 1 s then x4 (1 s, 4 s, 16 s, 64 s), at most 5 minutes apart.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            first_delay: Duration::from_secs(1),
            factor: 4,
            max_delay: Duration::from_secs(300),
        }
    }
}

/// Everything a bus declares: exchange, dead-letter exchange, queues and retry policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// The topic exchange documents are published to.
    pub exchange: String,
    /// The exchange parked messages go through to their parking queues.
    pub dead_letter_exchange: String,
    /// One entry per consumer queue.
    pub queues: Vec<QueueSpec>,
    /// Redelivery policy for all queues.
    pub retry: RetryPolicy,
}

impl Topology {
    /// design.md 6: exchange `chargegate.docs`, DLX `chargegate.dlx`, queues
    /// `engine.contracts` <- `contract.*`, `engine.sales` <- `sales_report.*`,
    /// `engine.claims` <- `claim.*`, `engine.responses` <- `claim_response.*` and
    /// `acknowledgment.*`, `outbound.send` <- `outbound.#`; a parking queue `<queue>.parked`
    /// per queue.
    pub fn chargegate() -> Self {
        let queue = |name: &str, bindings: &[&str]| QueueSpec {
            name: name.to_owned(),
            bindings: bindings.iter().map(|b| (*b).to_owned()).collect(),
        };
        Topology {
            exchange: "chargegate.docs".to_owned(),
            dead_letter_exchange: "chargegate.dlx".to_owned(),
            queues: vec![
                queue("engine.contracts", &["contract.*"]),
                queue("engine.sales", &["sales_report.*"]),
                queue("engine.claims", &["claim.*"]),
                queue(
                    "engine.responses",
                    &["claim_response.*", "acknowledgment.*"],
                ),
                queue("outbound.send", &["outbound.#"]),
            ],
            retry: RetryPolicy::default(),
        }
    }

    /// The same shape with every exchange and queue name prefixed by `<prefix>.`, so tests
    /// running in parallel on one broker do not see each other's messages. Bindings (routing
    /// patterns) are unchanged.
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        let prefixed = |name: &str| format!("{prefix}.{name}");
        self.exchange = prefixed(&self.exchange);
        self.dead_letter_exchange = prefixed(&self.dead_letter_exchange);
        for queue in &mut self.queues {
            queue.name = prefixed(&queue.name);
        }
        self
    }

    /// The spec of a queue by its (possibly prefixed) name.
    pub fn queue(&self, name: &str) -> Option<&QueueSpec> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// The queues a message with this routing key is delivered to, in topology order.
    pub fn route<'a>(&'a self, routing_key: &'a str) -> impl Iterator<Item = &'a QueueSpec> + 'a {
        self.queues.iter().filter(move |q| {
            q.bindings
                .iter()
                .any(|pattern| topic_matches(pattern, routing_key))
        })
    }
}

/// The name of a queue's parking queue.
pub fn parking_queue(queue: &str) -> String {
    format!("{queue}.parked")
}

/// AMQP topic matching: words split on `.`, `*` matches exactly one word, `#` zero or more.
pub fn topic_matches(pattern: &str, routing_key: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('.').collect();
    let key: Vec<&str> = routing_key.split('.').collect();
    words_match(&pattern, &key)
}

fn words_match(pattern: &[&str], key: &[&str]) -> bool {
    match pattern.split_first() {
        None => key.is_empty(),
        // `#` may swallow any number of words, so try every split point.
        Some((&"#", rest)) => (0..=key.len()).any(|skip| words_match(rest, &key[skip..])),
        Some((&word, rest)) => match key.split_first() {
            Some((&first, key_rest)) => {
                (word == "*" || word == first) && words_match(rest, key_rest)
            }
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_matches_exactly_one_word() {
        assert!(topic_matches("claim.*", "claim.acme"));
        assert!(!topic_matches("claim.*", "claim"));
        assert!(!topic_matches("claim.*", "claim.acme.extra"));
        assert!(!topic_matches("claim.*", "claim_response.acme"));
    }

    #[test]
    fn hash_matches_zero_or_more_words() {
        assert!(topic_matches("outbound.#", "outbound"));
        assert!(topic_matches("outbound.#", "outbound.as2"));
        assert!(topic_matches("outbound.#", "outbound.as2.acme"));
        assert!(topic_matches("#", "anything.at.all"));
        assert!(topic_matches("a.#.z", "a.z"));
        assert!(topic_matches("a.#.z", "a.b.c.z"));
        assert!(!topic_matches("a.#.z", "a.b.c"));
    }

    #[test]
    fn chargegate_routes_per_design() {
        let topology = Topology::chargegate();
        let names =
            |key: &str| -> Vec<String> { topology.route(key).map(|q| q.name.clone()).collect() };
        assert_eq!(names("contract.acme"), ["engine.contracts"]);
        assert_eq!(names("acknowledgment.acme"), ["engine.responses"]);
        assert_eq!(names("claim_response.acme"), ["engine.responses"]);
        assert_eq!(names("outbound.as2.acme"), ["outbound.send"]);
        assert!(names("invoice.acme").is_empty());
    }

    #[test]
    fn delay_grows_by_factor_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 6,
            first_delay: Duration::from_millis(10),
            factor: 3,
            max_delay: Duration::from_millis(200),
        };
        let delays: Vec<u128> = (1..=5).map(|a| policy.delay_after(a).as_millis()).collect();
        assert_eq!(delays, [10, 30, 90, 200, 200]);
        assert_eq!(policy.delays().len(), 4);
        assert_eq!(policy.delay_after(u32::MAX), Duration::from_millis(200));
    }

    #[test]
    fn prefix_renames_exchanges_and_queues_not_bindings() {
        let topology = Topology::chargegate().with_prefix("t1");
        assert_eq!(topology.exchange, "t1.chargegate.docs");
        assert_eq!(topology.dead_letter_exchange, "t1.chargegate.dlx");
        assert_eq!(topology.queues[0].name, "t1.engine.contracts");
        assert_eq!(topology.queues[0].bindings, ["contract.*"]);
    }
}
