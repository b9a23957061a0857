// Admin: tenants — create one, rotate its key, delete it with its tokens.

import { api, seg } from "./api.js";
import { announce, busy, dialog, errorBox, fill, h, hidden, secretDialog } from "./dom.js";

export function render(container, { tenantsChanged }) {
  const list = h("div", {});
  const name = h("input", { id: "new-tenant", name: "name", required: true, autocomplete: "off", pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]{0,62}", "aria-describedby": "new-tenant-help" });
  const problem = h("div", {});
  const create = h(
    "form",
    {
      class: "inline-form",
      onsubmit: async (event) => {
        event.preventDefault();
        fill(problem);
        const button = event.submitter;
        await busy(button, async () => {
          try {
            const made = await api("POST", "/v1/tenants", { json: { name: name.value.trim() } });
            name.value = "";
            await load();
            await secretDialog(
              `Tenant ${made.name} created`,
              "Its API key is shown this once: copy it now and hand it to the tenant.",
              made.api_key,
              `API key of ${made.name}`,
            );
          } catch (error) {
            fill(problem, errorBox(error));
          }
        });
      },
    },
    h("p", { class: "field" }, h("label", { for: "new-tenant" }, "New tenant's name"), name,
      h("small", { id: "new-tenant-help" }, "1 to 63 letters, digits, ., _ and -, starting with a letter or a digit.")),
    h("p", {}, h("button", { type: "submit", class: "primary" }, "Create tenant")),
  );

  async function load() {
    const { tenants } = await api("GET", "/v1/tenants");
    tenantsChanged(tenants.map((t) => t.name));
    fill(
      list,
      tenants.length === 0
        ? h("p", {}, "No tenants yet.")
        : h(
            "table",
            {},
            h("caption", {}, "Tenants"),
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Actions"))),
            h("tbody", {}, tenants.map(row)),
          ),
    );
  }

  function row({ name: tenant }) {
    return h(
      "tr",
      { dataset: { tenant } },
      h("th", { scope: "row" }, h("a", { href: `#/t/${seg(tenant)}/tokens` }, tenant)),
      h(
        "td",
        { class: "actions" },
        h("button", { type: "button", onclick: (e) => rotate(e.currentTarget, tenant) }, "Rotate key", hidden(` of ${tenant}`)),
        h("button", { type: "button", class: "danger", onclick: () => remove(tenant) }, "Delete", hidden(` ${tenant}`)),
      ),
    );
  }

  async function rotate(button, tenant) {
    const answer = await busy(button, () => api("POST", `/v1/tenants/${seg(tenant)}/rotate-key`));
    if (!answer) return;
    await secretDialog(
      `New key of ${tenant}`,
      "The old key stops working within seconds. The new one is shown this once: copy it now.",
      answer.api_key,
      `API key of ${tenant}`,
    );
  }

  async function remove(tenant) {
    const confirmed = await dialog(`Delete ${tenant}?`, (close) => {
      const typed = h("input", { id: "confirm-tenant", autocomplete: "off", required: true, oninput: (e) => e.target.setCustomValidity("") });
      return h(
        "form",
        {
          onsubmit: (e) => {
            e.preventDefault();
            if (typed.value === tenant) close(true);
            else typed.setCustomValidity(`Type ${tenant} exactly.`), typed.reportValidity();
          },
        },
        h("p", {}, `This deletes the tenant with every token, provider and its webhook. It cannot be undone.`),
        h("p", { class: "field" }, h("label", { for: "confirm-tenant" }, `Type ${tenant} to confirm`), typed),
        h(
          "div",
          { class: "buttons" },
          h("button", { type: "button", onclick: () => close(false) }, "Cancel"),
          h("button", { type: "submit", class: "danger" }, "Delete tenant"),
        ),
      );
    });
    if (!confirmed) return;
    try {
      await api("DELETE", `/v1/tenants/${seg(tenant)}?confirm=${seg(tenant)}`);
      announce(`Tenant ${tenant} deleted.`);
      await load();
    } catch (error) {
      announce(error.message, "error");
    }
  }

  fill(container, h("h1", {}, "Tenants"), create, problem, list);
  load().catch((error) => fill(list, errorBox(error)));
}
