// What the journeys share: the browser sessions (one context per person), the results, and
// `audit`, which checks the page as displayed and the same page in the other mode.
import { join } from "node:path";
import { axeViolations, elderNumbers, carousels } from "./audit.mjs";

/** Full-page screenshots kept at most (about 130 KiB each), so that the artefacts stay small. */
const MAX_SHOTS = 120;

export class Harness {
  constructor(browser, base, artDir) {
    this.browser = browser;
    this.base = base;
    this.artDir = artDir;
    this.passed = 0;
    this.failures = [];
    this.audits = []; // { page, mode, lang, axe: n, numbers }
    this.audited = new Set();
    this.shots = 0;
    this.notes = [];
  }

  /** Something to report that does not fail the run. */
  note(text) {
    this.notes.push(text);
    console.log(`note ${text}`);
  }

  check(what, ok, detail = "") {
    if (ok) this.passed += 1;
    else this.failures.push(`${what}${detail ? `: ${detail}` : ""}`);
    console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? ` ${detail}` : ""}`);
    return ok;
  }

  /** Fails the run now (a step the rest of a journey depends on). */
  must(what, ok, detail = "") {
    if (!this.check(what, ok, detail)) throw new Error(`${what}: ${detail}`);
  }

  /** A new browser context (its own cookies) with a page watched for pop-ups and errors. */
  async session(who) {
    const context = await this.browser.newContext({
      baseURL: this.base,
      viewport: { width: 1280, height: 900 },
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
    });
    const page = await context.newPage();
    this.watch(page, who);
    return { context, page, who };
  }

  watch(page, who) {
    // No pop-ups: any alert/confirm/prompt, or a new window, fails the run.
    page.on("dialog", async (d) => {
      this.check(`no pop-up (${who}, ${new URL(page.url()).pathname})`, false, `${d.type()} "${d.message()}"`);
      await d.dismiss().catch(() => {});
    });
    page.on("popup", (p) => this.check(`no new window (${who})`, false, p.url()));
    page.on("pageerror", (e) => this.check(`no script error (${who}, ${page.url()})`, false, String(e)));
    page.on("console", (m) => {
      // A refusal or a missing page answers its status with a page (checked by the journey);
      // the browser logs that status as a console error, which is not a page's error.
      const from = m.location()?.url ?? "";
      if (m.type() === "error" && !/favicon/.test(from) && from !== page.url())
        this.check(`no console error (${who}, ${page.url()})`, false, m.text());
    });
    page.on("response", (r) => {
      const u = new URL(r.url());
      if (r.status() >= 500) this.check(`no server error (${who})`, false, `${r.status()} ${u.pathname}${u.search}`);
    });
  }

  async login(s, username, password) {
    await s.page.goto("/login");
    await s.page.fill("#username", username);
    await s.page.fill("#password", password);
    await Promise.all([s.page.waitForURL((u) => !u.pathname.startsWith("/login")), s.page.click("form[action='/login'] button[type=submit]")]);
    const who = ((await s.page.locator(".main-nav .who span").textContent().catch(() => "")) ?? "").trim();
    this.must(`${username} signs in`, who !== "" && !new URL(s.page.url()).pathname.startsWith("/login"), who);
  }

  async elder(context) {
    const c = await context.cookies(this.base);
    return c.some((k) => k.name === "lc_elder" && k.value === "1");
  }

  async setElder(context, on) {
    if (on) await context.addCookies([{ name: "lc_elder", value: "1", url: this.base }]);
    else await context.clearCookies({ name: "lc_elder" });
  }

  async screenshot(page, name) {
    if (this.shots >= MAX_SHOTS) return;
    this.shots += 1;
    const file = `${String(this.shots).padStart(2, "0")}-${name}.png`;
    await page.screenshot({ path: join(this.artDir, file), fullPage: true });
  }

  /**
   * Audits the page as displayed (its mode is the context's) and, in a second tab of the
   * same session, the same address in the other mode; full-page screenshots of both.
   * `label` names the step ("resident-outlet"); `key` (default: the path) audits a page
   * kind once per mode; `shots: false` keeps no screenshot (at most MAX_SHOTS in all).
   */
  async audit(s, label, key, { shots = true } = {}) {
    const url = s.page.url();
    const k = key ?? new URL(url).pathname;
    const mode = (await this.elder(s.context)) ? "elder" : "normal";
    await this.auditPage(s.page, label, k, mode, shots);
    const other = mode === "elder" ? "normal" : "elder";
    const tab = await s.context.newPage();
    this.watch(tab, s.who);
    try {
      await this.setElder(s.context, other === "elder");
      await tab.goto(url);
      await this.auditPage(tab, label, k, other, shots);
    } finally {
      await this.setElder(s.context, mode === "elder");
      await tab.close();
    }
  }

  async auditPage(page, label, key, mode, shots) {
    const lang = await page.evaluate(() => document.documentElement.lang);
    const elderClass = await page.evaluate(() => document.documentElement.classList.contains("elder"));
    const where = `${label} [${key}, ${mode}, ${lang}]`;
    this.check(`${where} displays ${mode} mode`, elderClass === (mode === "elder"));
    if (shots) await this.screenshot(page, `${label}-${mode}`);
    const id = `${key}|${mode}|${lang}`;
    if (this.audited.has(id)) return;
    this.audited.add(id);
    const v = await axeViolations(page);
    this.check(
      `${where} axe: no serious or critical violation`,
      v.length === 0,
      v.map((x) => `${x.rule} (${x.impact}): ${x.help} — ${x.nodes.slice(0, 3).join("; ")}`).join(" | "),
    );
    const car = await carousels(page);
    this.check(`${where} no carousel`, car.length === 0, car.join("; "));
    const entry = { page: key, label, mode, lang, axe: v.map((x) => x.rule), axe_lesser: axeViolations.lesser };
    if (mode === "elder") {
      const n = await elderNumbers(page);
      entry.numbers = {
        baseFontPx: n.baseFontPx,
        minTextPx: n.text.minFontPx,
        minTargetPx: n.targets.minPx,
        targets: n.targets.count,
        minContrast: Number(n.contrast.min.toFixed(2)),
        minLineHeight: Number(n.lineHeight.minRatio.toFixed(2)),
      };
      this.check(`${where} base font >= 18 px`, n.baseFontPx >= 18, `${n.baseFontPx} px`);
      this.check(`${where} text >= 18 px`, n.text.small.length === 0, n.text.small.slice(0, 5).join("; "));
      this.check(`${where} tap targets >= 60x60 px`, n.targets.below.length === 0, n.targets.below.slice(0, 5).join("; "));
      this.check(`${where} text contrast >= 4.5:1`, n.contrast.below.length === 0, n.contrast.below.slice(0, 5).join("; "));
      this.check(`${where} line height >= 1.3`, n.lineHeight.below.length === 0, n.lineHeight.below.slice(0, 5).join("; "));
    }
    this.audits.push(entry);
  }
}
