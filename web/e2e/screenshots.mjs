//! Screenshots of the main screens for the README (docs/screenshots/), taken from the demo
//! workspace: `npm run screenshots` (after `npm run build` and `cargo build -p velocity-cli`).

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BINARY, call, launchBrowser, signedInPage, startDemoServer } from "./harness.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const OUT = join(ROOT, "docs/screenshots");
const server = await startDemoServer(BINARY);
const { url: base, session, ws } = server;
const token = session.access_token;
const browser = await launchBrowser();
try {
  await call(base, token, "POST", `/api/v1/workspaces/${ws}/insights/generate`);
  const deal = (await call(base, token, "GET", `/api/v1/workspaces/${ws}/deals?status=open&sort=-amount&limit=1`)).items[0];
  const contact = deal.contact_ids?.[0] ?? (await call(base, token, "GET", `/api/v1/workspaces/${ws}/contacts?limit=1`)).items[0].id;
  const page = await signedInPage(browser, base, session, `/w/${ws}`);
  const shoot = async (name, path, ready = "main h1") => {
    await page.goto(`${base}/w/${ws}${path}`);
    await page.locator(ready).first().waitFor();
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(OUT, `${name}.png`) });
    console.log(`docs/screenshots/${name}.png`);
  };
  await shoot("dashboard", "", ".recharts-bar-rectangle");
  await shoot("pipeline", "/board", "[data-deal-id]");
  await shoot("deals", "/deals");
  await shoot("deal", `/deals/${deal.id}`, ".timeline");
  await shoot("client-360", `/contacts/${contact}`, ".timeline");
  await shoot("tasks", "/tasks");
  await shoot("forecast", "/forecast", ".recharts-bar-rectangle");
  await shoot("settings", "/settings?tab=pipelines");
  const csv = join(mkdtempSync(join(tmpdir(), "velocity-shots-")), "buyers.csv");
  writeFileSync(csv, "First Name,Last Name,E-mail,Mobile,Budget (EUR),Lead Source\nAmara,Diallo,amara@example.com,+44 20 7946 0001,850000,Website\nBruno,Keller,bruno@example.com,020 7946 0002,1200000,Referral\n");
  await page.goto(`${base}/w/${ws}/imports/new`);
  await page.getByLabel("CSV or TSV file").setInputFiles(csv);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("button", { name: "Preview the import" }).waitFor();
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: join(OUT, "import-mapping.png") });
  console.log("docs/screenshots/import-mapping.png");
} finally {
  await browser.close();
  await server.stop();
}
