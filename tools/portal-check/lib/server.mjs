// Starts `livingcircle serve` on a free port with a fresh data directory, and a small client of
// its JSON API (session cookie + X-CSRF-Token, as any other client).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, existsSync, rmSync, createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on 127.0.0.1 (bound, read, released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const secret = () => randomBytes(12).toString("base64url");

/**
 * Starts the server; resolves once GET /api/health answers 200. The server's log goes to
 * `logFile`. Returns { base, dataDir, adminPassword, demoPassword, stop() }.
 */
export async function startServer(binary, logFile) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "lc-portal-check-"));
  const adminPassword = secret();
  const demoPassword = secret();
  const log = createWriteStream(logFile);
  const child = spawn(
    binary,
    ["serve", "--quiet", "--bind", `127.0.0.1:${port}`, "--data-dir", dataDir, "--insecure-cookies"],
    {
      env: {
        ...process.env,
        LIVINGCIRCLE_ADMIN_PASSWORD: adminPassword,
        LIVINGCIRCLE_DEMO_PASSWORD: demoPassword,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on("exit", (code, signal) => (exited = { code, signal }));
  const base = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (exited) throw new Error(`livingcircle serve exited (${JSON.stringify(exited)}); see ${logFile}`);
    try {
      const r = await fetch(`${base}/api/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - t0 > 120_000) throw new Error(`no answer from ${base}/api/health in 120 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const startupMs = Date.now() - t0;
  return {
    base,
    dataDir,
    adminPassword,
    demoPassword,
    startupMs,
    /** The demo accounts' file (`username<TAB>role<TAB>password`), when the seed wrote one. */
    demoAccounts() {
      const f = join(dataDir, "demo-accounts.txt");
      if (!existsSync(f)) return null;
      const out = {};
      for (const line of readFileSync(f, "utf8").split("\n")) {
        const [user, role, password] = line.split("\t");
        if (user && password) out[user] = { role, password };
      }
      return out;
    },
    /** SIGTERM, wait for the exit (at most 15 s, then SIGKILL), remove the data directory. */
    async stop() {
      if (!exited) {
        const done = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await done;
        clearTimeout(timer);
      }
      log.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed-in API client: `call(method, path, body)` → { status, body }. */
export async function apiLogin(base, username, password) {
  const r = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const body = await r.json().catch(() => ({}));
  if (r.status !== 200) throw new Error(`API login ${username}: ${r.status} ${JSON.stringify(body)}`);
  const cookie = r.headers.get("set-cookie").split(";")[0];
  const csrf = body.csrf_token;
  return {
    async call(method, path, payload, headers = {}) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          cookie,
          "x-csrf-token": csrf,
          ...(payload === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
      const text = await res.text();
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.status, body: json };
    },
  };
}
