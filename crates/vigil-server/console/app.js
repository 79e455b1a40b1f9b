// Vigil's console: a small hash-routed page over /console/api (session cookie + CSRF token).
// No framework, no build step, nothing fetched from elsewhere.
"use strict";

const state = { csrf: null, session: null };
const main = () => document.getElementById("main");

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

async function api(path, body) {
  const r = await fetch("/console/api/call" + path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": state.csrf || "" },
    body: JSON.stringify(body || {}),
  });
  const data = await r.json().catch(() => ({}));
  if (r.status === 401) { state.session = null; location.hash = "#/signin"; throw new Error("signed out"); }
  if (!r.ok) throw new Error((r.headers.get("x-amzn-errortype") || r.status) + ": " + (data.message || ""));
  return data;
}

async function loadSession() {
  const r = await fetch("/console/api/session");
  if (!r.ok) return null;
  const s = await r.json();
  state.session = s; state.csrf = s.csrfToken;
  return s;
}

function showWho() {
  const who = document.getElementById("who");
  const out = document.getElementById("signout");
  if (state.session) {
    who.textContent = (state.session.principal || "root") + " · " + state.session.account + " · " + state.session.region;
    out.hidden = false;
  } else { who.textContent = ""; out.hidden = true; }
}

function params() {
  const q = location.hash.split("?")[1] || "";
  return new URLSearchParams(q);
}

function signinPage() {
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "signin", "aria-label": "Sign in" },
    el("h1", { text: "Sign in" }),
    el("label", {}, "Account", el("input", { name: "account", required: true, autocomplete: "organization" })),
    el("label", {}, "User name", el("input", { name: "name", required: true, autocomplete: "username" })),
    el("label", {}, "Password", el("input", { name: "password", type: "password", required: true, autocomplete: "current-password" })),
    el("button", { type: "submit", text: "Sign in" }),
    error);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const r = await fetch("/console/api/signin", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ account: f.get("account"), name: f.get("name"), password: f.get("password") }),
    });
    if (!r.ok) { error.textContent = r.status === 429 ? "Too many failed attempts; try again later." : "The credentials are not valid."; return; }
    const s = await r.json();
    state.session = s; state.csrf = s.csrfToken; showWho();
    location.hash = "#/findings";
  });
  main().replaceChildren(form);
}

const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED"];

// the filter bar's values as inspector2 filterCriteria
function criteria(p) {
  const c = {};
  if (p.get("severity")) c.severity = [{ comparison: "EQUALS", value: p.get("severity") }];
  if (p.get("status")) c.findingStatus = [{ comparison: "EQUALS", value: p.get("status") }];
  if (p.get("cve")) c.vulnerabilityId = [{ comparison: "EQUALS", value: p.get("cve") }];
  if (p.get("resource")) c.resourceId = [{ comparison: "EQUALS", value: p.get("resource") }];
  return c;
}

async function findingsPage() {
  const p = params();
  const select = (name, label, values) => el("label", {}, label,
    el("select", { name }, el("option", { value: "", text: "Any" }),
      ...values.map((v) => el("option", { value: v, text: v, selected: p.get(name) === v }))));
  const form = el("form", { class: "filters", role: "search", "aria-label": "Filter findings" },
    select("severity", "Severity", SEVERITIES),
    select("status", "Status", ["ACTIVE", "SUPPRESSED", "CLOSED"]),
    el("label", {}, "Vulnerability", el("input", { name: "cve", value: p.get("cve") || "", placeholder: "CVE-…" })),
    el("label", {}, "Resource", el("input", { name: "resource", value: p.get("resource") || "" })),
    el("button", { type: "submit", text: "Filter" }),
    el("button", { type: "button", class: "secondary", id: "suppress", text: "Suppress matching findings…" }));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
    location.hash = "#/findings?" + q.toString();
  });
  const status = el("p", { class: "muted", id: "count", "aria-live": "polite" });
  const table = el("table", { "aria-label": "Findings" },
    el("thead", {}, el("tr", {}, ...["Severity", "Score", "Vulnerability", "Package", "Resource", "Status"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody"));
  const more = el("button", { type: "button", class: "secondary", hidden: true, text: "More" });
  main().replaceChildren(el("h1", { text: "Findings" }), form, status, table, more);
  form.querySelector("#suppress").addEventListener("click", async () => {
    const c = criteria(p);
    if (Object.keys(c).length === 0) { status.textContent = "Choose a filter first: a rule suppresses what the filter matches."; return; }
    const name = prompt("Name of the suppression rule", "suppressed-from-console");
    if (!name) return;
    const reason = prompt("Reason (recorded with the rule)", "") || undefined;
    try {
      await api("/filters/create", { name, action: "SUPPRESS", reason, filterCriteria: c });
      location.hash = "#/findings?" + new URLSearchParams({ ...Object.fromEntries(p), status: "ACTIVE" }).toString();
      if (p.get("status") === "ACTIVE") findingsPage();
    } catch (e) { status.textContent = e.message; }
  });
  let token;
  let shown = 0;
  const body = table.querySelector("tbody");
  const page = async () => {
    const answer = await api("/findings/list", { filterCriteria: criteria(p), maxResults: 50, nextToken: token,
      sortCriteria: { field: "INSPECTOR_SCORE", sortOrder: "DESC" } });
    for (const f of answer.findings) {
      const pkg = (f.packageVulnerabilityDetails && f.packageVulnerabilityDetails.vulnerablePackages || [])[0] || {};
      const vuln = f.packageVulnerabilityDetails ? f.packageVulnerabilityDetails.vulnerabilityId : f.type;
      const res = (f.resources || [])[0] || {};
      body.append(el("tr", {},
        el("td", { class: "sev sev-" + f.severity, text: f.severity }),
        el("td", { text: f.inspectorScore === undefined ? "" : String(f.inspectorScore) }),
        el("td", {}, el("a", { href: "#/finding?arn=" + encodeURIComponent(f.findingArn), text: vuln })),
        el("td", { text: pkg.name ? pkg.name + " " + (pkg.version || "") : "" }),
        el("td", { text: res.id || "" }),
        el("td", { text: f.status })));
    }
    shown += answer.findings.length;
    token = answer.nextToken;
    more.hidden = !token;
    status.textContent = shown + (token ? "+" : "") + " findings";
  };
  more.addEventListener("click", page);
  try { await page(); } catch (e) { status.textContent = e.message; }
}

async function findingPage() {
  const arn = params().get("arn");
  const answer = await api("/findings/list", { filterCriteria: { findingArn: [{ comparison: "EQUALS", value: arn }] } });
  const f = answer.findings[0];
  if (!f) { main().replaceChildren(el("p", { class: "error", text: "No such finding." })); return; }
  const d = f.packageVulnerabilityDetails || {};
  const pkgs = (d.vulnerablePackages || []).map((p) => p.name + " " + p.version + (p.fixedInVersion ? " → " + p.fixedInVersion : "") + (p.filePath ? " (" + p.filePath + ")" : "")).join("; ");
  const adjusted = ((f.inspectorScoreDetails || {}).adjustedCvss || {});
  const rows = [
    ["Severity", f.severity], ["Status", f.status], ["Vigil score", f.inspectorScore],
    ["Score", (adjusted.scoreSource || "") + " " + (adjusted.cvssSource || "") + " " + (adjusted.scoringVector || "")],
    ["Adjustments", (adjusted.adjustments || []).map((a) => a.metric + ": " + a.reason).join("; ") || "none"],
    ["Vulnerability", d.vulnerabilityId], ["Packages", pkgs],
    ["Remediation", ((f.remediation || {}).recommendation || {}).text],
    ["Resource", (f.resources || []).map((r) => r.type + " " + r.id).join(", ")],
    ["First seen", new Date(f.firstObservedAt * 1000).toISOString()],
    ["References", (d.referenceUrls || []).join(" ")],
  ];
  main().replaceChildren(
    el("p", {}, el("a", { href: "#/findings", text: "← Findings" })),
    el("h1", { text: f.title }),
    el("p", { text: f.description }),
    el("dl", {}, ...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v === undefined || v === null ? "" : String(v) })])));
}

// the criteria of a rule in words: `severity = HIGH; vulnerabilityId = CVE-…`
function describeCriteria(c) {
  return Object.entries(c || {}).map(([k, list]) =>
    k + " " + (list || []).map((x) => (x.comparison === "EQUALS" ? "= " : x.comparison ? x.comparison.toLowerCase() + " " : "") +
      (x.value !== undefined ? x.value : JSON.stringify(x))).join(" or ")).join("; ");
}

async function rulesPage() {
  const status = el("p", { class: "muted", id: "rules-count", "aria-live": "polite" });
  const table = el("table", { "aria-label": "Suppression rules" },
    el("thead", {}, el("tr", {}, ...["Name", "Suppresses", "Criteria", "Reason", ""].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody"));
  main().replaceChildren(el("h1", { text: "Suppression rules" }), status, table);
  const answer = await api("/filters/list", { action: "SUPPRESS", maxResults: 100 });
  const body = table.querySelector("tbody");
  for (const f of answer.filters) {
    const remove = el("button", { type: "button", class: "secondary", text: "Delete", "aria-label": "Delete rule " + f.name });
    remove.addEventListener("click", async () => {
      if (!confirm("Delete the rule " + f.name + "? Its findings become active again.")) return;
      await api("/filters/delete", { arn: f.arn });
      rulesPage();
    });
    const counted = f.vigilSuppressedFindings === undefined ? "" : String(f.vigilSuppressedFindings);
    body.append(el("tr", {},
      el("td", { text: f.name }),
      el("td", { class: "suppressed", text: counted }),
      el("td", {}, el("pre", { text: describeCriteria(f.criteria) })),
      el("td", { text: f.reason || "" }),
      el("td", {}, remove)));
  }
  status.textContent = answer.filters.length + " rules";
}

async function resourcesPage() {
  const status = el("p", { class: "muted", id: "resources-count", "aria-live": "polite" });
  const table = el("table", { "aria-label": "Resources" },
    el("thead", {}, el("tr", {}, ...["Resource", "Type", "Coverage", "Last scanned", "SBOM"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody"));
  main().replaceChildren(el("h1", { text: "Resources" }), status, table);
  const body = table.querySelector("tbody");
  let token;
  let n = 0;
  do {
    const answer = await api("/coverage/list", { maxResults: 200, nextToken: token });
    for (const r of answer.coveredResources) {
      const download = (format) => {
        const label = format === "SPDX" ? "SPDX" : "CycloneDX";
        const b = el("button", { type: "button", class: "secondary", text: label,
          "aria-label": "Download the " + label + " SBOM of " + r.resourceId });
        b.addEventListener("click", async () => {
          const sbom = await api("/vigil/v1/resources/sbom", { resourceId: r.resourceId, format });
          const blob = new Blob([JSON.stringify(sbom.document, null, 2)], { type: "application/json" });
          const a = el("a", { href: URL.createObjectURL(blob),
            download: r.resourceId.replace(/[^A-Za-z0-9._-]+/g, "_") + (format === "SPDX" ? ".spdx.json" : ".cdx.json") });
          document.body.append(a); a.click(); a.remove();
          setTimeout(() => URL.revokeObjectURL(a.href), 1000);
        });
        return b;
      };
      const scan = r.scanStatus || {};
      body.append(el("tr", {},
        el("td", { text: r.resourceId }),
        el("td", { text: r.resourceType }),
        el("td", { text: (scan.statusCode || "") + (scan.reason ? " (" + scan.reason + ")" : "") }),
        el("td", { text: r.lastScannedAt ? new Date(r.lastScannedAt * 1000).toISOString() : "" }),
        el("td", {}, download("CYCLONEDX"), " ", download("SPDX"))));
      n += 1;
    }
    token = answer.nextToken;
  } while (token);
  status.textContent = n + " resources";
}

async function searchPage() {
  const p = params();
  const q = p.get("q") || "";
  const form = el("form", { class: "filters", role: "search", "aria-label": "Search vulnerabilities" },
    el("label", {}, "Vulnerability id", el("input", { name: "q", value: q, placeholder: "CVE-2023-43804", required: true })),
    el("button", { type: "submit", text: "Search" }));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    location.hash = "#/search?" + new URLSearchParams({ q: new FormData(form).get("q").trim() }).toString();
  });
  const result = el("div", { id: "search-result", "aria-live": "polite" });
  main().replaceChildren(el("h1", { text: "Vulnerability search" }), form, result);
  if (!q) return;
  const answer = await api("/vulnerabilities/search", { filterCriteria: { vulnerabilityIds: [q] } });
  const v = (answer.vulnerabilities || [])[0];
  if (!v) { result.replaceChildren(el("p", { text: "Vigil does not know " + q + "." })); return; }
  const cvss = (v.cvss3 || v.cvss2 || {});
  const rows = [
    ["Id", v.id], ["Source", v.source], ["Description", v.description],
    ["CVSS", (cvss.baseScore !== undefined ? cvss.baseScore + " " : "") + (cvss.scoringVector || "")],
    ["EPSS", v.epss ? v.epss.score : ""], ["Exploited (KEV)", v.cisaData ? "yes, added " + v.cisaData.dateAdded : "no"],
    ["Related", (v.relatedVulnerabilities || []).join(", ")],
    ["References", (v.referenceUrls || []).join(" ")],
    ["Your findings", ""],
  ];
  const link = el("a", { href: "#/findings?" + new URLSearchParams({ cve: v.id }).toString(), text: "findings of " + v.id });
  const dl = el("dl", {}, ...rows.flatMap(([k, val]) => [el("dt", { text: k }), el("dd", { text: val === undefined || val === null ? "" : String(val) })]));
  dl.lastChild.append(link);
  result.replaceChildren(el("p", { text: "Vigil knows " + v.id + "." }), dl);
}

// Pages by hash path; other console scripts (settings.js, ...) add theirs before DOMContentLoaded.
const PAGES = {
  "#/signin": signinPage,
  "#/findings": findingsPage,
  "#/finding": findingPage,
  "#/rules": rulesPage,
  "#/resources": resourcesPage,
  "#/search": searchPage,
};
const DEFAULT_PAGE = "#/findings";

async function route() {
  if (!state.session) await loadSession();
  showWho();
  const path = location.hash.split("?")[0] || DEFAULT_PAGE;
  if (!state.session && path !== "#/signin") { location.hash = "#/signin"; return; }
  for (const a of document.querySelectorAll("header nav a")) {
    if (a.getAttribute("href") === path) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  try {
    await (PAGES[path] || PAGES[DEFAULT_PAGE])();
  } catch (e) {
    if (e.message !== "signed out") main().replaceChildren(el("p", { class: "error", role: "alert", text: e.message }));
  }
  main().focus();
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", () => {
  document.getElementById("signout").addEventListener("click", async () => {
    await fetch("/console/api/signout", { method: "POST" });
    state.session = null; state.csrf = null; location.hash = "#/signin";
  });
  route();
});
