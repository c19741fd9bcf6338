// Calls to /api/v1 with the bearer token kept in this tab's sessionStorage.

const KEY = "shadowdiff.token";

export class Unauthorized extends Error {}

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  sessionStorage.setItem(KEY, value);
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

/** GET /api/v1/<path> with the query `params` (null values left out); JSON back. */
export async function get(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, value);
  }
  const url = `/api/v1/${path}${query.size ? "?" + query : ""}`;
  const answer = await fetch(url, { headers: { Authorization: `Bearer ${token() || ""}` } });
  if (answer.status === 401) throw new Unauthorized("the token was refused");
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.detail || `${answer.status} ${answer.statusText}`);
  return body;
}
