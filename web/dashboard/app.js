// The advertiser dashboard: sign in with a dashboard token (kept by the
// server in an HttpOnly cookie), then the organization's API key (the
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
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(micros / 1e6);
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
    );
    return row;
  });
  $("campaigns-table").querySelector("tbody").replaceChildren(...rows);
  $("campaigns-table").hidden = rows.length === 0;
  $("campaigns-empty").hidden = rows.length !== 0;
  await loadKeys();
}

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

$("sign-out").addEventListener("click", async () => {
  await fetch("/dashboard/session", { method: "DELETE", credentials: "same-origin" }).catch(() => {});
  show("sign-in");
});

loadCampaigns();
