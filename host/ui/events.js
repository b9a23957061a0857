// A tenant's webhook (set, remove; its signing secret is shown once) and
// its recent deliveries with every attempt.

import { api, seg } from "./api.js";
import { announce, busy, confirmDialog, errorBox, fill, h, localTime, secretDialog } from "./dom.js";

const EVENTS = ["token.active", "token.failed", "token.needs_reauth", "token.refresh_failed"];

export function render(container, { tenant }) {
  const base = `/v1/tenants/${seg(tenant)}/webhook`;
  const hook = h("div", {}, h("p", {}, "Loading…"));
  const deliveries = h("div", {});

  async function load() {
    let webhook = null;
    try {
      webhook = await api("GET", base);
    } catch (error) {
      if (error.status !== 404) throw error;
    }
    fill(hook, webhookForm(webhook));
    if (!webhook) {
      fill(deliveries);
      return;
    }
    const answer = await api("GET", `${base}/deliveries?limit=50`);
    fill(deliveries, h("h2", {}, "Recent deliveries"), answer.deliveries.length ? deliveryTable(answer.deliveries) : h("p", {}, "None yet."));
  }

  function webhookForm(webhook) {
    const url = h("input", { id: "webhook-url", type: "url", required: true, value: webhook?.url || "", autocomplete: "off", "aria-describedby": "webhook-url-help" });
    const boxes = EVENTS.map((event) =>
      h("input", { type: "checkbox", id: `event-${event}`, value: event, checked: !webhook || webhook.events.length === 0 || webhook.events.includes(event) }),
    );
    const problem = h("div", {});
    const save = async (rotate, button) => {
      fill(problem);
      await busy(button, async () => {
        try {
          const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
          const answer = await api("PUT", base, { json: { url: url.value.trim(), events: chosen, rotate_secret: rotate } });
          if (answer.secret) {
            await secretDialog("Webhook signing secret", "Deliveries are signed with this secret; it is shown this once.", answer.secret, "signing secret");
          }
          announce("Webhook saved.");
          await load();
        } catch (error) {
          fill(problem, errorBox(error));
        }
      });
    };
    return h(
      "form",
      { class: "card", onsubmit: (e) => (e.preventDefault(), save(false, e.submitter)) },
      h("h2", {}, "Webhook"),
      webhook ? h("p", {}, "Set since ", localTime(webhook.created_at), ".") : h("p", {}, "No webhook: events are not sent anywhere."),
      h("p", { class: "field" }, h("label", { for: "webhook-url" }, "URL"), url, h("small", { id: "webhook-url-help" }, "An https URL that receives signed POSTs.")),
      h(
        "fieldset",
        {},
        h("legend", {}, "Events"),
        EVENTS.map((event, n) => h("p", { class: "check" }, boxes[n], h("label", { for: `event-${event}` }, event))),
      ),
      problem,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "submit", class: "primary" }, webhook ? "Save" : "Set webhook"),
        webhook && h("button", { type: "button", onclick: (e) => save(true, e.currentTarget) }, "Rotate secret"),
        webhook && h("button", { type: "button", class: "danger", onclick: remove }, "Remove webhook"),
      ),
    );
  }

  async function remove() {
    if (!(await confirmDialog("Remove the webhook?", "Events stop being sent and the delivery log is deleted.", "Remove webhook"))) return;
    try {
      await api("DELETE", base);
      announce("Webhook removed.");
      await load();
    } catch (error) {
      announce(error.message, "error");
    }
  }

  function deliveryTable(list) {
    return h(
      "table",
      { class: "deliveries" },
      h("caption", { class: "vh" }, "Recent deliveries"),
      h("thead", {}, h("tr", {}, ["Event", "Status", "Created", "Attempts", "Last answer"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        list.map((d) =>
          h(
            "tr",
            { dataset: { delivery: d.id } },
            h("td", {}, h("code", {}, d.event)),
            h("td", {}, h("span", { class: `chip chip-${d.status}` }, d.status), d.next_attempt_at && [h("br"), h("small", {}, "next ", localTime(d.next_attempt_at))]),
            h("td", {}, localTime(d.created_at)),
            h(
              "td",
              {},
              d.attempt_log.length === 0
                ? "0"
                : h(
                    "details",
                    {},
                    h("summary", {}, `${d.attempts} attempt(s)`),
                    h(
                      "ol",
                      { class: "attempts" },
                      d.attempt_log.map((a) =>
                        h("li", {}, localTime(a.at), ": ", a.status_code ? `HTTP ${a.status_code}` : "no answer", a.error ? ` — ${a.error}` : "", ` (${a.duration_ms} ms)`),
                      ),
                    ),
                  ),
            ),
            h("td", {}, d.last_status_code ? `HTTP ${d.last_status_code}` : "—", d.last_error && [h("br"), h("small", {}, d.last_error)]),
          ),
        ),
      ),
    );
  }

  fill(container, h("h1", {}, `Events of ${tenant}`), hook, deliveries);
  load().catch((error) => fill(hook, errorBox(error)));
}
