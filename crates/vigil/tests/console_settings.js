// The console's settings page in real headless Chromium (playwright-core over Debian's
// chromium), driven by tests/console_settings.rs:
//   node console_settings.js URL ACCOUNT MEMBER SCREENSHOT_DIR
// signs in as `admin` (full access, in the delegated administrator's account) and as `viewer`
// (read-only, same account); prints what it saw as JSON.
const { chromium } = require("playwright-core");

const PASSWORD = "correct horse battery staple";

async function signIn(page, url, account, name) {
  await page.goto(url + "/console/");
  await page.waitForURL(/#\/signin/);
  await page.getByLabel("Account").fill(account);
  await page.getByLabel("User name").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/#\/dashboard/);
  await page.getByRole("link", { name: "Settings" }).click();
  await page.waitForSelector(".settings-page[data-loaded]");
}

// waits until a section's live region says something matching `re`; answers the text
async function announced(page, id, re) {
  await page.waitForFunction(([id, src]) => new RegExp(src).test(document.getElementById(id + "-status").textContent),
    [id, re.source]);
  return page.locator("#" + id + "-status").textContent();
}

(async () => {
  const [url, account, member, shots] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"] });
  const out = {};
  const errors = [];
  const watch = (page) => {
    page.on("pageerror", (e) => errors.push(String(e)));
    // the refusals this test provokes (400, 401 before sign-in, 403) are logged by the browser
    // as failed loads; anything else logged as an error is one
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of (400|401|403)/.test(m.text())) errors.push(m.text());
    });
  };
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    watch(page);
    page.on("dialog", (d) => d.accept());
    await signIn(page, url, account, "admin");
    out.headings = await page.locator(".settings-page h2").allTextContents();
    out.navCurrent = await page.locator("header nav a[aria-current=page]").textContent();
    // every form control has an accessible name
    out.unlabelled = await page.evaluate(() => [...document.querySelectorAll(".settings-page input, .settings-page select, .settings-page textarea, .settings-page button")]
      .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute("aria-label") && !c.textContent.trim())
      .map((c) => c.outerHTML));

    // organization members: associate the member, which then appears among the scan accounts
    const row = page.locator(`#settings-members tr[data-account="${member}"]`);
    out.memberBefore = await row.locator("td").nth(1).textContent();
    await page.getByRole("button", { name: "Associate account " + member }).click();
    out.memberSaid = await announced(page, "settings-members", /associated/);
    out.memberAfter = await row.locator("td").nth(1).textContent();
    out.scanAccounts = await page.locator("#settings-scan select[name=account] option").evaluateAll((o) => o.map((x) => x.value));
    // the member's scan types, then this account's again
    await page.locator("#settings-scan").getByLabel(/^Account/).selectOption(member);
    out.memberShown = await announced(page, "settings-scan", new RegExp("Showing " + member));
    out.memberTypes = await page.locator("#settings-scan .settings-scan-state").allTextContents();
    await page.locator("#settings-scan select[name=account]").selectOption(account);
    await announced(page, "settings-scan", new RegExp("Showing " + account));

    // scan types: LAMBDA off
    const lambda = page.locator('#settings-scan tr[data-type="LAMBDA"] .settings-scan-state');
    out.lambdaBefore = await lambda.textContent();
    await page.getByLabel("Scan LAMBDA", { exact: true }).uncheck();
    await page.getByRole("button", { name: "Save scan types" }).click();
    out.scanSaid = await announced(page, "settings-scan", /Saved/);
    out.lambdaAfter = await lambda.textContent();
    out.lambdaChecked = await page.getByLabel("Scan LAMBDA", { exact: true }).isChecked();

    // ECR rescan duration
    await page.getByLabel(/^Rescan duration/).selectOption("DAYS_30");
    await page.getByLabel("Pull date rescan duration").selectOption("DAYS_14");
    await page.getByRole("button", { name: "Save rescan settings" }).click();
    out.rescanSaid = await announced(page, "settings-rescan", /Saved/);
    out.rescanShown = await page.getByLabel(/^Rescan duration/).inputValue();

    // deep inspection: a bad path is refused by the server, visibly; good ones are saved
    const paths = page.getByLabel("Custom package paths (one per line)");
    await paths.fill("relative/lib");
    await page.getByRole("button", { name: "Save deep inspection" }).click();
    out.deepError = await announced(page, "settings-deep", /Error/);
    await paths.fill("/opt/app/lib\n/srv/venv\n");
    await page.getByRole("button", { name: "Save deep inspection" }).click();
    out.deepSaid = await announced(page, "settings-deep", /Saved/);
    out.deepShown = await page.getByLabel("Custom package paths (one per line)").inputValue();

    // event destinations: a webhook with a pattern, listed, then disabled; another deleted
    const create = async (name, pattern) => {
      await page.getByLabel("Destination name").fill(name);
      await page.getByLabel("Webhook URL").fill("http://127.0.0.1:9/" + name);
      await page.getByLabel("Event pattern (JSON, optional)").fill(pattern);
      await page.getByRole("button", { name: "Create destination" }).click();
      await announced(page, "settings-dest", new RegExp(name + " created"));
    };
    await page.getByLabel("Destination name").fill("bad-pattern");
    await page.getByLabel("Webhook URL").fill("http://127.0.0.1:9/x");
    await page.getByLabel("Event pattern (JSON, optional)").fill("{not json");
    await page.getByRole("button", { name: "Create destination" }).click();
    out.patternError = await announced(page, "settings-dest", /Error/);
    await create("hooks-1", '{"detail-type": ["Inspector2 Finding"]}');
    out.destSecretShown = await page.locator('#settings-dest .settings-secret code').count();
    out.destRows = await page.locator("#settings-dest tbody tr[data-name]").evaluateAll((r) => r.map((x) => x.dataset.name));
    await page.getByRole("button", { name: "Disable destination hooks-1" }).click();
    out.destSaid = await announced(page, "settings-dest", /disabled/);
    out.destState = await page.locator('#settings-dest tr[data-name="hooks-1"] .settings-dest-state').textContent();
    await create("hooks-tmp", "");
    await page.getByRole("button", { name: "Delete destination hooks-tmp" }).click();
    out.destDeleted = await announced(page, "settings-dest", /deleted/);
    out.destRowsAfter = await page.locator("#settings-dest tbody tr[data-name]").evaluateAll((r) => r.map((x) => x.dataset.name));

    // access keys: one for `ops`, its secret shown once, listed, then deactivated
    await page.getByLabel("Create a key for").selectOption("ops");
    await page.getByRole("button", { name: "Create access key" }).click();
    out.keySaid = await announced(page, "settings-keys", /created for ops/);
    const box = page.getByRole("region", { name: "New access key" });
    const codes = await box.locator("code").allTextContents();
    out.newKey = codes[0];
    out.newSecret = codes[1];
    const keyRow = page.locator(`#settings-keys tr[data-key="${out.newKey}"]`);
    out.keyPrincipal = await keyRow.locator("td").nth(1).textContent();
    out.keyBefore = await keyRow.locator(".settings-key-state").textContent();
    await page.screenshot({ path: shots + "/settings.png", fullPage: true });
    await page.getByRole("button", { name: "Deactivate key " + out.newKey }).click();
    out.keyDeactivated = await announced(page, "settings-keys", /deactivated/);
    out.keyAfter = await keyRow.locator(".settings-key-state").textContent();
    await box.getByRole("button", { name: "Dismiss New access key" }).click();
    out.secretGone = (await page.getByRole("region", { name: "New access key" }).count()) === 0;
    out.secretInPage = (await page.content()).includes(out.newSecret);

    // a read-only principal sees the page, and each change it tries is refused visibly
    const vctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const viewer = await vctx.newPage();
    watch(viewer);
    await signIn(viewer, url, account, "viewer");
    out.viewerLambda = await viewer.locator('#settings-scan tr[data-type="LAMBDA"] .settings-scan-state').textContent();
    await viewer.getByLabel("Scan EC2", { exact: true }).uncheck();
    await viewer.getByRole("button", { name: "Save scan types" }).click();
    out.viewerScan = await announced(viewer, "settings-scan", /Error/);
    out.viewerEc2 = await viewer.locator('#settings-scan tr[data-type="EC2"] .settings-scan-state').textContent();
    out.viewerEc2Checked = await viewer.getByLabel("Scan EC2", { exact: true }).isChecked();
    await viewer.getByRole("button", { name: "Create access key" }).click();
    out.viewerKey = await announced(viewer, "settings-keys", /Error/);
    out.viewerKeys = await viewer.locator("#settings-keys tbody tr[data-key]").count();
    await viewer.screenshot({ path: shots + "/settings-read-only.png", fullPage: true });
    out.errors = errors;
  } catch (e) {
    // what was seen so far, and what each open page announced, to tell where it stopped
    const pages = browser.contexts().flatMap((c) => c.pages());
    const said = await Promise.all(pages.map((p) => p.evaluate(() =>
      [...document.querySelectorAll("[aria-live]")].map((x) => (x.id || x.tagName) + ": " + x.textContent)).catch(() => [])));
    console.error(JSON.stringify({ out, errors, said }));
    throw e;
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
