// The OAuth result page (GET /oauth/return) in the popup the web page
// opened: tells the opener how the authorization ended, then closes. The
// message goes to this page's own origin only; the opener reloads the
// token from the API rather than trusting it.

const { tokenId, status } = document.body.dataset;
if (tokenId && window.opener && !window.opener.closed) {
  window.opener.postMessage({ type: "flowauth:oauth-return", token_id: tokenId, status }, location.origin);
  if (status === "active") {
    const note = document.createElement("p");
    note.textContent = "This window closes by itself.";
    document.querySelector("main").append(note);
    setTimeout(() => window.close(), 1500);
  }
}
