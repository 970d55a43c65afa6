// The journeys of issue 14, each as the person would do it in the browser. Every page they
// visit is audited (axe and the elder-mode numbers) in both modes by `h.audit`.
import { createHash, randomBytes } from "node:crypto";
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
 * The regulator's pages (issue 14), audited as they stand on the demo city (the spot check's
 * own journey is `regulatorDraws`).
 */
export async function regulatorPages(h, s, password) {
  const { page } = s;
  await h.login(s, "regulator", password);
  for (const [i, path] of ["/regulator/spot-checks", "/regulator/warnings", "/regulator/credit"].entries()) {
    const r = await page.goto(path);
    h.check(`${path} answers 200`, r.status() === 200, String(r.status()));
    // Screenshots of the first only (the rest are audited without).
    await h.audit(s, `regulator-${path.split("/").pop()}`, path, { shots: i === 0 });
  }
}

/**
 * 6. The regulator runs and verifies a 双随机 draw on the demo city: announces a spot check of the
 * community canteens (the page sends only the seed secret's SHA-256, computed in the browser),
 * reveals the secret and the public value to draw, sees the page's independent replay of the
 * draw verify it, records every drawn object's result and publishes; the public API then lists
 * it. Needs the demo's check items and inspectors (seeded with the demo city).
 */
export async function regulatorDraws(h, s) {
  const { page } = s;
  await page.goto("/regulator/spot-checks");
  const items = await page.locator("input[name=check_items]").count();
  h.must("spot checks: the demo's check-item list is offered", items > 0, String(items));
  const secret = randomBytes(16).toString("hex");
  const stamp = new Date().toISOString().slice(0, 19).replace(/\D/g, "");
  const label = `社区助餐点双随机抽查 ${stamp}`;
  await page.fill("#label", label);
  await page.fill("#secret", secret);
  await page.fill("#source", "中国福利彩票3D 当日开奖号码");
  await page.click("[data-testid=announce]");
  await page.waitForURL(/\/regulator\/spot-checks\/\d+$/);
  const flash = (await page.textContent("[data-testid=flash]").catch(() => "")) ?? "";
  h.must("announce: flash names the pools", /检查对象 \d+ 个/.test(flash), flash.trim());
  h.must("announce: 已公告", (await page.getAttribute("[data-testid=check-facts]", "data-status")) === "announced");
  const commitment = (await page.locator("[data-testid=check-facts] code.hash").nth(2).textContent()).trim();
  h.check(
    "announce: the commitment is the secret's SHA-256 (computed in the browser, the secret not sent)",
    commitment === createHash("sha256").update(secret).digest("hex"),
    commitment,
  );
  await h.audit(s, "regulator-announced", "/regulator/spot-checks/{id} (announced)");

  // The draw: a wrong secret is refused, the right one draws and the replay verifies it.
  await page.fill("#reveal", "not the secret, but long enough");
  await page.fill("#value-1", "5 0 8");
  await Promise.all([page.waitForEvent("load"), page.click("[data-testid=draw]")]);
  h.check("draw: a wrong secret is refused", /flash-error/.test((await page.getAttribute("[data-testid=flash]", "class")) ?? ""));
  await page.fill("#reveal", secret);
  await page.fill("#value-1", "5 0 8");
  await Promise.all([page.waitForEvent("load"), page.click("[data-testid=draw]")]);
  h.must("draw: 已抽取", (await page.getAttribute("[data-testid=check-facts]", "data-status")) === "drawn");
  h.check("draw: the page's independent replay verifies it", (await page.getAttribute("[data-testid=verify]", "data-verified")) === "true");
  const drawn = await page.locator("[data-testid=result-row]").count();
  h.must("draw: objects drawn", drawn > 0, String(drawn));
  await h.audit(s, "regulator-drawn", "/regulator/spot-checks/{id} (drawn)");

  // Every result, one form each (the page reloads after each); the first finds a problem.
  for (let i = 0; i < drawn; i++) {
    const row = page.locator("[data-testid=result-row][data-outcome='']").first();
    if ((await row.count()) === 0) break;
    if (i === 0) {
      await row.locator("select[name=outcome]").selectOption("rectify_ordered");
      await row.locator("input[name=findings]").fill("留样记录不全");
      const due = new Date(Date.now() + 15 * 86_400_000).toISOString().slice(0, 10);
      await row.locator("input[name=rectification_due]").fill(due);
    }
    await Promise.all([page.waitForEvent("load"), row.locator("[data-testid=record-result]").click()]);
    const said = (await page.textContent("[data-testid=flash]").catch(() => "")) ?? "";
    h.must(`result ${i + 1} of ${drawn} recorded`, /检查结果已录入/.test(said), said.trim());
  }
  h.check("results: every object has its result", (await page.locator("[data-testid=result-row][data-outcome='']").count()) === 0);
  await Promise.all([page.waitForEvent("load"), page.click("[data-testid=publish]")]);
  h.must("publish: 已公示", (await page.getAttribute("[data-testid=check-facts]", "data-status")) === "published");
  await h.audit(s, "regulator-published", "/regulator/spot-checks/{id} (published)");
  const id = page.url().split("/").pop();
  const pub = await page.evaluate(async () => (await fetch("/api/public/spot-checks")).json());
  const list = Array.isArray(pub) ? pub : (pub.items ?? []);
  h.check("public: the published spot check is listed for everyone", list.some((c) => String(c.id) === id), JSON.stringify(pub).slice(0, 200));
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

/** A CSV upload as `username` through the API (the JSON client sends JSON only). */
async function uploadCsv(base, username, password, path, csv) {
  const r = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const body = await r.json();
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { cookie: r.headers.get("set-cookie").split(";")[0], "x-csrf-token": body.csrf_token, "content-type": "text/csv" },
    body: csv,
  });
  return { status: res.status, body: await res.text() };
}

/**
 * 6. The provider manages its outlets and answers a 差评 (issue 14, item 4): opens its outlets,
 * adds a service to an outlet that lacks one (when it has such an outlet) and changes the
 * all-day meal service's price through the forms, sees the slots, opens the 差评 case and
 * verifies it, reads its credit records (never a credit class). Before it, through the API: the
 * resident rates a meal the provider served 非常不满意 (a case to handle); the regulator imports
 * a penalty of the provider (a record to read).
 */
export async function providerManages(h, server, accounts) {
  const pw = accounts.provider.password;
  const resident = await apiLogin(server.base, "resident", accounts.resident.password);
  const provider = await apiLogin(server.base, "provider", pw);
  const mine = (await provider.call("GET", "/api/auth/me")).body.provider_code;
  const offers = await provider.call("GET", `/api/offerings?provider_code=${encodeURIComponent(mine)}&service=meal&limit=1000`);
  const allDay = offers.body.items?.find((o) => o.min_notice_min === 0 && o.plan?.week?.mon?.[0] === "00:00-24:00");
  h.must("provider pages: the all-day meal service of the setup", !!allDay, JSON.stringify(offers.body).slice(0, 300));
  const slots = await resident.call("GET", `/api/offerings/${allDay.id}/slots`);
  // A slot the resident does not hold yet (their own journey booked the first), starting
  // within the hour (a service starts at most an hour before its slot).
  const held = new Set(((await resident.call("GET", "/api/bookings?limit=200")).body.items ?? []).map((b) => b.start_ms));
  const slot = slots.body.find((x) => x.bookable && !held.has(x.start_ms) && x.start_ms - Date.now() < 3_600_000);
  h.must("provider pages: a free slot to book", !!slot);
  const booked = await resident.call("POST", "/api/bookings", { offering_id: allDay.id, start: slot.start }, { "idempotency-key": `provider-manages-${Date.now()}` });
  h.must("provider pages: the resident books", booked.status === 201, JSON.stringify(booked.body).slice(0, 300));
  for (const a of ["confirm", "start", "complete"]) {
    const r = await provider.call("POST", `/api/bookings/${booked.body.id}/${a}`, {});
    h.must(`provider pages: the provider can ${a} the booking`, r.status === 200, JSON.stringify(r.body).slice(0, 300));
  }
  const review = await resident.call("POST", "/api/reviews", { booking_id: booked.body.id, level: "very_dissatisfied", text: "饭菜送到时已经凉了。" });
  h.must("provider pages: the resident's 差评 opens a case", review.status === 201 && !!review.body.case?.id, JSON.stringify(review.body).slice(0, 300));
  const caseId = review.body.case.id;
  const penalty = await uploadCsv(
    server.base,
    "regulator",
    accounts.regulator.password,
    "/api/credit/penalties/import",
    "CF_XDR_MC,CF_XDR_SHXYM,CF_WSH,CF_WFXW,CF_SY,CF_YJ,CF_CFLB,CF_NR,CF_JDRQ,CF_CFJG,CF_CFJGDM,CF_SJLY,CF_SJLYDM\n" +
      `示例服务机构,${mine},成市监罚〔2026〕88号,未按规定公示价格,检查发现,价格法,警告,警告,2026-01-05,成都市市场监督管理局,11510107MB1535302N,成都市市场监督管理局,11510107MB1535302N\n`,
  );
  h.check("provider pages: a penalty of the provider imported", penalty.status === 200, penalty.body.slice(0, 300));
  // An outlet of the provider lacking a service its kind may offer (at the outlet if it can,
  // else at home within a walk).
  const types = (await provider.call("GET", "/api/service-types")).body;
  const outlets = (await provider.call("GET", `/api/facilities?provider_code=${encodeURIComponent(mine)}&limit=1000`)).body.items ?? [];
  const all = (await provider.call("GET", `/api/offerings?provider_code=${encodeURIComponent(mine)}&limit=1000`)).body.items ?? [];
  let toAdd = null;
  for (const delivery of ["outlet", "home"]) {
    for (const f of outlets) {
      const has = new Set(all.filter((o) => o.facility_id === f.id).map((o) => o.service));
      const t = types.find((t) => t.categories.includes(f.category) && t.deliveries.includes(delivery) && !has.has(t.key));
      if (t && !toAdd) toAdd = { facility: f.id, service: t.key, delivery };
    }
  }

  const s = await h.session("provider-manages");
  const { page } = s;
  try {
    await h.login(s, "provider", pw);
    // From the menu to the outlets.
    await Promise.all([page.waitForURL(/\/provider$/), page.click(".main-nav a[href='/provider']")]);
    const cards = await page.locator("[data-testid=outlet]").count();
    h.check("provider: the outlets are listed", cards === outlets.length && cards > 0, `${cards} of ${outlets.length}`);
    await h.audit(s, "provider-outlets", "/provider");
    if (toAdd) {
      await page.click(`[data-testid=outlet][data-outlet="${toAdd.facility}"] [data-testid=manage-outlet]`);
      await page.waitForURL(/\/provider\/outlets\//);
      await h.audit(s, "provider-outlet", "/provider/outlets/{id}", { shots: false });
      await page.selectOption("#service", toAdd.service);
      await page.check(`input[name=delivery][value=${toAdd.delivery}]`);
      if (toAdd.delivery === "home") await page.fill("#home_area_m", "1000");
      await page.fill("#price", "10");
      await page.fill("#duration_min", "60");
      await page.fill("#capacity", "2");
      await page.fill("#week_mon", "09:00-11:00, 14:00-17:00");
      await page.fill("#week_wed", "09:00-11:00");
      await Promise.all([page.waitForEvent("load"), page.click("[data-testid=add-offering] [data-testid=save-offering]")]);
      const said = (await page.textContent("[data-testid=flash]").catch(() => "")) ?? "";
      h.check(`provider: a ${toAdd.service} service (${toAdd.delivery}) added to ${toAdd.facility} by the form`, /已新增服务项目/.test(said), said.trim());
      const added = await provider.call("GET", `/api/offerings?facility_id=${encodeURIComponent(toAdd.facility)}&service=${toAdd.service}`);
      h.check("provider: the API holds the added service with its hours", added.body.items?.[0]?.plan?.week?.mon?.length === 2, JSON.stringify(added.body.items?.[0]?.plan ?? null));
    } else {
      h.note("provider: every outlet already offers every service its kind may (nothing to add)");
    }
    // The all-day meal service: its outlet, its page with the slots, a new price by the form.
    await page.goto(`/provider/outlets/${encodeURIComponent(allDay.facility_id)}`);
    if (!toAdd) await h.audit(s, "provider-outlet", "/provider/outlets/{id}", { shots: false });
    await Promise.all([page.waitForURL(/\/provider\/offerings\//), page.click(`[data-testid=offering-row][data-offering="${allDay.id}"] [data-testid=edit-offering]`)]);
    h.check("provider: the offering's slots are listed", (await page.locator("[data-testid=slot]").count()) > 0);
    h.check("provider: the booked slot shows", (await page.locator("[data-testid=slot]", { hasText: "1 /" }).count()) >= 1);
    await h.audit(s, "provider-offering", "/provider/offerings/{id}");
    await page.fill("#price", "13.50");
    await Promise.all([page.waitForEvent("load"), page.click("[data-testid=edit-offering-form] [data-testid=save-offering]")]);
    const saved = (await page.textContent("[data-testid=flash]").catch(() => "")) ?? "";
    h.check("provider: the price changed by the form", /服务项目已保存/.test(saved), saved.trim());
    const after = await provider.call("GET", `/api/offerings/${allDay.id}`);
    h.check("provider: the API holds the new price, the plan unchanged", after.body.price_fen === 1350 && after.body.plan?.week?.sun?.[0] === "00:00-24:00" && after.body.version === allDay.version + 1, JSON.stringify(after.body).slice(0, 300));

    // The 差评 case: listed with its status, opened, verified.
    await page.click(".main-nav a[href='/provider/reviews']");
    await page.waitForURL(/\/provider\/reviews/);
    const item = page.locator(`[data-testid=case][data-case="${caseId}"]`);
    h.must("provider: the new 差评 case is listed as received", (await item.getAttribute("data-status")) === "received");
    await h.audit(s, "provider-reviews", "/provider/reviews", { shots: false });
    await Promise.all([page.waitForURL(/\/provider\/cases\//), item.locator("[data-testid=open-case]").click()]);
    await h.audit(s, "provider-case", "/provider/cases/{id}");
    await Promise.all([page.waitForEvent("load"), page.click("[data-testid=act-verify]")]);
    h.check("provider: the case verified by the form", (await page.getAttribute("[data-testid=case-facts]", "data-status")) === "verified");
    await page.fill("#text-explain", "当日送餐车故障，已更换保温箱并向居民致歉。");
    await Promise.all([page.waitForEvent("load"), page.click("[data-testid=act-explain]")]);
    h.check("provider: the explanation sent", (await page.getAttribute("[data-testid=case-facts]", "data-status")) === "explained", (await page.textContent("[data-testid=flash]").catch(() => "")) ?? "");
    await h.audit(s, "provider-case-explained", "/provider/cases/{id} (explained)", { shots: false });

    // Credit records: the provider's own, no class.
    await page.click(".main-nav a[href='/provider/credit']");
    await page.waitForURL(/\/provider\/credit/);
    h.check("provider: its penalty is listed", (await page.locator("[data-testid=credit-record][data-kind=penalty]").count()) >= 1);
    const text = await page.textContent("main");
    h.check("provider: no credit class on the credit page", !/风险分类|分级分类|risk class/i.test(text));
    await h.audit(s, "provider-credit", "/provider/credit");
  } finally {
    await s.context.close();
  }
}

// The journeys that open their own session (functions of (h, server, accounts)): check.mjs runs
// them in order after the others, each reported as one journey.
export const later = [providerManages, workerBooksForResident, adminPages, plannerSites];

/**
 * 6. A community worker books lunch on a resident's behalf (代办): a resident of their
 * community from the list, canteens near that resident's community by walking distance, a free
 * slot, the consent recorded; the booking shows in the worker's proxy list with the consent and
 * is cancelled with a reason; the warnings assigned to the community are acknowledged and
 * resolved (the administrator evaluates the rules first).
 */
export async function workerBooksForResident(h, server, accounts) {
  const s = await h.session("worker");
  const { page } = s;
  try {
    await h.login(s, "worker", accounts.worker.password);
    await Promise.all([page.waitForURL(/\/worker\/residents$/), page.click("a.tile[href='/worker/residents']")]);
    await h.audit(s, "worker-residents", "/worker/residents");
    const people = page.locator("[data-testid=resident]");
    h.must("worker: residents of the community listed", (await people.count()) > 0);
    // The first resident whose community has a canteen with free slots within walking distance.
    let booked = null;
    const n = Math.min(await people.count(), 5);
    for (let i = 0; i < n && !booked; i += 1) {
      await page.goto("/worker/residents");
      const rid = await people.nth(i).getAttribute("data-resident");
      await Promise.all([page.waitForURL(/\/worker\/proxy\?/), people.nth(i).locator("[data-testid=book-for]").click()]);
      if (i === 0) await h.audit(s, "worker-proxy-nearby", "/worker/proxy", { shots: true });
      const results = page.locator("[data-testid=result]");
      const metres = await results.evaluateAll((els) => els.map((e) => Number(e.dataset.metres)));
      if (i === 0) h.check("proxy: canteens ordered by walking distance", metres.every((m, k) => k === 0 || metres[k - 1] <= m), metres.join(" ≤ "));
      const links = await results.locator("h3 a").evaluateAll((els) => els.map((e) => e.getAttribute("href")));
      for (const href of links) {
        await page.goto(href);
        const card = page.locator("[data-testid=offering]").filter({ has: page.locator("input[name=start]") }).first();
        if ((await card.count()) === 0) continue;
        await h.audit(s, "worker-proxy-outlet", "/worker/proxy/{id}");
        await card.locator("input[name=start]").first().check();
        await card.locator("input[name=consent][value=phone]").check();
        await card.locator("input[name=consent_note]").fill("电话确认，本人同意");
        await Promise.all([page.waitForURL(/\/worker\/bookings$/), card.locator("[data-testid=proxy-book]").click()]);
        booked = rid;
        break;
      }
    }
    h.must("proxy: booked for a resident", !!booked);
    h.check("proxy: flash", /已为居民代办预约/.test(await page.textContent("[data-testid=flash]").catch(() => "")));
    const item = page.locator("[data-testid=proxy-booking][data-status=requested]").first();
    h.must("proxy bookings: the booking is listed as 待确认", (await item.count()) === 1);
    h.check("proxy bookings: the consent is shown", /电话同意/.test(await item.textContent()));
    await h.audit(s, "worker-proxy-bookings", "/worker/bookings");
    const id = await item.getAttribute("data-booking");
    await item.locator("input[name=reason]").fill("老人改约其他时间");
    await Promise.all([page.waitForEvent("load"), item.locator("[data-testid=cancel]").click()]);
    h.check("proxy: cancelled", /已取消/.test(await page.textContent("[data-testid=flash]").catch(() => "")));
    h.check("proxy bookings: now 已取消", (await page.getAttribute(`[data-testid=proxy-booking][data-booking="${id}"]`, "data-status")) === "cancelled");

    // Warnings: the administrator evaluates the rules now; the worker handles theirs.
    const admin = await apiLogin(server.base, "admin", server.adminPassword);
    const ev = await admin.call("POST", "/api/warnings/evaluate", {});
    h.check("warnings evaluated", ev.status === 200, JSON.stringify(ev.body).slice(0, 200));
    await Promise.all([page.waitForURL(/\/worker\/warnings$/), page.click("[data-testid=nav-warnings]")]);
    await h.audit(s, "worker-warnings", "/worker/warnings");
    const open = page.locator("[data-testid=warning][data-status=open]").first();
    if ((await open.count()) === 0) {
      h.note("worker: no open warning for the demo worker's community (nothing to resolve)");
    } else {
      const wid = await open.getAttribute("data-warning");
      await Promise.all([page.waitForEvent("load"), open.locator("[data-testid=acknowledge]").click()]);
      h.check("warning: acknowledged", /已接收/.test(await page.textContent("[data-testid=flash]").catch(() => "")));
      const card = page.locator(`[data-testid=warning][data-warning="${wid}"]`);
      h.check("warning: now 已接收", (await card.getAttribute("data-status")) === "acknowledged");
      await card.locator("textarea[name=resolution]").fill("已逐户补访并登记");
      await Promise.all([page.waitForEvent("load"), card.locator("[data-testid=resolve]").click()]);
      h.check("warning: resolved", /预警已处置/.test(await page.textContent("[data-testid=flash]").catch(() => "")));
      h.check("warning: gone from the open ones", (await page.locator(`[data-testid=warning][data-warning="${wid}"]`).count()) === 0);
      await h.audit(s, "worker-warnings-resolved", "/worker/warnings (resolved)", { shots: false });
    }
  } finally {
    await s.context.close();
  }
}

/**
 * 7. The administrator: creates an account, changes its role, ends a login lock; adds a day
 * to the holiday calendar and removes it; changes a review setting. A community worker is
 * refused the administration pages.
 */
export async function adminPages(h, server, accounts) {
  const s = await h.session("admin");
  const { page } = s;
  try {
    await h.login(s, "admin", server.adminPassword);
    await Promise.all([page.waitForURL(/\/admin$/), page.click("[data-testid=nav-admin]")]);
    await h.audit(s, "admin-home", "/admin");
    await page.goto("/admin/users");
    await h.audit(s, "admin-users", "/admin/users");
    const name = `pc-clerk-${Date.now() % 100000}`;
    const community = await page.evaluate(() => document.querySelector("#community-list option")?.value ?? "");
    h.must("admin: communities to choose from", community !== "");
    await page.fill("#nu-username", name);
    await page.fill("#nu-display", "周晓");
    await page.selectOption("#nu-role", "community_worker");
    await page.fill("#nu-community", community);
    await page.fill("#nu-password", "first-password-1");
    await Promise.all([page.waitForEvent("load"), page.click("[data-testid=create]")]);
    h.check("admin: account created", new RegExp(`账户 ${name} 已创建`).test(await page.textContent("[data-testid=flash]").catch(() => "")));
    const card = page.locator(`[data-testid=user][data-username="${name}"]`);
    h.must("admin: the new account is listed as a community worker", (await card.getAttribute("data-role")) === "community_worker");
    await card.locator("summary").click();
    await card.locator("select[name=role]").selectOption("regulator");
    await Promise.all([page.waitForEvent("load"), card.locator("[data-testid=save-user]").click()]);
    h.check("admin: role changed", /已更新/.test(await page.textContent("[data-testid=flash]").catch(() => "")));
    h.check("admin: now a regulator", (await page.getAttribute(`[data-testid=user][data-username="${name}"]`, "data-role")) === "regulator");
    await Promise.all([page.waitForEvent("load"), page.locator(`[data-testid=user][data-username="${name}"] [data-testid=unlock]`).click()]);
    h.check("admin: login lock ended", /已解除登录限制/.test(await page.textContent("[data-testid=flash]").catch(() => "")));
    await h.audit(s, "admin-users-changed", "/admin/users (changed)", { shots: false });

    await page.goto("/admin/calendar");
    const year = new Date().getFullYear() + 1;
    await page.goto(`/admin/calendar?year=${year}`);
    await page.fill("#day", `${year}-10-09`);
    await page.locator("input[name=kind][value=holiday]").check();
    await page.fill("#name", "国庆节（本地延长）");
    await Promise.all([page.waitForEvent("load"), page.click("[data-testid=save-day]")]);
    h.check("calendar: saved", /已保存/.test(await page.textContent("[data-testid=flash]").catch(() => "")));
    const row = page.locator(`[data-testid=day][data-day="${year}-10-09"]`);
    h.must("calendar: the day is listed as a holiday", (await row.getAttribute("data-kind")) === "holiday");
    await h.audit(s, "admin-calendar", "/admin/calendar");
    await Promise.all([page.waitForEvent("load"), row.locator("[data-testid=delete-day]").click()]);
    h.check("calendar: removed", (await page.locator(`[data-testid=day][data-day="${year}-10-09"]`).count()) === 0);

    await page.goto("/admin/rules");
    await h.audit(s, "admin-rules", "/admin/rules");
    const before = Number(await page.inputValue("#minimum-input"));
    const next = before === 8 ? 9 : 8;
    await page.fill("#minimum-input", String(next));
    await Promise.all([page.waitForEvent("load"), page.click("[data-testid=save-rules]")]);
    h.check("rules: saved", /评价规则已保存/.test(await page.textContent("[data-testid=flash]").catch(() => "")));
    h.check("rules: the new minimum is in force", (await page.textContent("[data-testid=minimum]")).trim() === String(next));
  } finally {
    await s.context.close();
  }
  // Not for anyone else.
  const w = await h.session("worker");
  try {
    await h.login(w, "worker", accounts.worker.password);
    const r = await w.page.goto("/admin/users");
    h.check("admin pages: a community worker is refused", r.status() === 403 && (await w.page.locator("[data-testid=message]").count()) === 1, String(r.status()));
  } finally {
    await w.context.close();
  }
}

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
      await h.audit(s, "planner-region", "/planner (a region)");
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
