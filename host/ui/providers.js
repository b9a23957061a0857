// A tenant's providers per connector: which settings are set (never their
// values), the redirect URI to register at the provider, loading a load
// file (its problems listed by JSON path) and removing a provider.

import { api, seg } from "./api.js";
import { announce, busy, confirmDialog, copyButton, errorBox, fill, h, hidden } from "./dom.js";

export function render(container, { tenant }) {
  const base = `/v1/tenants/${seg(tenant)}`;
  const redirect = h("div", {});
  const list = h("div", {}, h("p", {}, "Loading…"));
  const outcome = h("div", { id: "load-outcome" });
  const origins = h("section", { class: "card", "aria-labelledby": "origins-title" });

  async function load() {
    const [{ providers }, { connectors }] = await Promise.all([
      api("GET", `${base}/providers`),
      api("GET", `${base}/connectors`),
    ]);
    const byName = new Map(connectors.map((c) => [c.name, c]));
    const groups = new Map();
    for (const p of providers) {
      if (!groups.has(p.connector)) groups.set(p.connector, []);
      groups.get(p.connector).push(p);
    }
    fill(
      list,
      groups.size === 0
        ? h("p", {}, "No providers yet: load a file below.")
        : [...groups].map(([connector, entries]) => group(byName.get(connector), connector, entries)),
    );
  }

  function group(connector, name, entries) {
    const id = `connector-${name}`;
    const required = (connector?.settings || []).filter((s) => s.required).map((s) => s.key);
    return h(
      "section",
      { class: "card", "aria-labelledby": id, dataset: { connector: name } },
      h("h2", { id }, connector?.title || name, " ", h("code", {}, name)),
      h(
        "table",
        {},
        h("caption", { class: "vh" }, `Providers of ${name}`),
        h(
          "thead",
          {},
          h("tr", {}, ["Display name", "Settings set", "Missing", "Tokens", "Actions"].map((t) => h("th", { scope: "col" }, t))),
        ),
        h(
          "tbody",
          {},
          entries.map((p) => {
            const set = new Set(p.settings.map((k) => k.toUpperCase()));
            const missing = required.filter((k) => !set.has(k.toUpperCase()));
            return h(
              "tr",
              { dataset: { provider: p.display_name } },
              h("th", { scope: "row" }, p.display_name),
              h("td", {}, h("ul", { class: "keys" }, p.settings.map((k) => h("li", {}, h("code", {}, k))))),
              h("td", {}, missing.length ? missing.join(", ") : "none"),
              h("td", {}, String(p.tokens)),
              h(
                "td",
                { class: "actions" },
                h("button", { type: "button", class: "danger", onclick: () => remove(p) }, "Remove", hidden(` ${p.display_name}`)),
              ),
            );
          }),
        ),
      ),
    );
  }

  async function remove(p) {
    const force = p.tokens > 0;
    const message = force
      ? `${p.display_name} (${p.connector}) has ${p.tokens} token(s). Removing it deletes them too.`
      : `Remove ${p.display_name} (${p.connector}) and its settings?`;
    if (!(await confirmDialog(`Remove ${p.display_name}?`, message, force ? "Remove with its tokens" : "Remove"))) return;
    try {
      await api("DELETE", `${base}/providers/${seg(p.connector)}/${seg(p.display_name)}${force ? "?force=true" : ""}`);
      announce(`${p.display_name} removed.`);
      await load();
    } catch (error) {
      announce(error.message, "error");
    }
  }

  /** Where connect links (made by the tenant's app) may send users back to. */
  async function showOrigins() {
    const { allowed_return_origins: allowed } = await api("GET", `${base}/connect-settings`);
    const field = h("textarea", { id: "origins", rows: 3, "aria-describedby": "origins-help" }, allowed.join("\n"));
    const problem = h("div", {});
    const form = h(
      "form",
      {
        onsubmit: (event) => {
          event.preventDefault();
          fill(problem);
          busy(event.submitter, async () => {
            try {
              const list = field.value.split(/\s+/).filter(Boolean);
              await api("PUT", `${base}/connect-settings`, { json: { allowed_return_origins: list } });
              announce("Return origins saved.");
              await showOrigins();
            } catch (error) {
              fill(problem, errorBox(error));
            }
          });
        },
      },
      h(
        "p",
        { class: "field" },
        h("label", { for: "origins" }, "Origins connect links may return to, one a line"),
        field,
        h("small", { id: "origins-help" }, "Scheme, host and port of your app, e.g. https://app.example.com."),
      ),
      problem,
      h("p", {}, h("button", { type: "submit" }, "Save origins")),
    );
    fill(origins, h("h2", { id: "origins-title" }, "Connect links"), form);
  }

  async function showRedirect() {
    let uris;
    try {
      const server = await api("GET", "/v1/server");
      uris = server.redirect_uris?.length ? server.redirect_uris : [server.redirect_uri];
    } catch {
      uris = [`${location.origin}/oauth/return`];
    }
    fill(
      redirect,
      h("h2", {}, "Redirect URI"),
      h("p", {}, "Register this redirect URI at the provider (its app or client settings):"),
      h(
        "ul",
        { class: "plain" },
        uris.map((uri) => h("li", { class: "copyable" }, h("code", { class: "redirect-uri" }, uri), " ", copyButton(uri, "redirect URI"))),
      ),
    );
  }

  const file = h("input", { id: "load-file", type: "file", accept: ".json,application/json", required: true });
  const update = h("input", { id: "load-update", type: "checkbox" });
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const chosen = file.files[0];
        if (!chosen) return;
        await busy(event.submitter, async () => {
          try {
            const text = await chosen.text();
            const answer = await api("POST", `${base}/oauth-configurations${update.checked ? "?mode=update" : ""}`, { text });
            fill(
              outcome,
              h(
                "p",
                { class: "ok", role: "status" },
                `Loaded ${chosen.name}: ${answer.created.length} created, ${answer.updated.length} updated, ${answer.unchanged.length} unchanged.`,
              ),
            );
            await load();
          } catch (error) {
            fill(outcome, errorBox(error));
          }
        });
      },
    },
    h("h2", {}, "Load a file"),
    h(
      "p",
      {},
      "A load file sets providers: ",
      h("code", {}, '{"<connector>": {"<display name>": {"<SETTING>": "<value>"}}}'),
      ". It loads whole or not at all.",
    ),
    h("p", { class: "field" }, h("label", { for: "load-file" }, "Load file (JSON)"), file),
    h(
      "p",
      { class: "check" },
      update,
      h("label", { for: "load-update" }, "Update providers in use in place (keys given replace or add to the stored ones)"),
    ),
    h("p", {}, h("button", { type: "submit", class: "primary" }, "Load")),
  );

  fill(container, h("h1", {}, `Providers of ${tenant}`), redirect, list, h("section", { class: "card" }, form, outcome), origins);
  showRedirect();
  showOrigins().catch((error) => fill(origins, errorBox(error)));
  load().catch((error) => fill(list, errorBox(error)));
}
