// The journeys of issue 14, each as the person would do it in the browser. Every page they
// visit is audited (axe and the elder-mode numbers) in both modes by `h.audit`.
import { apiLogin } from "./server.mjs";

const WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/**
 * Before the journeys, as the `provider` account through the API: the provider's canteen
 * nearest the resident serves meals all day every day in 30-minute slots with no notice (its
 * meal offering changed by PATCH, or added when it has none). A provider may start a service
 * at most an hour before its slot and completes it after starting, so the demo's lunch and
 * dinner slots would make the journey depend on the time of day; with this plan the first free
 * slot is always within the next half hour. Returns { facility, offering, community,
 * byDistance } (byDistance: the canteens' ids in the API's walking order).
 */
export async function prepare(h, server, accounts) {
  const resident = await apiLogin(server.base, "resident", accounts.resident.password);
  const provider = await apiLogin(server.base, "provider", accounts.provider.password);
  // The resident's community: /api/auth/me names the resident's own record.
  const me = (await resident.call("GET", "/api/auth/me")).body;
  const community = me.resident?.community_id;
  h.must("the resident has a community", !!community, JSON.stringify(me).slice(0, 300));
  const near = await resident.call("GET", `/api/public/nearby?service=meal&community=${community}&limit=10`);
  h.must("setup: canteens near the resident by walking distance", near.status === 200, JSON.stringify(near.body).slice(0, 300));
  const byDistance = near.body.items.map((i) => i.facility_id);
  const mine = (await provider.call("GET", "/api/auth/me")).body.provider_code;
  const plan = {
    week: Object.fromEntries(WEEK.map((d) => [d, ["00:00-24:00"]])),
    holidays: "ignore",
  };
  for (const [rank, facility] of byDistance.entries()) {
    const f = await provider.call("GET", `/api/facilities/${encodeURIComponent(facility)}`);
    if (f.body?.provider_code !== mine) continue;
    const list = await provider.call("GET", `/api/offerings?facility_id=${encodeURIComponent(facility)}&service=meal&limit=100`);
    const existing = list.body?.items?.find((o) => o.delivery === "outlet");
    const r = existing
      ? await provider.call("PATCH", `/api/offerings/${existing.id}`, { min_notice_min: 0, plan })
      : await provider.call("POST", "/api/offerings", {
          facility_id: facility,
          service: "meal",
          delivery: "outlet",
          price_fen: 1200,
          subsidy_cap_fen: 400,
          duration_min: 30,
          capacity: 20,
          min_notice_min: 0,
          plan,
        });
    h.must(`setup: the provider's canteen ${facility} serves meals all day`, r.status === 200 || r.status === 201, JSON.stringify(r.body).slice(0, 300));
    console.log(`setup: meal offering ${r.body.id} at ${facility} (rank ${rank + 1} by walking distance) open all day`);
    return { facility, offering: r.body.id, community, byDistance };
  }
  h.must("setup: the provider runs a canteen near the resident", false, byDistance.join(", "));
}

/** 1. A resident finds the nearest meal site by walking distance and books. */
export async function residentBooks(h, s, password, setup) {
  const { page } = s;
  await h.login(s, "resident", password);
  await h.audit(s, "resident-home", "/ (resident)");

  // Both languages once: English, then back to Chinese.
  await Promise.all([page.waitForEvent("load"), page.click("[data-testid=lang-toggle]")]);
  h.check("English: <html lang=en>", (await page.getAttribute("html", "lang")) === "en");
  const h1 = await page.textContent("h1");
  h.check("English: the heading is translated", /living circle/i.test(h1), h1);
  await h.audit(s, "resident-home-en", "/ (resident)");
  await Promise.all([page.waitForEvent("load"), page.click("[data-testid=lang-toggle]")]);
  h.check("Chinese again: <html lang=zh-CN>", (await page.getAttribute("html", "lang")) === "zh-CN");

  // From the home page's tile; the page starts from the resident's own community.
  await Promise.all([page.waitForURL(/\/nearby/), page.locator("a.tile[href='/nearby?service=meal']").first().click()]);
  await h.audit(s, "resident-nearby", "/nearby (resident)");
  h.check("nearby: starts from the resident's community", (await page.inputValue("#community")) === setup.community, await page.inputValue("#community"));
  const results = page.locator("[data-testid=result]");
  const metres = await results.evaluateAll((els) => els.map((e) => Number(e.dataset.metres)));
  h.must("nearby: results listed", metres.length > 0, `${metres.length} outlets`);
  h.check("nearby: ordered by walking distance", metres.every((m, i) => i === 0 || metres[i - 1] <= m), metres.join(" ≤ "));
  const walk = await results.first().locator(".walk").textContent();
  h.check("nearby: the first shows minutes on foot", /\d+\s*分钟/.test(walk), walk.trim());
  const first = await results.first().getAttribute("data-facility");
  h.check("nearby: the first is the provider's canteen with the all-day offering", first === setup.facility, `${first} vs ${setup.facility}`);
  await results.first().locator("h3 a").click();
  await page.waitForURL(/\/outlets\//);
  await h.audit(s, "resident-outlet", "/outlets/{id}");
  const card = page.locator(`[data-testid=offering][data-offering="${setup.offering}"]`);
  h.must("outlet: the all-day offering has free slots", (await card.locator("input[name=start]").count()) > 0);
  await card.locator("input[name=start]").first().check();
  await card.locator("[data-testid=book]").click();
  await page.waitForURL(/\/my\/bookings/);
  h.check("booked: flash", /预约已提交/.test(await page.textContent("[data-testid=flash]")));
  const booking = page.locator("[data-testid=booking][data-status=requested]").first();
  h.must("my bookings: the booking is 待确认", (await booking.count()) === 1 && /待确认/.test(await booking.textContent()));
  const id = await booking.getAttribute("data-booking");
  await h.audit(s, "resident-booked", "/my/bookings (requested)");
  return id;
}

/** 2. The provider confirms, starts and completes the booking. */
export async function providerServes(h, s, password, id) {
  const { page } = s;
  await h.login(s, "provider", password);
  await page.goto("/provider/bookings");
  await h.audit(s, "provider-open", "/provider/bookings");
  for (const [action, says] of [
    ["confirm", /确认/],
    ["start", /开始/],
    ["complete", /完成/],
  ]) {
    const card = page.locator(`[data-testid=booking][data-booking="${id}"]`);
    h.must(`provider: booking #${id} has ${action}`, (await card.locator(`[data-testid=${action}]`).count()) === 1);
    await Promise.all([page.waitForEvent("load"), card.locator(`[data-testid=${action}]`).click()]);
    const flash = (await page.locator("[data-testid=flash]").textContent().catch(() => "")) ?? "";
    h.must(`provider: ${action} confirmed by the flash`, says.test(flash) && !/flash-error/.test(await page.getAttribute("[data-testid=flash]", "class")), flash.trim());
    if (action === "confirm") await h.audit(s, "provider-confirmed", "/provider/bookings (confirmed)");
  }
  await h.audit(s, "provider-done", "/provider/bookings (done)");
}

/** 3. The resident sees the service completed and rates it 满意. */
export async function residentRates(h, s, id) {
  const { page } = s;
  await page.goto("/my/bookings");
  const card = page.locator(`[data-testid=booking][data-booking="${id}"]`);
  h.check("my bookings: 已完成", /已完成/.test(await card.textContent()));
  h.must("my bookings: a 评价 link", (await card.locator("[data-testid=rate]").count()) === 1);
  await h.audit(s, "resident-completed", "/my/bookings (completed)");
  await card.locator("[data-testid=rate]").click();
  await page.waitForURL(/\/rate$/);
  await h.audit(s, "resident-rate", "/my/bookings/{id}/rate");
  await page.locator("input[name=level][value=satisfied]").check();
  await page.fill("#text", "饭菜热乎，分量足。");
  await page.click("[data-testid=submit-rating]");
  await page.waitForURL(/\/my\/bookings$/);
  h.check("rated: flash", (await page.locator("[data-testid=flash]").count()) === 1, await page.textContent("[data-testid=flash]").catch(() => ""));
  h.check("my bookings: 已评价", /已评价/.test(await page.locator(`[data-testid=booking][data-booking="${id}"]`).textContent()));
  await h.audit(s, "resident-rated", "/my/bookings (rated)");
}

/** 4. The community worker records a visit to someone due one. */
export async function workerVisits(h, s, password) {
  const { page } = s;
  await h.login(s, "worker", password);
  await page.goto("/worker");
  // Elder mode by its link (the rest of this journey runs in it).
  await Promise.all([page.waitForEvent("load"), page.click("[data-testid=elder-toggle]")]);
  h.check("elder mode by the link: html.elder", await page.evaluate(() => document.documentElement.classList.contains("elder")));
  await h.audit(s, "worker-due", "/worker");
  const due = page.locator("[data-testid=due-item][data-visited=false]").first();
  h.must("worker: someone is due a visit", (await due.count()) === 1);
  const register = await due.getAttribute("data-register");
  await due.locator("[data-testid=record-visit]").click();
  await page.waitForURL(/\/worker\/visits\/new/);
  await h.audit(s, "worker-visit-form", "/worker/visits/new");
  // Start 20 minutes before the pre-filled end (now), not before midnight; in the first
  // minute of the day, yesterday 23:39–23:59 (a visit may not end in the future).
  const end = await page.inputValue("#end");
  const [hh, mm] = end.split(":").map(Number);
  const endMin = hh * 60 + mm;
  if (endMin === 0) {
    const d = new Date(`${await page.inputValue("#date")}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() - 1);
    await page.fill("#date", d.toISOString().slice(0, 10));
    await page.fill("#end", "23:59");
  }
  const startMin = endMin === 0 ? 23 * 60 + 39 : Math.max(0, endMin - 20);
  await page.fill("#start", `${String(Math.floor(startMin / 60)).padStart(2, "0")}:${String(startMin % 60).padStart(2, "0")}`);
  await page.fill("#place", "家中");
  await page.fill("#outcome", "身体状况良好，已提醒按时服药。");
  await page.click("[data-testid=save-visit]");
  await page.waitForURL(/\/worker$/);
  h.check("visit: flash", /走访记录已保存/.test(await page.textContent("[data-testid=flash]").catch(() => "")));
  const item = page.locator(`[data-testid=due-item][data-register="${register}"]`);
  h.check("worker: the person shows as visited", (await item.getAttribute("data-visited")) === "true");
  await h.audit(s, "worker-visited", "/worker (visited)");
  await h.setElder(s.context, false);
}

/**
 * The regulator's pages (issue 14), audited as they stand on the demo city; the regulator's
 * journey (a spot check from announcement to publication) is still to come, below.
 */
export async function regulatorPages(h, s, password) {
  const { page } = s;
  await h.login(s, "regulator", password);
  for (const [i, path] of ["/regulator/spot-checks", "/regulator/warnings", "/regulator/credit"].entries()) {
    const r = await page.goto(path);
    h.check(`${path} answers 200`, r.status() === 200, String(r.status()));
    // Screenshots of the first only (at most 40 in all).
    await h.audit(s, `regulator-${path.split("/").pop()}`, path, { shots: i === 0 });
  }
}

/**
 * A planner (here the regulator account, which may start runs) runs a new assessment on the
 * registry's data from the page, follows its progress and sees the map of communities.
 */
export async function plannerRuns(h, s) {
  const { page } = s;
  const r = await page.goto("/planner");
  h.check("/planner answers 200", r.status() === 200, String(r.status()));
  await page.click("[data-testid=start-run]");
  await page.waitForURL(/\/planner\/jobs\//);
  // The progress page reloads itself until the job ends.
  await page.locator("[data-testid=see-run]").waitFor({ timeout: 120_000 });
  h.check("planner: the run ended done", (await page.getAttribute("[data-testid=job]", "data-status")) === "done");
  await page.click("[data-testid=see-run]");
  await page.waitForURL(/\/planner\?run=/);
  const dots = await page.locator("svg[data-testid=map] g.mk").count();
  h.check("planner: one dot per community of the demo city on the map", dots >= 206, String(dots));
  h.check("planner: the targets table has rows", (await page.locator("[data-testid=indicators] tbody tr").count()) > 0);
  await h.audit(s, "planner-run", "/planner (a run)");
}

// 5. The planner's (规划师) and the regulator's journeys: functions (h, server, accounts) added
//    here as their pages come (issue 14, later items); check.mjs runs them in order after the
//    others, each reported as one journey.
export const later = [plannerSites];

/**
 * A planner (the regulator account, which may run scenarios) reads the latest assessment by
 * region, then runs a siting scenario for community canteens on the demo city's candidate
 * plots and sees the chosen sites on the map and in the table, with the proven bound.
 */
export async function plannerSites(h, server, accounts) {
  const s = await h.session("planner");
  try {
    await h.login(s, "regulator", accounts.regulator.password);
    const { page } = s;
    const r = await page.goto("/planner");
    h.check("/planner answers 200 (regions)", r.status() === 200, String(r.status()));
    const regions = await page.locator("[data-testid=regions] tbody tr").count();
    h.check("planner: the table by region has rows", regions > 0, String(regions));
    const circles = await page.locator("svg[data-testid=region-map] g.rg").count();
    h.check("planner: one circle per region on the region map", circles === regions, `${circles} circles, ${regions} regions`);
    h.check("planner: the region's indicators against the 2025 targets", (await page.locator("[data-testid=region-indicators] tbody tr").count()) > 0);
    // Another region by the selector.
    const options = await page.locator("#region option").evaluateAll((os) => os.map((o) => o.value));
    if (options.length > 1) {
      await page.selectOption("#region", options[options.length - 1]);
      await Promise.all([page.waitForURL(/region=/), page.click("[data-testid=show-region]")]);
      h.check("planner: the selector shows the region chosen", (await page.inputValue("#region")) === options[options.length - 1]);
      await h.audit(s, "planner-region", "/planner (a region)", { shots: false });
    }
    await Promise.all([page.waitForURL(/\/planner\/siting$/), page.click("[data-testid=siting-link]")]);
    const boxes = await page.locator("input[name=candidate]").count();
    h.check("siting: the demo city's 36 candidate plots to tick", boxes === 36, String(boxes));
    await h.audit(s, "planner-siting", "/planner/siting");
    await page.selectOption("#category", "community_canteen");
    await page.fill("#sites", "3");
    await Promise.all([page.waitForURL(/\/planner\/siting\/\d+$/, { timeout: 60_000 }), page.click("[data-testid=run-siting]")]);
    const rows = await page.locator("[data-testid=sites] tbody tr").count();
    h.check("siting: the table lists the chosen sites", rows >= 1 && rows <= 3, String(rows));
    const numbered = await page.locator("svg[data-testid=map] g.mk-site").count();
    h.check("siting: each chosen site numbered on the map", numbered === rows, `${numbered} vs ${rows}`);
    const grey = await page.locator("svg[data-testid=map] g.mk-cand").count();
    h.check("siting: the other candidates grey on the map", grey === 36 - rows, String(grey));
    const proof = (await page.textContent("[data-testid=siting-proof]")) ?? "";
    h.check("siting: the bound and gap in plain words", /已证明这是最优方案|最多覆盖/.test(proof), proof.trim());
    await h.audit(s, "planner-siting-result", "/planner/siting/{id}");
  } finally {
    await s.context.close();
  }
}
