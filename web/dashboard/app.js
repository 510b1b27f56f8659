// The advertiser dashboard: sign in with an agents account's email and
// password (POST /api/v1/auth/session) or a dashboard token (POST
// /dashboard/session); either way the server keeps the session in an
// HttpOnly cookie. Then the organization's API key (the
// key-management API under /api/organizations/{org}/api-keys) and its
// campaigns (GET /v1/campaigns), called like any client. The
// x-adspin-dashboard header is what lets those APIs accept the cookie.

const DASHBOARD = { "x-adspin-dashboard": "1" };
const $ = (id) => document.getElementById(id);

let organization = null;

function show(section) {
  $("sign-in").hidden = section !== "sign-in";
  $("campaigns").hidden = section !== "campaigns";
  $("keys").hidden = section !== "campaigns";
  $("insights").hidden = section !== "campaigns";
  $("sign-out").hidden = section !== "campaigns";
  if (section === "sign-in") {
    organization = null;
    $("new-secret").hidden = true;
  }
}

function time(iso) {
  return iso ? iso.slice(0, 16).replace("T", " ") + " UTC" : "";
}

/** A key-management call: the envelope's data, or an Error with its message. */
async function keys(method, path = "") {
  const response = await fetch(`/api/organizations/${organization}/api-keys${path}`, {
    method,
    headers: DASHBOARD,
    credentials: "same-origin",
  });
  const body = await response.json().catch(() => null);
  if (!response.ok || !body || !body.success) {
    throw new Error(message(body, `HTTP ${response.status}`));
  }
  return body.data;
}

function showSecret(note, secret) {
  $("new-secret-note").textContent = note;
  $("new-secret-value").textContent = secret;
  $("new-secret").hidden = false;
}

function button(label, className, action) {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = label;
  if (className) node.className = className;
  node.addEventListener("click", action);
  return node;
}

async function loadKeys() {
  $("keys-error").textContent = "";
  if (!organization) {
    const response = await fetch("/v1/ad_account", { headers: DASHBOARD, credentials: "same-origin" });
    const account = await response.json().catch(() => null);
    if (!response.ok || !account) return;
    organization = account.id;
  }
  let list;
  try {
    list = await keys("GET");
  } catch (error) {
    $("keys-table").hidden = true;
    $("create-key").hidden = true;
    $("keys-error").textContent = error.message;
    return;
  }
  const rows = list.map((key) => {
    const row = document.createElement("tr");
    row.dataset.key = key.id;
    const actions = document.createElement("td");
    if (key.status === "active") {
      actions.append(
        button("Rotate", "", () => act(async () => {
          const minted = await keys("POST", `/${key.id}/rotate`);
          showSecret(
            `New key created. Copy it now: it is shown only once. The previous key works until ${time(minted.previous_key.expires_at)}.`,
            minted.key,
          );
        })),
        button("Revoke", "danger", (event) => {
          const node = event.currentTarget;
          if (node.dataset.confirm) {
            act(() => keys("POST", `/${key.id}/revoke`));
          } else {
            node.dataset.confirm = "1";
            node.textContent = "Confirm revoke";
          }
        }),
      );
    }
    row.append(
      cell(`${key.prefix}…`),
      cell(key.label || ""),
      badge(key.status),
      cell(time(key.created_at)),
      cell(key.status === "revoked" ? time(key.revoked_at) : time(key.expires_at)),
      actions,
    );
    return row;
  });
  $("keys-table").querySelector("tbody").replaceChildren(...rows);
  $("keys-table").hidden = rows.length === 0;
  $("create-key").hidden = list.some((key) => key.status === "active");
}

/** Runs a key action, then shows the keys as they are now. */
async function act(action) {
  $("keys-error").textContent = "";
  try {
    await action();
  } catch (error) {
    $("keys-error").textContent = error.message;
  }
  await loadKeys();
}

$("create-key").addEventListener("click", () => act(async () => {
  const minted = await keys("POST");
  showSecret("New key created. Copy it now: it is shown only once.", minted.key);
}));

function message(body, fallback) {
  return (body && body.error && body.error.message) || fallback;
}

function dollars(micros) {
  // Cents, or tenths of a cent for amounts under a dollar (a CPM ad's spend).
  const small = micros !== 0 && Math.abs(micros) < 1e6;
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: "USD",
    maximumFractionDigits: small ? 4 : 2,
  }).format(micros / 1e6);
}

function day(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

function badge(text) {
  const td = document.createElement("td");
  const span = document.createElement("span");
  span.className = `badge badge-${text}`;
  span.textContent = text.replace(/_/g, " ");
  td.appendChild(span);
  return td;
}

/** POST /v1/campaigns/{id}/{action}, then the list as it is now. */
async function setStatus(campaign, action) {
  $("campaigns-error").textContent = "";
  const response = await fetch(`/v1/campaigns/${campaign.id}/${action}`, {
    method: "POST",
    headers: DASHBOARD,
    credentials: "same-origin",
  }).catch(() => null);
  if (!response || !response.ok) {
    const body = response && (await response.json().catch(() => null));
    await loadCampaigns();
    $("campaigns-error").textContent = message(body, `The campaign could not be changed (${action}).`);
    return;
  }
  await loadCampaigns();
}

function campaignActions(campaign) {
  const td = document.createElement("td");
  if (campaign.status === "archived") return td;
  if (campaign.status === "paused") td.append(button("Activate", "", () => setStatus(campaign, "activate")));
  if (campaign.status === "active") td.append(button("Pause", "", () => setStatus(campaign, "pause")));
  td.append(button("Edit", "edit", () => editCampaign(campaign)));
  td.append(button("Archive", "danger", (event) => {
    const node = event.currentTarget;
    if (node.dataset.confirm) {
      setStatus(campaign, "archive");
    } else {
      node.dataset.confirm = "1";
      node.textContent = "Confirm archive";
    }
  }));
  return td;
}

// Editing: name, budget and end date, with POST /v1/campaigns/{id}.
let editing = null;

function editCampaign(campaign) {
  editing = campaign;
  $("e-name").value = campaign.name;
  $("e-budget").value = (campaign.budget.lifetime_spend_limit_micros / 1e6).toFixed(2);
  $("e-end").value = campaign.end_time ? day(campaign.end_time) : "";
  $("edit-title").textContent = `Edit "${campaign.name}"`;
  $("campaigns-status").textContent = "";
  $("edit-error").textContent = "";
  $("edit-form").hidden = false;
  $("e-name").focus();
}

function closeEditor() {
  editing = null;
  $("edit-form").hidden = true;
}

$("edit-cancel").addEventListener("click", closeEditor);

$("edit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!editing) return;
  $("edit-error").textContent = "";
  const update = {
    name: $("e-name").value.trim(),
    budget: { lifetime_spend_limit_micros: micros($("e-budget").value) },
    // The end of the chosen day (UTC), or no end at all.
    end_time: $("e-end").value ? Date.parse(`${$("e-end").value}T23:59:59Z`) / 1000 : null,
  };
  try {
    const saved = await v1Post(`/v1/campaigns/${editing.id}`, JSON.stringify(update), {
      "content-type": "application/json",
    });
    closeEditor();
    await loadCampaigns();
    $("campaigns-error").textContent = "";
    $("campaigns-status").textContent = `Saved "${saved.name}".`;
  } catch (error) {
    $("edit-error").textContent = error.message;
  }
});

async function loadCampaigns() {
  $("campaigns-error").textContent = "";
  let response;
  try {
    response = await fetch("/v1/campaigns?limit=100", { headers: DASHBOARD, credentials: "same-origin" });
  } catch {
    show("campaigns");
    $("campaigns-error").textContent = "The server cannot be reached.";
    return;
  }
  const body = await response.json().catch(() => null);
  if (response.status === 401) {
    show("sign-in");
    return;
  }
  show("campaigns");
  if (!response.ok || !body || !Array.isArray(body.data)) {
    $("campaigns-error").textContent = message(body, `The campaigns could not be read (HTTP ${response.status}).`);
    return;
  }
  const rows = body.data.map((campaign) => {
    const row = document.createElement("tr");
    row.dataset.campaign = campaign.id;
    row.append(
      cell(campaign.name),
      badge(campaign.status),
      badge(campaign.review_status),
      cell(dollars(campaign.budget.lifetime_spend_limit_micros), "number"),
      cell(day(campaign.start_time)),
      campaignActions(campaign),
    );
    return row;
  });
  $("campaigns-table").querySelector("tbody").replaceChildren(...rows);
  $("campaigns-table").hidden = rows.length === 0;
  $("campaigns-empty").hidden = rows.length !== 0;
  campaignNames = new Map(body.data.map((campaign) => [campaign.id, campaign.name]));
  await Promise.all([loadKeys(), loadInsights()]);
}

// Insights: GET /v1/ad_account/insights per day, for a window and level.
const SVG = "http://www.w3.org/2000/svg";
const MAX_WINDOW_DAYS = 366;
let campaignNames = new Map();

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function defaultWindow() {
  if (!$("until").value) {
    const today = new Date();
    $("until").value = isoDay(today);
    $("since").value = isoDay(new Date(today.getTime() - (MAX_WINDOW_DAYS - 2) * 86400000));
  }
}

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function entityOf(row, level) {
  if (level === "ad_account") return "Account";
  const id = row[`${level}_id`] || "";
  return (level === "campaign" && campaignNames.get(id)) || id;
}

function drawChart(rows, metric) {
  // One bar per day: the entities of a level are summed.
  const days = new Map();
  for (const row of rows) days.set(row.readable_time, (days.get(row.readable_time) || 0) + (row[metric] || 0));
  const points = [...days.entries()].sort(([a], [b]) => a.localeCompare(b));
  const chart = $("chart");
  const width = 640;
  const height = 220;
  const top = 16;
  const bottom = 28;
  const left = 8;
  chart.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const max = Math.max(...points.map(([, value]) => value), 0) || 1;
  const slot = Math.min((width - left * 2) / Math.max(points.length, 1), 96);
  const bars = points.map(([day, value], index) => {
    const barHeight = ((height - top - bottom) * value) / max;
    const x = left + index * slot + slot * 0.15;
    const group = svg("g", { class: "point", "data-day": day, "data-value": value });
    const bar = svg("rect", { class: "bar", x, y: height - bottom - barHeight, width: slot * 0.7, height: barHeight });
    bar.appendChild(svg("title", {}, `${day}: ${metric === "spend" ? dollars(value * 1e6) : value}`));
    group.append(
      bar,
      svg("text", { x: x + slot * 0.35, y: height - bottom + 16, "text-anchor": "middle" }, day.slice(5)),
      svg("text", { x: x + slot * 0.35, y: height - bottom - barHeight - 4, "text-anchor": "middle" },
        metric === "spend" ? dollars(value * 1e6) : String(value)),
    );
    return group;
  });
  chart.replaceChildren(svg("line", { class: "axis", x1: 0, x2: width, y1: height - bottom, y2: height - bottom }), ...bars);
  const label = $("metric").selectedOptions[0].textContent;
  $("chart-caption").textContent = `${label} per day, ${$("since").value} to ${$("until").value}`;
}

async function loadInsights() {
  defaultWindow();
  $("insights-error").textContent = "";
  const level = $("level").value;
  const params = new URLSearchParams();
  params.append("time_ranges[]", JSON.stringify({ type: "date_range", since: $("since").value, until: $("until").value }));
  for (const field of ["impressions", "clicks", "spend", "ctr", "cpc"]) params.append("fields[]", field);
  params.set("time_granularity", "daily");
  params.set("aggregation_level", level);
  params.set("limit", "2000");
  const response = await fetch(`/v1/ad_account/insights?${params}`, { headers: DASHBOARD, credentials: "same-origin" });
  const body = await response.json().catch(() => null);
  if (!response.ok || !body || !Array.isArray(body.data)) {
    $("chart-figure").hidden = true;
    $("insights-table").hidden = true;
    $("insights-error").textContent = message(body, `The insights could not be read (HTTP ${response.status}).`);
    return;
  }
  const rows = body.data;
  $("insights-empty").hidden = rows.length !== 0;
  $("chart-figure").hidden = rows.length === 0;
  $("insights-table").hidden = rows.length === 0;
  drawChart(rows, $("metric").value);
  const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 2 });
  $("insights-table").querySelector("tbody").replaceChildren(...rows.map((row) => {
    const tr = document.createElement("tr");
    tr.append(
      cell(row.readable_time),
      cell(entityOf(row, level)),
      cell(String(row.impressions), "number"),
      cell(String(row.clicks), "number"),
      cell(dollars((row.spend || 0) * 1e6), "number"),
      cell(row.ctr === null || row.ctr === undefined ? "" : percent.format(row.ctr), "number"),
      cell(row.cpc === null || row.cpc === undefined ? "" : dollars(row.cpc * 1e6), "number"),
    );
    return tr;
  }));
}

// A new campaign: its image uploaded first (POST /v1/upload), then the
// campaign, its ad group and its ad in one POST /v1/campaigns.
async function v1Post(path, body, headers = {}) {
  const response = await fetch(path, {
    method: "POST",
    headers: { ...DASHBOARD, ...headers },
    body,
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(message(data, `HTTP ${response.status}`));
  return data;
}

function micros(dollarsText) {
  return Math.round(Number(dollarsText) * 1e6);
}

$("campaign-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("campaign-form-error").textContent = "";
  $("campaign-form-status").textContent = "Creating…";
  try {
    let fileId = null;
    const image = $("c-image").files[0];
    if (image) {
      const form = new FormData();
      form.append("file", image);
      fileId = (await v1Post("/v1/upload", form)).file_id;
    }
    const creative = {
      type: "chat_card",
      title: $("c-title").value.trim(),
      body: $("c-body").value.trim(),
      target_url: $("c-url").value.trim(),
    };
    if ($("c-cta").value.trim()) creative.cta_text = $("c-cta").value.trim();
    if (fileId) creative.file_id = fileId;
    const campaign = {
      name: $("c-name").value.trim(),
      budget: { lifetime_spend_limit_micros: micros($("c-budget").value) },
      ad_groups: [{
        name: $("c-name").value.trim(),
        context_hints: $("c-hints").value.split(",").map((hint) => hint.trim()).filter(Boolean),
        bidding_config: { max_bid_micros: micros($("c-bid").value) },
        ads: [{ creative }],
      }],
    };
    if ($("c-start").value) {
      const start = Date.parse(`${$("c-start").value}T00:00:00Z`) / 1000;
      campaign.start_time = Math.max(start, Math.ceil(Date.now() / 1000) + 60);
    }
    const created = await v1Post("/v1/campaigns", JSON.stringify(campaign), {
      "content-type": "application/json",
      "idempotency-key": `dashboard-${crypto.randomUUID()}`,
    });
    $("campaign-form").reset();
    $("campaign-form-status").textContent = `Created "${created.name}": paused until review approves it, then activate it.`;
    await loadCampaigns();
  } catch (error) {
    $("campaign-form-status").textContent = "";
    $("campaign-form-error").textContent = error.message;
  }
});

$("insights-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadInsights();
});
$("metric").addEventListener("change", () => loadInsights());

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("sign-in-error").textContent = "";
  const token = $("token").value.trim();
  let response;
  try {
    response = await fetch("/dashboard/session", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
      credentials: "same-origin",
    });
  } catch {
    $("sign-in-error").textContent = "The server cannot be reached.";
    return;
  }
  if (response.status !== 204) {
    const body = await response.json().catch(() => null);
    $("sign-in-error").textContent = message(body, `Sign-in failed (HTTP ${response.status}).`);
    return;
  }
  $("token").value = "";
  await loadCampaigns();
});

$("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("password-error").textContent = "";
  let response;
  try {
    response = await fetch("/api/v1/auth/session", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: $("email").value.trim(), password: $("password").value }),
      credentials: "same-origin",
    });
  } catch {
    $("password-error").textContent = "The server cannot be reached.";
    return;
  }
  if (response.status !== 204) {
    const body = await response.json().catch(() => null);
    $("password-error").textContent = message(body, `Sign-in failed (HTTP ${response.status}).`);
    return;
  }
  $("password").value = "";
  await loadCampaigns();
});

$("sign-out").addEventListener("click", async () => {
  await fetch("/dashboard/session", { method: "DELETE", credentials: "same-origin" }).catch(() => {});
  show("sign-in");
});

loadCampaigns();
