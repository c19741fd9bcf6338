// Building elements without HTML strings: stored values are text, never markup.

/** An element with attributes (`class`, `href`, data-*, ...) and children (nodes or text). */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) element.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** A rate as the CLI prints it: one decimal, percent. */
export function percent(rate) {
  return `${(rate * 100).toFixed(1)}%`;
}

export function ms(value) {
  return value === null || value === undefined ? "-" : `${Math.round(value)}`;
}

/** A link to a dashboard view, its arguments in the hash. */
export function link(view, args, ...children) {
  return h("a", { href: route(view, args) }, ...children);
}

export function route(view, args = {}) {
  const query = new URLSearchParams(args);
  return `#/${view}${query.size ? "?" + query : ""}`;
}

export function when(iso) {
  return iso ? iso.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, "") : "-";
}
