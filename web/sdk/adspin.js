/*! adspin publisher SDK v1: sponsored messages in chat. No dependencies.
 * Classic script: <script src="https://ADS_HOST/sdk/v1/adspin.js"></script> defines window.AdSpin.
 * ES module: import { AdSpin } from "https://ADS_HOST/sdk/v1/adspin.mjs".
 * Guide: docs/PUBLISHERS.md. Types: /sdk/v1/adspin.d.ts. */
(() => {
  "use strict";

  const VERSION = "1.0.0";
  const BID_PATH = "/api/v1/ssp/bid-request";
  const STYLES_PATH = "/sdk/v1/adspin.css";
  // The storage keys of the SSP specification's browser example.
  const USER_KEY = "thrad_user_id";
  const CHAT_KEY = "thrad_chat_id";
  // The MRC rule: at least half of the ad on screen for one continuous second.
  const VIEW_RATIO = 0.5;
  const VIEW_MILLIS = 1000;
  // The most recent messages sent with a bid request (the server takes 100).
  const MAX_MESSAGES = 20;
  const MIN_HEADLINE_CHARS = 30;
  const EVENTS = ["request", "render", "nobid", "error", "view", "click", "vote"];
  const CONFIG_KEYS = ["ad_offset", "max_frequency", "max_headline_chars", "image_enabled"];
  const THEMES = ["auto", "light", "dark"];

  const script = typeof document !== "undefined" ? document.currentScript : null;

  /** Defaults of AdSpin.init: `endpoint` is the origin this script came
   *  from, `stylesheet` the adspin.css beside it. */
  /** The ad formats the SDK renders. */
  const FORMATS = ["sponsored_message", "sponsored_poll"];

  const defaults = {
    endpoint: script && script.src ? new URL(script.src, location.href).origin : "",
    stylesheet: script && script.src ? new URL("adspin.css", new URL(script.src, location.href)).href : "",
    timeoutMs: 5000,
    production: true,
    theme: "auto",
    styles: true,
  };

  // Ids kept in memory when the page may not use storage (sandboxed
  // frames, some private modes): stable for the page's lifetime.
  const memory = new Map();

  function uuid() {
    if (globalThis.crypto && typeof crypto.randomUUID === "function") {
      return crypto.randomUUID();
    }
    // randomUUID needs a secure context; getRandomValues does not.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function storage(name) {
    try {
      return globalThis[name] || null;
    } catch {
      return null;
    }
  }

  /** The id stored under `key` in `storageName`, created on first use. */
  function storedId(storageName, key, prefix, renew) {
    const store = storage(storageName);
    if (!renew) {
      try {
        const existing = store && store.getItem(key);
        if (existing) return existing;
      } catch {
        // Storage refused: fall back to memory.
      }
      if (memory.has(storageName + key)) return memory.get(storageName + key);
    }
    const id = prefix + uuid();
    memory.set(storageName + key, id);
    try {
      if (store) store.setItem(key, id);
    } catch {
      // Quota or policy: the id lives in memory for this page.
    }
    return id;
  }

  /** Anonymous user id (no PII), kept across sessions in localStorage. */
  function getUserId() {
    return storedId("localStorage", USER_KEY, "user_");
  }

  /** Conversation id, one per chat, kept in sessionStorage. */
  function getChatId() {
    return storedId("sessionStorage", CHAT_KEY, "chat_");
  }

  function fail(message) {
    throw new TypeError(`AdSpin: ${message}`);
  }

  function isInteger(value, min) {
    return Number.isInteger(value) && value >= min;
  }

  function checkConfig(config) {
    if (config === undefined || config === null) return {};
    if (typeof config !== "object" || Array.isArray(config)) fail("config must be an object");
    for (const key of Object.keys(config)) {
      if (!CONFIG_KEYS.includes(key)) {
        fail(`config.${key} is not a setting (use ${CONFIG_KEYS.join(", ")})`);
      }
    }
    const { ad_offset, max_frequency, max_headline_chars, image_enabled } = config;
    if (ad_offset !== undefined && !isInteger(ad_offset, 0)) fail("config.ad_offset must be an integer >= 0");
    if (max_frequency !== undefined && !isInteger(max_frequency, 0)) {
      fail("config.max_frequency must be an integer >= 0");
    }
    if (max_headline_chars !== undefined && !isInteger(max_headline_chars, MIN_HEADLINE_CHARS)) {
      fail(`config.max_headline_chars must be an integer >= ${MIN_HEADLINE_CHARS}`);
    }
    if (image_enabled !== undefined && typeof image_enabled !== "boolean") {
      fail("config.image_enabled must be true or false");
    }
    return { ...config };
  }

  function checkOptions(options) {
    if (!options || typeof options !== "object") fail("init takes an options object");
    const key = options.publisherKey;
    if (typeof key !== "string" || !key.trim()) fail("publisherKey is required (your thrad-api-key)");
    // An option given as undefined takes its default.
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    const merged = { ...defaults, ...given, publisherKey: key.trim() };
    if (typeof merged.endpoint !== "string" || !/^https?:\/\//.test(merged.endpoint)) {
      fail("endpoint must be the ad server's http(s) origin");
    }
    merged.endpoint = merged.endpoint.replace(/\/+$/, "");
    if (typeof merged.stylesheet !== "string" || (merged.stylesheet && !httpUrl(merged.stylesheet))) {
      fail("stylesheet must be an http(s) URL");
    }
    merged.stylesheet = merged.stylesheet || merged.endpoint + STYLES_PATH;
    if (!isInteger(merged.timeoutMs, 1)) fail("timeoutMs must be a positive integer");
    if (typeof merged.production !== "boolean") fail("production must be true or false");
    if (!THEMES.includes(merged.theme)) fail(`theme must be one of ${THEMES.join(", ")}`);
    if (merged.onEvent !== undefined && typeof merged.onEvent !== "function") fail("onEvent must be a function");
    merged.config = checkConfig(options.config);
    if (merged.adFormats !== undefined) {
      const formats = merged.adFormats;
      if (!Array.isArray(formats) || !formats.length || formats.some((format) => !FORMATS.includes(format))) {
        fail(`adFormats must list some of ${FORMATS.join(", ")}`);
      }
      merged.adFormats = [...new Set(formats)];
    }
    return merged;
  }

  /** The conversation as the bid request takes it, or an error message. */
  function conversation(messages) {
    if (!Array.isArray(messages)) return { error: "messages must be an array" };
    const clean = [];
    for (const message of messages) {
      if (!message || (message.role !== "user" && message.role !== "assistant") || typeof message.content !== "string") {
        return { error: "each message needs a role (user or assistant) and a content string" };
      }
      const entry = { role: message.role, content: message.content };
      if (typeof message.timestamp === "string" || typeof message.timestamp === "number") {
        entry.timestamp = message.timestamp;
      }
      clean.push(entry);
    }
    let recent = clean.slice(-MAX_MESSAGES);
    while (recent.length && recent[0].role !== "user") recent = recent.slice(1);
    if (recent.length < 2) return { error: "a bid request needs a user message and the assistant's reply" };
    for (let i = 0; i < recent.length; i += 1) {
      if (recent[i].role !== (i % 2 === 0 ? "user" : "assistant")) {
        return { error: "messages must alternate user and assistant" };
      }
    }
    if (recent[recent.length - 1].role !== "assistant") {
      return { error: "messages must end with the assistant's reply to the user" };
    }
    const turn = clean.filter((m) => m.role === "user").length;
    return { messages: recent, turn };
  }

  function httpUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value, location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch {
      return null;
    }
  }

  function text(value) {
    return typeof value === "string" ? value.trim() : "";
  }

  function truncate(value, limit) {
    const chars = Array.from(value);
    if (!limit || chars.length <= limit) return value;
    return chars.slice(0, limit - 1).join("").trimEnd() + "\u2026";
  }

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  function addStyles(href) {
    if (document.querySelector("link[data-adspin-styles]")) return;
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    link.dataset.adspinStyles = VERSION;
    (document.head || document.documentElement).appendChild(link);
  }

  /** A poll creative: `{question, options, vote_url?, results_url?}` with 2
   *  to 4 options, each `{id, text}` (or a plain string, whose id is its
   *  position). */
  function pollOf(bid) {
    const poll = bid.poll;
    if (!poll || typeof poll !== "object") return null;
    const question = text(poll.question);
    const options = (Array.isArray(poll.options) ? poll.options : [])
      .map((option, index) =>
        option && typeof option === "object"
          ? { id: text(option.id) || String(index), text: text(option.text) }
          : { id: String(index), text: text(option) })
      .filter((option) => option.text);
    if (!question || options.length < 2 || options.length > 4) return null;
    return { question, options, voteUrl: httpUrl(poll.vote_url), resultsUrl: httpUrl(poll.results_url) };
  }

  /** Sends a vote; resolves to the poll's results, or null when it could not
   *  be recorded (the page is never bothered). */
  async function sendVote(voteUrl, optionId) {
    try {
      const response = await fetch(voteUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ option_id: optionId }),
        credentials: "omit",
        cache: "no-store",
      });
      if (!response.ok) return null;
      const results = await response.json();
      return results && Array.isArray(results.options) ? results : null;
    } catch {
      return null;
    }
  }

  /** Calls `onView` once the card has been at least half visible for one
   *  continuous second while the page is visible; returns a stop function. */
  function watchViewability(card, onView) {
    if (typeof IntersectionObserver !== "function") return () => {};
    let timer = null;
    let visible = false;
    const pause = () => {
      clearTimeout(timer);
      timer = null;
    };
    const update = () => {
      if (visible && document.visibilityState === "visible") {
        if (!timer) timer = setTimeout(fire, VIEW_MILLIS);
      } else {
        pause();
      }
    };
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          visible = entry.isIntersecting && entry.intersectionRatio >= VIEW_RATIO;
        }
        update();
      },
      { threshold: [0, VIEW_RATIO, 1] },
    );
    const stop = () => {
      pause();
      observer.disconnect();
      document.removeEventListener("visibilitychange", update);
    };
    function fire() {
      stop();
      onView();
    }
    observer.observe(card);
    document.addEventListener("visibilitychange", update);
    return stop;
  }

  function beacon(url) {
    try {
      fetch(url, { method: "GET", mode: "no-cors", credentials: "omit", cache: "no-store", keepalive: true }).catch(() => {});
    } catch {
      // A beacon that cannot be sent is not the page's problem.
    }
  }

  class Client {
    constructor(options) {
      this.options = checkOptions(options);
      this.listeners = new Map(EVENTS.map((name) => [name, new Set()]));
      this.watchers = new Set();
      if (this.options.styles && typeof document !== "undefined") addStyles(this.options.stylesheet);
    }

    /** Listens to an event; returns a function that stops listening. */
    on(name, listener) {
      if (!this.listeners.has(name)) fail(`unknown event ${name} (one of ${EVENTS.join(", ")})`);
      if (typeof listener !== "function") fail("a listener must be a function");
      this.listeners.get(name).add(listener);
      return () => this.listeners.get(name).delete(listener);
    }

    /** Starts a new conversation: the next request carries a new chatId. */
    newChat() {
      return storedId("sessionStorage", CHAT_KEY, "chat_", true);
    }

    /** Stops view tracking of every ad this client rendered. */
    destroy() {
      for (const stop of this.watchers) stop();
      this.watchers.clear();
    }

    emit(name, detail, container) {
      const event = { type: name, ...detail };
      const call = (listener) => {
        try {
          listener(event);
        } catch (error) {
          // A publisher's listener must not stop the SDK; report it.
          setTimeout(() => {
            throw error;
          });
        }
      };
      this.listeners.get(name).forEach(call);
      if (this.options.onEvent) call(this.options.onEvent);
      if (container && typeof CustomEvent === "function") {
        container.dispatchEvent(new CustomEvent(`adspin:${name}`, { detail: event, bubbles: true }));
      }
    }

    /** Asks for an ad after the assistant's reply and renders it into
     *  `container`. Resolves to the ad, or null (no bid, an error, a slow
     *  network): it never rejects and never throws. */
    async requestAd(request) {
      let container = null;
      try {
        const options = request || {};
        container = typeof options.container === "string" ? document.querySelector(options.container) : options.container;
        if (!container || typeof container.appendChild !== "function") {
          this.emit("error", { reason: "invalid_request", message: "container must be an element or a selector of one" });
          return null;
        }
        return await this.auction(options, container);
      } catch (error) {
        this.emit("error", { reason: "exception", message: String((error && error.message) || error) }, container);
        return null;
      }
    }

    async auction(options, container) {
      const { config, endpoint, publisherKey, timeoutMs, production } = this.options;
      const chat = conversation(options.messages);
      if (chat.error) {
        this.emit("error", { reason: "invalid_request", message: chat.error }, container);
        return null;
      }
      const turn = options.turnNumber === undefined ? chat.turn : options.turnNumber;
      if (!isInteger(turn, 0)) {
        this.emit("error", { reason: "invalid_request", message: "turnNumber must be an integer >= 0" }, container);
        return null;
      }
      if (config.ad_offset && turn < config.ad_offset) {
        this.emit("nobid", { reason: "ad_offset", message: `No ad before turn ${config.ad_offset}` }, container);
        return null;
      }
      const body = {
        userId: getUserId(),
        chatId: getChatId(),
        messages: chat.messages,
        production,
        turn_number: turn,
      };
      if (Object.keys(config).length) body.config = config;
      if (this.options.adFormats) body.ad_formats = this.options.adFormats;
      const started = performance.now();
      this.emit("request", { chatId: body.chatId, turn }, container);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      let response;
      let envelope;
      try {
        response = await fetch(endpoint + BID_PATH, {
          method: "POST",
          headers: { "thrad-api-key": publisherKey, "Content-Type": "application/json" },
          body: JSON.stringify(body),
          credentials: "omit",
          signal: controller.signal,
        });
        envelope = await response.json().catch(() => null);
      } catch (error) {
        const timedOut = controller.signal.aborted;
        this.emit(
          "error",
          {
            reason: timedOut ? "timeout" : "network",
            message: timedOut ? `No answer within ${timeoutMs} ms` : String((error && error.message) || error),
          },
          container,
        );
        return null;
      } finally {
        clearTimeout(timer);
      }
      if (!response.ok || !envelope || envelope.status !== "success") {
        const message = (envelope && envelope.message) || `HTTP ${response.status}`;
        this.emit("error", { reason: "http", status: response.status, message }, container);
        return null;
      }
      const bid = envelope.data && envelope.data.bid;
      if (!bid) {
        this.emit("nobid", { reason: "no_bid", message: envelope.message || "No bids" }, container);
        return null;
      }
      const ad = this.render(bid, container);
      if (!ad) {
        this.emit("error", { reason: "invalid_bid", message: "The bid has no headline or click URL" }, container);
        return null;
      }
      ad.latencyMs = Math.round(performance.now() - started);
      this.emit("render", { ad }, container);
      return ad;
    }

    render(bid, container) {
      const { config, theme } = this.options;
      const url = httpUrl(bid.url);
      const poll = pollOf(bid);
      const headline = truncate(text(bid.headline) || (poll ? poll.question : ""), config.max_headline_chars);
      if (!url || !headline) return null;
      const advertiser = text(bid.advertiser);
      const description = text(bid.description);
      const image = config.image_enabled === false ? null : httpUrl(bid.image_url);
      const ad = {
        bidId: text(bid.bidId),
        advertiser,
        headline,
        description,
        ctaText: text(bid.cta_text) || "Learn more",
        url,
        imageUrl: image,
        poll,
        price: typeof bid.price === "number" ? bid.price : null,
        element: null,
        viewed: false,
      };

      const card = element("aside", "adspin-card");
      card.dataset.adspinTheme = theme;
      if (ad.bidId) card.dataset.adspinBid = ad.bidId;
      card.setAttribute("aria-label", advertiser ? `Sponsored message from ${advertiser}` : "Sponsored message");
      const label = element("div", "adspin-label");
      label.appendChild(element("span", "adspin-badge", "Sponsored"));
      if (advertiser) label.appendChild(element("span", "adspin-advertiser", advertiser));
      card.appendChild(label);
      if (image) {
        const img = element("img", "adspin-image");
        img.alt = "";
        img.loading = "lazy";
        img.decoding = "async";
        img.referrerPolicy = "no-referrer";
        img.addEventListener("error", () => img.remove(), { once: true });
        img.src = image;
        card.appendChild(img);
      }
      const content = element("div", "adspin-content");
      // A poll's question is its legend, so it is not said twice.
      if (!poll) content.appendChild(element("p", "adspin-headline", headline));
      if (description) content.appendChild(element("p", "adspin-description", description));
      if (poll) content.appendChild(this.pollElement(ad, container));
      const cta = element("a", "adspin-cta", ad.ctaText);
      cta.href = url;
      cta.target = "_blank";
      cta.rel = "sponsored noopener";
      const clicked = () => this.emit("click", { ad }, container);
      cta.addEventListener("click", clicked);
      cta.addEventListener("auxclick", (event) => {
        if (event.button === 1) clicked();
      });
      content.appendChild(cta);
      card.appendChild(content);
      container.replaceChildren(card);
      ad.element = card;

      const viewUrl = httpUrl(bid.thrad_view_url);
      const stop = watchViewability(card, () => {
        this.watchers.delete(stop);
        ad.viewed = true;
        if (viewUrl) beacon(viewUrl);
        this.emit("view", { ad }, container);
      });
      this.watchers.add(stop);
      return ad;
    }

    pollElement(ad, container) {
      const group = element("fieldset", "adspin-poll");
      group.appendChild(element("legend", "adspin-headline adspin-poll-question", ad.poll.question));
      const status = element("p", "adspin-poll-status");
      status.setAttribute("role", "status");
      const buttons = ad.poll.options.map((option, index) => {
        const button = element("button", "adspin-poll-option");
        button.appendChild(element("span", "adspin-poll-text", option.text));
        button.type = "button";
        button.dataset.optionId = option.id;
        button.setAttribute("aria-pressed", "false");
        button.addEventListener("click", async () => {
          for (const other of buttons) other.disabled = true;
          button.setAttribute("aria-pressed", "true");
          status.textContent = "Thanks for voting.";
          const results = ad.poll.voteUrl ? await sendVote(ad.poll.voteUrl, option.id) : null;
          if (results) showResults(buttons, results, status);
          this.emit("vote", { ad, option: option.text, index, results }, container);
        });
        group.appendChild(button);
        return button;
      });
      group.appendChild(status);
      return group;
    }
  }

  /** Each option's share of the votes, on its button. */
  function showResults(buttons, results, status) {
    const byId = new Map(results.options.map((option) => [String(option.id), option]));
    for (const button of buttons) {
      const option = byId.get(button.dataset.optionId);
      if (!option) continue;
      const share = Number(option.percentage) || 0;
      button.style.setProperty("--adspin-share", `${share}%`);
      button.appendChild(element("span", "adspin-poll-share", ` ${Math.round(share)}%`));
    }
    const total = Number(results.total_votes) || 0;
    status.textContent = `Thanks for voting. ${total} ${total === 1 ? "vote" : "votes"} so far.`;
  }

  const AdSpin = Object.freeze({
    version: VERSION,
    defaults,
    /** Creates a client for one publisher key (throws a TypeError on bad options). */
    init: (options) => new Client(options),
    getUserId,
    getChatId,
  });
  globalThis.AdSpin = AdSpin;
})();
