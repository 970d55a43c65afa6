// Accessibility of one page as displayed: axe-core (0 serious or critical violations) and,
// in elder mode (长辈版), MIIT's 适老化 numbers measured in the browser: base font size >= 18 px,
// tap targets >= 60 x 60 px, text contrast >= 4.5:1, line height >= 1.3 x font size; and in
// both modes no carousel. Pop-ups (dialog events, new windows) are caught by the page's
// listeners in check.mjs.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
// The server sends `Content-Security-Policy: default-src 'self'`, so `page.addScriptTag` (an
// inline <script>) is refused by the page. `page.evaluate` of axe's source runs through the
// DevTools protocol, which the CSP does not govern: the page keeps its real CSP while audited
// (no `bypassCSP` context needed).
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
export const AXE_VERSION = require("axe-core/package.json").version;

export const ELDER = { baseFontPx: 18, targetPx: 60, contrast: 4.5, lineHeight: 1.3 };

/** axe's serious and critical violations on the page (WCAG 2.x A/AA and best practice). */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE);
  const r = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ["violations"] }),
  );
  // The minor and moderate ones are reported (portal-check.json), not failed.
  const lesser = r.violations.filter((v) => v.impact !== "serious" && v.impact !== "critical");
  axeViolations.lesser = lesser.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`);
  return r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      rule: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1, 2).join("") ?? ""}`),
    }));
}

/**
 * The elder-mode numbers of the page as displayed. Runs in the page; returns the base font
 * size and, per rule, the smallest value found and the elements below the bar.
 */
export async function elderNumbers(page) {
  return page.evaluate((bar) => {
    const visible = (el) => {
      const s = getComputedStyle(el);
      if (s.visibility === "hidden" || s.display === "none") return false;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) return false;
      // Moved off the page (the skip link until it has focus).
      return r.right > 0 && r.bottom > 0 && r.left + window.scrollX < document.documentElement.scrollWidth;
    };
    const name = (el) => {
      const id = el.id ? `#${el.id}` : "";
      const cls = el.classList.length ? `.${[...el.classList].join(".")}` : "";
      const tid = el.dataset?.testid ? `[data-testid=${el.dataset.testid}]` : "";
      const text = (el.textContent || el.value || "").trim().replace(/\s+/g, " ").slice(0, 24);
      return `${el.tagName.toLowerCase()}${id}${cls}${tid} "${text}"`;
    };
    const out = { baseFontPx: parseFloat(getComputedStyle(document.body).fontSize) };

    // Tap targets: links, buttons, selects, text fields; radios and checkboxes by their label.
    const targets = new Set();
    for (const el of document.querySelectorAll("a[href], button, select, textarea, input")) {
      if (el.tagName === "INPUT" && el.type === "hidden") continue;
      if (el.tagName === "INPUT" && (el.type === "radio" || el.type === "checkbox")) {
        targets.add(el.closest("label") ?? el);
      } else {
        targets.add(el);
      }
    }
    let minTarget = Infinity;
    const smallTargets = [];
    for (const el of targets) {
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      const m = Math.min(r.width, r.height);
      minTarget = Math.min(minTarget, m);
      if (r.width < bar.targetPx - 0.5 || r.height < bar.targetPx - 0.5)
        smallTargets.push(`${name(el)} ${r.width.toFixed(0)}x${r.height.toFixed(0)}`);
    }
    out.targets = { count: targets.size, minPx: minTarget, below: smallTargets };

    // Text: every visible element with its own text (not inside the SVG map, whose labels sit
    // on drawn circles, not on a CSS background).
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const lum = ({ r, g, b }) => {
      const f = (v) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      // The first opaque background colour up the tree (white at the top); null when an
      // image is in the way.
      for (let e = el; e; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (s.backgroundImage !== "none") return null;
        const c = parse(s.backgroundColor);
        if (c && c.a >= 0.99) return c;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    let minContrast = Infinity;
    let minRatio = Infinity;
    let minFont = Infinity;
    const lowContrast = [];
    const tight = [];
    const smallText = [];
    for (const el of document.body.querySelectorAll("*")) {
      if (el.closest("svg") || ["SCRIPT", "STYLE", "OPTION"].includes(el.tagName)) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== "");
      const field = ["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(el.tagName) && el.type !== "hidden";
      if (!(own || field) || !visible(el)) continue;
      const s = getComputedStyle(el);
      const font = parseFloat(s.fontSize);
      minFont = Math.min(minFont, font);
      if (font < bar.baseFontPx - 0.01) smallText.push(`${name(el)} ${font}px`);
      // Chromium fixes a drop-down's line-height at `normal` whatever the CSS says; a select
      // shows one line, so it has no line spacing to measure (its box is a tap target, above).
      if (el.tagName !== "SELECT") {
        // "normal" is the font's own spacing (about 1.2): below the bar, so counted as 1.2.
        const lh = s.lineHeight === "normal" ? 1.2 * font : parseFloat(s.lineHeight);
        const ratio = lh / font;
        minRatio = Math.min(minRatio, ratio);
        if (ratio < bar.lineHeight - 0.005) tight.push(`${name(el)} ${ratio.toFixed(2)}`);
      }
      const fg = parse(s.color);
      const bg = background(el);
      if (!fg || !bg) continue;
      const a = lum(fg);
      const b = lum(bg);
      const c = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      minContrast = Math.min(minContrast, c);
      if (c < bar.contrast - 0.005) lowContrast.push(`${name(el)} ${c.toFixed(2)}:1 (${s.color} on rgb(${bg.r}, ${bg.g}, ${bg.b}))`);
    }
    out.text = { minFontPx: minFont, small: smallText };
    out.contrast = { min: minContrast, below: lowContrast };
    out.lineHeight = { minRatio, below: tight };
    return out;
  }, ELDER);
}

/** Carousels: none by role or by the usual class names, and no endless animation. */
export async function carousels(page) {
  return page.evaluate(() => {
    const found = [
      ...document.querySelectorAll(
        '[aria-roledescription*="carousel" i], [aria-roledescription*="slide" i], .carousel, .swiper, .slick-slider, marquee',
      ),
    ].map((e) => e.outerHTML.slice(0, 80));
    for (const a of document.getAnimations()) {
      const t = a.effect?.getTiming?.();
      if (t && t.iterations === Infinity) found.push(`endless animation on ${a.effect.target?.tagName}`);
    }
    return found;
  });
}
