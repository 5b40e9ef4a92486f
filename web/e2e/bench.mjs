//! The web app's speed, measured in headless Chromium against a demo workspace big enough to
//! hold 1,000+ open deals: the initial JavaScript (gzipped), the dashboard's time to usable,
//! the board's render time, and a stage drag's time to reflected and to persisted.
//! `npm run bench` (after `npm run build` and `cargo build --release -p velocity-cli`);
//! VELOCITY_BIN picks the binary, BENCH_DEALS the demo size.

import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { call, launchBrowser, signedInPage, startDemoServer, TARGET } from "./harness.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const BINARY = process.env.VELOCITY_BIN ?? join(TARGET, "release/velocity");
const DEALS = Number(process.env.BENCH_DEALS ?? 1800);
const RUNS = 5;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.error(`loading a demo workspace with ${DEALS} deals…`);
const server = await startDemoServer(BINARY, DEALS);
const { url: base, session, ws } = server;
const browser = await launchBrowser();
try {
  let open = 0;
  for (let cursor = null; ; ) {
    const page = await call(base, session.access_token, "GET", `/api/v1/workspaces/${ws}/deals?status=open&limit=500${cursor ? `&cursor=${cursor}` : ""}`);
    open += page.items.length;
    cursor = page.next_cursor;
    if (!cursor) break;
  }

  // Dashboard: navigation to the figures and the stage chart drawn.
  const dashboard = [];
  let initialJs = 0;
  for (let run = 0; run < RUNS; run++) {
    const scripts = new Set();
    const page = await signedInPage(browser, base, session, "/login");
    page.on("request", (request) => request.resourceType() === "script" && scripts.add(new URL(request.url()).pathname));
    await page.goto(`${base}/w/${ws}`);
    await page.locator(".metric-value").first().waitFor();
    await page.locator(".recharts-bar-rectangle").first().waitFor();
    dashboard.push(await page.evaluate(() => performance.now()));
    initialJs = [...scripts].reduce((sum, path) => sum + gzipSync(readFileSync(join(ROOT, "web/dist", path))).length, 0);
    await page.context().close();
  }

  // Board: a fresh load of the page until every open deal's card is on it.
  const board = [];
  let cards = 0;
  const page = await signedInPage(browser, base, session, `/w/${ws}`);
  for (let run = 0; run < RUNS; run++) {
    await page.goto(`${base}/w/${ws}/board`);
    await page.waitForFunction((expected) => document.querySelectorAll("[data-deal-id]").length >= expected, open, { timeout: 30_000 });
    board.push(await page.evaluate(() => performance.now()));
    cards = await page.locator("[data-deal-id]").count();
  }

  // Drag: from releasing the card to the card shown in its new column, and to the saved answer.
  const reflected = [];
  const persisted = [];
  const columns = await page.locator(".stage-column").all();
  for (let run = 0; run < RUNS; run++) {
    const from = columns[run % 2];
    const to = columns[(run % 2) + 1];
    const card = from.locator("[data-deal-id]").first();
    const id = await card.getAttribute("data-deal-id");
    const a = await card.boundingBox();
    const b = await to.boundingBox();
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(a.x + a.width / 2 + 10, a.y + 20, { steps: 2 });
    await page.mouse.move(b.x + b.width / 2, b.y + 80, { steps: 6 });
    const saved = page.waitForResponse((r) => r.request().method() === "PATCH" && r.url().includes(id));
    const released = await page.evaluate(() => performance.now());
    await page.mouse.up();
    const shown = await page.evaluate(
      (dealId) =>
        new Promise((done) => {
          const check = () => {
            const card = document.querySelector(`[data-deal-id="${dealId}"]`);
            if (card && card.closest(".stage-column") !== null && !card.classList.contains("dragging") && card.closest(".stage-column").dataset.stageId !== undefined) done(performance.now());
            else requestAnimationFrame(check);
          };
          check();
        }),
      id,
    );
    await saved;
    const done = await page.evaluate(() => performance.now());
    reflected.push(shown - released);
    persisted.push(done - released);
  }
  await page.context().close();

  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(`Machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB; Chromium headless; demo workspace with ${DEALS} deals (${cards} open on the board)\n`);
  console.log("| Measure | Median of " + RUNS + " | Target |");
  console.log("|---|---|---|");
  console.log(`| Initial JavaScript, gzipped | ${(initialJs / 1024).toFixed(1)} KB | ≤ 300 KB |`);
  console.log(`| Dashboard usable after navigation | ${median(dashboard).toFixed(0)} ms | ≤ 1,500 ms |`);
  console.log(`| Board with ${cards} open deals rendered (fresh load) | ${median(board).toFixed(0)} ms | ≤ 1,000 ms |`);
  console.log(`| Stage drag reflected after drop | ${median(reflected).toFixed(0)} ms | — |`);
  console.log(`| Stage drag persisted (PATCH answered) after drop | ${median(persisted).toFixed(0)} ms | ≤ 200 ms |`);
} finally {
  await browser.close();
  await server.stop();
}
