// Calls to /api/v1; the browser sends the sign-in cookie (HttpOnly: no script sees the token).

export class Unauthorized extends Error {}

/** GET /api/v1/<path> with the query `params` (null values left out); JSON back. */
export async function get(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, value);
  }
  const url = `/api/v1/${path}${query.size ? "?" + query : ""}`;
  const answer = await fetch(url, { credentials: "same-origin" });
  if (answer.status === 401) throw new Unauthorized("the token was refused");
  const body = await answer.json();
  if (!answer.ok) throw new Error(body.detail || `${answer.status} ${answer.statusText}`);
  return body;
}
