// Small DOM helpers: building elements without innerHTML (no markup is
// ever parsed from data), dialogs with focus management, status chips,
// times and the polite status line.

/** An element: h("button", {class: "x", onclick: f}, "text", child...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Text only screen readers hear, e.g. which row a button acts on. */
export function hidden(text) {
  return h("span", { class: "vh" }, text);
}

/** Says something to screen readers and shows it in the status line. */
export function announce(message, kind = "info") {
  const line = document.getElementById("status");
  line.dataset.kind = kind;
  line.textContent = message;
}

/** A message of an API error, with a load file's problems by JSON path. */
export function errorBox(error) {
  const problems = error.errors || [];
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", {}, error.message),
    problems.length > 0 &&
      h("ul", { class: "problems" }, problems.map((p) => h("li", {}, h("code", {}, p.path), ": ", p.message))),
  );
}

/**
 * Runs `action` for a button, which ignores further clicks meanwhile (it
 * keeps the focus: a disabled button would drop it); errors are announced.
 */
export async function busy(button, action) {
  if (button.getAttribute("aria-busy") === "true") return undefined;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } catch (error) {
    announce(error.message, "error");
    return undefined;
  } finally {
    button.removeAttribute("aria-busy");
  }
}

const STATUS_LABELS = { pending: "pending", active: "active", needs_reauth: "needs reauth", failed: "failed" };

/** The chip of a token status. */
export function chip(status) {
  return h("span", { class: `chip chip-${status}`, dataset: { status } }, STATUS_LABELS[status] || status);
}

/** A Unix time as a local date and time. */
export function localTime(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const date = new Date(seconds * 1000);
  return h("time", { datetime: date.toISOString() }, date.toLocaleString());
}

/** "in 4 min 10 s" or "expired 3 min ago" for a Unix time, from now. */
export function countdownText(seconds, now = Date.now()) {
  const left = Math.round(seconds - now / 1000);
  const span = Math.abs(left);
  const parts =
    span >= 86400
      ? [`${Math.floor(span / 86400)} d`, `${Math.floor((span % 86400) / 3600)} h`]
      : span >= 3600
        ? [`${Math.floor(span / 3600)} h`, `${Math.floor((span % 3600) / 60)} min`]
        : span >= 60
          ? [`${Math.floor(span / 60)} min`, `${span % 60} s`]
          : [`${span} s`];
  return left >= 0 ? `in ${parts.join(" ")}` : `expired ${parts.join(" ")} ago`;
}

/** A button that copies `text` and says so. */
export function copyButton(text, what) {
  const button = h("button", { type: "button", class: "small" }, "Copy", hidden(` ${what}`));
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      announce(`Copied the ${what}.`);
    } catch {
      announce(`Copying failed: select the ${what} and copy it yourself.`, "error");
    }
  });
  return button;
}

let dialogs = 0;

/**
 * A modal dialog: focus moves into it and back to where it was when it
 * closes; Escape cancels. `body(close)` builds its content; the promise
 * resolves with what `close(value)` was given (undefined when cancelled).
 */
export function dialog(title, body) {
  const opener = document.activeElement;
  const id = `dialog-title-${++dialogs}`;
  const el = h("dialog", { "aria-labelledby": id });
  return new Promise((resolve) => {
    let result;
    const close = (value) => {
      result = value;
      el.close();
    };
    el.addEventListener("close", () => {
      el.remove();
      // Back where it was; to the page's start when that is gone (a row
      // the action redrew).
      if (opener && opener.isConnected && opener !== document.body) opener.focus();
      else document.getElementById("main")?.focus();
      resolve(result);
    });
    fill(el, h("h2", { id }, title), body(close));
    document.body.append(el);
    el.showModal();
  });
}

/** Asks to confirm; resolves true only on the confirming button. */
export function confirmDialog(title, message, confirmLabel) {
  return dialog(title, (close) =>
    h(
      "form",
      { method: "dialog", onsubmit: (e) => (e.preventDefault(), close(true)) },
      h("p", {}, message),
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", onclick: () => close(false) }, "Cancel"),
        h("button", { type: "submit", class: "danger" }, confirmLabel),
      ),
    ),
  ).then(Boolean);
}

/**
 * A form in a dialog: `fields` are [{name, label, value, required, help}];
 * resolves with {name: value} or undefined when cancelled.
 */
export function formDialog(title, fields, submitLabel) {
  return dialog(title, (close) => {
    const inputs = fields.map((f) =>
      h("input", {
        id: `field-${f.name}`,
        name: f.name,
        value: f.value ?? "",
        required: f.required,
        autocomplete: "off",
        "aria-describedby": f.help ? `help-${f.name}` : undefined,
      }),
    );
    return h(
      "form",
      {
        method: "dialog",
        onsubmit: (e) => {
          e.preventDefault();
          close(Object.fromEntries(inputs.map((i) => [i.name, i.value.trim()])));
        },
      },
      fields.map((f, n) =>
        h(
          "p",
          { class: "field" },
          h("label", { for: `field-${f.name}` }, f.label),
          inputs[n],
          f.help && h("small", { id: `help-${f.name}` }, f.help),
        ),
      ),
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", onclick: () => close(undefined) }, "Cancel"),
        h("button", { type: "submit", class: "primary" }, submitLabel),
      ),
    );
  });
}

/** Shows a secret once (a new key or signing secret), with a copy button. */
export function secretDialog(title, explanation, secret, what) {
  return dialog(title, (close) =>
    h(
      "div",
      {},
      h("p", {}, explanation),
      h("p", { class: "secret" }, h("code", { class: "secret-value" }, secret), " ", copyButton(secret, what)),
      h("div", { class: "buttons" }, h("button", { type: "button", class: "primary", onclick: () => close() }, "Done")),
    ),
  );
}
