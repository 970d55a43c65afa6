// Page weight and time to first render of the heaviest pages: each loaded cold (a new context,
// empty cache) `runs` times; weight = bytes transferred for the page and its assets (headers
// included, from the DevTools protocol's encodedDataLength), first render = the Performance
// API's first-contentful-paint. The median of the runs is reported.
export async function measure(browser, base, pages, runs = 3) {
  const rows = [];
  for (const p of pages) {
    const weights = [];
    const fcps = [];
    let requests = 0;
    for (let i = 0; i < runs; i += 1) {
      const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 900 }, storageState: p.state });
      if (p.elder) await context.addCookies([{ name: "lc_elder", value: "1", url: base }]);
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
      let bytes = 0;
      let n = 0;
      cdp.on("Network.loadingFinished", (e) => {
        bytes += e.encodedDataLength;
        n += 1;
      });
      await page.goto(p.path, { waitUntil: "load" });
      const fcp = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const e = performance.getEntriesByName("first-contentful-paint")[0];
            if (e) return resolve(e.startTime);
            new PerformanceObserver((l) => resolve(l.getEntries()[0].startTime)).observe({ type: "paint", buffered: true });
            setTimeout(() => resolve(null), 3000);
          }),
      );
      weights.push(bytes);
      if (fcp !== null) fcps.push(fcp);
      requests = n;
      await context.close();
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    rows.push({
      page: p.name,
      path: p.path,
      as: p.as,
      requests,
      bytes: med(weights),
      fcp_ms: fcps.length ? Math.round(med(fcps)) : null,
    });
  }
  rows.sort((a, b) => b.bytes - a.bytes);
  return rows;
}

export function table(rows) {
  const head = ["page", "as", "requests", "KiB transferred", "first contentful paint (ms)"];
  const body = rows.map((r) => [r.page, r.as, String(r.requests), (r.bytes / 1024).toFixed(1), r.fcp_ms === null ? "—" : String(r.fcp_ms)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(" | ")} |`;
  return [line(head), `|${w.map((x) => "-".repeat(x + 2)).join("|")}|`, ...body.map(line)].join("\n");
}
