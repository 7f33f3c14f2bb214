// An annotation item's data as a labeler sees it: an image when it is an http(s) URL ending in an
// image extension (the page's Content-Security-Policy lets images come from any http(s) origin),
// a link and the text for another URL, the text for other text, else the JSON.

import { h, jsonBlock } from "./dom.js";

const IMAGE = /^https?:\/\/[^\s]+\.(?:png|jpe?g|gif|webp|svg|bmp|avif)(?:[?#][^\s]*)?$/i;
const URL_ = /^https?:\/\/[^\s]+$/i;

/** Whether `data` is drawn as an image. */
export const isImageURL = (data) => typeof data === "string" && IMAGE.test(data.trim());

export function itemData(data) {
  if (isImageURL(data)) {
    const url = data.trim();
    const img = h("img", { class: "item-image", id: "item-image", src: url, alt: `The item's image, from ${url}`, referrerpolicy: "no-referrer" });
    const broken = h("p", { class: "field-error", id: "item-image-error", hidden: true }, "The image did not load: ", h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url));
    img.addEventListener("error", () => { broken.hidden = false; img.hidden = true; });
    return h("figure", { class: "item-data", "data-kind": "image" }, img, h("figcaption", { class: "small muted mono" }, url), broken);
  }
  if (typeof data === "string" && URL_.test(data.trim())) {
    return h("div", { class: "item-data", "data-kind": "url" },
      h("a", { id: "item-link", href: data.trim(), target: "_blank", rel: "noopener noreferrer" }, data.trim()));
  }
  if (typeof data === "string") return h("div", { class: "item-data item-text", "data-kind": "text", id: "item-text" }, data);
  return h("div", { class: "item-data", "data-kind": "json" }, jsonBlock(data, { id: "item-json" }));
}
