// Admin: components — built-in and installed, their digests, contract
// versions and granted hosts, and which digest each tenant runs (enable,
// pin another version, disable).

import { api, seg } from "./api.js";
import { announce, busy, errorBox, fill, h, hidden, localTime } from "./dom.js";

const short = (digest) => digest.slice(0, 12);

export function render(container) {
  const list = h("div", {}, h("p", {}, "Loading…"));

  async function load() {
    const [{ components }, { tenants }] = await Promise.all([api("GET", "/v1/components"), api("GET", "/v1/tenants")]);
    const names = tenants.map((t) => t.name);
    fill(list, components.length === 0 ? h("p", {}, "No components.") : components.map((c) => component(c, names)));
  }

  function component(c, tenants) {
    const id = `component-${c.name}`;
    return h(
      "section",
      { class: "card", "aria-labelledby": id, dataset: { component: c.name } },
      h("h2", { id }, c.name, " ", h("span", { class: "badge" }, c.built_in ? "built in" : "installed")),
      c.built_in ? builtIn(c) : installed(c, tenants),
    );
  }

  function builtIn(c) {
    return h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Digest"), h("dd", {}, h("code", { class: "digest" }, c.digest)),
      h("dt", {}, "Contract"), h("dd", {}, c.contract),
      h("dt", {}, "Connectors"), h("dd", {}, c.connectors.join(", ")),
      h("dt", {}, "Tenants"), h("dd", {}, "every tenant (ships with flowauth)"),
    );
  }

  function installed(c, tenants) {
    const versions = h(
      "table",
      {},
      h("caption", {}, `Versions of ${c.name}`),
      h(
        "thead",
        {},
        h("tr", {}, ["Digest", "Contract", "Granted hosts", "Connectors", "Installed"].map((t) => h("th", { scope: "col" }, t))),
      ),
      h(
        "tbody",
        {},
        c.versions.map((v) =>
          h(
            "tr",
            {},
            h("td", {}, h("code", { class: "digest" }, v.digest), v.current && h("span", { class: "badge" }, "current")),
            h("td", {}, v.contract),
            h("td", {}, v.hosts.length ? h("ul", { class: "plain" }, v.hosts.map((host) => h("li", {}, h("code", {}, host)))) : "none"),
            h("td", {}, v.connectors.join(", ")),
            h("td", {}, localTime(v.installed_at)),
          ),
        ),
      ),
    );
    const pins = new Map(c.tenants.map((p) => [p.tenant, p]));
    const enablement = h(
      "table",
      {},
      h("caption", {}, `Tenants of ${c.name}`),
      h("thead", {}, h("tr", {}, ["Tenant", "Runs", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, tenants.map((tenant) => tenantRow(c, tenant, pins.get(tenant)))),
    );
    return [versions, tenants.length ? enablement : h("p", {}, "No tenants to enable it for.")];
  }

  function tenantRow(c, tenant, pin) {
    const choice = h(
      "select",
      { id: `pin-${c.name}-${tenant}` },
      c.versions.map((v) =>
        h("option", { value: v.digest, selected: pin ? pin.digest === v.digest : v.current }, `${short(v.digest)}${v.current ? " (current)" : ""}`),
      ),
    );
    const put = (button, digest) =>
      busy(button, async () => {
        await api("PUT", `/v1/tenants/${seg(tenant)}/components/${seg(c.name)}?digest=${seg(digest)}`);
        announce(`${tenant} runs ${c.name} ${short(digest)}.`);
        await load();
      });
    return h(
      "tr",
      { dataset: { tenant } },
      h("th", { scope: "row" }, tenant),
      h(
        "td",
        {},
        pin
          ? [h("code", {}, short(pin.digest)), pin.newer_available && h("span", { class: "badge" }, "newer available")]
          : "disabled",
      ),
      h(
        "td",
        { class: "actions" },
        h("label", { for: choice.id, class: "vh" }, `Version of ${c.name} for ${tenant}`),
        choice,
        h("button", { type: "button", onclick: (e) => put(e.currentTarget, choice.value) }, pin ? "Pin" : "Enable", hidden(` for ${tenant}`)),
        pin &&
          h(
            "button",
            {
              type: "button",
              class: "danger",
              onclick: (e) =>
                busy(e.currentTarget, async () => {
                  await api("DELETE", `/v1/tenants/${seg(tenant)}/components/${seg(c.name)}`);
                  announce(`${c.name} disabled for ${tenant}.`);
                  await load();
                }),
            },
            "Disable",
            hidden(` for ${tenant}`),
          ),
      ),
    );
  }

  fill(
    container,
    h("h1", {}, "Components"),
    h(
      "p",
      {},
      "Install and upgrade components with ",
      h("code", {}, "flowauth component install"),
      "; here you see what is installed and choose the version each tenant runs.",
    ),
    list,
  );
  load().catch((error) => fill(list, errorBox(error)));
}
