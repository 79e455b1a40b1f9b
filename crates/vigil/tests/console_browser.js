// The console in real headless Chromium (playwright-core over Debian's chromium), driven by
// tests/console.rs: node console_browser.js URL ACCOUNT CVE SCREENSHOT_DIR; prints JSON.
const { chromium } = require("playwright-core");
const path = require("path");
const out = {};
(async () => {
  const [url, account, cve, shots] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"] });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    // failed requests the page did not expect (a 401 before sign-in is expected)
    page.on("console", (m) => { if (m.type() === "error" && !/status of 401/.test(m.text())) errors.push(m.text()); });
    // runs a navigation and waits until the console has rendered the new view
    const routed = async (action) => {
      const n = await page.evaluate(() => document.body.dataset.routed || "0");
      await action();
      await page.waitForFunction((n) => (document.body.dataset.routed || "0") !== n, n);
    };
    const count = () => page.waitForFunction(() => document.querySelector("#count") && /findings|groups/.test(document.querySelector("#count").textContent));
    await page.goto(url + "/console/");
    await page.waitForURL(/#\/signin/);
    await page.getByLabel("Account").fill(account);
    await page.getByLabel("User name").fill("analyst");
    await page.getByLabel("Password").fill("wrong password here");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForFunction(() => document.querySelector("[role=alert]").textContent.length > 0);
    out.wrong = await page.getByRole("alert").textContent();
    await page.getByLabel("Password").fill("correct horse battery staple");
    await page.getByRole("button", { name: "Sign in" }).click();

    // the dashboard: counts, coverage, top risks, most vulnerable, three charts
    await page.waitForURL(/#\/dashboard/);
    await page.waitForSelector("ul.cards");
    out.who = await page.locator("#who").textContent();
    out.cards = await page.locator("ul.cards li").allTextContents();
    out.topRisks = await page.locator("table[aria-label='Top 10 risks'] tbody tr").count();
    out.topWhy = await page.locator("table[aria-label='Top 10 risks'] tbody tr").first().locator("ul.why li").allTextContents();
    out.images = await page.locator("table[aria-label='Most vulnerable images'] tbody tr td:first-child").allTextContents();
    out.hosts = await page.locator("table[aria-label='Most vulnerable hosts'] tbody tr td:first-child").allTextContents();
    out.repositories = await page.locator("table[aria-label='Most vulnerable repositories'] tbody tr td:first-child").allTextContents();
    out.charts = await page.locator("svg.plot").count();
    out.coverage = await page.locator("#h-cov + p").textContent();
    await page.screenshot({ path: shots + "/dashboard.png", fullPage: true });
    // a severity card opens the findings it counts
    await routed(() => page.locator("ul.cards a").nth(1).click());
    await page.waitForURL(/severity=HIGH&status=ACTIVE/);
    await count();
    out.cardRows = await page.locator("table[aria-label=Findings] tbody tr").count();

    await routed(() => page.getByRole("link", { name: "Findings", exact: true }).click());
    await page.waitForSelector("table[aria-label=Findings] tbody tr");
    await count();
    out.all = await page.locator("table[aria-label=Findings] tbody tr").count();
    await page.getByLabel("Severity", { exact: true }).selectOption("HIGH");
    await routed(() => page.getByRole("button", { name: "Filter", exact: true }).click());
    await page.waitForURL(/severity=HIGH/);
    await count();
    out.highRows = await page.locator("table[aria-label=Findings] tbody tr").count();
    out.highSeverities = await page.locator("table[aria-label=Findings] tbody td.sev").allTextContents();
    out.highUrl = page.url();
    await page.screenshot({ path: shots + "/findings.png" });

    // sorted by score, lowest first, from the column header
    await routed(() => page.getByRole("link", { name: /Sort by Score/ }).click());
    await page.waitForURL(/sort=INSPECTOR_SCORE%3AASC/);
    await count();
    out.ascScores = await page.locator("table[aria-label=Findings] tbody tr td:nth-child(2)").allTextContents();
    out.ariaSort = await page.locator("th[aria-sort]").getAttribute("aria-sort");

    await page.getByLabel("Severity", { exact: true }).selectOption("");
    await page.getByLabel("Vulnerability", { exact: true }).fill(cve);
    await routed(() => page.getByRole("button", { name: "Filter", exact: true }).click());
    await page.waitForURL(/cve=/);
    await count();
    out.cveRows = await page.locator("table[aria-label=Findings] tbody tr").count();
    await routed(() => page.locator("table[aria-label=Findings] tbody tr a").first().click());
    await page.waitForSelector("table[aria-label='Status history'] tbody tr");
    out.detailTitle = await page.locator("h1").textContent();
    out.detailVuln = await page.locator("xpath=//dt[text()='Vulnerability']/following-sibling::dd[1]").first().textContent();
    out.detailSections = await page.locator("main h2").allTextContents();
    out.history = await page.locator("table[aria-label='Status history'] tbody tr td:nth-child(3)").allTextContents();
    out.commands = await page.locator("code.command").allTextContents();
    await page.screenshot({ path: shots + "/finding.png", fullPage: true });
    await routed(() => page.goBack());
    await page.waitForSelector("#suppress");
    await count();

    // a network reachability finding and its path
    await routed(() => page.goto(url + "/console/#/findings?type=NETWORK_REACHABILITY"));
    await count();
    await routed(() => page.locator("table[aria-label=Findings] tbody tr a").first().click());
    await page.waitForSelector("ol.path li");
    out.networkSections = await page.locator("main h2").allTextContents();
    out.networkPath = await page.locator("ol.path li").allTextContents();
    await routed(() => page.goBack());
    await routed(() => page.goBack());
    await count();

    // suppress what the filter matches, from a dialog
    const rule = "accepted-" + Date.now();
    await page.locator("#suppress").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill(rule);
    await dialog.getByLabel(/Reason/).fill("accepted risk");
    await dialog.getByRole("button", { name: "Create rule" }).click();
    await page.waitForURL(/status=ACTIVE/);
    await page.waitForFunction(() => /^0 findings/.test(document.querySelector("#count").textContent));
    out.afterSuppress = await page.locator("#count").textContent();

    // a saved filter from the filter bar
    await page.goto(url + "/console/#/findings?severity=HIGH");
    await count();
    await page.locator("#save-filter").click();
    await page.getByRole("dialog").getByLabel("Name").fill("high-findings");
    await page.getByRole("dialog").getByRole("button", { name: "Save filter" }).click();
    await page.waitForFunction(() => /Saved/.test(document.querySelector("#count").textContent));

    // rules and saved filters: counts, edit (rename), open a saved filter
    await page.getByRole("link", { name: "Rules and filters" }).click();
    await page.waitForSelector("table tbody tr td.suppressed");
    out.ruleCounts = await page.locator("table tbody td.suppressed").allTextContents();
    out.savedFilters = await page.locator("table[aria-label='Saved filters'] tbody tr td:first-child").allTextContents();
    await page.getByRole("button", { name: "Edit " + rule }).click();
    await page.getByRole("dialog").getByLabel("Name").fill("renamed-rule");
    await page.getByRole("dialog").getByRole("button", { name: "Save changes" }).click();
    await page.waitForFunction(() => [...document.querySelectorAll("table[aria-label='Suppression rules'] td")].some((td) => td.textContent === "renamed-rule"));
    out.rulesAfterEdit = await page.locator("table[aria-label='Suppression rules'] tbody tr td:first-child").allTextContents();
    await routed(() => page.getByRole("link", { name: "Open the findings of high-findings" }).click());
    await page.waitForURL(/severity=HIGH/);
    await count();
    out.savedOpens = await page.locator("table[aria-label=Findings] tbody td.sev").allTextContents();

    // grouped by vulnerability
    await page.getByLabel("Group by", { exact: true }).selectOption("vulnerability");
    await routed(() => page.getByRole("button", { name: "Filter", exact: true }).click());
    await page.waitForURL(/group=vulnerability/);
    await page.waitForSelector("table.grouped tbody tr");
    out.groups = await page.locator("table.grouped tbody tr td:first-child").allTextContents();

    // vulnerability search: a known id, and an unknown one
    await page.getByRole("link", { name: "Vulnerability search" }).click();
    await page.getByLabel("Vulnerability id").fill(cve);
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForFunction(() => /Vigil (does not )?know/.test(document.querySelector("#search-result").textContent));
    out.searchKnown = await page.locator("#search-result p").first().textContent();
    await page.getByLabel("Vulnerability id").fill("CVE-1999-99999");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForFunction(() => /CVE-1999-99999/.test(document.querySelector("#search-result").textContent));
    out.searchUnknown = await page.locator("#search-result p").first().textContent();

    // resources, and an SBOM downloaded from the browser
    await page.getByRole("link", { name: "Resources" }).click();
    await page.waitForSelector("table[aria-label='Images of vigil-demo'] tbody tr");
    out.resourceHeadings = await page.locator("main h2, main h3").allTextContents();
    out.imageTags = await page.locator("table[aria-label='Images of vigil-demo'] tbody tr td:first-child").allTextContents();
    const sbomButton = page.locator("table[aria-label='Images of vigil-demo'] tbody tr").first().getByRole("button", { name: /CycloneDX/ });
    out.sbomButton = await sbomButton.getAttribute("aria-label");
    const [download] = await Promise.all([page.waitForEvent("download"), sbomButton.click()]);
    out.sbomName = download.suggestedFilename();
    await download.saveAs(shots + "/downloaded.cdx.json");
    out.sbomPath = shots + "/downloaded.cdx.json";

    // keyboard only: after a page loads focus is on its content; Tab walks the filter bar
    // (severity, status, type, vulnerability) and Enter submits it
    await routed(() => page.getByRole("link", { name: "Findings", exact: true }).click());
    await page.waitForSelector("table[aria-label=Findings] tbody tr");
    await count();
    out.focusAfterLoad = await page.evaluate(() => document.activeElement.id);
    for (let i = 0; i < 4; i++) await page.keyboard.press("Tab");
    out.focusAfterTabs = await page.evaluate(() => document.activeElement.id);
    await page.keyboard.type(cve);
    await routed(() => page.keyboard.press("Enter"));
    await page.waitForURL(/cve=/);
    await count();
    out.keyboardRows = await page.locator("table[aria-label=Findings] tbody tr").count();
    out.skipLink = await page.locator("a.skip").getAttribute("href");

    // another region has none of these findings; back again, they are there
    await routed(() => page.getByLabel("Region", { exact: true }).fill("eu-west-1").then(() => page.getByRole("button", { name: "Switch" }).click()));
    await count();
    out.otherRegion = [await page.locator("#who").textContent(), await page.locator("#count").textContent()];
    await routed(() => page.getByLabel("Region", { exact: true }).fill("us-east-1").then(() => page.getByRole("button", { name: "Switch" }).click()));
    await count();
    out.backRegion = await page.locator("table[aria-label=Findings] tbody tr").count();

    // moving on while a page still loads: the slower dashboard must not draw over the rules
    await page.evaluate(() => { location.hash = "#/dashboard"; setTimeout(() => { location.hash = "#/rules"; }, 0); });
    await page.waitForSelector("td.suppressed");
    await page.waitForLoadState("networkidle");
    out.afterRace = await page.locator("main h1").textContent();

    // a shared URL opens the same view in a fresh page
    const again = await context.newPage();
    await again.goto(out.highUrl);
    await again.waitForSelector("table[aria-label=Findings] tbody tr");
    out.sharedRows = await again.locator("table[aria-label=Findings] tbody tr").count();

    // accessibility: axe-core's WCAG 2 A and AA rules on every page (axe is injected, so this
    // context bypasses the console's content security policy; the session is the same)
    const axeContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true,
      storageState: await context.storageState() });
    const axePage = await axeContext.newPage();
    const axePath = path.join(process.env.NODE_PATH, "axe-core", "axe.min.js");
    const origin = new URL(page.url()).origin;
    out.axe = {};
    const firstFinding = await again.locator("table[aria-label=Findings] tbody tr a").first().getAttribute("href");
    for (const [name, hash, ready] of [
      ["dashboard", "#/dashboard", "ul.cards"],
      ["findings", "#/findings?severity=HIGH", "table[aria-label=Findings] tbody tr"],
      ["grouped", "#/findings?group=package", "table.grouped tbody tr"],
      ["finding", firstFinding, "table[aria-label='Status history'] tbody tr"],
      ["rules", "#/rules", "td.suppressed"],
      ["resources", "#/resources", "table[aria-label='Images of vigil-demo'] tbody tr"],
      ["search", "#/search?q=" + cve, "#search-result p"],
    ]) {
      await axePage.goto(origin + "/console/" + hash);
      await axePage.waitForSelector(ready);
      await axePage.addScriptTag({ path: axePath });
      const result = await axePage.evaluate(() => window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
      out.axe[name] = result.violations.map((v) => v.id + " (" + v.nodes.length + "): " + v.nodes.slice(0, 2).map((n) => n.target.join(" ")).join("; "));
    }
    out.errors = errors;
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); console.error("reached: " + JSON.stringify(out)); process.exit(1); });
