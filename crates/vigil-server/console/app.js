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
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;
    else if (v !== null && v !== undefined) e.setAttribute(k, v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

// Each navigation has a generation: a page still loading when the user moves on gets a
// "stale" error from its next call instead of drawing over the newer page.
let generation = 0;
const STALE = "stale navigation";

async function api(path, body) {
  const gen = generation;
  const r = await fetch("/console/api/call" + path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": state.csrf || "" },
    body: JSON.stringify(body || {}),
  });
  const data = await r.json().catch(() => ({}));
  if (gen !== generation) throw new Error(STALE);
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
  const region = document.getElementById("region-form");
  if (state.session) {
    who.textContent = (state.session.principal || "root") + " · " + state.session.account + " · " + state.session.region;
    out.hidden = false; region.hidden = false;
    if (document.activeElement !== region.elements.region) region.elements.region.value = state.session.region;
  } else { who.textContent = ""; out.hidden = true; region.hidden = true; }
}

// findings, resources and settings are regional: the session can move to another region
async function switchRegion(ev) {
  ev.preventDefault();
  const region = ev.target.elements.region.value.trim();
  const r = await fetch("/console/api/region", { method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": state.csrf || "" }, body: JSON.stringify({ region }) });
  if (!r.ok) { main().prepend(el("p", { class: "error", role: "alert", text: "Cannot switch to " + region + "." })); return; }
  const s = await r.json();
  state.session = { ...state.session, ...s };
  route();
}

function params() {
  const q = location.hash.split("?")[1] || "";
  return new URLSearchParams(q);
}

// epoch seconds (or text) as `2026-12-02 08:04 UTC`
function when(t) {
  if (t === undefined || t === null || t === "") return "";
  const d = typeof t === "number" ? new Date(t * 1000) : new Date(t);
  if (isNaN(d)) return String(t);
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

const table = (label, headers, rows, attrs) => el("table", { "aria-label": label, ...(attrs || {}) },
  el("thead", {}, el("tr", {}, ...headers.map((h) => typeof h === "string" ? el("th", { scope: "col", text: h }) : h))),
  el("tbody", {}, ...rows));

const dl = (rows) => el("dl", {}, ...rows.filter(([, v]) => v !== undefined && v !== null && v !== "")
  .flatMap(([k, v]) => [el("dt", { text: k }), el("dd", {}, v instanceof Node ? v : String(v))]));

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
    location.hash = DEFAULT_PAGE;
  });
  main().replaceChildren(form);
}

// --- filters: the findings filter bar, its URL parameters and inspector2 filterCriteria ---

const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED"];
const eq = (value) => [{ comparison: "EQUALS", value }];

// Each filter: its URL parameter, label, input, and how it reads into / out of criteria.
const FILTERS = [
  { param: "severity", label: "Severity", options: SEVERITIES, key: "severity" },
  { param: "status", label: "Status", options: ["ACTIVE", "SUPPRESSED", "CLOSED"], key: "findingStatus" },
  { param: "type", label: "Type", options: ["PACKAGE_VULNERABILITY", "NETWORK_REACHABILITY", "CODE_VULNERABILITY"], key: "findingType" },
  { param: "cve", label: "Vulnerability", placeholder: "CVE-…", key: "vulnerabilityId" },
  { param: "title", label: "Title", key: "title" },
  { param: "resource", label: "Resource", key: "resourceId" },
  { param: "rtype", label: "Resource type", key: "resourceType",
    options: ["AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER_IMAGE", "AWS_LAMBDA_FUNCTION", "CODE_REPOSITORY"] },
  { param: "repository", label: "Repository", key: "ecrImageRepositoryName" },
  { param: "package", label: "Package", package: "name" },
  { param: "layer", label: "Image layer", package: "sourceLayerHash", placeholder: "sha256:…" },
  { param: "fix", label: "Fix available", options: ["YES", "NO", "PARTIAL"], key: "fixAvailable" },
  { param: "exploit", label: "Exploit available", options: ["YES", "NO"], key: "exploitAvailable" },
  { param: "epss", label: "EPSS at least", number: true, placeholder: "0.5" },
  { param: "account", label: "Account", key: "awsAccountId", placeholder: "123456789012" },
  { param: "tag", label: "Resource tag", placeholder: "key=value" },
];

// the filter bar's values as inspector2 filterCriteria
function criteria(p) {
  const c = {};
  const pkg = {};
  for (const f of FILTERS) {
    const v = (p.get(f.param) || "").trim();
    if (!v) continue;
    if (f.key) c[f.key] = eq(v);
    else if (f.package) pkg[f.package] = { comparison: "EQUALS", value: v };
    else if (f.param === "epss") { const n = Number(v); if (!isNaN(n)) c.epssScore = [{ lowerInclusive: n, upperInclusive: 1 }]; }
    else if (f.param === "tag") {
      const [key, ...rest] = v.split("=");
      c.resourceTags = [{ comparison: "EQUALS", key: key.trim(), value: rest.join("=").trim() }];
    }
  }
  if (Object.keys(pkg).length) c.vulnerablePackages = [pkg];
  return c;
}

// the URL parameters of criteria (a saved filter or rule), and what they cannot show
function paramsOf(c) {
  const q = new URLSearchParams();
  const left = [];
  for (const [k, list] of Object.entries(c || {})) {
    const one = (list || []).length === 1 ? list[0] : null;
    const f = FILTERS.find((f) => f.key === k);
    if (f && one && one.comparison === "EQUALS") q.set(f.param, one.value);
    else if (k === "epssScore" && one && one.lowerInclusive !== undefined && one.upperInclusive >= 1) q.set("epss", one.lowerInclusive);
    else if (k === "resourceTags" && one && one.comparison === "EQUALS") q.set("tag", one.key + "=" + one.value);
    else if (k === "vulnerablePackages" && one) {
      for (const [pk, pv] of Object.entries(one)) {
        const pf = FILTERS.find((f) => f.package === pk);
        if (pf && pv.comparison === "EQUALS") q.set(pf.param, pv.value); else left.push(k + "." + pk);
      }
    } else left.push(k);
  }
  return { q, left };
}

// the criteria of a rule in words: `severity = HIGH; vulnerabilityId = CVE-…`
function describeCriteria(c) {
  return Object.entries(c || {}).map(([k, list]) =>
    k + " " + (list || []).map((x) => {
      if (x.comparison === "EQUALS" && x.key !== undefined) return x.key + " = " + x.value;
      if (x.comparison) return (x.comparison === "EQUALS" ? "= " : x.comparison.toLowerCase() + " ") + x.value;
      if (x.lowerInclusive !== undefined) return "from " + x.lowerInclusive + " to " + x.upperInclusive;
      return Object.entries(x).map(([pk, pv]) => pk + " " + (pv.comparison === "EQUALS" ? "= " : (pv.comparison || "").toLowerCase() + " ") + pv.value).join(", ");
    }).join(" or ")).join("; ");
}

function filterFields(p, names) {
  return FILTERS.filter((f) => !names || names.includes(f.param)).map((f) => {
    const id = "f-" + f.param;
    const control = f.options
      ? el("select", { name: f.param, id }, el("option", { value: "", text: "Any" }),
        ...f.options.map((v) => el("option", { value: v, text: v, selected: p.get(f.param) === v })))
      : el("input", { name: f.param, id, value: p.get(f.param) || "", placeholder: f.placeholder || "",
        inputmode: f.number ? "decimal" : null, size: f.number ? 5 : 16 });
    return el("div", { class: "field" }, el("label", { for: id, text: f.label }), control);
  });
}

// A modal form in a <dialog> (focus stays inside; Escape cancels): resolves with the form's
// values, or null when cancelled.
function formDialog(title, fields, submit, note) {
  return new Promise((resolve) => {
    const error = el("p", { class: "error", role: "alert" });
    const form = el("form", { method: "dialog", class: "dialog-form" },
      el("h2", { text: title, id: "dialog-title" }), note ? el("p", { class: "muted", text: note }) : null,
      ...fields, error,
      el("div", { class: "actions" },
        el("button", { type: "submit", value: "ok", text: submit }),
        el("button", { type: "button", class: "secondary", value: "cancel", text: "Cancel", onclick: () => dialog.close("cancel") })));
    const dialog = el("dialog", { "aria-labelledby": "dialog-title" }, form);
    document.body.append(dialog);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!form.reportValidity()) return;
      const values = Object.fromEntries(new FormData(form));
      dialog.returnValue = "ok";
      dialog.close("ok");
      resolve(values);
    });
    dialog.addEventListener("close", () => { if (dialog.returnValue !== "ok") resolve(null); dialog.remove(); });
    dialog.showModal();
  });
}

const textField = (name, label, value, attrs) => el("label", {}, label,
  el("input", { name, value: value || "", ...(attrs || {}) }));

// --- findings ---

const SORTABLE = { Severity: "SEVERITY", Score: "INSPECTOR_SCORE", Vulnerability: "VULNERABILITY_ID",
  Status: "FINDING_STATUS", EPSS: "EPSS_SCORE", "First seen": "FIRST_OBSERVED_AT" };

const GROUPS = {
  vulnerability: { label: "Vulnerability", type: "TITLE", member: "titleAggregation",
    cols: ["Vulnerability", "Title"], row: (a) => [a.vulnerabilityId || "—", a.title],
    link: (a) => (a.vulnerabilityId ? { cve: a.vulnerabilityId } : { title: a.title }) },
  package: { label: "Package", type: "PACKAGE", member: "packageAggregation",
    cols: ["Package"], row: (a) => [a.packageName], link: (a) => ({ package: a.packageName }) },
  host: { label: "Host", type: "AWS_EC2_INSTANCE", member: "ec2InstanceAggregation",
    cols: ["Host", "Operating system"], row: (a) => [a.instanceId, a.operatingSystem], link: (a) => ({ resource: a.instanceId }) },
  image: { label: "Image", type: "AWS_ECR_CONTAINER", member: "awsEcrContainerAggregation",
    cols: ["Image", "Repository", "Tags"], row: (a) => [a.resourceId, a.repository, (a.imageTags || []).join(", ")], link: (a) => ({ resource: a.resourceId }) },
  repository: { label: "Repository", type: "REPOSITORY", member: "repositoryAggregation",
    cols: ["Repository", "Images"], row: (a) => [a.repository, a.affectedImages], link: (a) => ({ repository: a.repository }) },
  layer: { label: "Image layer", type: "IMAGE_LAYER", member: "imageLayerAggregation",
    cols: ["Layer", "Image", "Repository"], row: (a) => [a.layerHash, a.resourceId, a.repository], link: (a) => ({ resource: a.resourceId, layer: a.layerHash }) },
  function: { label: "Function", type: "AWS_LAMBDA_FUNCTION", member: "lambdaFunctionAggregation",
    cols: ["Function", "Runtime"], row: (a) => [a.functionName || a.resourceId, a.runtime], link: (a) => ({ resource: a.resourceId }) },
};

function findingsUrl(extra) {
  return "#/findings?" + new URLSearchParams(extra).toString();
}

async function saveFilterDialog(c, action, status) {
  const suppress = action === "SUPPRESS";
  const values = await formDialog(suppress ? "Suppress matching findings" : "Save this filter",
    [textField("name", "Name", suppress ? "" : "", { required: true, maxlength: 128, autofocus: true }),
     textField("description", "Description", "", { maxlength: 512 }),
     suppress ? textField("reason", "Reason (recorded with the rule)", "", { maxlength: 512 }) : null],
    suppress ? "Create rule" : "Save filter",
    "Criteria: " + describeCriteria(c));
  if (!values) return null;
  try {
    return await api("/filters/create", { name: values.name, action, description: values.description || undefined,
      reason: values.reason || undefined, filterCriteria: c });
  } catch (e) { status.textContent = e.message; return null; }
}

async function findingsPage() {
  const p = params();
  const form = el("form", { class: "filters", role: "search", "aria-label": "Filter findings" },
    ...filterFields(p),
    el("div", { class: "field" }, el("label", { for: "f-group", text: "Group by" }), el("select", { name: "group", id: "f-group" }, el("option", { value: "", text: "No grouping" }),
      ...Object.entries(GROUPS).map(([k, g]) => el("option", { value: k, text: g.label, selected: p.get("group") === k })))),
    el("button", { type: "submit", text: "Filter" }),
    el("a", { href: "#/findings", class: "button-link", text: "Clear" }));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
    if (p.get("sort")) q.set("sort", p.get("sort"));
    location.hash = "#/findings?" + q.toString();
  });
  const status = el("p", { class: "muted", id: "count", "aria-live": "polite" });
  const actions = el("div", { class: "actions" },
    el("button", { type: "button", class: "secondary", id: "suppress", text: "Suppress matching findings…" }),
    el("button", { type: "button", class: "secondary", id: "save-filter", text: "Save filter…" }));
  const c = criteria(p);
  actions.querySelector("#suppress").addEventListener("click", async () => {
    if (Object.keys(c).length === 0) { status.textContent = "Choose a filter first: a rule suppresses what the filter matches."; return; }
    if (await saveFilterDialog(c, "SUPPRESS", status)) {
      const q = new URLSearchParams(p); q.set("status", "ACTIVE");
      if (p.get("status") === "ACTIVE") findingsPage(); else location.hash = "#/findings?" + q.toString();
    }
  });
  actions.querySelector("#save-filter").addEventListener("click", async () => {
    if (Object.keys(c).length === 0) { status.textContent = "Choose a filter first."; return; }
    if (await saveFilterDialog(c, "NONE", status)) status.textContent = "Saved; it is listed under Rules and filters.";
  });
  main().replaceChildren(el("h1", { text: "Findings" }), form, actions, status);
  if (p.get("group") && GROUPS[p.get("group")]) return groupedView(p, GROUPS[p.get("group")], status);

  const [sortField, sortOrder] = (p.get("sort") || "INSPECTOR_SCORE:DESC").split(":");
  const header = (h) => {
    const field = SORTABLE[h];
    if (!field) return el("th", { scope: "col", text: h });
    const active = field === sortField;
    const next = active && sortOrder === "DESC" ? "ASC" : "DESC";
    const q = new URLSearchParams(p); q.set("sort", field + ":" + next);
    return el("th", { scope: "col", "aria-sort": active ? (sortOrder === "DESC" ? "descending" : "ascending") : null },
      el("a", { href: "#/findings?" + q.toString(), class: "sort", text: h + (active ? (sortOrder === "DESC" ? " ▼" : " ▲") : ""),
        "aria-label": "Sort by " + h + (next === "DESC" ? ", highest first" : ", lowest first") }));
  };
  const list = table("Findings", ["Severity", "Score", "Vulnerability", "Package", "Resource", "Status", "EPSS", "First seen"].map(header), []);
  const more = el("button", { type: "button", class: "secondary", hidden: true, text: "More" });
  main().append(list, more);
  let token;
  let shown = 0;
  const body = list.querySelector("tbody");
  const page = async () => {
    const answer = await api("/findings/list", { filterCriteria: c, maxResults: 50, nextToken: token,
      sortCriteria: { field: sortField, sortOrder: sortOrder === "ASC" ? "ASC" : "DESC" } });
    for (const f of answer.findings) {
      const pkg = (f.packageVulnerabilityDetails && f.packageVulnerabilityDetails.vulnerablePackages || [])[0] || {};
      const vuln = f.packageVulnerabilityDetails ? f.packageVulnerabilityDetails.vulnerabilityId : f.title || f.type;
      const res = (f.resources || [])[0] || {};
      body.append(el("tr", {},
        el("td", { class: "sev sev-" + f.severity, text: f.severity }),
        el("td", { text: f.inspectorScore === undefined || f.inspectorScore === null ? "—" : String(f.inspectorScore) }),
        el("td", {}, el("a", { href: "#/finding?arn=" + encodeURIComponent(f.findingArn), text: vuln })),
        el("td", { text: pkg.name ? pkg.name + " " + (pkg.version || "") : "" }),
        el("td", { text: res.id || "" }),
        el("td", { text: f.status }),
        el("td", { text: f.epss ? String(f.epss.score) : "" }),
        el("td", { text: when(f.firstObservedAt) })));
    }
    shown += answer.findings.length;
    token = answer.nextToken;
    more.hidden = !token;
    status.textContent = shown + (token ? "+" : "") + " findings";
  };
  more.addEventListener("click", page);
  try { await page(); } catch (e) { if (e.message !== STALE) status.textContent = e.message; }
}

// findings grouped by ListFindingAggregations (open findings, as Inspector counts them)
async function groupedView(p, g, status) {
  const request = { sortBy: "CRITICAL", sortOrder: "DESC" };
  if (g.type === "TITLE" && p.get("cve")) request.vulnerabilityIds = eq(p.get("cve"));
  if (g.type === "PACKAGE" && p.get("package")) request.packageNames = eq(p.get("package"));
  if (p.get("resource") && ["AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER", "IMAGE_LAYER", "AWS_LAMBDA_FUNCTION"].includes(g.type)) request.resourceIds = eq(p.get("resource"));
  if (g.type === "REPOSITORY" && p.get("repository")) request.repositories = eq(p.get("repository"));
  const list = table("Findings by " + g.label.toLowerCase(), [...g.cols, "Critical", "High", "Medium", "All open", ""], [], { class: "grouped" });
  const more = el("button", { type: "button", class: "secondary", hidden: true, text: "More" });
  main().append(el("p", { class: "muted", text: "Open findings grouped by " + g.label.toLowerCase() + ", most critical first." }), list, more);
  let token; let n = 0;
  const page = async () => {
    const answer = await api("/findings/aggregation/list", { aggregationType: g.type,
      aggregationRequest: { [g.member]: request }, maxResults: 50, nextToken: token });
    for (const r of answer.responses || []) {
      const a = r[g.member] || {};
      const counts = a.severityCounts || {};
      const q = { ...Object.fromEntries(p), ...g.link(a) }; delete q.group; q.status = "ACTIVE";
      list.querySelector("tbody").append(el("tr", {},
        ...g.row(a).map((v) => el("td", { text: v === undefined || v === null ? "" : String(v) })),
        el("td", { class: "sev sev-CRITICAL", text: String(counts.critical || 0) }),
        el("td", { class: "sev sev-HIGH", text: String(counts.high || 0) }),
        el("td", { class: "sev sev-MEDIUM", text: String(counts.medium || 0) }),
        el("td", { text: String(counts.all || 0) }),
        el("td", {}, el("a", { href: findingsUrl(q), text: "Findings", "aria-label": "Findings of " + g.row(a)[0] }))));
      n += 1;
    }
    token = answer.nextToken;
    more.hidden = !token;
    status.textContent = n + (token ? "+" : "") + " groups";
  };
  more.addEventListener("click", page);
  try { await page(); } catch (e) { if (e.message !== STALE) status.textContent = e.message; }
}

// The command that installs the fixed version, by the package's manager and ecosystem.
function remediationCommand(pkg, ecosystem) {
  const name = pkg.name; const fixed = pkg.fixedInVersion;
  if (!name || !fixed || fixed === "NotAvailable") return null;
  const eco = (ecosystem || "").toLowerCase();
  switch (pkg.packageManager) {
    case "OS":
      if (/debian|ubuntu|deb/.test(eco)) return "apt-get update && apt-get install --only-upgrade " + name + "=" + fixed;
      if (/alpine|apk|wolfi|chainguard/.test(eco)) return "apk add --upgrade '" + name + ">=" + fixed + "'";
      if (/red hat|rhel|rocky|alma|fedora|amazon|oracle|suse|rpm|centos|mariner|azure/.test(eco)) return "dnf upgrade '" + name + "-" + fixed.replace(/^\d+:/, "") + "'";
      return null;
    case "PYTHONPKG": case "PIP": return "pip install '" + name + ">=" + fixed + "'";
    case "POETRY": return "poetry add '" + name + "@>=" + fixed + "'";
    case "PIPENV": return "pipenv install '" + name + ">=" + fixed + "'";
    case "NPM": case "NODEPKG": return "npm install " + name + "@" + fixed;
    case "YARN": return "yarn upgrade " + name + "@" + fixed;
    case "CARGO": return "cargo update -p " + name + " --precise " + fixed;
    case "GOMOD": case "GOBINARY": return "go get " + name + "@v" + fixed.replace(/^v/, "") + " && go mod tidy";
    case "BUNDLER": case "GEMSPEC": return "bundle update --conservative " + name + "  # to " + fixed + " or later";
    case "COMPOSER": return "composer require '" + name + ":^" + fixed + "'";
    case "NUGET": case "DOTNET_CORE": return "dotnet add package " + name + " --version " + fixed;
    case "JAR": { const [g, a] = name.split(":"); return a ? "<dependency><groupId>" + g + "</groupId><artifactId>" + a + "</artifactId><version>" + fixed + "</version></dependency>" : null; }
    default: return null;
  }
}

async function findingPage() {
  const arn = params().get("arn");
  const answer = await api("/findings/list", { filterCriteria: { findingArn: eq(arn) } });
  const f = answer.findings[0];
  if (!f) { main().replaceChildren(el("p", { class: "error", text: "No such finding." })); return; }
  const d = f.packageVulnerabilityDetails || {};
  const vigil = f.vigil || {};
  const adjusted = ((f.inspectorScoreDetails || {}).adjustedCvss || {});
  const sections = [];
  sections.push(el("section", { "aria-labelledby": "h-summary" }, el("h2", { id: "h-summary", text: "Summary" }), dl([
    ["Severity", el("span", { class: "sev sev-" + f.severity, text: f.severity })], ["Status", f.status +
      (vigil.suppression ? " (by rule " + vigil.suppression.filterArn.split("/").pop() + (vigil.suppression.reason ? ": " + vigil.suppression.reason : "") + ")" : "")],
    ["Vigil score", f.inspectorScore], ["Vulnerability", d.vulnerabilityId], ["Source", d.source],
    ["Related", (d.relatedVulnerabilities || []).join(", ")],
    ["Exploit available", f.exploitAvailable + (f.exploitabilityDetails ? " (CISA KEV; last known exploit " + when(f.exploitabilityDetails.lastKnownExploitAt) + ")" : "")],
    ["EPSS", f.epss ? f.epss.score + " (probability of exploitation in the next 30 days)" : ""],
    ["Fix available", f.fixAvailable], ["First seen", when(f.firstObservedAt)], ["Last seen", when(f.lastObservedAt)],
    ["Updated", when(f.updatedAt)], ["Account", f.awsAccountId],
  ])));
  // score: every CVSS vector, the one Vigil scored from, and each adjustment with its reason
  const cvss = d.cvss || [];
  sections.push(el("section", { "aria-labelledby": "h-score" }, el("h2", { id: "h-score", text: "Score" }),
    cvss.length ? table("CVSS vectors", ["Source", "Version", "Base score", "Vector"], cvss.map((c) =>
      el("tr", {}, el("td", { text: c.source || "" }), el("td", { text: c.version || "" }), el("td", { text: String(c.baseScore) }), el("td", {}, el("code", { text: c.scoringVector || "" }))))) : null,
    dl([["Vigil score", f.inspectorScore !== undefined ? f.inspectorScore + " from " + (adjusted.cvssSource || "") + " CVSS " + (adjusted.version || "") + " (" + (adjusted.scoreSource || "") + ")" : ""],
      ["Scored vector", adjusted.scoringVector ? el("code", { text: adjusted.scoringVector }) : ""]]),
    (adjusted.adjustments || []).length
      ? table("Score adjustments", ["Metric", "Reason"], adjusted.adjustments.map((a) => el("tr", {}, el("td", { text: a.metric }), el("td", { text: a.reason }))))
      : el("p", { class: "muted", text: "No adjustments: the score is the vector's base score." })));
  // the package and where it lives
  const pkgs = d.vulnerablePackages || [];
  if (pkgs.length) {
    sections.push(el("section", { "aria-labelledby": "h-pkg" }, el("h2", { id: "h-pkg", text: "Package and remediation" }),
      table("Vulnerable packages", ["Package", "Installed", "Fixed in", "Manager", "Path", "Layer", "Command"], pkgs.map((p) => {
        const cmd = remediationCommand(p, vigil.ecosystem);
        return el("tr", {}, el("td", { text: p.name }), el("td", { text: [p.epoch ? p.epoch + ":" : "", p.version, p.release ? "-" + p.release : ""].join("") }),
          el("td", { text: p.fixedInVersion || "" }), el("td", { text: p.packageManager || "" }), el("td", { text: p.filePath || "" }),
          el("td", {}, p.sourceLayerHash ? el("code", { text: p.sourceLayerHash }) : ""), el("td", {}, cmd ? el("code", { class: "command", text: cmd }) : "—"));
      })),
      dl([["Recommendation", ((f.remediation || {}).recommendation || {}).text]])));
  } else if (f.remediation) {
    sections.push(el("section", {}, el("h2", { text: "Remediation" }), el("p", { text: ((f.remediation || {}).recommendation || {}).text || "" })));
  }
  // network reachability: the path from the internet to the port
  const net = f.networkReachabilityDetails;
  if (net) {
    const steps = ((net.networkPath || {}).steps || []);
    sections.push(el("section", { "aria-labelledby": "h-net" }, el("h2", { id: "h-net", text: "Network path" }),
      dl([["Protocol", net.protocol], ["Open ports", net.openPortRange ? net.openPortRange.begin + "–" + net.openPortRange.end : ""]]),
      el("ol", { class: "path", "aria-label": "Network path, from the internet to the host" },
        el("li", { text: "Internet" }), ...steps.map((s) => el("li", {}, el("span", { class: "muted", text: s.componentType + " " }), s.componentId)))));
  }
  sections.push(el("section", { "aria-labelledby": "h-res" }, el("h2", { id: "h-res", text: "Resource" }),
    table("Resources", ["Type", "Id", "Region", "Details"], (f.resources || []).map((r) => el("tr", {}, el("td", { text: r.type }), el("td", { text: r.id }), el("td", { text: r.region || "" }),
      el("td", {}, el("pre", { text: r.details ? JSON.stringify(r.details, null, 1) : "" })))))));
  const history = el("section", { "aria-labelledby": "h-hist" }, el("h2", { id: "h-hist", text: "History" }));
  sections.push(history);
  const refs = [...(d.referenceUrls || []), ...(d.sourceUrl ? [d.sourceUrl] : [])];
  if (refs.length) sections.push(el("section", { "aria-labelledby": "h-refs" }, el("h2", { id: "h-refs", text: "References" }),
    el("ul", {}, ...[...new Set(refs)].map((u) => el("li", {}, /^https?:\/\//.test(u) ? el("a", { href: u, rel: "noopener noreferrer", target: "_blank", text: u }) : u)))));
  main().replaceChildren(
    el("p", {}, el("a", { href: "#/findings", text: "← Findings" })),
    el("h1", { text: f.title }),
    el("p", { class: "description", text: f.description }),
    ...sections);
  try {
    const h = await api("/vigil/v1/findings/history", { findingArn: f.findingArn });
    history.append(table("Status history", ["When", "From", "To", "Why"], (h.transitions || []).map((t) =>
      el("tr", {}, el("td", { text: when(t.at) }), el("td", { text: t.from || "—" }), el("td", { text: t.to }), el("td", { text: t.reason })))));
  } catch (e) { history.append(el("p", { class: "error", text: e.message })); }
}

// --- rules and saved filters ---

async function editFilterDialog(f, status) {
  const { q, left } = paramsOf(f.criteria);
  const fields = [
    textField("name", "Name", f.name, { required: true, maxlength: 128 }),
    textField("description", "Description", f.description, { maxlength: 512 }),
    f.action === "SUPPRESS" ? textField("reason", "Reason", f.reason, { maxlength: 512 }) : null,
    el("fieldset", {}, el("legend", { text: "Criteria" }), ...filterFields(q)),
  ];
  const values = await formDialog("Edit " + f.name, fields, "Save changes",
    left.length ? "Criteria the form cannot show are kept as they are: " + left.join(", ") : null);
  if (!values) return false;
  const c = { ...criteria(new URLSearchParams(values)) };
  for (const k of left) { const top = k.split(".")[0]; if (f.criteria[top]) c[top] = f.criteria[top]; }
  if (Object.keys(c).length === 0) { status.textContent = "A filter needs at least one criterion."; return false; }
  try {
    await api("/filters/update", { filterArn: f.arn, name: values.name, description: values.description || undefined,
      reason: f.action === "SUPPRESS" ? values.reason || undefined : undefined, filterCriteria: c });
    return true;
  } catch (e) { status.textContent = e.message; return false; }
}

async function rulesPage() {
  const status = el("p", { class: "muted", id: "rules-count", "aria-live": "polite" });
  const rules = table("Suppression rules", ["Name", "Suppresses", "Criteria", "Reason", ""], []);
  const saved = table("Saved filters", ["Name", "Criteria", "Description", ""], []);
  main().replaceChildren(el("h1", { text: "Suppression rules and saved filters" }), status,
    el("h2", { text: "Suppression rules" }), rules, el("h2", { text: "Saved filters" }), saved);
  const answer = await api("/filters/list", { maxResults: 100 });
  const buttons = (f) => {
    const edit = el("button", { type: "button", class: "secondary", text: "Edit", "aria-label": "Edit " + f.name });
    edit.addEventListener("click", async () => { if (await editFilterDialog(f, status)) rulesPage(); });
    const remove = el("button", { type: "button", class: "secondary", text: "Delete", "aria-label": "Delete " + f.name });
    remove.addEventListener("click", async () => {
      const ok = await formDialog("Delete " + f.name + "?", [], "Delete",
        f.action === "SUPPRESS" ? "Its findings become active again (unless another rule suppresses them)." : null);
      if (!ok) return;
      try { await api("/filters/delete", { arn: f.arn }); rulesPage(); } catch (e) { status.textContent = e.message; }
    });
    const { q } = paramsOf(f.criteria);
    return el("td", { class: "row-actions" }, el("a", { href: "#/findings?" + q.toString(), text: "Open", "aria-label": "Open the findings of " + f.name }), " ", edit, " ", remove);
  };
  let nRules = 0; let nSaved = 0;
  for (const f of answer.filters) {
    if (f.action === "SUPPRESS") {
      nRules += 1;
      rules.querySelector("tbody").append(el("tr", {},
        el("td", { text: f.name }),
        el("td", { class: "suppressed", text: f.vigilSuppressedFindings === undefined ? "" : String(f.vigilSuppressedFindings) }),
        el("td", {}, el("pre", { text: describeCriteria(f.criteria) })),
        el("td", { text: f.reason || "" }), buttons(f)));
    } else {
      nSaved += 1;
      saved.querySelector("tbody").append(el("tr", {},
        el("td", { text: f.name }), el("td", {}, el("pre", { text: describeCriteria(f.criteria) })),
        el("td", { text: f.description || "" }), buttons(f)));
    }
  }
  status.textContent = nRules + " rules, " + nSaved + " saved filters";
}

// --- resources ---

function sbomButtons(resourceId) {
  const download = (format) => {
    const label = format === "SPDX" ? "SPDX" : "CycloneDX";
    const b = el("button", { type: "button", class: "secondary", text: label,
      "aria-label": "Download the " + label + " SBOM of " + resourceId });
    b.addEventListener("click", async () => {
      const sbom = await api("/vigil/v1/resources/sbom", { resourceId, format });
      const blob = new Blob([JSON.stringify(sbom.document, null, 2)], { type: "application/json" });
      const a = el("a", { href: URL.createObjectURL(blob),
        download: resourceId.replace(/[^A-Za-z0-9._-]+/g, "_") + (format === "SPDX" ? ".spdx.json" : ".cdx.json") });
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    });
    return b;
  };
  return el("td", { class: "row-actions" }, download("CYCLONEDX"), " ", download("SPDX"));
}

const coverageText = (r) => { const s = r.scanStatus || {}; return (s.statusCode || "") + (s.reason ? " (" + s.reason + ")" : ""); };

async function resourcesPage() {
  const status = el("p", { class: "muted", id: "resources-count", "aria-live": "polite" });
  main().replaceChildren(el("h1", { text: "Resources" }), status);
  const all = [];
  let token;
  do {
    const answer = await api("/coverage/list", { maxResults: 200, nextToken: token });
    all.push(...answer.coveredResources);
    token = answer.nextToken;
  } while (token);
  const findingsLink = (id) => el("a", { href: findingsUrl({ resource: id, status: "ACTIVE" }), text: "Findings", "aria-label": "Findings of " + id });
  const hosts = all.filter((r) => r.resourceType === "AWS_EC2_INSTANCE");
  const images = all.filter((r) => r.resourceType === "AWS_ECR_CONTAINER_IMAGE");
  const functions = all.filter((r) => r.resourceType === "AWS_LAMBDA_FUNCTION");
  const other = all.filter((r) => !["AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER_IMAGE", "AWS_LAMBDA_FUNCTION"].includes(r.resourceType));
  if (hosts.length) main().append(el("h2", { text: "Hosts" }), table("Hosts", ["Host", "Platform", "Coverage", "Last scanned", "", "SBOM"], hosts.map((r) => {
    const m = (r.resourceMetadata || {}).ec2 || {};
    return el("tr", {}, el("td", { text: r.resourceId }), el("td", { text: m.platform || "" }), el("td", { text: coverageText(r) }),
      el("td", { text: when(r.lastScannedAt) }), el("td", {}, findingsLink(r.resourceId)), sbomButtons(r.resourceId));
  })));
  if (images.length) {
    const repos = new Map();
    for (const r of images) {
      const name = (((r.resourceMetadata || {}).ecrRepository || {}).name) || "(no repository)";
      if (!repos.has(name)) repos.set(name, []);
      repos.get(name).push(r);
    }
    main().append(el("h2", { text: "Container images" }));
    for (const [name, list] of [...repos.entries()].sort()) {
      main().append(el("h3", { text: name + " (" + list.length + (list.length === 1 ? " image)" : " images)") }),
        table("Images of " + name, ["Tags", "Digest", "Pushed", "Last pulled", "Coverage", "", "SBOM"], list.map((r) => {
          const m = (r.resourceMetadata || {}).ecrImage || {};
          return el("tr", {}, el("td", { text: (m.tags || []).join(", ") || "(untagged)" }),
            el("td", {}, el("code", { text: (m.vigilImageHash || r.resourceId).replace(/^(sha256:[0-9a-f]{12}).*/, "$1…"), title: m.vigilImageHash || r.resourceId })),
            el("td", { text: when(m.vigilPushedAt) }), el("td", { text: when(m.imagePulledAt || m.lastInUseAt) }),
            el("td", { text: coverageText(r) }), el("td", {}, findingsLink(r.resourceId)), sbomButtons(r.resourceId));
        })));
    }
  }
  if (functions.length) main().append(el("h2", { text: "Functions" }), table("Functions", ["Function", "Runtime", "Coverage", "Last scanned", "", "SBOM"], functions.map((r) => {
    const m = (r.resourceMetadata || {}).lambdaFunction || {};
    return el("tr", {}, el("td", { text: m.functionName || r.resourceId }), el("td", { text: m.runtime || "" }), el("td", { text: coverageText(r) }),
      el("td", { text: when(r.lastScannedAt) }), el("td", {}, findingsLink(r.resourceId)), sbomButtons(r.resourceId));
  })));
  if (other.length) main().append(el("h2", { text: "Other resources" }), table("Other resources", ["Resource", "Type", "Coverage", "Last scanned", ""], other.map((r) =>
    el("tr", {}, el("td", { text: r.resourceId }), el("td", { text: r.resourceType }), el("td", { text: coverageText(r) }),
      el("td", { text: when(r.lastScannedAt) }), el("td", {}, findingsLink(r.resourceId))))));
  status.textContent = all.length + " resources: " + hosts.length + " hosts, " + images.length + " images, " + functions.length + " functions";
}

// --- vulnerability search ---

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
  result.replaceChildren(el("p", { text: "Vigil knows " + v.id + "." }), dl([
    ["Id", v.id], ["Source", v.source], ["Description", v.description],
    ["CVSS", (cvss.baseScore !== undefined ? cvss.baseScore + " " : "") + (cvss.scoringVector || "")],
    ["EPSS", v.epss ? v.epss.score : ""], ["Exploited (KEV)", v.cisaData ? "yes, added " + v.cisaData.dateAdded : "no"],
    ["Related", (v.relatedVulnerabilities || []).join(", ")],
    ["References", (v.referenceUrls || []).join(" ")],
    ["Your findings", el("a", { href: findingsUrl({ cve: v.id }), text: "findings of " + v.id })],
  ]));
}

// --- dashboard ---

const SEV_STYLE = {
  CRITICAL: { color: "#8a0f0f", dash: null }, HIGH: { color: "#c5221f", dash: "8 3" },
  MEDIUM: { color: "#8a5a00", dash: "3 3" }, LOW: { color: "#1f6f43", dash: "10 3 2 3" },
  INFORMATIONAL: { color: "#57606a", dash: "1 3" }, UNTRIAGED: { color: "#3f4750", dash: "6 6" },
};

// a chart, its caption, and the same figures as a table for those who would rather read
function figure(id, caption, chart, headers, rows) {
  return el("figure", { class: "chart", "aria-labelledby": id },
    el("figcaption", { id, text: caption }), chart,
    el("details", {}, el("summary", { text: "Data table" }), table(caption, headers, rows.map((r) => el("tr", {}, ...r.map((v) => el("td", { text: String(v) })))))));
}

function niceMax(v) {
  if (v <= 5) return 5;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function yAxis(g, max, x0, x1, y0, y1) {
  for (let i = 0; i <= 5; i++) {
    const v = max * i / 5; const y = y0 - (y0 - y1) * i / 5;
    g.append(svg("line", { x1: x0, x2: x1, y1: y, y2: y, class: "grid" }),
      svg("text", { x: x0 - 6, y: y + 4, "text-anchor": "end", class: "axis", text: Number.isInteger(v) ? String(v) : v.toFixed(1) }));
  }
}

function lineChart(label, points, keys) {
  const W = 760, H = 240, L = 48, R = 150, T = 12, B = 28;
  const max = niceMax(Math.max(1, ...points.flatMap((p) => keys.map((k) => p[k]))));
  const x = (i) => L + (W - L - R) * (points.length <= 1 ? 0 : i / (points.length - 1));
  const y = (v) => H - B - (H - B - T) * v / max;
  const g = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label, class: "plot" });
  yAxis(g, max, L, W - R, H - B, T);
  points.forEach((p, i) => {
    if (i % 15 === 0 || i === points.length - 1) g.append(svg("text", { x: x(i), y: H - 8, "text-anchor": "middle", class: "axis", text: p.date.slice(5) }));
  });
  keys.forEach((k, ki) => {
    const s = SEV_STYLE[k] || SEV_STYLE.UNTRIAGED;
    g.append(svg("polyline", { points: points.map((p, i) => x(i) + "," + y(p[k])).join(" "), fill: "none", stroke: s.color,
      "stroke-width": 2, "stroke-dasharray": s.dash }));
    // the legend names each line at its end, with its pattern
    const ly = T + 14 + ki * 18;
    g.append(svg("line", { x1: W - R + 10, x2: W - R + 34, y1: ly - 4, y2: ly - 4, stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dash }),
      svg("text", { x: W - R + 38, y: ly, class: "axis", text: k.toLowerCase() + " " + points[points.length - 1][k] }));
  });
  return g;
}

function barChart(label, bars, unit) {
  const W = 760, rowH = 26, L = 120, R = 90;
  const H = bars.length * rowH + 10;
  const max = niceMax(Math.max(1, ...bars.map((b) => b.value || 0)));
  const g = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label, class: "plot" });
  bars.forEach((b, i) => {
    const y = 5 + i * rowH;
    const w = (W - L - R) * (b.value || 0) / max;
    g.append(svg("text", { x: L - 8, y: y + 16, "text-anchor": "end", class: "axis", text: b.label }),
      svg("rect", { x: L, y: y + 3, width: Math.max(w, b.value ? 1 : 0), height: rowH - 8, fill: b.color || "#0b57d0" }),
      svg("text", { x: L + w + 6, y: y + 16, class: "axis", text: b.value === null || b.value === undefined ? "no data" : b.value + unit }));
  });
  return g;
}

function weeklyChart(label, weeks) {
  const W = 760, H = 220, L = 48, R = 110, T = 12, B = 28;
  const max = niceMax(Math.max(1, ...weeks.flatMap((w) => [w.new, w.closed])));
  const band = (W - L - R) / Math.max(1, weeks.length);
  const y = (v) => H - B - (H - B - T) * v / max;
  const g = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label, class: "plot" });
  yAxis(g, max, L, W - R, H - B, T);
  weeks.forEach((w, i) => {
    const x0 = L + i * band + band * 0.15; const bw = band * 0.35;
    g.append(svg("rect", { x: x0, y: y(w.new), width: bw, height: H - B - y(w.new), fill: "#c5221f" }),
      svg("rect", { x: x0 + bw, y: y(w.closed), width: bw, height: H - B - y(w.closed), fill: "#1f6f43", stroke: "#0d3b22", "stroke-dasharray": "2 2" }));
    if (i % 2 === 0) g.append(svg("text", { x: x0 + bw, y: H - 8, "text-anchor": "middle", class: "axis", text: w.weekStart.slice(5) }));
  });
  g.append(svg("rect", { x: W - R + 10, y: T + 4, width: 14, height: 10, fill: "#c5221f" }), svg("text", { x: W - R + 30, y: T + 13, class: "axis", text: "new" }),
    svg("rect", { x: W - R + 10, y: T + 22, width: 14, height: 10, fill: "#1f6f43", stroke: "#0d3b22", "stroke-dasharray": "2 2" }), svg("text", { x: W - R + 30, y: T + 31, class: "axis", text: "closed" }));
  return g;
}

async function dashboardPage() {
  main().replaceChildren(el("h1", { text: "Dashboard" }), el("p", { class: "muted", id: "dash-status", "aria-live": "polite", text: "Loading…" }));
  const [d, risks, codes, reasons] = await Promise.all([
    api("/vigil/v1/dashboard", {}),
    api("/vigil/v1/findings/top-risks", { maxResults: 10 }),
    api("/coverage/statistics/list", { groupBy: "SCAN_STATUS_CODE" }),
    api("/coverage/statistics/list", { groupBy: "SCAN_STATUS_REASON" }),
  ]);
  const active = d.findings.ACTIVE;
  const cards = el("ul", { class: "cards", "aria-label": "Open findings by severity" },
    ...["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED"].map((s) => el("li", { class: "card" },
      el("a", { href: findingsUrl({ severity: s, status: "ACTIVE" }) },
        el("span", { class: "count sev sev-" + s, text: String(active[s]) }), el("span", { class: "card-label", text: s.toLowerCase() + " open" })))));
  const statusRow = el("p", {}, "All findings: ",
    ...["ACTIVE", "SUPPRESSED", "CLOSED"].flatMap((s, i) => [i ? " · " : "", el("a", { href: findingsUrl({ status: s }), text: d.findings[s].total + " " + s.toLowerCase() })]));
  const byCode = Object.fromEntries((codes.countsByGroup || []).map((g) => [g.groupKey, g.count]));
  const coverage = el("section", { "aria-labelledby": "h-cov", class: "panel" }, el("h2", { id: "h-cov", text: "Coverage" }),
    el("p", {}, String(codes.totalCounts) + " resources: ", el("strong", { text: String(byCode.ACTIVE || 0) }), " monitored, ",
      el("strong", { text: String(codes.totalCounts - (byCode.ACTIVE || 0)) }), " not monitored; ",
      String(((reasons.countsByGroup || []).find((g) => g.groupKey === "SUCCESSFUL") || {}).count || 0) + " scanned successfully."),
    table("Resources by scan status reason", ["Reason", "Resources"], (reasons.countsByGroup || []).sort((a, b) => b.count - a.count).map((g) =>
      el("tr", {}, el("td", { text: g.groupKey }), el("td", { text: String(g.count) })))),
    el("p", {}, el("a", { href: "#/resources", text: "All resources" })));
  const top = el("section", { "aria-labelledby": "h-top", class: "panel wide" }, el("h2", { id: "h-top", text: "Top 10 risks" }),
    (risks.topRisks || []).length ? table("Top 10 risks", ["#", "Score", "Finding", "Resource", "Why"], risks.topRisks.map((r) => el("tr", {},
      el("td", { text: String(r.rank) }), el("td", { class: "sev sev-" + r.severity, text: r.score === null || r.score === undefined ? "—" : String(r.score) }),
      el("td", {}, el("a", { href: "#/finding?arn=" + encodeURIComponent(r.findingArn), text: r.title })),
      el("td", { text: r.resourceId || "" }),
      el("td", {}, el("ul", { class: "why" }, ...(r.why || []).map((w) => el("li", { text: w }))))))) : el("p", { class: "muted", text: "No open findings." }));
  const worst = (label, id, list, name, link) => el("section", { "aria-labelledby": id, class: "panel" }, el("h2", { id, text: label }),
    list.length ? table(label, ["", "Critical", "High", "Medium", "Low", "All"], list.map((r) => el("tr", {},
      el("td", {}, el("a", { href: findingsUrl({ ...link(r), status: "ACTIVE" }), text: name(r) })),
      el("td", { text: String(r.critical) }), el("td", { text: String(r.high) }), el("td", { text: String(r.medium) }),
      el("td", { text: String(r.low) }), el("td", { text: String(r.total) })))) : el("p", { class: "muted", text: "None with open findings." }));
  const mv = d.mostVulnerable;
  const keys = ["CRITICAL", "HIGH", "MEDIUM", "LOW"].concat(d.openBySeverity.some((p) => p.INFORMATIONAL || p.UNTRIAGED) ? ["INFORMATIONAL", "UNTRIAGED"] : []);
  const charts = el("section", { "aria-labelledby": "h-trends", class: "panel wide" }, el("h2", { id: "h-trends", text: "Trends" }),
    figure("c-open", "Open findings by severity, last " + d.days + " days", lineChart("Open findings by severity per day, last " + d.days + " days", d.openBySeverity, keys),
      ["Date", ...keys], d.openBySeverity.map((p) => [p.date, ...keys.map((k) => p[k])])),
    figure("c-mttr", "Mean time to remediate (days from first seen to closed), last " + d.days + " days",
      barChart("Mean days to remediate by severity", d.meanTimeToRemediate.filter((m) => keys.includes(m.severity)).map((m) => ({ label: m.severity.toLowerCase(), value: m.meanDays, color: SEV_STYLE[m.severity].color })), " days"),
      ["Severity", "Closed", "Mean days"], d.meanTimeToRemediate.map((m) => [m.severity, m.closed, m.meanDays === null ? "—" : m.meanDays])),
    figure("c-weekly", "New and closed findings per week", weeklyChart("New and closed findings per week", d.weekly),
      ["Week of", "New", "Closed"], d.weekly.map((w) => [w.weekStart, w.new, w.closed])));
  main().replaceChildren(el("h1", { text: "Dashboard" }),
    el("p", { class: "muted", id: "dash-status", text: "Accounts " + d.accounts.join(", ") + " in " + d.region + ", as of " + when(d.generatedAt) + "." }),
    cards, statusRow,
    el("div", { class: "panels" }, coverage, top,
      worst("Most vulnerable hosts", "h-hosts", mv.hosts, (r) => r.resourceId, (r) => ({ resource: r.resourceId })),
      worst("Most vulnerable images", "h-images", mv.images, (r) => (r.repository ? r.repository + ":" + ((r.imageTags || [])[0] || "") : r.resourceId), (r) => ({ resource: r.resourceId })),
      worst("Most vulnerable repositories", "h-repos", mv.repositories, (r) => r.repository, (r) => ({ repository: r.repository })),
      worst("Most vulnerable functions", "h-fns", mv.functions, (r) => r.resourceId.split(":").slice(-2).join(":"), (r) => ({ resource: r.resourceId })),
      charts));
}

// Pages by hash path; other console scripts (settings.js, ...) add theirs before DOMContentLoaded.
const PAGES = {
  "#/signin": signinPage,
  "#/dashboard": dashboardPage,
  "#/findings": findingsPage,
  "#/finding": findingPage,
  "#/rules": rulesPage,
  "#/resources": resourcesPage,
  "#/search": searchPage,
};
const DEFAULT_PAGE = "#/dashboard";

let routes = 0;
async function route() {
  const gen = ++generation;
  main().setAttribute("aria-busy", "true");
  try { await show(); } finally {
    if (gen === generation) {
      main().removeAttribute("aria-busy");
      // tests (and anyone watching) can tell that a navigation has finished rendering
      routes += 1; document.body.dataset.routed = String(routes);
    }
  }
}

async function show() {
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
    if (e.message === STALE) return;
    if (e.message !== "signed out") main().replaceChildren(el("p", { class: "error", role: "alert", text: e.message }));
  }
  main().focus();
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", () => {
  document.getElementById("region-form").addEventListener("submit", switchRegion);
  document.getElementById("signout").addEventListener("click", async () => {
    await fetch("/console/api/signout", { method: "POST" });
    state.session = null; state.csrf = null; location.hash = "#/signin";
  });
  route();
});
