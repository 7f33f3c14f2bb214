// An annotation workflow's pools drawn as a row of stages (chips joined by arrows), each a link
// to the workflow's page; shared by the project page and the workflow list.

import { h } from "./dom.js";
import { POOL_TYPES } from "./annotation-api.js";

/** A chip per pool of `pools` (the API's `workflow.pools`), in order; `href` the workflow page. */
export function poolChips(pools, href) {
  const chips = [];
  pools.forEach((pool, i) => {
    if (i) chips.push(h("span", { class: "arrow", "aria-hidden": "true" }, "→"));
    chips.push(h("a", { class: `chip pool-chip pool-type-${pool.type}`, href, "data-pool": i, title: `${POOL_TYPES[pool.type] || "pool"} pool` },
      pool.name, h("span", { class: "visually-hidden" }, ` (${POOL_TYPES[pool.type] || "pool"})`)));
  });
  return h("span", { class: "shape pool-stages" }, chips);
}
