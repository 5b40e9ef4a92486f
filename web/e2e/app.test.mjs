//! End-to-end: the real server with a fresh database and the built app in headless Chromium,
//! doing what a sales team does — on SQLite, and on PostgreSQL when it is reachable.
//! Run with `npm run e2e` (after `npm run build` and `cargo build -p velocity-cli`).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accessibilityViolations, backends, call, launchBrowser, signedInPage, signupByApi, startServer } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

for (const backend of backends()) {
  describe(`on ${backend}`, () => {
    let server;
    before(async () => {
      server = await startServer(backend);
    });
    after(async () => {
      await server?.stop();
    });
    let counter = 0;
    const email = (who) => `${who}-${++counter}-${Date.now()}@example.com`;

    test("sign up, then create an account, a contact and a deal", async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      const page = await context.newPage();
      await page.goto(`${server.url}/signup`);
      await page.getByLabel("Your name").fill("Dana Broker");
      const address = email("dana");
      await page.getByLabel("Work email").fill(address);
      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByLabel("Team or company").fill("Harbour Homes");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();

      await nav(page).getByRole("link", { name: "Accounts", exact: true }).click();
      await page.getByRole("button", { name: "New account" }).click();
      await page.getByLabel("Account name").fill("Seaview Holdings");
      await page.getByLabel("Domain").fill("seaview.example");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByRole("heading", { name: "Seaview Holdings" }).waitFor();

      await nav(page).getByRole("link", { name: "Contacts", exact: true }).click();
      await page.getByRole("button", { name: "New contact" }).click();
      await page.getByLabel("First name").fill("Iris");
      await page.getByLabel("Last name").fill("Okafor");
      await page.getByLabel("Email").fill("iris@seaview.example");
      await page.getByRole("button", { name: "Create contact" }).click();
      await page.getByRole("heading", { name: "Iris Okafor" }).waitFor();

      await nav(page).getByRole("link", { name: "Deals", exact: true }).click();
      await page.getByRole("button", { name: "New deal" }).click();
      await page.getByLabel("Deal name").fill("Penthouse 12B");
      await page.getByLabel("Amount").fill("1250000");
      await page.getByRole("combobox", { name: "Account" }).fill("Seav");
      await page.getByRole("option", { name: "Seaview Holdings" }).click();
      await page.getByRole("button", { name: "Create deal" }).click();
      await page.getByRole("heading", { name: "Penthouse 12B" }).waitFor();
      await page.getByRole("link", { name: "Seaview Holdings" }).waitFor();
      // The contact joins the deal, and leaves it again.
      await page.getByRole("combobox", { name: "Add a contact" }).fill("Iri");
      await page.getByRole("option", { name: "Iris Okafor" }).click();
      await page.getByRole("link", { name: "Iris Okafor" }).waitFor();
      await page.getByRole("button", { name: "Remove Iris Okafor from this deal" }).click();
      await page.getByText("No contacts linked.").waitFor();

      await nav(page).getByRole("link", { name: "Deals", exact: true }).click();
      await page.getByRole("link", { name: "Penthouse 12B" }).waitFor();
      assert.equal(await page.getByRole("row").count(), 2, "a header row and the deal");

      // A second workspace, then back to the first through the switcher.
      const first = page.url().split("/w/")[1].split("/")[0];
      await page.getByRole("button", { name: /account menu/ }).click();
      await page.getByRole("menuitem", { name: "New workspace…" }).click();
      await page.getByLabel("Name").fill("Lisbon office");
      await page.getByRole("button", { name: "Create workspace" }).click();
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      assert.notEqual(page.url().split("/w/")[1], first);
      await page.getByLabel("Workspace").selectOption({ label: "Harbour Homes" });
      await page.waitForURL(`**/w/${first}`);

      // Log out, and back in.
      await page.getByRole("button", { name: /account menu/ }).click();
      await page.getByRole("menuitem", { name: "Log out" }).click();
      await page.getByRole("heading", { name: "Log in" }).waitFor();
      await page.getByLabel("Email").fill(address);
      await page.getByLabel("Password").fill("correct horse battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      await context.close();
    });

    test("drag a deal across stages; a conflicting edit is explained and can be retried", async () => {
      const session = await signupByApi(server.url, email("drag"));
      const ws = session.workspace.id;
      const token = session.access_token;
      const [pipeline] = (await call(server.url, token, "GET", `/api/v1/workspaces/${ws}/pipelines`)).items;
      const [lead, qualified, visit] = pipeline.stages;
      const deal = await call(server.url, token, "POST", `/api/v1/workspaces/${ws}/deals`, { name: "Canal house", amount: 640000, stage_id: lead.id });
      const page = await signedInPage(browser, server.url, session, `/w/${ws}/board`);
      const card = page.locator(`[data-deal-id="${deal.id}"]`);
      await card.waitFor();

      await dragTo(page, card, page.locator(`[data-stage-id="${qualified.id}"]`));
      await page.locator(`[data-stage-id="${qualified.id}"] [data-deal-id="${deal.id}"]`).waitFor();
      await waitFor(async () => (await call(server.url, token, "GET", `/api/v1/workspaces/${ws}/deals/${deal.id}`)).stage_id === qualified.id, "the move is saved");

      // The keyboard way: focus the card's handle, lift it with Space, carry it right, drop.
      await page.getByRole("button", { name: "Move Canal house" }).focus();
      // (Paced like a person: the stages are measured once the card is lifted.)
      for (const key of ["Space", "ArrowRight", "Space"]) {
        await page.keyboard.press(key);
        await page.waitForTimeout(200);
      }
      await waitFor(async () => (await call(server.url, token, "GET", `/api/v1/workspaces/${ws}/deals/${deal.id}`)).stage_id === visit.id, "the keyboard move is saved");
      await dragTo(page, page.locator(`[data-deal-id="${deal.id}"]`), page.locator(`[data-stage-id="${qualified.id}"]`));
      await waitFor(async () => (await call(server.url, token, "GET", `/api/v1/workspaces/${ws}/deals/${deal.id}`)).stage_id === qualified.id, "dragged back");

      // Someone else edits the deal between the drop and the save reaching the server (live
      // updates would otherwise bring their version to the board first).
      const dealUrl = `**/api/v1/workspaces/${ws}/deals/${deal.id}`;
      await page.route(dealUrl, async (route) => {
        if (route.request().method() === "PATCH") await call(server.url, token, "PATCH", `/api/v1/workspaces/${ws}/deals/${deal.id}`, { amount: 700000 });
        await route.continue();
      });
      await dragTo(page, page.locator(`[data-deal-id="${deal.id}"]`), page.locator(`[data-stage-id="${visit.id}"]`));
      const dialog = page.getByRole("alertdialog");
      await dialog.waitFor();
      assert.match(await dialog.innerText(), /Amount[\s\S]*640,000[\s\S]*700,000/);
      await page.unroute(dealUrl);
      await dialog.getByRole("button", { name: /anyway/ }).click();
      await waitFor(async () => (await call(server.url, token, "GET", `/api/v1/workspaces/${ws}/deals/${deal.id}`)).stage_id === visit.id, "the retried move is saved");
      const saved = await call(server.url, token, "GET", `/api/v1/workspaces/${ws}/deals/${deal.id}`);
      assert.equal(saved.amount, 700000, "the other edit is kept");
      await page.context().close();
    });

    test("log an activity on a contact and see it on the Client 360, live", async () => {
      const session = await signupByApi(server.url, email("c360"));
      const ws = session.workspace.id;
      const token = session.access_token;
      const account = await call(server.url, token, "POST", `/api/v1/workspaces/${ws}/accounts`, { name: "Northgate Lettings" });
      const contact = await call(server.url, token, "POST", `/api/v1/workspaces/${ws}/contacts`, { first_name: "Tomas", last_name: "Lind", account_id: account.id });
      await call(server.url, token, "POST", `/api/v1/workspaces/${ws}/deals`, { name: "Loft conversion", amount: 90000, account_id: account.id, contact_ids: [contact.id] });
      const page = await signedInPage(browser, server.url, session, `/w/${ws}/contacts/${contact.id}`);
      await page.getByRole("heading", { name: "Tomas Lind" }).waitFor();
      await page.getByRole("link", { name: "Loft conversion" }).waitFor();
      await page.getByRole("link", { name: "Northgate Lettings" }).waitFor();

      await page.getByRole("button", { name: "Log a call" }).click();
      await page.getByLabel("Subject").fill("Discussed the viewing");
      await page.getByLabel("Notes").fill("Wants a second visit on Saturday");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("list", { name: "Timeline" }).getByText("Discussed the viewing").waitFor();

      // A change made elsewhere (the API) appears without a reload.
      await call(server.url, token, "PATCH", `/api/v1/workspaces/${ws}/contacts/${contact.id}`, { title: "Head of Acquisitions" });
      await page.getByText("Head of Acquisitions").first().waitFor({ timeout: 10_000 });
      await page.getByRole("list", { name: "Timeline" }).getByText(/title: empty → Head of Acquisitions/).waitFor();
      await page.context().close();
    });

    test("import a small CSV through the wizard, read the report, then undo it", async () => {
      const session = await signupByApi(server.url, email("import"));
      const ws = session.workspace.id;
      const token = session.access_token;
      const file = join(mkdtempSync(join(tmpdir(), "velocity-e2e-csv-")), "buyers.csv");
      writeFileSync(
        file,
        "First Name,Last Name,Email Address,Phone Number,Budget\n" +
          "Amara,Diallo,amara@example.com,+44 20 7946 0001,850000\n" +
          "Bruno,Keller,bruno@example.com,+44 20 7946 0002,1200000\n" +
          "Chen,Wei,chen@example.com,,400000\n" +
          ",,,,999\n",
      );
      const page = await signedInPage(browser, server.url, session, `/w/${ws}/imports`);
      await page.getByRole("link", { name: "New import" }).click();
      await page.getByLabel("CSV or TSV file").setInputFiles(file);
      await page.getByRole("button", { name: "Upload" }).click();
      await page.getByRole("button", { name: "Preview the import" }).click();
      await page.getByRole("button", { name: "Commit 4 rows" }).click();
      await page.getByRole("heading", { name: "Report" }).waitFor({ timeout: 20_000 });
      await page.getByText("Committed").first().waitFor();
      assert.equal(await page.locator(".count-created .metric-value").innerText(), "3");
      assert.equal(await page.locator(".count-errors .metric-value").innerText(), "1");
      const download = page.waitForEvent("download");
      await page.getByRole("button", { name: "Download the error file" }).click();
      assert.match((await download).suggestedFilename(), /errors/);
      const contacts = await call(server.url, token, "GET", `/api/v1/workspaces/${ws}/contacts?sort=email`);
      assert.deepEqual(contacts.items.map((c) => c.email), ["amara@example.com", "bruno@example.com", "chen@example.com"]);
      assert.equal(contacts.items[0].phone, "+442079460001", "phones normalised");

      await page.getByRole("button", { name: "Undo import" }).click();
      await page.getByRole("group").getByRole("button", { name: /undo/i }).click();
      await page.locator(".badge.import-undone").waitFor({ timeout: 20_000 });
      assert.equal((await call(server.url, token, "GET", `/api/v1/workspaces/${ws}/contacts`)).items.length, 0);
      await page.context().close();
    });

    test("the forecast page shows numbers", async () => {
      const session = await signupByApi(server.url, email("forecast"));
      const ws = session.workspace.id;
      const token = session.access_token;
      const [pipeline] = (await call(server.url, token, "GET", `/api/v1/workspaces/${ws}/pipelines`)).items;
      const soon = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
      for (const [i, amount] of [120000, 80000, 300000].entries()) {
        await call(server.url, token, "POST", `/api/v1/workspaces/${ws}/deals`, { name: `Forecast deal ${i}`, amount, close_date: soon, stage_id: pipeline.stages[i + 1].id });
      }
      const page = await signedInPage(browser, server.url, session, `/w/${ws}/forecast?timeframe=30d`);
      const likely = page.getByTestId("likely");
      await likely.waitFor();
      assert.match(await likely.innerText(), /\d/);
      assert.notEqual((await likely.innerText()).replace(/\D/g, ""), "0", "three open deals forecast something");
      await page.getByRole("link", { name: "Forecast deal 2" }).waitFor();
      await page.getByRole("img", { name: /Distribution of simulated revenue/ }).waitFor();
      await page.context().close();
    });

    test("a viewer sees no edit controls", async () => {
      const owner = await signupByApi(server.url, email("owner"));
      const viewerEmail = email("viewer");
      const viewer = await signupByApi(server.url, viewerEmail, "Vera Viewer", "Vera's own");
      const ws = owner.workspace.id;
      await call(server.url, owner.access_token, "POST", `/api/v1/workspaces/${ws}/members`, { email: viewerEmail, role: "viewer" });
      const deal = await call(server.url, owner.access_token, "POST", `/api/v1/workspaces/${ws}/deals`, { name: "Read-only deal", amount: 1000 });
      const page = await signedInPage(browser, server.url, viewer, `/w/${ws}/deals`);
      await page.getByRole("link", { name: "Read-only deal" }).waitFor();
      assert.equal(await page.getByRole("button", { name: "New deal" }).count(), 0);
      assert.equal(await page.getByRole("button", { name: /\(edit / }).count(), 0, "no inline edit");
      await page.goto(`${server.url}/w/${ws}/deals/${deal.id}`);
      await page.getByRole("heading", { name: "Read-only deal" }).waitFor();
      assert.equal(await page.getByRole("button", { name: "Edit" }).count(), 0);
      assert.equal(await page.getByRole("button", { name: "Delete" }).count(), 0);
      assert.equal(await page.getByRole("button", { name: "Log a call" }).count(), 0);
      await page.goto(`${server.url}/w/${ws}/board`);
      await page.locator(`[data-deal-id="${deal.id}"]`).waitFor();
      assert.equal(await page.getByRole("button", { name: /^Move / }).count(), 0, "cards cannot be dragged");
      await page.context().close();
    });

    test("the main screens have no serious or critical accessibility violations", async () => {
      const session = await signupByApi(server.url, email("a11y"));
      const ws = session.workspace.id;
      const token = session.access_token;
      const account = await call(server.url, token, "POST", `/api/v1/workspaces/${ws}/accounts`, { name: "Axe Estates" });
      const deal = await call(server.url, token, "POST", `/api/v1/workspaces/${ws}/deals`, { name: "Accessible villa", amount: 5000, account_id: account.id });
      const page = await signedInPage(browser, server.url, session, `/w/${ws}`);
      const screens = ["", "/board", "/deals", "/contacts", "/accounts", "/products", `/deals/${deal.id}`, `/accounts/${account.id}`, "/tasks", "/forecast", "/imports", "/settings"];
      const found = [];
      for (const screen of screens) {
        await page.goto(`${server.url}/w/${ws}${screen}`);
        await page.locator("main h1").first().waitFor();
        await page.waitForLoadState("networkidle");
        for (const violation of await accessibilityViolations(page)) found.push(`${screen || "/"}: ${violation}`);
      }
      // A tablet on a site visit: the narrow layout must hold up too, without sideways scrolling.
      await page.setViewportSize({ width: 768, height: 1024 });
      for (const screen of ["", "/board", "/deals", `/deals/${deal.id}`]) {
        await page.goto(`${server.url}/w/${ws}${screen}`);
        await page.locator("main h1").first().waitFor();
        await page.waitForLoadState("networkidle");
        for (const violation of await accessibilityViolations(page)) found.push(`768px ${screen || "/"}: ${violation}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (overflow > 0) found.push(`768px ${screen || "/"}: the page scrolls sideways by ${overflow}px`);
      }
      await page.goto(`${server.url}/login`);
      for (const violation of await accessibilityViolations(page)) found.push(`/login: ${violation}`);
      assert.deepEqual(found, []);
      await page.context().close();
    });

    test("an expired session refreshes silently, and an ended one asks to log in without losing the form", async () => {
      // A node whose access tokens live one second (plus the server's five seconds of leeway).
      const shortLived = await startServer(backend, ["--access-token-ttl", "1"]);
      try {
        const session = await signupByApi(shortLived.url, email("session"));
        const ws = session.workspace.id;
        const page = await signedInPage(browser, shortLived.url, session, `/w/${ws}/deals?new=1`);
        await page.getByLabel("Deal name").fill("Kept through a refresh");
        await page.waitForTimeout(7_000);
        await page.getByRole("button", { name: "Create deal" }).click();
        await page.getByRole("heading", { name: "Kept through a refresh" }).waitFor();

        // The refresh token is revoked elsewhere (a logout on another device) while a form is open.
        await page.goto(`${shortLived.url}/w/${ws}/deals?new=1`);
        await page.getByLabel("Deal name").fill("Kept after logging in again");
        const refresh = await page.evaluate(() => JSON.parse(localStorage.getItem("velocity.session")).refresh);
        await call(shortLived.url, null, "POST", "/api/v1/auth/logout", { refresh_token: refresh });
        await page.waitForTimeout(7_000);
        // The live feed may notice first (its token expired and cannot be refreshed); else saving does.
        const dialog = page.getByRole("dialog", { name: "Your session ended" });
        if (!(await dialog.isVisible())) await page.getByRole("button", { name: "Create deal" }).click();
        await dialog.waitFor();
        await dialog.getByLabel("Password").fill("correct horse battery");
        await dialog.getByRole("button", { name: "Log in" }).click();
        await dialog.waitFor({ state: "detached" });
        assert.equal(await page.getByLabel("Deal name").inputValue(), "Kept after logging in again");
        await page.getByRole("button", { name: "Create deal" }).click();
        await page.getByRole("heading", { name: "Kept after logging in again" }).waitFor();
        await page.context().close();
      } finally {
        await shortLived.stop();
      }
    });

    test("unknown addresses and failed calls are explained in words", async () => {
      const session = await signupByApi(server.url, email("errors"));
      const ws = session.workspace.id;
      const page = await signedInPage(browser, server.url, session, `/w/${ws}/deals/0190a0a0-0000-7000-8000-000000000000`);
      await page.getByRole("alert").waitFor();
      assert.match(await page.getByRole("alert").innerText(), /not found/i);
      await page.context().close();
    });
  });
}

const nav = (page) => page.getByRole("navigation", { name: "Main" });

/** A pointer drag the way a person does it: press, move in steps, release. */
async function dragTo(page, source, target) {
  // The board may still be settling a previous move: wait until both ends are on screen.
  await source.waitFor();
  await target.waitFor();
  await page.waitForTimeout(100);
  const from = await source.boundingBox();
  const to = await target.boundingBox();
  assert.ok(from && to, "both ends of the drag are on screen");
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 10, from.y + from.height / 2 + 10, { steps: 3 });
  await page.mouse.move(to.x + to.width / 2, to.y + 60, { steps: 8 });
  await page.mouse.up();
}

async function waitFor(check, what, timeout = 5_000) {
  const start = Date.now();
  while (Date.now() - start < timeout) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

