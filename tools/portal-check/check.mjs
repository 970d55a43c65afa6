// The web portal's browser tests (issue 14) in headless Chromium (Debian's chromium driven by
// playwright-core): starts `livingcircle serve` on a free port with a fresh data directory,
// runs the journeys (a resident finds the nearest meal site by walking distance, books and
// rates; the provider confirms, starts and completes; a community worker records a visit; a
// regulator runs and verifies a spot check's draw; a planner runs an assessment), audits every page they visit and the public pages with axe-core and the elder-mode
// (长辈版) numbers in normal and elder mode, keeps full-page screenshots, and measures page
// weight and first contentful paint of the heaviest pages (table on stdout, JSON in the
// artefact directory). Exits non-zero on any failure, naming the page, the mode and the rule.
//
// usage: node check.mjs LIVINGCIRCLE_BINARY ARTEFACT_DIR
import { chromium } from "playwright-core";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startServer } from "./lib/server.mjs";
import { Harness } from "./lib/harness.mjs";
import { AXE_VERSION, ELDER } from "./lib/audit.mjs";
import * as journeys from "./lib/journeys.mjs";
import { measure, table } from "./lib/perf.mjs";

const [binary, artArg] = process.argv.slice(2);
if (!binary || !artArg) {
  console.error("usage: node check.mjs LIVINGCIRCLE_BINARY ARTEFACT_DIR");
  process.exit(2);
}
const artDir = resolve(artArg);
rmSync(artDir, { recursive: true, force: true });
mkdirSync(artDir, { recursive: true });
const t0 = Date.now();

const server = await startServer(resolve(binary), join(artDir, "server.log"));
console.log(`server: ${server.base} (ready in ${server.startupMs} ms)`);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const h = new Harness(browser, server.base, artDir);
let perf = [];
try {
  // The demo city's accounts (`livingcircle serve` seeds them into a fresh data directory).
  const accounts = server.demoAccounts();
  h.must("the server wrote demo-accounts.txt", !!accounts?.resident && !!accounts?.provider && !!accounts?.worker);
  const setup = await journeys.prepare(h, server, accounts);

  // Public pages, signed out.
  const anon = await h.session("anonymous");
  for (const [label, path, status] of [
    ["home", "/", 200],
    ["login", "/login", 200],
    ["nearby", "/nearby?service=meal", 200],
    ["nearby-search", `/nearby?service=meal&community=${setup.community}`, 200],
    ["not-found", "/outlets/NO-SUCH-OUTLET", 404],
  ]) {
    const r = await anon.page.goto(path);
    h.check(`${path} answers ${status}`, r.status() === status, String(r.status()));
    await h.audit(anon, `public-${label}`, `${path.split("?")[0]}${label === "nearby-search" ? " (search)" : ""} (anonymous)`, {
      shots: label !== "not-found",
    });
  }
  await anon.page.goto("/login");
  await anon.page.fill("#username", "resident");
  await anon.page.fill("#password", "not-the-password");
  await anon.page.click("form[action='/login'] button[type=submit]");
  const refused = await anon.page.locator("[data-testid=login-error]").waitFor({ timeout: 10_000 }).then(() => true, () => false);
  h.check("login: a wrong password is refused on the page", refused);
  await h.audit(anon, "public-login-refused", "/login (refused)", { shots: false });
  await anon.context.close();

  const resident = await h.session("resident");
  const provider = await h.session("provider");
  const worker = await h.session("worker");
  const regulator = await h.session("regulator");
  const step = async (name, f) => {
    try {
      return await f();
    } catch (e) {
      h.check(`journey ${name} ran to the end`, false, e.message.split("\n")[0]);
      return undefined;
    }
  };
  const id = await step("resident books", () => journeys.residentBooks(h, resident, accounts.resident.password, setup));
  // A refusal page: a resident at the provider's bookings.
  await resident.page.goto("/provider/bookings");
  h.check("refusal: a resident is refused the provider's page", (await resident.page.locator("[data-testid=message]").count()) === 1);
  await h.audit(resident, "refusal", "/provider/bookings (refused)");
  if (id) {
    const served = await step("provider serves", () => journeys.providerServes(h, provider, accounts.provider.password, id).then(() => true));
    if (served) await step("resident rates", () => journeys.residentRates(h, resident, id));
  }
  await step("worker visits", () => journeys.workerVisits(h, worker, accounts.worker.password));
  await step("regulator's pages", () => journeys.regulatorPages(h, regulator, accounts.regulator.password));
  await step("regulator runs and verifies a draw", () => journeys.regulatorDraws(h, regulator));
  await step("planner runs an assessment", () => journeys.plannerRuns(h, regulator));
  for (const j of journeys.later) await step(j.name, () => j(h, server, accounts));

  // Page weight and first render, cold cache, signed in as the journeys were.
  const state = {};
  for (const s of [resident, provider, worker, regulator]) state[s.who] = await s.context.storageState();
  const nearbyHome = `/nearby?service=meal&community=${encodeURIComponent(setup.community)}`;
  const outlet = `/outlets/${encodeURIComponent(setup.facility)}?service=meal`;
  perf = await measure(browser, server.base, [
    { name: "home", path: "/", as: "anonymous" },
    { name: "login", path: "/login", as: "anonymous" },
    { name: "nearby (map only)", path: "/nearby?service=meal", as: "anonymous" },
    { name: "nearby (results and map)", path: nearbyHome, as: "resident", state: state.resident },
    { name: "nearby, elder mode", path: nearbyHome, as: "resident", state: state.resident, elder: true },
    { name: "outlet", path: outlet, as: "resident", state: state.resident },
    { name: "my bookings", path: "/my/bookings", as: "resident", state: state.resident },
    { name: "provider bookings", path: "/provider/bookings", as: "provider", state: state.provider },
    { name: "worker visits", path: "/worker", as: "worker", state: state.worker },
    { name: "worker: residents for 代办", path: "/worker/residents", as: "worker", state: state.worker },
    { name: "provider outlets", path: "/provider", as: "provider", state: state.provider },
    { name: "planner (latest run, by region)", path: "/planner", as: "regulator", state: state.regulator },
    { name: "planner: siting form", path: "/planner/siting", as: "regulator", state: state.regulator },
    { name: "regulator spot checks", path: "/regulator/spot-checks", as: "regulator", state: state.regulator },
  ]);
  for (const s of [resident, provider, worker, regulator]) await s.context.close();
} catch (e) {
  h.check("portal-check ran to the end", false, e.stack ?? String(e));
} finally {
  await browser.close();
  await server.stop();
}

const elder = h.audits.filter((a) => a.numbers);
const worst = elder.length
  ? {
      baseFontPx: Math.min(...elder.map((a) => a.numbers.baseFontPx)),
      minTextPx: Math.min(...elder.map((a) => a.numbers.minTextPx)),
      minTargetPx: Math.min(...elder.map((a) => a.numbers.minTargetPx)),
      minContrast: Math.min(...elder.map((a) => a.numbers.minContrast)),
      minLineHeight: Math.min(...elder.map((a) => a.numbers.minLineHeight)),
    }
  : null;
const seconds = ((Date.now() - t0) / 1000).toFixed(1);
writeFileSync(
  join(artDir, "portal-check.json"),
  JSON.stringify(
    { axe: AXE_VERSION, bars: ELDER, seconds: Number(seconds), passed: h.passed, failures: h.failures, notes: h.notes, elder_worst: worst, audits: h.audits, perf },
    null,
    2,
  ) + "\n",
);
console.log(`\naxe-core ${AXE_VERSION}: ${h.audits.length} page audits (${elder.length} in elder mode)`);
if (worst) console.log(`elder mode, worst over all pages: ${JSON.stringify(worst)}`);
if (perf.length) console.log(`\npage weight and first render (cold cache, median of 3):\n${table(perf)}`);
console.log(`\nportal-check: ${h.passed} passed, ${h.failures.length} failed, ${h.shots} screenshots, ${seconds} s`);
for (const n of h.notes) console.log(`  note ${n}`);
for (const f of h.failures) console.log(`  FAIL ${f}`);
process.exit(h.failures.length === 0 ? 0 : 1);
