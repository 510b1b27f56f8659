// The advertiser dashboard: sign in with a dashboard token (kept by the
// server in an HttpOnly cookie), then the organization's campaigns, read
// from the public Advertiser API (GET /v1/campaigns) like any client. The
// x-adspin-dashboard header is what lets /v1 accept the session cookie.

const DASHBOARD = { "x-adspin-dashboard": "1" };
const $ = (id) => document.getElementById(id);

function show(section) {
  $("sign-in").hidden = section !== "sign-in";
  $("campaigns").hidden = section !== "campaigns";
  $("sign-out").hidden = section !== "campaigns";
}

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
