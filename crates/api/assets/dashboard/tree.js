// An accessible tree (WAI-ARIA tree view pattern): role tree/treeitem/group, aria-level,
// aria-expanded on items with children, one item in the tab order at a time (roving tabindex),
// and the arrow keys, Home and End to move. Enter or Space opens a leaf (an indicator) or
// toggles a branch.

import { h } from "./dom.js";

/**
 * Renders `nodes` into `container`. A node is { label (Node or text), attrs (extra attributes
 * of the item), children (nodes), expanded (boolean), onOpen (for leaves) }.
 */
export function renderTree(container, nodes, { label }) {
  const tree = h("ul", { role: "tree", "aria-label": label, class: "tree" });
  nodes.forEach((n, i) => tree.append(item(n, 1, i, nodes.length)));
  container.replaceChildren(tree);
  const first = tree.querySelector('[role="treeitem"]');
  if (first) first.tabIndex = 0;
  tree.addEventListener("keydown", (e) => onKey(tree, e));
  return tree;
}

function item(node, level, index, count) {
  const kids = node.children || [];
  const li = h("li", {
    role: "treeitem",
    "aria-level": level,
    "aria-setsize": count,
    "aria-posinset": index + 1,
    "aria-expanded": kids.length ? String(node.expanded !== false) : null,
    tabindex: "-1",
    ...(node.attrs || {}),
  });
  const row = h("div", { class: "row" },
    kids.length ? h("span", { class: "twisty", "aria-hidden": "true" }) : h("span", { class: "leaf", "aria-hidden": "true" }),
    node.label);
  li.append(row);
  li._node = node;
  row.addEventListener("click", (e) => {
    if (e.target.closest("a, button")) return;
    focus(li.closest('[role="tree"]'), li);
    activate(li);
  });
  if (kids.length) {
    const group = h("ul", { role: "group" });
    kids.forEach((k, i) => group.append(item(k, level + 1, i, kids.length)));
    if (node.expanded === false) group.hidden = true;
    li.append(group);
  }
  return li;
}

/** The items not hidden inside a collapsed branch, in document order. */
function visible(tree) {
  return [...tree.querySelectorAll('[role="treeitem"]')].filter((li) => {
    for (let p = li.parentElement.closest('[role="treeitem"]'); p; p = p.parentElement.closest('[role="treeitem"]')) {
      if (p.getAttribute("aria-expanded") === "false") return false;
    }
    return true;
  });
}

function focus(tree, li) {
  for (const other of tree.querySelectorAll('[role="treeitem"][tabindex="0"]')) other.tabIndex = -1;
  li.tabIndex = 0;
  li.focus();
}

function setExpanded(li, open) {
  if (!li.hasAttribute("aria-expanded")) return;
  li.setAttribute("aria-expanded", String(open));
  const group = li.querySelector(':scope > [role="group"]');
  if (group) group.hidden = !open;
}

/** Enter, Space or a click: a branch opens or closes, a leaf opens what it stands for. */
function activate(li) {
  if (li.hasAttribute("aria-expanded")) {
    setExpanded(li, li.getAttribute("aria-expanded") !== "true");
  } else if (li._node.onOpen) {
    const tree = li.closest('[role="tree"]');
    for (const sel of tree.querySelectorAll('[aria-selected="true"]')) sel.setAttribute("aria-selected", "false");
    li.setAttribute("aria-selected", "true");
    li._node.onOpen();
  }
}

function onKey(tree, e) {
  const li = e.target.closest('[role="treeitem"]');
  if (!li || e.target !== li || e.altKey || e.ctrlKey || e.metaKey) return;
  const items = visible(tree);
  const at = items.indexOf(li);
  const expanded = li.getAttribute("aria-expanded");
  let handled = true;
  switch (e.key) {
    case "ArrowDown":
      if (at < items.length - 1) focus(tree, items[at + 1]);
      break;
    case "ArrowUp":
      if (at > 0) focus(tree, items[at - 1]);
      break;
    case "ArrowRight":
      if (expanded === "false") setExpanded(li, true);
      else if (expanded === "true") {
        const child = li.querySelector(':scope > [role="group"] > [role="treeitem"]');
        if (child) focus(tree, child);
      }
      break;
    case "ArrowLeft":
      if (expanded === "true") setExpanded(li, false);
      else {
        const parent = li.parentElement.closest('[role="treeitem"]');
        if (parent) focus(tree, parent);
      }
      break;
    case "Home":
      focus(tree, items[0]);
      break;
    case "End":
      focus(tree, items[items.length - 1]);
      break;
    case "Enter":
    case " ":
      activate(li);
      break;
    default:
      handled = false;
  }
  if (handled) e.preventDefault();
}

/** Opens every branch above `li`, marks it selected and makes it the item in the tab order. */
export function reveal(li) {
  const tree = li.closest('[role="tree"]');
  for (let p = li.parentElement.closest('[role="treeitem"]'); p; p = p.parentElement.closest('[role="treeitem"]')) {
    setExpanded(p, true);
  }
  for (const sel of tree.querySelectorAll('[aria-selected="true"]')) sel.setAttribute("aria-selected", "false");
  if (!li.hasAttribute("aria-expanded")) li.setAttribute("aria-selected", "true");
  for (const other of tree.querySelectorAll('[role="treeitem"][tabindex="0"]')) other.tabIndex = -1;
  li.tabIndex = 0;
}
