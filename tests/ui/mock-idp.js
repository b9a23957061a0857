// A mock identity provider on loopback, speaking real HTTP: authorize
// redirects straight back with a code, token issues tokens (or answers
// invalid_grant once told the grants are dead), validate accepts any
// token it issued, /hook takes webhook deliveries and /back stands for
// the app a connect link returns to. Every request is logged so a failing test can show
// what the provider saw.

import { createServer } from "node:http";
import { randomBytes } from "node:crypto";

export async function startIdp() {
  const log = [];
  const codes = new Set();
  const accessTokens = new Set();
  const state = { deadGrants: false };

  const issue = () => {
    const access = `at-${randomBytes(12).toString("hex")}`;
    accessTokens.add(access);
    return { access_token: access, refresh_token: `rt-${randomBytes(12).toString("hex")}`, token_type: "Bearer", expires_in: 3600, scope: "api" };
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      const form = new URLSearchParams(body);
      log.push({ method: request.method, path: url.pathname, grant_type: form.get("grant_type") || undefined });
      const json = (status, value) => {
        response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
        response.end(JSON.stringify(value));
      };
      if (url.pathname === "/authorize") {
        const back = new URL(url.searchParams.get("redirect_uri"));
        const code = `code-${randomBytes(8).toString("hex")}`;
        codes.add(code);
        back.searchParams.set("code", code);
        back.searchParams.set("state", url.searchParams.get("state"));
        response.writeHead(302, { location: back.toString() });
        response.end();
      } else if (url.pathname === "/token" && request.method === "POST") {
        const grant = form.get("grant_type");
        if (grant === "authorization_code" && codes.delete(form.get("code"))) json(200, issue());
        else if (grant === "refresh_token" && !state.deadGrants) json(200, issue());
        else json(400, { error: "invalid_grant", error_description: "the grant was revoked" });
      } else if (url.pathname === "/validate") {
        const token = (request.headers.authorization || "").replace(/^Bearer /i, "");
        if (accessTokens.has(token)) json(200, { active: true, sub: "mock-user" });
        else json(401, { error: "invalid_token" });
      } else if (url.pathname === "/back") {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        response.end("<!doctype html><title>Back in the app</title><h1>Back in the app</h1>");
      } else if (url.pathname === "/hook" && request.method === "POST") {
        json(200, { received: true });
      } else {
        json(404, { error: "not_found" });
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    log,
    /** From now on refresh grants are refused with invalid_grant. */
    killGrants: () => (state.deadGrants = true),
    reviveGrants: () => (state.deadGrants = false),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
