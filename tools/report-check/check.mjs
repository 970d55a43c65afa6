// Opens the assessment report (index.html) in headless Chromium and checks that it renders:
// the map (one circle per community of communities.geojson) and the charts are drawn, clicking a
// community fills the detail box, recommended sites (when given) are on the map and in their table, nothing is fetched from the network, no console error. Keeps a
// full-page screenshot.
//
// usage: node check.mjs REPORT_DIR SCREENSHOT.png
import { chromium } from "playwright-core";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

const [dir, shot] = process.argv.slice(2);
if (!dir || !shot) {
  console.error("usage: node check.mjs REPORT_DIR SCREENSHOT.png");
  process.exit(2);
}
const html = resolve(dir, "index.html");
const geo = JSON.parse(readFileSync(resolve(dir, "communities.geojson"), "utf8"));
const expectedCommunities = geo.features.length;
// With candidate sites, one diamond on the map per candidate recommended (from summary.json).
let expectedSites = null;
if (existsSync(resolve(dir, "recommended_sites.csv"))) {
  const summary = JSON.parse(readFileSync(resolve(dir, "summary.json"), "utf8"));
  expectedSites = new Set(summary.recommendations.flatMap((r) => r.sites)).size;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
let passed = 0;
const failures = [];
function check(what, ok, detail = "") {
  if (ok) {
    passed += 1;
  } else {
    failures.push(`${what} ${detail}`);
  }
  console.log(`${ok ? "ok  " : "FAIL"} ${what} ${detail}`);
}
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  const external = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) external.push(r.url());
  });
  await page.goto("file://" + html, { waitUntil: "load" });
  const n = await page.evaluate(() => ({
    svgs: document.querySelectorAll("svg").length,
    circles: document.querySelectorAll("#map-svg circle.community").length,
    streets: document.querySelectorAll("#map-svg path.streets").length,
    bars: document.querySelectorAll("svg.chart rect.bar").length,
    targets: document.querySelectorAll("svg.chart line.target").length,
    top10: document.querySelectorAll("#top10 tr").length - 1,
    sites: document.querySelectorAll("#map-svg g.site").length,
    siteRows: document.querySelectorAll("#recommended tr").length - 1,
    mapWidth: document.getElementById("map-svg")?.getBoundingClientRect().width ?? 0,
    title: document.title,
  }));
  console.log(JSON.stringify(n));
  check("page title", n.title.includes("Living-circle assessment"), n.title);
  check("map drawn", n.mapWidth > 300, `width ${n.mapWidth}`);
  check("one circle per community", n.circles === expectedCommunities, `${n.circles} of ${expectedCommunities}`);
  check("indicator charts drawn", n.bars > 10 && n.targets > 10, `${n.bars} bars, ${n.targets} target lines`);
  check("top ten table", n.top10 >= 1 && n.top10 <= 10, `${n.top10} rows`);
  if (expectedSites !== null) {
    check("one diamond per recommended candidate", n.sites === expectedSites, `${n.sites} of ${expectedSites}`);
    check("recommended sites table", n.siteRows >= 1, `${n.siteRows} requirements`);
  }
  // The last circle drawn is on top (circles are drawn largest first).
  await page.locator("#map-svg circle.community").last().dispatchEvent("click");
  const detail = await page.textContent("#detail");
  check("clicking a community shows its status", /人口/.test(detail ?? ""), (detail ?? "").slice(0, 120));
  check("no console errors", errors.length === 0, errors.join(" | "));
  check("nothing fetched from the network", external.length === 0, external.join(" "));
  await page.screenshot({ path: shot, fullPage: true });
  check("screenshot kept", true, shot);
} finally {
  await browser.close();
}
console.log(`report-check: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
