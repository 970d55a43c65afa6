// The accounts of the journeys when the server seeded no demo city (no demo-accounts.txt: a
// binary with only the small Beijing demo district). Created as the administrator through the
// API, with the demo city's usernames: a canteen and its provider's staff `provider`, a
// resident of the community beside it `resident`, that community's worker `worker` with two
// people in the care register. No walking network: /nearby answers `no_network` there.
import { apiLogin } from "./server.mjs";

const PROVIDER = "91310110666007217T"; // a valid unified social credit code (GB 32100)

export async function createAccounts(server) {
  const admin = await apiLogin(server.base, "admin", server.adminPassword);
  const must = async (what, p, ok = [200, 201]) => {
    const r = await p;
    if (!ok.includes(r.status)) throw new Error(`fixture: ${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const communities = await must("communities", admin.call("GET", "/api/communities?limit=1"));
  const c = communities.items[0];
  await must("provider", admin.call("POST", "/api/providers", { uscc: PROVIDER, name: "演示餐饮服务有限公司" }));
  await must(
    "canteen",
    admin.call("POST", "/api/facilities", {
      id: "DEMO-CANTEEN",
      name: `${c.name}社区食堂`,
      category: "community_canteen",
      lon: c.lon + 0.001,
      lat: c.lat,
      provider_code: PROVIDER,
    }),
  );
  const pw = server.demoPassword;
  const user = (username, role, extra = {}) =>
    must(`user ${username}`, admin.call("POST", "/api/users", { username, password: pw, role, ...extra }));
  await user("provider", "provider_staff", { provider_code: PROVIDER });
  await user("worker", "community_worker", { community_id: c.id });
  const r = await user("resident", "resident");
  await must("resident record", admin.call("POST", "/api/residents", { community_id: c.id, name: "王秀英", user_id: r.id }));
  for (const name of ["李桂兰", "张建国"]) {
    const p = await must("register person", admin.call("POST", "/api/residents", { community_id: c.id, name }));
    await must(
      "register entry",
      admin.call("POST", "/api/care/register", { resident_id: p.id, categories: ["living_alone"], since: "2025-01-01" }),
    );
  }
  const accounts = {};
  for (const [u, role] of [["resident", "resident"], ["provider", "provider_staff"], ["worker", "community_worker"]]) {
    accounts[u] = { role, password: pw };
  }
  return { accounts, canteen: "DEMO-CANTEEN", community: c.id };
}
