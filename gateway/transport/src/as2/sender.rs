//! HTTP client side of AS2: post messages, read synchronous MDNs, post asynchronous MDNs.

use std::sync::Arc;
use std::time::Duration;

use super::error::{As2Error, As2Result};
use super::identity::{LocalIdentity, MdnMode, PartnerAs2};
use super::mdn::{MdnVerdict, parse_mdn};
use super::message::HttpMessage;
use super::mic::Mic;

/// What happened to a sent message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The partner answered with an MDN in the response.
    SyncMdn(MdnVerdict),
    /// The partner accepted the POST; its MDN will be posted to our async URL.
    AwaitingAsyncMdn,
    /// The partner accepted the POST and no MDN was asked for.
    Delivered,
}

/// Posts AS2 messages and MDNs over HTTP(S).
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    me: Arc<LocalIdentity>,
}

impl Sender {
    /// A sender for our identity, with a whole-request timeout.
    pub fn new(me: Arc<LocalIdentity>, timeout: Duration) -> As2Result<Self> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self { client, me })
    }

    async fn post(&self, url: &str, msg: &HttpMessage) -> As2Result<reqwest::Response> {
        let mut request = self.client.post(url);
        for (k, v) in &msg.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let response = request.body(msg.body.clone()).send().await?;
        if !response.status().is_success() {
            return Err(As2Error::HttpStatus {
                status: response.status().as_u16(),
                url: url.to_owned(),
            });
        }
        Ok(response)
    }

    /// Posts `msg` to the partner; for a synchronous MDN, checks it against `expected`.
    pub async fn send(
        &self,
        partner: &PartnerAs2,
        msg: &HttpMessage,
        expected: &Mic,
        message_id: &str,
    ) -> As2Result<SendOutcome> {
        let response = self.post(&partner.url, msg).await?;
        tracing::info!(partner = %partner.as2_id, message_id = %message_id, status = response.status().as_u16(), "as2 message posted");
        match partner.mdn {
            MdnMode::Sync => {
                let headers: Vec<(String, String)> = response
                    .headers()
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let body = response.bytes().await?;
                let verdict = parse_mdn(&self.me, partner, &headers, &body, message_id, expected)?;
                Ok(SendOutcome::SyncMdn(verdict))
            }
            MdnMode::Async { .. } => Ok(SendOutcome::AwaitingAsyncMdn),
            MdnMode::None => Ok(SendOutcome::Delivered),
        }
    }

    /// Posts an MDN to the URL a partner gave in Receipt-Delivery-Option.
    pub async fn send_mdn(&self, url: &str, mdn: &HttpMessage) -> As2Result<()> {
        self.post(url, mdn).await?;
        tracing::info!(url = %url, "as2 async mdn posted");
        Ok(())
    }
}
