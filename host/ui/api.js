// The JSON API, called with the key the user signed in with. The key lives
// in this tab's session storage only: it goes out as an Authorization
// header, never in a URL, a cookie or local storage.

const KEY = "flowauth.key";

export const session = {
  key: () => sessionStorage.getItem(KEY),
  set: (key) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An error answer: `{"error": {"code", "message"}, "errors": [{"path", "message"}]}`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `the server answered ${status}`);
    this.status = status;
    this.code = body?.error?.code || "unknown";
    this.errors = body?.errors || [];
  }
}

let signedOut = () => {};

/** What to do when the server no longer accepts the key (401). */
export function onUnauthorized(handler) {
  signedOut = handler;
}

/** A path segment, escaped. */
export const seg = encodeURIComponent;

/** A query string of the non-empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/**
 * Calls the API: `json` is sent as a JSON body, `text` as is. Resolves with
 * the parsed answer (null for 204), rejects with an ApiError.
 */
export async function api(method, path, { json, text, key = session.key() } = {}) {
  const headers = { Accept: "application/json" };
  if (key) headers.Authorization = `Bearer ${key}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (text !== undefined) {
    headers["Content-Type"] = "application/json";
    body = text;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, cache: "no-store", credentials: "omit" });
  } catch {
    throw new ApiError(0, { error: { code: "unreachable", message: "the server does not answer: try again" } });
  }
  if (response.status === 204) return null;
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, answer);
    if (response.status === 401) signedOut(error);
    throw error;
  }
  return answer;
}
