// el("li", {className: "tile", dataset: {testid: "x"}, textContent: "..."}, ...children): an element from
// DOM properties (dataset filled, not assigned), for the pages outside the dashboard; text is never HTML.
export function el(tag, props = {}, ...children) {
  const { dataset, ...rest } = props;
  const node = Object.assign(document.createElement(tag), rest);
  Object.assign(node.dataset, dataset || {});
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}
