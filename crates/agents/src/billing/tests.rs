use super::*;
use crate::test_support::{Account, NOW, json_of};
use adspin_core::testing::{FakeReply, TestEnv, run};

const BASE: &str = "http://127.0.0.1:3000";

/// A verified account with a key of `mode` holding every scope.
fn caller(db: &impl Database, mode: Mode) -> Caller {
    caller_with_email(db, mode, "jane@example.com")
}

fn caller_with_email(db: &impl Database, mode: Mode, email: &str) -> Caller {
    Account {
        mode,
        ..Account::verified(email)
    }
    .create(db)
    .0
}

/// Stripe at a fake address, its webhook secret `whsec_abc`.
fn stripe_config() -> BillingConfig {
    BillingConfig {
        provider: Provider::Stripe,
        stripe: Some(StripeConfig {
            api_base: "http://stripe.test".into(),
            secret_key: "sk_test_123".into(),
            webhook_secret: "whsec_abc".into(),
        }),
    }
}

/// `Stripe-Signature` of `payload` sent at `at`, with `whsec_abc`.
fn stripe_signature(at: i64, payload: &[u8]) -> String {
    format!(
        "t={at},v1={}",
        hex::encode(stripe::sign("whsec_abc", at, payload))
    )
}

fn demo() -> BillingConfig {
    BillingConfig {
        provider: Provider::Demo,
        stripe: None,
    }
}

fn subscribe_to(
    env: &TestEnv,
    config: &BillingConfig,
    caller: &Caller,
    body: Value,
) -> Result<Response, AgentsError> {
    run(
        &env.clock,
        subscribe(
            &env.db,
            &env.http,
            config,
            caller,
            body.to_string().as_bytes(),
            Ok(BASE.to_string()),
            NOW,
        ),
    )
}

fn token_of(answer: &Value) -> String {
    answer["token"].as_str().expect("token").to_string()
}

fn pay(env: &TestEnv, token: &str, action: &str, at: UnixSeconds) -> Response {
    checkout_submit(
        &env.db,
        format!("token={token}&action={action}").as_bytes(),
        at,
    )
    .expect("page")
}

#[test]
fn the_free_plan_is_active_at_once() {
    let env = TestEnv::new(NOW);
    let caller = caller(&env.db, Mode::Live);
    let answer =
        json_of(&subscribe_to(&env, &demo(), &caller, json!({"plan_id": 1})).expect("free"));
    assert_eq!(answer["status"], "active");
    assert_eq!(answer["subscription"]["plan"]["name"], "Free");
    assert_eq!(answer["message"], "Free plan activated.");
}

#[test]
fn a_paid_plan_is_pending_until_the_demo_checkout_is_paid_once() {
    let env = TestEnv::new(NOW);
    let caller = caller(&env.db, Mode::Live);
    let answer = json_of(
        &subscribe_to(
            &env,
            &demo(),
            &caller,
            json!({"plan": "growth", "billing_cycle": "monthly", "payment_method": "email"}),
        )
        .expect("pending"),
    );
    assert_eq!(answer["status"], "pending");
    assert_eq!(
        answer["plan"],
        json!({"id": 4, "name": "Growth", "price": 149.0, "currency": "USD"})
    );
    let token = token_of(&answer);
    assert_eq!(
        answer["checkout_url"],
        format!("{BASE}/api/v1/billing/checkout?token={token}")
    );
    assert_eq!(
        answer["expires_at"],
        NOW.plus_seconds(86_400).to_iso8601_numeric_offset()
    );
    let sent = outbox::mailbox(&env.db, Some("jane@example.com"), 1).expect("mailbox");
    assert_eq!(sent[0].kind, "checkout_link");
    assert!(sent[0].body.contains(&token));
    assert_eq!(
        effective_plan(&env.db, caller.organization_id(), NOW)
            .expect("plan")
            .name,
        "Free"
    );

    let query = Query::parse(&format!("token={token}"));
    let pending = json_of(&subscribe_status(&env.db, &caller, &query, NOW).expect("status"));
    assert_eq!(pending["status"], "pending");
    let page = checkout_page(&env.db, &query, NOW).expect("page");
    let html = String::from_utf8(page.body().clone()).expect("html");
    assert!(
        html.contains("Pay $149.00") && html.contains("jane@example.com"),
        "{html}"
    );

    pay(&env, &token, "pay", NOW);
    pay(&env, &token, "pay", NOW);
    let active = json_of(&subscribe_status(&env.db, &caller, &query, NOW).expect("status"));
    assert_eq!(active["status"], "active");
    assert_eq!(active["subscription"]["plan"]["name"], "Growth");
    assert_eq!(
        effective_plan(&env.db, caller.organization_id(), NOW)
            .expect("plan")
            .name,
        "Growth"
    );
    let listed = json_of(&invoices(&env.db, &caller, &Query::default()).expect("invoices"));
    assert_eq!(listed["pagination"]["total"], 1, "paid once");
    assert_eq!(listed["data"][0]["amount"], 149.0);

    let again =
        subscribe_to(&env, &demo(), &caller, json!({"plan_id": "4"})).expect_err("same plan");
    assert_eq!((again.status(), again.code()), (409, "already_subscribed"));
    let downgrade =
        subscribe_to(&env, &demo(), &caller, json!({"plan_id": 1})).expect_err("cancel first");
    assert_eq!(downgrade.code(), "paid_plan_active");
}

#[test]
fn cancelling_keeps_the_plan_until_the_period_ends() {
    let env = TestEnv::new(NOW);
    let caller = caller(&env.db, Mode::Live);
    let answer =
        json_of(&subscribe_to(&env, &demo(), &caller, json!({"plan_id": 2})).expect("pending"));
    pay(&env, &token_of(&answer), "pay", NOW);
    let canceled = json_of(
        &run(
            &env.clock,
            cancel(&env.db, &env.http, &demo(), &caller, NOW),
        )
        .expect("canceled"),
    );
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["subscription"]["cancel_at_period_end"], true);
    let end = UnixSeconds::parse_iso8601("2027-02-15T08:00:00Z").expect("a month later");
    assert_eq!(
        canceled["subscription"]["current_period_end"],
        end.to_iso8601_numeric_offset()
    );
    assert_eq!(
        effective_plan(&env.db, caller.organization_id(), end.plus_seconds(-1))
            .expect("plan")
            .name,
        "Standard"
    );
    assert_eq!(
        effective_plan(&env.db, caller.organization_id(), end)
            .expect("plan")
            .name,
        "Free"
    );
    let none = run(
        &env.clock,
        cancel(&env.db, &env.http, &demo(), &caller, end),
    )
    .expect_err("nothing to cancel");
    assert_eq!((none.status(), none.code()), (409, "no_paid_subscription"));
}

#[test]
fn declined_expired_and_foreign_checkouts() {
    let env = TestEnv::new(NOW);
    let caller = caller(&env.db, Mode::Live);
    let first = token_of(&json_of(
        &subscribe_to(&env, &demo(), &caller, json!({"plan_id": 2})).expect("pending"),
    ));
    pay(&env, &first, "decline", NOW);
    let query = Query::parse(&format!("token={first}"));
    assert_eq!(
        json_of(&subscribe_status(&env.db, &caller, &query, NOW).expect("status"))["status"],
        "failed"
    );
    pay(&env, &first, "pay", NOW);
    assert_eq!(
        effective_plan(&env.db, caller.organization_id(), NOW)
            .expect("plan")
            .name,
        "Free",
        "a failed checkout cannot be paid"
    );

    let second = token_of(&json_of(
        &subscribe_to(&env, &demo(), &caller, json!({"plan_id": 2})).expect("pending"),
    ));
    let late = NOW.plus_seconds(CHECKOUT_LIFETIME_SECONDS);
    assert_eq!(pay(&env, &second, "pay", late).status(), 410);
    let query = Query::parse(&format!("token={second}"));
    assert_eq!(
        json_of(&subscribe_status(&env.db, &caller, &query, late).expect("status"))["status"],
        "expired"
    );

    let stranger = caller_with_email(&env.db, Mode::Live, "joe@example.com");
    let error = subscribe_status(&env.db, &stranger, &query, NOW).expect_err("foreign");
    assert_eq!((error.status(), error.code()), (404, "checkout_not_found"));
}

#[test]
fn unknown_plans_and_options_are_422_naming_the_field() {
    let env = TestEnv::new(NOW);
    let caller = caller(&env.db, Mode::Live);
    for (body, field) in [
        (json!({}), "plan_id"),
        (json!({"plan_id": 9}), "plan_id"),
        (json!({"plan": "platinum"}), "plan"),
        (
            json!({"plan_id": 2, "billing_cycle": "weekly"}),
            "billing_cycle",
        ),
        (
            json!({"plan_id": 2, "payment_method": "card"}),
            "payment_method",
        ),
    ] {
        let error = subscribe_to(&env, &demo(), &caller, body.clone()).expect_err("refused");
        assert_eq!(error.status(), 422, "{body}");
        assert_eq!(
            json_of(&error.to_response("r"))["error"]["details"]["field"],
            field,
            "{body}"
        );
    }
}

#[test]
fn stripe_checkouts_are_created_through_the_api_and_activated_by_signed_events() {
    let env = TestEnv::new(NOW);
    let caller = caller(&env.db, Mode::Live);
    let config = stripe_config();
    env.http.reply(
        "http://stripe.test/v1/checkout/sessions",
        FakeReply::json(5, 200, &json!({"id": "cs_test_1", "url": "https://checkout.stripe.test/c/cs_test_1", "object": "checkout.session"})),
    );
    let answer =
        json_of(&subscribe_to(&env, &config, &caller, json!({"plan_id": 3})).expect("pending"));
    let sent = env.http.sent();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]
            .headers
            .contains(&("authorization".into(), "Bearer sk_test_123".into()))
    );
    let form = Query::parse(&String::from_utf8_lossy(&sent[0].body));
    assert_eq!(form.get("mode"), Some("subscription"));
    assert_eq!(
        form.get("line_items[0][price_data][unit_amount]"),
        Some("19900")
    );
    assert_eq!(form.get("customer_email"), Some("jane@example.com"));

    let query = Query::parse(&format!("token={}", token_of(&answer)));
    let redirect = checkout_page(&env.db, &query, NOW).expect("page");
    assert_eq!(redirect.status(), 303);
    assert_eq!(
        redirect.headers()["location"],
        "https://checkout.stripe.test/c/cs_test_1"
    );

    let event = json!({"id": "evt_1", "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_test_1", "subscription": "sub_1", "payment_status": "paid"}}})
    .to_string();
    let signature = |at: i64| stripe_signature(at, event.as_bytes());
    let forged = stripe_event(&env.db, &config, Some("t=1,v1=00"), event.as_bytes(), NOW)
        .expect_err("forged");
    assert_eq!((forged.status(), forged.code()), (400, "invalid_signature"));
    let stale = stripe_event(
        &env.db,
        &config,
        Some(&signature(NOW.get() - 301)),
        event.as_bytes(),
        NOW,
    )
    .expect_err("stale");
    assert_eq!(stale.code(), "invalid_signature");
    assert_eq!(
        effective_plan(&env.db, caller.organization_id(), NOW)
            .expect("plan")
            .name,
        "Free"
    );
    for _ in 0..2 {
        let received = stripe_event(
            &env.db,
            &config,
            Some(&signature(NOW.get())),
            event.as_bytes(),
            NOW,
        )
        .expect("ok");
        assert_eq!(received.status(), 200);
    }
    assert_eq!(
        effective_plan(&env.db, caller.organization_id(), NOW)
            .expect("plan")
            .name,
        "Flexible"
    );
    let listed = json_of(&invoices(&env.db, &caller, &Query::default()).expect("invoices"));
    assert_eq!(
        listed["pagination"]["total"], 1,
        "a repeated event counts once"
    );
}

#[test]
fn the_sandbox_never_reaches_stripe_and_never_changes_the_live_plan() {
    let env = TestEnv::new(NOW);
    let live = caller(&env.db, Mode::Live);
    let mut sandbox = live.clone();
    sandbox.key.mode = Mode::Test;
    let config = BillingConfig {
        provider: Provider::Stripe,
        stripe: None,
    };
    let answer =
        json_of(&subscribe_to(&env, &config, &sandbox, json!({"plan_id": 2})).expect("pending"));
    assert!(env.http.sent().is_empty());
    pay(&env, &token_of(&answer), "pay", NOW);
    assert_eq!(
        effective_plan(&env.db, live.organization_id(), NOW)
            .expect("plan")
            .name,
        "Free"
    );
    let live_invoices = json_of(&invoices(&env.db, &live, &Query::default()).expect("invoices"));
    assert_eq!(live_invoices["pagination"]["total"], 0);
    let sandbox_status = json_of(&status(&env.db, &sandbox, NOW).expect("status"));
    assert_eq!(sandbox_status["plan"]["name"], "Standard");
}

#[test]
fn the_scheduled_work_renews_demo_plans_and_ends_cancelled_ones() {
    let env = TestEnv::new(NOW);
    let renewing = caller(&env.db, Mode::Live);
    let cancelling = caller_with_email(&env.db, Mode::Live, "joe@example.com");
    for account in [&renewing, &cancelling] {
        let answer =
            json_of(&subscribe_to(&env, &demo(), account, json!({"plan_id": 2})).expect("pending"));
        pay(&env, &token_of(&answer), "pay", NOW);
    }
    run(
        &env.clock,
        cancel(&env.db, &env.http, &demo(), &cancelling, NOW),
    )
    .expect("cancel");
    let month_later = UnixSeconds::parse_iso8601("2027-02-15T08:00:00Z").expect("time");
    assert_eq!(
        maintain(&env.db, month_later.plus_seconds(-1)).expect("pass"),
        Maintenance::default()
    );
    assert_eq!(
        maintain(&env.db, month_later).expect("pass"),
        Maintenance {
            renewed: 1,
            ended: 1
        }
    );
    assert_eq!(
        maintain(&env.db, month_later).expect("again"),
        Maintenance::default()
    );
    assert_eq!(
        effective_plan(&env.db, renewing.organization_id(), month_later)
            .expect("plan")
            .name,
        "Standard"
    );
    assert_eq!(
        effective_plan(&env.db, cancelling.organization_id(), month_later)
            .expect("plan")
            .name,
        "Free"
    );
    let listed = json_of(&invoices(&env.db, &renewing, &Query::default()).expect("invoices"));
    assert_eq!(listed["pagination"]["total"], 2);
    assert_eq!(
        listed["data"][0]["period_start"],
        month_later.to_iso8601_numeric_offset()
    );
}

#[test]
fn stripe_renewals_extend_the_period_once_per_invoice_and_a_deleted_subscription_ends() {
    let env = TestEnv::new(NOW);
    let caller = caller(&env.db, Mode::Live);
    let config = stripe_config();
    env.http.reply(
        "http://stripe.test/v1/checkout/sessions",
        FakeReply::json(
            0,
            200,
            &json!({"id": "cs_1", "url": "https://checkout.stripe.test/cs_1"}),
        ),
    );
    subscribe_to(&env, &config, &caller, json!({"plan_id": 2})).expect("pending");
    let send = |event: Value, at: UnixSeconds| {
        let body = event.to_string();
        let signature = stripe_signature(at.get(), body.as_bytes());
        stripe_event(&env.db, &config, Some(&signature), body.as_bytes(), at).expect("received")
    };
    send(
        json!({"id": "evt_1", "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_1", "subscription": "sub_9", "payment_status": "paid"}}}),
        NOW,
    );
    let month_later = UnixSeconds::parse_iso8601("2027-02-15T08:00:00Z").expect("time");
    let renewal = json!({"id": "evt_2", "type": "invoice.paid",
        "data": {"object": {"id": "in_2", "subscription": "sub_9", "billing_reason": "subscription_cycle", "amount_paid": 4900}}});
    send(renewal.clone(), month_later.plus_seconds(-60));
    send(renewal, month_later.plus_seconds(-30));
    assert_eq!(
        effective_plan(
            &env.db,
            caller.organization_id(),
            month_later.plus_seconds(86_400)
        )
        .expect("plan")
        .name,
        "Standard"
    );
    let listed = json_of(&invoices(&env.db, &caller, &Query::default()).expect("invoices"));
    assert_eq!(
        listed["pagination"]["total"], 2,
        "one renewal invoice however often the event comes"
    );
    assert_eq!(
        maintain(&env.db, month_later).expect("pass"),
        Maintenance::default(),
        "Stripe renews its own"
    );

    send(
        json!({"id": "evt_3", "type": "customer.subscription.deleted", "data": {"object": {"id": "sub_9"}}}),
        month_later,
    );
    assert_eq!(
        effective_plan(&env.db, caller.organization_id(), month_later)
            .expect("plan")
            .name,
        "Free"
    );
}
