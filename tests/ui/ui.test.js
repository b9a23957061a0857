// The web page (docs/UI.md) in a real browser against the release binary
// and a mock identity provider. Run with `npm test` here, after
// `cargo build --release -p flowauth`; screenshots land in
// target/ui-screenshots/.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { screenshot, seriousViolations, signIn, start } from "./harness.js";

let env;
const keys = [];

before(async () => {
  env = await start();
  keys.push(env.adminKey);
});

after(async () => {
  await env?.close();
});

/** The token row of `name`, once its status is `status`. */
function row(page, name, status) {
  return page.waitForSelector(`tr[data-name="${name}"][data-status="${status}"]`);
}

/**
 * Adds a login for the mock provider through the popup and waits until the
 * list shows it active and the popup closed itself (the next login opens
 * a new popup then).
 */
async function connect(page, name) {
  await page.click("text=Add Mock login");
  await page.fill("dialog #field-name", name);
  await popupDone(page, () => page.click("dialog button[type=submit]"));
  await row(page, name, "active");
}

/** Does what opens the login popup, then waits until the popup closes. */
async function popupDone(page, open) {
  const opened = page.waitForEvent("popup");
  await open();
  const popup = await opened;
  if (!popup.isClosed()) await popup.waitForEvent("close");
}

/** Waits until the tenant's webhook got its first event. */
async function delivered(key, tenant) {
  for (let tries = 0; tries < 300; tries++) {
    const { deliveries } = await env.api("GET", `/v1/tenants/${tenant}/webhook/deliveries`, { key });
    if (deliveries.some((d) => d.status === "delivered")) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error("no webhook delivery");
}

/** Reports what the page logged and what the provider saw when `check` fails. */
async function explained(problems, check) {
  try {
    await check();
  } catch (error) {
    error.message += `\nbrowser: ${problems.join("\n")}\nprovider saw: ${JSON.stringify(env.idp.log)}\nserver:\n${env.serverLog()}`;
    throw error;
  }
}

test("the page and its assets come from the binary with a strict policy", async () => {
  for (const path of ["/ui", "/ui/app.js", "/ui/app.css", "/ui/return.js"]) {
    const response = await fetch(`${env.base}${path}`);
    assert.equal(response.status, 200, path);
    const csp = response.headers.get("content-security-policy");
    assert.match(csp, /default-src 'none'/, path);
    assert.match(csp, /script-src 'self';/, path);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(response.headers.get("referrer-policy"), "no-referrer", path);
    const etag = response.headers.get("etag");
    const again = await fetch(`${env.base}${path}`, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304, `${path} revalidates`);
  }
  const root = await fetch(`${env.base}/`, { redirect: "manual" });
  assert.equal(root.headers.get("location"), "/ui");
  const html = await (await fetch(`${env.base}/ui`)).text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)/, "no inline script");
  assert.doesNotMatch(html, /https?:\/\//, "nothing from another origin");
});

test("a token connects end to end through the popup", async () => {
  const key = await env.tenant("popup");
  keys.push(key);
  const { page, context, problems } = await env.page();
  await explained(problems, async () => {
    await signIn(page, env.base, key);
    assert.match(await page.textContent("#who"), /Tenant key of popup/);
    await page.click("nav >> text=Tokens");
    await connect(page, "sales-bot");
    assert.equal(await page.textContent('tr[data-name="sales-bot"] .chip'), "active");
    assert.match(await page.textContent('tr[data-name="sales-bot"] .countdown'), /^in \d+ min/);
    assert.ok(await page.isHidden("#server-warnings"), "a loopback public URL warns of nothing");
    assert.deepEqual(problems, []);
  });
  await context.close();
});

test("the server's warnings (a plain-HTTP public URL) show as a banner above every view", async () => {
  const plain = await env.server(["--public-url", "http://flow.example.com"]);
  const { page, context, problems } = await env.page();
  try {
    await explained(problems, async () => {
      await signIn(page, plain.base, env.adminKey);
      const banner = await page.waitForSelector("#server-warnings:not([hidden])");
      assert.match(await banner.textContent(), /public URL http:\/\/flow\.example\.com is not HTTPS/);
      assert.equal(await page.locator("#server-warnings li").count(), 1);
      await page.click("nav >> text=Components");
      await page.waitForSelector("section[data-component]");
      assert.ok(await page.isVisible("#server-warnings"), "still shown on another view");
      await screenshot(page, "server-warnings");
      assert.deepEqual(await seriousViolations(page), []);
      assert.deepEqual(problems, []);
    });
  } finally {
    await context.close();
    await plain.stop();
  }
});

test("a dead grant shows needs_reauth, and reconnecting makes it active", async () => {
  const key = await env.tenant("reauth");
  keys.push(key);
  const { page, context, problems } = await env.page();
  await explained(problems, async () => {
    await signIn(page, env.base, key);
    await connect(page, "crm");
    env.idp.killGrants();
    try {
      await page.click('tr[data-name="crm"] >> text=Refresh');
      const dead = await row(page, "crm", "needs_reauth");
      assert.equal(await (await dead.$(".chip")).textContent(), "needs reauth");
      assert.match(await (await dead.$(".last-error")).textContent(), /invalid_grant/);
    } finally {
      env.idp.reviveGrants();
    }
    await popupDone(page, () => page.click('tr[data-name="crm"] >> text=Reconnect'));
    await row(page, "crm", "active");
    assert.deepEqual(problems, []);
  });
  await context.close();
});

test("a bad load file shows the JSON path of its problem", async () => {
  const key = await env.tenant("loadfile");
  keys.push(key);
  const { page, context, problems } = await env.page();
  await explained(problems, async () => {
    await signIn(page, env.base, key);
    await page.click("nav >> text=Providers");
    await page.waitForSelector('section[data-connector="devtools"]');
    const bad = { devtools: { Other: { CLIENT_ID: "x", CLIENT_SECRT: "y" } } };
    await page.setInputFiles("#load-file", {
      name: "bad.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(bad)),
    });
    await page.click('button[type=submit]:has-text("Load")');
    const error = await page.waitForSelector("#load-outcome [role=alert]");
    assert.match(await error.textContent(), /\$\.devtools\.Other\.CLIENT_SECRT/);
    assert.match(await error.textContent(), /did you mean "CLIENT_SECRET"/);
    assert.equal(await page.locator('tr[data-provider="Other"]').count(), 0, "nothing was loaded");
    await screenshot(page, "providers-load-error");
  });
  await context.close();
});

test("the keyboard alone signs in and adds a login; dialogs take and give back focus", async () => {
  const key = await env.tenant("keyboard");
  keys.push(key);
  const { page, context, problems } = await env.page();
  const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent);
  await explained(problems, async () => {
    await page.goto(`${env.base}/ui`);
    await page.waitForSelector("#sign-in:not([hidden])");
    assert.equal(await focused(), "key", "the key field has the focus");
    await page.keyboard.type(key);
    await page.keyboard.press("Enter");
    await page.waitForSelector('#view h1:has-text("Tokens")');
    await page.waitForSelector("text=Add Mock login");
    for (let tabs = 0; (await focused()) !== "Add Mock login"; tabs++) {
      assert.ok(tabs < 40, "Add Mock login is reachable with Tab");
      await page.keyboard.press("Tab");
    }
    await page.keyboard.press("Enter");
    await page.waitForSelector("dialog[open]");
    assert.equal(await focused(), "field-name", "the dialog takes the focus");
    await page.keyboard.press("Escape");
    await page.waitForSelector("dialog", { state: "detached" });
    assert.equal(await focused(), "Add Mock login", "and gives it back");
    await page.keyboard.press("Enter");
    await page.keyboard.type("typed");
    await popupDone(page, () => page.keyboard.press("Enter"));
    await row(page, "typed", "active");
    assert.deepEqual(problems, []);
  });
  await context.close();
});

test("a connect link (its return origin allowed on the page) completes for a user without a key; a used one is refused", async () => {
  const key = await env.tenant("connect");
  keys.push(key);
  const admin = await env.page();
  await explained(admin.problems, async () => {
    await signIn(admin.page, env.base, key);
    await admin.page.click("nav >> text=Providers");
    await admin.page.fill("#origins", env.idp.base);
    await admin.page.click('button:has-text("Save origins")');
    await admin.page.waitForSelector("#status:has-text('Return origins saved')");
  });
  await admin.context.close();
  const session = await env.api("POST", "/v1/tenants/connect/connect-sessions", {
    key,
    json: { connector: "devtools", provider: "Mock", name: "end-user", scopes: [], return_to: `${env.idp.base}/back` },
  });
  const { page, context, problems } = await env.page();
  await explained(problems, async () => {
    const first = await page.goto(session.url);
    assert.equal(first.status(), 200);
    await screenshot(page, "connect");
    assert.deepEqual(await seriousViolations(page), []);
    await page.click('button:has-text("Continue to the provider")');
    await page.waitForURL((url) => url.pathname === "/back");
    const back = new URL(page.url());
    assert.equal(back.searchParams.get("status"), "active", page.url());
    const token = await env.api("GET", `/v1/tenants/connect/tokens/${back.searchParams.get("token_id")}`, { key });
    assert.equal(token.name, "end-user");
    assert.equal(token.status, "active");

    const again = await page.goto(session.url);
    assert.equal(again.status(), 410);
    assert.match(await page.textContent("h1"), /already used/i);
    await screenshot(page, "connect-used");
    assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0, "no key anywhere");
  });
  await context.close();
});

test("keys never appear in URLs, cookies or local storage", async () => {
  const key = await env.tenant("secrets");
  keys.push(key);
  const { page, context, problems } = await env.page();
  await explained(problems, async () => {
    await signIn(page, env.base, key);
    await connect(page, "kept");
    for (const view of ["Providers", "Events", "Tokens"]) {
      await page.click(`nav >> text=${view}`);
      await page.waitForSelector(`#view h1:has-text("${view}")`);
    }
    assert.equal(await page.evaluate(() => sessionStorage.getItem("flowauth.key")), key, "kept in session storage");
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.equal(await page.evaluate(() => document.cookie), "");
    assert.deepEqual(await context.cookies(), []);
    await page.click("#sign-out");
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, "signing out forgets the key");
  });
  await context.close();
  // Every URL of every test so far, the popups' included.
  assert.ok(env.requested.length > 0);
  for (const url of env.requested) {
    for (const secret of keys) assert.ok(!url.includes(secret), `a key in ${url}`);
  }
});

test("every view passes axe-core without serious violations (screenshots)", async () => {
  const key = await env.tenant("acme");
  keys.push(key);
  await env.api("PUT", "/v1/tenants/acme/webhook", { key, json: { url: `${env.idp.base}/hook` } });
  const { page, context, problems } = await env.page();
  const failures = [];
  const check = async (name) => {
    await screenshot(page, name);
    for (const violation of await seriousViolations(page)) failures.push(`${name}: ${violation}`);
  };
  await explained(problems, async () => {
    await page.goto(`${env.base}/ui`);
    await page.waitForSelector("#sign-in:not([hidden])");
    await check("sign-in");
    await signIn(page, env.base, env.adminKey);
    await page.waitForSelector("tr[data-tenant=acme]");
    await check("tenants");
    await page.click("nav >> text=Components");
    await page.waitForSelector("section[data-component]");
    await check("components");
    await page.selectOption("#tenant-select", "acme");
    await page.waitForSelector('#view h1:has-text("acme")');
    await page.click("nav >> text=Providers");
    await page.waitForSelector("section[data-connector=devtools]");
    await check("providers");
    await page.click("nav >> text=Tokens");
    await connect(page, "sales-bot");
    await check("tokens");
    await page.click("text=Add Mock login");
    await page.waitForSelector("dialog[open]");
    await check("tokens-add-login-dialog");
    await page.keyboard.press("Escape");
    await delivered(key, "acme");
    await page.click("nav >> text=Events");
    await page.waitForSelector("table.deliveries");
    await check("events");
    await page.goto(`${env.base}/oauth/return?state=unknown`);
    await check("oauth-result");
  });
  await context.close();
  assert.deepEqual(failures, []);
  assert.deepEqual(problems, []);
});
