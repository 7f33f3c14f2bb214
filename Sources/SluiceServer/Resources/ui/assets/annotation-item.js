// /ui/annotation/items/{id}: one annotation item and its history. Its data as the workers see
// it, its state and where it waits (and who holds it), its annotation and the algorithms'
// outputs, and every round it went through, oldest first: the pool, who held it, when it was
// queued, claimed and answered, and the answer — an annotation version, a verdict with its
// comment, or an algorithm's output (`GET /annotation/item/get`). Re-read every 5 s while the
// item is still in a pool.

import { h, fill, jsonBlock } from "./dom.js";
import { annotation, isoOf } from "./annotation-api.js";
import { itemData } from "./item-data.js";
import { loading, loadOrNotFound, cardTable, labelled, errorState } from "./shell.js";

const POLL_MS = 5000;

export async function annotationItemPage(page, id) {
  document.title = `Item ${id} · Sluice`;
  page.main.append(loading("Loading the item…"));
  const item = await loadOrNotFound(page, () => annotation.getItem(id), "Item", id,
    h("span", {}, "A workflow's page lists its items; the ", h("a", { href: "/ui/annotation" }, "annotation page"), " lists the projects."));
  if (!item || !page.alive()) return;
  new ItemView(page, item).start();
}

/** "2026-12-04 15:20:01" (the envelope's UTC) in the browser's time zone, the UTC on hover. */
function when(date) {
  const iso = isoOf(date);
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: `${date} UTC` }, new Date(iso).toLocaleString());
}

/** What one round's answer was: a verdict and its comment, or the annotation / output. */
function answerOf(entry) {
  const a = entry.answer;
  if (a === null || a === undefined) return h("span", { class: "muted", "data-answer": "none" }, entry.by ? "not answered yet" : "waiting");
  if (typeof a === "object" && !Array.isArray(a) && typeof a.approved === "boolean") {
    return h("div", { "data-answer": a.approved ? "approved" : "rejected" },
      h("span", { class: a.approved ? "strong" : "strong field-error" }, a.approved ? "Approved" : "Rejected"),
      a.comment ? h("p", { class: "review-comment", "data-part": "comment" }, a.comment) : null);
  }
  return h("div", { "data-answer": entry.algorithm ? "output" : "annotation" }, jsonBlock(a));
}

class ItemView {
  constructor(page, item) {
    this.page = page;
    this.item = item;
    this.drawn = null;
  }

  start() {
    this.body = h("div", { id: "item-page" });
    this.error = h("div", { class: "form-error", id: "item-error", role: "alert", hidden: true });
    fill(this.page.main, this.error, this.body);
    this.draw(this.item);
    this.poll();
  }

  async poll() {
    while (this.page.alive() && (this.item.state === "in_pool" || this.item.state === "pending")) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (!this.page.alive()) return;
      try {
        this.item = await annotation.getItem(this.item.itemId);
        this.error.hidden = true;
        this.draw(this.item);
      } catch (error) {
        if (!this.page.alive()) return;
        this.error.hidden = false;
        this.error.textContent = error.message;
      }
    }
  }

  draw(item) {
    const sig = JSON.stringify(item);
    if (this.drawn === sig) return;
    this.drawn = sig;
    document.title = `Item ${item.itemId} · Sluice`;
    const where = item.pool ? `${item.pool.name}${item.pool.holder ? `, held by ${item.pool.holder}` : ", waiting"}` : "—";
    const history = item.history || [];
    const rows = history.map((entry, k) => h("tr", { "data-round": k, "data-pool": entry.poolIndex ?? "" },
      h("td", { class: "card-title" }, h("span", { class: "strong" }, entry.algorithm ? `${entry.pool} · ${entry.algorithm}` : String(entry.pool ?? "—"))),
      labelled("Who", { "data-part": "by" }, entry.by || h("span", { class: "muted" }, "nobody yet")),
      labelled("Queued", { class: "num" }, when(entry.queuedAt)),
      labelled("Claimed", { class: "num" }, when(entry.claimedAt)),
      labelled("Answered", { class: "num" }, when(entry.answeredAt)),
      labelled("Answer", { "data-part": "answer" }, answerOf(entry))));
    fill(this.body,
      h("div", { class: "page-head" },
        h("div", {},
          h("p", { class: "small" }, h("a", { href: `/ui/annotation/workflows/${item.workflowId}` }, `← Workflow ${item.workflowId}`)),
          h("h1", { id: "item-title" }, `Item #${item.itemId}`),
          h("p", { class: "meta" },
            item.externalId ? h("span", { class: "mono", id: "item-external-id" }, item.externalId) : null,
            h("span", { id: "item-state", "data-state": item.state }, item.state.replace("_", " ")),
            h("span", { id: "item-where" }, where),
            h("span", {}, "uploaded ", when(item.createdAt))))),
      h("section", { class: "card", "aria-labelledby": "item-data-heading" },
        h("h2", { id: "item-data-heading" }, "Data"), itemData(item.data)),
      h("section", { class: "card", "aria-labelledby": "item-annotation-heading" },
        h("h2", { id: "item-annotation-heading" }, "Annotation"),
        item.annotation === null || item.annotation === undefined
          ? h("p", { class: "muted", id: "item-annotation-none" }, "Not labeled yet.")
          : jsonBlock(item.annotation, { id: "item-annotation" }),
        item.outputs ? h("div", {}, h("h3", {}, "Algorithms' outputs"), jsonBlock(item.outputs, { id: "item-outputs" })) : null),
      h("section", { class: "card", "aria-labelledby": "item-history-heading" },
        h("h2", { id: "item-history-heading" }, "History ", h("span", { class: "muted small" }, `(${history.length} round${history.length === 1 ? "" : "s"}, oldest first)`)),
        history.length
          ? cardTable({ caption: "Every round the item went through", columns: ["Pool", "Who", "Queued", "Claimed", "Answered", "Answer"], rows, attrs: { id: "item-history" } })
          : h("p", { class: "state empty", "data-empty": "history" }, "Nothing yet: the item has not reached a pool.")));
  }
}
