// The page's shell: signing in and out, the navigation, and the router
// (`#/tenants`, `#/components`, `#/t/<tenant>/<view>`). Each view module
// exports `render(container, context)` and returns what leaving it stops.

import { api, onUnauthorized, seg, session } from "./api.js";
import { announce, fill, h } from "./dom.js";
import * as tenants from "./tenants.js";
import * as components from "./components.js";
import * as providers from "./providers.js";
import * as tokens from "./tokens.js";
import * as events from "./events.js";

const ADMIN_VIEWS = { tenants: ["Tenants", tenants], components: ["Components", components] };
const TENANT_VIEWS = { providers: ["Providers", providers], tokens: ["Tokens", tokens], events: ["Events", events] };
const TENANT_CHOICE = "flowauth.tenant";

let who = null; // {role, tenant?} of the signed-in key
let tenantNames = []; // the admin's tenants
let current = null; // what the shown view returned: {leave, oauthReturned}

const $ = (id) => document.getElementById(id);

function capabilities() {
  return who.role === "admin"
    ? "Admin key: may create, rotate and delete tenants, install and enable components, and manage every tenant's providers, tokens and webhook."
    : `Tenant key of ${who.tenant}: may manage this tenant's providers, tokens and webhook.`;
}

async function signIn(event) {
  event.preventDefault();
  const input = $("key");
  const key = input.value.trim();
  const problem = $("sign-in-error");
  problem.textContent = "";
  try {
    who = await api("GET", "/v1/whoami", { key });
  } catch (error) {
    problem.textContent =
      error.status === 401 ? "This key is not accepted: check it and try again." : error.message;
    input.focus();
    return;
  }
  session.set(key);
  input.value = "";
  await start();
}

function signOut(message) {
  leave();
  session.clear();
  who = null;
  $("app").hidden = true;
  $("app-bar").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message || "";
  if (location.hash) history.replaceState(null, "", location.pathname);
  $("key").focus();
}

/**
 * Shows `/v1/server`'s warnings (a plain-HTTP public URL, ...) above every
 * view; the banner stays hidden when there are none or the server does not
 * say (the view shows the server's errors).
 */
async function showWarnings() {
  const warnings = await api("GET", "/v1/server").then(
    (server) => server.warnings,
    () => [],
  );
  fill($("server-warnings-list"), warnings.map((warning) => h("li", {}, warning)));
  $("server-warnings").hidden = warnings.length === 0;
}

/** Shows the views for the signed-in key. */
async function start() {
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("app-bar").hidden = false;
  $("who").textContent = capabilities();
  const warned = showWarnings();
  tenantNames = who.role === "admin" ? (await api("GET", "/v1/tenants")).tenants.map((t) => t.name) : [];
  await warned;
  if (!location.hash || location.hash === "#") location.replace(defaultRoute());
  else route();
}

function tenantChoice() {
  if (who.role !== "admin") return who.tenant;
  const chosen = sessionStorage.getItem(TENANT_CHOICE);
  return tenantNames.includes(chosen) ? chosen : tenantNames[0];
}

function defaultRoute() {
  return who.role === "admin" ? "#/tenants" : `#/t/${seg(who.tenant)}/tokens`;
}

/** Called by views that add or delete tenants. */
function tenantsChanged(names) {
  tenantNames = names;
  nav(parse());
}

function parse() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "t" && parts.length === 3 && TENANT_VIEWS[parts[2]]) return { tenant: parts[1], view: parts[2] };
  if (who.role === "admin" && ADMIN_VIEWS[parts[0]]) return { view: parts[0] };
  return null;
}

function nav(at) {
  const tenant = at?.tenant || tenantChoice();
  const link = (href, label, active) =>
    h("li", {}, h("a", { href, "aria-current": active ? "page" : undefined }, label));
  const items = [];
  if (who.role === "admin") {
    for (const [name, [label]] of Object.entries(ADMIN_VIEWS)) items.push(link(`#/${name}`, label, at?.view === name));
  }
  if (tenant) {
    for (const [name, [label]] of Object.entries(TENANT_VIEWS)) {
      items.push(link(`#/t/${seg(tenant)}/${name}`, label, at?.view === name));
    }
  }
  fill($("nav-links"), items);
  const picker = $("tenant-picker");
  picker.hidden = who.role !== "admin" || tenantNames.length === 0;
  if (!picker.hidden) {
    const select = $("tenant-select");
    fill(
      select,
      tenantNames.map((name) => h("option", { value: name, selected: name === tenant }, name)),
    );
  }
}

function leave() {
  if (current?.leave) current.leave();
  current = null;
}

function route() {
  if (!who) return;
  const at = parse();
  if (!at) {
    location.replace(defaultRoute());
    return;
  }
  if (at.tenant && who.role === "admin") sessionStorage.setItem(TENANT_CHOICE, at.tenant);
  leave();
  announce("");
  nav(at);
  const [label, module] = at.tenant ? TENANT_VIEWS[at.view] : ADMIN_VIEWS[at.view];
  const view = $("view");
  document.title = `${label}${at.tenant ? ` · ${at.tenant}` : ""} · flowauth`;
  fill(view, h("p", {}, "Loading…"));
  current = module.render(view, { who, tenant: at.tenant, tenantsChanged }) || null;
  $("main").focus({ preventScroll: true });
}

/** The OAuth result page in the popup tells its opener (return.js). */
function oauthReturned(event) {
  if (event.origin !== location.origin || event.data?.type !== "flowauth:oauth-return") return;
  const { status } = event.data;
  announce(
    status === "active" ? "The login completed: the token is active." : `The login ended: the token is ${status}.`,
    status === "active" ? "info" : "error",
  );
  if (current?.oauthReturned) current.oauthReturned(event.data);
}

function choseTenant(event) {
  const view = parse()?.view;
  location.hash = `#/t/${seg(event.target.value)}/${TENANT_VIEWS[view] ? view : "tokens"}`;
}

function boot() {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut("Signed out."));
  $("tenant-select").addEventListener("change", choseTenant);
  window.addEventListener("hashchange", route);
  window.addEventListener("message", oauthReturned);
  onUnauthorized(() => signOut("The server no longer accepts this key: sign in again."));
  const key = session.key();
  if (!key) {
    signOut();
    return;
  }
  api("GET", "/v1/whoami").then(
    (answer) => {
      who = answer;
      return start();
    },
    (error) => signOut(error.status === 401 ? undefined : error.message),
  );
}

boot();
