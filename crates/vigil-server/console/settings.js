// Vigil's console: the settings page (loaded after app.js, whose helpers it uses: el, api,
// state, main, PAGES). Each section is a form over the signed API, run as the session's
// principal; its outcome (or the API's error, AccessDenied included) is announced in the
// section's live region.
"use strict";

const SETTINGS_SCAN_TYPES = [
  ["EC2", "ec2"], ["ECR", "ecr"], ["LAMBDA", "lambda"], ["LAMBDA_CODE", "lambdaCode"], ["CODE_REPOSITORY", "codeRepository"],
];
const SETTINGS_RESCAN = ["LIFETIME", "DAYS_14", "DAYS_30", "DAYS_60", "DAYS_90", "DAYS_180"];
const SETTINGS_PULL_RESCAN = ["DAYS_14", "DAYS_30", "DAYS_60", "DAYS_90", "DAYS_180"];
const SETTINGS_PULL_MODES = ["LAST_PULL_DATE", "LAST_IN_USE_AT"];

function settingsTime(epoch) {
  return typeof epoch === "number" ? new Date(epoch * 1000).toISOString().replace(".000Z", "Z") : "";
}

// a section: heading, live region, body; `say(text)` / `fail(error)` announce outcomes
function settingsSection(id, title, intro) {
  const status = el("p", { class: "settings-status", id: id + "-status", role: "status", "aria-live": "polite" });
  const body = el("div", { class: "settings-body" });
  const section = el("section", { class: "settings-section", id, "aria-labelledby": id + "-heading" },
    el("h2", { id: id + "-heading", text: title }),
    intro ? el("p", { class: "muted", text: intro }) : null,
    status, body);
  const say = (text) => { status.classList.remove("settings-error"); status.textContent = text; };
  // errors read as errors without colour: the word "Error" leads
  const fail = (e) => { status.classList.add("settings-error"); status.textContent = "Error: " + (e && e.message ? e.message : String(e)); };
  return { section, body, say, fail };
}

// runs `f` with the form's buttons disabled (no double submission; its fields stay readable
// for FormData), announcing a thrown error
async function settingsBusy(form, fail, f) {
  const controls = [...form.querySelectorAll("button")].filter((c) => !c.disabled);
  controls.forEach((c) => { c.disabled = true; });
  try { await f(); } catch (e) { if (e.message !== "signed out") fail(e); } finally { controls.forEach((c) => { c.disabled = false; }); }
}

function settingsSelect(name, label, values, current) {
  return el("label", {}, label,
    el("select", { name }, ...values.map((v) => el("option", { value: v, text: v, selected: v === current }))));
}

// --- scan types ------------------------------------------------------------------------------

function settingsScanTypes(admin) {
  const s = settingsSection("settings-scan", "Scan types",
    "Which resource types Vigil scans" + (admin ? " for this account and its members." : " for this account."));
  const own = el("option", { value: state.session.account, text: state.session.account + " (this account)" });
  const account = el("select", { name: "account" }, own);
  // the delegated administrator's associated members are choices too
  const setMembers = (ids) => {
    const chosen = account.value;
    account.replaceChildren(own, ...ids.map((m) => el("option", { value: m, text: m + " (member)", selected: m === chosen })));
  };
  const rows = el("tbody");
  const form = el("form", { class: "settings-form", "aria-label": "Scan types" },
    admin ? el("label", {}, "Account", account) : null,
    el("table", { class: "settings-table", "aria-label": "Scan types and their status" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Resource type" }), el("th", { scope: "col", text: "Status" }),
        el("th", { scope: "col", text: "Scan" }))),
      rows),
    el("button", { type: "submit", text: "Save scan types" }));
  let current = {};
  const load = async () => {
    const answer = await api("/status/batch/get", { accountIds: [account.value] });
    const failed = (answer.failedAccounts || [])[0];
    if (failed) throw new Error(failed.errorCode + ": " + failed.errorMessage);
    const rs = ((answer.accounts || [])[0] || {}).resourceState || {};
    current = {};
    rows.replaceChildren(...SETTINGS_SCAN_TYPES.map(([type, key]) => {
      const st = (rs[key] || {}).status || "DISABLED";
      current[type] = st === "ENABLED";
      return el("tr", { "data-type": type },
        el("th", { scope: "row", text: type }),
        el("td", { class: "settings-scan-state", text: st }),
        el("td", {}, el("label", { class: "settings-inline" },
          el("input", { type: "checkbox", name: "type", value: type, checked: current[type] }), "Scan " + type)));
    }));
  };
  account.addEventListener("change", () => load().then(() => s.say("Showing " + account.value + ".")).catch(s.fail));
  // a refused or failed save: the boxes show the stored state again, under the error
  const failed = async (e) => { await load().catch(() => {}); s.fail(e); };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    settingsBusy(form, failed, async () => {
      const want = {};
      for (const box of form.querySelectorAll("input[name=type]")) want[box.value] = box.checked;
      const on = SETTINGS_SCAN_TYPES.map(([t]) => t).filter((t) => want[t] && !current[t]);
      const off = SETTINGS_SCAN_TYPES.map(([t]) => t).filter((t) => !want[t] && current[t]);
      if (!on.length && !off.length) { s.say("Nothing to change."); return; }
      const ids = [account.value];
      // Disable with no types disables every type: only ever send a non-empty list
      for (const [path, types] of [["/enable", on], ["/disable", off]]) {
        if (!types.length) continue;
        const r = await api(path, { accountIds: ids, resourceTypes: types });
        const failed = (r.failedAccounts || [])[0];
        if (failed) throw new Error(failed.errorCode + ": " + failed.errorMessage);
      }
      await load();
      s.say("Saved for " + account.value + ": " +
        [on.length ? "enabled " + on.join(", ") : "", off.length ? "disabled " + off.join(", ") : ""].filter(Boolean).join("; ") + ".");
    });
  });
  s.body.append(form);
  return { section: s.section, load: () => load().catch(s.fail), setMembers };
}

// --- ECR rescan duration -----------------------------------------------------------------------

function settingsRescan() {
  const s = settingsSection("settings-rescan", "Container image rescan",
    "How long images stay monitored after they are pushed, and after their last pull.");
  const form = el("form", { class: "settings-form", "aria-label": "Container image rescan" });
  const load = async () => {
    const c = await api("/configuration/get", {});
    const r = (c.ecrConfiguration || {}).rescanDurationState || {};
    form.replaceChildren(
      settingsSelect("rescanDuration", "Rescan duration", SETTINGS_RESCAN, r.rescanDuration),
      settingsSelect("pullDateRescanDuration", "Pull date rescan duration", SETTINGS_PULL_RESCAN, r.pullDateRescanDuration),
      settingsSelect("pullDateRescanMode", "Pull date rescan mode", SETTINGS_PULL_MODES, r.pullDateRescanMode),
      el("button", { type: "submit", text: "Save rescan settings" }),
      el("p", { class: "muted settings-note", text: r.updatedAt ? "Last changed " + settingsTime(r.updatedAt) + "." : "Defaults (never changed)." }));
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    settingsBusy(form, s.fail, async () => {
      const f = new FormData(form);
      const ecr = { rescanDuration: f.get("rescanDuration"), pullDateRescanDuration: f.get("pullDateRescanDuration"),
        pullDateRescanMode: f.get("pullDateRescanMode") };
      await api("/configuration/update", { ecrConfiguration: ecr });
      await load();
      s.say("Saved: rescan duration " + ecr.rescanDuration + ", pull date " + ecr.pullDateRescanDuration + " (" + ecr.pullDateRescanMode + ").");
    });
  });
  s.body.append(form);
  return { section: s.section, load: () => load().catch(s.fail) };
}

// --- EC2 deep inspection ---------------------------------------------------------------------

function settingsDeepInspection() {
  const s = settingsSection("settings-deep", "EC2 deep inspection",
    "Host agents search these paths for language packages besides the default ones (up to 5 paths).");
  const form = el("form", { class: "settings-form settings-column", "aria-label": "EC2 deep inspection" });
  const load = async () => {
    const c = await api("/ec2deepinspectionconfiguration/get", {});
    form.replaceChildren(
      el("label", { class: "settings-inline" },
        el("input", { type: "checkbox", name: "activate", checked: c.status === "ACTIVATED" }), "Deep inspection activated"),
      el("p", { class: "muted settings-note", text: "Status: " + (c.status || "unknown") }),
      el("label", {}, "Custom package paths (one per line)",
        el("textarea", { name: "paths", rows: 5, cols: 50, spellcheck: "false", "aria-describedby": "settings-deep-help",
          text: (c.packagePaths || []).join("\n") })),
      el("p", { class: "muted settings-note", id: "settings-deep-help",
        text: "Absolute paths such as /opt/app/lib." + ((c.orgPackagePaths || []).length ? " The organization adds: " + c.orgPackagePaths.join(", ") + "." : "") }),
      el("button", { type: "submit", text: "Save deep inspection" }));
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    settingsBusy(form, s.fail, async () => {
      const f = new FormData(form);
      const paths = String(f.get("paths") || "").split("\n").map((x) => x.trim()).filter(Boolean);
      const activate = form.querySelector("input[name=activate]").checked;
      const r = await api("/ec2deepinspectionconfiguration/update", { activateDeepInspection: activate, packagePaths: paths });
      await load();
      s.say("Saved: deep inspection " + r.status + ", " + (r.packagePaths || []).length + " custom paths.");
    });
  });
  s.body.append(form);
  return { section: s.section, load: () => load().catch(s.fail) };
}

// --- event destinations ------------------------------------------------------------------------

// a secret shown once, in a box the user dismisses
function settingsSecretBox(title, rows) {
  const box = el("div", { class: "settings-secret", role: "region", "aria-label": title },
    el("h3", { text: title }),
    el("p", { text: "Copy it now: it is shown only once." }),
    el("dl", {}, ...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", {}, el("code", { text: v }))])));
  const dismiss = el("button", { type: "button", class: "secondary", text: "Dismiss", "aria-label": "Dismiss " + title });
  dismiss.addEventListener("click", () => box.remove());
  box.append(dismiss);
  return box;
}

function settingsDestinations() {
  const s = settingsSection("settings-dest", "Event destinations",
    "Where finding events are delivered. Webhooks receive signed EventBridge-shaped events.");
  const rows = el("tbody");
  const table = el("table", { class: "settings-table", "aria-label": "Event destinations" },
    el("thead", {}, el("tr", {}, ...["Name", "Type", "Target", "State", "Actions"].map((h) => el("th", { scope: "col", text: h })))),
    rows);
  const shown = el("div");
  const form = el("form", { class: "settings-form settings-column", "aria-label": "Create a webhook destination" },
    el("h3", { text: "Create a webhook destination" }),
    el("label", {}, "Destination name", el("input", { name: "name", required: true, maxlength: 128, pattern: "[A-Za-z0-9_.\\-]+" })),
    el("label", {}, "Webhook URL", el("input", { name: "url", type: "url", required: true, placeholder: "https://hooks.example.com/vigil" })),
    el("label", {}, "Signing secret (optional, 16 to 512 characters; generated when empty)",
      el("input", { name: "secret", type: "password", autocomplete: "new-password" })),
    el("label", {}, "Event pattern (JSON, optional)",
      el("textarea", { name: "pattern", rows: 4, cols: 50, spellcheck: "false", placeholder: "{\"detail-type\": [\"Inspector2 Finding\"]}" })),
    el("button", { type: "submit", text: "Create destination" }));
  const load = async () => {
    const answer = await api("/vigil/v1/destinations/list", {});
    const list = answer.destinations || [];
    rows.replaceChildren(...list.map((d) => {
      const toggle = el("button", { type: "button", class: "secondary", text: d.enabled ? "Disable" : "Enable",
        "aria-label": (d.enabled ? "Disable" : "Enable") + " destination " + d.name });
      toggle.addEventListener("click", () => settingsBusy(table, s.fail, async () => {
        await api("/vigil/v1/destinations/update", { destinationId: d.destinationId, enabled: !d.enabled });
        await load();
        s.say("Destination " + d.name + (d.enabled ? " disabled." : " enabled."));
      }));
      const remove = el("button", { type: "button", class: "secondary", text: "Delete", "aria-label": "Delete destination " + d.name });
      remove.addEventListener("click", () => {
        if (!confirm("Delete the destination " + d.name + "? Its pending deliveries are dropped.")) return;
        settingsBusy(table, s.fail, async () => {
          await api("/vigil/v1/destinations/delete", { destinationId: d.destinationId });
          // a secret of a destination that is gone is no use
          if (shown.dataset.destination === d.name) shown.replaceChildren();
          await load();
          s.say("Destination " + d.name + " deleted.");
        });
      });
      const target = d.webhook ? d.webhook.url : d.nats ? d.nats.url + " " + d.nats.subject : d.type;
      return el("tr", { "data-name": d.name },
        el("td", { text: d.name }), el("td", { text: d.type }), el("td", { text: target || "" }),
        el("td", { class: "settings-dest-state", text: d.enabled ? "Enabled" : "Disabled" }),
        el("td", {}, toggle, " ", remove));
    }));
    if (!list.length) rows.append(el("tr", {}, el("td", { colspan: 5, class: "muted", text: "No destinations." })));
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    settingsBusy(form, s.fail, async () => {
      const f = new FormData(form);
      const body = { name: String(f.get("name")).trim(), type: "WEBHOOK", webhook: { url: String(f.get("url")).trim() } };
      if (f.get("secret")) body.webhook.secret = String(f.get("secret"));
      const text = String(f.get("pattern") || "").trim();
      if (text) {
        try { body.eventPattern = JSON.parse(text); } catch (e) { throw new Error("the event pattern is not JSON: " + e.message); }
      }
      const d = await api("/vigil/v1/destinations/create", body);
      form.reset();
      shown.replaceChildren(d.signingSecret ? settingsSecretBox("Signing secret of " + d.name, [["Secret", d.signingSecret]]) : "");
      shown.dataset.destination = d.name;
      await load();
      s.say("Destination " + d.name + " created.");
    });
  });
  s.body.append(table, shown, form);
  return { section: s.section, load: () => load().catch(s.fail) };
}

// --- access keys -------------------------------------------------------------------------------

function settingsKeys() {
  const s = settingsSection("settings-keys", "Access keys",
    "Keys sign API calls (AWS Signature Version 4). Make a new key, switch the clients to it, then deactivate the old one.");
  const rows = el("tbody");
  const table = el("table", { class: "settings-table", "aria-label": "Access keys" },
    el("thead", {}, el("tr", {}, ...["Access key id", "Principal", "Status", "Created", "Actions"].map((h) => el("th", { scope: "col", text: h })))),
    rows);
  const shown = el("div");
  const me = state.session.principal;
  const who = el("select", { name: "principal" }, el("option", { value: "", text: "Yourself (" + (me || "root") + ")" }));
  const form = el("form", { class: "settings-form", "aria-label": "Create an access key" },
    el("label", {}, "Create a key for", who),
    el("button", { type: "submit", text: "Create access key" }));
  const load = async () => {
    const [keys, principals] = await Promise.all([
      api("/vigil/v1/keys/list", {}),
      api("/vigil/v1/principals/list", {}).catch(() => ({ principals: [] })),
    ]);
    const chosen = who.value;
    who.replaceChildren(who.firstChild, ...(principals.principals || []).filter((p) => p.name !== me)
      .map((p) => el("option", { value: p.name, text: p.name + " (" + p.kind + ")", selected: p.name === chosen })));
    rows.replaceChildren(...(keys.accessKeys || []).map((k) => {
      const active = k.status === "Active";
      const toggle = el("button", { type: "button", class: "secondary", text: active ? "Deactivate" : "Activate",
        "aria-label": (active ? "Deactivate" : "Activate") + " key " + k.accessKeyId });
      toggle.addEventListener("click", () => settingsBusy(table, s.fail, async () => {
        await api("/vigil/v1/keys/update", { accessKeyId: k.accessKeyId, status: active ? "Inactive" : "Active" });
        await load();
        s.say("Key " + k.accessKeyId + (active ? " deactivated." : " activated."));
      }));
      return el("tr", { "data-key": k.accessKeyId },
        el("td", {}, el("code", { text: k.accessKeyId })),
        el("td", { text: k.principal === null ? "root" : k.principal }),
        el("td", { class: "settings-key-state", text: k.status }),
        el("td", { text: settingsTime(k.createdAt) }),
        el("td", {}, toggle));
    }));
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    settingsBusy(form, s.fail, async () => {
      const body = who.value ? { principal: who.value } : {};
      const k = await api("/vigil/v1/keys/create", body);
      shown.replaceChildren(settingsSecretBox("New access key", [["Access key id", k.accessKeyId], ["Secret access key", k.secretAccessKey]]));
      await load();
      s.say("Access key " + k.accessKeyId + " created for " + (k.principal || "root") + ".");
    });
  });
  s.body.append(table, shown, form);
  return { section: s.section, load: () => load().catch(s.fail) };
}

// --- organization members (the delegated administrator only) -----------------------------------

// onChange(ids): the associated members, after each load
function settingsMembers(onChange) {
  const s = settingsSection("settings-members", "Organization members",
    "As the organization's delegated administrator, this account manages its members' scanning.");
  const rows = el("tbody");
  const table = el("table", { class: "settings-table", "aria-label": "Members" },
    el("thead", {}, el("tr", {}, ...["Account", "Relationship", "Updated", "Actions"].map((h) => el("th", { scope: "col", text: h })))),
    rows);
  const form = el("form", { class: "settings-form", "aria-label": "Associate a member" },
    el("label", {}, "Member account id", el("input", { name: "accountId", required: true, inputmode: "numeric", pattern: "[0-9]{12}", maxlength: 12 })),
    el("button", { type: "submit", text: "Associate member" }));
  const load = async () => {
    const answer = await api("/members/list", { onlyAssociated: false, maxResults: 50 });
    const list = (answer.members || []).filter((m) => m.accountId !== state.session.account);
    rows.replaceChildren(...list.map((m) => {
      const associated = m.relationshipStatus === "ENABLED";
      const verb = associated ? "Disassociate" : "Associate";
      const remove = el("button", { type: "button", class: "secondary", text: verb, "aria-label": verb + " account " + m.accountId });
      remove.addEventListener("click", () => settingsBusy(table, s.fail, async () => {
        await api(associated ? "/members/disassociate" : "/members/associate", { accountId: m.accountId });
        await load();
        s.say("Account " + m.accountId + (associated ? " disassociated." : " associated."));
      }));
      return el("tr", { "data-account": m.accountId },
        el("td", { text: m.accountId }), el("td", { text: m.relationshipStatus }),
        el("td", { text: settingsTime(m.updatedAt) }), el("td", {}, remove));
    }));
    if (!list.length) rows.append(el("tr", {}, el("td", { colspan: 4, class: "muted", text: "No members." })));
    onChange(list.filter((m) => m.relationshipStatus === "ENABLED").map((m) => m.accountId));
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    settingsBusy(form, s.fail, async () => {
      const id = String(new FormData(form).get("accountId")).trim();
      await api("/members/associate", { accountId: id });
      form.reset();
      await load();
      s.say("Account " + id + " associated.");
    });
  });
  s.body.append(table, form);
  return { section: s.section, load: () => load().catch(s.fail) };
}

async function settingsPage() {
  // a fresh session answer: is this account the organization's delegated administrator now?
  const r = await fetch("/console/api/session");
  const fresh = r.ok ? await r.json() : {};
  const admin = fresh.delegatedAdministrator === true;
  const page = el("div", { class: "settings-page" },
    el("h1", { text: "Settings" }),
    el("p", { class: "muted", text: "Account " + state.session.account + ", region " + state.session.region + ", signed in as " + state.session.arn + "." }));
  main().replaceChildren(page);
  const scan = settingsScanTypes(admin);
  const parts = [scan, settingsRescan(), settingsDeepInspection(), settingsDestinations(), settingsKeys()];
  // members only for the delegated administrator (for anyone else every member call is refused)
  if (admin) parts.push(settingsMembers((ids) => scan.setMembers(ids)));
  page.append(...parts.map((p) => p.section));
  await Promise.all(parts.map((p) => p.load()));
  page.setAttribute("data-loaded", "true");
}

PAGES["#/settings"] = settingsPage;
