// A workflow document as the editor holds it: text in JSON or YAML, as `sluice workflow create
// -f` reads it. Pure functions (no DOM): which format a text is in, positions (line and column
// from 1, columns in Unicode code points as the server and the CLI count them) to offsets and
// back, putting the Name and Description fields into the text without moving what the person
// wrote, and the stretch of text a problem's position points at.

/** "json" when the text starts (after white space) with `{` or `[`, as the CLI decides; else "yaml". */
export function formatOf(text) {
  const first = text.replace(/^[\s\uFEFF]+/, "").charAt(0);
  return first === "{" || first === "[" ? "json" : "yaml";
}

/** The offset (in UTF-16 units, as the textarea counts) of line `line`, column `column`;
 *  clamped to the text (a column past the end of its line is the line's end). */
export function offsetAt(text, line, column) {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  let end = text.indexOf("\n", offset);
  if (end < 0) end = text.length;
  for (let c = 1; c < column && offset < end; c++) offset += text.codePointAt(offset) > 0xFFFF ? 2 : 1;
  return offset;
}

/** The line and column (from 1, columns in code points) of an offset. */
export function positionAt(text, offset) {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) { line++; lineStart = i + 1; }
  let column = 1;
  for (let i = lineStart; i < offset; i += text.codePointAt(i) > 0xFFFF ? 2 : 1) column++;
  return { line, column };
}

/** The top-level member names of the document: exact for JSON that parses; for YAML the keys
 *  written at the indentation of its first line (a block mapping's keys). Empty when unknown. */
export function topLevelKeys(text, format = formatOf(text)) {
  if (format === "json") {
    try {
      const value = JSON.parse(text);
      return new Set(value && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : []);
    } catch {
      return new Set();
    }
  }
  const keys = new Set();
  let indent = null;
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || /^\s*#/.test(line) || /^%/.test(line) || /^---\s*(#.*)?$/.test(line)) continue;
    const lead = /^ */.exec(line)[0].length;
    if (indent === null) indent = lead;
    if (lead !== indent) continue;
    const m = /^ *(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^\s#'"{[\-?:][^:#]*?|-[^\s:#][^:#]*?))\s*:(?:\s|$)/.exec(line);
    if (m) keys.add(m[1] !== undefined ? JSON.parse(`"${m[1]}"`) : m[2] !== undefined ? m[2].replace(/''/g, "'") : m[3]);
  }
  return keys;
}

/**
 * The text with `members` (`[[key, string]]`, e.g. the Name field's value) added at the start
 * of its top-level mapping, so that what the person wrote keeps its place: JSON gets
 * `"name": "…", ` right after its `{`; a YAML block mapping gets `name: "…"` lines before its
 * first key, at the same indentation (after any `---`). Returns `{text, at, inserted, keys}`
 * (the offset and the text added, and where each member is in it), or null when the document is
 * not a mapping it can add to.
 */
export function withMembers(text, members, format = formatOf(text)) {
  if (!members.length) return { text, at: 0, inserted: "", keys: [] };
  const brace = (at) => {
    const rest = text.slice(at + 1);
    const empty = /^\s*}/.test(rest);
    const inserted = members.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ") + (empty ? "" : ", ");
    return { text: text.slice(0, at + 1) + inserted + rest, at: at + 1, inserted, keys: spans(inserted) };
  };
  if (format === "json") {
    const at = text.search(/\S/);
    return at >= 0 && text[at] === "{" ? brace(at) : null;
  }
  let offset = 0;
  while (offset <= text.length) {
    let end = text.indexOf("\n", offset);
    if (end < 0) end = text.length;
    const line = text.slice(offset, end).replace(/\r$/, "");
    const content = line.replace(/^\uFEFF/, "").trim();
    if (!content || content.startsWith("#") || content.startsWith("%") || /^---\s*(#.*)?$/.test(content)) {
      if (end === text.length) break;
      offset = end + 1;
      continue;
    }
    if (content.startsWith("---") || content.startsWith("...")) return null;
    if (content.startsWith("{")) return brace(offset + line.indexOf("{"));
    if (/^(-(\s|$)|\[|[|>*&!])/.test(content)) return null;
    const indent = /^ */.exec(line.replace(/^\uFEFF/, ""))[0].length;
    const at = offset + (line.startsWith("\uFEFF") ? 1 : 0);
    const inserted = members.map(([k, v]) => `${" ".repeat(indent)}${k}: ${JSON.stringify(v)}\n`).join("");
    return { text: text.slice(0, at) + inserted + text.slice(at), at, inserted, keys: spans(inserted) };
  }
  return null;
}

/** Where each added member is in the added text: `[{key, from, to}]`. */
function spans(inserted) {
  const found = [];
  const re = /"?(name|description)"?: "(?:[^"\\]|\\.)*"/g;
  for (let m = re.exec(inserted); m; m = re.exec(inserted)) found.push({ key: m[1], from: m.index, to: m.index + m[0].length + 1 });
  return found;
}

/** Where a position in the sent text (`withMembers`' result) is in the person's text: the offset
 *  there, or `{added: key}` when it points into the member `key` (name, description) added. */
export function positionInOriginal(splice, line, column) {
  const offset = offsetAt(splice.text, line, column);
  const length = splice.inserted.length;
  if (offset <= splice.at || !length) return { offset: Math.min(offset, splice.text.length - length) };
  if (offset >= splice.at + length) return { offset: offset - length };
  const within = offset - splice.at;
  const member = splice.keys.find((k) => within >= k.from && within < k.to) || splice.keys[0];
  return { added: member ? member.key : "name" };
}

/**
 * The stretch of text to highlight at `offset`: a quoted string, or a plain value up to a `,`,
 * `}`, `]`, comment or the end of its line, or (for an object, a list, or `single`, as syntax
 * errors ask) one character; at the end of a line, the character before it. `{start, end}`.
 */
export function tokenRange(text, offset, { single = false } = {}) {
  const lineEnd = (() => { const i = text.indexOf("\n", offset); return i < 0 ? text.length : i; })();
  if (offset >= lineEnd) {
    const start = Math.max(0, Math.min(offset, text.length) - 1);
    return { start, end: Math.min(text.length, start + 1) };
  }
  const c = text[offset];
  if (single || c === "{" || c === "[") return { start: offset, end: offset + (text.codePointAt(offset) > 0xFFFF ? 2 : 1) };
  if (c === "\"" || c === "'") {
    for (let i = offset + 1; i < lineEnd; i++) {
      if (c === "\"" && text[i] === "\\") { i++; continue; }
      if (text[i] === c) {
        if (c === "'" && text[i + 1] === "'") { i++; continue; }
        return { start: offset, end: i + 1 };
      }
    }
    return { start: offset, end: lineEnd };
  }
  let end = offset;
  while (end < lineEnd && !/[,}\]]/.test(text[end]) && !(text[end] === "#" && /\s/.test(text[end - 1] || ""))) end++;
  while (end > offset + 1 && /\s/.test(text[end - 1])) end--;
  return { start: offset, end: Math.max(end, offset + 1) };
}

/**
 * Appends a step to a YAML chain's `steps:` block list (after its last item, at the items'
 * indentation). The new text, or null when there is no such block to add to.
 */
export function appendYAMLStep(text, lines) {
  const all = text.split("\n");
  const top = (() => { for (const l of all) if (l.trim() && !/^\s*#/.test(l) && !/^(%|---)/.test(l)) return /^ */.exec(l)[0].length; return 0; })();
  const head = all.findIndex((l) => new RegExp(`^ {${top}}steps\\s*:\\s*(#.*)?\\r?$`).test(l));
  if (head < 0) return null;
  let last = head;
  let itemIndent = null;
  for (let i = head + 1; i < all.length; i++) {
    const l = all[i];
    if (!l.trim() || /^\s*#/.test(l)) continue;
    const lead = /^ */.exec(l)[0].length;
    const item = /^ *-(\s|$)/.test(l);
    if (lead < top || (lead === top && !(item && (itemIndent === null || itemIndent === top)))) break;
    if (item && itemIndent === null) itemIndent = lead;
    last = i;
  }
  if (itemIndent === null) itemIndent = top + 2;
  const pad = " ".repeat(itemIndent);
  const added = lines.map((l, i) => `${pad}${i ? "  " : "- "}${l}`);
  return [...all.slice(0, last + 1), ...added, ...all.slice(last + 1)].join("\n");
}
