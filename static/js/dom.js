// The pages' one component style. A component is a function: it takes its data and the callbacks it needs,
// builds its nodes with el() (never innerHTML: names, titles and chat are user data), keeps its state in its
// closure, and returns the node or a small handle ({node, update, ...}). Chosen over classes because no
// handler needs a bound `this`, state is private by scope, and the dashboard, the watch page and the
// account pages already read this way; the studio was converted to it.

// el("button", {class: "primary", id: "save", onclick: fn, text: "Save"}, child, ...): strings and numbers
// become attributes (true: present, false/null/undefined: absent), "text" the text, on<event> functions
// listeners, and any other value a property (srcObject, ...).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (typeof value !== "string" && typeof value !== "number" && value !== true) node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

