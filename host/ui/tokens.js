// A tenant's tokens: filters, name search by prefix and cursor paging;
// status chips, expiry with a countdown, the last error; refresh,
// validate, retry or reconnect, rename, delete; and "Add <provider> login",
// which opens the provider in a popup. The OAuth result page in that popup
// tells this page when it is done (return.js): no polling.

import { api, query, seg } from "./api.js";
import {
  announce,
  busy,
  chip,
  confirmDialog,
  countdownText,
  dialog,
  errorBox,
  fill,
  formDialog,
  h,
  hidden,
  localTime,
} from "./dom.js";

const STATUSES = ["pending", "active", "needs_reauth", "failed"];
const PAGE_SIZE = 25;
const POPUP = "flowauth-login";

export function render(container, { tenant }) {
  const base = `/v1/tenants/${seg(tenant)}`;
  const filters = { status: "", connector: "", provider: "", name_prefix: "" };
  let cursors = [undefined]; // the cursor of each page up to the shown one
  let searchDelay = null;

  const table = h("div", { id: "tokens" }, h("p", {}, "Loading…"));
  const pager = h("nav", { class: "pager", "aria-label": "Pages of tokens" });
  const logins = h("div", { class: "logins" });

  // Countdowns: one timer for the whole view, stopped when it is left.
  const timer = setInterval(() => {
    for (const el of container.querySelectorAll(".countdown[data-expires]")) {
      el.textContent = countdownText(Number(el.dataset.expires));
    }
  }, 1000);

  async function load() {
    const page = await api(
      "GET",
      `${base}/tokens${query({ ...filters, limit: PAGE_SIZE, cursor: cursors[cursors.length - 1] })}`,
    );
    fill(table, page.tokens.length === 0 ? h("p", {}, "No tokens match.") : tokenTable(page.tokens));
    const first = cursors.length === 1;
    fill(
      pager,
      h("button", { type: "button", disabled: first, onclick: () => ((cursors = cursors.slice(0, -1)), load()) }, "Previous page"),
      h("span", {}, `Page ${cursors.length}`),
      h(
        "button",
        { type: "button", disabled: !page.next_cursor, onclick: () => (cursors.push(page.next_cursor), load()) },
        "Next page",
      ),
    );
  }

  function reload() {
    load().catch((error) => fill(table, errorBox(error)));
  }

  function tokenTable(tokens) {
    return h(
      "table",
      { class: "tokens" },
      h("caption", { class: "vh" }, `Tokens of ${tenant}`),
      h(
        "thead",
        {},
        h("tr", {}, ["Name", "Provider", "Status", "Expires", "Last error", "Actions"].map((t) => h("th", { scope: "col" }, t))),
      ),
      h("tbody", {}, tokens.map(row)),
    );
  }

  function row(t) {
    const authorizes = t.flow === "authorization_code";
    const again = t.status === "active" || t.status === "needs_reauth" ? "Reconnect" : "Retry";
    return h(
      "tr",
      { dataset: { token: t.id, name: t.name, status: t.status } },
      h("th", { scope: "row" }, t.name),
      h("td", {}, t.provider, h("br"), h("small", {}, t.connector)),
      h("td", {}, chip(t.status)),
      h(
        "td",
        {},
        t.expires_at
          ? [localTime(t.expires_at), h("br"), h("small", { class: "countdown", dataset: { expires: t.expires_at } }, countdownText(t.expires_at))]
          : "—",
      ),
      h("td", { class: "last-error" }, t.error ? [h("code", {}, t.error.code), " ", t.error.message] : "—"),
      h(
        "td",
        { class: "actions" },
        action("Refresh", t, () => refresh(t)),
        action("Validate", t, () => validate(t)),
        authorizes && action(again, t, () => reconnect(t)),
        action("Rename", t, () => rename(t)),
        action("Delete", t, () => remove(t), "danger"),
      ),
    );
  }

  function action(label, t, run, kind) {
    return h("button", { type: "button", class: kind, onclick: (e) => busy(e.currentTarget, run) }, label, hidden(` ${t.name}`));
  }

  async function refresh(t) {
    try {
      await api("POST", `${base}/tokens/${seg(t.id)}/refresh`);
      announce(`${t.name} refreshed.`);
    } finally {
      await load();
    }
  }

  async function validate(t) {
    const v = await api("POST", `${base}/tokens/${seg(t.id)}/validate`);
    await dialog(`${t.name} at the provider`, (close) =>
      h(
        "div",
        {},
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Active"), h("dd", {}, v.active ? "yes" : "no"),
          h("dt", {}, "Expires in"), h("dd", {}, v.expires_in == null ? "not said" : `${v.expires_in} s`),
          h("dt", {}, "Scope"), h("dd", {}, v.scope || "not said"),
          h("dt", {}, "Subject"), h("dd", {}, v.subject || "not said"),
        ),
        h("div", { class: "buttons" }, h("button", { type: "button", class: "primary", onclick: () => close() }, "Close")),
      ),
    );
  }

  async function reconnect(t) {
    if (t.status === "active" &&
        !(await confirmDialog(`Reconnect ${t.name}?`, "The token is active. Authorizing again replaces its grant.", "Reconnect"))) {
      return;
    }
    await authorize(() => api("POST", `${base}/tokens/${seg(t.id)}/retry${t.status === "active" ? "?force=true" : ""}`));
  }

  async function rename(t) {
    const answer = await formDialog(`Rename ${t.name}`, [{ name: "name", label: "New name", value: t.name, required: true }], "Rename");
    if (!answer || answer.name === t.name) return;
    await api("PATCH", `${base}/tokens/${seg(t.id)}`, { json: { name: answer.name } });
    announce(`${t.name} is now ${answer.name}.`);
    await load();
  }

  async function remove(t) {
    if (!(await confirmDialog(`Delete ${t.name}?`, "The token is revoked where the provider can and deleted.", "Delete token"))) return;
    await api("DELETE", `${base}/tokens/${seg(t.id)}`);
    announce(`${t.name} deleted.`);
    await load();
  }

  /**
   * Opens the popup at once (still inside the click, so no popup blocker
   * stops it), then sends it to the auth link `start()` answers.
   */
  async function authorize(start) {
    const popup = window.open("", POPUP, "popup,width=560,height=720");
    let started;
    try {
      started = await start();
    } catch (error) {
      popup?.close();
      throw error;
    }
    if (!started.auth_link) {
      popup?.close();
      announce(started.error ? `The provider refused: ${started.error.message}` : `The token is ${started.status}.`, "error");
    } else if (popup) {
      popup.location.href = started.auth_link;
      announce("Authorize in the window that opened; this list updates when you are done.");
    } else {
      announce("Your browser blocked the window: open the provider's page with the link below.", "error");
      fill(logins, logins.firstChild, h("p", {}, h("a", { href: started.auth_link, target: POPUP, rel: "opener" }, "Open the provider's login page")));
    }
    await load();
  }

  async function addLogin(provider, connector) {
    const scopes = connector?.scopes || [];
    const answer = await formDialog(`Add ${provider.display_name} login`, [
      { name: "name", label: "Token name", required: true, help: "Unique within this tenant, e.g. sales-bot." },
      {
        name: "scopes",
        label: "Scopes",
        help: `Separated by spaces${scopes.length ? `; this connector knows ${scopes.join(", ")}` : ""}.`,
      },
    ], "Open login");
    if (!answer) return;
    await authorize(() =>
      api("POST", `${base}/tokens`, {
        json: {
          name: answer.name,
          connector: provider.connector,
          provider: provider.display_name,
          flow: "authorization_code",
          scopes: answer.scopes.split(/\s+/).filter(Boolean),
        },
      }),
    );
  }

  async function loadProviders() {
    const [{ providers }, { connectors }] = await Promise.all([
      api("GET", `${base}/providers`),
      api("GET", `${base}/connectors`),
    ]);
    const byName = new Map(connectors.map((c) => [c.name, c]));
    const names = [...new Set(providers.map((p) => p.connector))];
    fill(
      connectorFilter,
      h("option", { value: "" }, "any"),
      names.map((n) => h("option", { value: n, selected: n === filters.connector }, n)),
    );
    fill(
      logins,
      providers.length === 0
        ? h("p", {}, "No providers yet: load one on the Providers page.")
        : h(
            "ul",
            { class: "plain buttons-row" },
            providers.map((p) =>
              h(
                "li",
                {},
                h(
                  "button",
                  { type: "button", class: "primary", onclick: (e) => busy(e.currentTarget, () => addLogin(p, byName.get(p.connector))) },
                  `Add ${p.display_name} login`,
                ),
              ),
            ),
          ),
    );
  }

  const statusFilter = h(
    "select",
    { id: "filter-status", name: "status" },
    h("option", { value: "" }, "any"),
    STATUSES.map((s) => h("option", { value: s }, s.replace("_", " "))),
  );
  const connectorFilter = h("select", { id: "filter-connector", name: "connector" }, h("option", { value: "" }, "any"));
  const providerFilter = h("input", { id: "filter-provider", name: "provider", autocomplete: "off" });
  const search = h("input", { id: "filter-name", name: "name_prefix", type: "search", autocomplete: "off" });

  function apply() {
    filters.status = statusFilter.value;
    filters.connector = connectorFilter.value;
    filters.provider = providerFilter.value.trim();
    filters.name_prefix = search.value.trim();
    cursors = [undefined];
    reload();
  }

  const filterForm = h(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": "Filter tokens",
      onsubmit: (e) => (e.preventDefault(), apply()),
      onchange: (e) => e.target.tagName === "SELECT" && apply(),
    },
    h("p", { class: "field" }, h("label", { for: "filter-name" }, "Name starts with"), search),
    h("p", { class: "field" }, h("label", { for: "filter-status" }, "Status"), statusFilter),
    h("p", { class: "field" }, h("label", { for: "filter-connector" }, "Connector"), connectorFilter),
    h("p", { class: "field" }, h("label", { for: "filter-provider" }, "Provider"), providerFilter),
    h("p", {}, h("button", { type: "submit" }, "Apply")),
  );
  // Searching as one types, once typing pauses.
  search.addEventListener("input", () => {
    clearTimeout(searchDelay);
    searchDelay = setTimeout(apply, 300);
  });

  fill(
    container,
    h("h1", {}, `Tokens of ${tenant}`),
    h("section", { class: "card", "aria-labelledby": "logins-title" }, h("h2", { id: "logins-title" }, "Connect"), logins),
    filterForm,
    table,
    pager,
  );
  loadProviders().catch((error) => fill(logins, errorBox(error)));
  reload();

  return {
    leave() {
      clearInterval(timer);
      clearTimeout(searchDelay);
    },
    oauthReturned() {
      reload();
    },
  };
}
