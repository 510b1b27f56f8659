// The demo chat: canned assistant replies, and after each reply an ad
// requested through the publisher SDK (ES module build). Query parameters
// of the page: key (publisher key), theme (auto|light|dark), timeout_ms
// (the SDK's bid request timeout), reply_ms (the assistant's typing
// delay), and the publisher config: ad_offset, max_frequency,
// max_headline_chars, image_enabled.
import { AdSpin } from "/sdk/v1/adspin.mjs";

const REPLIES = [
  [/shoe|run|marathon|sneaker/i, "For marathon training, look for cushioning and a snug heel. Try a few pairs late in the day, when your feet are largest."],
  [/trip|travel|flight|hotel|vacation/i, "Shoulder season is usually the best value: fewer crowds and lower prices. Where would you like to go?"],
  [/laptop|computer|notebook/i, "For most people 16 GB of memory and a good screen matter more than the fastest processor. What will you use it for?"],
  [/recipe|cook|dinner|food/i, "A one-pan dinner is hard to beat on a weeknight: roast vegetables and chickpeas with olive oil and cumin."],
];
const FALLBACK = [
  "Interesting! Tell me more about what you are looking for.",
  "Good question. What matters most to you here?",
  "I can help with that. Do you have a budget in mind?",
];

const params = new URLSearchParams(location.search);
const log = document.getElementById("log");
const form = document.getElementById("composer");
const input = document.getElementById("message");
const messages = [];
let turn = 0;

function integer(name) {
  return params.has(name) ? Number(params.get(name)) : undefined;
}

function demoConfig() {
  const config = {};
  for (const name of ["ad_offset", "max_frequency", "max_headline_chars"]) {
    if (params.has(name)) config[name] = integer(name);
  }
  if (params.has("image_enabled")) {
    const value = params.get("image_enabled");
    config.image_enabled = value === "true" ? true : value === "false" ? false : value;
  }
  return config;
}

function append(className, text) {
  const item = document.createElement("li");
  item.className = className;
  if (text) item.textContent = text;
  log.appendChild(item);
  log.scrollTop = log.scrollHeight;
  return item;
}

function notice(text) {
  append("message notice", text);
}

function reply(text) {
  const match = REPLIES.find(([pattern]) => pattern.test(text));
  return match ? match[1] : FALLBACK[turn % FALLBACK.length];
}

let ads = null;
try {
  const key = params.get("key") || document.querySelector('meta[name="adspin-publisher-key"]').content;
  ads = AdSpin.init({
    publisherKey: key,
    theme: params.get("theme") || "auto",
    timeoutMs: integer("timeout_ms"),
    config: demoConfig(),
    // ?polls=1: sponsored polls too.
    adFormats: params.get("polls") === "1" ? ["sponsored_message", "sponsored_poll"] : undefined,
  });
  ads.on("error", (event) => notice(`No ad: ${event.message}`));
} catch (error) {
  notice(`The SDK refused its options: ${error.message}`);
}

const replyMillis = params.has("reply_ms") ? Math.max(0, Number(params.get("reply_ms")) || 0) : 300;

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  turn += 1;
  const thisTurn = turn;
  performance.mark(`demo:user-message:${thisTurn}`);
  append("message user", text);
  messages.push({ role: "user", content: text, timestamp: new Date().toISOString() });
  setTimeout(async () => {
    const answer = reply(text);
    append("message assistant", answer);
    messages.push({ role: "assistant", content: answer, timestamp: new Date().toISOString() });
    if (!ads) return;
    const slot = append("ad-slot");
    slot.dataset.turn = String(thisTurn);
    const ad = await ads.requestAd({ messages, container: slot });
    if (ad) {
      // From the user's message to the rendered card (BENCHMARKS.md).
      performance.measure("demo:message-to-ad", `demo:user-message:${thisTurn}`);
      log.scrollTop = log.scrollHeight;
    } else {
      slot.remove();
    }
  }, replyMillis);
});
