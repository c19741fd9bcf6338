// The dashboard's entry: token, pickers, and a view per location hash.

import { Unauthorized, forgetToken, setToken, token } from "./api.js";
import { h } from "./dom.js";
import { loadRuns, readForm, showCustom } from "./filters.js";
import * as views from "./views.js";

const VIEWS = {
  "": views.endpoints,
  endpoint: views.endpoint,
  signature: views.signature,
  comparison: views.comparison,
};

const main = document.getElementById("view");
const login = document.getElementById("login");

function askForToken(message = "") {
  login.hidden = false;
  main.replaceChildren();
  document.querySelector("header").hidden = true;
  document.getElementById("login-error").textContent = message;
  document.getElementById("token").focus();
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
      forgetToken();
      askForToken("That token was refused. Enter a valid one.");
      return;
    }
    main.replaceChildren(h("p", { class: "error" }, String(error.message || error)));
  }
}

async function start() {
  if (!token()) {
    askForToken();
    return;
  }
  try {
    await loadRuns();
  } catch (error) {
    forgetToken();
    askForToken(error instanceof Unauthorized ? "That token was refused." : String(error));
    return;
  }
  login.hidden = true;
  document.querySelector("header").hidden = false;
  await render();
}

login.addEventListener("submit", async (event) => {
  event.preventDefault();
  setToken(document.getElementById("token").value.trim());
  document.getElementById("token").value = "";
  await start();
});

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
document.getElementById("signout").addEventListener("click", () => {
  forgetToken();
  askForToken();
});
window.addEventListener("hashchange", render);

start();
