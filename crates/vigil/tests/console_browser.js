// The console in real headless Chromium (playwright-core over Debian's chromium), driven by
// tests/console.rs: node console_browser.js URL ACCOUNT CVE SCREENSHOT_DIR; prints JSON.
const { chromium } = require("playwright-core");
(async () => {
  const [url, account, cve, shots] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"] });
  const out = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    // failed requests the page did not expect (a 401 before sign-in is expected)
    page.on("console", (m) => { if (m.type() === "error" && !/status of 401/.test(m.text())) errors.push(m.text()); });
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
    await page.waitForSelector("table tbody tr");
    out.who = await page.locator("#who").textContent();
    out.all = await page.locator("table tbody tr").count();
    await page.getByLabel("Severity").selectOption("HIGH");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/severity=HIGH/);
    await page.waitForFunction(() => document.querySelector("#count") && /findings/.test(document.querySelector("#count").textContent));
    out.highRows = await page.locator("table tbody tr").count();
    out.highSeverities = await page.locator("table tbody td.sev").allTextContents();
    out.highUrl = page.url();
    await page.screenshot({ path: shots + "/findings.png" });
    await page.getByLabel("Severity").selectOption("");
    await page.getByLabel("Vulnerability").fill(cve);
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/cve=/);
    await page.waitForFunction(() => /findings/.test(document.querySelector("#count").textContent));
    out.cveRows = await page.locator("table tbody tr").count();
    await page.locator("table tbody tr a").first().click();
    await page.waitForSelector("h1");
    out.detailTitle = await page.locator("h1").textContent();
    out.detailVuln = await page.locator("dd").nth(5).textContent();
    await page.screenshot({ path: shots + "/finding.png" });
    await page.goBack();
    await page.waitForSelector("#suppress");
    await page.waitForFunction(() => /findings/.test(document.querySelector("#count").textContent));
    page.on("dialog", (d) => d.accept(d.message().startsWith("Name") ? "accepted-" + Date.now() : "accepted risk"));
    await page.locator("#suppress").click();
    await page.waitForURL(/status=ACTIVE/);
    await page.waitForFunction(() => /^0 findings/.test(document.querySelector("#count").textContent));
    out.afterSuppress = await page.locator("#count").textContent();
    // the rule is listed with how many findings it suppresses
    await page.getByRole("link", { name: "Suppression rules" }).click();
    await page.waitForSelector("table tbody tr td.suppressed");
    out.ruleCounts = await page.locator("table tbody td.suppressed").allTextContents();
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
    await page.waitForSelector("table tbody tr");
    out.resources = await page.locator("table tbody tr td:first-child").allTextContents();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator("table tbody tr").first().getByRole("button", { name: /CycloneDX/ }).click(),
    ]);
    out.sbomName = download.suggestedFilename();
    await download.saveAs(shots + "/downloaded.cdx.json");
    out.sbomPath = shots + "/downloaded.cdx.json";
    // a shared URL opens the same view in a fresh page
    const again = await browser.newPage();
    await again.goto(out.highUrl);
    out.sharedLoads = (await again.locator("#who").textContent()) !== null;
    out.errors = errors;
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
