//! What the end-to-end tests and the browser benchmark stand on: the real `velocity` binary on
//! port 0 with a fresh database (SQLite in a temporary folder, or a new PostgreSQL database),
//! Debian's Chromium driven by playwright-core, and a few API calls for setting up data.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "../..");
/** Cargo's output folder, wherever CARGO_TARGET_DIR puts it. */
export const TARGET = resolve(ROOT, process.env.CARGO_TARGET_DIR ?? "target");
export const BINARY = process.env.VELOCITY_BIN ?? join(TARGET, "debug/velocity");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Which databases to test: SQLite always; PostgreSQL when reachable, and always under CI. */
export function backends() {
  const url = process.env.VELOCITY_TEST_DATABASE_URL;
  if (!url) return ["sqlite"];
  try {
    execFileSync("psql", [url, "-qtAc", "SELECT 1"], { stdio: "pipe" });
    return ["sqlite", "postgres"];
  } catch (error) {
    if (process.env.CI === "true") throw new Error(`PostgreSQL is required under CI and ${url} is not reachable: ${error.message}`);
    return ["sqlite"];
  }
}

function freshDatabase(backend) {
  if (backend === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "velocity-e2e-"));
    return { args: ["--data-dir", dir], drop: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = process.env.VELOCITY_TEST_DATABASE_URL;
  const name = `velocity_e2e_${process.pid}_${Date.now()}`;
  execFileSync("psql", [admin, "-qc", `CREATE DATABASE ${name}`], { stdio: "pipe" });
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    args: ["--database-url", url.toString()],
    drop: () => execFileSync("psql", [admin, "-qc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: "pipe" }),
  };
}

/** Starts `velocity serve` on a free port with a fresh database; resolves once it listens. */
export async function startServer(backend, extraArgs = []) {
  const database = freshDatabase(backend);
  return spawnServer(BINARY, ["--intel-debounce", "1", ...database.args, ...extraArgs], database.drop);
}

/**
 * The demo workspace (`deals` of them, or the default) in a fresh SQLite folder, served by
 * `binary`, and its user's session and workspace id.
 */
export async function startDemoServer(binary, deals) {
  const dir = mkdtempSync(join(tmpdir(), "velocity-demo-"));
  execFileSync(binary, ["demo", "--data-dir", dir, ...(deals ? ["--deals", String(deals)] : [])], { stdio: "pipe" });
  const server = await spawnServer(binary, ["--data-dir", dir], () => rmSync(dir, { recursive: true, force: true }));
  const session = await call(server.url, null, "POST", "/api/v1/auth/login", { email: "demo@velocity.local", password: "velocity-demo" });
  const ws = (await call(server.url, session.access_token, "GET", "/api/v1/me")).workspaces[0].id;
  return { ...server, session, ws };
}

async function spawnServer(binary, args, cleanup) {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`cargo build -p velocity-cli\` first`);
  const child = spawn(binary, ["serve", "--listen", "127.0.0.1:0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, VELOCITY_LOG: "warn" },
  });
  let output = "";
  const url = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 60_000);
    const read = (chunk) => {
      output += chunk;
      const match = output.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (match) {
        clearTimeout(timer);
        resolvePromise(match[1]);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("exit", (code) => reject(new Error(`the server exited (${code}):\n${output}`)));
  });
  return {
    url,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((done) => (child.exitCode !== null ? done() : child.on("exit", done)));
      cleanup();
    },
  };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A JSON call to the API with a bearer token; throws with the problem on failure. */
export async function call(base, token, method, path, body, headers = {}) {
  const response = await fetch(base + path, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return json;
}

export async function signupByApi(base, email, name = "E2E User", workspace_name = "E2E Realty") {
  return call(base, null, "POST", "/api/v1/auth/signup", { email, password: "correct horse battery", name, workspace_name });
}

/** Opens a page already signed in with the session a sign-up or login returned. */
export async function signedInPage(browser, base, session, path = "/") {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  // Only the first page starts from this session: later ones keep what the app stored (tokens
  // rotate on refresh, and an old refresh token presented again ends the whole session).
  await context.addInitScript(
    (stored) => localStorage.getItem("velocity.session") || localStorage.setItem("velocity.session", stored),
    JSON.stringify({ access: session.access_token, refresh: session.refresh_token, user: session.user }),
  );
  const page = await context.newPage();
  await page.goto(base + path);
  return page;
}

/** axe-core's serious and critical violations on the page as it stands. */
export async function accessibilityViolations(page) {
  await page.addScriptTag({ path: join(ROOT, "web/node_modules/axe-core/axe.min.js") });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}
