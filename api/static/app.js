// The dashboard's entry: pickers, and a view per location hash.

import { alerts } from "./alerts.js";
import { Unauthorized } from "./api.js";
import { h } from "./dom.js";
import { loadRuns, readForm, showCustom } from "./filters.js";
import * as views from "./views.js";

const VIEWS = {
  "": views.endpoints,
  endpoint: views.endpoint,
  signature: views.signature,
  comparison: views.comparison,
  alerts,
};

const main = document.getElementById("view");

// The token stopped being valid (rotated, or the server restarted with others):
// the page itself now answers with the sign-in form.
function signInAgain() {
  location.reload();
}

async function render() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const view = VIEWS[path] ?? views.endpoints;
  const args = Object.fromEntries(new URLSearchParams(query));
  main.replaceChildren(h("p", { class: "muted" }, "loading…"));
  try {
    const node = await view(args);
    main.replaceChildren(node);
    node.dispatchEvent(new Event("shown"));
    document.body.dataset.view = path || "endpoints";
  } catch (error) {
    if (error instanceof Unauthorized) {
      signInAgain();
      return;
    }
    main.replaceChildren(h("p", { class: "error" }, String(error.message || error)));
  }
}

async function start() {
  try {
    await loadRuns();
  } catch (error) {
    if (error instanceof Unauthorized) {
      signInAgain();
      return;
    }
    main.replaceChildren(h("p", { class: "error" }, String(error.message || error)));
    return;
  }
  await render();
}

document.getElementById("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  readForm();
  render();
});
document.getElementById("range").addEventListener("change", showCustom);
document.getElementById("run").addEventListener("change", () => {
  readForm();
  render();
});
window.addEventListener("hashchange", render);

start();
