// Shared helpers: DOM building from nodes only (user text is always set as
// text, never parsed as markup), the JSON API with CSRF, theme and language.
import { t, toggleLang, translate } from "./i18n.js";

/** el builds an element; children may be strings (set as text) or nodes. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

let csrf = "";
export function setCSRF(v) { csrf = v || ""; }

/** ApiError carries the server's error code, message and field names. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || ("HTTP " + status));
    this.status = status; this.code = body && body.code; this.fields = (body && body.fields) || [];
    this.problems = body && body.problems;
    this.body = body;
  }
}

export async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  const res = await fetch(path, opts);
  let data = null;
  try { data = await res.json(); } catch (_) { /* empty body */ }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export async function loadSession() {
  const s = await api("GET", "/api/session");
  setCSRF(s.csrf);
  return s;
}

/** fmtClock formats drill milliseconds as m:ss (or h:mm:ss). */
export function fmtClock(ms) {
  const neg = ms < 0; ms = Math.abs(ms);
  const s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (neg ? "-" : "") + (h ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
}

// The theme cycles through the system's setting and both explicit themes;
// from "auto" it goes to the opposite of what the system shows, so the first
// click always changes the page.
function systemTheme() { return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"; }
function themeOrder() { return systemTheme() === "dark" ? ["auto", "light", "dark"] : ["auto", "dark", "light"]; }
export function applyTheme() {
  const th = localStorage.getItem("firedrill.theme") || "auto";
  if (th === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = th;
  return th;
}
export function cycleTheme() {
  const cur = localStorage.getItem("firedrill.theme") || "auto";
  const themes = themeOrder();
  const next = themes[(themes.indexOf(cur) + 1) % themes.length];
  localStorage.setItem("firedrill.theme", next);
  return applyTheme();
}

/** chrome wires the theme and language buttons of a page; rerender runs after a language switch. */
export function chrome(rerender) {
  applyTheme();
  translate();
  const th = document.getElementById("theme");
  // The button says the theme in use, so each click visibly changes it.
  const themeLabel = () => { th.textContent = "◐ " + t("theme") + ": " + t("theme." + (localStorage.getItem("firedrill.theme") || "auto")); };
  if (th) { themeLabel(); th.addEventListener("click", () => { cycleTheme(); themeLabel(); }); }
  const lg = document.getElementById("lang");
  if (lg) {
    lg.textContent = t("lang");
    lg.addEventListener("click", () => {
      toggleLang(); translate(); lg.textContent = t("lang");
      if (th) themeLabel();
      if (rerender) rerender();
    });
  }
}

/** prose renders designer-written text: paragraphs at blank lines, list items
 * on their own lines, and the hard line breaks of the YAML block joined. */
export function prose(text) {
  const out = [];
  for (const para of String(text || "").split(/\n\s*\n/)) {
    const lines = para.split("\n");
    const items = [];
    for (const line of lines) {
      const l = line.trim();
      if (!l) continue;
      if (/^(\d+[.)]|[-*•])\s/.test(l) || !items.length) items.push(l);
      else items[items.length - 1] += " " + l;
    }
    if (!items.length) continue;
    const p = document.createElement("p");
    items.forEach((it, i) => { if (i) p.append(document.createElement("br")); p.append(document.createTextNode(it)); });
    out.push(p);
  }
  return out;
}

// The languages the drill record is written in, by their own names.
const recordLangs = { en: "English", ko: "한국어" };

/** langLinks offers a record page or export in each language the record is
 * written in, after the link to it in the drill's language:
 * " (English · 한국어)". The links carry data-record-lang. */
export function langLinks(href, title) {
  const out = [" ("];
  for (const [code, name] of Object.entries(recordLangs)) {
    if (out.length > 1) out.push(" · ");
    out.push(el("a", { href: href + (href.includes("?") ? "&" : "?") + "lang=" + code, hreflang: code, lang: code,
      title: title + " — " + name, dataset: { recordLang: code } }, name));
  }
  out.push(")");
  return out;
}
