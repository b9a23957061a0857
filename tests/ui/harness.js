// What the browser tests share: the release binary serving on a free
// loopback port with a temporary data directory, a mock identity provider,
// Debian's chromium driven by playwright-core, axe-core, screenshots, and
// a log of every URL the browser requested.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { startIdp } from "./mock-idp.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TARGET = process.env.CARGO_TARGET_DIR || join(REPO, "target");
const BINARY = process.env.FLOWAUTH_BIN || join(TARGET, "release", "flowauth");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const SCREENSHOTS = join(REPO, "target", "ui-screenshots");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

async function freePort() {
  const probe = createServer();
  await new Promise((done) => probe.listen(0, "127.0.0.1", done));
  const { port } = probe.address();
  await new Promise((done) => probe.close(done));
  return port;
}

/**
 * Runs `flowauth serve` on a free loopback port with a temporary data
 * directory and `flags` added; answers its base URL, its log and `stop()`.
 */
export async function serve(adminKey, flags = []) {
  const dataDir = mkdtempSync(join(tmpdir(), "flowauth-ui-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const output = [];
  const server = spawn(
    BINARY,
    ["--allow-private-network", "--data-dir", dataDir, "serve", "--listen", `127.0.0.1:${port}`, ...flags],
    { env: { ...process.env, FLOWAUTH_ADMIN_KEY: adminKey, RUST_LOG: "info" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  server.stdout.on("data", (chunk) => output.push(chunk.toString()));
  server.stderr.on("data", (chunk) => output.push(chunk.toString()));
  const exited = new Promise((done) => server.on("exit", done));
  for (let tries = 0; ; tries++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null || tries > 600) {
      throw new Error(`flowauth did not start (${BINARY}):\n${output.join("")}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    base,
    log: () => output.join(""),
    async stop() {
      server.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts everything; `close()` stops it and removes the data directory. */
export async function start() {
  const idp = await startIdp();
  const adminKey = randomBytes(24).toString("hex");
  const flowauth = await serve(adminKey);
  const { base } = flowauth;

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // playwright-core gives each launch a fresh, temporary user-data-dir.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });

  /** Every URL any page or popup of the browser asked for. */
  const requested = [];

  async function api(method, path, { key = adminKey, json, text } = {}) {
    const headers = { authorization: `Bearer ${key}` };
    if (json !== undefined || text !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: json !== undefined ? JSON.stringify(json) : text,
    });
    const body = response.status === 204 ? null : await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  }

  return {
    base,
    idp,
    adminKey,
    api,
    requested,
    /** A log of the server, for failure messages. */
    serverLog: flowauth.log,
    /** Another server of the same admin key, with `flags` added (stop it when done). */
    server: (flags) => serve(adminKey, flags),

    /** A new tenant with the mock provider loaded; answers its key. */
    async tenant(name) {
      const { api_key: key } = await api("POST", "/v1/tenants", { json: { name } });
      await api("POST", `/v1/tenants/${name}/oauth-configurations`, {
        key,
        json: {
          devtools: {
            Mock: {
              CLIENT_ID: "ui-client",
              CLIENT_SECRET: "ui-secret",
              AUTH_URL: `${idp.base}/authorize`,
              TOKEN_URL: `${idp.base}/token`,
              VALIDATE_URL: `${idp.base}/validate`,
            },
          },
        },
      });
      return key;
    },

    /** A page in a fresh browser context (its own session storage). */
    async page() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const problems = [];
      context.on("request", (request) => requested.push(request.url()));
      const watch = (page) => {
        page.on("console", (message) => {
          // An API error answer is logged as a failed resource; what the
          // page does with it is up to each test. Anything else (a script
          // error, a CSP refusal) is a problem.
          const text = message.text();
          if (message.type() === "error" && !text.startsWith("Failed to load resource")) {
            problems.push(`${page.url()}: ${text}`);
          }
        });
        page.on("pageerror", (error) => problems.push(`${page.url()}: ${error.message}`));
      };
      context.on("page", watch);
      const page = await context.newPage();
      return { page, context, problems };
    },

    async close() {
      await browser.close();
      await flowauth.stop();
      await idp.close();
    },
  };
}

/** Signs in on the page with `key` and waits for the views. */
export async function signIn(page, base, key) {
  await page.goto(`${base}/ui`);
  await page.fill("#key", key);
  await page.click("#sign-in-form button[type=submit]");
  await page.waitForSelector("#app:not([hidden]) #view h1");
}

/** Writes target/ui-screenshots/<name>.png. */
export async function screenshot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Runs axe-core on the page (evaluated through the DevTools protocol, so
 * the page's CSP stays as strict as ever); answers the serious and
 * critical violations, described.
 */
export async function seriousViolations(page) {
  await page.evaluate(AXE);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
