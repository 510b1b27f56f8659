//! `POST /api/v1/ssp/bid-request`: validate, admit, fan out to every
//! enabled DSP in parallel (each within its own deadline, in its protocol,
//! unless its circuit breaker is open), run the first-price auction,
//! render the winner if needed, record the impression, sign the receipt,
//! send the OpenRTB notices and answer in the SSP envelope. Outbound calls and time go through the
//! environment ([`Env::http`], [`Env::clock`]), so every path here is
//! unit-tested on virtual time.

use std::cell::RefCell;
use std::time::Duration;

use adspin_core::api_keys::Environment;
use adspin_core::clock::{Clock, Instant, with_deadline};
use adspin_core::delivery::{self, Demand, Impression, ServeError};
use adspin_core::dsp_health::{Admission, Policy};
use adspin_core::dsp_protocol::{
    BidRequestView, DspAnswer, DspBid, MAX_RESPONSE_BYTES, RenderedAd, SPONSORED_MESSAGE,
    parse_bid_response, parse_render_response, render_request_body,
};
use adspin_core::env::Env;
use adspin_core::error::{RequestInfo, respond};
use adspin_core::internal_bid;
use adspin_core::internal_dsp;
use adspin_core::money::Micros;
use adspin_core::outbound::{HttpClient, OutboundRequest};
use adspin_core::rate_limit::Usage;
use adspin_core::settings;
use adspin_core::web::{Body, Request, Response, header, read_body};
use futures::future::join_all;
use http::HeaderValue;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::cors;
use crate::dsp;
use crate::envelope::AuctionData;
use crate::envelope::REQUEST_ID_PREFIX;
use crate::health::{self, Gate};
use crate::notices::{self, Notice};
use crate::openrtb;
use crate::polls::{self, PollToken};
use crate::publisher::{self, EffectiveConfig, Publisher};
use crate::ranking::{Candidate, rank};
use crate::receipt::{self, Receipt, ReceiptKey};
use crate::report::{self, BidResult, Call, CallStatus};
use crate::request::BidRequest;
use crate::store::{Dsp, Protocol};
use crate::tracking::{self, ClickToken, ViewToken};
use crate::{NoBidReason, RequestContext, SspError, brand_safety, envelope};

/// The whole request's time budget: 3 s of bidding and 1.5 s of render.
const REQUEST_BUDGET: Duration = Duration::from_millis(4_500);
/// The least time a DSP is given (net of its round trip): a DSP with less
/// left is not called.
const MIN_TMAX: Duration = Duration::from_millis(10);
/// Longest the SSP waits for the answer to an OpenRTB notice.
const NOTICE_TIMEOUT: Duration = Duration::from_millis(250);
/// The most of a notice's answer read.
const NOTICE_RESPONSE_BYTES: usize = 4096;
/// Longest a render call may take.
const RENDER_TIMEOUT: Duration = Duration::from_millis(1_500);
/// The largest bid request read: 2 MiB (a long conversation's messages).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Serves one bid request.
pub async fn handle(env: &impl Env, mut request: Request, body: Body) -> Response {
    let clock = env.clock();
    let started = clock.monotonic();
    let arrived = RequestInfo::new(REQUEST_ID_PREFIX);
    let request_id = arrived.id.clone();
    // The request as it stands now (its elapsed time grows).
    let info = || RequestInfo {
        elapsed: clock.monotonic().saturating_duration_since(started),
        ..arrived.clone()
    };
    let context = || RequestContext::of(&info());
    let origin = header(&request, "origin").map(str::to_owned);
    let origin = origin.as_deref();
    let db = match env.db() {
        Ok(db) => db,
        Err(error) => return respond(&info(), &SspError::from(error)),
    };
    let now = clock.now();
    let publisher = match publisher::authenticate(db, header(&request, "thrad-api-key"), now) {
        Ok(publisher) => publisher,
        Err(error) => return respond(&info(), &error),
    };
    let own_origin = settings::trusted_base_url(env, &request).ok();
    if let Err(error) = publisher::check_origin(&publisher, origin, own_origin.as_deref()) {
        return respond(&info(), &error);
    }
    // The body is read only for a known key from an allowed origin.
    let parsed = match read_body(&mut request, body, BODY_LIMIT).await {
        Ok(()) => BidRequest::parse(request.body(), |name| header(&request, name)),
        Err(error) => Err(SspError::from(error)),
    };
    let request = &request;
    let (response, usage) = match parsed {
        Err(error) => match publisher::count_request(db, &publisher, now) {
            Ok(usage) if usage.exceeded() => (rate_limited(&usage, &context()), Some(usage)),
            Ok(usage) => (respond(&info(), &error), Some(usage)),
            Err(db_error) => (respond(&info(), &SspError::from(db_error)), None),
        },
        Ok(bid_request) => match publisher::admit(db, &publisher, &bid_request.chat_id, now) {
            Ok((usage, None)) => (rate_limited(&usage, &context()), Some(usage)),
            Ok((usage, Some(pacing))) => match settings::trusted_base_url(env, request) {
                Err(untrusted) => (
                    respond(&info(), &SspError::internal_because(untrusted)),
                    Some(usage),
                ),
                Ok(base_url) => {
                    let auction = Auction {
                        env,
                        db,
                        request,
                        bid_request: &bid_request,
                        publisher: &publisher,
                        config: publisher.effective(&bid_request.config),
                        started,
                        request_id: &request_id,
                        chat_requests: pacing.requests,
                        ads_before: pacing.ads_served,
                        secret: settings::tracking_secret(env),
                        base_url,
                        report: RefCell::new(Vec::new()),
                        notices: RefCell::new(Vec::new()),
                    };
                    let outcome = match publisher::pacing_block(
                        &auction.config,
                        bid_request.turn_number,
                        &pacing,
                    ) {
                        Some((reason, message)) => Ok(NoAd(reason, message)),
                        None => auction.run().await,
                    };
                    let response = auction.conclude(outcome, info).await;
                    (response, Some(usage))
                }
            },
            Err(error) => (respond(&info(), &SspError::from(error)), None),
        },
    };
    finish(response, usage.as_ref(), origin)
}

fn rate_limited(usage: &Usage, context: &RequestContext) -> Response {
    SspError::rate_limited(format!(
        "Rate limit exceeded: {} requests per second for this API key",
        usage.limit
    ))
    .to_response(context)
}

/// Adds the rate-limit and CORS headers.
fn finish(mut response: Response, usage: Option<&Usage>, origin: Option<&str>) -> Response {
    if let Some(usage) = usage {
        for (name, value) in publisher::rate_limit_headers(usage) {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    cors::allow_origin(&mut response, origin);
    response
}

/// How an auction ended (errors are `SspError`s).
enum Outcome {
    Served(Win),
    /// No ad, the reason code and the message.
    NoAd(NoBidReason, String),
}
use Outcome::{NoAd, Served};

/// The ad an auction served.
struct Win {
    /// The envelope's `data.bid`.
    bid: Value,
    dsp: String,
    bid_id: String,
    price: Micros,
}

struct Auction<'a, E: Env> {
    env: &'a E,
    db: &'a E::Db,
    request: &'a Request,
    bid_request: &'a BidRequest,
    publisher: &'a Publisher,
    config: EffectiveConfig,
    started: Instant,
    request_id: &'a str,
    chat_requests: i64,
    ads_before: i64,
    /// HMAC key of the tracking tokens and the internal DSP's bid ids.
    secret: Vec<u8>,
    /// Public base of the tracking URLs.
    base_url: String,
    /// Every DSP's part in the auction, in the order they were called.
    report: RefCell<Vec<Call>>,
    /// The OpenRTB bids' notices to send once the auction is over.
    notices: RefCell<Vec<Notice>>,
}

/// A bid that passed the protocol checks.
struct Offer {
    dsp: Dsp,
    bid_id: String,
    price: Micros,
    ad_data: Option<RenderedAd>,
    /// The platform demand behind an internal DSP's bid.
    demand: Option<Demand>,
    /// Its DSP's entry in the auction's report.
    call: usize,
}

impl<E: Env> Auction<'_, E> {
    /// The end of the request's budget: [`REQUEST_BUDGET`], or the
    /// publisher's `tmax` when it is shorter.
    fn deadline(&self) -> Instant {
        let budget = self.bid_request.tmax_ms.map_or(REQUEST_BUDGET, |ms| {
            Duration::from_millis(ms).min(REQUEST_BUDGET)
        });
        self.started + budget
    }

    fn log(&self, message: &str) {
        adspin_core::log::warn(&format!("ssp {}: {message}", self.request_id));
    }

    async fn run(&self) -> Result<Outcome, SspError> {
        let messages = self.bid_request.messages.iter().map(|m| m.content.as_str());
        if let Some(category) = brand_safety::classify(messages) {
            return Ok(NoAd(
                NoBidReason::BrandSafety,
                format!(
                    "No bid: brand safety, the conversation is about {}; no ad is shown",
                    category.label()
                ),
            ));
        }
        // Minors and users without consent get contextual internal demand
        // only: no external DSP sees the request.
        let restriction = self
            .bid_request
            .privacy
            .restriction(self.publisher.child_directed);
        let dsps = match restriction {
            None => self.publisher.dsps.clone(),
            Some(_) => self
                .publisher
                .dsps
                .iter()
                .filter(|dsp| dsp.id == internal_bid::DSP_ID)
                .cloned()
                .collect(),
        };
        let asked = dsps.len();
        let (offers, failures) = self.collect_bids(dsps, restriction.is_some()).await;
        let bids: Vec<Candidate> = offers
            .iter()
            .map(|o| Candidate {
                dsp: o.dsp.id.clone(),
                bid_id: o.bid_id.clone(),
                price: o.price,
            })
            .collect();
        let mut random = random_numbers();
        let order = rank(&bids, Micros::new(self.publisher.floor_cpm_micros), |n| {
            (random() % n as u64) as usize
        });
        if order.len() < offers.len() {
            self.log(&format!(
                "{} bid(s) below the floor or zero",
                offers.len() - order.len()
            ));
            for (index, offer) in offers.iter().enumerate() {
                if !order.contains(&index) {
                    self.settle(offer, BidResult::BelowFloor);
                }
            }
        }
        let mut render_failed = false;
        let mut render_unsupported = false;
        let mut out_of_budget = false;
        let mut creative_rejected = false;
        for (position, &index) in order.iter().enumerate() {
            let offer = &offers[index];
            let creative = match &offer.ad_data {
                Some(ad) => ad.clone(),
                None => match self.render(offer).await {
                    Ok(ad) => ad,
                    Err(RenderFailure::Unsupported) => {
                        self.settle(offer, BidResult::NotRendered);
                        render_unsupported = true;
                        continue;
                    }
                    Err(RenderFailure::Failed(reason)) => {
                        self.log(&format!("render of {} failed: {reason}", offer.dsp.id));
                        self.settle(offer, BidResult::NotRendered);
                        render_failed = true;
                        continue;
                    }
                },
            };
            if !self.bid_request.ad_formats.contains(&creative.format()) {
                self.log(&format!(
                    "{}'s creative is a {}, which the publisher did not ask for",
                    offer.dsp.id,
                    creative.format()
                ));
                creative_rejected = true;
                continue;
            }
            if !creative.fits(self.config.max_headline_chars) {
                self.log(&format!(
                    "{}'s creative is over max_headline_chars",
                    offer.dsp.id
                ));
                self.settle(offer, BidResult::CreativeRejected);
                creative_rejected = true;
                continue;
            }
            match self.serve(offer, &creative)? {
                Some(win) => {
                    self.settle(offer, BidResult::Won);
                    for &lost in &order[position + 1..] {
                        self.settle(&offers[lost], BidResult::LostToHigherBid);
                    }
                    return Ok(Served(win));
                }
                None => {
                    self.log(&format!("{}'s campaign is out of budget", offer.dsp.id));
                    self.settle(offer, BidResult::BudgetExhausted);
                    out_of_budget = true;
                }
            }
        }
        if render_failed {
            return Err(SspError::internal("Render failed"));
        }
        if render_unsupported {
            return Err(SspError::not_implemented(
                "External DSP render not yet supported",
            ));
        }
        if self.publisher.environment == Environment::Staging {
            return Ok(Served(self.staging_fill()?));
        }
        let reason = if out_of_budget {
            NoBidReason::BudgetExhausted
        } else if creative_rejected {
            NoBidReason::CreativeRejected
        } else if !offers.is_empty() {
            NoBidReason::AllBelowFloor
        } else if restriction.is_some() {
            NoBidReason::Privacy
        } else if asked == 0 {
            NoBidReason::NoEligibleDemand
        } else if failures.timed_out == asked {
            NoBidReason::AllTimedOut
        } else if failures.timed_out + failures.failed == asked {
            NoBidReason::DspErrors
        } else {
            NoBidReason::NoBids
        };
        // The message stays the specification's; the code says why.
        Ok(NoAd(reason, "No bids".into()))
    }

    /// Calls every DSP in parallel, each within its deadline, and keeps
    /// the valid bids (with a count of the DSPs that failed); each DSP's
    /// part goes to the auction's report, and OpenRTB bids' notice URLs
    /// to [`Auction::notices`].
    async fn collect_bids(&self, dsps: Vec<Dsp>, restricted: bool) -> (Vec<Offer>, Failures) {
        let conversation = dsp::Conversation::redacted(&self.bid_request.messages);
        let request = dsp::bid_request_body(
            self.bid_request,
            &conversation,
            self.request_id,
            self.ads_before,
            &self.config,
            self.publisher.child_directed,
        );
        let body = request.to_string().into_bytes();
        let forwarded = self.forwarded_headers(restricted);
        let client_ip = (!restricted).then(|| self.client_ip()).flatten();
        let organization = self.publisher.organization_id.to_string();
        let language = header(self.request, "accept-language").and_then(openrtb::language);
        let domain = header(self.request, "origin")
            .and_then(|origin| url::Url::parse(origin).ok())
            .and_then(|origin| origin.host_str().map(String::from));
        let facts = openrtb::Facts {
            request_id: self.request_id,
            request: self.bid_request,
            conversation: &conversation,
            config: &self.config,
            ads_before: self.ads_before,
            publisher_id: &organization,
            floor: Micros::new(self.publisher.floor_cpm_micros),
            test: self.publisher.environment == Environment::Staging
                || !self.bid_request.production,
            child_directed: self.publisher.child_directed,
            client_ip: client_ip.as_deref(),
            user_agent: header(self.request, "user-agent").filter(|_| !restricted),
            domain: domain.as_deref(),
            page: header(self.request, "referer"),
            language: language.as_deref(),
        };
        let clock = self.env.clock();
        // The in-process DSP answers as soon as it is polled: it goes last,
        // after every outbound call has started.
        let mut dsps = dsps;
        dsps.sort_by_key(runs_in_process);
        let gates: Vec<Option<Gate>> = dsps.iter().map(|dsp| self.gate(dsp)).collect();
        let calls = dsps.into_iter().zip(gates).map(|(dsp, gate)| {
            let facts = &facts;
            let body = &body;
            let forwarded = &forwarded;
            let request = &request;
            async move {
                let called = clock.monotonic();
                // The SSP waits for the DSP until its timeout or the end of
                // the budget; the DSP is told that window net of its round
                // trip, so that its answer arrives within it.
                let deadline =
                    (called + Duration::from_millis(dsp.timeout_ms)).min(self.deadline());
                let window = deadline.saturating_duration_since(called);
                let round_trip = gate.map_or(Duration::ZERO, |gate| gate.round_trip());
                let tmax = window.saturating_sub(round_trip);
                let answer = if gate.is_some_and(|gate| gate.admission == Admission::Skip) {
                    Answered::failed(CallStatus::Skipped, "its circuit breaker is open".into())
                } else if tmax < MIN_TMAX {
                    Answered::failed(
                        CallStatus::Skipped,
                        format!(
                            "no time left for its round trip ({} ms)",
                            round_trip.as_millis()
                        ),
                    )
                } else if dsp.protocol == Protocol::OpenRtb
                    && !self.bid_request.ad_formats.contains(&SPONSORED_MESSAGE)
                {
                    // The OpenRTB mode asks for native sponsored messages
                    // only; a chat that shows polls alone has nothing to
                    // ask it for.
                    Answered::failed(
                        CallStatus::Skipped,
                        "the request accepts no format it serves".into(),
                    )
                } else if runs_in_process(&dsp) {
                    Answered::of(self.bid_in_process(request))
                } else {
                    match dsp.protocol {
                        Protocol::Json => {
                            let mut outbound =
                                OutboundRequest::post_json(&dsp.bid_url, body.clone());
                            for (name, value) in forwarded {
                                outbound = outbound.with_header(*name, value.as_str());
                            }
                            self.call_json(&dsp, outbound, deadline).await
                        }
                        Protocol::OpenRtb => self.call_openrtb(&dsp, facts, tmax, deadline).await,
                    }
                };
                let time = clock.monotonic().saturating_duration_since(called);
                if let Some(gate) = &gate {
                    self.record_health(&dsp, gate, answer.status, time);
                }
                (dsp, answer, time)
            }
        });
        let answers = join_all(calls).await;
        let mut failures = Failures::default();
        let mut offers = Vec::new();
        let mut report = self.report.borrow_mut();
        let mut notices = self.notices.borrow_mut();
        for (dsp, answered, time) in answers {
            let Answered {
                mut status,
                answer,
                notices: representative,
                dropped,
            } = answered;
            let index = report.len();
            let mut call = Call {
                dsp: dsp.id.clone(),
                protocol: dsp.protocol.as_str(),
                status,
                time,
                price: None,
                bid_id: None,
                reason: None,
                result: None,
            };
            for openrtb::Dropped { bid, loss } in dropped {
                notices.push(Notice {
                    call: index,
                    bid,
                    loss: Some(loss),
                });
            }
            match answer {
                DspAnswer::Bid(bid) => {
                    call.price = Some(bid.price);
                    call.bid_id = Some(bid.bid_id.clone());
                    let demand = if dsp.id == internal_bid::DSP_ID {
                        // The platform's own ads are charged to the campaign
                        // the bid id names: one that names none is not served.
                        match internal_bid::redeem(&bid.bid_id, &self.secret, clock.now()) {
                            Some(redeemed) => Some(redeemed.demand),
                            None => {
                                let reason = "its bid id does not verify";
                                self.log(&format!("bid of the internal DSP dropped: {reason}"));
                                status = CallStatus::Invalid;
                                call.status = status;
                                call.reason = Some(reason.into());
                                None
                            }
                        }
                    } else {
                        None
                    };
                    if status == CallStatus::Bid {
                        if let Some(bid) = representative {
                            notices.push(Notice {
                                call: index,
                                bid,
                                loss: None,
                            });
                        }
                        offers.push(Offer {
                            dsp,
                            bid_id: bid.bid_id,
                            price: bid.price,
                            ad_data: bid.ad_data,
                            demand,
                            call: index,
                        });
                    }
                }
                DspAnswer::NoBid => {}
                DspAnswer::Rejected(reason) => {
                    // A skipped DSP is not news at every auction: its
                    // breaker's transitions are logged.
                    if status != CallStatus::Skipped {
                        self.log(&format!("bid of {} dropped: {reason}", dsp.id));
                    }
                    call.reason = Some(reason);
                }
            }
            match status {
                CallStatus::TimedOut => failures.timed_out += 1,
                CallStatus::Error | CallStatus::Invalid | CallStatus::Skipped => {
                    failures.failed += 1
                }
                CallStatus::Bid | CallStatus::NoBid => {}
            }
            report.push(call);
        }
        (offers, failures)
    }

    /// Calls a DSP of Thrad's JSON protocol.
    async fn call_json(&self, dsp: &Dsp, outbound: OutboundRequest, deadline: Instant) -> Answered {
        let mut outbound = outbound;
        if let Some(token) = &dsp.auth_token {
            outbound = outbound.with_header("authorization", format!("Bearer {token}"));
        }
        let call = self.env.http().send(outbound, MAX_RESPONSE_BYTES);
        match with_deadline(self.env.clock(), deadline, call).await {
            None => Answered::failed(CallStatus::TimedOut, NO_ANSWER.into()),
            Some(Err(error)) => Answered::failed(CallStatus::Error, error.to_string()),
            Some(Ok(response)) if ![200, 204].contains(&response.status) => Answered::failed(
                CallStatus::Error,
                format!("HTTP status {}", response.status),
            ),
            Some(Ok(response)) => Answered::of(parse_bid_response(response.status, &response.body)),
        }
    }

    /// Calls a DSP of the OpenRTB protocol, which is told `tmax`.
    async fn call_openrtb(
        &self,
        dsp: &Dsp,
        facts: &openrtb::Facts<'_>,
        tmax: Duration,
        deadline: Instant,
    ) -> Answered {
        let tmax_ms = u64::try_from(tmax.as_millis()).unwrap_or(u64::MAX);
        let body = openrtb::bid_request(facts, tmax_ms)
            .to_string()
            .into_bytes();
        let (version, number) = openrtb::VERSION_HEADER;
        let mut outbound = OutboundRequest::post_json(&dsp.bid_url, body)
            .with_header(version, number)
            .with_header("accept", "application/json");
        if let Some(token) = &dsp.auth_token {
            outbound = outbound.with_header("authorization", format!("Bearer {token}"));
        }
        let call = self.env.http().send(outbound, MAX_RESPONSE_BYTES);
        let response = match with_deadline(self.env.clock(), deadline, call).await {
            None => return Answered::failed(CallStatus::TimedOut, NO_ANSWER.into()),
            Some(Err(error)) => return Answered::failed(CallStatus::Error, error.to_string()),
            Some(Ok(response)) if ![200, 204].contains(&response.status) => {
                return Answered::failed(
                    CallStatus::Error,
                    format!("HTTP status {}", response.status),
                );
            }
            Some(Ok(response)) => response,
        };
        match openrtb::parse_response(
            self.request_id,
            facts.tag(),
            response.status,
            &response.body,
        ) {
            openrtb::Answer::NoBid => Answered::of(DspAnswer::NoBid),
            openrtb::Answer::Bid {
                bid,
                notices,
                dropped,
            } => Answered {
                status: CallStatus::Bid,
                answer: DspAnswer::Bid(bid),
                notices: Some(notices),
                dropped,
            },
            openrtb::Answer::Invalid { reason, dropped } => Answered {
                dropped,
                ..Answered::failed(CallStatus::Invalid, reason)
            },
        }
    }

    /// Answers the auction's `outcome`: signs the receipt of a fill, sends
    /// the OpenRTB notices (the win notice with the receipt), and renders
    /// the envelope (with the `debug` section for a staging key). `info`
    /// is the request as it stands when the envelope is rendered.
    async fn conclude(
        &self,
        outcome: Result<Outcome, SspError>,
        info: impl Fn() -> RequestInfo,
    ) -> Response {
        let receipt = match &outcome {
            Ok(Served(win)) => Some(self.receipt(win)),
            _ => None,
        };
        self.send_notices(receipt.as_deref()).await;
        let debug = (self.publisher.environment == Environment::Staging).then(|| {
            report::debug_section(
                &self.report.borrow(),
                Micros::new(self.publisher.floor_cpm_micros),
            )
        });
        let context = RequestContext::of(&info());
        match outcome {
            Ok(Served(win)) => envelope::auction_answer(
                &context,
                "Bid successful",
                AuctionData {
                    bid: Some(&win.bid),
                    receipt: receipt.as_deref(),
                    debug: debug.as_ref(),
                    ..AuctionData::default()
                },
            ),
            Ok(NoAd(reason, message)) => envelope::auction_answer(
                &context,
                &message,
                AuctionData {
                    no_bid_reason: Some(reason),
                    debug: debug.as_ref(),
                    ..AuctionData::default()
                },
            ),
            Err(error) => respond(&info(), &error),
        }
    }

    /// The signed receipt of the auction that served `win`.
    fn receipt(&self, win: &Win) -> String {
        let report = self.report.borrow();
        let receipt = Receipt {
            request_id: self.request_id,
            publisher: self.publisher.organization_id.to_string(),
            bidders: report
                .iter()
                .filter(|call| call.status != CallStatus::Skipped)
                .map(|call| call.dsp.as_str())
                .collect(),
            winner: &win.dsp,
            bid_id: &win.bid_id,
            price: win.price.to_dollars(),
            currency: "USD",
            floor: Micros::new(self.publisher.floor_cpm_micros).to_dollars(),
            time: self.env.clock().now().to_iso8601(),
        };
        ReceiptKey::from_tracking_secret(&self.secret).sign(&receipt)
    }

    /// Sends the OpenRTB notices of the auction, in parallel, each within
    /// [`NOTICE_TIMEOUT`] (their answers are not awaited past it); the win
    /// notice carries the auction's `receipt`.
    async fn send_notices(&self, receipt: Option<&str>) {
        let outgoing = notices::outgoing(
            &self.notices.borrow(),
            &self.report.borrow(),
            self.request_id,
        );
        if outgoing.is_empty() {
            return;
        }
        let clock = self.env.clock();
        let deadline = clock.monotonic() + NOTICE_TIMEOUT;
        let sends = outgoing.into_iter().map(|notice| async move {
            let mut request = OutboundRequest::without_body(http::Method::GET, notice.url.clone());
            if let (notices::Kind::Win, Some(receipt)) = (notice.kind, receipt) {
                request = request.with_header(receipt::NOTICE_HEADER, receipt);
            }
            let sent = self.env.http().send(request, NOTICE_RESPONSE_BYTES);
            match with_deadline(clock, deadline, sent).await {
                Some(Ok(response)) if response.status < 400 => {}
                Some(Ok(response)) => self.log(&format!(
                    "{:?} notice {} answered {}",
                    notice.kind, notice.url, response.status
                )),
                Some(Err(error)) => self.log(&format!(
                    "{:?} notice {} failed: {error}",
                    notice.kind, notice.url
                )),
                None => self.log(&format!(
                    "{:?} notice {} timed out",
                    notice.kind, notice.url
                )),
            }
        });
        join_all(sends).await;
    }

    /// Whether and how the auction calls an external DSP, from its shared
    /// health; `None` (always called) for the in-process DSP or without a
    /// usable key-value store.
    fn gate(&self, dsp: &Dsp) -> Option<Gate> {
        if runs_in_process(dsp) {
            return None;
        }
        let kv = self.env.kv().ok()?;
        match health::gate(
            kv,
            &dsp.id,
            || self.breaker_policy(),
            self.env.clock().now(),
        ) {
            Ok(gate) => Some(gate),
            Err(error) => {
                self.log(&format!("health of {} unknown: {error}", dsp.id));
                None
            }
        }
    }

    /// When circuit breakers open and for how long (read only once a
    /// breaker has something to decide: variables are dear under Spin).
    fn breaker_policy(&self) -> Policy {
        Policy::from_variables(|name| self.env.variable(name))
    }

    /// Records what a call says about its DSP's health.
    fn record_health(&self, dsp: &Dsp, gate: &Gate, status: CallStatus, time: Duration) {
        let Ok(kv) = self.env.kv() else { return };
        let now = self.env.clock().now();
        let policy = || self.breaker_policy();
        match health::record(kv, &dsp.id, gate, status, time, policy, now) {
            Ok(Some(state)) => self.log(&format!(
                "circuit breaker of {} is {}",
                dsp.id,
                state.as_str()
            )),
            Ok(None) => {}
            Err(error) => self.log(&format!("health of {} not recorded: {error}", dsp.id)),
        }
    }

    /// Records what became of an offer's bid.
    fn settle(&self, offer: &Offer, result: BidResult) {
        if let Some(call) = self.report.borrow_mut().get_mut(offer.call) {
            call.result = Some(result);
        }
    }

    /// The internal DSP's answer, computed here on the SSP's connection
    /// from the same bid request (read as the JSON value it is sent as, not
    /// parsed back from its bytes) a chained call would carry.
    fn bid_in_process(&self, request: &Value) -> DspAnswer {
        let Ok(view) = BidRequestView::deserialize(request) else {
            return DspAnswer::Rejected("the bid request does not fit the DSP protocol".into());
        };
        let now = self.env.clock().now();
        let demand = match self.publisher.environment {
            Environment::Staging => internal_dsp::Demand::WithSandbox,
            Environment::Production => internal_dsp::Demand::Live,
        };
        match internal_dsp::bid(self.db, &view, demand, &self.base_url, &self.secret, now) {
            Ok(None) => DspAnswer::NoBid,
            Ok(Some(bid)) => match bid.ad_data.validate() {
                Ok(()) => DspAnswer::Bid(Box::new(DspBid {
                    bid_id: bid.bid_id,
                    price: bid.price,
                    ad_data: Some(bid.ad_data),
                })),
                Err(reason) => DspAnswer::Rejected(format!("invalid_ad_data: {reason}")),
            },
            Err(error) => DspAnswer::Rejected(format!("database: {error}")),
        }
    }

    /// The end user's address and agent (unless the auction is
    /// restricted), and (for the internal DSP, which builds image URLs) the
    /// public address of this request.
    fn forwarded_headers(&self, restricted: bool) -> Vec<(&'static str, String)> {
        let client = self.client_ip();
        let mut headers = Vec::new();
        if !restricted {
            if let Some(client) = client {
                headers.push(("x-forwarded-for", client));
            }
            if let Some(agent) = header(self.request, "user-agent") {
                headers.push(("user-agent", agent.to_string()));
            }
        }
        if let Some((proto, host)) = self.base_url.split_once("://") {
            headers.push(("x-forwarded-proto", proto.to_string()));
            headers.push(("x-forwarded-host", host.to_string()));
        }
        headers
    }

    /// The end user's address: the first `X-Forwarded-For`, or the peer.
    fn client_ip(&self) -> Option<String> {
        header(self.request, "x-forwarded-for")
            .and_then(|value| value.split(',').next())
            .map(|ip| ip.trim().to_string())
            .or_else(|| {
                header(self.request, "spin-client-addr")
                    .and_then(|addr| addr.parse::<std::net::SocketAddr>().ok())
                    .map(|addr| addr.ip().to_string())
            })
    }

    async fn render(&self, offer: &Offer) -> Result<RenderedAd, RenderFailure> {
        let Some(url) = &offer.dsp.render_url else {
            return Err(RenderFailure::Unsupported);
        };
        let clock = self.env.clock();
        let now = clock.monotonic();
        if now >= self.deadline() {
            return Err(RenderFailure::Failed("no time left".into()));
        }
        let deadline = (now + RENDER_TIMEOUT).min(self.deadline());
        let body = render_request_body(&offer.bid_id, offer.price, self.bid_request.production);
        let call = self.env.http().send(
            OutboundRequest::post_json(url, body.to_string().into_bytes()),
            MAX_RESPONSE_BYTES,
        );
        match with_deadline(clock, deadline, call).await {
            None => Err(RenderFailure::Failed(
                "no answer before the deadline".into(),
            )),
            Some(Err(error)) => Err(RenderFailure::Failed(error.to_string())),
            Some(Ok(response)) => parse_render_response(response.status, &response.body)
                .map_err(RenderFailure::Failed),
        }
    }

    fn billable(&self) -> bool {
        self.publisher.environment == Environment::Production && self.bid_request.production
    }

    /// Records the impression and builds the bid shown to the publisher;
    /// `None` when the campaign cannot pay for it.
    fn serve(&self, offer: &Offer, creative: &RenderedAd) -> Result<Option<Win>, SspError> {
        let impression_id = uuid::Uuid::new_v4().to_string();
        let impression = Impression {
            id: &impression_id,
            request_id: self.request_id,
            publisher_id: self.publisher.organization_id,
            environment: self.publisher.environment.as_str(),
            billable: self.billable(),
            dsp: &offer.dsp.id,
            bid_id: &offer.bid_id,
            demand: offer.demand,
            price: offer.price,
            landing_url: &creative.url,
            chat_id: &self.bid_request.chat_id,
            country: self.bid_request.geo.country.as_deref(),
            chat_requests: self.chat_requests,
        };
        match delivery::record(self.db, &impression, self.env.clock().now()) {
            Ok(()) => Ok(Some(Win {
                bid: self.bid_json(offer, creative, &impression_id),
                dsp: offer.dsp.id.clone(),
                bid_id: offer.bid_id.clone(),
                price: offer.price,
            })),
            Err(ServeError::BudgetExhausted) => Ok(None),
            Err(ServeError::Db(error)) => Err(error.into()),
        }
    }

    fn bid_json(&self, offer: &Offer, creative: &RenderedAd, impression_id: &str) -> Value {
        let base = &self.base_url;
        let expires = self.env.clock().now().get() + tracking::TOKEN_TTL_SECONDS;
        let click = tracking::sign(
            &ClickToken {
                i: impression_id.into(),
                u: creative.url.clone(),
                e: expires,
            },
            &self.secret,
        );
        let view = tracking::sign(
            &ViewToken {
                v: impression_id.into(),
                e: expires,
            },
            &self.secret,
        );
        let view_url = format!("{base}/api/v1/tracking/view/{view}");
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("thrad_view_url", &view_url);
        if let Some(dsp_view) = &creative.view_url {
            query.append_pair("view_url", dsp_view);
        }
        let click_url = format!("{base}/api/v1/dsp/redirect/{click}?{}", query.finish());
        let image_url = creative
            .image_url
            .as_ref()
            .filter(|_| self.config.image_enabled);
        let mut bid = json!({
            "price": offer.price.to_dollars(),
            "advertiser": creative.advertiser.clone().or_else(|| creative.domain.clone()),
            "headline": creative.headline,
            "description": creative.description,
            "cta_text": creative.cta_text,
            "url": click_url,
            "dsp": offer.dsp.id,
            "bidId": offer.bid_id,
            "ad_format": creative.format(),
            "placement": if image_url.is_some() { "image" } else { "text" },
            "domain": creative.domain,
            "thrad_view_url": view_url,
        });
        if let Some(poll) = &creative.poll {
            let ad_id = offer.demand.as_ref().map(|d| d.ad_id.to_string());
            let token = PollToken {
                i: impression_id.into(),
                p: polls::poll_id(ad_id.as_deref(), &offer.dsp.id, poll),
                q: poll.question.clone(),
                o: poll.options.clone(),
                e: expires,
            };
            bid["poll"] = polls::poll_json(base, poll, &token, &click_url, &self.secret);
        }
        if let Some(image) = image_url {
            bid["image_url"] = Value::String(image.clone());
        }
        if let Some(logo) = &creative.logo_url {
            bid["logo_url"] = Value::String(logo.clone());
        }
        bid
    }

    /// Staging keys always fill: a clearly marked test ad, never billed.
    fn staging_fill(&self) -> Result<Win, SspError> {
        let offer = Offer {
            dsp: Dsp {
                id: "adspin_test".into(),
                bid_url: String::new(),
                render_url: None,
                auth_token: None,
                timeout_ms: 0,
                protocol: Protocol::Json,
            },
            bid_id: format!("test_{}", uuid::Uuid::new_v4().simple()),
            price: Micros::ZERO,
            ad_data: None,
            demand: None,
            call: usize::MAX,
        };
        let creative = RenderedAd {
            ad_format: Some("sponsored_message".into()),
            placement: Some("text".into()),
            advertiser: Some("adspin test ad".into()),
            domain: Some("example.com".into()),
            headline: "Test ad: your integration works".into(),
            description: "Staging keys always get an ad. Production keys get real demand.".into(),
            cta_text: Some("Learn More".into()),
            url: "https://example.com/".into(),
            image_url: None,
            logo_url: None,
            view_url: None,
            poll: None,
        };
        self.serve(&offer, &creative)?
            .ok_or_else(|| SspError::internal("Internal server error"))
    }
}

/// Whether the auction runs this DSP in process: the internal DSP while
/// the registry names its chained address (the default).
fn runs_in_process(dsp: &Dsp) -> bool {
    dsp.id == internal_bid::DSP_ID && dsp.bid_url == internal_dsp::CHAINED_BID_URL
}

/// A DSP's answer with its status for the report and, from an OpenRTB
/// DSP, the notice URLs of its bids.
struct Answered {
    status: CallStatus,
    answer: DspAnswer,
    /// The notice URLs of the bid that enters the auction.
    notices: Option<openrtb::ResponseBid>,
    /// The response's bids that do not enter it, with their loss codes.
    dropped: Vec<openrtb::Dropped>,
}

impl Answered {
    /// A parsed answer: a bid, a no-bid, or an invalid response.
    fn of(answer: DspAnswer) -> Self {
        let status = match &answer {
            DspAnswer::Bid(_) => CallStatus::Bid,
            DspAnswer::NoBid => CallStatus::NoBid,
            DspAnswer::Rejected(_) => CallStatus::Invalid,
        };
        Self {
            status,
            answer,
            notices: None,
            dropped: Vec::new(),
        }
    }

    fn failed(status: CallStatus, reason: String) -> Self {
        Self {
            status,
            answer: DspAnswer::Rejected(reason),
            notices: None,
            dropped: Vec::new(),
        }
    }
}

/// What a DSP that missed its deadline is logged with.
const NO_ANSWER: &str = "no answer before the deadline";

/// DSPs of an auction that gave no usable answer.
#[derive(Debug, Default, Clone, Copy)]
struct Failures {
    /// Missed the deadline.
    timed_out: usize,
    /// Answered with an error or an invalid response.
    failed: usize,
}

enum RenderFailure {
    /// The DSP has no render endpoint.
    Unsupported,
    Failed(String),
}

/// Random numbers for tie breaks, from the host's secure randomness.
fn random_numbers() -> impl FnMut() -> u64 {
    || {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        u64::from_le_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ])
    }
}

#[cfg(test)]
mod tests;
